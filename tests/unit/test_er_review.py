"""The review queue worth a reviewer's time: most at stake first, the differing characters named."""

from __future__ import annotations

import polars as pl

from capscore.entity_resolution.model import load_model
from capscore.entity_resolution.resolve import resolve_applicants, review_order, review_queue
from tests.unit.test_er_resolve import ENTERPRISES, HISTORY

LINK = {
    "credit_code": None,
    "match_probability": 0.6,
    "top_candidates": None,
    "explanation": "x",
    "model_version": "er",
    "decision": "review",
}


def _links(rows: list[tuple[str, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {**LINK, "mention_key": k, "applicant": m, "credit_code": c, "match_probability": p}
            for k, m, c, p in rows
        ],
        schema_overrides={"top_candidates": pl.List(pl.String), "credit_code": pl.String},
    )


def test_the_queue_puts_what_is_at_stake_first() -> None:
    applicants = _links(
        [
            ("CN1#0", "甲公司", "A", 0.9),
            ("CN2#0", "乙公司", "B", 0.6),
            ("CN3#0", "丙公司", "C", 0.7),
            ("CN4#0", "丙公司", "C", 0.5),
        ]
    )
    rd = applicants.clear().rename({"applicant": "enterprise_name"})
    stakes = pl.DataFrame(
        {"credit_code": ["A", "B", "C"], "exposure_wan": [0.0, 800.0, 0.0], "patents": [1, 0, 9]}
    )
    queue = review_order(review_queue(applicants, rd, stakes))
    assert queue["mention_key"].to_list() == ["CN2#0", "CN3#0", "CN4#0", "CN1#0"]
    assert queue["priority"].to_list() == [1, 2, 3, 4]
    assert queue.filter(pl.col("mention") == "丙公司")["same_mention_count"].to_list() == [2, 2]
    # Without stakes (no limits built yet) the recurring, then the likelier, come first.
    plain = review_order(review_queue(applicants, rd))
    assert plain["mention_key"].to_list() == ["CN3#0", "CN4#0", "CN1#0", "CN2#0"]


def test_the_explanation_names_the_swapped_characters() -> None:
    # 恒 typed as 桓 (a look-alike) in the registered 海宁恒信光电科技有限公司.
    patents = pl.DataFrame(
        {
            "application_number": ["CN9"],
            "applicants": [["海宁桓信光电科技有限公司"]],
            "applicant_address": [None],
            "ipc_codes": [["H01L33/00"]],
            "application_date": [None],
        },
        schema_overrides={"applicant_address": pl.String, "application_date": pl.Date},
    )
    links = resolve_applicants(patents, ENTERPRISES, HISTORY, None, load_model())
    assert "typed 桓 for 恒" in links["explanation"][0]
