"""The ingest assets and their checks, materialized in-process on a tmp data root."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.ingest import (
    contract_gx_result,
    ingest_assets,
    ingest_checks,
    reconcile_result,
)
from assets.resources import CapscoreResource
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named

GOOD = (
    "credit_code,enterprise_name,fiscal_year,revenue,rd_expense,reported_date\n"
    "91350100M000100Y43,甲科技有限公司,2025,100,10,2026-04-30\n"
)


def run(root: Path, start: str, end: str) -> dg.ExecuteInProcessResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        defs = dg.Definitions(
            assets=ingest_assets,
            asset_checks=ingest_checks,
            jobs=[dg.define_asset_job("ingest", selection=dg.AssetSelection.all())],
            resources={"capscore": CapscoreResource(data_root=str(root))},
        )
        return defs.resolve_job_def("ingest").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={
                "dagster/asset_partition_range_start": start,
                "dagster/asset_partition_range_end": end,
            },
            raise_on_error=False,
        )


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            out[(data.asset_key.to_user_string(), data.check_name)] = data.passed  # type: ignore[union-attr]
    return out


def test_a_range_loads_every_day_and_every_check_runs(tmp_path: Path) -> None:
    day = tmp_path / "landing" / "rd_records" / "2026-11-12"
    day.mkdir(parents=True)
    (day / "a.csv").write_text(GOOD + "91350100M000100Y43,乙,2024,-1,10,2026-04-30\n", "utf-8")
    result = run(tmp_path, "2026-11-11", "2026-11-12")
    assert result.success
    root = DataRoot(tmp_path)
    raw = read_partition(root, table_named("raw.rd_records"), "2026-11-12")
    assert raw is not None and raw["enterprise_name"].to_list() == ["甲科技有限公司"]
    # A day without a drop is written empty, so it counts as loaded.
    for source in ("registry", "patents", "rd_records"):
        empty = read_partition(root, table_named(f"raw.{source}"), "2026-11-11")
        assert empty is not None and empty.is_empty()
        audit = read_partition(root, table_named("quality.load_audit"), source, "2026-11-11")
        assert audit is not None and audit.is_empty()
    quarantine = read_partition(root, table_named("quality.quarantine"), "rd_records", "2026-11-12")
    assert quarantine is not None and quarantine["rule"].to_list() == ["negative_amount"]
    results = checks(result)
    assert len(results) == 9
    assert results[("raw/rd_records", "contract_gx")]
    assert results[("raw/rd_records", "files_reconcile")]
    # Half the rows quarantined: a warning that does not stop the run.
    assert results[("raw/rd_records", "quarantine_rate")] is False
    (materialization,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key.to_user_string() == "raw/rd_records"
        and e.materialization.partition == "2026-11-12"
    ]
    metadata = materialization.metadata
    assert metadata["rows_read"].value == 2 and metadata["rows_quarantined"].value == 1
    assert "a.csv" in str(metadata["rows_per_file"].value)
    assert "negative_amount" in str(metadata["top_quarantine_reasons"].value)


def test_the_blocking_checks_verify_what_was_stored(tmp_path: Path) -> None:
    day = tmp_path / "landing" / "rd_records" / "2026-11-12"
    day.mkdir(parents=True)
    (day / "a.csv").write_text(GOOD, "utf-8")
    assert run(tmp_path, "2026-11-12", "2026-11-12").success
    root, days = DataRoot(tmp_path), [date(2026, 11, 12)]
    assert contract_gx_result(root, "rd_records", days).passed
    assert reconcile_result(root, "rd_records", days).passed
    # A row stored behind the loader's back breaks the contract and the reconciliation.
    raw = read_partition(root, table_named("raw.rd_records"), "2026-11-12")
    assert raw is not None
    tampered = pl.concat([raw, raw.with_columns(pl.lit(-5.0).alias("revenue"))])
    write_partition(root, table_named("raw.rd_records"), tampered, "2026-11-12")
    gx = contract_gx_result(root, "rd_records", days)
    assert not gx.passed and gx.severity == dg.AssetCheckSeverity.ERROR
    assert "negative_amount" in str(gx.metadata["failed_expectations"].value)
    reconciled = reconcile_result(root, "rd_records", days)
    assert not reconciled.passed
    assert "2 raw rows stored, audit says 1 loaded" in str(reconciled.metadata["problems"].value)
    # A day that was never loaded cannot pass either.
    assert not reconcile_result(root, "rd_records", [date(2026, 11, 13)]).passed
