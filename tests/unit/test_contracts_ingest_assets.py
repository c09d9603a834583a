"""The ingest assets and their checks, materialized in-process on a tmp data root."""

from __future__ import annotations

import hashlib
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
from capscore.storage.lake import read_partition, scan, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.run_plan import plan_run

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


def test_a_rewritten_file_is_reloaded_and_supersedes_its_old_rows(tmp_path: Path) -> None:
    day = tmp_path / "landing" / "rd_records" / "2026-11-12"
    day.mkdir(parents=True)
    (day / "a.csv").write_text(GOOD, "utf-8")
    assert run(tmp_path, "2026-11-12", "2026-11-12").success
    root = DataRoot(tmp_path)
    audit_table = table_named("quality.load_audit")
    first = read_partition(root, audit_table, "rd_records", "2026-11-12")
    assert first is not None
    assert first["sha256"].to_list() == [hashlib.sha256(GOOD.encode()).hexdigest()]
    newer = GOOD.replace("甲科技有限公司", "甲科技股份有限公司")
    (day / "a.csv").write_text(newer, "utf-8")
    assert plan_run(root, date(2026, 11, 12), date(2026, 11, 12)).ingest_dates == [
        date(2026, 11, 12)
    ]
    assert run(tmp_path, "2026-11-12", "2026-11-12").success
    raw = read_partition(root, table_named("raw.rd_records"), "2026-11-12")
    assert raw is not None and raw["enterprise_name"].to_list() == ["甲科技股份有限公司"]
    second = read_partition(root, audit_table, "rd_records", "2026-11-12")
    assert second is not None
    assert second["sha256"].to_list() == [hashlib.sha256(newer.encode()).hexdigest()]
    assert plan_run(root, date(2026, 11, 12), date(2026, 11, 12)).ingest_dates == []


def test_refused_entries_are_audited_and_the_drop_still_reconciles(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "root")
    day = root.landing_partition("rd_records", "2026-11-12")
    day.mkdir(parents=True)
    (day / "a.csv").write_text(GOOD, "utf-8")
    (day / "b.csv.part").write_text("half an upl", "utf-8")
    (day / "nested").mkdir()
    (day / "nested" / "c.csv").write_text(GOOD, "utf-8")
    outside = tmp_path / "outside.csv"
    outside.write_text(GOOD, "utf-8")
    (day / "d.csv").symlink_to(outside)
    bad = root.landing_partition("rd_records", "2026-13-45")
    bad.mkdir()
    (bad / "e.csv").write_text(GOOD, "utf-8")
    result = run(root.root, "2026-11-12", "2026-11-12")
    assert result.success
    assert checks(result)[("raw/rd_records", "files_reconcile")]
    audit = read_partition(root, table_named("quality.load_audit"), "rd_records", "2026-11-12")
    assert audit is not None
    rows = audit.sort("file").select("file", "status", "rows_read").rows()
    base = "landing/rd_records/2026-11-12"
    assert rows == [
        (f"{base}/a.csv", "loaded", 1),
        (f"{base}/d.csv", "rejected", 0),
        (f"{base}/nested", "rejected", 0),
    ]
    assert "outside the data root" in audit.sort("file")["error"][1]
    rejected = read_partition(root, table_named("quality.load_audit"), "rd_records", None)
    assert rejected is not None and rejected["file"].to_list() == ["landing/rd_records/2026-13-45"]
    # The rejected folder's row reads back with a null landing date.
    everything = scan(root, table_named("quality.load_audit")).collect()
    assert everything.filter(pl.col("partition_date").is_null())["file"].to_list() == [
        "landing/rd_records/2026-13-45"
    ]


def test_a_half_uploaded_jsonl_is_loaded_again_whole_once_complete(tmp_path: Path) -> None:
    row = (
        '{"credit_code": "91350100M000100Y43", "enterprise_name": "甲科技有限公司", '
        '"fiscal_year": %d, "revenue": 100, "rd_expense": 10, "reported_date": "2026-04-30"}\n'
    )
    whole = "".join(row % year for year in (2021, 2022, 2023, 2024)).encode()
    path = tmp_path / "landing" / "rd_records" / "2026-11-12" / "a.jsonl"
    path.parent.mkdir(parents=True)
    # Half way through the upload, cut at a line end: the part looks like a whole file.
    path.write_bytes(whole[: len(whole) // 2])
    assert run(tmp_path, "2026-11-12", "2026-11-12").success
    root = DataRoot(tmp_path)
    raw = read_partition(root, table_named("raw.rd_records"), "2026-11-12")
    assert raw is not None and raw["fiscal_year"].to_list() == [2021, 2022]
    path.write_bytes(whole)  # the upload finishes
    day = date(2026, 11, 12)
    assert plan_run(root, day, day).ingest_dates == [day]
    assert run(tmp_path, "2026-11-12", "2026-11-12").success
    raw = read_partition(root, table_named("raw.rd_records"), "2026-11-12")
    assert raw is not None and raw["fiscal_year"].to_list() == [2021, 2022, 2023, 2024]
    quarantine = read_partition(root, table_named("quality.quarantine"), "rd_records", "2026-11-12")
    assert quarantine is not None and quarantine.is_empty()
