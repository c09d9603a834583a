"""Contract -> Great Expectations 1.x expectations, and running them on a frame.

The polars row rules (rules.py) decide which rows load; this suite is the
second, independent line: built from the same YAML with GX's built-in
expectations, it runs on the accepted rows in a blocking asset check, so a gap
between the contract and the loader (a rule not enforced, a cast that lost
values, a duplicate that slipped through) fails the run.

GX has no check-character or "patent type agrees with number" expectation and
cannot multiply a column before comparing. Those are built-in pair
expectations over helper columns that polars derives for the GX frame only
(`<column>__check_expected` vs `<column>__check_given`, `<number>__type`,
`<column>__at_most`, `<date>__year`): the arithmetic is ours, the comparison GX's.

The frame carries `landing_date`, so one validation covers any number of
drops: dates are bounded by their own drop's date and keys are unique per drop.
Run the GX 1.x way (design.md): ephemeral context -> pandas datasource ->
dataframe asset -> whole-dataframe batch definition -> ValidationDefinition.run.
GX is imported lazily: it costs seconds to import, which loading the code
location should not pay.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from capscore.storage.tables import LANDING_DATE
from data_contracts.check_digits import APPLICATION_FORMAT, CREDIT_CODE_PATTERN
from data_contracts.contract import Column, Contract
from data_contracts.rules import helper, identifier_helpers
from data_contracts.schemas import FILE, ROW_NUMBER, raw_schema_of

_ID_PATTERNS = {"credit_code": CREDIT_CODE_PATTERN, "application_number": APPLICATION_FORMAT}


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str  # GX expectation type, e.g. expect_column_values_to_not_be_null
    target: str  # the column(s) it is about
    rule: str | None  # the contract rule id it stands for
    success: bool
    unexpected_count: int | None
    error: str | None = None  # the exception, if GX could not evaluate it


@dataclass(frozen=True)
class GxSummary:
    source: str
    rows: int
    outcomes: tuple[ExpectationOutcome, ...]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def unexpected_total(self) -> int:
        return sum(o.unexpected_count or 0 for o in self.outcomes)


def _derived_name(column: str, what: str) -> str:
    return f"{column}__{what}"


def _year_columns(contract: Contract) -> set[str]:
    """Date columns an int year column is compared with (the drop's date included)."""
    years = set()
    for c in contract.columns:
        if c.type != "int":
            continue
        if c.not_after_drop:
            years.add(LANDING_DATE)
        years.update(
            other
            for other in (c.not_after, c.not_before)
            if other and contract.column(other).type == "date"
        )
    return years


def gx_frame(accepted: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Accepted rows (with `landing_date`) plus helper columns, list columns as
    '; '-joined text and dates as datetimes.

    Lists become text because GX fingerprints a batch by hashing it and falls
    back to pickling the whole frame for an unhashable cell (8 s per 1M rows);
    dates become datetime64[ns] because GX compares other date types value by
    value in Python.
    """
    first_stage: list[pl.Expr] = []
    second_stage: list[pl.Expr] = []
    renamed: dict[str, str] = {}
    for c in contract.columns:
        if c.identifier and c.invalid_identifier == "reject":
            first, second = identifier_helpers(c)
            first_stage.extend(first)
            second_stage.extend(second)
            for what in ("expected", "given"):
                renamed[helper(c.name, what)] = _derived_name(c.name, f"check_{what}")
            if c.identifier == "application_number":
                renamed[helper(c.name, "type")] = _derived_name(c.name, "type")
        if c.at_most:
            limit = pl.col(c.at_most.column) * c.at_most.times
            first_stage.append(limit.alias(_derived_name(c.name, "at_most")))
    for name in _year_columns(contract):
        first_stage.append(pl.col(name).dt.year().cast(pl.Int64).alias(_derived_name(name, "year")))
    digits = [
        helper(c.name, "digits") for c in contract.columns if c.identifier == "application_number"
    ]
    dates = [c.name for c in contract.columns if c.type == "date"] + [LANDING_DATE]
    return (
        accepted.with_columns(first_stage)
        .with_columns(second_stage)
        .drop(digits)
        .rename(renamed)
        .with_columns(
            *(pl.col(name).list.join("; ") for name in sorted(contract.list_columns)),
            *(_as_nanoseconds(pl.col(name)) for name in dates),
        )
    )


# The dates datetime64[ns] can hold. A contract date has no such bound: registries write
# 9999-12-31 for "no expiry" (hnte_valid_until), and one such row failed the cast, the
# blocking GX check with it, and so the whole drop's ingest. Dates beyond are moved to
# the bound for GX alone: every date rule compares a date with the drop's date or with
# another date of the row, which come out the same (the lake keeps the date as landed).
_NS_FIRST, _NS_LAST = date(1677, 9, 22), date(2262, 4, 11)


def _as_nanoseconds(value: pl.Expr) -> pl.Expr:
    return value.clip(_NS_FIRST, _NS_LAST).cast(pl.Datetime("ns"))


def _pair(column_a: str, column_b: str, gxe: Any, *, equal: bool = False) -> Any:
    """A >= B (or A == B) where both are present."""
    if equal:
        return gxe.ExpectColumnPairValuesToBeEqual(
            column_A=column_a, column_B=column_b, ignore_row_if="either_value_is_missing"
        )
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def _column_expectations(c: Column, contract: Contract, gxe: Any) -> list[tuple[str | None, Any]]:
    name = c.name
    out: list[tuple[str | None, Any]] = []
    if c.required:
        out.append(("missing_required", gxe.ExpectColumnValuesToNotBeNull(column=name)))
    if c.identifier and c.invalid_identifier == "reject":
        regex = _ID_PATTERNS[c.identifier]
        out.append(("bad_format", gxe.ExpectColumnValuesToMatchRegex(column=name, regex=regex)))
        given, expected = (_derived_name(name, f"check_{w}") for w in ("given", "expected"))
        out.append(
            (
                "check_digit",
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A=given, column_B=expected, ignore_row_if="both_values_are_missing"
                ),
            )
        )
    if c.flag_column:
        out.append((None, gxe.ExpectColumnValuesToNotBeNull(column=c.flag_column)))
    if c.pattern:
        out.append(("bad_format", gxe.ExpectColumnValuesToMatchRegex(column=name, regex=c.pattern)))
    if c.allowed:
        allowed = gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(c.allowed))
        out.append(("unknown_value", allowed))
    if c.non_negative:
        out.append(("negative_amount", gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0)))
    if c.min is not None or c.max is not None:
        between = gxe.ExpectColumnValuesToBeBetween(column=name, min_value=c.min, max_value=c.max)
        out.append(("bad_format", between))
    if c.not_after_drop:
        drop = _derived_name(LANDING_DATE, "year") if c.type == "int" else LANDING_DATE
        out.append(("future_date", _pair(drop, name, gxe)))
    for other, after in ((c.not_after, True), (c.not_before, False)):
        if other is None:
            continue
        theirs = (
            _derived_name(other, "year")
            if c.type == "int" and contract.column(other).type == "date"
            else other
        )
        out.append(("date_order", _pair(theirs, name, gxe) if after else _pair(name, theirs, gxe)))
    if c.at_most:
        out.append((c.at_most.rule, _pair(_derived_name(name, "at_most"), name, gxe)))
    if c.agrees_with_number:
        implied = _derived_name(c.agrees_with_number, "type")
        out.append(("type_number_mismatch", _pair(name, implied, gxe, equal=True)))
    return out


def expectations(contract: Contract) -> list[Any]:
    """The contract's GX expectations; each one's meta names its contract rule id."""
    import great_expectations.expectations as gxe

    pairs: list[tuple[str | None, Any]] = [
        (None, gxe.ExpectColumnToExist(column=name))
        for name in [*raw_schema_of(contract), LANDING_DATE]
    ]
    for c in contract.columns:
        pairs.extend(_column_expectations(c, contract, gxe))
    key = [LANDING_DATE, *contract.key]
    pairs.append(("duplicate_key", gxe.ExpectCompoundColumnsToBeUnique(column_list=key)))
    pairs.append((None, gxe.ExpectCompoundColumnsToBeUnique(column_list=[FILE, ROW_NUMBER])))
    for rule, expectation in pairs:
        expectation.meta = {"rule": rule, "source": contract.source}
    return [e for _, e in pairs]


def _reads(expectation: Any) -> tuple[str, ...]:
    """The columns an expectation reads the values of (none for a column's existence)."""
    if type(expectation).__name__ == "ExpectColumnToExist":
        return ()
    named = [getattr(expectation, k, None) for k in ("column", "column_A", "column_B")]
    listed = getattr(expectation, "column_list", None) or []
    return tuple(dict.fromkeys([n for n in named if n] + list(listed)))


def _by_columns(expectations: list[Any]) -> dict[tuple[str, ...], list[Any]]:
    """Expectations grouped by the columns they read, in the suite's order."""
    groups: dict[tuple[str, ...], list[Any]] = {}
    for expectation in expectations:
        groups.setdefault(_reads(expectation), []).append(expectation)
    return groups


def _target(config: Any) -> str:
    kwargs = config.kwargs
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} vs {kwargs['column_B']}"
    return ", ".join(kwargs.get("column_list", []))


# Up to this many rows the suite runs as one validation (run_suite).
ONE_VALIDATION_ROWS = 100_000


def run_suite(accepted: pl.DataFrame, contract: Contract) -> GxSummary:
    """Validate accepted rows (raw/<source> schema plus `landing_date`, any number of
    drops) with the contract's GX suite.

    The suite runs as one validation per set of columns its expectations read,
    each on those columns of every row (existence on the header): GX's pandas
    engine filters the whole batch frame for every expectation, which copied all
    twenty columns ~240 times for 3.3M patent rows (13 of 31 s)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(name="capscore")
    frame = gx_frame(accepted, contract).to_pandas()
    every = expectations(contract)
    # A night's drop is small: there each validation's own set-up (~0.1 s) costs more
    # than the copies, and the whole suite runs as one.
    groups = (
        _by_columns(every) if len(frame) > ONE_VALIDATION_ROWS else {tuple(frame.columns): every}
    )
    results = []
    for i, (columns, group) in enumerate(groups.items()):
        batch = source.add_dataframe_asset(
            name=f"{contract.source}_{i}"
        ).add_batch_definition_whole_dataframe(name="accepted")
        suite = context.suites.add(
            gx.ExpectationSuite(name=f"{contract.source}_contract_{i}", expectations=group)
        )
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{contract.source}_accepted_{i}", data=batch, suite=suite)
        )
        part = frame[list(columns)] if columns else frame.head(0)
        results.extend(
            validation.run(batch_parameters={"dataframe": part}, result_format="BASIC").results
        )
    outcomes = []
    for r in results:
        config = r.expectation_config
        if config is None:  # GX types it optional; a suite's results always carry it
            continue
        raised = (r.exception_info or {}).get("raised_exception")
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                target=_target(config),
                rule=(config.meta or {}).get("rule"),
                success=bool(r.success),
                unexpected_count=r.result.get("unexpected_count"),
                error=(r.exception_info or {}).get("exception_message") if raised else None,
            )
        )
    return GxSummary(contract.source, accepted.height, tuple(outcomes))
