"""The source contracts, declared once as YAML next to this module (`<source>.yaml`).

A contract lists each column with its type and constraints, and the key; this
module only loads and validates the declaration. `rules.py` compiles it into
polars row rules, `gx_suite.py` into a Great Expectations suite and
`schemas.py` into the typed lake schema, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from capscore.landing.rows import ColumnHints
from capscore.storage.tables import SOURCES

CONTRACT_DIR = Path(__file__).parent

TYPES = ("string", "list", "date", "decimal", "int", "bool")
IDENTIFIERS = ("credit_code", "application_number")

# Rule ids (docs/architecture.md), shared with the generator's truth/bad_rows.csv.
ROW_RULES = (
    "missing_required",
    "bad_format",
    "check_digit",
    "malformed_date",
    "future_date",
    "date_order",
    "malformed_number",
    "negative_amount",
    "rd_expense_exceeds_revenue",
    "type_number_mismatch",
    "unknown_value",
    "duplicate_key",
    "malformed_row",
)
FILE_RULES = ("empty_file", "missing_column", "encoding", "unreadable_file")


@dataclass(frozen=True)
class AtMost:
    """value <= times * other, else `rule`."""

    column: str
    times: float
    rule: str


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str | None = None
    identifier: str | None = None
    # "reject" (bad_format/check_digit) or "flag" (keep the row, flag_column = false).
    invalid_identifier: str = "reject"
    flag_column: str | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    pattern_help: str | None = None
    non_negative: bool = False
    min: float | None = None
    max: float | None = None
    not_after_drop: bool = False
    not_after: str | None = None
    not_before: str | None = None
    at_most: AtMost | None = None
    agrees_with_number: str | None = None


@dataclass(frozen=True)
class Contract:
    source: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    max_quarantine_rate: float

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def list_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.type == "list")

    @property
    def hints(self) -> ColumnHints:
        """What the landing readers need to know of the columns."""
        text = frozenset(c.name for c in self.columns if c.type in ("string", "date"))
        return ColumnHints(list_columns=self.list_columns, text_columns=text)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


class ContractError(ValueError):
    pass


def _column(raw: dict[str, Any], source: str) -> Column:
    fields = dict(raw)
    where = f"{source}.{fields.get('name')}"
    if fields.get("type") not in TYPES:
        raise ContractError(f"{where}: type must be one of {TYPES}")
    if fields.get("identifier") not in (None, *IDENTIFIERS):
        raise ContractError(f"{where}: identifier must be one of {IDENTIFIERS}")
    if fields.get("invalid_identifier", "reject") not in ("reject", "flag"):
        raise ContractError(f"{where}: invalid_identifier must be reject or flag")
    if fields.get("invalid_identifier") == "flag" and not fields.get("flag_column"):
        raise ContractError(f"{where}: invalid_identifier: flag needs flag_column")
    if "allowed" in fields:
        fields["allowed"] = tuple(str(v) for v in fields["allowed"])
    if "at_most" in fields:
        fields["at_most"] = AtMost(**fields["at_most"])
    try:
        return Column(**fields)
    except TypeError as error:
        raise ContractError(f"{where}: {error}") from error


def parse_contract(document: dict[str, Any]) -> Contract:
    source = document["source"]
    columns = tuple(_column(raw, source) for raw in document["columns"])
    contract = Contract(
        source=source,
        description=document.get("description", ""),
        key=tuple(document["key"]),
        columns=columns,
        max_quarantine_rate=float(document["max_quarantine_rate"]),
    )
    names = set(contract.names)
    referenced = set(contract.key) | {
        ref
        for c in columns
        for ref in (c.not_after, c.not_before, c.agrees_with_number, c.at_most and c.at_most.column)
        if ref
    }
    if unknown := sorted(referenced - names):
        raise ContractError(f"{source}: references unknown column(s) {unknown}")
    if bad := sorted({c.at_most.rule for c in columns if c.at_most} - set(ROW_RULES)):
        raise ContractError(f"{source}: unknown rule id(s) {bad}")
    return contract


@cache
def load_contract(source: str) -> Contract:
    if source not in SOURCES:
        raise ContractError(f"unknown source {source!r}: expected one of {SOURCES}")
    with open(CONTRACT_DIR / f"{source}.yaml", encoding="utf-8") as fh:
        return parse_contract(yaml.safe_load(fh))
