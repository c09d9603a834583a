"""Contract -> polars row rules: per row, the failing rule ids, columns and reasons.

Every check is a vectorised expression over the rows as read (text), so a
rejected value is quoted verbatim in a reason a person can act on, e.g.
`credit_code check digit mismatch: expected 3, got 7`. Checks run in contract
order (column by column, then within a column: presence, parse, identifier,
format, allowed values, ranges, dates, cross-field rules), which defines the
"first" failing rule and column of a quarantined row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from data_contracts.check_digits import (
    APPLICATION_PATTERN,
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_PATTERN,
    application_check_char_expr,
    application_type_expr,
    credit_code_check_char_expr,
)
from data_contracts.contract import Column, Contract
from data_contracts.schemas import EXTRA, FILE, ROW_NUMBER, TYPE_DTYPES

RULES = "_rules"
RULE_COLUMNS = "_rule_columns"
REASON = "_reason"

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DECIMAL = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_INT = r"^[+-]?\d+(?:\.0*)?$"
_BOOLS = {
    "true": True, "t": True, "yes": True, "y": True, "1": True,
    "false": False, "f": False, "no": False, "n": False, "0": False,
}  # fmt: skip
_PARSE_RULE = {
    "date": ("malformed_date", "is not a date (expected YYYY-MM-DD)"),
    "decimal": ("malformed_number", "is not a number"),
    "int": ("malformed_number", "is not a whole number"),
    "bool": ("bad_format", "is not true or false"),
}


@dataclass(frozen=True)
class Check:
    rule: str
    column: str
    fails: pl.Expr  # true where the row breaks the rule (null counts as passing)
    reason: pl.Expr  # text, evaluated where `fails`


def typed(name: str) -> str:
    """Name of the helper column holding `name` parsed to its contract type."""
    return f"__typed__{name}"


def helper(name: str, what: str) -> str:
    """Name of an identifier helper column (`expected`, `given`, `digits`, `type`)."""
    return f"__{what}__{name}"


def _text(name: str) -> pl.Expr:
    # Spaces around a value are not significant; blank is empty, and empty is null.
    stripped = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def _parse(column: Column) -> pl.Expr:
    value = pl.col(column.name)
    match column.type:
        case "date":
            return pl.when(value.str.contains(_DATE)).then(
                value.str.to_date("%Y-%m-%d", strict=False)
            )
        case "decimal":
            number = value.cast(pl.Float64, strict=False)
            # 1e400 is well-formed but no amount: it overflows to inf.
            return pl.when(value.str.contains(_DECIMAL) & number.is_finite()).then(number)
        case "int":
            digits = value.str.replace(r"\.0*$", "")
            return pl.when(value.str.contains(_INT)).then(digits.cast(pl.Int64, strict=False))
        case "bool":
            lowered = value.str.to_lowercase()
            return lowered.replace_strict(_BOOLS, default=None, return_dtype=pl.Boolean)
    return value


def identifier_helpers(column: Column) -> tuple[list[pl.Expr], list[pl.Expr]]:
    """Helper columns in two stages (the second reads the first): the check character
    given and expected and, for application numbers, the digits and the type they imply."""
    value = pl.col(column.name)
    if column.identifier == "credit_code":
        well_formed = value.str.contains(CREDIT_CODE_PATTERN)
        return [
            pl.when(well_formed)
            .then(credit_code_check_char_expr(value))
            .alias(helper(column.name, "expected")),
            pl.when(well_formed).then(value.str.slice(17, 1)).alias(helper(column.name, "given")),
        ], []
    digits = pl.col(helper(column.name, "digits"))
    return [
        value.str.extract(APPLICATION_PATTERN, 1).alias(helper(column.name, "digits")),
        value.str.extract(APPLICATION_PATTERN, 2).alias(helper(column.name, "given")),
    ], [
        application_check_char_expr(digits).alias(helper(column.name, "expected")),
        application_type_expr(digits).alias(helper(column.name, "type")),
    ]


def identifier_valid(column: Column) -> pl.Expr:
    """Well-formed and the check character verifies (false for null)."""
    expected = pl.col(helper(column.name, "expected"))
    return (expected == pl.col(helper(column.name, "given"))).fill_null(False)


def _identifier_checks(column: Column) -> list[Check]:
    name = column.name
    value = pl.col(name)
    expected = pl.col(helper(name, "expected"))
    given = pl.col(helper(name, "given"))
    mismatch = Check(
        "check_digit",
        name,
        given.is_not_null() & (expected != given),
        pl.format(f"{name} check digit mismatch: expected {{}}, got {{}}", expected, given),
    )
    if column.identifier == "credit_code":
        length = value.str.len_chars()
        reason = (
            pl.when(length != 18)
            .then(pl.format(f"{name} must have 18 characters, got {{}}: '{{}}'", length, value))
            .otherwise(
                pl.format(
                    f"{name} '{{}}' has characters outside 0-9 and {CREDIT_CODE_CHARSET[10:]}"
                    " (upper case; no I, O, S, V, Z)",
                    value,
                )
            )
        )
        return [Check("bad_format", name, value.is_not_null() & given.is_null(), reason), mismatch]
    digits = pl.col(helper(name, "digits"))
    return [
        Check(
            "bad_format",
            name,
            value.is_not_null() & digits.is_null(),
            pl.format(
                f"{name} must be CN + 12 digits + '.' + check character"
                " (e.g. CN202310123456.6), got '{}'",
                value,
            ),
        ),
        Check(
            "bad_format",
            name,
            (digits.str.len_chars() == 12) & pl.col(helper(name, "type")).is_null(),
            pl.format(
                f"{name} {{}}: digit 5 is {{}}, which is no patent type (1, 2, 3, 8 or 9)",
                value,
                digits.str.slice(4, 1),
            ),
        ),
        mismatch,
    ]


def _year_or_date(column: Column, other: Column) -> tuple[pl.Expr, pl.Expr]:
    """Comparable typed values: an int year against a date compares with its year."""
    mine, theirs = pl.col(typed(column.name)), pl.col(typed(other.name))
    if column.type == "int" and other.type == "date":
        theirs = theirs.dt.year().cast(pl.Int64)
    return mine, theirs


def _column_checks(column: Column, contract: Contract, drop_date: date) -> list[Check]:
    name = column.name
    value = pl.col(name)
    parsed = pl.col(typed(name))
    checks: list[Check] = []
    if column.required:
        missing = value.is_null()
        checks.append(
            Check("missing_required", name, missing, pl.lit(f"{name} is required but empty"))
        )
    if column.type in _PARSE_RULE:
        rule, hint = _PARSE_RULE[column.type]
        checks.append(
            Check(
                rule,
                name,
                value.is_not_null() & parsed.is_null(),
                pl.format(f"{name} '{{}}' {hint}", value),
            )
        )
    if column.identifier and column.invalid_identifier == "reject":
        checks.extend(_identifier_checks(column))
    if column.pattern:
        checks.append(
            Check(
                "bad_format",
                name,
                ~value.str.contains(column.pattern),
                pl.format(f"{name} '{{}}' must be {column.pattern_help or column.pattern}", value),
            )
        )
    if column.allowed:
        checks.append(
            Check(
                "unknown_value",
                name,
                ~value.is_in(list(column.allowed)),
                pl.format(f"{name} '{{}}' is not one of {', '.join(column.allowed)}", value),
            )
        )
    if column.non_negative:
        checks.append(
            Check("negative_amount", name, parsed < 0, pl.format(f"{name} {{}} is negative", value))
        )
    if column.min is not None:
        checks.append(
            Check(
                "bad_format",
                name,
                parsed < column.min,
                pl.format(f"{name} {{}} is below {column.min:g}", value),
            )
        )
    if column.max is not None:
        checks.append(
            Check(
                "bad_format",
                name,
                parsed > column.max,
                pl.format(f"{name} {{}} is above {column.max:g}", value),
            )
        )
    if column.not_after_drop:
        if column.type == "int":
            limit, what = pl.lit(drop_date.year), f"the drop year {drop_date.year}"
        else:
            limit, what = pl.lit(drop_date), f"the drop date {drop_date.isoformat()}"
        checks.append(
            Check(
                "future_date",
                name,
                parsed > limit,
                pl.format(f"{name} {{}} is after {what}", value),
            )
        )
    for other_name, after in ((column.not_after, True), (column.not_before, False)):
        if other_name is None:
            continue
        mine, theirs = _year_or_date(column, contract.column(other_name))
        word = "after" if after else "before"
        checks.append(
            Check(
                "date_order",
                name,
                mine > theirs if after else mine < theirs,
                pl.format(f"{name} {{}} is {word} {other_name} {{}}", value, pl.col(other_name)),
            )
        )
    if column.at_most:
        bound = column.at_most
        checks.append(
            Check(
                bound.rule,
                name,
                # Against a negative bound the comparison says nothing: that value
                # already fails its own rule.
                (parsed > pl.col(typed(bound.column)) * bound.times)
                & (pl.col(typed(bound.column)) >= 0),
                pl.format(
                    f"{name} {{}} exceeds {bound.times:g} × {bound.column} {{}}",
                    value,
                    pl.col(bound.column),
                ),
            )
        )
    if column.agrees_with_number:
        number = column.agrees_with_number
        implied = pl.col(helper(number, "type"))
        checks.append(
            Check(
                "type_number_mismatch",
                name,
                value.is_in(list(column.allowed or ())) & (value != implied),
                pl.format(
                    f"{name} '{{}}' disagrees with {number} {{}}, whose digit 5 means {{}}",
                    value,
                    pl.col(number),
                    implied,
                ),
            )
        )
    return checks


def row_checks(contract: Contract, drop_date: date) -> list[Check]:
    return [check for c in contract.columns for check in _column_checks(c, contract, drop_date)]


@dataclass(frozen=True)
class CheckedRows:
    """Rows with every contract column cleaned (text) and typed (`typed(name)`), and
    the flag columns; `failed` also has `_rules`, `_rule_columns` (List(String),
    first failure first) and `_reason`."""

    passed: pl.DataFrame
    failed: pl.DataFrame


def prepare_rows(rows: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Clean text, typed values and identifier helpers (each stage reads the last)."""
    scalar = [c for c in contract.columns if c.type != "list"]
    identifiers = [identifier_helpers(c) for c in contract.columns if c.identifier]
    return (
        rows.with_columns(_text(c.name).alias(c.name) for c in scalar)
        .with_columns(
            *(_parse(c).alias(typed(c.name)) for c in contract.columns),
            *(expr for first, _ in identifiers for expr in first),
        )
        .with_columns(
            *(expr for _, second in identifiers for expr in second),
        )
        .with_columns(
            identifier_valid(c).alias(c.flag_column) for c in contract.columns if c.flag_column
        )
    )


def check_rows(rows: pl.DataFrame, contract: Contract, drop_date: date) -> CheckedRows:
    """Rows (contract columns as read + `_row_number`, `_extra`) split into passing and
    failing; reasons are only built for the failing rows (the few)."""
    prepared = prepare_rows(rows, contract)
    checks = row_checks(contract, drop_date)
    flags = [f"__fails__{i}" for i in range(len(checks))]
    flagged = prepared.with_columns(
        check.fails.fill_null(False).alias(flag) for check, flag in zip(checks, flags, strict=True)
    )
    failing = pl.any_horizontal(pl.col(flags)) if flags else pl.lit(False)
    passed = flagged.filter(~failing).drop(flags)
    failed = flagged.filter(failing).with_columns(
        pl.concat_list(
            pl.when(pl.col(flag)).then(pl.lit(check.rule))
            for check, flag in zip(checks, flags, strict=True)
        )
        .list.drop_nulls()
        .alias(RULES),
        pl.concat_list(
            pl.when(pl.col(flag)).then(pl.lit(check.column))
            for check, flag in zip(checks, flags, strict=True)
        )
        .list.drop_nulls()
        .alias(RULE_COLUMNS),
        pl.concat_str(
            [
                pl.when(pl.col(flag)).then(check.reason)
                for check, flag in zip(checks, flags, strict=True)
            ],
            separator="; ",
            ignore_nulls=True,
        ).alias(REASON),
    )
    return CheckedRows(passed=passed, failed=failed.drop(flags))


def typed_rows(checked: pl.DataFrame, contract: Contract, file: str) -> pl.DataFrame:
    """The raw lake columns (schemas.raw_schema_of) of checked rows."""
    return checked.select(
        *(pl.col(typed(c.name)).cast(TYPE_DTYPES[c.type]).alias(c.name) for c in contract.columns),
        *(pl.col(c.flag_column) for c in contract.columns if c.flag_column),
        pl.lit(file, pl.String).alias(FILE),
        pl.col(ROW_NUMBER).cast(pl.Int64),
        pl.col(EXTRA).cast(pl.String),
    )
