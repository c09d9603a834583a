"""Updating kept citation measures gives what measuring all patents gives (citations.py).

Small citation graphs, dense enough that most patents cite or are cited by others and
share applicants (self-citations), then a drop's worth of changes of every kind a
patent's measures read: its citations, IPC codes, publication date, resolved
applicants, new patents (some answering citations that matched nothing before) and
patents that are no longer visible.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from capscore.indicators.inputs import APPLICANT_LINK, PATENT, from_records
from capscore.indicators.patent_quality import quality_and_cohorts
from tests.models_v1 import scoring_v1

D = date(2024, 12, 31)
MODEL = scoring_v1()
SUBCLASSES = ["A61K", "B60G", "B60L", "H01M", "H02J", "G06F"]
OWNERS = [f"9100000000000000{i}X" for i in range(10, 15)]
CHANGES = ("cite", "uncite", "ipc", "publish", "owner", "unlink", "new", "invisible")


def number(i: int) -> str:
    return f"CN2020{i:06d}.1"


@st.composite
def patent(draw: Any, i: int, pool: int) -> dict[str, Any]:
    published = D - timedelta(days=draw(st.integers(0, 8 * 365)))
    return {
        "application_number": number(i),
        "patent_type": "invention",
        "application_date": published - timedelta(days=540),
        "publication_date": published,
        "legal_status": "pending",
        "ipc_codes": [f"{s}1/00" for s in draw(st.lists(st.sampled_from(SUBCLASSES), max_size=3))],
        "claims_count": draw(st.integers(1, 20)),
        # Some cite numbers no patent has yet: a new patent may take them.
        "cited_applications": [
            number(j) for j in draw(st.lists(st.integers(0, pool), min_size=1, max_size=4))
        ],
        "pct": False,
    }


def owner_links(i: int, owners: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "application_number": number(i),
            "applicant_position": k,
            "applicant_kind": "enterprise",
            "credit_code": code,
            "decision": "matched",
        }
        for k, code in enumerate(owners)
    ]


@st.composite
def drops(draw: Any) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Patents and links as of D before a drop, and after it."""
    n = draw(st.integers(3, 20))
    pool = n + 3
    patents = [draw(patent(i, pool)) for i in range(n)]
    owners = [draw(st.lists(st.sampled_from(OWNERS), max_size=2, unique=True)) for _ in range(n)]
    before = (patents, owners)
    patents = [{**p, "cited_applications": list(p["cited_applications"])} for p in patents]
    owners = list(owners)
    for kind, i in draw(
        st.lists(st.tuples(st.sampled_from(CHANGES), st.integers(0, n - 1)), min_size=2, max_size=6)
    ):
        row = patents[i]
        if kind == "cite":
            row["cited_applications"] = [
                *row["cited_applications"],
                number(draw(st.integers(0, pool))),
            ]
        elif kind == "uncite" and row["cited_applications"]:
            cited = row["cited_applications"]
            del cited[draw(st.integers(0, len(cited) - 1))]
        elif kind == "ipc":
            row["ipc_codes"] = [f"{draw(st.sampled_from(SUBCLASSES))}9/00"]
        elif kind == "publish":
            row["publication_date"] = D - timedelta(days=draw(st.integers(0, 8 * 365)))
        elif kind == "owner":
            owners[i] = [draw(st.sampled_from(OWNERS))]
        elif kind == "unlink":
            owners[i] = []
        elif kind == "new":
            patents.append(draw(patent(len(patents), pool)))
            owners.append(draw(st.lists(st.sampled_from(OWNERS), max_size=2, unique=True)))
        else:
            row["publication_date"] = D + timedelta(days=1)

    def frames(
        rows: list[dict[str, Any]], who: list[list[str]]
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        links = [link for i, codes in enumerate(who) for link in owner_links(i, codes)]
        return from_records(rows, PATENT), from_records(links, APPLICANT_LINK)

    return (*frames(*before), *frames(patents, owners))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drops())
def test_updating_kept_measures_equals_measuring_all(
    drop: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    patents_then, links_then, patents_now, links_now = drop
    kept = quality_and_cohorts(patents_then, links_then, D, MODEL).kept
    updated = quality_and_cohorts(patents_now, links_now, D, MODEL, kept)
    measured = quality_and_cohorts(patents_now, links_now, D, MODEL)
    assert_frame_equal(updated.quality, measured.quality)
    assert_frame_equal(updated.cohorts, measured.cohorts)
    assert_frame_equal(updated.kept, measured.kept)
    assert updated.remeasured <= measured.remeasured == measured.quality.height


def test_an_unchanged_date_measures_nothing_again() -> None:
    rows = [
        {
            "application_number": number(i),
            "patent_type": "invention",
            "application_date": date(2019, 1, 1),
            "publication_date": date(2020, 1, 1) + timedelta(days=30 * i),
            "legal_status": "pending",
            "ipc_codes": [f"{SUBCLASSES[i % 3]}1/00"],
            "claims_count": 5,
            "cited_applications": [number(i - 1)] if i else [],
            "pct": False,
        }
        for i in range(10)
    ]
    patents = from_records(rows, PATENT)
    links = from_records(owner_links(0, OWNERS[:1]) + owner_links(3, OWNERS[:1]), APPLICANT_LINK)
    first = quality_and_cohorts(patents, links, D, MODEL)
    again = quality_and_cohorts(patents, links, D, MODEL, first.kept)
    assert again.remeasured == 0
    assert_frame_equal(again.quality, first.quality)
    # A chain, each patent citing the one before. Patent 4 cites 8 too: measured again
    # are 4, what it cites (3 and 8) and what cites it (5).
    changed = patents.with_columns(
        pl.when(pl.col("application_number") == number(4))
        .then(pl.lit([number(3), number(8)]))
        .otherwise(pl.col("cited_applications"))
        .alias("cited_applications")
    )
    once = quality_and_cohorts(changed, links, D, MODEL, first.kept)
    assert once.remeasured == 4
    assert_frame_equal(once.quality, quality_and_cohorts(changed, links, D, MODEL).quality)
