"""resolve_applicants / resolve_rd / review_queue, reviewer overrides and evaluation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.entity_resolution.decide import CANDIDATE_STRUCT
from capscore.entity_resolution.evaluation import evaluate_links, pairwise, threshold_tradeoff
from capscore.entity_resolution.model import MatchModel, Thresholds, comparisons
from capscore.entity_resolution.resolve import (
    APPLICANT_LINK_COLUMNS,
    RD_LINK_COLUMNS,
    resolve_applicants,
    resolve_rd,
    review_queue,
)
from capscore.entity_resolution.review import DecisionsError, decisions_as_of, normalize_decisions

ENTERPRISES = pl.DataFrame(
    {
        "credit_code": ["91330402MA2B00001X", "91330100MA2B00003Z", "91330481MA2B00002Y"],
        "name": [
            "嘉兴华泰汽车零部件有限公司",
            "杭州华泰汽车零部件有限公司",
            "海宁恒信光电科技有限公司",
        ],
        "former_names": [["嘉兴华泰机械有限公司"], None, None],
        "english_name": ["Jiaxing Huatai Auto Parts Co., Ltd.", None, None],
        "region_code": ["330402", "330106", "330481"],
        "industry_code": ["C3670", "C3670", "C3976"],
        "established_date": [date(2010, 1, 1), date(2012, 1, 1), date(2015, 1, 1)],
    }
)
HISTORY = pl.DataFrame(
    {
        "credit_code": ENTERPRISES["credit_code"],
        "valid_from": [date(2020, 1, 1)] * 3,
        "valid_to": pl.Series([None] * 3, dtype=pl.Date),
        "name": ENTERPRISES["name"],
    }
)
PATENTS = pl.DataFrame(
    {
        "application_number": ["CN1", "CN2", "CN3", "CN4", "CN5"],
        "applicants": [
            ["嘉兴华泰汽车零部件有限公司", "浙江大学"],
            ["华泰汽车零部件有限公司"],
            ["海宁恒信光电科技有限责任公司"],
            ["嘉兴华泰机械有限公司"],
            ["Jiaxing Huatai Auto Parts Co., Ltd.", "张伟"],
        ],
        "applicant_address": [None, None, "浙江省嘉兴市海宁市恒信路1号", None, None],
        "ipc_codes": [["B60G17/015"], ["B60G17/01"], ["H01L33/00"], None, ["B60G13/00"]],
        "application_date": [date(2021, 1, 1)] * 5,
    }
)
RD = pl.DataFrame(
    {
        "_file": ["landing/rd_records/2024-04-01/a.csv"] * 4,
        "_row_number": [1, 2, 3, 4],
        "enterprise_name": [
            "嘉兴华泰汽车零部件有限公司",
            "海宁恒信光电科技有限公司",
            "海宁恒信光电科技有限公司",
            "无关公司",
        ],
        "fiscal_year": [2023] * 4,
        "credit_code": ["91330402MA2B00001X", None, "91330481MA2B00003Y", "91330402MA2B00009Q"],
        "credit_code_valid": [True, False, False, False],
        "reported_date": [date(2024, 3, 1)] * 4,
    }
)


def _model() -> MatchModel:
    """A hand-set model: identical cores are strong evidence, close rivals weaken it."""
    weights = {c.name: {lv.label: 0.0 for lv in c.levels} for c in comparisons()}
    weights["full_name"].update({"one_edit": -1.0, "two_edits": -2.0, "ge_0.8": -2.0, "else": -7.0})
    weights["trade_name"].update({"core_one_edit": -3.0, "else": -6.0})
    weights["margin"].update({"tie": -1.5, "behind": -3.0})
    weights["region_in_address"].update({"match": 1.0})
    weights["region_in_name"].update({"as_registered": 1.0, "partial": -2.0, "conflict": -3.0})
    return MatchModel("test-1", 5.0, weights, Thresholds(match=0.9, review=0.3, rival=0.3))


def _by_key(links: pl.DataFrame) -> dict[str, dict[str, object]]:
    return {r["mention_key"]: r for r in links.iter_rows(named=True)}


def test_applicant_links() -> None:
    links = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model())
    assert links.columns == APPLICANT_LINK_COLUMNS
    assert links.height == 7
    rows = _by_key(links)
    assert rows["CN1#0"]["credit_code"] == "91330402MA2B00001X"
    assert rows["CN1#0"]["decision"] == "matched"
    assert rows["CN1#0"]["method"] == "exact_name"
    assert (rows["CN1#1"]["applicant_kind"], rows["CN1#1"]["decision"]) == (
        "university",
        "unmatched",
    )
    assert rows["CN1#1"]["credit_code"] is None
    # Region dropped: two firms share 华泰汽车零部件 -> a person decides.
    assert rows["CN2#0"]["decision"] == "review"
    assert "runner-up" in str(rows["CN2#0"]["explanation"])
    assert rows["CN4#0"]["method"] == "former_name"
    assert rows["CN5#0"]["credit_code"] == "91330402MA2B00001X"
    assert rows["CN5#1"]["applicant_kind"] == "individual"
    assert all(links["model_version"] == "test-1")
    assert links["explanation"].null_count() == 0


def test_at_most_one_enterprise_per_mention() -> None:
    links = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model())
    assert links["mention_key"].is_unique().all()


def test_reviewer_decisions_override_the_model() -> None:
    decisions = normalize_decisions(
        _decisions_file(
            mention_key=["CN2#0", "CN1#0", "CN1#1"],
            credit_code=["91330402MA2B00001X", "no match", "91330100MA2B00003Z"],
            decided_at=["2026-11-01"] * 3,
            reviewer=["li"] * 3,
        )
    )
    rows = _by_key(resolve_applicants(PATENTS, ENTERPRISES, HISTORY, decisions, _model()))
    assert (rows["CN2#0"]["decision"], rows["CN2#0"]["credit_code"]) == (
        "matched",
        "91330402MA2B00001X",
    )
    assert rows["CN2#0"]["decided_by"] == "reviewer"
    assert rows["CN2#0"]["method"] == "normalized_name"
    assert rows["CN2#0"]["top_candidates"] is None
    assert (rows["CN1#0"]["decision"], rows["CN1#0"]["credit_code"]) == ("unmatched", None)
    assert str(rows["CN1#0"]["explanation"]).startswith("reviewer decision: no match")
    # Even a mention the model never looked up can be linked by a reviewer.
    assert (rows["CN1#1"]["decision"], rows["CN1#1"]["method"]) == ("matched", "none")


def test_a_decision_naming_an_unregistered_firm_waits_in_review() -> None:
    model_made = _by_key(resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model()))
    unregistered = "91330106MA2ABC0XXX"
    assert unregistered not in ENTERPRISES["credit_code"].to_list()
    decisions = normalize_decisions(
        _decisions_file(
            mention_key=["CN2#0"],
            credit_code=[unregistered],
            decided_at=["2026-11-01"],
            reviewer=["li"],
        )
    )
    row = _by_key(resolve_applicants(PATENTS, ENTERPRISES, HISTORY, decisions, _model()))["CN2#0"]
    model = model_made["CN2#0"]
    # Never a link to a firm that does not exist: the model's link, for a person to see.
    assert (row["decision"], row["decided_by"]) == ("review", "model")
    assert (row["credit_code"], row["match_probability"]) == (
        model["credit_code"],
        model["match_probability"],
    )
    assert str(row["explanation"]).startswith(
        f"reviewer decision names {unregistered}, not in the registry as of this date"
    )


def _decisions_file(**columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def test_decisions_file_is_validated() -> None:
    with pytest.raises(DecisionsError, match="missing"):
        normalize_decisions(_decisions_file(key=["a"], credit_code=["b"]))
    with pytest.raises(DecisionsError, match=r"line 3 .*decided_at '2026-13-01'"):
        normalize_decisions(
            _decisions_file(
                mention_key=["a", "b"],
                credit_code=["x", "y"],
                decided_at=["2026-11-01", "2026-13-01"],
                reviewer=["li", "li"],
            )
        )
    out = normalize_decisions(
        _decisions_file(
            mention_key=[" a ", "a", "b"],
            credit_code=["x1", "No Match", " y "],
            decided_at=["2026-11-01", "2026-11-05", "2026-11-01"],
            reviewer=["li", "wang", "li"],
        )
    )
    assert out.select("mention_key", "credit_code").rows() == [("a", "X1"), ("a", None), ("b", "Y")]


def test_a_decision_applies_from_its_date_and_the_latest_wins() -> None:
    decisions = normalize_decisions(
        _decisions_file(
            mention_key=["a", "a", "b"],
            credit_code=["x1", "no match", "y"],
            decided_at=["2026-11-01", "2026-11-05", "2026-11-10"],
            reviewer=["li", "wang", "li"],
        )
    )
    assert decisions_as_of(decisions, date(2026, 10, 31)) is None
    early = decisions_as_of(decisions, date(2026, 11, 4))
    assert early is not None and early.select("mention_key", "credit_code").rows() == [("a", "X1")]
    late = decisions_as_of(decisions, date(2026, 11, 10))
    assert late is not None
    assert late.select("mention_key", "credit_code").rows() == [("a", None), ("b", "Y")]


def test_rd_links() -> None:
    links = resolve_rd(RD, ENTERPRISES, HISTORY, None, _model())
    assert links.columns == RD_LINK_COLUMNS
    rows = {r["row_number"]: r for r in links.iter_rows(named=True)}
    assert (rows[1]["method"], rows[1]["match_probability"]) == ("credit_code", 1.0)
    assert rows[2]["credit_code"] == "91330481MA2B00002Y"
    assert str(rows[2]["explanation"]).startswith("no credit code filed")
    assert rows[3]["credit_code"] == "91330481MA2B00002Y"
    assert "fails the check digit" in str(rows[3]["explanation"])
    assert "one character away" in str(rows[3]["explanation"])
    assert "position 17" in str(rows[3]["explanation"])
    assert rows[4]["decision"] == "unmatched"
    assert rows[4]["credit_code_as_filed"] == "91330402MA2B00009Q"
    assert links["mention_key"][0] == "landing/rd_records/2024-04-01/a.csv#1"


def test_review_queue_lists_review_decisions_with_candidates() -> None:
    applicants = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model())
    rd = resolve_rd(RD, ENTERPRISES, HISTORY, None, _model())
    queue = review_queue(applicants, rd)
    assert queue["mention_key"].to_list() == ["CN2#0"]
    candidates = queue["top_candidates"].item()
    assert {c["credit_code"] for c in candidates} == {"91330402MA2B00001X", "91330100MA2B00003Z"}


def test_empty_inputs() -> None:
    links = resolve_applicants(PATENTS.clear(), ENTERPRISES, HISTORY, None, _model())
    assert links.height == 0
    assert links.columns == APPLICANT_LINK_COLUMNS


def test_pairwise_metrics() -> None:
    links = pl.DataFrame(
        {
            "mention_key": ["a", "b", "c", "d", "e"],
            "credit_code": ["X", "Y", None, "Z", "Q"],
            "decision": ["matched", "matched", "unmatched", "review", "matched"],
        }
    )
    truth = pl.DataFrame(
        {
            "mention_key": ["a", "b", "c", "d", "e"],
            "credit_code": ["X", "W", "V", "Z", None],
            "noise": ["exact", "typo", "typo", "exact", "lookalike"],
        }
    )
    out = pairwise(links, truth)
    assert (out["predicted"], out["true"], out["correct"]) == (3, 4, 1)
    assert out["precision"] == pytest.approx(1 / 3, abs=1e-6)
    assert out["recall"] == pytest.approx(0.25)
    assert out["false_match_rate"] == 1.0
    assert out["review_share"] == 0.2
    assert {r["noise"]: r["recall"] for r in out["by_noise"]} == {"exact": 0.5, "typo": 0.0}


def test_evaluate_links_reads_truth_files() -> None:
    links = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model())
    truth = pl.DataFrame(
        {
            "application_number": ["CN1", "CN1", "CN2"],
            "applicant_position": ["0", "1", "0"],
            "applicant": ["", "", ""],
            "credit_code": ["91330402MA2B00001X", "", "91330402MA2B00001X"],
            "applicant_kind": ["enterprise", "university", "enterprise"],
            "noise": ["exact", "non_registry", "region_dropped"],
        }
    )
    report = evaluate_links(links, None, truth, None)
    assert report["applicant"]["precision"] == 1.0
    assert report["applicant"]["recall"] == 0.5
    assert report["applicant"]["kind_accuracy"] == 1.0
    assert report["targets"]["applicant_recall"]["met"] is False


def test_threshold_tradeoff_demotes_model_matches_below_the_threshold() -> None:
    links = pl.DataFrame(
        {
            "mention_key": ["a", "b", "c", "d"],
            "credit_code": ["X", "Y", "Z", "W"],
            "decision": ["matched"] * 4,
            "match_probability": [0.99, 0.93, 0.96, 0.92],
            "decided_by": ["model", "model", "model", "reviewer"],
        }
    )
    truth = pl.DataFrame(
        {
            "mention_key": ["a", "b", "c", "d"],
            "credit_code": ["X", "Y", None, "W"],
            "true_kind": ["enterprise"] * 4,
            "noise": ["exact", "typo", "lookalike", "pinyin"],
        }
    )
    rows = {
        r["match_threshold"]: r
        for r in threshold_tradeoff(links, truth, (0.9, 0.95, 0.98)).to_dicts()
    }
    assert rows[0.9]["hard_negative_false_match_rate"] == 1.0
    assert rows[0.9]["recall"] == 1.0
    # 0.95: b (0.93) goes to review; the reviewer's d stays matched.
    assert rows[0.95]["recall"] == round(2 / 3, 6)
    assert rows[0.95]["hard_negative_false_match_rate"] == 1.0
    assert rows[0.98]["hard_negative_false_match_rate"] == 0.0
    assert rows[0.98]["review_share"] == 0.5


PERSON_FILED = pl.DataFrame(
    {
        "_file": ["landing/rd_records/2024-04-01/b.csv"] * 4,
        "_row_number": [1, 2, 3, 4],
        # A filer who wrote a person's name (the legal representative's) where the
        # firm's goes, once with the firm's code and once without one; a firm called
        # like a person; a firm.
        "enterprise_name": ["王小明", "王小明", "王小明科技有限公司", "海宁恒信光电科技有限公司"],
        "fiscal_year": [2023] * 4,
        "credit_code": ["91330402MA2B00001X", None, None, None],
        "credit_code_valid": [True, False, False, False],
        "reported_date": [date(2024, 3, 1)] * 4,
    }
)


def test_a_filing_under_a_person_s_name_is_linked_as_filed_and_stored_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from capscore.entity_resolution import resolve

    links = resolve_rd(PERSON_FILED, ENTERPRISES, HISTORY, None, _model())
    assert links["enterprise_name"].to_list() == [
        "王**",
        "王**",
        "王小明科技有限公司",
        "海宁恒信光电科技有限公司",
    ]
    # The name is masked once linked, never before: every other column is what linking
    # the name as filed gives.
    monkeypatch.setattr(resolve, "mask_individual_names", lambda frame, *_: frame)
    as_filed = resolve_rd(PERSON_FILED, ENTERPRISES, HISTORY, None, _model())
    assert as_filed["enterprise_name"].equals(PERSON_FILED["enterprise_name"])
    assert links.drop("enterprise_name").equals(as_filed.drop("enterprise_name"))
    rows = links.rows_by_key("row_number", named=True, unique=True)
    # By its registered code, the filing links whatever name it was filed under...
    assert (rows[1]["decision"], rows[1]["method"]) == ("matched", "credit_code")
    # ...and by a person's name alone it reaches no firm.
    assert rows[2]["decision"] == "unmatched" and rows[2]["credit_code"] is None
    assert rows[4]["decision"] == "matched"


def test_the_review_queue_counts_filers_names_as_filed_and_shows_a_person_s_masked() -> None:
    def review(key: str, name: str) -> dict[str, object]:
        return {
            "mention_key": key,
            "enterprise_name": name,
            "credit_code": "91330402MA2B00001X",
            "match_probability": 0.5,
            "decision": "review",
            "explanation": "needs review",
            "model_version": "test-1",
            "top_candidates": None,
        }

    # Two persons masked alike (王**) are two texts; one firm filed twice is one.
    filed = pl.DataFrame(
        [
            review("b.csv#1", "王小明"),
            review("b.csv#2", "王大明"),
            review("b.csv#3", "王小明工作室"),
            review("b.csv#4", "王小明工作室"),
        ],
        schema_overrides={"top_candidates": pl.List(CANDIDATE_STRUCT)},
    )
    applicants = resolve_applicants(PATENTS, ENTERPRISES, HISTORY, None, _model())
    queue = review_queue(applicants, filed).filter(pl.col("mention_type") == "rd")
    assert queue["mention"].to_list() == ["王**", "王**", "王小明工作室", "王小明工作室"]
    assert queue["same_mention_count"].to_list() == [1, 1, 2, 2]


def test_the_review_queue_reads_the_filers_names_as_filed(tmp_path: Path) -> None:
    from assets.er_inputs import filed_names
    from capscore.storage import tables
    from capscore.storage.lake import write_partition
    from capscore.storage.paths import DataRoot

    root = DataRoot.resolve(tmp_path)
    raw = PERSON_FILED.with_columns(pl.col("_row_number").cast(pl.Int32))
    write_partition(root, tables.RAW_RD_RECORDS, raw, date(2024, 4, 1))
    links = resolve_rd(PERSON_FILED, ENTERPRISES, HISTORY, None, _model())
    # The links hold the person's name masked; the rows as filed hold it as written.
    filed = filed_names(root, links, date(2024, 4, 1))
    assert filed["enterprise_name"].equals(PERSON_FILED["enterprise_name"])
    assert filed.drop("enterprise_name").equals(links.drop("enterprise_name"))
    # Rows landed after the date are not read (a link of that date has none).
    assert filed_names(root, links, date(2024, 3, 31)).equals(links)
    assert filed_names(root, links.clear(), date(2024, 4, 1)).height == 0
