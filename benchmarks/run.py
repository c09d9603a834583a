"""`make bench`: time and peak memory of every stage on the large generated sample.

Each stage runs in its own process through the real Dagster jobs (the same
code path as `capscore run`); wall time and peak RSS come from `os.wait4`.
Results are printed as a markdown table and saved under benchmarks/results/.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from benchmarks import er_probe
from benchmarks.stage import STAGE_GROUPS
from capscore.storage import changes, tables
from capscore.storage.lake import base_ids, partition_bytes, table_dir
from capscore.storage.paths import DataRoot
from pipelines.er_commands import eval_er
from pipelines.run_plan import landing_files

RESULTS = Path(__file__).parent / "results"
PROBE_NAMES_PER_KIND, PROBE_SEED = 3000, 5
TRUTH_ASIDE = "truth.aside"


def timed(command: list[str], what: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in GB) of one process running `python <command>`."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *command])
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark {what} failed")
    return elapsed, usage.ru_maxrss / 1024 / 1024


@contextmanager
def without_truth(root: DataRoot) -> Iterator[None]:
    """The generator's truth/ out of the root while stages are timed, as in production:
    with it there, the ER step evaluates its links and validation compares the scores
    with the hidden capability, work no production night does."""
    aside = root.root / TRUTH_ASIDE
    root.truth.rename(aside)
    try:
        yield
    finally:
        aside.rename(root.truth)


def run_stage(stage: str, extra: list[str]) -> tuple[float, float]:
    return timed(["-m", "benchmarks.stage", stage, *extra], f"stage {stage}")


def as_of_disk(root: DataRoot, day: date) -> dict[str, int]:
    """What one as-of date costs on disk, in bytes per table: the live files of every
    as-of table's partition for `day` and of the base snapshots taken on `day` (before
    retention), plus the credit export."""
    as_of = [t for t in tables.LAKE_TABLES if t.partition_keys == (tables.AS_OF_DATE,)]
    sizes = {
        str(table): partition_bytes(root, table, day)
        + sum(
            partition_bytes(root, table.bases, base)
            for base in (base_ids(root, table) if table.keys else [])
            if changes.base_date(base) == day
        )
        for table in as_of
    }
    export = table_dir(root, tables.CREDIT_EXPORT) / f"{tables.AS_OF_DATE}={day.isoformat()}"
    # The export's Parquet file is a hard link to the Delta table's (counted there).
    sizes["credit export"] = sum(
        path.stat().st_size
        for path in export.glob("*")
        if path.is_file() and path.stat().st_nlink == 1
    )
    return sizes


def _disk_line(label: str, sizes: dict[str, int]) -> str:
    parts = ", ".join(
        f"{name} {size / 1024**2:.1f}" for name, size in sorted(sizes.items(), key=lambda x: -x[1])
    )
    return f"{label}: {sum(sizes.values()) / 1024**3:.3f} GB (MB: {parts})"


def main() -> None:
    enterprises = int(os.environ.get("BENCH_ENTERPRISES", "1000000"))
    root = DataRoot.resolve(os.environ.get("BENCH_ROOT", f"bench_data/{enterprises}"))
    base = ["--data-root", str(root.root)]
    rows: list[dict[str, object]] = []
    if not root.landing.exists():
        wall, peak = run_stage("generate", [*base, "--enterprises", str(enterprises)])
        rows.append({"stage": "generate", "seconds": wall, "peak_gb": peak})
    if (root.root / TRUTH_ASIDE).exists() and not root.truth.exists():
        # A bench killed while it timed a stage.
        (root.root / TRUTH_ASIDE).rename(root.truth)
    if not root.truth.exists():
        raise SystemExit(
            f"{root.root} has no truth/: not a generated sample. The bench deletes the lake "
            "of the root it times; point BENCH_ROOT at data `capscore generate` made."
        )
    # The figures are a first run's on the landing files alone and the night after it:
    # what an earlier run left (bases of dates built in another order, published
    # snapshots) changes the disk a date costs and what a rebuild diffs against.
    for derived in (root.lake, root.published, root.reports, root.dagster_home, root.cache):
        shutil.rmtree(derived, ignore_errors=True)
    root.warehouse.unlink(missing_ok=True)
    days = sorted(landing_files(root))
    first, nights = days[-3], days[-2:]
    # The first run: every landing date but the last two, then every as-of stage as of
    # the last of them, keeping nothing from an earlier date.
    with without_truth(root):
        for stage in STAGE_GROUPS:
            span = (days[0], first) if stage == "ingest" else (first, first)
            print(f"== {stage} ({span[0]} .. {span[1]})", flush=True)
            wall, peak = run_stage(
                stage, [*base, "--start", str(span[0]), "--end", str(span[1]), "--full"]
            )
            rows.append({"stage": stage, "seconds": wall, "peak_gb": peak})
        # Two nights as the nightly schedule runs them, `capscore run` in one process:
        # the day's drop, then every stage as of that day (ER keeps the links of the day
        # before where nothing changed). The second is a night like any after it: the
        # first night also moves what only a first date lacks (the pool's grades held by
        # hysteresis). Their steps' times are in the log above the table.
        for night in nights:
            print(f"== capscore run as of {night}, nightly", flush=True)
            command = ["-m", "pipelines.cli", "run", *base, "--as-of", str(night)]
            wall, peak = timed(command, "run")
            rows.append(
                {"stage": f"a night: capscore run as of {night}", "seconds": wall, "peak_gb": peak}
            )
    night = nights[-1]
    disk = as_of_disk(root, first)
    further = as_of_disk(root, night)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    print(f"\nenterprises: {enterprises:,}; measured {stamp} on {machine}\n")
    print("| stage | wall time (s) | peak memory (GB) |\n|---|---:|---:|")
    for row in rows:
        print(f"| {row['stage']} | {row['seconds']:.1f} | {row['peak_gb']:.2f} |")
    print("\n" + _disk_line(f"lake disk of the first as-of date ({first}, with its bases)", disk))
    print(_disk_line(f"lake disk of the night's as-of date ({night})", further))
    # The quality of the links timed above, against the generator's truth, and the
    # model probe: the entity resolution figures the README quotes next to the times.
    report, er_text = eval_er(root, night)
    probe = er_probe.run(root, night, PROBE_NAMES_PER_KIND, PROBE_SEED)
    print(f"\n{er_text}")
    with pl.Config(tbl_rows=20):
        print(f"model probe ({er_probe.__name__}) as of {night}:\n{probe}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"bench_{enterprises}_{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "enterprises": enterprises,
                "machine": machine,
                "rows": rows,
                "as_of_disk_bytes": disk,
                "further_as_of_disk_bytes": further,
                "er_targets": report.get("targets"),
                "er_probe": probe.to_dicts(),
            }
        )
    )
    print(f"\nsaved {out}")


if __name__ == "__main__":
    main()
