"""Chinese firms written in pinyin and English (entity_resolution/romanized.py)."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import cast

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capscore.entity_resolution.registry import prepare_registry
from capscore.entity_resolution.resolve import resolve_applicants
from capscore.entity_resolution.romanized import (
    QUERY_SCHEMA,
    decide_romanized,
    parse_mentions,
    pinyin_keys,
    readings,
    registry_keys,
    romanization,
    romanized_candidates,
)
from tests.unit.test_er_resolve import _model

FIRMS = {
    "91330402MA2B00001X": ("嘉兴松禧豪半导体有限公司", "330402"),
    "91330106MA2B00002Y": ("杭州松禧豪服饰有限公司", "330106"),
    "91330402MA2B00003Z": ("嘉兴华信智能装备有限公司", "330402"),
    "91330411MA2B00004A": ("嘉兴华鑫智能装备有限公司", "330411"),
    "91330481MA2B00005B": ("海宁鲁达远东照明科技有限公司", "330481"),
    "91330402MA2B00006C": ("嘉兴永源表面处理有限公司", "330402"),
    "91330402MA2B00007D": ("嘉兴泰华电机集团有限公司", "330402"),
    "91330402MA2B00008E": ("嘉兴泰华汽车零部件有限公司", "330402"),
    # Registered with its city's code, not a county's; a homophone in 平湖.
    "91330400MA2B00009F": ("嘉兴市永胜光电有限公司", "330400"),
    "91330482MA2B00010G": ("平湖永盛光电有限公司", "330482"),
}
ENTERPRISES = pl.DataFrame(
    {
        "credit_code": list(FIRMS),
        "name": [n for n, _ in FIRMS.values()],
        "former_names": pl.Series([None] * len(FIRMS), dtype=pl.List(pl.String)),
        "english_name": pl.Series([None] * len(FIRMS), dtype=pl.String),
        "region_code": [r for _, r in FIRMS.values()],
        "industry_code": ["C3976"] * len(FIRMS),
        "established_date": [date(2015, 1, 1)] * len(FIRMS),
        "address": [
            "浙江省嘉兴市南湖区南溪路2号" if code == "91330402MA2B00003Z" else None
            for code in FIRMS
        ],
    }
)
HISTORY = pl.DataFrame(
    {
        "credit_code": ENTERPRISES["credit_code"],
        "valid_from": [date(2015, 1, 1)] * len(FIRMS),
        "valid_to": pl.Series([None] * len(FIRMS), dtype=pl.Date),
        "name": ENTERPRISES["name"],
    }
)

REGISTRY = prepare_registry(ENTERPRISES, HISTORY)


def _links(
    *applicants: str,
    address: str | None = None,
    enterprises: pl.DataFrame = ENTERPRISES,
    history: pl.DataFrame = HISTORY,
) -> dict[str, dict[str, object]]:
    patents = pl.DataFrame(
        {
            "application_number": [f"PCT{i}" for i in range(len(applicants))],
            "applicants": [[a] for a in applicants],
            "applicant_address": pl.Series([address] * len(applicants), dtype=pl.String),
            "ipc_codes": [["H01L21/00"]] * len(applicants),
            "application_date": [date(2024, 1, 1)] * len(applicants),
        }
    )
    links = resolve_applicants(patents, enterprises, history, None, _model())
    return {r["applicant"]: r for r in links.iter_rows(named=True)}


def test_keys_are_toneless_pinyin_with_polyphones_and_u_for_u_umlaut() -> None:
    assert pinyin_keys("松禧豪") == ("songxihao",)
    assert "changxing" in pinyin_keys("长兴") and "zhangxing" in pinyin_keys("长兴")
    assert pinyin_keys("吕达")[0] == "luda"


@pytest.mark.parametrize(
    "written",
    [
        "JIAXING SONGXIHAO SEMICONDUCTOR CO., LTD.",
        "Jiaxing Songxihao Semiconductor Co., Ltd.",
        "Jiaxing Song Xi Hao Semiconductor Company Limited",
        "Songxihao Semiconductor (Jiaxing) Co., Ltd.",
    ],
)
def test_every_usual_spelling_finds_the_firm(written: str) -> None:
    link = _links(written)[written]
    assert (link["credit_code"], link["decision"]) == ("91330402MA2B00001X", "matched")
    assert link["method"] == "normalized_name"
    assert "'songxihao'" in str(link["explanation"])


def test_region_or_industry_that_disagrees_is_never_linked() -> None:
    # Hangzhou's 松禧豪 makes clothing; Jiaxing's makes semiconductors.
    links = _links(
        "HANGZHOU SONGXIHAO SEMICONDUCTOR CO., LTD.",
        "Songxihao Apparel Co., Ltd.",
        "Ningbo Songxihao Apparel Co., Ltd.",
    )
    assert links["HANGZHOU SONGXIHAO SEMICONDUCTOR CO., LTD."]["decision"] == "unmatched"
    assert links["Songxihao Apparel Co., Ltd."]["credit_code"] == "91330106MA2B00002Y"
    assert links["Ningbo Songxihao Apparel Co., Ltd."]["decision"] == "unmatched"


def test_homophone_firms_that_fit_equally_go_to_review() -> None:
    link = _links("Jiaxing Huaxin Intelligent Equipment Co., Ltd.")[
        "Jiaxing Huaxin Intelligent Equipment Co., Ltd."
    ]
    assert link["decision"] == "review"
    top = cast(list[dict[str, object]], link["top_candidates"])
    candidates = {c["credit_code"] for c in top}
    assert candidates == {"91330402MA2B00003Z", "91330411MA2B00004A"}


def test_the_applicant_address_tells_homophone_firms_apart() -> None:
    written = "Huaxin Intelligent Equipment Co., Ltd."
    link = _links(written, address="浙江省嘉兴市秀洲区洪兴路1号")[written]
    assert (link["credit_code"], link["decision"]) == ("91330411MA2B00004A", "matched")
    assert "region agree" in str(link["explanation"])


def test_the_applicant_address_chooses_among_homophones_the_name_places_alike() -> None:
    """The name says Jiaxing, where both 华信 and 华鑫 lie: the address in 秀洲 is
    华鑫's county only; an address in 南湖 (华信's) picks 华信; one in Hangzhou neither."""
    written = "Jiaxing Huaxin Intelligent Equipment Co., Ltd."
    xiuzhou = _links(written, address="浙江省嘉兴市秀洲区洪兴路1号")[written]
    assert (xiuzhou["credit_code"], xiuzhou["decision"]) == ("91330411MA2B00004A", "matched")
    assert "the applicant address lies in its region, not in those of 1 other" in str(
        xiuzhou["explanation"]
    )
    nanhu = _links(written, address="浙江省嘉兴市南湖区南溪路2号")[written]
    assert (nanhu["credit_code"], nanhu["decision"]) == ("91330402MA2B00003Z", "matched")
    elsewhere = _links(written, address="浙江省杭州市西湖区文三路3号")[written]
    assert elsewhere["decision"] == "review"
    assert "2 firms fit as well" in str(elsewhere["explanation"])


def test_the_registered_street_tells_homophones_of_one_county_apart() -> None:
    """华信 and 华欣 both make equipment in 南湖: an address on 华信's registered street
    picks it; another street of 南湖 leaves both to a person."""
    twin = ENTERPRISES.head(1).with_columns(
        credit_code=pl.lit("91330402MA2B00011H"),
        name=pl.lit("嘉兴华欣智能装备有限公司"),
        region_code=pl.lit("330402"),
        address=pl.lit("浙江省嘉兴市南湖区广益路88号"),
    )
    enterprises = pl.concat([ENTERPRISES, twin])
    history = pl.concat(
        [HISTORY, HISTORY.head(1).with_columns(credit_code=twin["credit_code"], name=twin["name"])]
    )
    written = "Jiaxing Huaxin Intelligent Equipment Co., Ltd."

    def link(address: str) -> dict[str, object]:
        return _links(written, address=address, enterprises=enterprises, history=history)[written]

    at_street = link("浙江省嘉兴市南湖区南溪路2号5幢")
    assert (at_street["credit_code"], at_street["decision"]) == ("91330402MA2B00003Z", "matched")
    assert "the applicant address is its registered street" in str(at_street["explanation"])
    twin_street = link("嘉兴市广益路88号")
    assert (twin_street["credit_code"], twin_street["decision"]) == (
        "91330402MA2B00011H",
        "matched",
    )
    elsewhere = link("浙江省嘉兴市南湖区中山路9号")
    assert elsewhere["decision"] == "review"
    assert "2 firms fit as well" in str(elsewhere["explanation"])


def test_an_address_in_a_county_finds_the_firm_registered_with_its_city() -> None:
    """No place written: the address stands in for it, and a firm registered with the
    city's code (330400) lies in every county of it (南湖, 330402), as region_agreement
    has it; read by code prefix the county's 330402 never met the city's 330400. A firm
    registered in the address's own county (平湖) lies there more surely."""
    written = "YONGSHENG OPTOELECTRONICS CO., LTD."
    nanhu = _links(written, address="浙江省嘉兴市南湖区南溪路2号")[written]
    assert (nanhu["credit_code"], nanhu["decision"]) == ("91330400MA2B00009F", "matched")
    assert "region agree" in str(nanhu["explanation"])
    pinghu = _links(written, address="浙江省嘉兴市平湖市中山大街1412号")[written]
    assert (pinghu["credit_code"], pinghu["decision"]) == ("91330482MA2B00010G", "matched")
    elsewhere = _links(written, address="浙江省杭州市西湖区文三路3号")[written]
    assert elsewhere["decision"] == "unmatched"


def test_the_firm_whose_own_words_are_all_written_fits_best() -> None:
    """ "Motor" translates 电机 and 汽车 alike; "Group" is 集团: 泰华电机集团 leaves none of
    its words unwritten, 泰华汽车零部件 leaves "auto parts" and the group unwritten."""
    written = "Jiaxing Taihua Motor Group Co., Ltd."
    link = _links(written)[written]
    assert (link["credit_code"], link["decision"]) == ("91330402MA2B00007D", "matched")
    parts = "Jiaxing Taihua Auto Parts Co., Ltd."
    link = _links(parts)[parts]
    assert (link["credit_code"], link["decision"]) == ("91330402MA2B00008E", "matched")


def test_a_written_word_the_firm_name_does_not_explain_leaves_it_to_a_person() -> None:
    written = "Jiaxing Songxihao CNC Semiconductor Co., Ltd."
    link = _links(written)[written]
    assert (link["credit_code"], link["decision"]) == ("91330402MA2B00001X", "review")
    assert "1 written word(s) unexplained" in str(link["explanation"])


def test_translated_zihao_words_and_unparsed_industry_words_are_keyed() -> None:
    links = _links(
        "Haining Luda Far East Lighting Technology Co., Ltd.",
        "JIAXING YONGYUAN SURFACE TREATMENT CO., LTD.",
    )
    assert links["Haining Luda Far East Lighting Technology Co., Ltd."]["credit_code"] == (
        "91330481MA2B00005B"
    )
    assert links["JIAXING YONGYUAN SURFACE TREATMENT CO., LTD."]["credit_code"] == (
        "91330402MA2B00006C"
    )


def test_a_foreign_firm_is_not_looked_up() -> None:
    link = _links("Songxihao Semiconductor GmbH")["Songxihao Semiconductor GmbH"]
    assert (link["applicant_kind"], link["decision"]) == ("foreign", "unmatched")


def test_a_place_name_that_is_also_the_zihao_is_read_both_ways() -> None:
    spans = parse_mentions(pl.Series(["Jiaxing Huaxin Co., Ltd."])).spans
    assert {"jiaxing", "huaxin"} <= set(spans["key"])
    assert spans.filter(pl.col("key") == "huaxin")["places"].to_list() == [["jiaxing"]]
    assert spans.filter(pl.col("key") == "jiaxing")["places"].to_list() == [[]]


def test_the_decision_table_covers_every_consistent_level_pair() -> None:
    rules = {(r.region, r.industry) for r in romanization().rules}
    assert rules == {
        (region, industry)
        for region in ("agree", "none")
        for industry in ("agree", "generic", "unknown")
    }
    assert all(0 < r.probability < 1 for r in romanization().rules)


@settings(max_examples=60, deadline=None)
@given(
    upper=st.booleans(),
    spaced=st.booleans(),
    with_region=st.booleans(),
    form=st.sampled_from(["Co., Ltd.", "Company Limited", "Co.,Ltd", "Limited"]),
)
def test_case_spacing_and_legal_form_never_change_the_link(
    upper: bool, spaced: bool, with_region: bool, form: str
) -> None:
    zihao = "Song Xi Hao" if spaced else "Songxihao"
    text = f"{'Jiaxing ' if with_region else ''}{zihao} Semiconductor {form}"
    text = text.upper() if upper else text
    queries = pl.DataFrame(
        {"query": [0], "mention_name": [text], "address_code": [None], "address_street": [None]},
        schema=QUERY_SCHEMA,
    )
    registry = REGISTRY
    candidates = romanized_candidates(queries, registry.names, registry.enterprises)
    decided = decide_romanized(
        candidates, registry.enterprises, registry.names.select("registry_name", "zihao")
    )
    assert decided.select("credit_code", "decision").rows() == [("91330402MA2B00001X", "matched")]


def test_a_near_match_on_an_english_name_is_doubted_when_a_homophone_fits_as_well() -> None:
    english = ENTERPRISES.with_columns(
        pl.when(pl.col("credit_code") == "91330402MA2B00003Z")
        .then(pl.lit("Jiaxing Huaxin Intelligent Equipment Co., Ltd."))
        .otherwise(pl.col("english_name"))
        .alias("english_name")
    )
    written = [
        "Jiaxing Huaxin Intelligent Equipment Co., Ltd.",
        "JIAXING HUAXIN INTELLIGENT EQUIPMENT GROUP CO LTD",
    ]
    patents = pl.DataFrame(
        {
            "application_number": ["PCT0", "PCT1"],
            "applicants": [[w] for w in written],
            "applicant_address": pl.Series([None, None], dtype=pl.String),
            "ipc_codes": [["B25J9/00"]] * 2,
            "application_date": [date(2024, 1, 1)] * 2,
        }
    )
    links = resolve_applicants(patents, english, HISTORY, None, _model())
    rows = {r["applicant"]: r for r in links.iter_rows(named=True)}
    exact = rows[written[0]]
    assert (exact["credit_code"], exact["decision"], exact["method"]) == (
        "91330402MA2B00003Z",
        "matched",
        "exact_name",
    )
    near = rows[written[1]]
    assert near["decision"] == "review", near["explanation"]
    top = cast(list[dict[str, object]], near["top_candidates"])
    assert {c["credit_code"] for c in top} == {"91330402MA2B00003Z", "91330411MA2B00004A"}
    assert "reads the same" in str(near["explanation"])


def _spelled_one_by_one(zihao: str, industry: str) -> set[tuple[str, str, str]]:
    """(key, tail, dropped) of one 字号 as romanized.py's docstrings define them,
    spelled name by name: the reference the vectorised registry_keys must equal."""
    voc = romanization()
    trailing = re.compile("(?:" + "|".join(map(re.escape, voc.zihao_words)) + ")$")
    stems = [(zihao, industry, "")]
    for k in range(2, len(zihao)):
        if (zihao[k:] + industry).startswith(tuple(voc.industry)):
            stems.append((zihao[:k], zihao[k:] + industry, ""))
            break
    for text, tail, _ in list(stems):
        stem = trailing.sub("", text)
        if stem != text and len(stem) >= 2:
            stems.append((stem, text[len(stem) :] + tail, text[len(stem) :]))
    return {(key, tail, dropped) for text, tail, dropped in stems for key in pinyin_keys(text)}


# Polyphones (长 重 行 乐), a character without a reading (X), words English
# translates (远东 国际) and industry words the parse can leave in a 字号 (表面处理 科技).
_PIECES = [
    "长",
    "重",
    "行",
    "乐",
    "松",
    "禧",
    "豪",
    "鲁",
    "达",
    "X",
    "远东",
    "国际",
    "表面处理",
    "科技",
]


@settings(max_examples=80, deadline=None)
@given(
    firms=st.lists(
        st.tuples(
            st.lists(st.sampled_from(_PIECES), min_size=2, max_size=5).map("".join),
            st.sampled_from(["", "科技", "照明科技"]),
        ),
        min_size=1,
        max_size=12,
    ),
    kept=st.integers(0, 2**32),
)
def test_registry_keys_spell_every_stem_as_the_name_by_name_definition(
    firms: list[tuple[str, str]], kept: int
) -> None:
    reference = {
        (f"91{i:016d}", zihao, industry, key, tail, dropped)
        for i, (zihao, industry) in enumerate(firms)
        for key, tail, dropped in _spelled_one_by_one(zihao, industry)
    }
    # Any reading of any start of a 字号 may be wanted (also those past MAX_KEYS).
    spellable = sorted(
        "".join(choice)
        for zihao, _ in firms
        for end in range(2, len(zihao) + 1)
        for choice in itertools.product(*(readings(c) for c in zihao[:end]))
    )
    wanted = {k for i, k in enumerate(spellable) if kept >> (i % 32) & 1} | {"zzzzzz"}
    names = pl.DataFrame(
        {
            "credit_code": [f"91{i:016d}" for i in range(len(firms))],
            "registry_name": [f"{z}{ind}有限公司" for z, ind in firms],
            "script": ["cjk"] * len(firms),
            "zihao": [z for z, _ in firms],
            "industry": [ind for _, ind in firms],
            "group": [False] * len(firms),
        }
    )
    keys = registry_keys(names, wanted)
    assert set(keys.select("credit_code", "key", "tail", "dropped").iter_rows()) == {
        (code, key, tail, dropped) for code, _, _, key, tail, dropped in reference if key in wanted
    }
