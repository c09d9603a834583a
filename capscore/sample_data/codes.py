"""Identifiers with valid check characters, vectorised (numpy) for millions of rows.

Uniqueness comes from construction, not from checking: every code is an
affine bijection of a distinct integer index, so two indices never give the
same organization code and no retry loop is needed.
"""

from __future__ import annotations

import numpy as np

from data_contracts.check_digits import CREDIT_CODE_CHARSET, CREDIT_CODE_WEIGHTS, ORG_CODE_WEIGHTS

_CHARSET = np.frombuffer(CREDIT_CODE_CHARSET.encode(), dtype=np.uint8)
_BASE = len(CREDIT_CODE_CHARSET)  # 31
# ASCII -> value tables for the two check systems.
_VALUE31 = np.full(128, -1, dtype=np.int64)
_VALUE31[_CHARSET] = np.arange(_BASE)
_VALUE36 = np.full(128, -1, dtype=np.int64)
_VALUE36[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10)
_VALUE36[np.arange(ord("A"), ord("Z") + 1)] = np.arange(10, 36)
# Old (pre-2015) organization codes are 8 digits; new ones are "MA" + 6 charset characters.
_OLD_SPACE = 10**8
_NEW_SPACE = _BASE**6
INDEX_LIMIT = min(_OLD_SPACE, _NEW_SPACE)
# Multipliers coprime to the spaces make index -> body a bijection.
_OLD_MULT, _OLD_ADD = 48_271_307, 13_579_111
_NEW_MULT, _NEW_ADD = 16_807_003, 271_828_182
_APP_WEIGHTS = np.array([2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5], dtype=np.int64)
_APP_WEIGHTS_8 = np.array([2, 3, 4, 5, 6, 7, 8, 9], dtype=np.int64)


def _ascii_matrix(texts: np.ndarray, width: int) -> np.ndarray:
    """n ASCII strings of length `width` -> n x width uint8."""
    return np.asarray(texts, dtype=f"S{width}").view(np.uint8).reshape(-1, width).copy()


def _strings(matrix: np.ndarray) -> np.ndarray:
    width = matrix.shape[1]
    return np.ascontiguousarray(matrix).view(f"S{width}").ravel().astype(f"U{width}")


def org_code_bodies(index: np.ndarray, new_style: np.ndarray) -> np.ndarray:
    """The 8-character organization code body for each distinct index (n x 8 ASCII)."""
    index = index.astype(np.int64)
    old = (index * _OLD_MULT + _OLD_ADD) % _OLD_SPACE
    new = (index * _NEW_MULT + _NEW_ADD) % _NEW_SPACE
    digits = np.empty((index.size, 8), dtype=np.uint8)
    for pos in range(7, -1, -1):
        digits[:, pos] = ord("0") + old % 10
        old //= 10
    ma = np.empty((index.size, 8), dtype=np.uint8)
    ma[:, 0], ma[:, 1] = ord("M"), ord("A")
    for pos in range(7, 1, -1):
        ma[:, pos] = _CHARSET[new % _BASE]
        new //= _BASE
    return np.where(new_style[:, None], ma, digits)


def org_check_chars(body: np.ndarray) -> np.ndarray:
    total = (_VALUE36[body] * np.array(ORG_CODE_WEIGHTS)).sum(axis=1)
    check = 11 - total % 11
    return np.where(
        check == 10, ord("X"), np.where(check == 11, ord("0"), ord("0") + check)
    ).astype(np.uint8)


def credit_check_chars(first17: np.ndarray) -> np.ndarray:
    """Check characters (ASCII) for rows of 17 charset characters (n x 17 ASCII)."""
    total = (_VALUE31[first17] * np.array(CREDIT_CODE_WEIGHTS)).sum(axis=1)
    return _CHARSET[(_BASE - total % _BASE) % _BASE]


def credit_codes(index: np.ndarray, region_codes: np.ndarray, new_style: np.ndarray) -> np.ndarray:
    """统一社会信用代码 for enterprises: 9 (market regulation) 1 (enterprise) + region + org code.

    Distinct indices below 10**8 give distinct codes.
    """
    if index.size and int(index.max()) >= INDEX_LIMIT:
        raise ValueError(f"credit code index must be below {INDEX_LIMIT}, got {int(index.max())}")
    n = index.size
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0], chars[:, 1] = ord("9"), ord("1")
    chars[:, 2:8] = _ascii_matrix(region_codes, 6)
    body = org_code_bodies(index, new_style)
    chars[:, 8:16] = body
    chars[:, 16] = org_check_chars(body)
    chars[:, 17] = credit_check_chars(chars[:, :17])
    return _strings(chars)


def mistype_credit_codes(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each code with one character replaced by another charset character (never verifies)."""
    chars = _ascii_matrix(codes, 18)
    rows = np.arange(codes.size)
    pos = rng.integers(2, 18, size=codes.size)
    shift = rng.integers(1, _BASE, size=codes.size)
    chars[rows, pos] = _CHARSET[(_VALUE31[chars[rows, pos]] + shift) % _BASE]
    return _strings(chars)


def with_wrong_check_char(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Credit codes whose last character no longer verifies."""
    chars = _ascii_matrix(codes, 18)
    shift = rng.integers(1, _BASE, size=codes.size)
    chars[:, 17] = _CHARSET[(_VALUE31[chars[:, 17]] + shift) % _BASE]
    return _strings(chars)


def _number_text(body: np.ndarray, weights: np.ndarray) -> np.ndarray:
    width = weights.size
    chars = np.empty((body.size, width + 4), dtype=np.uint8)
    chars[:, 0], chars[:, 1], chars[:, width + 2] = ord("C"), ord("N"), ord(".")
    rest = body.astype(np.int64)
    total = np.zeros(body.size, dtype=np.int64)
    for pos in range(width - 1, -1, -1):
        digit = rest % 10
        chars[:, pos + 2] = ord("0") + digit
        total += digit * weights[pos]
        rest //= 10
    check = total % 11
    chars[:, width + 3] = np.where(check == 10, ord("X"), ord("0") + check)
    return _strings(chars)


def application_numbers(year: np.ndarray, type_digit: np.ndarray, serial: np.ndarray) -> np.ndarray:
    """CNIPA numbers: CN + year(4) + type digit + serial(7) + '.' + check (12-digit form)."""
    body = year.astype(np.int64) * 10**8 + type_digit.astype(np.int64) * 10**7 + serial
    return _number_text(body, _APP_WEIGHTS)


def old_application_numbers(
    year: np.ndarray, type_digit: np.ndarray, serial: np.ndarray
) -> np.ndarray:
    """Pre-2003 numbers: CN + yy + type digit + serial(5) + '.' + check (8-digit form)."""
    body = (year.astype(np.int64) % 100) * 10**6 + type_digit.astype(np.int64) * 10**5 + serial
    return _number_text(body, _APP_WEIGHTS_8)


def with_wrong_application_check(numbers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Application numbers whose check character no longer verifies."""
    out = []
    for number, shift in zip(
        numbers.tolist(), rng.integers(1, 11, size=numbers.size).tolist(), strict=True
    ):
        current = 10 if number[-1] == "X" else int(number[-1])
        new = (current + shift) % 11
        out.append(number[:-1] + ("X" if new == 10 else str(new)))
    return np.array(out, dtype=object)
