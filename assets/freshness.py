"""What an as-of output was built from, and which built dates are out of date.

Every as-of partition is written with the fingerprint of its inputs as of D
(the lake's build register keeps it): the landing files loaded up to D with
their content hashes, the model and policy versions, the reviewer decisions
that apply on D, and a digest of the code that builds it. A date is stale when
any of its tables was built from other inputs than D has now (a late drop, a
new model version, a new decision), or when a run stopped before building all
of them. `capscore run`, the sensor and the schedule rebuild stale dates
wherever the last run stopped; `capscore status` lists them with the reason.

Other code is not a cause of staleness (a deploy would rebuild all history: dates
stay as published until `capscore backfill --full` rebuilds them), but a later date
updates an earlier one's state only when the same code built it (reusable_date):
else a fix to core or entity resolution would reach only the rows a night touches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from assets.er_inputs import read_decisions
from capscore.entity_resolution.model import MODEL_JSON, load_model
from capscore.entity_resolution.reference_files import reference_digest
from capscore.entity_resolution.review import decisions_as_of
from capscore.storage import lake, tables
from capscore.storage.hashing import cached_file_sha256
from capscore.storage.paths import DataRoot
from scoring_models.config import load_scoring_model
from scoring_models.policy_config import load_credit_policy, load_pool_policy

# Every table an as-of date is built into, in build order.
AS_OF_TABLES = (
    tables.ENTERPRISE,
    tables.ENTERPRISE_HISTORY,
    tables.PATENT,
    tables.APPLICANT_LINKS,
    tables.RD_LINKS,
    tables.RD_FILING,
    tables.PATENT_QUALITY,
    tables.PATENT_COHORT,
    tables.INDICATOR_VALUE,
    tables.ENTERPRISE_PROFILE,
    tables.ENTERPRISE_SCORE,
    tables.SCORE_REASONS,
    tables.CULTIVATION_POOL,
    tables.TIER_TRANSITIONS,
    tables.CREDIT_LIMIT,
    tables.REVIEW_QUEUE,
    tables.VALIDATION,
)
COMPONENTS = {
    "landing": "the landing files loaded up to the date changed",
    "versions": "a model or policy version (or the ER dictionaries) changed",
    "decisions": "the reviewer decisions that apply on the date changed",
}
# What each entry of versions() is, as `capscore status` names a change of it.
VERSION_NAMES = {
    "scoring": "scoring model",
    "pool": "pool policy",
    "credit": "credit policy",
    "er": "ER model",
    "er_model": "ER model file (sha256)",
    "er_reference": "ER dictionaries (digest)",
}
# Landing folders named in one stale date's reason at most.
NAMED_DROPS = 3
_PROJECT = Path(__file__).resolve().parent.parent
# The code that builds as-of outputs: the pipeline's packages, its SQL and the loaders
# of the model and policy files (the files themselves are versioned: versions()).
CODE_GLOBS = (
    "capscore/**/*.py",
    "capscore/**/*.yaml",
    "assets/*.py",
    "sql/*.sql",
    "scoring_models/*.py",
)


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def versions() -> dict[str, str]:
    return {
        "scoring": load_scoring_model().version,
        "pool": load_pool_policy().version,
        "credit": load_credit_policy().version,
        "er": load_model().version,
        # A refit or a new threshold under the same version label moves links too.
        "er_model": cached_file_sha256(MODEL_JSON)[:16],
        "er_reference": reference_digest(),
    }


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the files CODE_GLOBS names, by path and content (a process runs one
    code: read once)."""
    digest = hashlib.sha256()
    files = sorted({path for pattern in CODE_GLOBS for path in _PROJECT.glob(pattern)})
    for path in files:
        digest.update(path.relative_to(_PROJECT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def loaded_files(root: DataRoot) -> pl.DataFrame:
    """source, partition_date, file, sha256, loaded_at of every file the load audit records."""
    return (
        lake.scan(
            root,
            tables.LOAD_AUDIT,
            {
                "source": pl.String,
                "partition_date": pl.Date,
                "file": pl.String,
                "sha256": pl.String,
                "loaded_at": pl.Datetime("us", "UTC"),
            },
        )
        .select("source", "partition_date", "file", "sha256", "loaded_at")
        .collect()
    )


def fingerprint(
    day: date,
    audit: pl.DataFrame,
    model_versions: Mapping[str, str],
    decisions: pl.DataFrame | None,
    code: str = "",
) -> str:
    """The inputs of D as JSON: one digest per component (so a change can be named), the
    versions themselves (so a version change can say from what to what) and `code`,
    the code_digest (what `changed` does not read)."""
    files = audit.filter(pl.col("partition_date") <= day).sort("file")
    applying = decisions_as_of(decisions, day)
    return json.dumps(
        {
            "landing": _digest(files.select("file", "sha256").rows()),
            "versions": _digest(dict(model_versions)),
            "decisions": _digest([] if applying is None else applying.rows()),
            "named_versions": dict(model_versions),
            "code": code,
        },
        sort_keys=True,
    )


def as_of_fingerprint(root: DataRoot, day: date) -> str:
    return fingerprint(day, loaded_files(root), versions(), read_decisions(root), code_digest())


def changed(built: str | None, now: str) -> list[str]:
    """Why a partition built with `built` is out of date against `now` (empty: it is not)."""
    if built is None:
        return ["built before inputs were fingerprinted"]
    before, after = json.loads(built), json.loads(now)
    causes = [k for k in COMPONENTS if before.get(k) != after.get(k)]
    return [_version_change(before, after) if k == "versions" else COMPONENTS[k] for k in causes]


def _version_change(before: dict[str, object], after: dict[str, object]) -> str:
    """The versions cause, naming each version that moved (fingerprints written before
    they held the names say only that one did)."""
    old, new = before.get("named_versions"), after.get("named_versions")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return COMPONENTS["versions"]
    moved = [
        f"{VERSION_NAMES.get(k, k)} {old.get(k, 'none')} -> {new.get(k, 'none')}"
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    ]
    return f"{COMPONENTS['versions']}: {', '.join(moved)}" if moved else COMPONENTS["versions"]


def _drops_since(audit: pl.DataFrame, day: date, written_at: datetime | None) -> str:
    """The landing folders up to `day` with a file loaded after `written_at`, as
    'source date' (at most NAMED_DROPS, then how many more)."""
    if written_at is None:
        return ""
    drops = (
        audit.filter((pl.col("partition_date") <= day) & (pl.col("loaded_at") > written_at))
        .select("source", "partition_date")
        .unique()
        .sort("partition_date", "source")
    )
    named = [f"{source} {when}" for source, when in drops.head(NAMED_DROPS).iter_rows()]
    more = drops.height - len(named)
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


def built_fingerprints(
    root: DataRoot, wanted: Sequence[tables.Table]
) -> dict[tables.Table, dict[date, str | None]]:
    """Per table, the fingerprint each of its built as-of dates was written with."""
    return {
        table: {
            date.fromisoformat(partition): stamp
            for partition, stamp in lake.builds(root, table)
            .select("partition", "fingerprint")
            .iter_rows()
        }
        for table in wanted
    }


def _built_in_all(built: Iterable[Mapping[date, str | None]]) -> set[date]:
    """The dates every table's fingerprints (built_fingerprints' values) hold."""
    return set.intersection(*(set(prints) for prints in built))


def reusable_date(root: DataRoot, before: date, needed: Sequence[tables.Table]) -> date | None:
    """The latest as-of date before `before` at which every table of `needed` is built,
    and built from the inputs that date has now by this code: a state a later date may
    start from."""
    built = built_fingerprints(root, needed).values()
    days = sorted(_built_in_all(built), reverse=True)
    earlier = next((d for d in days if d < before), None)
    if earlier is None:
        return None
    now = as_of_fingerprint(root, earlier)
    return earlier if all(prints[earlier] == now for prints in built) else None


# The states a night updates instead of making them again (core, entity resolution).
UPDATED_STATES = (
    tables.ENTERPRISE,
    tables.ENTERPRISE_HISTORY,
    tables.PATENT,
    tables.APPLICANT_LINKS,
    tables.RD_LINKS,
)


def built_by_other_code(root: DataRoot) -> date | None:
    """The latest built as-of date when other code built its updated states (the next
    night makes its own from scratch); None when this code did, or nothing is built."""
    built = built_fingerprints(root, UPDATED_STATES)
    days = _built_in_all(built.values())
    if not days:
        return None
    latest = max(days)
    code = code_digest()
    made_by = {json.loads(p[latest] or "{}").get("code") for p in built.values()}
    return None if made_by == {code} else latest


def stale_dates(root: DataRoot) -> dict[date, list[str]]:
    """Every built as-of date that is not up to date, with one line per cause (naming the
    first table, in build order, it affects)."""
    by_table = built_fingerprints(root, AS_OF_TABLES)
    built_days = sorted(set().union(*by_table.values()))
    if not built_days:
        return {}
    audit, model_versions, decisions = loaded_files(root), versions(), read_decisions(root)
    stale: dict[date, list[str]] = {}
    for day in built_days:
        now = fingerprint(day, audit, model_versions, decisions)
        causes: dict[str, tables.Table] = {}
        for table, prints in by_table.items():
            why = (
                changed(prints[day], now)
                if day in prints
                else ["not built yet (a run stopped before it)"]
            )
            for cause in why:
                causes.setdefault(cause, table)
        if causes:
            stale[day] = [
                _with_drops(cause, root, table, day, audit) for cause, table in causes.items()
            ]
    if (behind := pool_out_of_order(root)) is not None:
        first, previous = behind
        cause = (
            f"the pool of {previous}, whose grades the pool's hysteresis follows, was built "
            f"after the pool of {first} (from {tables.CULTIVATION_POOL})"
        )
        for day in built_days:
            if day >= first:
                stale.setdefault(day, []).append(cause)
    return stale


def _with_drops(
    cause: str, root: DataRoot, table: tables.Table, day: date, audit: pl.DataFrame
) -> str:
    """`cause` (from `table`), naming the landing folders loaded since the table's
    partition of `day` was written when the cause is the landing files."""
    if cause == COMPONENTS["landing"]:
        builds = lake.builds(root, table).filter(pl.col("partition") == day.isoformat())
        written_at = builds["written_at"].max()
        drops = _drops_since(audit, day, written_at if isinstance(written_at, datetime) else None)
        if drops:
            cause = f"{cause}: {drops} loaded since"
    return f"{cause} (from {table})"


def pool_out_of_order(root: DataRoot) -> tuple[date, date] | None:
    """The first built date whose pool was built before the pool of the built date before
    it (date, that earlier date), or None. A pool's grades hold by hysteresis against the
    previous built date's (assets/pool.py): built out of order (single dates launched from
    the UI, a late rebuild of an earlier date), it and every later pool may differ."""
    written = lake.builds(root, tables.CULTIVATION_POOL).sort("partition")
    days, versions = written["partition"].to_list(), written["version"].to_list()
    for i in range(1, len(days)):
        if versions[i - 1] > versions[i]:
            return date.fromisoformat(days[i]), date.fromisoformat(days[i - 1])
    return None
