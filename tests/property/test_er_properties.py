"""Invariants of name normalization, blocking, decisions and reviewer overrides."""

from __future__ import annotations

import random

import opencc
import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from capscore.entity_resolution.candidates import generate_candidates, index_registry
from capscore.entity_resolution.decide import best_per_enterprise, decide
from capscore.entity_resolution.model import MatchModel, Thresholds, comparisons, load_model
from capscore.entity_resolution.normalize import parse_names
from capscore.entity_resolution.review import apply_decisions, normalize_decisions
from tests.unit.test_er_determinism import APPLICANT_KEY, PATENTS, RD_KEY, resolve_all

# 字号 characters, regions and industry words as names combine them.
TRADE = (
    "华恒信达瑞泰鑫利创宏盛天新金安嘉科联中康源通丰博海远力德隆宇佳兴腾凯捷诚汇明星辰峰锦祥福盈亿"
)
REGIONS = ["", "浙江", "嘉兴", "嘉兴市", "浙江省", "海宁", "杭州", "北京", "广东省深圳市", "宁波"]
INDUSTRY = ["科技", "汽车零部件", "光电科技", "软件技术", "生物医药", "机械", "新材料", "智能装备"]
FORMS = ["有限公司", "有限责任公司", "股份有限公司", "集团有限公司", "厂"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

zihao = st.text(alphabet=TRADE, min_size=2, max_size=4)
names = st.tuples(
    st.sampled_from(REGIONS), zihao, st.sampled_from(INDUSTRY), st.sampled_from(FORMS)
)

_S2T = opencc.OpenCC("s2t")


def _full_width(text: str) -> str:
    return text.replace("(", "（").replace(")", "）")


@FAST
@given(names)
def test_width_script_and_parenthesized_region_keep_a_key(
    parts: tuple[str, str, str, str],
) -> None:
    region, trade, industry, form = parts
    plain = region + trade + industry + form
    variants = [plain, _S2T.convert(plain), " ".join(plain), _full_width(plain)]
    if region:
        short = region.removesuffix("市").removesuffix("省")
        variants.append(_full_width(f"{trade}({short}){industry}{form}"))
    parsed = parse_names(pl.Series(variants))
    keys = [
        {core, strict} for core, strict in zip(parsed["core"], parsed["core_strict"], strict=True)
    ]
    # Every variant shares a lookup key with the name as registered.
    assert all(k & keys[0] for k in keys), (variants, keys)


@FAST
@given(names)
def test_a_peeled_region_leaves_a_two_character_zihao(parts: tuple[str, str, str, str]) -> None:
    row = parse_names(pl.Series(["".join(parts)])).row(0, named=True)
    assert len(row["zihao"]) >= 2
    assert row["core"] == row["zihao"] + row["industry"]
    if row["region"]:
        assert row["region_codes"]


@FAST
@given(names, st.integers(min_value=0, max_value=30), st.sampled_from("龙凤麟"))
# The typo ends a place: 深圳市龙华 is a district, and 科技 alone is no 字号.
@example(("广东省深圳市", "中华", "科技", "有限公司"), 0, "龙")
def test_one_substituted_character_is_always_a_candidate(
    parts: tuple[str, str, str, str], position: int, replacement: str
) -> None:
    registered = "".join(parts)
    registry = parse_names(pl.Series([registered])).rename({"name": "registry_name"})
    core = registry["core"].item()
    if len(core) < 3:
        return
    i = position % len(core)
    typo = registered.replace(core, core[:i] + replacement + core[i + 1 :], 1)
    registry = registry.with_columns(
        pl.lit("C1").alias("credit_code"), pl.lit("current").alias("name_type")
    )
    region = pl.DataFrame({"credit_code": ["C1"], "region_code": ["330402"]})
    found = generate_candidates(parse_names(pl.Series([typo])), index_registry(registry, region))
    assert found["credit_code"].to_list() == ["C1"]


def _model(thresholds: Thresholds) -> MatchModel:
    weights = {c.name: {lv.label: 0.0 for lv in c.levels} for c in comparisons()}
    return MatchModel("p", 0.0, weights, thresholds)


probabilities = st.lists(
    st.tuples(st.sampled_from("abcd"), st.sampled_from("XYZ"), st.floats(0.0, 1.0)),
    min_size=1,
    max_size=12,
    unique_by=lambda t: (t[0], t[1]),
)


@FAST
@given(probabilities, st.floats(0.5, 0.99), st.floats(0.05, 0.5))
def test_decisions_follow_the_thresholds(
    rows: list[tuple[str, str, float]], match: float, review: float
) -> None:
    best = pl.DataFrame(
        rows, schema=["mention_key", "credit_code", "match_probability"], orient="row"
    )
    best = best.with_columns(pl.col("credit_code").alias("enterprise_name"))
    out = decide(best, _model(Thresholds(match=match, review=review, rival=review)))
    assert out["mention_key"].is_unique().all()
    assert set(out["mention_key"]) == set(best["mention_key"])
    for row in out.iter_rows(named=True):
        top = best.filter(pl.col("mention_key") == row["mention_key"])["match_probability"].max()
        assert row["match_probability"] == top
        second = row["second_probability"] or 0.0
        if row["decision"] == "matched":
            assert row["match_probability"] >= match and second < review
        elif row["decision"] == "review":
            assert row["match_probability"] >= review
        else:
            assert row["match_probability"] < review


@FAST
@given(
    st.lists(st.sampled_from(["m1", "m2", "m3", "m4"]), unique=True),
    st.lists(st.sampled_from(["C1", "C2", "no match"]), min_size=4, max_size=4),
)
def test_reviewed_mentions_are_decided_by_the_reviewer(keys: list[str], codes: list[str]) -> None:
    links = pl.DataFrame(
        {
            "mention_key": ["m1", "m2", "m3", "m4"],
            "credit_code": ["C1", None, "C2", None],
            "match_probability": [0.95, 0.1, 0.5, 0.0],
            "method": ["exact_name", "none", "fuzzy", "none"],
            "decision": ["matched", "unmatched", "review", "unmatched"],
            "explanation": ["e"] * 4,
            "top_candidates": pl.Series(
                [None] * 4, dtype=pl.List(pl.Struct({"credit_code": pl.String}))
            ),
            "decided_by": ["model"] * 4,
        }
    )
    decisions = normalize_decisions(
        pl.DataFrame(
            {
                "mention_key": keys,
                "credit_code": codes[: len(keys)],
                "decided_at": ["2026-11-01"] * len(keys),
                "reviewer": ["li"] * len(keys),
            },
            schema=dict.fromkeys(
                ["mention_key", "credit_code", "decided_at", "reviewer"], pl.String
            ),
        )
    )
    enterprises = pl.DataFrame({"credit_code": ["C1", "C2"], "name": ["甲", "乙"]})
    out = apply_decisions(links, None, enterprises, decisions)
    assert out.columns == links.columns
    for before, after in zip(links.iter_rows(named=True), out.iter_rows(named=True), strict=True):
        if before["mention_key"] in keys:
            chosen = codes[keys.index(before["mention_key"])]
            assert after["decided_by"] == "reviewer"
            assert after["decision"] == ("unmatched" if chosen == "no match" else "matched")
            assert after["credit_code"] == (None if chosen == "no match" else chosen)
        else:
            assert after == before


_REFERENCE: dict[str, tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] = {}


# A run costs about 0.3 s plus 0.1 s per chunk, so each example shuffles every input and
# splits the fixture's applicant names into two to five chunks, with boundaries at drawn
# places. tests/unit/test_er_determinism.py runs one split into many small chunks.
_APPLICANT_NAMES = PATENTS["applicants"].explode().n_unique()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 2**31 - 1),
    st.integers(-(-_APPLICANT_NAMES // 5), -(-_APPLICANT_NAMES // 2)),
)
def test_input_row_order_and_chunking_never_change_the_rows(seed: int, chunk_names: int) -> None:
    model = load_model()
    if "ref" not in _REFERENCE:
        _REFERENCE["ref"] = resolve_all(model, seed=None)
    applicants, rd, queue = resolve_all(model, seed, chunk_names)
    reference = _REFERENCE["ref"]
    assert applicants.sort(APPLICANT_KEY).equals(reference[0].sort(APPLICANT_KEY))
    assert rd.sort(RD_KEY).equals(reference[1].sort(RD_KEY))
    assert queue.equals(reference[2])


@FAST
@given(
    st.lists(
        st.tuples(st.sampled_from("ab"), st.sampled_from("UVWXYZ"), st.floats(0.0, 1.0)),
        min_size=1,
        max_size=12,
        unique_by=lambda t: (t[0], t[1]),
    ),
    st.randoms(use_true_random=False),
)
def test_renormalized_probabilities_do_not_depend_on_row_order(
    rows: list[tuple[str, str, float]], rng: random.Random
) -> None:
    scored = pl.DataFrame(
        rows, schema=["mention_key", "credit_code", "match_probability"], orient="row"
    ).with_columns(pl.col("credit_code").alias("registry_name"))
    shuffled = rows[:]
    rng.shuffle(shuffled)
    again = pl.DataFrame(
        shuffled, schema=["mention_key", "credit_code", "match_probability"], orient="row"
    ).with_columns(pl.col("credit_code").alias("registry_name"))
    key = ["mention_key", "credit_code"]
    first = best_per_enterprise(scored).sort(key)
    assert best_per_enterprise(again).sort(key).equals(first)
    # At most one enterprise: the shares of a mention never add up to more than 1.
    assert (
        first.group_by("mention_key").agg(pl.col("match_probability").sum())["match_probability"]
        <= 1.0 + 1e-12
    ).all()
