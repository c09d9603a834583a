"""Noisy renderings of registered names, as patents and filings write them.

Each mention gets one noise kind; the kind is the ground truth the entity
resolution is measured against. A variant that is not applicable to a name
(no region to drop, no character with a look-alike, ...) or that would equal
another registered name falls back to `exact`, so the label always describes
the string.
"""

from __future__ import annotations

import numpy as np
import opencc
import polars as pl

from capscore.sample_data.vocab import ORG_FORM_VARIANTS, SIMILAR_CHARS

# Default mixes: mostly exact.
PATENT_NOISE = {
    "exact": 0.79,
    "region_dropped": 0.035,
    "region_added": 0.025,
    "region_parenthesized": 0.02,
    "legal_form_variant": 0.035,
    "width_punct": 0.03,
    "typo": 0.025,
    "traditional": 0.02,
}
# PCT filings with a registered English name often carry it instead.
PATENT_ENGLISH_SHARE = 0.35
RD_NOISE = {
    "exact": 0.88,
    "region_dropped": 0.02,
    "region_added": 0.0,
    "region_parenthesized": 0.0,
    "legal_form_variant": 0.04,
    "width_punct": 0.025,
    "typo": 0.025,
    "traditional": 0.01,
}
IDEOGRAPHIC_SPACE = "\u3000"

# Needed columns of `mentions`: name (registered now), cur_prefix, cur_paren,
# cur_zihao, cur_word, cur_orgform, province_short, prefecture_short,
# english_name (registered, may be null), romanized (the name in pinyin and
# English words, for every firm), in_english (bool: the filing is written in
# English, e.g. a PCT filing), upper (bool: written in capitals).


def _variant_exprs() -> dict[str, pl.Expr]:
    prefix, paren, zihao = pl.col("cur_prefix"), pl.col("cur_paren"), pl.col("cur_zihao")
    word, form = pl.col("cur_word"), pl.col("cur_orgform")
    in_paren = pl.format("（{}）", paren)
    has_prefix, has_paren = prefix != "", paren != ""
    short_prefix = prefix.str.replace(r"[省市]$", "")
    form_variant = form.replace_strict(
        {k: v[0] for k, v in ORG_FORM_VARIANTS.items()}, default=None
    )
    return {
        "region_dropped": pl.when(has_prefix)
        .then(
            pl.concat_str(
                [zihao, pl.when(has_paren).then(in_paren).otherwise(pl.lit("")), word, form]
            )
        )
        .when(has_paren)
        .then(pl.concat_str([zihao, word, form])),
        "region_added": pl.when(
            ~has_paren & (prefix != pl.col("province_short")) & ~prefix.str.ends_with("省")
        ).then(
            pl.concat_str(
                [
                    pl.when(has_prefix)
                    .then(pl.col("province_short"))
                    .otherwise(pl.coalesce(pl.col("prefecture_short"), pl.col("province_short"))),
                    pl.col("name"),
                ]
            )
        ),
        "region_parenthesized": pl.when(has_prefix & ~has_paren).then(
            pl.concat_str([zihao, pl.format("（{}）", short_prefix), word, form])
        ),
        "legal_form_variant": pl.when(form_variant.is_not_null()).then(
            pl.concat_str(
                [
                    prefix,
                    zihao,
                    pl.when(has_paren).then(in_paren).otherwise(pl.lit("")),
                    word,
                    form_variant,
                ]
            )
        ),
        "width_punct": pl.when(has_paren)
        .then(
            pl.col("name")
            .str.replace_all("（", "(", literal=True)
            .str.replace_all("）", ")", literal=True)
        )
        .when(has_prefix)
        .then(pl.concat_str([prefix, pl.lit(IDEOGRAPHIC_SPACE), zihao, word, form]))
        .otherwise(pl.concat_str([zihao, word, pl.lit(" "), form])),
        "english": pl.col("english_name"),
        # A firm with no registered English name written the way PCT filings and
        # foreign records do: pinyin 字号 and region, translated industry and form.
        "pinyin": pl.when(pl.col("upper"))
        .then(pl.col("romanized").str.to_uppercase())
        .otherwise(pl.col("romanized")),
    }


def _typo(rng: np.random.Generator, zihao: list[str], name: list[str]) -> list[str | None]:
    """Swap one 字号 character for a similar one (or, failing that, any mappable character)."""
    out: list[str | None] = []
    for z, full, u in zip(zihao, name, rng.random(len(name)).tolist(), strict=True):
        start = full.find(z) if z else -1
        spots = [start + i for i, ch in enumerate(z) if ch in SIMILAR_CHARS] if start >= 0 else []
        if not spots:
            spots = [i for i, ch in enumerate(full) if ch in SIMILAR_CHARS]
        if not spots:
            out.append(None)
            continue
        pos = spots[int(u * len(spots))]
        out.append(full[:pos] + SIMILAR_CHARS[full[pos]] + full[pos + 1 :])
    return out


def _traditional(names: list[str]) -> list[str]:
    if not names:
        return []
    converter = opencc.OpenCC("s2t")
    # One call over the joined text: per-string calls dominate the cost otherwise.
    return converter.convert("\n".join(names)).split("\n")


def noisy_names(
    rng: np.random.Generator,
    mentions: pl.DataFrame,
    mix: dict[str, float],
    taken: pl.Series,
    english_share: float = 0.0,
) -> pl.DataFrame:
    """(text, noise) for each mention of a registered enterprise under its current name.

    Rows `in_english` are written in English with probability `english_share`:
    the registered English name when there is one, else the name in pinyin
    (half of them in capitals).
    """
    if mentions.height == 0:
        return pl.DataFrame(schema={"text": pl.String, "noise": pl.String})
    kinds = np.array(list(mix))
    p = np.array(list(mix.values()))
    chosen = kinds[rng.choice(kinds.size, size=mentions.height, p=p / p.sum())]
    draw = rng.random(mentions.height)
    english = mentions["in_english"].to_numpy() & (draw < english_share)
    registered = mentions["english_name"].is_not_null().to_numpy()
    chosen = np.where(english, np.where(registered, "english", "pinyin"), chosen)
    mentions = mentions.with_columns(pl.Series("upper", draw < english_share / 2))
    # Each variant is computed on the rows that drew it only.
    exprs = _variant_exprs()
    text = pl.Series("text", [None], dtype=pl.String).extend_constant(None, mentions.height - 1)
    for kind in np.unique(chosen).tolist():
        rows = np.flatnonzero(chosen == kind)
        sub = mentions[rows]
        if kind == "typo":
            values = pl.Series(
                _typo(rng, sub["cur_zihao"].to_list(), sub["name"].to_list()), dtype=pl.String
            )
        elif kind == "traditional":
            values = pl.Series(_traditional(sub["name"].to_list()), dtype=pl.String)
        elif kind in exprs:
            values = sub.select(exprs[kind]).to_series()
        else:
            continue
        text = text.scatter(rows, values)
    frame = pl.DataFrame({"name": mentions["name"], "_text": text, "_kind": chosen})
    usable = (
        pl.col("_text").is_not_null()
        & (pl.col("_text") != pl.col("name"))
        & ~pl.col("_text").is_in(taken)
    )
    return frame.select(
        pl.when(usable).then(pl.col("_text")).otherwise(pl.col("name")).alias("text"),
        pl.when(usable).then(pl.col("_kind")).otherwise(pl.lit("exact")).alias("noise"),
    )


_PART_COLUMNS = (
    "name",
    "english_name",
    "romanized",
    "cur_prefix",
    "cur_paren",
    "cur_zihao",
    "cur_word",
    "cur_orgform",
    "province_short",
    "prefecture_short",
)


def names_on(firms: pl.DataFrame, ent: np.ndarray, day: np.ndarray) -> pl.Series:
    """The registered name of each firm `ent` on `day` (renames take effect on their day)."""
    r1 = firms["r1"].to_numpy()[ent]
    r2 = firms["r2"].to_numpy()[ent]
    version = np.where(day >= r2, 2, np.where(day >= r1, 1, 0))
    versions = pl.concat([firms["name0"], firms["name1"], firms["name2"]])
    return versions.gather(ent + firms.height * version)


def mention_names(
    rng: np.random.Generator,
    firms: pl.DataFrame,
    taken: pl.Series,
    ent: np.ndarray,
    day: np.ndarray,
    in_english: np.ndarray,
    mix: dict[str, float],
    english_share: float = 0.0,
) -> tuple[pl.Series, pl.Series]:
    """(text, noise) of registry firms `ent` as written on `day`.

    Before a rename the firm is written under the name of that day
    (`former_name`); otherwise its current name goes through `noisy_names`.
    `firms` is the registry frame (rows indexed by ent).
    """
    if ent.size == 0:
        return pl.Series("text", [], dtype=pl.String), pl.Series("noise", [], dtype=pl.String)
    then = names_on(firms, ent, day).alias("text")
    current = np.flatnonzero((then == firms["name"].gather(ent)).to_numpy())
    parts = firms.select(_PART_COLUMNS)[ent[current]].with_columns(
        pl.Series("in_english", in_english[current])
    )
    noisy = noisy_names(rng, parts, mix, taken, english_share)
    noise = pl.Series("noise", ["former_name"], dtype=pl.String).extend_constant(
        "former_name", ent.size - 1
    )
    return then.scatter(current, noisy["text"]), noise.scatter(current, noisy["noise"])
