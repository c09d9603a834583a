"""Every table of the lake and the warehouse, named once.

A `Table` is the one place a `(schema, name)` pair is spelled: the lake folder
(`lake/<schema>/<name>/`), the Dagster asset key (`[schema, name]`), the
warehouse relation (`schema.name`) and its partition keys all come from it.
"""

from __future__ import annotations

from dataclasses import dataclass

LANDING_DATE = "landing_date"
AS_OF_DATE = "as_of_date"
SOURCE = "source"
PARTITION_DATE = "partition_date"
BASE_ID = "base_id"

# The three landing sources (sources.md), in the order they are ingested.
SOURCES = ("registry", "patents", "rd_records")


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    partition_keys: tuple[str, ...]
    description: str
    # Tables whose outputs.md key has no as_of_date: the warehouse's plain view
    # shows the latest as-of date, and `<relation>_asof` keeps every date.
    latest_only: bool = False
    # The folder under lake/<schema>/ when it is not the table's name.
    folder_name: str | None = None
    # Holds personal data in its files: the analysts' sandbox never reads them (the
    # warehouse masks it in views; `materialize` copies a masked table instead).
    personal: bool = False
    materialize: bool = False
    # The columns that identify a row within an as-of date. A keyed table stores each
    # date as its changes against a base snapshot (storage.changes); the bases live in
    # `bases`, a table of their own. Given to the tables whose rows mostly stay the same
    # from one date to the next (core and ER state and the review queue, patent quality,
    # enterprise profiles, the pool, the score reasons: what moves with the date alone, a
    # cohort's size, a firm's age, a composite, is not in their rows); indicator scores,
    # composites and credit limits move with every percentile and are stored whole
    # (measured at 1M, 2026-12-06: 13% of 19M indicator rows changed in a day, whose diff
    # took 17 s and still stored half the bytes).
    keys: tuple[str, ...] = ()
    # A row column whose values the lake stores as column groups `<value>__<field>` of one
    # row per enterprise, not as one row per enterprise and value (scoring.indicator_value:
    # per indicator). The warehouse view turns the groups back into rows.
    pivoted_on: str | None = None
    # Tables holding more of this table's columns, row for row (same row keys and
    # partition), stored apart because they change at another pace; the warehouse view
    # joins them in.
    joined: tuple[Table, ...] = ()
    # The order a whole-state partition's rows are written in: rows alike side by side
    # compress to a fraction (measured at 1M, 2026-12-06: enterprise scores by peer group
    # and composite 30 -> 24 MB, credit limits by pool tier and IP value 25 -> 21 MB).
    # Ties keep the order the rows come in: their producers give them in key order, and
    # a stable sort by these columns alone spares comparing text keys (credit limits at
    # 1M: 0.7 s against 1.6 s with credit code and product among the sort columns).
    sort_by: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return self.folder_name or self.name

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def key(self) -> tuple[str, str]:
        """The Dagster asset key path (`dg.AssetKey(list(table.key))`)."""
        return (self.schema, self.name)

    @property
    def bases(self) -> Table:
        return Table(
            self.schema,
            f"{self.name}_base",
            (BASE_ID,),
            f"Base snapshots {self} stores its as-of dates against.",
            folder_name=f"{self.folder}_base",
            personal=self.personal,
        )

    def __str__(self) -> str:
        return f"{self.schema}/{self.name}"


def _as_of(
    schema: str,
    name: str,
    description: str,
    latest_only: bool = False,
    keys: tuple[str, ...] = (),
) -> Table:
    return Table(schema, name, (AS_OF_DATE,), description, latest_only, keys=keys)


RAW_REGISTRY = Table(
    "raw",
    "registry",
    (LANDING_DATE,),
    "Registry rows as loaded, per landing date (legal representatives unmasked: open to "
    "the pipeline, not to analysts, who read core.enterprise).",
    personal=True,
)
RAW_PATENTS = Table(
    "raw",
    "patents",
    (LANDING_DATE,),
    "Patent rows as loaded, per landing date (inventors unmasked: open to the pipeline, "
    "not to analysts, who read core.patent).",
    personal=True,
)
# Its files keep `_extra` as landed, and a filing's unknown columns name people (a
# filer, 填报人): closed to analysts like the other raw tables (the sandbox can read
# every file a view pins, and a masked copy of every filing in each published warehouse
# would grow with the history).
RAW_RD_RECORDS = Table(
    "raw",
    "rd_records",
    (LANDING_DATE,),
    "R&D filings as loaded, per landing date (unknown columns unmasked: open to the "
    "pipeline, not to analysts, who read core.rd_filing and er.rd_links).",
    personal=True,
)
# Where an analyst reads, masked, what a table closed to analysts holds.
READ_INSTEAD = {
    RAW_REGISTRY.relation: "core.enterprise",
    RAW_PATENTS.relation: "core.patent",
    RAW_RD_RECORDS.relation: "core.rd_filing and er.rd_links",
}
RAW = {"registry": RAW_REGISTRY, "patents": RAW_PATENTS, "rd_records": RAW_RD_RECORDS}

LOAD_AUDIT = Table("quality", "load_audit", (SOURCE, PARTITION_DATE), "One row per landing file.")
QUARANTINE = Table(
    "quality",
    "quarantine",
    (SOURCE, PARTITION_DATE),
    "Rejected rows with the reason.",
    personal=True,
    materialize=True,
)

ENTERPRISE = _as_of("core", "enterprise", "Latest snapshot per enterprise.", True, ("credit_code",))
ENTERPRISE_HISTORY = _as_of(
    "core", "enterprise_history", "SCD2 over snapshots.", True, ("credit_code", "valid_from")
)
PATENT = _as_of("core", "patent", "Latest state per application.", True, ("application_number",))
RD_FILING = _as_of(
    "core", "rd_filing", "Resolved R&D filings.", True, ("credit_code", "fiscal_year")
)

APPLICANT_LINKS = _as_of(
    "er",
    "applicant_links",
    "Patent applicant links.",
    True,
    ("application_number", "applicant_position"),
)
RD_LINKS = _as_of("er", "rd_links", "R&D filing links.", True, ("file", "row_number"))
REVIEW_QUEUE = _as_of(
    "er", "review_queue", "Doubtful links to review.", True, ("mention_type", "mention_key")
)

PATENT_QUALITY = _as_of(
    "scoring", "patent_quality", "OECD patent quality per patent.", keys=("application_number",)
)
PATENT_COHORT = _as_of(
    "scoring", "patent_cohort", "Patent cohorts: size and the caps the quality index divides by."
)
INDICATOR_VALUE = Table(
    "scoring",
    "indicator_value",
    (AS_OF_DATE,),
    "Indicator raw values and scores.",
    pivoted_on="indicator",
)
ENTERPRISE_PROFILE = _as_of(
    "scoring", "enterprise_profile", "Facts for pool/credit rules.", keys=("credit_code",)
)
# The reasons of a score change on about a fifth of the enterprises a day (an integer
# score or a peer median in their words moves), the scores on half: stored apart, the
# reasons as changes.
SCORE_REASONS = _as_of(
    "scoring",
    "score_reasons",
    "Each enterprise's top reasons (shown in scoring.enterprise_score).",
    keys=("credit_code",),
)
ENTERPRISE_SCORE = Table(
    "scoring",
    "enterprise_score",
    (AS_OF_DATE,),
    "Dimension and composite scores.",
    joined=(SCORE_REASONS,),
    sort_by=("peer_group", "composite"),
)
VALIDATION = _as_of(
    "scoring", "validation", "Model validation: out-of-time backtest, truth, stability."
)

CULTIVATION_POOL = _as_of(
    "pool", "cultivation_pool", "Pool membership, stage, grade, tier.", keys=("credit_code",)
)
TIER_TRANSITIONS = _as_of("pool", "tier_transitions", "Tier moves on each as-of date.")

# The credit limits, versioned like every lake table (what the warehouse shows)...
CREDIT_LIMIT = Table(
    "credit",
    "credit_limit",
    (AS_OF_DATE,),
    "Credit limits per product.",
    folder_name="credit_limit_versions",
    sort_by=("in_pool", "tier", "ip_value_wan"),
)
# ...and the plain-Parquet export the credit system reads (outputs.md): one file
# and a manifest per as-of date under lake/credit/credit_limit/.
CREDIT_EXPORT = Table(
    "credit", "credit_limit", (AS_OF_DATE,), "Credit limits for the credit system (export)."
)

# Every lake table, in data-flow order (the warehouse exposes each as a view).
LAKE_TABLES: tuple[Table, ...] = (
    RAW_REGISTRY,
    RAW_PATENTS,
    RAW_RD_RECORDS,
    LOAD_AUDIT,
    QUARANTINE,
    ENTERPRISE,
    ENTERPRISE_HISTORY,
    PATENT,
    RD_FILING,
    APPLICANT_LINKS,
    RD_LINKS,
    REVIEW_QUEUE,
    PATENT_QUALITY,
    PATENT_COHORT,
    INDICATOR_VALUE,
    ENTERPRISE_PROFILE,
    SCORE_REASONS,
    ENTERPRISE_SCORE,
    CULTIVATION_POOL,
    TIER_TRANSITIONS,
    VALIDATION,
    CREDIT_LIMIT,
)

# What separates a pivoted table's value from its field in a stored column name.
PIVOT_SEPARATOR = "__"

# Warehouse schemas: one per layer, plus the analysts' marts.
SCHEMAS = ("raw", "quality", "core", "er", "scoring", "pool", "credit", "mart", "meta")

# Every Delta table of the lake: the above and the bases of the keyed ones.
STORED_TABLES: tuple[Table, ...] = LAKE_TABLES + tuple(t.bases for t in LAKE_TABLES if t.keys)

_BY_RELATION = {t.relation: t for t in LAKE_TABLES}


def table_named(relation: str) -> Table:
    """The lake table whose warehouse relation is `relation` (e.g. `core.patent`)."""
    try:
        return _BY_RELATION[relation]
    except KeyError:
        raise KeyError(f"no lake table {relation!r}: known {sorted(_BY_RELATION)}") from None
