"""The whole asset graph on generated data: outputs per outputs.md, point-in-time, backfills."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.common import asset_keys, read_input
from assets.er_inputs import raw_rd_landed_by, registry_as_of
from assets.freshness import as_of_fingerprint, reusable_date
from assets.resolve import earlier_resolution, reusable_links_date
from capscore.entity_resolution.carried_cache import carried_folder, read_carried
from capscore.entity_resolution.incremental import Since
from capscore.entity_resolution.registry import prepare_registry
from capscore.entity_resolution.registry_cache import (
    read_prepared,
    registry_digest,
    registry_folder,
)
from capscore.indicators.citation_cache import read_kept_citations
from capscore.indicators.inputs import APPLICANT_LINK, PATENT
from capscore.indicators.patent_quality import quality_and_cohorts
from capscore.storage import tables
from capscore.storage.lake import read_partition, table_dir
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.runner import execute, prepare_environment
from scoring_models.config import load_scoring_model
from tests.e2e.conftest import (
    FIRM_CALLED_LIKE_A_PERSON,
    PLANTED_FILINGS,
    copy_landing_up_to,
    landing_dates,
    registered_code,
    write_person_filings,
)

pytestmark = pytest.mark.e2e

# outputs.md: relation -> the columns the contract names.
CONTRACT_COLUMNS: dict[str, set[str]] = {
    "quality.load_audit": {
        "source",
        "partition_date",
        "file",
        "format",
        "encoding",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "loaded_at",
    },
    "quality.quarantine": {
        "source",
        "partition_date",
        "file",
        "row_number",
        "column",
        "reason",
        "raw_record",
    },
    "core.enterprise": {
        "credit_code",
        "name",
        "former_names",
        "region_code",
        "industry_code",
        "established_date",
        "status",
    },
    "core.enterprise_history": {"credit_code", "valid_from", "valid_to", "name", "status"},
    "core.patent": {
        "application_number",
        "patent_type",
        "application_date",
        "publication_date",
        "grant_date",
        "legal_status",
        "ipc_codes",
        "claims_count",
        "forward_citations",
    },
    "core.rd_filing": {"credit_code", "fiscal_year", "revenue", "rd_expense"},
    "er.applicant_links": {
        "application_number",
        "applicant_position",
        "applicant",
        "applicant_kind",
        "credit_code",
        "match_probability",
        "method",
        "decision",
        "explanation",
    },
    "er.rd_links": {
        "file",
        "row_number",
        "enterprise_name",
        "fiscal_year",
        "credit_code_as_filed",
        "credit_code",
        "method",
        "match_probability",
        "decision",
        "explanation",
    },
    "er.review_queue": set(),
    "scoring.indicator_value": {
        "credit_code",
        "as_of_date",
        "indicator",
        "dimension",
        "raw_value",
        "score",
        "peer_group",
    },
    "scoring.enterprise_score": {
        "credit_code",
        "as_of_date",
        "innovation",
        "competitiveness",
        "evolution",
        "influence",
        "composite",
        "peer_group",
        "model_version",
        "top_reasons",
    },
    "pool.cultivation_pool": {
        "credit_code",
        "as_of_date",
        "in_pool",
        "eligibility_reason",
        "life_stage",
        "grade",
        "tier",
        "model_version",
    },
    "pool.tier_history": {"credit_code", "valid_from", "valid_to", "tier"},
    "pool.tier_transitions": {"credit_code", "as_of_date", "from_tier", "to_tier", "change"},
    "credit.credit_limit": {
        "credit_code",
        "as_of_date",
        "product",
        "limit_wan",
        "policy_version",
        "binding_constraint",
        "reasons",
    },
}

ER_KEYS = asset_keys([tables.APPLICANT_LINKS, tables.RD_LINKS])

# The as-of outputs a backfill must reproduce exactly.
AS_OF_TABLES = [
    ("core", "enterprise"),
    ("core", "enterprise_history"),
    ("core", "patent"),
    ("core", "rd_filing"),
    ("er", "applicant_links"),
    ("er", "rd_links"),
    ("scoring", "patent_quality"),
    ("scoring", "patent_cohort"),
    ("scoring", "indicator_value"),
    ("scoring", "enterprise_score"),
    ("scoring", "score_reasons"),
    ("pool", "cultivation_pool"),
    ("pool", "tier_transitions"),
    ("credit", "credit_limit"),
    ("er", "review_queue"),
]


def test_warehouse_has_every_contract_table(dirty_root: DataRoot) -> None:
    con = duckdb.connect(str(dirty_root.warehouse), read_only=True)
    try:
        for relation, columns in CONTRACT_COLUMNS.items():
            have = {row[0] for row in con.sql(f"DESCRIBE {relation}").fetchall()}
            assert columns <= have, f"{relation} lacks {sorted(columns - have)}"
        scored = con.execute("SELECT count(*) FROM scoring.enterprise_score").fetchall()[0]
        assert scored is not None and scored[0] > 0
    finally:
        con.close()


def test_the_warehouse_lists_each_relations_dates_as_its_rows_have_them(
    dirty_root: DataRoot,
) -> None:
    # meta.as_of_dates is read off the stored changes; the views apply them to the bases.
    con = duckdb.connect(str(dirty_root.warehouse), read_only=True)
    try:
        views = {
            f"{s}.{n}"
            for s, n in con.sql("SELECT schema_name, view_name FROM duckdb_views()").fetchall()
        }
        listed = con.sql(
            "SELECT relation, list(as_of_date ORDER BY as_of_date) FROM meta.as_of_dates GROUP BY ALL"
        ).fetchall()
        assert {"scoring.enterprise_score", "pool.cultivation_pool", "credit.credit_limit"} <= {
            relation for relation, _ in listed
        }
        for relation, days in listed:
            # A latest-only relation's history is its _asof view.
            view = f"{relation}_asof" if f"{relation}_asof" in views else relation
            have = con.sql(f"SELECT DISTINCT as_of_date FROM {view} ORDER BY 1").fetchall()
            assert days == [row[0] for row in have], relation
        assert len(dict(listed)["scoring.enterprise_score"]) > 1
    finally:
        con.close()


def test_credit_partition_is_readable_by_the_credit_system(dirty_root: DataRoot) -> None:
    import pyarrow.dataset as ds

    from capscore.storage.manifest import verify_partition

    folder = table_dir(dirty_root, tables.CREDIT_EXPORT)
    dataset = ds.dataset(folder, format="parquet", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows > 0
    assert {"credit_code", "product", "limit_wan", "as_of_date"} <= set(table.column_names)
    for partition in folder.glob("as_of_date=*"):
        verify_partition(partition)


def _frame(root: DataRoot, schema: str, table: str, day: date) -> pl.DataFrame:
    frame = read_partition(root, table_named(f"{schema}.{table}"), day.isoformat())
    assert frame is not None, f"{schema}.{table} as of {day} was not written under {root.root}"
    return frame.sort(_flat(frame))


def _flat(frame: pl.DataFrame) -> list[str]:
    return [c for c, t in frame.schema.items() if not t.is_nested()]


def _assert_same_resolution(kept: Since | None, rebuilt: Since | None) -> None:
    assert kept is not None and rebuilt is not None and kept.day == rebuilt.day
    assert kept.registry.enterprises.equals(rebuilt.registry.enterprises)
    assert kept.registry.names.equals(rebuilt.registry.names)
    for ours, theirs in ((kept.applicants, rebuilt.applicants), (kept.rd, rebuilt.rd)):
        assert ours is not None and theirs is not None
        assert ours.mention_rows.sort("mention_key").equals(theirs.mention_rows.sort("mention_key"))
        by_pair = ["division", "ipc_subclass"]
        assert ours.lift.sort(by_pair).equals(theirs.lift.sort(by_pair))
        assert ours.links.collect().equals(theirs.links.collect())


def test_nightly_runs_equal_a_backfill_and_later_drops_change_nothing(
    clean_sample: DataRoot, tmp_path: Path, run_cli: Callable[..., int]
) -> None:
    days = landing_dates(clean_sample)[:3]
    nightly = copy_landing_up_to(clean_sample, tmp_path / "nightly", days[-1])
    # Filings under a person's name, stored masked: a night that keeps the links of the
    # night before reads them back masked, and must still equal the backfill.
    code = registered_code(clean_sample)

    def with_person_filings(root: DataRoot) -> DataRoot:
        drop = sorted((root.landing / "rd_records").iterdir())[0]
        assert date.fromisoformat(drop.name) <= days[0]
        write_person_filings(drop, code, copy=False)
        return root

    with_person_filings(nightly)
    # Each night keeps the links of the night before that its drop cannot change.
    for day in days:
        assert run_cli(["run", "--data-root", str(nightly.root), "--as-of", day.isoformat()]) == 0
    assert reusable_links_date(nightly, days[-1], set(ER_KEYS)) == days[-2]
    # ...and core updates the state of the night before (compared with a backfill below).
    core_tables = [tables.ENTERPRISE, tables.ENTERPRISE_HISTORY, tables.PATENT]
    assert reusable_date(nightly, days[-1], core_tables) == days[-2]
    # ...and the registry the last night prepared (names parsed, index), for the next.
    registry_rows = registry_as_of(nightly, days[-1])
    prepared = read_prepared(registry_folder(nightly), registry_digest(*registry_rows))
    assert prepared is not None
    assert prepared.names.equals(prepare_registry(*registry_rows).names)
    # What the last night read, kept for the next, is what the next would rebuild.
    raw_rd = raw_rd_landed_by(nightly, days[-1])
    next_night = days[-1] + timedelta(days=1)
    kept = earlier_resolution(nightly, next_night, set(ER_KEYS), raw_rd)
    inputs = as_of_fingerprint(nightly, days[-1])
    assert read_carried(carried_folder(nightly), days[-1], inputs, ("names",)) is not None
    shutil.rmtree(carried_folder(nightly))
    rebuilt = earlier_resolution(nightly, next_night, set(ER_KEYS), raw_rd)
    _assert_same_resolution(kept, rebuilt)
    # The last night updated the citation measures the night before kept: the same
    # patent quality as measuring every patent again.
    model = load_scoring_model()
    assert read_kept_citations(nightly, model) is not None
    measured = quality_and_cohorts(
        read_input(nightly, tables.PATENT, days[-1], PATENT),
        read_input(nightly, tables.APPLICANT_LINKS, days[-1], APPLICANT_LINK),
        days[-1],
        model,
    ).quality
    nightly_quality = _frame(nightly, "scoring", "patent_quality", days[-1])
    assert nightly_quality.equals(measured.select(nightly_quality.columns).sort(_flat(measured)))
    # The backfill root also holds every later drop: as of days[-1] they must be invisible.
    # It recomputes every date from scratch.
    backfill = with_person_filings(
        copy_landing_up_to(clean_sample, tmp_path / "backfill", date.max)
    )
    assert (
        run_cli(
            [
                "backfill",
                "--data-root",
                str(backfill.root),
                "--start",
                days[0].isoformat(),
                "--end",
                days[-1].isoformat(),
                "--full",
            ]
        )
        == 0
    )
    for day in days:
        for schema, table in AS_OF_TABLES:
            left = _frame(nightly, schema, table, day)
            right = _frame(backfill, schema, table, day)
            assert left.equals(right), f"{schema}.{table} as of {day} differs"
    planted = _frame(nightly, "er", "rd_links", days[-1]).filter(
        pl.col("file").str.ends_with(PLANTED_FILINGS)
    )
    assert planted["enterprise_name"].to_list() == [
        "王**",
        "王**",
        "L******",
        FIRM_CALLED_LIKE_A_PERSON,
    ]
    # Recomputing on demand gives what the night gave (as of the first day, to keep the
    # suite short: which dates --full rebuilds is tested in test_run_plan).
    full = ["run", "--data-root", str(nightly.root), "--as-of", days[0].isoformat(), "--full"]
    assert run_cli(full) == 0
    for schema, table in AS_OF_TABLES:
        left = _frame(nightly, schema, table, days[0])
        right = _frame(backfill, schema, table, days[0])
        assert left.equals(right), f"{schema}.{table} as of {days[0]} differs after --full"
    # A night without a new drop: the scores barely move (PSI against the night before).
    quiet = days[-1] + timedelta(days=1)
    assert run_cli(["run", "--data-root", str(nightly.root), "--as-of", quiet.isoformat()]) == 0
    validation = read_partition(nightly, tables.VALIDATION, quiet)
    assert validation is not None
    stability = validation.filter(
        (pl.col("section") == "stability") & (pl.col("outcome") == "previous_date")
    )
    assert set(stability["subject"]) >= {"composite", "innovation", "influence"}
    assert stability["value"].null_count() == 0 and (stability["value"] < 0.1).all(), stability
    # A drop landing late for the first day changes what every later date was built
    # from: no earlier date's links may be kept until they are rebuilt.
    late = nightly.landing / "patents" / days[0].isoformat() / "late.csv"
    late.write_text(next((clean_sample.landing / "patents").glob("*/*.csv")).read_text("utf-8"))
    prepare_environment(nightly)
    execute(nightly, "capscore_ingest", days[0], days[0], lambda _: None)
    assert reusable_links_date(nightly, quiet + timedelta(days=1), set(ER_KEYS)) is None
