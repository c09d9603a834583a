"""Enterprise names built as the 2021 naming rules have them: 行政区划 + 字号 + 行业 + 组织形式.

A name is kept as its parts (a frame with prefix, paren, zihao, word, orgform,
...) so that renames and the noisy variants patents and filings carry can be
derived from the parts instead of re-parsing strings.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.people import zipf_weights
from capscore.sample_data.vocab import ORG_FORMS, REGION_PINYIN, TRADE_CHARS, TRADE_SUFFIXES

_CHARS = np.array([c for c, _ in TRADE_CHARS])
_PINYIN = np.array([p for _, p in TRADE_CHARS])
_CHAR_P = zipf_weights(_CHARS.size, 0.85)
_SUFFIXES = np.array(TRADE_SUFFIXES)
_SUFFIX_EN = np.array(
    ["International", "Global", "Zhongtian", "Oriental", "Huaxia", "Far East", "Century", "Times"]
)
ORG_FORM_NAMES = np.array([f for f, _, _ in ORG_FORMS])
_ORG_FORM_P = np.array([w for _, w, _ in ORG_FORMS]) / sum(w for _, w, _ in ORG_FORMS)
_ORG_FORM_EN = {
    "有限公司": "Co., Ltd.",
    "有限责任公司": "Co., Ltd.",
    "股份有限公司": "Co., Ltd.",
    "集团有限公司": "Group Co., Ltd.",
    "厂": "Factory",
}
GUFEN = int(np.flatnonzero(ORG_FORM_NAMES == "股份有限公司")[0])
GROUP = int(np.flatnonzero(ORG_FORM_NAMES == "集团有限公司")[0])

# 行业 words of all industries in one flat table: (industry, word, english).
_WORD_INDUSTRY = np.array([i for i, ind in enumerate(INDUSTRIES) for _ in ind.words])
_WORDS = np.array([w for ind in INDUSTRIES for w in ind.words])
_WORDS_EN = np.array([e for ind in INDUSTRIES for e in ind.english])
_WORD_START = np.array(
    [int(np.flatnonzero(i == _WORD_INDUSTRY)[0]) for i in range(len(INDUSTRIES))]
)
_WORD_COUNT = np.array([len(ind.words) for ind in INDUSTRIES])


def pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row, drawn with that row's (unnormalized) weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cum[:, -1]
    return (cum <= u[:, None]).sum(axis=1)


def trade_names(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """字号 of 2-4 characters from a Zipf-weighted pool, and their pinyin for English names."""
    length = rng.choice(np.array([2, 3, 4]), size=n, p=[0.7, 0.16, 0.14])
    idx = rng.choice(_CHARS.size, size=(n, 4), p=_CHAR_P)
    for k in range(1, 4):
        same = idx[:, k] == idx[:, k - 1]
        idx[same, k] = (idx[same, k] + 1) % _CHARS.size
    chars, pinyin = _CHARS[idx], _PINYIN[idx]
    suffix = rng.integers(0, _SUFFIXES.size, size=n)
    with_suffix = (length == 4) & (rng.random(n) < 0.5)
    zihao = np.char.add(chars[:, 0], chars[:, 1])
    first = np.char.capitalize(pinyin[:, 0])
    english = np.char.add(first, pinyin[:, 1])
    for k in (2, 3):
        more = length > k
        zihao = np.where(more & ~with_suffix, np.char.add(zihao, chars[:, k]), zihao)
        english = np.where(more & ~with_suffix, np.char.add(english, pinyin[:, k]), english)
    zihao = np.where(with_suffix, np.char.add(zihao, _SUFFIXES[suffix]), zihao)
    english = np.where(
        with_suffix, np.char.add(np.char.add(english, " "), _SUFFIX_EN[suffix]), english
    )
    return zihao, english


def industry_words(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Index into the flat word table: a 行业 word of each firm's industry (first words commoner)."""
    count = _WORD_COUNT[industry]
    offset = np.minimum((rng.random(industry.size) ** 1.6 * count).astype(np.int64), count - 1)
    return _WORD_START[industry] + offset


def other_industry_word(rng: np.random.Generator, word_idx: np.ndarray) -> np.ndarray:
    """A different 行业 word of the same industry (a rename that keeps the business)."""
    industry = _WORD_INDUSTRY[word_idx]
    count = _WORD_COUNT[industry]
    step = 1 + (rng.random(word_idx.size) * (count - 1)).astype(np.int64)
    return _WORD_START[industry] + (word_idx - _WORD_START[industry] + step) % count


def org_forms(rng: np.random.Generator, size: np.ndarray) -> np.ndarray:
    form = rng.choice(ORG_FORM_NAMES.size, size=size.size, p=_ORG_FORM_P)
    # Joint-stock and group forms belong to the larger firms.
    big = (size > 1.3) & (rng.random(size.size) < 0.35)
    return np.where(big, GUFEN, form)


def legal_forms(rng: np.random.Generator, form: np.ndarray) -> np.ndarray:
    out = np.empty(form.size, dtype=object)
    for i, (_, _, choices) in enumerate(ORG_FORMS):
        rows = np.flatnonzero(form == i)
        out[rows] = np.array(choices, dtype=object)[rng.integers(0, len(choices), rows.size)]
    return out


def region_prefixes(
    rng: np.random.Generator, places: pl.DataFrame, county_level: np.ndarray, form: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(prefix, paren): the 行政区划 in front of the 字号, or in parentheses after it.

    `places` has the county_table columns for each firm; `county_level` says
    whether the firm registered with a county (it may then use the county's name).
    """
    pref_short = places["prefecture_short"].fill_null("").to_numpy()
    pref_name = places["prefecture_name"].fill_null("").to_numpy()
    county_short = places["county_short"].fill_null("").to_numpy()
    county_name = places["county_name"].to_numpy()
    prov_short = places["province_short"].to_numpy()
    prov_name = places["province_name"].to_numpy()
    municipality = places["municipality"].to_numpy()
    county_ok = county_level & ~municipality
    big_form = (form == GUFEN) | (form == GROUP)
    options = [
        (pref_short, "", 40.0, pref_short != ""),
        (pref_name, "", 12.0, pref_name != ""),
        (county_short, "", 14.0, county_ok & (county_short != "")),
        (county_name, "", 6.0, county_ok & ~np.char.endswith(county_name.astype(str), "区")),
        (prov_short, "", 12.0, np.ones(form.size, dtype=bool)),
        (prov_name, "", 2.0, np.ones(form.size, dtype=bool)),
        ("", np.where(pref_short != "", pref_short, prov_short), 6.0, np.ones(form.size, bool)),
        ("", "", 2.0, big_form),
    ]
    weights = np.column_stack([np.where(ok, w, 0.0) for _, _, w, ok in options])
    choice = pick_rows(rng, weights)
    prefix = np.full(form.size, "", dtype=object)
    paren = np.full(form.size, "", dtype=object)
    for k, (pre, par, _, _) in enumerate(options):
        rows = choice == k
        prefix[rows] = np.broadcast_to(np.asarray(pre, dtype=object), form.shape)[rows]
        paren[rows] = np.broadcast_to(np.asarray(par, dtype=object), form.shape)[rows]
    return prefix, paren


def assemble(parts: pl.DataFrame) -> pl.Series:
    """The registered name from its parts; parenthesized regions use full-width （）."""
    paren = pl.when(pl.col("paren") != "").then(pl.format("（{}）", "paren")).otherwise(pl.lit(""))
    return parts.select(
        pl.concat_str(
            [pl.col("prefix"), pl.col("zihao"), paren, pl.col("word"), pl.col("orgform")]
        ).alias("name")
    ).to_series()


def registration_keys(parts: pl.DataFrame) -> pl.Series:
    """What a registration authority compares to refuse a name as already taken: the
    行政区划 (in front or in brackets, with or without 省/市/县/区), 字号 and 行业; the
    组织形式 does not make a name new (嘉兴市恒博塑业股份有限公司 repeats 嘉兴恒博塑业有限公司)."""
    region = pl.when(pl.col("prefix") != "").then(pl.col("prefix")).otherwise(pl.col("paren"))
    return parts.select(
        pl.concat_str(
            [region.str.replace(r"[省市县区]$", ""), pl.col("zihao"), pl.col("word")],
            separator="|",
        ).alias("registration_key")
    ).to_series()


def english_names(parts: pl.DataFrame) -> pl.Series:
    """E.g. Zhejiang Keyi International Intelligent Suspension Technology Co., Ltd."""
    region = pl.coalesce(
        pl.col("prefix").replace_strict(REGION_PINYIN, default=None),
        pl.col("paren").replace_strict(REGION_PINYIN, default=None),
    )
    suffix = pl.col("orgform").replace_strict(_ORG_FORM_EN, default="Co., Ltd.")
    return parts.select(
        pl.concat_str(
            [
                pl.when(region.is_not_null()).then(region + " ").otherwise(pl.lit("")),
                pl.col("zihao_en"),
                pl.lit(" "),
                pl.col("word_en"),
                pl.lit(" "),
                suffix,
            ]
        ).alias("english_name")
    ).to_series()


def parts_frame(
    prefix: np.ndarray,
    paren: np.ndarray,
    zihao: np.ndarray,
    zihao_en: np.ndarray,
    word_idx: np.ndarray,
    form: np.ndarray,
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "prefix": prefix.astype(str),
            "paren": paren.astype(str),
            "zihao": zihao.astype(str),
            "zihao_en": zihao_en.astype(str),
            "word_idx": word_idx.astype(np.int64),
            "word": _WORDS[word_idx],
            "word_en": _WORDS_EN[word_idx],
            "form_idx": form.astype(np.int64),
            "orgform": ORG_FORM_NAMES[form],
        }
    )


def new_names(
    rng: np.random.Generator,
    places: pl.DataFrame,
    county_level: np.ndarray,
    industry: np.ndarray,
    size: np.ndarray,
) -> pl.DataFrame:
    """Name parts for new firms."""
    form = org_forms(rng, size)
    prefix, paren = region_prefixes(rng, places, county_level, form)
    zihao, zihao_en = trade_names(rng, industry.size)
    return parts_frame(prefix, paren, zihao, zihao_en, industry_words(rng, industry), form)


def with_new_trade_names(
    rng: np.random.Generator, parts: pl.DataFrame, rows: np.ndarray
) -> pl.DataFrame:
    """`parts` with a fresh 字号 on the given rows (to resolve a name clash)."""
    if rows.size == 0:
        return parts
    zihao, zihao_en = trade_names(rng, rows.size)
    return parts.with_columns(
        parts["zihao"].clone().scatter(rows, pl.Series(zihao, dtype=pl.String)),
        parts["zihao_en"].clone().scatter(rows, pl.Series(zihao_en, dtype=pl.String)),
    )


def unique_names(
    rng: np.random.Generator, parts: pl.DataFrame, taken: pl.Series | None = None
) -> pl.DataFrame:
    """Re-draw the 字号 of rows whose name repeats an earlier row or a `taken` name."""
    names = assemble(parts)
    clash = ~names.is_first_distinct()
    if taken is not None:
        clash = clash | names.is_in(taken)
    rows = np.flatnonzero(clash.to_numpy())
    used = set(names.filter(~clash).to_list())
    if taken is not None:
        used.update(taken.to_list())
    for _ in range(50):
        if rows.size == 0:
            return parts
        parts = with_new_trade_names(rng, parts, rows)
        still = []
        for row, name in zip(rows.tolist(), assemble(parts[rows]).to_list(), strict=True):
            if name in used:
                still.append(row)
            else:
                used.add(name)
        rows = np.array(still, dtype=np.int64)
    raise RuntimeError("could not make enterprise names unique")
