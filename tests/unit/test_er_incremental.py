"""Links kept from an earlier as-of date equal a full re-resolution of the later one."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from capscore.entity_resolution import incremental, reach_keys
from capscore.entity_resolution.candidates import (
    confusable_keys,
    generate_candidates,
    hashed,
    index_registry,
    mention_table,
    name_keys,
)
from capscore.entity_resolution.confusables import variants
from capscore.entity_resolution.incremental import (
    Reuse,
    moved_ipc_classes,
    reaching,
    registry_change,
)
from capscore.entity_resolution.model import MatchModel, load_model
from capscore.entity_resolution.normalize import parse_names_once
from capscore.entity_resolution.reach_keys import KEYS_SCHEMA, NameKeys, _swapped_into, found
from capscore.entity_resolution.registry import prepare_registry, registry_snapshot
from capscore.entity_resolution.resolve import (
    RESULT_COLUMNS,
    carried_applicants,
    carried_rd,
    link_applicants,
    link_rd,
    resolve_applicants,
    resolve_rd,
)
from capscore.entity_resolution.romanized import key_starts, may_read_as, romanized_candidates
from tests.unit.test_er_determinism import ENTERPRISES, HISTORY, PATENTS, RD

# Firms that appear only on the later date: namesakes of earlier firms in a new place.
ARRIVING = ["舟山华泰汽车零部件有限公司", "舟山华泰光电科技有限公司"]
RENAMED_LATER = 3  # ENTERPRISES row renamed on the later date
MOVED_LATER = 20  # ENTERPRISES row whose registered region changes
RECODED_LATER = 40  # ENTERPRISES row whose industry changes


def _later_registry(recoded: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The fixture with firms arriving, one renamed, one moved and (`recoded`) one in
    another industry: the IPC fit of a whole industry division moves with it."""
    codes = ENTERPRISES["credit_code"]
    renamed = pl.col("credit_code") == codes[RENAMED_LATER]
    old_name = ENTERPRISES["name"][RENAMED_LATER]
    arriving = pl.DataFrame(
        {
            "credit_code": [f"91330902MA{n:07d}X" for n in range(len(ARRIVING))],
            "name": ARRIVING,
            "region_code": ["330902"] * len(ARRIVING),
            "industry_code": ["C3670", "C3976"],
            "established_date": [date(2024, 5, 1)] * len(ARRIVING),
        }
    )
    enterprises = pl.concat(
        [
            ENTERPRISES.with_columns(
                pl.when(renamed)
                .then(pl.lit("嘉兴新瑞智能装备有限公司"))
                .otherwise("name")
                .alias("name"),
                pl.when(renamed)
                .then(pl.concat_list(pl.col("former_names").fill_null([]), pl.lit(old_name)))
                .otherwise("former_names")
                .alias("former_names"),
                pl.when(pl.col("credit_code") == codes[MOVED_LATER])
                .then(pl.lit("330281"))
                .otherwise("region_code")
                .alias("region_code"),
                pl.when((pl.col("credit_code") == codes[RECODED_LATER]) & recoded)
                .then(pl.lit("I6510"))
                .otherwise("industry_code")
                .alias("industry_code"),
            ),
            arriving,
        ],
        how="diagonal_relaxed",
    )
    history = pl.concat(
        [
            HISTORY.with_columns(
                pl.when(pl.col("credit_code") == codes[RENAMED_LATER])
                .then(pl.lit(date(2024, 6, 1)))
                .otherwise("valid_to")
                .alias("valid_to")
            ),
            pl.DataFrame(
                {
                    "credit_code": [codes[RENAMED_LATER], *arriving["credit_code"]],
                    "name": ["嘉兴新瑞智能装备有限公司", *ARRIVING],
                    "valid_from": [date(2024, 6, 1)] + [date(2024, 5, 1)] * len(ARRIVING),
                    "valid_to": [None] * (1 + len(ARRIVING)),
                },
                schema=HISTORY.schema,
            ),
        ]
    )
    return enterprises, history


def _later_patents() -> pl.DataFrame:
    """The earlier patents, one with a new address, plus a new patent."""
    moved = PATENTS.with_columns(
        pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit("浙江省宁波市某路1号"))
        .otherwise("applicant_address")
        .alias("applicant_address")
    )
    new = PATENTS.head(1).with_columns(
        pl.lit("CN202499999999.9").alias("application_number"),
        pl.Series("applicants", [["嘉兴华泰汽车零部件有限公司"]]),
    )
    return pl.concat([moved, new])


@pytest.fixture(scope="module")
def model() -> MatchModel:
    return load_model()


@pytest.mark.parametrize("recoded", [False, True])
def test_kept_links_equal_a_full_re_resolution(model: MatchModel, recoded: bool) -> None:
    after_ent, after_hist = _later_registry(recoded)
    earlier = prepare_registry(ENTERPRISES, HISTORY)
    later = prepare_registry(after_ent, after_hist)
    patents = PATENTS.head(PATENTS.height - 5)
    decisions = pl.DataFrame(
        {
            "mention_key": [f"{PATENTS['application_number'][2]}#0"],
            "credit_code": [None],
            "decided_at": [date(2024, 7, 1)],
            "reviewer": ["r1"],
        },
        schema_overrides={"credit_code": pl.String},
    )
    made, carried = link_applicants(patents, earlier, None, model)
    first = made.made
    change = registry_change(earlier.snapshot, later)
    assert change.codes.len() == len(ARRIVING) + 2 + recoded
    kept, carried_later = link_applicants(
        _later_patents(), later, decisions, model, Reuse(carried, change)
    )
    full = resolve_applicants(_later_patents(), after_ent, after_hist, decisions, model)
    assert kept.on(first).equals(full)
    # The changes matter: links of mentions present on both dates moved.
    moved = first.join(full, on=["application_number", "applicant_position"]).filter(
        pl.col("credit_code").ne_missing(pl.col("credit_code_right"))
        | (pl.col("decision") != pl.col("decision_right"))
    )
    assert moved.height > 0
    if not recoded:
        # Some links were kept, not re-resolved: in a fixture this dense (three 字号 in
        # eight places) a change reaches most mentions, and a new industry moves every
        # IPC class's fit.
        assert 0 < carried_later.kept < full.height

    rd_first, rd_carried = link_rd(RD, earlier, None, model)
    rd_kept, _ = link_rd(RD, later, None, model, Reuse(rd_carried, change))
    rd_now = rd_kept.on(rd_first.made)
    assert rd_now.equals(resolve_rd(RD, after_ent, after_hist, None, model))
    assert not rd_first.made.equals(rd_now)


def test_a_date_without_a_registry_change_keeps_what_its_patents_allow(model: MatchModel) -> None:
    # No registry drop between the dates: no firm changed, and only the changed
    # mentions are resolved again.
    registry = prepare_registry(ENTERPRISES, HISTORY)
    first, carried = link_applicants(PATENTS.head(PATENTS.height - 5), registry, None, model)
    change = registry_change(registry.snapshot, registry)
    assert change.codes.len() == 0
    kept, carried_later = link_applicants(
        _later_patents(), registry, None, model, Reuse(carried, change)
    )
    full = resolve_applicants(_later_patents(), ENTERPRISES, HISTORY, None, model)
    assert kept.on(first.made).equals(full)
    assert 0 < carried_later.kept < full.height
    # The links kept are named by their keys alone; the rows made are the others.
    assert kept.keep is not None and kept.keep.height == carried_later.kept
    assert kept.made.height == full.height - carried_later.kept
    # What a later date reads of this one's links is all of them.
    assert_frame_equal(
        carried_later.links.collect().sort("mention_key"),
        full.select(list(RESULT_COLUMNS)).sort("mention_key"),
    )


def test_a_link_row_is_kept_only_when_what_it_shows_is_the_same(model: MatchModel) -> None:
    # The same names written with spaces around them: the same mention (the name is
    # stripped), but the link row shows the applicant as written, and so does a filing
    # re-filed with another fiscal year under the same file and row.
    registry = prepare_registry(ENTERPRISES, HISTORY)
    first, carried = link_applicants(PATENTS, registry, None, model)
    spaced = PATENTS.with_columns(
        pl.col("applicants").list.eval(pl.lit(" ") + pl.element() + pl.lit(" "))
    )
    change = registry_change(registry.snapshot, registry)
    kept, _ = link_applicants(spaced, registry, None, model, Reuse(carried, change))
    full = resolve_applicants(spaced, ENTERPRISES, HISTORY, None, model)
    assert kept.on(first.made).equals(full)
    rd_first, rd_carried = link_rd(RD, registry, None, model)
    refiled = RD.with_columns(pl.col("fiscal_year") - 1)
    rd_kept, _ = link_rd(refiled, registry, None, model, Reuse(rd_carried, change))
    assert rd_kept.on(rd_first.made).equals(resolve_rd(refiled, ENTERPRISES, HISTORY, None, model))


def test_a_name_an_unchanged_firm_bears_reaches_a_new_firm_only_by_its_own_keys() -> None:
    # A firm arrives in the 华泰 字号 block. Mentions written as an unchanged firm's
    # name have an exact hit on both dates, so no block candidates: the arrival cannot
    # change their links. A near-miss of the new firm's name still reaches it.
    arriving = pl.DataFrame(
        {
            "credit_code": ["91330402MA0000001X"],
            "name": ["嘉兴华泰新材料有限公司"],
            "region_code": ["330402"],
            "industry_code": ["C2659"],
            "established_date": [date(2024, 5, 1)],
        }
    )
    enterprises = pl.concat([ENTERPRISES, arriving], how="diagonal_relaxed")
    history = pl.concat(
        [
            HISTORY,
            pl.DataFrame(
                {
                    "credit_code": arriving["credit_code"],
                    "name": arriving["name"],
                    "valid_from": [date(2024, 5, 1)],
                    "valid_to": [None],
                },
                schema=HISTORY.schema,
            ),
        ]
    )
    earlier = prepare_registry(ENTERPRISES, HISTORY)
    change = registry_change(earlier.snapshot, prepare_registry(enterprises, history))
    names = pl.Series(
        "mention_name",
        [
            "嘉兴华泰汽车零部件有限公司",
            "杭州华泰机械有限公司",
            "嘉兴华泰新材料有限公司",
            "嘉兴华秦新材料有限公司",
        ],
    )
    assert sorted(reaching(names, change, NameKeys()).to_list()) == [
        "嘉兴华泰新材料有限公司",
        "嘉兴华秦新材料有限公司",
    ]


def _with_firms(names: list[str], region: str, first: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ENTERPRISES and HISTORY with firms of `names` added in `region`."""
    added = pl.DataFrame(
        {
            "credit_code": [f"91{region}MA{first + n:07d}X" for n in range(len(names))],
            "name": names,
            "region_code": [region] * len(names),
            "industry_code": ["C3670"] * len(names),
            "established_date": [date(2024, 5, 1)] * len(names),
        }
    )
    history = pl.DataFrame(
        {
            "credit_code": added["credit_code"],
            "name": names,
            "valid_from": [date(2024, 5, 1)] * len(names),
            "valid_to": [None] * len(names),
        },
        schema=HISTORY.schema,
    )
    return (
        pl.concat([ENTERPRISES, added], how="diagonal_relaxed"),
        pl.concat([HISTORY, history]),
    )


def test_the_earlier_registry_indexed_around_the_changes_reaches_as_the_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 16 more 华泰 firms fill the 字号 block to its cap (40); one arriving firm pushes
    # it past, so every mention that used the block loses those candidates. The
    # earlier registry is indexed only around the changed firm's keys: it must flip
    # the same blocks and reach the same names as an index of the whole registry.
    words = ["纺织", "化工", "电子", "食品", "服装", "印刷", "建材", "塑料"]
    filler = [f"{city}华泰{word}有限公司" for city in ("丽水", "衢州") for word in words]
    before_ent, before_hist = _with_firms(filler, "331100", 0)
    earlier = prepare_registry(before_ent, before_hist)
    later = prepare_registry(*_with_firms([*filler, "台州华泰家具有限公司"], "331100", 0))
    names = pl.Series(
        "mention_name",
        [
            "嘉兴华泰纺织有限公司",
            "华泰纺织有限公司",
            "丽水华泰纺织有限公司",
            "嘉兴华泰汽车零部件有限公司",
            "台州华泰家俱有限公司",
            "嘉兴新瑞智能装备有限公司",
        ],
    )
    change = registry_change(earlier.snapshot, later)
    reached = reaching(names, change, NameKeys())
    monkeypatch.setattr(incremental, "_holding", lambda names, _: names["credit_code"])
    whole = registry_change(earlier.snapshot, later)
    assert sorted(reached.to_list()) == sorted(reaching(names, whole, NameKeys()).to_list())
    # The flipped block is read on both dates: 华泰 names no firm bears (their other
    # keys reach no changed firm) are reached, also one without a place, which only
    # the earlier date's block (used everywhere) proposes anything.
    assert {"嘉兴华泰纺织有限公司", "华泰纺织有限公司"} <= set(reached.to_list())


def test_what_a_date_carries_is_what_its_inputs_give(model: MatchModel) -> None:
    """Carried state rebuilt from a stored date's inputs equals what resolving it returned."""
    registry = prepare_registry(ENTERPRISES, HISTORY)
    made, carried = link_applicants(PATENTS, registry, None, model)
    links = made.made
    again = carried_applicants(PATENTS, links.lazy(), registry_snapshot(ENTERPRISES, HISTORY))
    assert again.mention_rows.sort("mention_key").equals(carried.mention_rows.sort("mention_key"))
    assert again.links.collect().equals(carried.links.collect())
    by_pair = ["division", "ipc_subclass"]
    assert again.lift.sort(by_pair).equals(carried.lift.sort(by_pair))
    # Every applicant's name with the kind its links carry, what a later date reuses.
    kinds = links.select(
        pl.col("applicant").str.strip_chars().alias("mention_name"), "applicant_kind"
    )
    assert carried.kinds is not None
    assert carried.kinds.sort("mention_name").equals(kinds.unique().sort("mention_name"))
    rd_made, rd_carried = link_rd(RD, registry, None, model)
    rd_again = carried_rd(RD, rd_made.made.lazy(), registry_snapshot(ENTERPRISES, HISTORY))
    assert rd_again.mention_rows.equals(rd_carried.mention_rows)
    assert rd_again.links.collect().equals(rd_carried.links.collect())


def test_a_filer_s_name_stored_masked_changes_nothing_a_later_date_keeps(
    model: MatchModel,
) -> None:
    # Filings under a person's name (the legal representative's, or a 字号 alone, which
    # the applicant-kind rule reads as a person's): one with the code of the firm renamed
    # later, one without a code, one that reaches the arriving 华泰 firms.
    codes = ENTERPRISES["credit_code"]
    persons = pl.DataFrame(
        {
            "_file": ["landing/rd_records/2024-03-01/p.csv"] * 3,
            "_row_number": [1, 2, 3],
            "enterprise_name": ["王小明", "王小明", "华泰"],
            "credit_code": [codes[RENAMED_LATER], None, None],
            "credit_code_valid": [True, False, False],
        }
    ).with_columns(
        pl.lit(2023).alias("fiscal_year"), pl.lit(date(2024, 3, 1)).alias("reported_date")
    )
    rd = pl.concat([RD, persons.select(RD.columns)])
    after_ent, after_hist = _later_registry(recoded=False)
    earlier = prepare_registry(ENTERPRISES, HISTORY)
    later = prepare_registry(after_ent, after_hist)
    made, carried = link_rd(rd, earlier, None, model)
    first = made.made
    stored = first.filter(pl.col("file").str.ends_with("p.csv"))["enterprise_name"]
    assert stored.to_list() == ["王**", "王**", "华*"]
    # The earlier date as a later one reads it back from the lake (its names masked):
    # what it compares is the mentions as filed, the same as the run that made it kept.
    read_back = carried_rd(rd, first.lazy(), registry_snapshot(ENTERPRISES, HISTORY))
    assert read_back.mention_rows.equals(carried.mention_rows)
    change = registry_change(earlier.snapshot, later)
    for reused in (carried, read_back):
        kept, carried_later = link_rd(rd, later, None, model, Reuse(reused, change))
        full = resolve_rd(rd, after_ent, after_hist, None, model)
        assert kept.on(first).equals(full)
        assert 0 < carried_later.kept < full.height


def test_a_link_a_person_decided_is_made_again_once_the_decision_is_withdrawn(
    model: MatchModel,
) -> None:
    # Nothing else changed: the mention, the registry and the lift are the same, so only
    # the earlier link's decided_by tells it must not stand.
    registry = prepare_registry(ENTERPRISES, HISTORY)
    key = f"{PATENTS['application_number'][2]}#0"
    decisions = pl.DataFrame(
        {
            "mention_key": [key],
            "credit_code": [None],
            "decided_at": [date(2024, 7, 1)],
            "reviewer": ["r1"],
        },
        schema_overrides={"credit_code": pl.String},
    )
    first, carried = link_applicants(PATENTS, registry, decisions, model)
    assert first.made.filter(pl.col("mention_key") == key)["decided_by"].to_list() == ["reviewer"]
    change = registry_change(registry.snapshot, registry)
    later, carried_later = link_applicants(PATENTS, registry, None, model, Reuse(carried, change))
    full = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, model)
    assert later.on(first.made).equals(full)
    assert full.filter(pl.col("mention_key") == key)["decided_by"].to_list() == ["model"]
    assert key in later.made["mention_key"].to_list()
    assert 0 < carried_later.kept < full.height


def test_a_mention_is_the_same_only_with_every_attribute_the_same() -> None:
    mentions = pl.DataFrame(
        {
            "mention_key": ["a#0", "b#0", "c#0"],
            "mention_name": ["嘉兴华泰纺织有限公司"] * 3,
            "address": ["嘉兴市南湖区亚太路1号", None, ""],
            "mention_date": [date(2024, 1, 2)] * 3,
        }
    )
    rows = incremental.mention_rows(mentions)
    assert rows.columns == ["mention_key", incremental.MENTION_ROW]
    # A missing address is not an empty one.
    assert rows[incremental.MENTION_ROW].n_unique() == 3
    for column, value in (("address", "嘉兴市南湖区亚太路2号"), ("mention_date", date(2024, 1, 3))):
        moved = mentions.with_columns(
            pl.when(pl.col("mention_key") == "a#0")
            .then(pl.lit(value))
            .otherwise(column)
            .alias(column)
        )
        same = incremental.mention_rows(moved).join(
            rows, on=["mention_key", incremental.MENTION_ROW], how="semi"
        )
        assert same["mention_key"].to_list() == ["b#0", "c#0"]


def test_an_ipc_class_moves_only_when_its_fit_level_does() -> None:
    before = pl.DataFrame(
        {"division": ["C36", "C36", "C39"], "ipc_subclass": ["B60G", "H01L", "H01L"]}
    ).with_columns(pl.Series("ipc_lift", [2.5, 0.1, 0.6]))
    # B60G stays "strong" (2.5 -> 2.4); H01L in C39 drops from "fits" to "weak"; F16B is new.
    after = pl.DataFrame(
        {
            "division": ["C36", "C36", "C39", "C34"],
            "ipc_subclass": ["B60G", "H01L", "H01L", "F16B"],
            "ipc_lift": [2.4, 0.1, 0.4, 1.0],
        }
    )
    assert sorted(moved_ipc_classes(before, after).to_list()) == ["F16B", "H01L"]


def _near_misses(names: list[str]) -> list[str]:
    """Each name with a character dropped, a look-alike swapped in, its region garbled
    and its legal form and region gone: what the fuzzy blocks are for."""
    out = []
    for name in names:
        out.append(name[:3] + name[4:])
        out.append("佳兴" + name[2:] if name.startswith("嘉兴") else "某地" + name)
        out.append(name[2:].removesuffix("有限公司"))
        swaps = variants(list(name[2:6]), list(name + "华秦达大恒"))
        for char, variant in swaps.head(2).iter_rows():
            out.append(name.replace(char, variant, 1))
    return out


def test_the_firms_near_a_change_do_not_depend_on_how_many_keys_are_cut_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    later = prepare_registry(*_later_registry(True))
    change = registry_change(prepare_registry(ENTERPRISES, HISTORY).snapshot, later)
    touched = index_registry(
        change.names,
        change.enterprises.unique("credit_code", keep="last"),
        max_block=incremental.UNLIMITED,
    )
    whole = incremental._holding(later.names, touched).sort()
    monkeypatch.setattr(incremental, "_CUT_AT_A_TIME", 2)
    assert incremental._holding(later.names, touched).sort().equals(whole)
    assert 0 < whole.len() < later.names["credit_code"].n_unique()


@pytest.mark.parametrize("chunk", [reach_keys.FOUND_CHUNK, 7])
def test_the_kept_keys_of_names_reach_what_the_candidate_generator_does(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Names are tested a chunk at a time: the answer does not depend on the chunk.
    monkeypatch.setattr(reach_keys, "FOUND_CHUNK", chunk)
    later = prepare_registry(*_later_registry(True))
    change = registry_change(prepare_registry(ENTERPRISES, HISTORY).snapshot, later)
    changed = later.enterprises.filter(pl.col("credit_code").is_in(change.codes.implode()))
    registered = set(later.names["registry_name"].to_list())
    names = pl.Series(
        "mention_name",
        sorted(
            {
                n
                for n in _near_misses([*changed["name"], *ENTERPRISES["name"].head(30)])
                if n not in registered
            }
        ),
    )
    parsed = parse_names_once(names, change.parsed)
    candidates = generate_candidates(parsed, change.index, max_fuzzy=incremental.UNLIMITED)
    expected = sorted(candidates["mention_name"].unique().to_list())
    keys = NameKeys()
    assert sorted(found(keys.of(names, change.parsed), change.index).to_list()) == expected
    # Both sides found some names and missed others: the comparison means something.
    assert 0 < len(expected) < names.len()
    # Swaps, generated from the changed firms' side, find the keys a swap on the
    # mention's side finds (here the deletion blocks find them too).
    men = name_keys(mention_table(parsed)).filter(pl.col("script") == "cjk")
    by_mention = confusable_keys(men.select("mid", "_key"), change.index.characters).join(
        change.index.keys, on="_key"
    )
    chars = men["_key"].str.split("").explode().unique()
    swapped = men.filter(hashed(pl.col("_key")).is_in(_swapped_into(change.index, chars).implode()))
    assert sorted(set(swapped["mid"])) == sorted(set(by_mention["mid"])) != []
    # A name met before is not derived again: what was kept for it is what is read.
    kept = keys.known.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("keys"))
    again = NameKeys(lambda: kept).of(names.head(3), change.parsed)
    assert again["keys"].list.len().to_list() == [0, 0, 0]
    assert NameKeys(lambda: kept).met().is_empty()
    # Covering the mentions of a run derives the keys of every name no firm bears (as
    # the reach test asks for them) and only those: they are what the run keeps.
    covering = NameKeys()
    with_registered = pl.concat([names, later.names["registry_name"].head(5), pl.Series([None])])
    covering.cover(with_registered, change.parsed)
    assert sorted(covering.met()["mention_name"].to_list()) == names.to_list()
    lists = [c for c, t in KEYS_SCHEMA.items() if isinstance(t, pl.List)]

    def comparable(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.col(lists).list.sort()).sort("mention_name")

    assert comparable(covering.met()).equals(comparable(keys.met()))


def test_only_names_that_may_read_as_a_changed_firm_are_read_in_pinyin() -> None:
    later = prepare_registry(*_later_registry(False))
    change = registry_change(prepare_registry(ENTERPRISES, HISTORY).snapshot, later)
    names = pl.Series(
        [
            "Zhoushan Huatai Optoelectronics Technology Co., Ltd.",
            "ZHOUSHAN HUA-TAI AUTO PARTS",
            "Jiaxing Xinrui Intelligent Equipment Co., Ltd.",
            "Hangzhou Deli Machinery Co., Ltd.",
            "Bosch Automotive Products",
        ]
    )
    nothing = pl.repeat(None, names.len(), dtype=pl.String, eager=True)
    queries = pl.DataFrame(
        {"query": range(names.len()), "mention_name": names, "address_code": nothing}
    ).with_columns(pl.col("query").cast(pl.Int64), pl.lit(None, pl.String).alias("address_street"))
    read = romanized_candidates(queries, change.names, change.enterprises)["query"].unique()
    kept = may_read_as(names, key_starts(change.names))
    # Every name read as a changed firm is kept; a name of no changed firm's sound is not.
    assert read.len() > 0
    assert kept.gather(read).all()
    assert not kept.all()


def test_the_firms_holding_a_changed_firm_s_keys_are_all_found() -> None:
    # One changed firm (core 华泰汽车). Firms whose cores share a 1-deletion key with
    # it, whichever character the deletions cut (its end, the second, the first), hold
    # its block; one that shares nothing does not.
    def parsed(cores: list[str], first: int) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "credit_code": [f"91330400MA{first + n:07d}X" for n in range(len(cores))],
                "registry_name": [f"嘉兴{core}有限公司" for core in cores],
                "name_type": ["current"] * len(cores),
                "script": ["cjk"] * len(cores),
                "core": cores,
                "core_strict": cores,
                "zihao": [f"{core[:2]}{first}" for core in cores],
            }
        )

    changed = parsed(["华泰汽车"], 0)
    regions = changed.select("credit_code", pl.lit("330402").alias("region_code"))
    touched = index_registry(changed, regions, max_block=incremental.UNLIMITED)
    others = parsed(["华泰汽", "华新泰汽车", "新华泰汽车", "金星电器"], 10)
    held = incremental._holding(others, touched)
    assert sorted(held.to_list()) == sorted(others["credit_code"].head(3).to_list())
