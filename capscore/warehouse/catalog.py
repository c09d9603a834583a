"""Every lake table the warehouse exposes, and how its views are shaped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LakeTable:
    schema: str
    table: str
    partition_keys: tuple[str, ...]
    description: str
    # Tables whose outputs.md key has no as_of_date: the plain view shows the
    # latest as-of date, and `<table>_asof` keeps every date.
    latest_only: bool = False

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.table}"


LAKE_TABLES: tuple[LakeTable, ...] = (
    LakeTable("raw", "registry", ("landing_date",), "Registry rows as loaded, per landing date."),
    LakeTable("raw", "patents", ("landing_date",), "Patent rows as loaded, per landing date."),
    LakeTable("raw", "rd_records", ("landing_date",), "R&D filings as loaded, per landing date."),
    LakeTable("quality", "load_audit", ("source", "partition_date"), "One row per landing file."),
    LakeTable(
        "quality", "quarantine", ("source", "partition_date"), "Rejected rows with the reason."
    ),
    LakeTable("core", "enterprise", ("as_of_date",), "Latest snapshot per enterprise.", True),
    LakeTable("core", "enterprise_history", ("as_of_date",), "SCD2 over snapshots.", True),
    LakeTable("core", "patent", ("as_of_date",), "Latest state per application.", True),
    LakeTable("core", "rd_filing", ("as_of_date",), "Resolved R&D filings.", True),
    LakeTable("er", "applicant_links", ("as_of_date",), "Patent applicant links.", True),
    LakeTable("er", "rd_links", ("as_of_date",), "R&D filing links.", True),
    LakeTable("er", "review_queue", ("as_of_date",), "Doubtful links to review.", True),
    LakeTable("scoring", "patent_quality", ("as_of_date",), "OECD patent quality per patent."),
    LakeTable("scoring", "indicator_value", ("as_of_date",), "Indicator raw values and scores."),
    LakeTable("scoring", "enterprise_profile", ("as_of_date",), "Facts for pool/credit rules."),
    LakeTable("scoring", "enterprise_score", ("as_of_date",), "Dimension and composite scores."),
    LakeTable("pool", "cultivation_pool", ("as_of_date",), "Pool membership, stage, grade, tier."),
    LakeTable("pool", "tier_transitions", ("as_of_date",), "Tier moves on each as-of date."),
    LakeTable("credit", "credit_limit", ("as_of_date",), "Credit limits per product."),
)

SCHEMAS = ("raw", "quality", "core", "er", "scoring", "pool", "credit", "mart")

# Columns holding personal data, masked in every warehouse view.
PERSONAL_COLUMNS = {"legal_representative"}
PERSONAL_LIST_COLUMNS = {"inventors"}
