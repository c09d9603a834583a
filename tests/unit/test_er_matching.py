"""Candidates, features, the level model and decisions on a small registry."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.entity_resolution.candidates import METHOD_RANK, generate_candidates, index_registry
from capscore.entity_resolution.decide import decide
from capscore.entity_resolution.features import ipc_industry_lift, name_features
from capscore.entity_resolution.model import (
    Comparison,
    Level,
    MatchModel,
    StaleModelError,
    Thresholds,
    comparisons,
    load_model,
    with_levels,
)
from capscore.entity_resolution.normalize import parse_names
from capscore.entity_resolution.places import region_agreement
from capscore.entity_resolution.registry import prepare_registry, registry_snapshot
from capscore.entity_resolution.registry_names import registry_names
from capscore.entity_resolution.resolve import MENTION_SCHEMA, pair_features
from capscore.entity_resolution.training import feature_columns

ENTERPRISES = pl.DataFrame(
    {
        "credit_code": ["C1", "C2", "C3", "C4"],
        "name": [
            "嘉兴华泰汽车零部件有限公司",
            "杭州华泰汽车零部件有限公司",
            "海宁恒信光电科技有限公司",
            "嘉兴瑞达机械有限公司",
        ],
        "former_names": [["嘉兴华泰机械有限公司"], None, None, None],
        "english_name": ["Jiaxing Huatai Auto Parts Co., Ltd.", None, None, None],
        "region_code": ["330402", "330106", "330481", "330411"],
        "industry_code": ["C3670", "C3670", "C3976", "C3484"],
        "established_date": [
            date(2010, 1, 1),
            date(2012, 1, 1),
            date(2015, 1, 1),
            date(2018, 1, 1),
        ],
    }
)
HISTORY = pl.DataFrame(
    {
        "credit_code": ["C1", "C1", "C2", "C3", "C4"],
        "valid_from": [
            date(2020, 1, 1),
            date(2022, 6, 1),
            date(2020, 1, 1),
            date(2020, 1, 1),
            date(2020, 1, 1),
        ],
        "valid_to": [date(2022, 6, 1), None, None, None, None],
        "name": [
            "嘉兴华泰精密机械有限公司",
            "嘉兴华泰汽车零部件有限公司",
            "杭州华泰汽车零部件有限公司",
            "海宁恒信光电科技有限公司",
            "嘉兴瑞达机械有限公司",
        ],
    }
)


def _registry() -> pl.DataFrame:
    names = registry_names(ENTERPRISES, HISTORY)
    parsed = parse_names(names["registry_name"]).rename({"name": "registry_name"})
    return names.join(parsed.unique("registry_name"), on="registry_name")


def _enterprises() -> pl.DataFrame:
    """ENTERPRISES as matching reads them (with the street of their address)."""
    return registry_snapshot(ENTERPRISES, HISTORY).enterprises


def _candidates(mention: str) -> pl.DataFrame:
    parsed = parse_names(pl.Series([mention]))
    return generate_candidates(parsed, index_registry(_registry(), ENTERPRISES))


def test_registry_names_and_validity() -> None:
    names = (
        registry_names(ENTERPRISES, HISTORY)
        .filter(pl.col("credit_code") == "C1")
        .sort("registry_name")
    )
    by_name = {r["registry_name"]: r for r in names.iter_rows(named=True)}
    assert by_name["嘉兴华泰汽车零部件有限公司"]["name_type"] == "current"
    assert by_name["嘉兴华泰汽车零部件有限公司"]["valid_from"] == date(2022, 6, 1)
    # The first version's name was in use before the first snapshot: open start.
    seen = by_name["嘉兴华泰精密机械有限公司"]
    assert (seen["name_type"], seen["valid_from"], seen["valid_to"]) == (
        "former",
        None,
        date(2022, 6, 1),
    )
    # A listed former name ended before the first snapshot.
    listed = by_name["嘉兴华泰机械有限公司"]
    assert (listed["valid_from"], listed["valid_to"]) == (None, date(2020, 1, 1))
    assert by_name["Jiaxing Huatai Auto Parts Co., Ltd."]["name_type"] == "english"


@pytest.mark.parametrize(
    ("mention", "expected"),
    [
        ("嘉兴华泰汽车零部件有限公司", {"C1": "exact_name", "C2": "normalized_name"}),
        ("嘉兴华泰机械有限公司", {"C1": "former_name"}),
        ("Jiaxing Huatai Auto Parts Co., Ltd.", {"C1": "exact_name"}),
        ("华泰（嘉兴）汽车零部件有限责任公司", {"C1": "normalized_name", "C2": "normalized_name"}),
        # 形近字 typo in the 字号: found through the deletion neighbourhood.
        ("嘉兴化泰汽车零部件有限公司", {"C1": "fuzzy", "C2": "fuzzy"}),
        ("海宁恒桓光电科技有限公司", {"C3": "fuzzy"}),
        ("北京完全不同科技有限公司", {}),
    ],
)
def test_candidates(mention: str, expected: dict[str, str]) -> None:
    found = _candidates(mention)
    best = found.sort(pl.col("method").replace_strict(METHOD_RANK)).unique(
        "credit_code", keep="first"
    )
    assert dict(zip(best["credit_code"], best["method"], strict=True)) == expected


def test_oversized_blocks_are_skipped() -> None:
    # 利 for 华: neither sounds nor looks alike, so only the deletion block finds it.
    parsed = parse_names(pl.Series(["嘉兴利泰汽车零部件有限公司"]))

    def found(max_block: int) -> set[str]:
        index = index_registry(_registry(), ENTERPRISES, max_block=max_block)
        return set(generate_candidates(parsed, index)["credit_code"])

    assert found(2) == {"C1", "C2"}
    # Both in one block of two: too big for 1, but C1 lies in the mention's prefecture.
    assert found(1) == {"C1"}
    assert found(0) == set()


def test_confusable_swaps_find_what_oversized_blocks_lose() -> None:
    """化 sounds like 华, 桓 looks like 恒: an exact key with that character swapped back
    finds the firm even when every deletion block is too big to use."""
    index = index_registry(_registry(), ENTERPRISES, max_block=0)
    for mention, code in (("嘉兴化泰汽车零部件有限公司", "C1"), ("海宁桓信光电科技有限公司", "C3")):
        found = generate_candidates(parse_names(pl.Series([mention])), index)
        assert code in set(found["credit_code"]), mention
        assert set(found["method"]) == {"fuzzy"}


def test_substitution_feature() -> None:
    parsed = parse_names(
        pl.Series(
            ["嘉兴化泰汽车零部件有限公司", "海宁桓信光电科技有限公司", "海宁利信光电科技有限公司"]
        )
    )
    registry = _registry()
    candidates = generate_candidates(parsed, index_registry(registry, ENTERPRISES))
    pairs = name_features(candidates, parsed, registry, _enterprises())
    kind = {
        (r["mention_name"], r["credit_code"]): r["substitution"]
        for r in pairs.filter(pl.col("name_type") == "current").iter_rows(named=True)
    }
    assert kind[("嘉兴化泰汽车零部件有限公司", "C1")] == "sound"
    assert kind[("海宁桓信光电科技有限公司", "C3")] == "shape"
    assert kind[("海宁利信光电科技有限公司", "C3")] == "other"


def test_bracketed_region_reads_as_the_same_name() -> None:
    """华泰(嘉兴)… is C1's name with the region in brackets: `reordered`, the closest."""
    parsed = parse_names(pl.Series(["华泰（嘉兴）汽车零部件有限公司"]))
    registry = _registry()
    candidates = generate_candidates(parsed, index_registry(registry, ENTERPRISES))
    pairs = name_features(candidates, parsed, registry, _enterprises()).filter(
        pl.col("name_type") == "current"
    )
    by_code = {r["credit_code"]: r for r in pairs.iter_rows(named=True)}
    assert by_code["C1"]["full_edits"] > 0
    assert by_code["C1"]["ordered_edits"] == 0
    assert by_code["C2"]["ordered_edits"] == 2
    assert by_code["C1"]["margin"] > 0


def test_the_address_tells_near_identical_names_apart() -> None:
    """华泰汽车零部件… (no region) is as close to C1 (嘉兴) as to C2 (杭州): an address in
    杭州 makes C2 the only namesake there and C1 beaten; no address tells nothing."""
    mentions = pl.DataFrame(
        {
            "mention_key": ["m1", "m2"],
            "mention_type": ["applicant", "applicant"],
            "mention_name": ["华泰汽车零部件有限公司"] * 2,
            "mention_date": [date(2024, 1, 1)] * 2,
            "address": ["浙江省杭州市西湖区文三路1号", None],
            "ipc_subclass": ["B60G"] * 2,
            "filed_code": [None, None],
        },
        schema=MENTION_SCHEMA,
    )
    pairs = pair_features(mentions, prepare_registry(ENTERPRISES, HISTORY))
    rank = {
        (r["mention_key"], r["credit_code"]): r["address_rank"]
        for r in pairs.filter(pl.col("name_type") == "current").iter_rows(named=True)
    }
    assert rank[("m1", "C2")] == "only"
    assert rank[("m1", "C1")] == "beaten"
    assert rank[("m2", "C1")] == rank[("m2", "C2")] == "none"


def test_the_registered_street_tells_namesakes_of_one_place_apart() -> None:
    """C1 and C5 are both 华泰汽车零部件 in 南湖: a filing from C1's registered street
    ranks C1 first; another street of 南湖 tells them apart no more than the name, and
    C1's road and number in 杭州 are not C1's street."""
    enterprises = pl.concat(
        [
            ENTERPRISES.with_columns(
                address=pl.when(pl.col("credit_code") == "C1").then(
                    pl.lit("浙江省嘉兴市南湖区南溪路2号")
                )
            ),
            ENTERPRISES.head(1).with_columns(
                credit_code=pl.lit("C5"),
                name=pl.lit("嘉兴市华泰汽车零部件有限公司"),
                former_names=pl.lit(None, dtype=pl.List(pl.String)),
                english_name=pl.lit(None, dtype=pl.String),
                address=pl.lit("浙江省嘉兴市南湖区广益路8号"),
            ),
        ]
    )
    history = pl.concat(
        [
            HISTORY,
            HISTORY.tail(1).with_columns(
                credit_code=pl.lit("C5"), name=pl.lit("嘉兴市华泰汽车零部件有限公司")
            ),
        ]
    )
    mentions = pl.DataFrame(
        {
            "mention_key": ["m1", "m2", "m3"],
            "mention_type": ["applicant"] * 3,
            "mention_name": ["嘉兴华泰汽车零部件有限公司"] * 3,
            "mention_date": [date(2024, 1, 1)] * 3,
            "address": [
                "嘉兴市南湖区 南溪路2号3幢",
                "浙江省嘉兴市南湖区中山路9号",
                "浙江省杭州市西湖区南溪路2号",
            ],
            "ipc_subclass": ["B60G"] * 3,
            "filed_code": [None] * 3,
        },
        schema=MENTION_SCHEMA,
    )
    pairs = pair_features(mentions, prepare_registry(enterprises, history))
    current = pairs.filter(pl.col("name_type") == "current")
    level = {
        (r["mention_key"], r["credit_code"]): (r["street_address"], r["address_rank"])
        for r in current.iter_rows(named=True)
    }
    assert level[("m1", "C1")] == ("same", "only")
    assert level[("m1", "C5")] == ("differs", "beaten")
    assert level[("m2", "C1")] == ("differs", "none")
    assert level[("m2", "C5")] == ("differs", "none")
    # The same road and number in another city is another street.
    assert level[("m3", "C1")][0] == "differs"


def test_name_features() -> None:
    parsed = parse_names(pl.Series(["华泰汽车零部件有限公司", "宁波华泰汽车零部件有限公司"]))
    registry = _registry()
    candidates = generate_candidates(parsed, index_registry(registry, ENTERPRISES))
    pairs = name_features(candidates, parsed, registry, _enterprises())
    current = pairs.filter(pl.col("name_type") == "current").sort("mention_name", "credit_code")
    rows = {(r["mention_name"], r["credit_code"]): r for r in current.iter_rows(named=True)}
    dropped = rows[("华泰汽车零部件有限公司", "C1")]
    assert (dropped["core_edits"], dropped["region_in_name"], dropped["rivals"]) == (0, "none", 1)
    assert dropped["margin"] == 0.0
    other_city = rows[("宁波华泰汽车零部件有限公司", "C1")]
    assert other_city["region_in_name"] == "partial"
    assert other_city["sim_core"] == 1.0


def test_region_agreement() -> None:
    frame = pl.DataFrame(
        {"code": ["330400", "330000", "330481", "320500", None], "ent": ["330402"] * 5}
    )
    out = frame.select(region_agreement(pl.col("code"), pl.col("ent"))).to_series().to_list()
    assert out == [3, 3, 1, 0, None]


def test_ipc_industry_lift_rewards_typical_pairs() -> None:
    anchors = pl.DataFrame(
        {
            "industry_code": ["C3670"] * 30 + ["C3976"] * 30,
            "ipc_subclass": ["B60G"] * 30 + ["H01L"] * 30,
        }
    )
    lift = {
        (r["division"], r["ipc_subclass"]): r["ipc_lift"]
        for r in ipc_industry_lift(anchors).iter_rows(named=True)
    }
    assert lift[("C36", "B60G")] > 0.5
    assert ("C39", "B60G") not in lift


def _model(weights: dict[str, dict[str, float]], intercept: float = -2.0) -> MatchModel:
    full = {c.name: {lv.label: 0.0 for lv in c.levels} for c in comparisons()}
    for name, levels in weights.items():
        full[name].update(levels)
    return MatchModel("test", intercept, full, Thresholds(match=0.9, review=0.3, rival=0.3))


def test_levels_take_the_first_true_condition() -> None:
    comparison = Comparison(
        "sim",
        (
            Level("exact", "", {"s": {"ge": 1.0}}),
            Level("high", "", {"s": {"ge": 0.9}}),
            Level("else", "", None),
        ),
        reference="exact",
    )
    frame = with_levels(pl.DataFrame({"s": [1.0, 0.95, 0.5, None]}), [comparison])
    assert frame["level_sim"].to_list() == [0, 1, 2, 2]


def test_probability_is_the_logistic_of_the_level_weights() -> None:
    model = _model({"full_name": {"else": -5.0}})
    empty = {c: [None, None] for c in feature_columns()}
    frame = with_levels(pl.DataFrame({**empty, "full_edits": [0, 9], "sim_full": [1.0, 0.1]}))
    p = frame.select(model.probability()).to_series().to_list()
    assert p[0] == pytest.approx(1 / (1 + math.exp(2.0)))
    assert p[1] == pytest.approx(1 / (1 + math.exp(7.0)))


def test_model_json_round_trip() -> None:
    model = _model({"full_name": {"else": -5.0}})
    assert MatchModel.from_json(model.to_json()) == model


def test_stale_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    model = _model({})
    path.write_text(model.to_json(), encoding="utf-8")
    with pytest.raises(StaleModelError):
        load_model(path)


def _best(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["mention_key", "credit_code", "match_probability"], orient="row"
    ).with_columns(pl.col("credit_code").alias("enterprise_name"))


def test_decide_thresholds_and_rivals() -> None:
    best = _best(
        [
            ("clear", "A", 0.97),
            ("clear", "B", 0.05),
            ("rival", "A", 0.95),
            ("rival", "B", 0.6),
            ("middle", "A", 0.5),
            ("low", "A", 0.1),
        ]
    )
    out = decide(best, _model({}))
    decisions = dict(zip(out["mention_key"], out["decision"], strict=True))
    assert decisions == {
        "clear": "matched",
        "rival": "review",
        "middle": "review",
        "low": "unmatched",
    }
    chosen = dict(zip(out["mention_key"], out["credit_code"], strict=True))
    assert chosen["rival"] == "A"
    top = out.filter(pl.col("mention_key") == "rival")["top_candidates"].item()
    assert [c["credit_code"] for c in top] == ["A", "B"]
