"""Ground truth against the landing files, and the realism the entity resolution relies on."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import opencc
import polars as pl
import pytest

from capscore.entity_resolution.features import address_region_codes
from capscore.sample_data.enterprises import build_firms, other_sites
from capscore.sample_data.generate import generate
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import ORG_FORM_NAMES
from capscore.sample_data.owners import _lookalikes
from data_contracts.check_digits import credit_code_problem
from tests.unit.test_sample_data_generate import LISTS, read_rows


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    generate(root, 500, seed=5)
    return root


def _cell(column: str, value: object) -> object:
    """One representation for every format: lists as lists, everything else as text."""
    if column in LISTS:
        return _as_list(value) if value not in (None, "", []) else []
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _frame(root: Path, source: str) -> pl.DataFrame:
    """All rows of a source's landing files, with the file and row number they came from."""
    rows = []
    for path in sorted((root / "landing" / source).rglob("*.*")):
        _, records = read_rows(path)
        for number, record in enumerate(records, start=1):
            assert record is not None
            row = {k: _cell(k, v) for k, v in record.items() if k.isascii()}
            rows.append({**row, "_file": path.relative_to(root).as_posix(), "_row": str(number)})
    columns = sorted({c for r in rows for c in r})
    schema = {c: pl.List(pl.String) if c in LISTS else pl.String for c in columns}
    return pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=schema)


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value).split(";")]


@pytest.fixture(scope="module")
def registry(root: Path) -> pl.DataFrame:
    return _frame(root, "registry")


@pytest.fixture(scope="module")
def latest(registry: pl.DataFrame) -> pl.DataFrame:
    """Each enterprise as its latest snapshot shows it."""
    return registry.sort("snapshot_date").group_by("credit_code").last()


def test_applicant_truth_matches_every_delivered_patent(root: Path) -> None:
    truth = pl.read_csv(root / "truth" / "applicant_links.csv", infer_schema=False)
    expected = (
        truth.with_columns(pl.col("applicant_position").cast(pl.Int64))
        .sort("application_number", "applicant_position")
        .group_by("application_number", maintain_order=True)
        .agg("applicant")
    )
    expected_by_number = dict(expected.iter_rows())
    patents = _frame(root, "patents")
    assert patents.height > 1000
    for number, applicants in patents.select("application_number", "applicants").iter_rows():
        assert applicants == expected_by_number[number]
    assert set(patents["application_number"]) == set(expected_by_number)


def test_applicant_strings_are_what_their_noise_says(root: Path, latest: pl.DataFrame) -> None:
    truth = pl.read_csv(root / "truth" / "applicant_links.csv", infer_schema=False)
    firms = {r["credit_code"]: r for r in latest.iter_rows(named=True)}
    registered = set(latest["name"]) | {n for names in latest["former_names"] for n in names}
    to_simplified = opencc.OpenCC("t2s")
    kinds = truth["noise"].value_counts()
    assert set(kinds["noise"]) >= {
        "exact", "former_name", "region_dropped", "region_added", "region_parenthesized",
        "legal_form_variant", "width_punct", "typo", "traditional", "non_registry", "lookalike",
    }  # fmt: skip
    exact_share = truth.filter(pl.col("credit_code").is_not_null())["noise"].eq("exact").mean()
    assert isinstance(exact_share, float) and 0.6 < exact_share < 0.9
    for row in truth.iter_rows(named=True):
        text, noise = row["applicant"], row["noise"]
        if row["credit_code"] is None:
            assert noise in ("non_registry", "lookalike")
            assert text not in registered
            continue
        firm = firms[row["credit_code"]]
        name = firm["name"]
        if noise == "exact":
            assert text == name
        elif noise == "former_name":
            assert text in firm["former_names"]
        elif noise == "english":
            assert text == firm["english_name"]
        elif noise == "pinyin":
            # A firm without a registered English name, written in pinyin and English.
            assert firm["english_name"] is None
            assert text.isascii() and text.lower().endswith(("co., ltd.", "factory"))
        elif noise == "traditional":
            assert text != name and to_simplified.convert(text) == name
        elif noise == "typo":
            assert (
                len(text) == len(name) and sum(a != b for a, b in zip(text, name, strict=True)) == 1
            )
        elif noise == "width_punct":

            def squash(s: str) -> str:
                return "".join(unicodedata.normalize("NFKC", s).split())

            assert text != name and squash(text) == squash(name)
        elif noise == "region_dropped":
            assert len(text) < len(name) and text[-4:] == name[-4:]
        elif noise == "region_added":
            assert text.endswith(name) and len(text) > len(name)
        elif noise == "region_parenthesized":
            assert "（" in text and "（" not in name
        else:
            assert noise == "legal_form_variant"
            assert text != name and text[:2] == name[:2]


def test_rd_truth_matches_rows_and_code_noise(root: Path, latest: pl.DataFrame) -> None:
    truth = pl.read_csv(root / "truth" / "rd_links.csv", infer_schema=False)
    rd = _frame(root, "rd_records")
    assert rd.height == truth.height > 300
    joined = rd.join(
        truth,
        left_on=["_file", "_row"],
        right_on=["file", "row_number"],
        how="inner",
        suffix="_true",
    )
    assert joined.height == rd.height
    codes = set(latest["credit_code"])
    names = dict(latest.select("credit_code", "name").iter_rows())
    for row in joined.iter_rows(named=True):
        filed, true, noise = row["credit_code"] or None, row["credit_code_true"], row["code_noise"]
        if noise == "ok":
            assert filed == true
        elif noise == "missing":
            assert filed is None
        elif noise == "mistyped":
            assert filed is not None and credit_code_problem(filed) is not None
            assert sum(a != b for a, b in zip(filed, true, strict=True)) == 1
        else:
            assert noise == "unknown" and credit_code_problem(filed) is None and filed not in codes
        if true is None:
            assert row["name_noise"] == "lookalike" and row["enterprise_name"] not in names.values()
        elif row["name_noise"] == "exact":
            assert row["enterprise_name"] == names[true]


def test_refilings_and_late_filings_arrive_after_the_backlog(root: Path) -> None:
    rd = _frame(root, "rd_records")
    per_key = (
        rd.filter(pl.col("credit_code").is_not_null())
        .group_by("enterprise_name", "fiscal_year")
        .agg(
            pl.col("_file").n_unique().alias("drops"),
            pl.col("reported_date").n_unique().alias("dates"),
        )
    )
    assert per_key.filter(pl.col("drops") > 1).height > 0
    later = rd.filter(~pl.col("_file").str.contains("2026-11-09"))
    assert later.height > 0


def test_registry_names_codes_and_regions_agree(
    latest: pl.DataFrame, registry: pl.DataFrame
) -> None:
    ref = pl.read_csv(
        Path(__file__).parents[2] / "capscore" / "reference_data" / "gbt2260.csv",
        infer_schema=False,
    )
    by_code = {r["region_code"]: r for r in ref.iter_rows(named=True)}
    words = {ind.code: ind.words for ind in INDUSTRIES}
    with_region = 0
    for row in latest.iter_rows(named=True):
        code, name, region = row["credit_code"], row["name"], row["region_code"]
        assert credit_code_problem(code) is None
        assert code[2:8] == region
        place = by_code[region]
        forms: set[str] = set()
        for level in (region, place["prefecture_code"], place["province_code"]):
            full = by_code.get(level, {}).get("name")
            if full:
                forms |= {
                    full,
                    full.removesuffix("省")
                    .removesuffix("市")
                    .removesuffix("县")
                    .removesuffix("区"),
                }
                forms.add(full[:2])
        if any(name.startswith(f) for f in forms) or any(f"（{f}）" in name for f in forms):
            with_region += 1
        if row["industry_code"] is not None:
            assert any(w in name for w in words[row["industry_code"]]), name
    assert with_region / latest.height > 0.95
    assert latest["name"].n_unique() == latest.height


def test_renames_become_former_names(registry: pl.DataFrame) -> None:
    history = (
        registry.sort("snapshot_date")
        .group_by("credit_code")
        .agg("name", "former_names", "snapshot_date")
    )
    renamed_in_window = 0
    for _, names, former, _ in history.iter_rows():
        if names[0] != names[-1]:
            renamed_in_window += 1
            assert former[-1][-1] == names[0]
        for current, earlier in zip(names, former, strict=True):
            assert current not in earlier
    assert renamed_in_window > 0
    assert registry.filter(pl.col("former_names").list.len() > 1).height > 0


def test_patents_look_like_patents(root: Path, latest: pl.DataFrame) -> None:
    patents = _frame(root, "patents").unique("application_number", keep="last")
    shares = patents["patent_type"].value_counts(normalize=True)
    share = dict(shares.iter_rows())
    assert 0.3 < share["invention"] < 0.55 and 0.4 < share["utility_model"] < 0.6
    assert 0.04 < share["design"] < 0.16
    cited = (
        patents.select(pl.col("cited_applications").alias("cited"), "application_number")
        .explode("cited")
        .drop_nulls()
    )
    forward = cited.group_by("cited").len()["len"].to_numpy()
    assert forward.max() >= 5 * forward.mean()  # heavy-tailed
    truth = pl.read_csv(root / "truth" / "applicant_links.csv", infer_schema=False)
    owner = truth.filter(pl.col("applicant_position") == "0").select(
        "application_number", "credit_code"
    )
    edges = cited.join(owner, on="application_number").join(
        owner.rename({"application_number": "cited", "credit_code": "cited_owner"}), on="cited"
    )
    self_cites = edges.filter(pl.col("credit_code") == pl.col("cited_owner")).height
    assert self_cites > 0
    ipc_by_industry = {ind.code: {sub for sub, _ in ind.ipc} for ind in INDUSTRIES}
    industry = dict(latest.select("credit_code", "industry_code").iter_rows())
    main = patents.join(owner, on="application_number").filter(
        pl.col("credit_code").is_not_null(), pl.col("ipc_codes").list.len() > 0
    )
    fits = [
        ipc[0][:4] in ipc_by_industry[industry[code]]
        for code, ipc in main.select("credit_code", "ipc_codes").iter_rows()
        if industry.get(code)
    ]
    assert sum(fits) / len(fits) > 0.95


def _as_registered(name: str) -> str:
    """A name as a registration authority compares it: the region in front and without
    省/市/县/区, no legal form (嘉兴市恒博塑业股份有限公司 is 嘉兴恒博塑业有限公司)."""
    form = next((f for f in sorted(ORG_FORM_NAMES, key=len, reverse=True) if name.endswith(f)), "")
    body = name.removesuffix(form)
    bracketed = re.fullmatch(r"(.+?)（(.+?)）(.*)", body)
    if bracketed:
        body = bracketed[2] + bracketed[1] + bracketed[3]
    return re.sub(r"^(\w{2,3}?)[省市县区]", r"\1", body, count=1)


def test_lookalikes_are_not_registered_names_written_otherwise() -> None:
    # Ten look-alikes per firm: the 字号 of a small registry collide often (the
    # generator's own share is 5%, too few to meet a collision at test scale).
    firms = build_firms(np.random.default_rng(1), 2000, np.random.default_rng(2))
    lookalikes = _lookalikes(np.random.default_rng(3), firms, 20_000)["name"]
    taken = {_as_registered(n) for n in firms.names_taken}
    assert lookalikes.len() > 15_000
    assert [n for n in lookalikes if _as_registered(n) in taken] == []


def test_a_share_of_firms_file_from_another_street_of_their_place() -> None:
    """Patents do not always give the registered 住所 (an R&D site, a move): entity
    resolution must not learn that the filing address always is the registered one."""
    firms = build_firms(np.random.default_rng(1), 2000, np.random.default_rng(2))
    registered = firms.frame["address"]
    filed = other_sites(np.random.default_rng(3), registered, 0.2)
    moved = (filed != registered).to_numpy()
    assert 0.15 < moved.mean() < 0.25
    # Another street of the same place: the address still opens with the county.
    place, filed_place = address_region_codes(registered), address_region_codes(filed)
    assert place.null_count() == 0
    assert (place == filed_place).all()
