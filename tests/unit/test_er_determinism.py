"""Entity resolution gives the same rows whatever the order of its input rows and
whatever the chunking: a backfill must reproduce the nightly run bit for bit."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from capscore.entity_resolution.model import MatchModel, load_model
from capscore.entity_resolution.registry_names import registry_names
from capscore.entity_resolution.resolve import (
    CHUNK_NAMES,
    resolve_applicants,
    resolve_rd,
    review_queue,
)

# Many firms share a 字号 and industry across places: a mention without its region
# has a dozen candidates whose probabilities are summed, ties at every cut-off.
REGIONS = [
    ("嘉兴", "330402"),
    ("杭州", "330106"),
    ("宁波", "330203"),
    ("温州", "330302"),
    ("湖州", "330502"),
    ("绍兴", "330602"),
    ("金华", "330702"),
    ("海宁", "330481"),
]
TRADE_NAMES = ["华泰", "恒信", "瑞达"]
INDUSTRIES = ["汽车零部件", "光电科技", "机械"]
RENAMED = 10


def _code(n: int, region: str) -> str:
    return f"91{region}MA{n:07d}X"


def _enterprises() -> pl.DataFrame:
    rows = []
    firms = [(r, z, i) for r in REGIONS for z in TRADE_NAMES for i in INDUSTRIES]
    for n, ((place, region_code), trade, industry) in enumerate(firms):
        former = [f"{place}{trade}精密机械有限公司"] if n < RENAMED else None
        rows.append(
            {
                "credit_code": _code(n, region_code),
                "name": f"{place}{trade}{industry}有限公司",
                "former_names": former,
                "english_name": f"{place} Huatai Co., Ltd." if n % 9 == 0 else None,
                "region_code": region_code,
                "industry_code": ["C3670", "C3976", "C3484"][n % 3],
                "established_date": date(2005, 1, 1) + timedelta(days=97 * n),
            }
        )
    return pl.DataFrame(rows)


def _history(enterprises: pl.DataFrame) -> pl.DataFrame:
    """Renamed firms have their old name both in history (dated) and in former_names."""
    rows = []
    for n, firm in enumerate(enterprises.iter_rows(named=True)):
        if n < RENAMED:
            rows.append((firm["credit_code"], firm["former_names"][0], date(2019, 1, 1)))
            rows.append((firm["credit_code"], firm["name"], date(2022, 6, 1)))
        else:
            rows.append((firm["credit_code"], firm["name"], date(2020, 1, 1)))
    history = pl.DataFrame(rows, schema=["credit_code", "name", "valid_from"], orient="row").sort(
        "credit_code", "valid_from"
    )
    return history.with_columns(
        pl.col("valid_from").shift(-1).over("credit_code").alias("valid_to")
    )


def _patents(enterprises: pl.DataFrame) -> pl.DataFrame:
    names = enterprises["name"].to_list()
    formers = [f for f in enterprises["former_names"].to_list() if f]
    applicant_lists = []
    for n, name in enumerate(names):
        bare = name[2:]  # region dropped: every firm of that 字号 + industry competes
        typo = name[:2] + ("秦" if name[2] == "华" else "倍") + name[3:]
        paren = f"{name[2:4]}({name[:2]}){name[4:]}"
        applicant_lists += [[name], [bare, "浙江大学"], [typo], [paren, "张伟"]]
        if n % 4 == 0:
            applicant_lists.append([bare.replace("有限公司", "有限责任公司"), name])
    applicant_lists += [[f[0]] for f in formers] + [["Jiaxing Huatai Co., Ltd."], ["某某"]]
    n = len(applicant_lists)
    return pl.DataFrame(
        {
            "application_number": [f"CN2021{i:08d}.{i % 10}" for i in range(n)],
            "applicants": applicant_lists,
            "applicant_address": [
                f"浙江省{REGIONS[i % len(REGIONS)][0]}市某路{i}号" if i % 3 else None
                for i in range(n)
            ],
            "ipc_codes": [[["B60G17/015"], ["H01L33/00"], ["F16B5/02"]][i % 3] for i in range(n)],
            "application_date": [date(2018, 1, 1) + timedelta(days=11 * i) for i in range(n)],
        }
    )


def _rd(enterprises: pl.DataFrame) -> pl.DataFrame:
    codes = enterprises["credit_code"].to_list()
    names = enterprises["name"].to_list()
    rows = []
    for i, (code, name) in enumerate(zip(codes, names, strict=True)):
        slip = code[:16] + ("0" if code[16] != "0" else "1") + code[17]
        filed, valid = [(code, True), (None, False), (slip, False), (code, False)][i % 4]
        written = name if i % 2 else name[2:]
        rows.append(
            (f"landing/rd_records/2024-0{1 + i % 3}-01/a.csv", i + 1, written, filed, valid)
        )
    return pl.DataFrame(
        rows,
        schema=["_file", "_row_number", "enterprise_name", "credit_code", "credit_code_valid"],
        orient="row",
    ).with_columns(
        pl.lit(2023).alias("fiscal_year"), pl.lit(date(2024, 3, 1)).alias("reported_date")
    )


ENTERPRISES = _enterprises()
HISTORY = _history(ENTERPRISES)
PATENTS = _patents(ENTERPRISES)
RD = _rd(ENTERPRISES)
APPLICANT_KEY = ["application_number", "applicant_position"]
RD_KEY = ["file", "row_number"]


def shuffled(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    return frame.sample(fraction=1.0, shuffle=True, seed=seed)


def resolve_all(
    model: MatchModel, seed: int | None, chunk_names: int = CHUNK_NAMES
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(applicant links, rd links, review queue) with every input shuffled by `seed`."""

    def inputs(frame: pl.DataFrame, offset: int) -> pl.DataFrame:
        return frame if seed is None else shuffled(frame, seed + offset)

    ent, history = inputs(ENTERPRISES, 0), inputs(HISTORY, 1)
    applicants = resolve_applicants(
        inputs(PATENTS, 2), ent, history, None, model, chunk_names=chunk_names
    )
    rd = resolve_rd(inputs(RD, 3), ent, history, None, model, chunk_names=chunk_names)
    return applicants, rd, review_queue(applicants, rd)


@pytest.fixture(scope="module")
def model() -> MatchModel:
    return load_model()


@pytest.fixture(scope="module")
def reference(model: MatchModel) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return resolve_all(model, seed=None)


def test_the_fixture_has_the_hard_cases(
    reference: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    applicants, rd, queue = reference
    assert set(applicants["decision"]) == {"matched", "review", "unmatched"}
    assert {"exact_name", "former_name", "normalized_name", "fuzzy"} <= set(applicants["method"])
    assert queue.height > 0
    assert set(rd["method"]) >= {"credit_code", "normalized_name"}
    # Renamed firms: the old name is known from history and from former_names.
    names = registry_names(ENTERPRISES, HISTORY).filter(pl.col("name_type") == "former")
    assert names.height == RENAMED


def test_outputs_are_sorted_by_their_keys(
    reference: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    applicants, rd, _ = reference
    assert applicants.equals(applicants.sort(APPLICANT_KEY))
    assert rd.equals(rd.sort(RD_KEY))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_inputs_give_identical_rows(
    model: MatchModel, reference: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], seed: int
) -> None:
    applicants, rd, queue = resolve_all(model, seed)
    assert applicants.sort(APPLICANT_KEY).equals(reference[0].sort(APPLICANT_KEY))
    assert rd.sort(RD_KEY).equals(reference[1].sort(RD_KEY))
    assert queue.equals(reference[2])


def test_chunks_do_not_change_the_result(
    model: MatchModel, reference: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    applicants, rd, queue = resolve_all(model, seed=None, chunk_names=16)
    assert applicants.equals(reference[0])
    assert rd.equals(reference[1])
    assert queue.equals(reference[2])


def test_former_name_span_comes_from_history_whatever_the_order() -> None:
    for seed in range(5):
        names = registry_names(shuffled(ENTERPRISES, seed), shuffled(HISTORY, seed + 1))
        former = names.filter(pl.col("name_type") == "former").sort("credit_code")
        # History dates the end of the old name (the rename), not the first snapshot.
        assert former["valid_to"].to_list() == [date(2022, 6, 1)] * RENAMED
