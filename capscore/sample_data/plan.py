"""Which files each drop consists of, and which records go into which file.

Every format and encoding the contract allows shows up: the backlog of each
source is split over several formats, the increments rotate through them,
some files carry unknown extra columns or a different column order. Which
drops exist is the `Calendar`'s: full registry snapshots (the first drop, and
every quarterly history drop) hold every firm established by their
snapshot_date, the others the firms founded or changed since the previous
extract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from capscore.sample_data.calendar import Calendar, Drop, build_calendar, day_number
from capscore.sample_data.enterprises import (
    REGISTRY_COLUMNS,
    Firms,
    registry_rows,
    snapshot_members,
)
from capscore.sample_data.patents import Patents, state_on
from capscore.sample_data.people import person_names
from capscore.sample_data.rd import RD_COLUMNS
from capscore.sample_data.writers import FileSpec

PATENT_COLUMNS = (
    "application_number",
    "patent_type",
    "title",
    "application_date",
    "publication_date",
    "grant_date",
    "applicants",
    "applicant_address",
    "inventors",
    "ipc_codes",
    "claims_count",
    "cited_applications",
    "legal_status",
    "pct",
    "family_size",
)
CONTRACT_COLUMNS = {
    "registry": REGISTRY_COLUMNS,
    "patents": PATENT_COLUMNS,
    "rd_records": RD_COLUMNS,
}


@dataclass(frozen=True)
class PlannedFile:
    source: str
    partition: date
    spec: FileSpec
    # Contract columns (plus extra ones); `_`-prefixed columns are truth, never written.
    frame: pl.DataFrame

    @property
    def relative(self) -> str:
        return f"landing/{self.source}/{self.partition.isoformat()}/{self.spec.filename}"


def drop_dates(source: str, calendar: Calendar | None = None) -> list[date]:
    return (calendar or build_calendar()).dates(source)


def _stamp(d: date) -> str:
    return d.strftime("%Y%m%d")


def _snapshot_specs(k: int, d: date) -> list[tuple[FileSpec, float]]:
    """Files of the k-th full snapshot after the first."""
    s = _stamp(d)
    plans: list[list[tuple[FileSpec, float]]] = [
        [(FileSpec(f"registry_snapshot_{s}", "parquet", iso_dates=True), 1.0)],
        [
            (FileSpec(f"registry_snapshot_{s}", "csv.gz", list_sep="; "), 0.6),
            (FileSpec(f"registry_snapshot_{s}_b", "jsonl"), 0.4),
        ],
        [(FileSpec(f"registry_snapshot_{s}", "csv", encoding="gb18030", extra_columns=True), 1.0)],
        [(FileSpec(f"registry_snapshot_{s}", "jsonl.gz", shuffle_columns=True), 1.0)],
    ]
    return plans[k % len(plans)]


def _registry_specs(k: int, d: date) -> list[tuple[FileSpec, float]]:
    """Files of the first snapshot (k = 0) and of the k-th change extract."""
    s = _stamp(d)
    plans: list[list[tuple[FileSpec, float]]] = [
        [
            (FileSpec(f"registry_snapshot_{s}", "parquet"), 0.55),
            (
                FileSpec(
                    f"registry_snapshot_{s}_part2", "csv", encoding="gb18030", extra_columns=True
                ),
                0.45,
            ),
        ],
        [(FileSpec(f"registry_changes_{s}", "jsonl"), 1.0)],
        [(FileSpec(f"registry_changes_{s}", "csv", encoding="utf-8-sig", extra_columns=True), 1.0)],
        [
            (FileSpec(f"registry_changes_{s}", "csv.gz", list_sep="; "), 0.5),
            (FileSpec(f"registry_changes_{s}_b", "parquet", iso_dates=True), 0.5),
        ],
        [(FileSpec(f"registry_changes_{s}", "jsonl.gz"), 1.0)],
        [(FileSpec(f"registry_changes_{s}", "csv", encoding="gb18030", shuffle_columns=True), 1.0)],
    ]
    return plans[0] if k == 0 else plans[1 + (k - 1) % (len(plans) - 1)]


_PUB_CYCLE = (
    FileSpec("", "csv"),
    FileSpec("", "jsonl"),
    FileSpec("", "parquet", iso_dates=True),
    FileSpec("", "csv", encoding="gb18030"),
    FileSpec("", "csv.gz", extra_columns=True),
    FileSpec("", "jsonl.gz"),
    FileSpec("", "csv", encoding="utf-8-sig", list_sep="; "),
    FileSpec("", "parquet"),
    FileSpec("", "jsonl", shuffle_columns=True),
)
_STATUS_CYCLE = (
    FileSpec("", "jsonl"),
    FileSpec("", "csv"),
    FileSpec("", "csv.gz"),
    FileSpec("", "parquet"),
    FileSpec("", "jsonl.gz"),
    FileSpec("", "csv", encoding="gb18030"),
    FileSpec("", "jsonl", extra_columns=True),
    FileSpec("", "csv", encoding="utf-8-sig"),
    FileSpec("", "parquet", iso_dates=True),
)


def _rd_specs(k: int, d: date) -> list[tuple[FileSpec, float]]:
    s = _stamp(d)
    plans: list[list[tuple[FileSpec, float]]] = [
        [
            (FileSpec(f"rd_filings_{s}", "csv", encoding="utf-8-sig"), 0.5),
            (FileSpec(f"rd_filings_{s}_b", "parquet", iso_dates=True), 0.3),
            (FileSpec(f"rd_filings_{s}_c", "jsonl", extra_columns=True), 0.2),
        ],
        [(FileSpec(f"rd_filings_{s}", "csv", encoding="gb18030"), 1.0)],
        [(FileSpec(f"rd_filings_{s}", "jsonl.gz"), 1.0)],
        [
            (FileSpec(f"rd_filings_{s}", "csv.gz"), 0.6),
            (FileSpec(f"rd_filings_{s}_b", "parquet"), 0.4),
        ],
        [(FileSpec(f"rd_filings_{s}", "csv", shuffle_columns=True, extra_columns=True), 1.0)],
    ]
    return plans[k % len(plans)]


def _extra_columns(rng: np.random.Generator, source: str, d: date, n: int) -> dict[str, pl.Series]:
    """Columns providers add that the contract does not know."""
    if source == "registry":
        return {
            "登记机关": pl.Series(["嘉兴市市场监督管理局"] * n),
            "batch_id": pl.Series([f"B{_stamp(d)}-{i % 4 + 1:02d}" for i in range(n)]),
        }
    if source == "patents":
        return {
            "source_system": pl.Series(["CNIPA-BIB"] * n),
            "抓取时间": pl.Series([f"{d.isoformat()}T0{i % 6}:1{i % 10}:00" for i in range(n)]),
        }
    return {
        "填报人": pl.Series(person_names(rng, n)),
        "remark": pl.Series([None if i % 7 else "更正" for i in range(n)], dtype=pl.String),
    }


def _split(
    rng: np.random.Generator,
    source: str,
    d: date,
    frame: pl.DataFrame,
    specs: list[tuple[FileSpec, float]],
) -> list[PlannedFile]:
    if frame.height == 0:
        return []
    shares = np.array([share for _, share in specs])
    which = rng.choice(len(specs), size=frame.height, p=shares / shares.sum())
    out = []
    for i, (spec, _) in enumerate(specs):
        part = frame.filter(pl.Series(which == i))
        if part.height == 0:
            continue
        if spec.extra_columns:
            part = part.with_columns(**_extra_columns(rng, source, d, part.height))
        if spec.shuffle_columns:
            visible = [c for c in part.columns if not c.startswith("_")]
            order = [visible[j] for j in rng.permutation(len(visible))]
            part = part.select(order + [c for c in part.columns if c.startswith("_")])
        out.append(PlannedFile(source, d, spec, part))
    return out


def _snapshot_day(drop: Drop) -> int:
    assert drop.snapshot is not None
    return day_number(drop.snapshot)


def plan_registry(
    rng: np.random.Generator, firms: Firms, calendar: Calendar | None = None
) -> list[PlannedFile]:
    drops = (calendar or build_calendar()).drops["registry"]
    out: list[PlannedFile] = []
    full_count = change_count = 0
    for k, drop in enumerate(drops):
        day = _snapshot_day(drop)
        previous = None if drop.full else _snapshot_day(drops[k - 1])
        members = snapshot_members(firms.frame, previous, day)
        rows = registry_rows(members, day).sort("credit_code")
        if drop.full:
            first = full_count == 0
            specs = (
                _registry_specs(0, drop.landing)
                if first
                else _snapshot_specs(full_count - 1, drop.landing)
            )
            full_count += 1
        else:
            change_count += 1
            specs = _registry_specs(change_count, drop.landing)
        out += _split(rng, "registry", drop.landing, rows, specs)
    return out


def patent_rows(
    patents: Patents, landing: int, day: int, first: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Patent records delivered in drop `landing` (landing day number `day`), as of that day.

    `first`: pid, first_landing of every patent (computed when not given).
    """
    pids = patents.drops.filter(pl.col("landing") == landing)["pid"]
    info = patents.info.filter(pl.col("pid").is_in(pids.implode()))
    state = state_on(info, pl.lit(day))
    if first is None:
        first = first_landings(patents)
    return (
        info.with_columns(**state)
        .join(first, on="pid", how="left", maintain_order="left")
        .select(
            *[
                pl.col(c).cast(pl.Int32).cast(pl.Date).alias(f"{name}_date")
                for c, name in (("app", "application"), ("pub", "publication"))
            ],
            *[c for c in PATENT_COLUMNS if c not in ("application_date", "publication_date")],
            (pl.col("first_landing") < landing).alias("_update"),
        )
        .select(*PATENT_COLUMNS, "_update")
    )


def first_landings(patents: Patents) -> pl.DataFrame:
    return patents.drops.group_by("pid").agg(pl.col("landing").min().alias("first_landing"))


def plan_patents(
    rng: np.random.Generator, patents: Patents, calendar: Calendar | None = None
) -> list[PlannedFile]:
    out: list[PlannedFile] = []
    first = first_landings(patents)
    for k, drop in enumerate((calendar or build_calendar()).drops["patents"]):
        d = drop.landing
        rows = patent_rows(patents, k, day_number(d), first)
        s = _stamp(d)
        if drop.full:
            specs = [
                (FileSpec(f"patents_backlog_{s}", "parquet"), 0.5),
                (
                    FileSpec(f"patents_backlog_{s}_b", "csv.gz", extra_columns=True, list_sep="; "),
                    0.3,
                ),
                (FileSpec(f"patents_backlog_{s}_c", "jsonl.gz"), 0.2),
            ]
            out += _split(rng, "patents", d, rows.drop("_update"), specs)
            continue
        new = rows.filter(~pl.col("_update")).drop("_update")
        updates = rows.filter(pl.col("_update")).drop("_update")
        pub_spec = replace(_PUB_CYCLE[(k - 1) % len(_PUB_CYCLE)], name=f"publications_{s}")
        status_spec = replace(
            _STATUS_CYCLE[(k - 1) % len(_STATUS_CYCLE)], name=f"status_updates_{s}"
        )
        out += _split(rng, "patents", d, new, [(pub_spec, 1.0)])
        out += _split(rng, "patents", d, updates, [(status_spec, 1.0)])
    return out


def plan_rd(
    rng: np.random.Generator, rd: pl.DataFrame, calendar: Calendar | None = None
) -> list[PlannedFile]:
    out: list[PlannedFile] = []
    for k, d in enumerate(drop_dates("rd_records", calendar)):
        rows = rd.filter(pl.col("landing") == k).drop("landing")
        out += _split(rng, "rd_records", d, rows, _rd_specs(k, d))
    return out
