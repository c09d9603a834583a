"""The registry as matching reads it as of a date: every name each enterprise is known by,
parsed, and the lookup index over them (built once per as-of date, shared by both link
tables)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from capscore.entity_resolution.candidates import RegistryIndex, index_registry
from capscore.entity_resolution.normalize import PARSED_SCHEMA, parse_names_once
from capscore.entity_resolution.registry_names import REGISTRY_NAME_SCHEMA, registry_names
from capscore.entity_resolution.streets import street_key

# The input columns resolution reads (lake_io reads only these).
ENTERPRISE_COLUMNS = (
    "credit_code",
    "name",
    "former_names",
    "english_name",
    "region_code",
    "industry_code",
    "established_date",
    "address",
)
HISTORY_COLUMNS = ("credit_code", "name", "valid_from", "valid_to")
SNAPSHOT_COLUMNS = (
    "credit_code",
    "name",
    "region_code",
    "industry_code",
    "established_date",
    "street",
)


@dataclass(frozen=True)
class RegistrySnapshot:
    """What matching reads of the registry as of a date: each enterprise's place, industry,
    founding and street (SNAPSHOT_COLUMNS) and every name it is known by (REGISTRY_NAME_SCHEMA)."""

    enterprises: pl.DataFrame
    names: pl.DataFrame


@dataclass(frozen=True)
class ParsedRegistry:
    """The registry as of D: enterprises (SNAPSHOT_COLUMNS) and every name parsed."""

    enterprises: pl.DataFrame
    names: pl.DataFrame

    @property
    def snapshot(self) -> RegistrySnapshot:
        return RegistrySnapshot(self.enterprises, self.names.select(list(REGISTRY_NAME_SCHEMA)))

    def parsed(self) -> pl.DataFrame:
        """Every registry name parsed (PARSED_SCHEMA; a name may repeat): what
        parse_names_once need not parse again."""
        return self.names.select(
            pl.col("registry_name").alias("name"), *(c for c in PARSED_SCHEMA if c != "name")
        )


@dataclass(frozen=True)
class PreparedRegistry(ParsedRegistry):
    """The registry as of D, ready for matching: with the lookup index over its names."""

    index: RegistryIndex


def _present(frame: pl.DataFrame, columns: tuple[str, ...]) -> list[str]:
    return [c for c in columns if c in frame.columns]


def registry_snapshot(enterprises: pl.DataFrame, history: pl.DataFrame) -> RegistrySnapshot:
    """What matching reads of core/enterprise and core/enterprise_history as of D."""
    enterprises = enterprises.select(_present(enterprises, ENTERPRISE_COLUMNS)).sort("credit_code")
    history = history.select(HISTORY_COLUMNS).sort("credit_code", "valid_from", "name")
    names = registry_names(enterprises, history)
    address = pl.col("address") if "address" in enterprises.columns else pl.lit(None, pl.String)
    street = street_key(address).alias("street")
    return RegistrySnapshot(enterprises.with_columns(street).select(SNAPSHOT_COLUMNS), names)


def with_parse(names: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """REGISTRY_NAME_SCHEMA rows of `names` with each name's parse, as
    PreparedRegistry.names has them (`known`: as parse_names_once takes it)."""
    distinct = names["registry_name"].unique().sort()
    parsed = parse_names_once(distinct, known).rename({"name": "registry_name"})
    return names.select(list(REGISTRY_NAME_SCHEMA)).join(
        parsed, on="registry_name", how="left", maintain_order="left"
    )


def prepare_registry(enterprises: pl.DataFrame, history: pl.DataFrame) -> PreparedRegistry:
    """The registry as of D ready for matching, from scratch (prepare_registry_since
    makes it from an earlier date's)."""
    snapshot = registry_snapshot(enterprises, history)
    named = with_parse(snapshot.names, pl.DataFrame(schema=PARSED_SCHEMA))
    ent = snapshot.enterprises
    return PreparedRegistry(ent, named, index_registry(named, ent))


def firm_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """credit_code, _row, _copies: each distinct row of `frame` (core/enterprise or
    core/enterprise_history as matching reads them) as a hash, and how often it is
    there: what changed_firms compares, without the rows."""
    rows = frame.select("credit_code", frame.hash_rows().alias("_row"))
    return rows.group_by("credit_code", "_row").len("_copies")


def changed_firms(before: pl.DataFrame, after: pl.DataFrame) -> pl.Series:
    """The credit codes with a row (firm_rows) in one of `before` and `after` only."""
    return pl.concat(
        [
            before.join(after, on=["credit_code", "_row", "_copies"], how="anti"),
            after.join(before, on=["credit_code", "_row", "_copies"], how="anti"),
        ]
    )["credit_code"].unique()


def prepare_registry_since(
    enterprises: pl.DataFrame,
    history: pl.DataFrame,
    earlier: ParsedRegistry,
    changed: pl.Series,
) -> PreparedRegistry:
    """prepare_registry(enterprises, history) from an earlier date's registry and the
    firms whose rows differ from the ones it was prepared from (`changed`, credit
    codes): a firm's snapshot row and names depend on its own rows alone, so the
    others' are taken as they were and only the changed firms' are made and parsed
    (the index, over all names, is built again)."""
    ours = pl.col("credit_code").is_in(changed.implode())
    fresh = registry_snapshot(enterprises.filter(ours), history.filter(ours))
    ent = pl.concat([earlier.enterprises.filter(~ours), fresh.enterprises]).sort("credit_code")
    named = pl.concat(
        [earlier.names.filter(~ours), with_parse(fresh.names, earlier.parsed())]
    ).sort("credit_code", "registry_name")
    return PreparedRegistry(ent, named, index_registry(named, ent))
