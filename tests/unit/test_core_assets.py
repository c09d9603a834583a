from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl

from assets.core import core_assets
from assets.partitions import range_tags
from assets.resources import CapscoreResource
from capscore.core.rd_filing import LINK_SCHEMA
from capscore.storage import tables
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from data_contracts.schemas import landed_schema

D = date.fromisoformat
CODE = "91350100M000100Y43"


def landed(root: DataRoot, source: str, rows: list[dict[str, object]], day: str) -> None:
    frame = pl.DataFrame(rows, schema=landed_schema(source)).with_columns(
        pl.lit(D(day)).alias("landing_date")
    )
    write_partition(root, table_named(f"raw.{source}"), frame, day)


def test_core_assets_backfill_a_range_in_one_run(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    base = {
        "credit_code": CODE,
        "status": "存续",
        "region_code": "350100",
        "_file": "f",
        "_row_number": 1,
    }
    landed(
        root,
        "registry",
        [{**base, "name": "旧名有限公司", "snapshot_date": D("2024-01-01")}],
        "2024-01-01",
    )
    landed(
        root,
        "registry",
        [{**base, "name": "新名有限公司", "snapshot_date": D("2024-01-02"), "_file": "g"}],
        "2024-01-02",
    )
    patent = {
        "application_number": "CN202310123456.6",
        "publication_date": D("2024-01-01"),
        "_file": "p",
        "_row_number": 1,
    }
    landed(root, "patents", [patent], "2024-01-01")
    filing = {
        "credit_code": CODE,
        "fiscal_year": 2023,
        "revenue": 10.0,
        "reported_date": D("2024-01-02"),
        "_file": "r",
        "_row_number": 1,
    }
    landed(root, "rd_records", [filing], "2024-01-02")
    link = {
        "file": "r",
        "row_number": 1,
        "credit_code": CODE,
        "method": "credit_code",
        "match_probability": 1.0,
        "decision": "matched",
    }
    for day in ("2024-01-01", "2024-01-02"):
        write_partition(root, tables.RD_LINKS, pl.DataFrame([link], schema=LINK_SCHEMA), day)

    result = dg.materialize(
        core_assets,
        resources={"capscore": CapscoreResource(data_root=str(tmp_path))},
        tags=range_tags("2024-01-01", "2024-01-02"),
    )
    assert result.success

    def part(table: str, day: str) -> pl.DataFrame:
        frame = read_partition(root, table_named(f"core.{table}"), day)
        assert frame is not None
        return frame

    assert part("enterprise", "2024-01-01")["name"].to_list() == ["旧名有限公司"]
    assert part("enterprise", "2024-01-02")["former_names"].to_list() == [["旧名有限公司"]]
    assert part("enterprise_history", "2024-01-02").height == 2
    assert part("patent", "2024-01-02").height == 1
    assert part("rd_filing", "2024-01-01").is_empty()
    assert part("rd_filing", "2024-01-02")["revenue"].to_list() == [10.0]
