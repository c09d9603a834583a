"""Check characters of the two identifiers the contracts verify (sources.md).

- 统一社会信用代码 (GB 32100-2015), with its embedded GB 11714 organization code.
- CNIPA patent application numbers (12-digit since 2003, 8-digit before).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence
from functools import reduce

import polars as pl

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_CHARSET)}
CREDIT_CODE_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
CREDIT_CODE_RE = re.compile(rf"^[{CREDIT_CODE_CHARSET}]{{18}}$")

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

APPLICATION_RE = re.compile(r"^(?:CN)?(\d{12}|\d{8})\.([0-9X])$")
_APP_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_APP_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
APPLICATION_TYPE_DIGIT = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "invention",
    "9": "utility_model",
}


def credit_code_check_char(first17: str) -> str:
    """The 18th character for the first 17 (which must be in the code's charset)."""
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character over 8 characters (digits, letters A=10 ... Z=35)."""
    total = sum(int(ch, 36) * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_problem(code: str | None) -> str | None:
    """None if `code` is a valid credit code, else a reason a person can act on."""
    if code is None or code == "":
        return "credit_code is empty"
    if len(code) != 18:
        return f"credit_code must have 18 characters, got {len(code)}: {code!r}"
    bad = sorted({ch for ch in code if ch not in _CREDIT_VALUE})
    if bad:
        return (
            f"credit_code has characters outside 0-9 and {CREDIT_CODE_CHARSET[10:]}"
            f" (no I, O, S, V, Z; upper case): {''.join(bad)!r}"
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"credit_code check digit mismatch: expected {expected}, got {code[17]}"
    return None


def is_valid_credit_code(code: str | None) -> bool:
    return credit_code_problem(code) is None


def application_check_char(digits: str) -> str:
    weights = _APP_WEIGHTS_12 if len(digits) == 12 else _APP_WEIGHTS_8
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "X" if total == 10 else str(total)


def application_number_problem(number: str | None) -> str | None:
    """None if `number` is a well-formed application number with a verifying check char."""
    if number is None or number == "":
        return "application_number is empty"
    match = APPLICATION_RE.match(number)
    if match is None:
        return (
            "application_number must be (CN +) 12 digits (8 before 2003) + '.' + check"
            f" character (e.g. CN202310123456.6), got {number!r}"
        )
    digits, check = match.groups()
    expected = application_check_char(digits)
    if check != expected:
        return f"application_number check digit mismatch: expected {expected}, got {check}"
    return None


def application_type(number: str) -> str | None:
    """Patent type encoded in a 12-digit number (digit 5), None if not derivable."""
    match = APPLICATION_RE.match(number)
    if match is None or len(match.group(1)) != 12:
        return None
    return APPLICATION_TYPE_DIGIT.get(match.group(1)[4])


# Vectorised forms for polars frames (the contracts check millions of rows).
# Each one agrees with its scalar counterpart above (tests/property/test_contracts_check_digits.py).

APPLICATION_PATTERN = APPLICATION_RE.pattern  # groups: digits, check character
APPLICATION_FORMAT = r"^(?:CN)?(?:\d{12}|\d{8})\.[0-9X]$"  # the same, to match only
CREDIT_CODE_PATTERN = CREDIT_CODE_RE.pattern


def credit_code_check_char_expr(code: pl.Expr) -> pl.Expr:
    """Expected 18th character of each code (null unless the first 17 are in the charset).

    `code` is referenced 17 times: pass a column, not an expensive expression.
    """
    values = [
        code.str.slice(i, 1).replace_strict(_CREDIT_VALUE, default=None, return_dtype=pl.Int64) * w
        for i, w in enumerate(CREDIT_CODE_WEIGHTS)
    ]
    total = reduce(operator.add, values)
    return ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(CREDIT_CODE_CHARSET)), return_dtype=pl.String
    )


def _digit_sum(number: pl.Expr, weights: Sequence[int]) -> pl.Expr:
    # Digits by integer arithmetic: much cheaper than slicing strings.
    width = len(weights)
    return reduce(
        operator.add, [(number // 10 ** (width - 1 - i)) % 10 * w for i, w in enumerate(weights)]
    )


def application_check_char_expr(digits: pl.Expr) -> pl.Expr:
    """Expected check character of 12- or 8-digit application numbers (without CN and '.').

    `digits` is referenced several times: pass a column, not an expensive expression.
    """
    number = digits.cast(pl.Int64, strict=False)
    total = (
        pl.when(digits.str.len_chars() == 12)
        .then(_digit_sum(number, _APP_WEIGHTS_12))
        .otherwise(_digit_sum(number, _APP_WEIGHTS_8))
        % 11
    )
    return pl.when(total == 10).then(pl.lit("X")).otherwise(total.cast(pl.String))


def application_type_expr(digits: pl.Expr) -> pl.Expr:
    """Patent type of 12-digit numbers from digit 5; null for 8 digits or an unknown digit."""
    return (
        pl.when(digits.str.len_chars() == 12)
        .then(digits.str.slice(4, 1))
        .replace_strict(APPLICATION_TYPE_DIGIT, default=None, return_dtype=pl.String)
    )


def application_key(number: pl.Expr) -> pl.Expr:
    """An application number as two rows are the same patent by: with or without its
    `CN` prefix (both forms pass the contract)."""
    return number.str.strip_prefix("CN")
