"""`capscore generate`: realistic landing drops and the ground truth behind them.

The same (enterprises, seed, dirty, history_years, evidence_noise) always
gives byte-identical files: every random draw comes from a named stream
derived from the seed, dates are fixed constants, and the writers add no
timestamps. `--dirty` only adds rows and files (from its own stream), so the
clean records and their truth are the same with or without it.

The firms and their hidden capability depend on (enterprises, seed) only;
evidence_noise sets how noisily patents and R&D filings reflect capability
(`capability`), and HNTE certificates and SRDI levels are granted on those
records (`certification`), so they move with it too. history_years only
changes which drops land: the truth (truth/enterprise_capability.parquet)
is the same for every history_years and with or without --dirty.

The model is built in `simulate` (firms, owners, patents, R&D filings, then
certification on the realized records); `generate` plans and writes it.
"""

from __future__ import annotations

import json
import math
import shutil
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from capscore.sample_data.calendar import Calendar, build_calendar
from capscore.sample_data.certification import certify
from capscore.sample_data.dirty import BAD_ROW_COLUMNS, Injected, inject
from capscore.sample_data.enterprises import Firms, build_firms
from capscore.sample_data.events import HNTE_MAX, NEVER
from capscore.sample_data.owners import Owners, build_owners
from capscore.sample_data.patents import Patents, build_patents
from capscore.sample_data.plan import PlannedFile, plan_patents, plan_rd, plan_registry
from capscore.sample_data.rd import build_rd
from capscore.sample_data.writers import write, write_file
from capscore.storage.paths import DataRoot
from capscore.storage.tables import SOURCES


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _clean_positions(total: int, injected: list[int]) -> np.ndarray:
    """0-based rows of a file that hold clean records, in order."""
    return np.setdiff1d(np.arange(total), np.array(injected, dtype=np.int64), assume_unique=True)


@dataclass(frozen=True)
class World:
    """Everything `generate` lands, before it is planned into files."""

    calendar: Calendar
    firms: Firms
    owners: Owners
    patents: Patents
    rd: pl.DataFrame


def simulate(
    enterprises: int,
    seed: int,
    progress: Callable[[str], None] | None = None,
    *,
    history_years: int = 0,
    evidence_noise: float = 1.0,
) -> World:
    """The firms and their records: registry, patents, R&D filings, then certification."""
    calendar = build_calendar(history_years)
    say = progress or (lambda _msg: None)
    firms = build_firms(
        _rng(seed, "registry"),
        enterprises,
        _rng(seed, "events"),
        _rng(seed, "evidence"),
        evidence_noise,
    )
    snapshots = len(calendar.drops["registry"])
    say(f"registry: {firms.frame.height:,} enterprises, {snapshots} snapshots")
    owners = build_owners(_rng(seed, "owners"), firms)
    patents = build_patents(_rng(seed, "patents"), firms, owners, calendar.days("patents"))
    say(f"patents: {patents.info.height:,} applications, {patents.drops.height:,} records")
    ent = patents.info.filter(pl.col("ent") >= 0)["ent"].to_numpy()
    rd = build_rd(
        _rng(seed, "rd"),
        firms,
        owners,
        np.bincount(ent, minlength=firms.frame.height),
        calendar.days("rd_records"),
    )
    say(f"rd_records: {rd.height:,} filings")
    # Certificates and SRDI levels are granted on the records as they stood at each batch.
    firms = certify(_rng(seed, "certification"), firms, patents.info, rd)
    return World(calendar, firms, owners, patents, rd)


def generate(
    root: Path,
    enterprises: int,
    seed: int,
    dirty: bool = False,
    progress: Callable[[str], None] | None = None,
    *,
    history_years: int = 0,
    evidence_noise: float = 1.0,
) -> dict[str, Any]:
    """Write `root/landing/<source>/<YYYY-MM-DD>/*` and `root/truth/*`; return a summary.

    `history_years` N > 0 lands N years of monthly drops (quarterly registry
    snapshots) before the two-week window; `evidence_noise` scales the noise
    of the evidence against capability (1.0: the default mix).
    Existing `landing/` and `truth/` folders under `root` are replaced.
    """
    if enterprises < 1:
        raise ValueError(f"enterprises must be at least 1, got {enterprises}")
    if not (math.isfinite(evidence_noise) and evidence_noise >= 0):
        raise ValueError(f"evidence_noise must be a finite number >= 0, got {evidence_noise}")
    say = progress or (lambda _msg: None)
    data_root = DataRoot(Path(root).expanduser().resolve())

    world = simulate(
        enterprises,
        seed,
        say,
        history_years=history_years,
        evidence_noise=evidence_noise,
    )
    calendar, firms, patents, rd = world.calendar, world.firms, world.patents, world.rd

    planned = (
        plan_registry(_rng(seed, "plan-registry"), firms, calendar)
        + plan_patents(_rng(seed, "plan-patents"), patents, calendar)
        + plan_rd(_rng(seed, "plan-rd"), rd, calendar)
    )
    injected = inject(_rng(seed, "dirty"), planned, firms) if dirty else Injected()
    if dirty:
        say(f"dirty: {len(injected.bad_rows):,} bad rows and files injected")

    for folder in (data_root.landing, data_root.truth):
        if folder.exists():
            shutil.rmtree(folder)
    manifest_files = _write_landing(data_root, planned, injected)
    say(f"wrote {len(manifest_files)} landing files under {data_root.landing}")

    rd_links = _rd_links(planned, injected)
    truth = data_root.truth
    truth.mkdir(parents=True, exist_ok=True)
    patents.mentions.select(
        "application_number",
        "applicant_position",
        "applicant",
        "credit_code",
        "applicant_kind",
        "noise",
    ).sort(["application_number", "applicant_position"]).write_csv(truth / "applicant_links.csv")
    rd_links.write_csv(truth / "rd_links.csv")
    capability_truth(firms).write_parquet(truth / "enterprise_capability.parquet")
    if dirty:
        _bad_rows_frame(injected).write_csv(truth / "bad_rows.csv")

    rows = {s: sum(f["rows"] for f in manifest_files if f["source"] == s) for s in SOURCES}
    manifest = {
        "seed": seed,
        "enterprises": enterprises,
        "dirty": dirty,
        "history_years": history_years,
        "evidence_noise": evidence_noise,
        "landing_dates": {s: [d.isoformat() for d in calendar.dates(s)] for s in SOURCES},
        "rows": rows,
        "records": {
            "registry_enterprises": firms.frame.height,
            "patent_applications": patents.info.height,
            "applicant_mentions": patents.mentions.height,
            "rd_filings": rd.height,
            "bad_rows": len(injected.bad_rows),
        },
        "files": manifest_files,
    }
    (truth / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    days = calendar.landing_dates
    return {
        "landing_dates": f"{days[0]} .. {days[-1]} ({len(days)} days)",
        "files": {s: sum(1 for f in manifest_files if f["source"] == s) for s in SOURCES},
        "rows": rows,
        "records": manifest["records"],
        "truth": str(truth),
    }


def _day_column(name: str, days: pl.Expr) -> pl.Expr:
    return pl.when(days < NEVER).then(days).cast(pl.Int32).cast(pl.Date).alias(name)


def capability_truth(firms: Firms) -> pl.DataFrame:
    """truth/enterprise_capability.parquet: each registry firm's capability and outcomes.

    hnte_granted_dates: issue dates of its HNTE certificates (ascending, empty
    if none); srdi_granted_date / srdi_national_date: the day it became SRDI
    provincial / national; srdi_level: the highest level granted by the end
    date; deregistered_date: 注销 or 吊销 (deregistered_status), null if it
    survives; revenue_growth: the yearly revenue growth behind its filings.
    Events are as of the end date (2026-11-20); each shows in the registry
    extracts from its day on.
    """
    issues = [f"hnte_{k + 1}" for k in range(HNTE_MAX)]
    dereg = pl.col("dereg_day") < NEVER
    return firms.frame.select(
        "credit_code",
        pl.col("capability").cast(pl.Float64),
        pl.col("established").cast(pl.Int32).cast(pl.Date).alias("established_date"),
        pl.concat_list(issues)
        .list.eval(pl.element().filter(pl.element() < NEVER).cast(pl.Int32).cast(pl.Date))
        .alias("hnte_granted_dates"),
        _day_column("srdi_granted_date", pl.col("provincial_day")),
        _day_column("srdi_national_date", pl.col("national_day")),
        pl.when(pl.col("national_day") < NEVER)
        .then(pl.lit("national"))
        .when(pl.col("provincial_day") < NEVER)
        .then(pl.lit("provincial"))
        .otherwise(pl.lit("none"))
        .alias("srdi_level"),
        _day_column("deregistered_date", pl.col("dereg_day")),
        pl.when(dereg).then(pl.col("closed_status")).alias("deregistered_status"),
        pl.col("growth").cast(pl.Float64).alias("revenue_growth"),
    ).sort("credit_code")


def _write_landing(
    data_root: DataRoot, planned: list[PlannedFile], injected: Injected
) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = []
    for pf in planned:
        visible = [c for c in pf.frame.columns if not c.startswith("_")]
        injections = injected.rows.get(pf.relative, [])
        write_file(data_root.root / pf.relative, pf.frame.select(visible), pf.spec, injections)
        files.append(
            {
                "file": pf.relative,
                "source": pf.source,
                "partition_date": pf.partition.isoformat(),
                "format": pf.spec.fmt,
                "encoding": pf.spec.encoding if pf.spec.fmt.startswith("csv") else None,
                "rows": pf.frame.height + len(injections),
                "injected_rows": len(injections),
            }
        )
    for source, relative, day, data in injected.files:
        write(data_root.root / relative, data)
        files.append(
            {
                "file": relative,
                "source": source,
                "partition_date": day.isoformat(),
                "format": relative.split("/")[-1].split(".", 1)[1],
                "encoding": None,
                "rows": 0,
                "injected_rows": 0,
            }
        )
    return sorted(files, key=lambda f: (f["source"], f["partition_date"], f["file"]))


def _rd_links(planned: list[PlannedFile], injected: Injected) -> pl.DataFrame:
    """file, row_number of every clean R&D row with its true enterprise and the noise applied."""
    parts = []
    for pf in planned:
        if pf.source != "rd_records":
            continue
        bad = [i.position for i in injected.rows.get(pf.relative, [])]
        rows = _clean_positions(pf.frame.height + len(bad), bad) + 1
        parts.append(
            pf.frame.select(
                pl.lit(pf.relative).alias("file"),
                pl.Series("row_number", rows, dtype=pl.Int64),
                pl.col("_true_code").alias("credit_code"),
                pl.col("_code_noise").alias("code_noise"),
                pl.col("_name_noise").alias("name_noise"),
            )
        )
    if not parts:  # a tiny sample may have no R&D filing at all
        schema = {"file": pl.String(), "row_number": pl.Int64()}
        schema |= {c: pl.String() for c in ("credit_code", "code_noise", "name_noise")}
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).sort(["file", "row_number"])


def _bad_rows_frame(injected: Injected) -> pl.DataFrame:
    rows = [
        {
            "source": b.source,
            "partition_date": b.partition_date,
            "file": b.file,
            "row_number": b.row_number,
            "column": b.column,
            "rule": b.rule,
            "detail": b.detail,
        }
        for b in injected.bad_rows
    ]
    schema = {c: pl.String() for c in BAD_ROW_COLUMNS} | {"row_number": pl.Int64()}
    return pl.DataFrame(rows, schema=schema).sort(
        ["source", "partition_date", "file", "row_number"], nulls_last=False
    )
