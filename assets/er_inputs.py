"""Entity resolution's reads from a data root, shared by the er assets and the eval-er /
train-er commands. The matching itself (capscore.entity_resolution) never touches files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from capscore.core.enterprise import enterprise_state
from capscore.core.patent import patent_state
from capscore.core.point_in_time import LANDING_DATE, visible_as_of
from capscore.entity_resolution.registry import ENTERPRISE_COLUMNS, HISTORY_COLUMNS
from capscore.entity_resolution.resolve import PATENT_COLUMNS, RD_COLUMNS
from capscore.entity_resolution.review import DECISIONS_FILE, DecisionsError, normalize_decisions
from capscore.storage import tables
from capscore.storage.lake import (
    partitions,
    read_as_of,
    read_partition,
    scan,
    scan_as_of,
    scan_landed_by,
)
from capscore.storage.paths import DataRoot
from data_contracts.schemas import landed_schema


@dataclass(frozen=True)
class ResolveInputs:
    enterprises: pl.DataFrame
    history: pl.DataFrame
    patents: pl.DataFrame
    rd: pl.DataFrame


def registry_as_of(root: DataRoot, day: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """core/enterprise and core/enterprise_history as of `day`, the columns matching reads."""
    return (
        read_as_of(root, tables.ENTERPRISE, day, ENTERPRISE_COLUMNS),
        read_as_of(root, tables.ENTERPRISE_HISTORY, day, HISTORY_COLUMNS),
    )


def patents_as_of(
    root: DataRoot, day: date, columns: tuple[str, ...] = PATENT_COLUMNS
) -> pl.DataFrame:
    """core/patent as of `day`, the columns applicant resolution reads (or `columns`)."""
    return read_as_of(root, tables.PATENT, day, columns)


def raw_rd_landed_by(root: DataRoot, last: date) -> pl.DataFrame:
    """Every raw R&D row landed on or before `last` (filter per day with `rd_as_of`), the
    columns resolution reads."""
    return (
        scan_landed_by(root, "rd_records", last, landed_schema("rd_records"))
        .select(*RD_COLUMNS, LANDING_DATE)
        .collect()
    )


def rd_as_of(raw_rd: pl.DataFrame, day: date) -> pl.DataFrame:
    return visible_as_of(raw_rd, day, "reported_date")


def filed_names(root: DataRoot, links: pl.DataFrame, day: date) -> pl.DataFrame:
    """`links` (er/rd_links rows as of `day`) with each filing's enterprise_name as filed,
    read from raw/rd_records: the links hold a person's name masked, and what the review
    queue counts as the same text is the name as filed."""
    if links.height == 0:
        return links
    keys = ["file", "row_number"]
    filed = (
        scan_landed_by(root, "rd_records", day, landed_schema("rd_records"))
        .select(
            pl.col("_file").alias("file"),
            pl.col("_row_number").cast(pl.Int64).alias("row_number"),
            pl.col("enterprise_name").alias("_filed"),
        )
        .join(links.lazy().select("file", pl.col("row_number").cast(pl.Int64)), on=keys, how="semi")
        .collect()
    )
    return (
        links.with_columns(pl.col("row_number").cast(pl.Int64).alias("_row"))
        .join(filed.rename({"row_number": "_row"}), on=["file", "_row"], how="left")
        .with_columns(pl.coalesce("_filed", "enterprise_name").alias("enterprise_name"))
        .select(links.columns)
    )


def core_from_raw(root: DataRoot, day: date) -> ResolveInputs:
    """The er inputs as of `day` computed from raw/ with core's own functions: for
    training and benchmarks on an ingested data root without the as-of pipeline."""

    def raw(source: str) -> pl.DataFrame:
        return scan_landed_by(root, source, day, landed_schema(source)).collect()

    enterprises, history = enterprise_state(raw("registry"), day)
    return ResolveInputs(
        enterprises=enterprises,
        history=history,
        patents=patent_state(raw("patents"), day),
        rd=rd_as_of(raw("rd_records"), day),
    )


def last_landing_date(root: DataRoot) -> date | None:
    """The latest landing date of raw patents (None before any ingest)."""
    value = (
        scan(root, tables.RAW_PATENTS, landed_schema("patents"))
        .select(pl.col("landing_date").max())
        .collect()
        .item()
    )
    return value if isinstance(value, date) else None


def read_decisions(root: DataRoot) -> pl.DataFrame | None:
    """Reviewer decisions (review/decisions.csv), or None when there are none."""
    path = root.review / DECISIONS_FILE
    if not path.exists():
        return None
    try:
        return normalize_decisions(pl.read_csv(path, infer_schema=False, encoding="utf8-lossy"))
    except DecisionsError as exc:
        raise DecisionsError(f"{path}: {exc}; fix or remove those lines") from None


TRUTH_FILES = {"applicant": "applicant_links.csv", "rd": "rd_links.csv"}
# What evaluation and training read (not the applicant text: a third of the file).
TRUTH_COLUMNS = {
    "applicant": [
        "application_number",
        "applicant_position",
        "credit_code",
        "applicant_kind",
        "noise",
    ],
    "rd": ["file", "row_number", "credit_code", "code_noise", "name_noise"],
}


def read_truth_of(root: DataRoot, links: str) -> pl.DataFrame | None:
    """truth/<applicant|rd>_links.csv (the columns evaluation reads) when the data root
    has it."""
    path = root.truth / TRUTH_FILES[links]
    if not path.exists():
        return None
    return pl.read_csv(path, columns=TRUTH_COLUMNS[links], infer_schema=False)


def read_truth(root: DataRoot) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """truth/applicant_links.csv and truth/rd_links.csv when the data root has them."""
    return read_truth_of(root, "applicant"), read_truth_of(root, "rd")


def latest_as_of(root: DataRoot, table: tables.Table = tables.APPLICANT_LINKS) -> date | None:
    days = partitions(root, table)
    return date.fromisoformat(days[-1]) if days else None


def review_links(root: DataRoot, table: tables.Table, day: date) -> tuple[pl.DataFrame, int]:
    """The `review` rows of er/<table> as of `day` (only those are read) and its row count."""
    rows = scan_as_of(root, table, day)
    review = rows.filter(pl.col("decision") == "review").collect()
    return review, int(rows.select(pl.len()).collect().item())


def read_links(root: DataRoot, day: date) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    return (
        read_partition(root, tables.APPLICANT_LINKS, day),
        read_partition(root, tables.RD_LINKS, day),
    )


def review_stakes(root: DataRoot, day: date) -> pl.DataFrame:
    """What each enterprise has at stake in a review (resolve.STAKES_SCHEMA): its credit
    limits and patents as of `day` (the queue is built after them, so that it does not
    depend on which other dates the lake holds when it is built)."""
    limits = (
        read_as_of(root, tables.CREDIT_LIMIT, day, ["credit_code", "limit_wan"])
        .group_by("credit_code")
        .agg(pl.col("limit_wan").sum().alias("exposure_wan"))
    )
    patents = read_as_of(root, tables.ENTERPRISE_PROFILE, day, ["credit_code", "patent_count"])
    return patents.rename({"patent_count": "patents"}).join(limits, on="credit_code", how="left")
