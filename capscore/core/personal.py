"""Personal data leaves the raw layer masked (data minimization).

Nothing after the raw layer needs a legal representative's or an inventor's
name, so core stores them masked (first character, then `*`): a derived table
can then be read by anyone the warehouse lets in. The raw layer and the landing
files keep the names as received.
"""

from __future__ import annotations

import polars as pl

from capscore.landing.columns import EXTRA

PERSONAL_COLUMNS = ("legal_representative",)
PERSONAL_LIST_COLUMNS = ("inventors",)
# `_extra` holds the source columns the contract does not know, as JSON: any may name a
# person (a filer, 填报人), alone, in a list or in a joined cell (王小明;李四), so every
# token of two to four Han characters in a value keeps its first character (a city or a
# role too: the safe side). A token is bounded by a value's quotes or a separator; a key
# is not a value (its closing quote is followed by `:`). Core stores it so (the
# analysts' sandbox can read core's files, not only its views) and the warehouse masks
# the raw layer's with the same rule (publish.MASK_EXTRA_MACRO; Rust regex and RE2
# read it alike). Applied twice: neighbouring tokens share the separator one match
# consumes.
_SEPARATORS = ";；,，、/·()（）\\s"
EXTRA_NAME = f'(["\\[{_SEPARATORS}])(\\p{{Han}})\\p{{Han}}{{1,3}}("\\s*[,}}\\]]|[{_SEPARATORS}])'


def mask_name(name: pl.Expr) -> pl.Expr:
    """张三丰 -> 张**: the first character, then one * per further character (at least one)."""
    length = name.str.len_chars()
    return (
        pl.when(length == 0)
        .then(pl.lit("*"))
        .otherwise(name.str.slice(0, 1).str.pad_end(pl.max_horizontal(length, 2), "*"))
    )


def mask_extra(extra: pl.Expr) -> pl.Expr:
    """{"填报人":"王小明;李四"} -> {"填报人":"王**;李**"} (EXTRA_NAME)."""
    once = extra.str.replace_all(EXTRA_NAME, "${1}${2}**${3}")
    return once.str.replace_all(EXTRA_NAME, "${1}${2}**${3}")


def mask_personal(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every personal column it has masked, names in `_extra` included."""
    return frame.with_columns(
        *([mask_extra(pl.col(EXTRA)).alias(EXTRA)] if EXTRA in frame.columns else []),
        *[mask_name(pl.col(c)).alias(c) for c in PERSONAL_COLUMNS if c in frame.columns],
        *[
            pl.col(c).list.eval(mask_name(pl.element())).alias(c)
            for c in PERSONAL_LIST_COLUMNS
            if c in frame.columns
        ],
    )
