"""Characters people type for one another in Chinese names: same sound or similar shape.

Most typos in Chinese names are a character swapped for a homophone (同音字:
the pinyin input method offers both, 华 for 化, 达 for 大) or for a look-alike
(形近字: 桓 for 恒, 夭 for 天). A one-character difference of that kind is
much stronger evidence of a typo than one of any other kind, which often marks
another firm (鑫信 and 利信 are both common 字号).

Sound: the most common reading of each character without its tone (pypinyin).
Shape: the SIGHAN 2013 similar-shape groups (reference_data/similar_shape.txt).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import polars as pl
from pypinyin import Style, lazy_pinyin

from capscore import reference_data

SOUND, SHAPE, OTHER = "sound", "shape", "other"
VARIANT_SCHEMA = {"char": pl.String, "variant": pl.String}
SUBSTITUTION_SCHEMA = {"char": pl.String, "variant": pl.String, "substitution": pl.String}


@cache
def reading(char: str) -> str:
    """The toneless pinyin of `char`'s most common reading ("" for a non-Han character)."""
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0] if syllables else ""


@cache
def _shape_groups() -> dict[str, frozenset[str]]:
    """char -> every character sharing a similar-shape group with it."""
    groups: dict[str, set[str]] = {}
    text = reference_data.SIMILAR_SHAPE_TXT.read_text(encoding="utf-8")
    for line in text.splitlines():
        chars = [c for c in line.split("\t") if len(c) == 1]
        for c in chars:
            groups.setdefault(c, set()).update(chars)
    return {c: frozenset(g - {c}) for c, g in groups.items()}


def look_alikes(char: str) -> frozenset[str]:
    return _shape_groups().get(char, frozenset())


def substitution_kind(char: str, variant: str) -> str:
    """sound, shape or other: how `variant` relates to `char` when typed in its place."""
    if reading(char) and reading(char) == reading(variant):
        return SOUND
    if variant in look_alikes(char):
        return SHAPE
    return OTHER


def substitution_kinds(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (char, variant) with `substitution`, one row per distinct pair."""
    distinct = pairs.select("char", "variant").unique().sort("char", "variant")
    kinds = [substitution_kind(a, b) for a, b in distinct.iter_rows()]
    return distinct.with_columns(pl.Series("substitution", kinds, dtype=pl.String))


def variants(chars: Iterable[str], inventory: Iterable[str]) -> pl.DataFrame:
    """(char, variant): for each of `chars`, the other characters of `inventory` that
    sound the same or look alike, sorted. Only `inventory` (the characters the
    registry's names use) is worth trying: any other variant finds nothing."""
    by_sound: dict[str, set[str]] = {}
    known = set(inventory)
    for c in known:
        if reading(c):
            by_sound.setdefault(reading(c), set()).add(c)
    rows = [
        (c, v)
        for c in sorted(set(chars))
        for v in sorted((by_sound.get(reading(c), set()) | (look_alikes(c) & known)) - {c})
    ]
    return pl.DataFrame(rows, schema=VARIANT_SCHEMA, orient="row")
