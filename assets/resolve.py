"""er stage: link patent applicants and R&D filings to registry enterprises, as of D."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import dagster as dg
import polars as pl

from assets.common import (
    KEPT_ROWS,
    AsOfWriter,
    as_of_asset,
    as_of_multi_asset,
    as_of_spec,
    asset_key,
    by_day_result,
    markdown_table,
)
from assets.er_inputs import (
    filed_names,
    patents_as_of,
    raw_rd_landed_by,
    rd_as_of,
    read_decisions,
    read_truth_of,
    registry_as_of,
    review_links,
    review_stakes,
)
from assets.freshness import as_of_fingerprint, reusable_date
from assets.partitions import full_run, partition_dates
from assets.resources import CapscoreResource
from capscore.core.person_cache import read_person_names, write_person_names
from capscore.core.personal import FILED_NAME
from capscore.entity_resolution import resolve
from capscore.entity_resolution.carried_cache import carried_folder, read_carried, write_carried
from capscore.entity_resolution.evaluation import evaluate_links, summary_rows
from capscore.entity_resolution.incremental import Carried, Since
from capscore.entity_resolution.model import load_model
from capscore.entity_resolution.parse_cache import (
    cache_file,
    cache_folder,
    read_reach_keys,
    write_reach_keys,
)
from capscore.entity_resolution.reach_keys import NameKeys
from capscore.entity_resolution.registry import (
    RegistrySnapshot,
    registry_snapshot,
)
from capscore.entity_resolution.registry_cache import prepared_registry, registry_folder
from capscore.entity_resolution.resolve import (
    PATENT_CONTEXT,
    RESULT_COLUMNS,
    carried_applicants,
    carried_rd,
    link_applicants,
    link_rd,
)
from capscore.entity_resolution.review import decisions_as_of
from capscore.storage import tables
from capscore.storage.changes import Update
from capscore.storage.lake import scan_as_of
from capscore.storage.paths import DataRoot

GROUP = "er"
# The review queue waits for the date's credit limits, which rank it.
REVIEW_GROUP = "review"


def _decision_counts(links: pl.DataFrame, day: date) -> dict[str, Any]:
    counts = dict(links.group_by("decision").len().iter_rows())
    return {
        "as_of_date": day,
        "mentions": links.height,
        "matched": counts.get("matched", 0),
        "review": counts.get("review", 0),
        "unmatched": counts.get("unmatched", 0),
        "by_reviewer": links.filter(pl.col("decided_by") == "reviewer").height,
    }


def _quality_metadata(root: DataRoot, name: str, links: pl.LazyFrame) -> dict[str, Any]:
    """Precision/recall against truth/ when the data root has ground truth (generated data)."""
    truth = read_truth_of(root, name)
    if truth is None:
        return {}
    rows = links.collect()
    report = evaluate_links(
        rows if name == "applicant" else None,
        rows if name == "rd" else None,
        truth if name == "applicant" else None,
        truth if name == "rd" else None,
    )
    if name not in report:
        return {}
    part = report[name]
    metadata: dict[str, Any] = {
        "eval_precision": dg.MetadataValue.float(float(part["precision"] or 0.0)),
        "eval_recall": dg.MetadataValue.float(float(part["recall"] or 0.0)),
        "eval_f1": dg.MetadataValue.float(float(part["f1"] or 0.0)),
        "eval_vs_truth": markdown_table(summary_rows({name: part})),
        "eval_recall_by_noise": markdown_table(pl.DataFrame(part["by_noise"])),
    }
    if part["non_registry_by_noise"]:
        metadata["eval_non_registry"] = markdown_table(pl.DataFrame(part["non_registry_by_noise"]))
    return metadata


APPLICANT_LINKS = asset_key(tables.APPLICANT_LINKS)
RD_LINKS = asset_key(tables.RD_LINKS)


# The columns of a link table its counts read (the applicants' also applicant_kind).
_COUNTED = ("decision", "decided_by", "method")


def _applicant_metadata(
    root: DataRoot, counted: pl.DataFrame, links: pl.LazyFrame
) -> dict[str, Any]:
    by_kind = (
        counted.group_by("applicant_kind", "decision").len().sort("applicant_kind", "decision")
    )
    by_method = counted.group_by("method", "decision").len().sort("method", "decision")
    return {
        "dagster/row_count": counted.height,
        "by_kind": markdown_table(by_kind),
        "by_method": markdown_table(by_method),
        **_quality_metadata(root, "applicant", links),
    }


def _rd_metadata(root: DataRoot, counted: pl.DataFrame, links: pl.LazyFrame) -> dict[str, Any]:
    by_method = counted.group_by("method", "decision").len().sort("method", "decision")
    return {
        "dagster/row_count": counted.height,
        "by_method": markdown_table(by_method),
        **_quality_metadata(root, "rd", links),
    }


_ER_INPUTS = (tables.ENTERPRISE, tables.ENTERPRISE_HISTORY, tables.PATENT)


def reusable_links_date(root: DataRoot, before: date, wanted: set[dg.AssetKey]) -> date | None:
    """The latest as-of date before `before` whose link tables (and the core tables they
    were made from) are built from the inputs that date has now."""
    links = [t for t in (tables.APPLICANT_LINKS, tables.RD_LINKS) if asset_key(t) in wanted]
    return reusable_date(root, before, [*_ER_INPUTS, *links])


# The frames a night keeps for the next (carried_cache): the registry snapshot's, and
# per link table (by its mention prefix) what Carried holds besides the links.
SNAPSHOT_FRAMES = ("enterprises", "names")
_CARRIED_PARTS = {"applicant": ("mention_rows", "lift", "kinds"), "rd": ("mention_rows", "lift")}


def _carried_frames(prefix: str, carried: Carried) -> dict[str, pl.DataFrame]:
    """What a later night reuses of one link table's resolution besides its links."""
    return {f"{prefix}_{part}": getattr(carried, part) for part in _CARRIED_PARTS[prefix]}


def _kept_resolution(root: DataRoot, day: date, links: dict[str, pl.LazyFrame]) -> Since | None:
    """`day`'s resolution as the run that made it kept it (None: it did not, or from
    other inputs or code); `links`: its link tables by mention prefix, read from the lake."""
    names = SNAPSHOT_FRAMES + tuple(
        f"{prefix}_{part}" for prefix in links for part in _CARRIED_PARTS[prefix]
    )
    kept = read_carried(carried_folder(root), day, as_of_fingerprint(root, day), names)
    if kept is None:
        return None
    carried = {
        prefix: Carried(
            kept[f"{prefix}_mention_rows"],
            found.select(list(RESULT_COLUMNS)),
            kept[f"{prefix}_lift"],
            kinds=kept.get(f"{prefix}_kinds"),
        )
        for prefix, found in links.items()
    }
    snapshot = RegistrySnapshot(*(kept[name] for name in SNAPSHOT_FRAMES))
    return Since(day, snapshot, carried.get("applicant"), carried.get("rd"))


def _links_read_back(root: DataRoot, since: Since) -> Since:
    """`since` with its links scanned from the lake, where they were just written, as a
    night reads the night before's: a backfill's next day then does not hold this day's
    link rows in memory beside its own."""

    def read(carried: Carried | None, table: tables.Table) -> Carried | None:
        if carried is None:
            return None
        links = scan_as_of(root, table, since.day).select(list(RESULT_COLUMNS))
        return dataclasses.replace(carried, links=links)

    return dataclasses.replace(
        since,
        applicants=read(since.applicants, tables.APPLICANT_LINKS),
        rd=read(since.rd, tables.RD_LINKS),
    )


def earlier_resolution(
    root: DataRoot, before: date, wanted: set[dg.AssetKey], raw_rd: pl.DataFrame | None
) -> Since | None:
    """What the latest reusable as-of date before `before` resolved (None: resolve all)."""
    day = reusable_links_date(root, before, wanted)
    if day is None:
        return None
    links = {}
    if APPLICANT_LINKS in wanted:
        links["applicant"] = scan_as_of(root, tables.APPLICANT_LINKS, day)
    if raw_rd is not None:
        links["rd"] = scan_as_of(root, tables.RD_LINKS, day)
    kept = _kept_resolution(root, day, links)
    if kept is not None:
        return kept
    snapshot = registry_snapshot(*registry_as_of(root, day))
    applicants = rd = None
    if "applicant" in links:
        patents = patents_as_of(root, day, PATENT_CONTEXT)
        applicants = carried_applicants(patents, links["applicant"], snapshot)
    if raw_rd is not None:
        rd = carried_rd(rd_as_of(raw_rd, day), links["rd"], snapshot)
    return Since(day, snapshot, applicants, rd)


@as_of_multi_asset(
    "er_links",
    [
        as_of_spec(
            tables.APPLICANT_LINKS,
            GROUP,
            "Every patent applicant as of D: its kind and the registry enterprise it is "
            "(matched / review / unmatched, probability, method, explanation). Reviewer "
            "decisions in <data root>/review/decisions.csv override the model.",
            deps=[tables.PATENT, tables.ENTERPRISE],
        ),
        as_of_spec(
            tables.RD_LINKS,
            GROUP,
            "Every R&D filing visible as of D linked to its enterprise: directly by a valid, "
            "registered credit code, else by name (noting a credit code one character off).",
            deps=[tables.RAW_RD_RECORDS, tables.ENTERPRISE],
        ),
    ],
)
def er_links(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> Iterator[dg.MaterializeResult]:
    """Both link tables in one step: the registry index, the costly part both need, is
    built once per as-of date. Either table can be materialized on its own.

    A mention keeps the link of the previous as-of date when nothing it depends on
    changed (capscore.entity_resolution.incremental): the same rows as resolving it
    again, at a fraction of the work, and the registry names the last run parsed are
    not parsed again (capscore.entity_resolution.parse_cache). The run tag
    `capscore/full=true` resolves and parses all."""
    root = capscore.root
    model = load_model()
    decisions = read_decisions(root)
    days = partition_dates(context)
    wanted = context.selected_asset_keys
    raw_rd = raw_rd_landed_by(root, max(days)) if RD_LINKS in wanted else None
    full = full_run(context)
    since: Since | None = None
    summaries: dict[dg.AssetKey, list[dict[str, Any]]] = {key: [] for key in wanted}
    write = AsOfWriter(root)
    metadata: dict[dg.AssetKey, dict[str, Any]] = {}

    # The detailed figures (and the evaluation against truth/) are for the last day, read
    # from what was written: a date that kept links holds only the rows it made.
    def record(key: dg.AssetKey, made: Update, kept: int, day: date, earlier: date | None) -> None:
        table = tables.APPLICANT_LINKS if key == APPLICANT_LINKS else tables.RD_LINKS
        write.update(table, made, day, earlier)
        links = scan_as_of(root, table, day)
        # One read of the written state for every count.
        kind = ["applicant_kind"] if key == APPLICANT_LINKS else []
        counted = links.select(*_COUNTED, *kind).collect()
        summaries[key].append(
            {**_decision_counts(counted, day), "kept": kept, "kept_from": earlier}
        )
        if day == days[-1]:
            describe = _applicant_metadata if key == APPLICANT_LINKS else _rd_metadata
            metadata[key] = {**describe(root, counted, links), KEPT_ROWS: kept}

    # A backfill's days, and a night and the one before, share most registry names: each
    # day's registry is made from the one kept for the day before (a full run's first
    # day, from scratch).
    parse_cache = cache_folder(root)
    registries = registry_folder(root)
    reach_keys = NameKeys(lambda: None if full else read_reach_keys(parse_cache))
    # A run that finds no kept keys (a full run, new code) keeps those of every mention
    # name the next night's reach test may ask for: the first registry change after it
    # would derive them all (400,000 names at a million firms).
    cover_mentions = full or not cache_file(parse_cache).exists()
    # The R&D filers' names the applicant-kind rule has read (a person's is stored
    # masked), as kept by the last run: a night and a backfill's days share most.
    filers = read_person_names(
        root, full, None if raw_rd is None else raw_rd.get_column(FILED_NAME)
    )
    for day in days:
        last = day == days[-1]
        enterprises, history = registry_as_of(root, day)
        first_full = full and day == days[0]
        registry = prepared_registry(registries, enterprises, history, first_full)
        del enterprises, history
        # Read once the registry is prepared, not held while its index is built (0.8 GB
        # at a million firms); later days reuse the day before.
        if day == days[0] and not full:
            since = earlier_resolution(root, day, wanted, raw_rd)
        # The earlier date's frames live on only in what this day reuses of them, and
        # each table's only until it has taken what it keeps.
        kept_from = since.day if since else None
        pairs = (
            zip((APPLICANT_LINKS, RD_LINKS), since.reuse(registry, reach_keys), strict=True)
            if since
            else ()
        )
        reuse = dict(pairs)
        since = None
        # A decision made after D must not rewrite what was published for D.
        applying = decisions_as_of(decisions, day)
        applicants = rd = None
        # What the next night reuses of the last day, besides its links (carried_cache),
        # and the names its reach test may ask for.
        for_next_night: dict[str, pl.DataFrame] = {}
        met_names: list[pl.Series] = []
        # The R&D filings first: the applicants' links, the largest frame, are then
        # written and evaluated without the registry or the filings in memory (and, on
        # the last day, without what a later day would reuse).
        if raw_rd is not None:
            links, rd = link_rd(
                rd_as_of(raw_rd, day),
                registry,
                applying,
                model,
                reuse.pop(RD_LINKS, None),
                names=filers,
            )
            record(RD_LINKS, links, rd.kept, day, kept_from)
            del links
            if last:
                for_next_night |= _carried_frames("rd", rd)
                met_names.append(rd.names)
                raw_rd = rd = None
        if APPLICANT_LINKS in wanted:
            links, applicants = link_applicants(
                patents_as_of(root, day),
                registry,
                applying,
                model,
                reuse.pop(APPLICANT_LINKS, None),
            )
            kept = applicants.kept
            if last:
                for_next_night |= _carried_frames("applicant", applicants)
                met_names.append(applicants.names)
                applicants = None
        snapshot = registry.snapshot
        if last and cover_mentions:
            for names in met_names:
                reach_keys.cover(names, registry.parsed())
        del registry
        if last:
            met = reach_keys.met()
            if met.height:
                write_reach_keys(parse_cache, met)
            for_next_night |= {name: getattr(snapshot, name) for name in SNAPSHOT_FRAMES}
            write_carried(carried_folder(root), day, as_of_fingerprint(root, day), for_next_night)
            # Not needed after the last day: released before the links are written.
            del met, reach_keys, for_next_night, met_names
        else:
            since = Since(day, snapshot, applicants, rd)
        del applicants, rd, snapshot
        if APPLICANT_LINKS in wanted:
            record(APPLICANT_LINKS, links, kept, day, kept_from)
            del links
        if since is not None:
            since = _links_read_back(root, since)
    write_person_names(root, filers)
    for key in (APPLICANT_LINKS, RD_LINKS):
        if key in wanted:
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    **metadata[key],
                    "model_version": model.version,
                    "by_as_of_date": markdown_table(pl.DataFrame(summaries[key])),
                },
            )


@as_of_asset(
    tables.REVIEW_QUEUE,
    REVIEW_GROUP,
    "Links a person must decide (applicants and R&D filings) with their top "
    "candidates, by what the candidate firm has at stake as of D (credit limits, "
    "patents); answer in <data root>/review/decisions.csv (mention_key, credit_code or "
    "'no match').",
    # scoring/indicator_value's step writes the profiles (no asset of their own).
    deps=[
        tables.APPLICANT_LINKS,
        tables.RD_LINKS,
        tables.RAW_RD_RECORDS,
        tables.INDICATOR_VALUE,
        tables.CREDIT_LIMIT,
    ],
)
def review_queue(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    root = capscore.root
    summary, queue = [], pl.DataFrame()
    write = AsOfWriter(root)
    for day in partition_dates(context):
        applicants, mentions = review_links(root, tables.APPLICANT_LINKS, day)
        rd, _ = review_links(root, tables.RD_LINKS, day)
        # Counted by the names as filed, shown masked as the links hold them.
        queue = resolve.review_queue(
            applicants, filed_names(root, rd, day), review_stakes(root, day)
        )
        write(tables.REVIEW_QUEUE, queue, day)
        counts = dict(queue.group_by("mention_type").len().iter_rows())
        summary.append(
            {
                "as_of_date": day,
                "queued": queue.height,
                "applicant": counts.get("applicant", 0),
                "rd": counts.get("rd", 0),
                "applicant_share": round(counts.get("applicant", 0) / max(mentions, 1), 4),
            }
        )
    preview = resolve.review_order(queue).select(
        "priority", "mention_type", "mention", "exposure_wan", "patents", "match_probability"
    )
    return by_day_result(summary, "queued", first_items=markdown_table(preview, max_rows=10))


resolve_assets = [er_links, review_queue]
