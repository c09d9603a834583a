"""Chinese firms written in English without a registered English name.

PCT filings and foreign-language records write 嘉兴松禧豪半导体有限公司 as
"JIAXING SONGXIHAO SEMICONDUCTOR CO., LTD.": region and 字号 in pinyin, the
行业 words translated, the legal form in English. The name model compares
characters and cannot see that; this path does, for Latin-script mentions:

1. keys: every registry name's 字号 in toneless pinyin (each character's
   readings, polyphones included, ü as u), also without a trailing word
   English names translate (鲁达远东 → "luda") and without an industry word
   the Chinese parse left inside it (永源表面处理 → "yongyuan"), each with the
   Chinese text after the spelled characters (`tail`), by every division the
   firm lies in (province, prefecture and county code prefixes);
2. a mention is cleaned to lower-case tokens, its legal form cut from the end,
   leading places (and a bracketed one) read through the pinyin of GB/T
   2260's short forms; the 1-4 tokens at the start and after each leading
   place, joined, are its readings (syllables joined or spaced find the same
   key), each with the places written before it;
3. a reading is joined with the firms inside a place it names, else inside the
   applicant address's region, else with every firm of that key (region
   `agree` or `none`: a firm outside a named place is never a candidate), and
   compared on industry (a translation of a word of its tail appears: agree,
   only a generic one such as "technology", nothing comparable, or only other
   industries: disagree, and never a candidate) and on the words written
   after the 字号 that its name does not explain;
4. the decision table of romanization.yaml turns the levels of the firm that
   fits strictly best into matched or review; it is matched only when every
   written word is explained, and several equal fits go to review. Among firms
   the name fits equally, the only one lying where the applicant address is
   (registered at its street, else in its place) fits best.

The result uses method `normalized_name` (the name normalized to its pinyin
key) and says in its explanation which spelling, region and industry agreed.
`contested` lets the resolver doubt a name-model match of a Latin mention
that another firm's pinyin fits as well.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pypinyin import Style, pinyin

from capscore.entity_resolution.decide import CANDIDATE_STRUCT
from capscore.entity_resolution.normalize import latin_words
from capscore.entity_resolution.places import code_level, region_agreement, surfaces
from capscore.entity_resolution.streets import street_agreement
from capscore.entity_resolution.vocabulary import alternation, vocabulary
from capscore.row_lists import row_list

ROMANIZATION_YAML = Path(__file__).with_name("romanization.yaml")
MAX_ZIHAO_TOKENS = 4
MAX_READINGS = 2
MAX_KEYS = 4
MIN_KEY_LETTERS = 4
# A spelled stem keeps at least the two characters a 字号 has.
MIN_STEM = 2
TOP_CANDIDATES = 3
# Translations that fit almost any firm: agreement on them alone is weak.
GENERIC = frozenset(
    {
        "technology",
        "technologies",
        "tech",
        "science and technology",
        "sci tech",
        "scientific",
        "high tech",
        "hi tech",
        "high technology",
        "new technology",
        "industrial",
        "industry",
        "industries",
        "development",
        "service",
        "services",
        "innovation",
        "innovative",
    }
)
KEY_SCHEMA = {
    "key": pl.String,
    "credit_code": pl.String,
    "registry_name": pl.String,
    "tail": pl.String,
    "dropped": pl.String,
    "group": pl.Boolean,
}


@dataclass(frozen=True)
class Rule:
    region: str
    industry: str
    decision: str
    probability: float


@dataclass(frozen=True)
class Romanization:
    version: int
    region_spellings: dict[str, tuple[str, ...]]
    zihao_words: dict[str, tuple[str, ...]]
    industry: dict[str, tuple[str, ...]]
    legal_forms: tuple[str, ...]
    rules: tuple[Rule, ...]


@cache
def romanization(path: Path = ROMANIZATION_YAML) -> Romanization:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Romanization(
        version=int(raw["version"]),
        region_spellings={k: tuple(v) for k, v in raw["region_spellings"].items()},
        zihao_words={k: tuple(v) for k, v in raw["zihao_words"].items()},
        industry={k: tuple(v) for k, v in raw["industry"].items()},
        legal_forms=tuple(raw["legal_forms"]),
        rules=tuple(Rule(**r) for r in raw["decisions"]),
    )


def _plain(syllable: str) -> str:
    # English spellings write ü as u (lü → lu); pypinyin writes it v.
    return syllable.replace("ü", "u").replace("v", "u")


def _plain_letters(text: pl.Series) -> pl.Series:
    """_plain of every string of `text`."""
    return text.str.replace_all("ü", "u", literal=True).str.replace_all("v", "u", literal=True)


@cache
def readings(char: str) -> tuple[str, ...]:
    """Toneless pinyin readings of `char`, most common first (at most MAX_READINGS)."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    out: list[str] = []
    for syllable in found[0] if found else []:
        plain = _plain(syllable)
        if plain and plain not in out:
            out.append(plain)
    return tuple(out[:MAX_READINGS])


def pinyin_keys(text: str) -> tuple[str, ...]:
    """Every spelling of `text` by its characters' readings, most common first."""
    options = [readings(c) for c in text]
    if not text or any(not o for o in options):
        return ()
    keys = ["".join(p) for p in itertools.islice(itertools.product(*options), MAX_KEYS)]
    return tuple(k for k in dict.fromkeys(keys) if len(k) >= MIN_KEY_LETTERS)


def _stems(parsed: pl.DataFrame) -> pl.DataFrame:
    """(zihao, industry, length, tail, dropped): the starts of each parsed 字号
    (zihao, industry) that are spelled in pinyin. The 字号 as parsed or, where the
    parse left an industry word the name vocabulary does not know inside it
    (永源表面处理), the part before that word; each also without a trailing word
    English translates (鲁达远东 -> 鲁达, `dropped` 远东: the mention should write its
    translation). `length` counts the characters spelled, `tail` is the Chinese text
    after them."""
    voc = romanization()
    zihao_length = pl.col("zihao").str.len_chars().cast(pl.Int64)
    rest = pl.concat_str(pl.col("zihao").str.slice(pl.col("length")), "industry")
    whole = parsed.select(
        "zihao", "industry", zihao_length.alias("length"), pl.col("industry").alias("tail")
    )
    before_industry_word = (
        parsed.with_columns(pl.int_ranges(MIN_STEM, zihao_length).alias("length"))
        .explode("length")
        .drop_nulls("length")
        .filter(rest.str.contains("^" + alternation(list(voc.industry))))
        .group_by("zihao", "industry")
        .agg(pl.col("length").min())
        .select("zihao", "industry", "length", rest.alias("tail"))
    )
    stems = pl.concat([whole, before_industry_word]).with_columns(pl.lit("").alias("dropped"))
    kept = (
        pl.col("zihao")
        .str.slice(0, pl.col("length"))
        .str.replace(alternation(list(voc.zihao_words)) + "$", "")
        .str.len_chars()
        .cast(pl.Int64)
    )
    dropped = pl.col("zihao").str.slice(pl.col("kept"), pl.col("length") - pl.col("kept"))
    without_trailing_word = (
        stems.with_columns(kept.alias("kept"))
        .filter((pl.col("kept") < pl.col("length")) & (pl.col("kept") >= MIN_STEM))
        .select(
            "zihao",
            "industry",
            pl.col("kept").alias("length"),
            pl.concat_str(dropped, "tail").alias("tail"),
            dropped.alias("dropped"),
        )
    )
    return pl.concat([stems, without_trailing_word])


def _wanted_spellings(zihao: pl.Series, wanted: Collection[str]) -> pl.DataFrame:
    """(zihao, length, key): the keys in `wanted` that spell the first `length` (two or
    more) characters of a 字号 of `zihao` as pinyin_keys does (a reading per
    character, among the first MAX_KEYS choices in its order). The spellings grow a
    character at a time and stop once they begin no wanted key: what keeps a
    province's registry cheap to read."""
    keys = pl.DataFrame({"spelled": list(wanted)}, schema={"spelled": pl.String}).filter(
        pl.col("spelled").str.len_chars() >= MIN_KEY_LETTERS
    )
    starts = (
        keys.with_columns(pl.int_ranges(1, pl.col("spelled").str.len_chars() + 1).alias("n"))
        .explode("n")
        .select(pl.col("spelled").str.slice(0, pl.col("n")))
        .unique()
    )
    chars = (
        pl.DataFrame({"zihao": zihao}, schema={"zihao": pl.String})
        .unique()
        .with_columns(pl.col("zihao").str.split("").alias("char"))
        .explode("char")
        .with_columns(pl.int_range(pl.len()).over("zihao").alias("at"))
    )
    distinct_chars = chars["char"].unique().drop_nulls().to_list()
    choices = (
        pl.DataFrame(
            {"char": distinct_chars, "reading": [list(readings(c)) for c in distinct_chars]},
            schema={"char": pl.String, "reading": pl.List(pl.String)},
        )
        .with_columns(
            pl.col("reading").list.len().cast(pl.Int64).alias("radix"),
            pl.int_ranges(0, pl.col("reading").list.len()).alias("digit"),
        )
        .explode("reading", "digit")
        .drop_nulls("reading")
    )
    spelled = chars.filter(pl.col("at") == 0).select(
        "zihao", pl.lit("").alias("spelled"), pl.lit(0, pl.Int64).alias("choice")
    )
    found = [pl.DataFrame(schema={"zihao": pl.String, "length": pl.Int64, "key": pl.String})]
    length = 0
    while spelled.height:
        spelled = (
            spelled.join(chars.filter(pl.col("at") == length).drop("at"), on="zihao")
            .join(choices, on="char")
            .select(
                "zihao",
                pl.concat_str("spelled", "reading").alias("spelled"),
                # The choice's rank in itertools.product order; it only grows.
                (pl.col("choice") * pl.col("radix") + pl.col("digit")).alias("choice"),
            )
            .filter(pl.col("choice") < MAX_KEYS)
            .join(starts, on="spelled", how="semi")
        )
        length += 1
        if length >= MIN_STEM:
            found.append(
                spelled.join(keys, on="spelled", how="semi").select(
                    "zihao",
                    pl.lit(length, pl.Int64).alias("length"),
                    pl.col("spelled").alias("key"),
                )
            )
    return pl.concat(found)


def registry_keys(names: pl.DataFrame, wanted: Collection[str]) -> pl.DataFrame:
    """KEY_SCHEMA rows: the pinyin keys in `wanted` of the 字号 of every Chinese
    registry name (`names`: registry_name, credit_code, script, zihao, industry).
    Every reading of a polyphone counts the same."""
    parsed = (
        names.filter((pl.col("script") == "cjk") & (pl.col("zihao").str.len_chars() >= MIN_STEM))
        .select("zihao", pl.col("industry").fill_null(""))
        .unique()
    )
    spelled = _wanted_spellings(parsed["zihao"], wanted)
    keyed = (
        _stems(parsed.join(spelled.select("zihao").unique(), on="zihao", how="semi"))
        .join(spelled, on=["zihao", "length"])
        .select("zihao", "industry", "key", "tail", "dropped")
    )
    return (
        names.with_columns(pl.col("industry").fill_null(""), pl.col("group").fill_null(False))
        .join(keyed, on=["zihao", "industry"])
        .select(list(KEY_SCHEMA))
        .unique()
        .sort(list(KEY_SCHEMA))
    )


@cache
def region_keys() -> pl.DataFrame:
    """(key, region_code): GB/T 2260 divisions by the pinyin of their short form
    (and of full names that have none), plus the spellings of romanization.yaml."""
    table = surfaces()
    usable = table.filter(
        pl.col("short")
        | ~pl.col("region_code").is_in(table.filter("short")["region_code"].implode())
    )
    spellings = romanization().region_spellings
    rows: list[tuple[str, str]] = []
    for surface, code in usable.select("surface", "region_code").iter_rows():
        for key in pinyin_keys(surface)[:1]:
            rows.append((key, code))
        rows.extend((s.replace(" ", ""), code) for s in spellings.get(surface, ()))
    return pl.DataFrame(
        rows, schema={"key": pl.String, "region_code": pl.String}, orient="row"
    ).unique()


@cache
def _industry_phrases() -> pl.DataFrame:
    """(word, phrase, generic): every translation of every 行业 word, and of the
    字号 words English names translate (they explain words, never an industry)."""
    voc = romanization()
    rows = [
        (word, phrase, phrase in GENERIC)
        for word, phrases in voc.industry.items()
        for phrase in phrases
    ] + [(word, phrase, True) for word, phrases in voc.zihao_words.items() for phrase in phrases]
    return pl.DataFrame(
        rows, schema={"word": pl.String, "phrase": pl.String, "generic": pl.Boolean}, orient="row"
    ).unique()


def _tokens(names: pl.Series) -> pl.Series:
    return latin_words(names.str.normalize("NFKC"))


def key_starts(names: pl.DataFrame) -> list[str]:
    """The spellings of the first two characters of the 字号 of every Chinese name of
    `names` (registry_keys' input): every key registry_keys gives them begins with one."""
    zihao = names.filter(
        (pl.col("script") == "cjk") & (pl.col("zihao").str.len_chars() >= MIN_STEM)
    )["zihao"]
    return sorted(
        {a + b for z in zihao.unique().to_list() for a in readings(z[0]) for b in readings(z[1])}
    )


def may_read_as(mention_names: pl.Series, starts: list[str]) -> pl.Series:
    """Whether a mention name's letters hold one of `starts` (key_starts): every key
    parse_mentions reads in a name is some of its words joined, so a name without one
    reads as no key that begins with one."""
    letters = _tokens(mention_names).str.replace_all(" ", "")
    return _plain_letters(letters).str.contains_any(starts)


@dataclass(frozen=True)
class ParsedMentions:
    # span (id), mention_name, key (1-4 tokens joined), places (the places written
    # before them and in brackets, as region keys), rest (the tokens after them),
    # group (the legal form cut from the end says Group)
    spans: pl.DataFrame
    phrases: pl.DataFrame  # span, phrase: the known translations among its rest


def _leading_places(tokens: list[str], place_set: set[str]) -> list[tuple[int, str]]:
    """(end, place) of each place peeled off the front, outermost first."""
    out: list[tuple[int, str]] = []
    start = 0
    while start < len(tokens):
        step = next((n for n in (3, 2, 1) if "".join(tokens[start : start + n]) in place_set), 0)
        # A place needs something after it: "Jiaxing Co., Ltd." names no 字号.
        if not step or len(tokens) - start - step < 1:
            break
        out.append((start + step, "".join(tokens[start : start + step])))
        start += step
    return out


def parse_mentions(names: pl.Series) -> ParsedMentions:
    """Read Latin-script names as region + 字号 + translated words + legal form.

    A pinyin 字号 can spell a place too (Songxi, Datian): every reading is kept,
    the 字号 right at the start and after each leading place, each with the
    places written before it and the words after it."""
    surfaces = [f.surface for f in vocabulary().legal_forms_latin]
    surfaces += list(romanization().legal_forms)
    forms = "(?: (?:" + "|".join(re.escape(f) for f in surfaces) + "))+$"
    frame = pl.DataFrame({"mention_name": names}).unique().drop_nulls().sort("mention_name")
    written = _tokens(frame["mention_name"])
    frame = frame.with_columns(
        written.str.replace(forms, "").alias("_body"),
        _tokens(frame["mention_name"].str.extract(r"\(([^()]*)\)", 1)).alias("_bracket"),
        written.str.extract(forms, 0).str.contains(r"\bgroup\b").fill_null(False).alias("_group"),
    )
    place_set = set(region_keys()["key"].to_list())
    known_phrases = set(_industry_phrases()["phrase"].to_list())
    longest = max(len(p.split()) for p in known_phrases)
    spans: list[tuple[int, str, str, list[str], list[str], bool]] = []
    phrases: list[tuple[int, str]] = []
    for name, body, bracket, group in frame.iter_rows():
        tokens = (body or "").split()
        bracketed = (bracket or "").split()
        in_brackets = ["".join(bracketed)] if "".join(bracketed) in place_set else []
        if in_brackets and tokens[-len(bracketed) :] == bracketed:
            tokens = tokens[: -len(bracketed)]
        leading = _leading_places(tokens, place_set)
        starts: list[tuple[int, list[str]]] = [(0, [])] + [
            (end, [p for _, p in leading[: i + 1]]) for i, (end, _) in enumerate(leading)
        ]
        for start, places in starts:
            for n in range(1, MAX_ZIHAO_TOKENS + 1):
                if start + n > len(tokens):
                    break
                key = _plain("".join(tokens[start : start + n]))
                if len(key) < MIN_KEY_LETTERS:
                    continue
                rest = tokens[start + n :]
                span = len(spans)
                spans.append((span, name, key, places + in_brackets, rest, group))
                phrases.extend(
                    (span, gram)
                    for k in range(1, longest + 1)
                    for i in range(len(rest) - k + 1)
                    if (gram := " ".join(rest[i : i + k])) in known_phrases
                )
    return ParsedMentions(
        spans=pl.DataFrame(
            spans,
            schema={
                "span": pl.Int64,
                "mention_name": pl.String,
                "key": pl.String,
                "places": pl.List(pl.String),
                "rest": pl.List(pl.String),
                "group": pl.Boolean,
            },
            orient="row",
        ),
        phrases=pl.DataFrame(
            phrases, schema={"span": pl.Int64, "phrase": pl.String}, orient="row"
        ).unique(),
    )


def _expected_phrases(tails: pl.Series) -> pl.DataFrame:
    """(tail, phrase, generic): the translations of every word each tail (the
    Chinese text after a spelled 字号) contains."""
    words = _industry_phrases()
    known = words["word"].unique().to_list()
    rows = [
        (tail, word)
        for tail in tails.drop_nulls().unique().to_list()
        for word in known
        if word in tail
    ]
    pairs = pl.DataFrame(rows, schema={"tail": pl.String, "word": pl.String}, orient="row")
    return pairs.join(words, on="word").select("tail", "phrase", "generic").unique()


@lru_cache(maxsize=65536)
def tail_words(tail: str) -> tuple[str, ...]:
    """The 行业 words of a tail, read greedily longest first (汽车零部件 is one word,
    not 汽车 + 零部件); characters no word starts with are skipped."""
    words = romanization().industry
    longest = max(map(len, words))
    found: list[str] = []
    i = 0
    while i < len(tail):
        word = next(
            (tail[i : i + n] for n in range(longest, 0, -1) if tail[i : i + n] in words), None
        )
        if word:
            found.append(word)
        i += len(word) if word else 1
    return tuple(found)


def _unwritten(pairs: pl.DataFrame, phrases: pl.DataFrame) -> pl.DataFrame:
    """(span, tail, _unwritten): how many 行业 words of the firm's tail the mention
    writes no translation of (泰华汽车零部件 for "Taihua Motor": 汽车零部件 is
    "auto parts", not written; 泰华电机: 电机 is "motor", written)."""
    distinct = pairs.select("span", "tail").unique()
    tails = distinct.select("tail").unique()
    by_tail = tails.with_columns(
        pl.Series(
            "word", [list(tail_words(t)) for t in tails["tail"].to_list()], pl.List(pl.String)
        )
    ).explode("word", keep_nulls=False, empty_as_null=False)
    words = distinct.join(by_tail, on="tail")
    written = (
        words.join(_industry_phrases().select("word", "phrase"), on="word")
        .join(phrases, on=["span", "phrase"], how="semi")
        .select("span", "tail", "word")
        .unique()
    )
    return (
        words.join(written, on=["span", "tail", "word"], how="anti")
        .group_by("span", "tail")
        .agg(pl.len().cast(pl.UInt32).alias("_unwritten"))
    )


def _prefix(code: pl.Expr) -> pl.Expr:
    """The code prefix every region inside the division `code` starts with."""
    level = code_level(code)
    return code.str.slice(0, pl.when(level == 0).then(2).when(level == 1).then(4).otherwise(6))


def regional_keys(keys: pl.DataFrame, firms: pl.DataFrame) -> pl.DataFrame:
    """`keys` (KEY_SCHEMA) once per division the firm's registered region lies in:
    `prefix` is its province (2 digits), prefecture (4) and county (6) code prefix,
    so a mention is joined only with the firms inside a place it names."""
    # A firm listed in two places (it moved) is read in both.
    regions = firms.select("credit_code", "region_code").unique()
    return (
        keys.join(regions, on="credit_code")
        .with_columns(
            row_list(*(pl.col("region_code").str.slice(0, n) for n in (2, 4, 6)))
            .list.unique()
            .alias("prefix")
        )
        .explode("prefix")
        .drop("region_code")
    )


def _span_regions(queries: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """(query, span, key, prefix, by_address): the divisions each reading of each query
    names (the places the name writes; prefix null when it writes none), and whether
    the applicant address stands in for them (no place written, an address given: the
    reading meets the firms lying at the address, romanized_candidates keeps those)."""
    read = queries.join(spans.select("span", "mention_name", "key", "places"), on="mention_name")
    named = (
        read.explode("places", empty_as_null=False)
        .join(region_keys(), left_on="places", right_on="key", how="inner")
        .select("query", "span", "key", _prefix(pl.col("region_code")).alias("prefix"))
    )
    # Not joined by code prefix: a firm registered with its city's code lies in any
    # county of it that the address names (region_agreement compares at the coarser).
    unnamed = read.filter(pl.col("places").list.len() == 0).select(
        "query",
        "span",
        "key",
        pl.lit(None, dtype=pl.String).alias("prefix"),
        pl.col("address_code").is_not_null().alias("by_address"),
    )
    return pl.concat([named.with_columns(pl.lit(False).alias("by_address")), unnamed]).unique()


QUERY_SCHEMA = {
    "query": pl.Int64,
    "mention_name": pl.String,
    "address_code": pl.String,
    "address_street": pl.String,
}
CANDIDATE_SCHEMA = {
    "query": pl.Int64,
    "credit_code": pl.String,
    "registry_name": pl.String,
    "key": pl.String,
    "region": pl.String,
    "industry": pl.String,
    "unexplained": pl.UInt32,
    "unwritten": pl.UInt32,
    "address": pl.Int8,
}


def _read_against(reads: pl.DataFrame, keys: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`reads` joined with `keys` (KEY_SCHEMA rows by division prefix, or any frame
    with key, prefix and `columns`; on the tail too when both have one): a reading
    that names a place (or has an address) meets the firms inside it (region
    `agree`), one without meets every firm of its key (`none`). A firm outside
    every place the mention names is never met."""
    on = ["tail"] if "tail" in reads.columns and "tail" in keys.columns else []
    inside = reads.filter(pl.col("prefix").is_not_null()).join(keys, on=["key", "prefix", *on])
    anywhere = reads.filter(pl.col("prefix").is_null()).join(
        keys.filter(pl.col("prefix").str.len_chars() == 2).drop("prefix"), on=["key", *on]
    )
    kept = [c for c in reads.columns if c != "prefix"]
    return pl.concat(
        [
            inside.select(*kept, *columns, pl.lit("agree").alias("region")),
            anywhere.select(*kept, *columns, pl.lit("none").alias("region")),
        ]
    ).unique()


def _industry_levels(span_tails: pl.DataFrame, phrases: pl.DataFrame) -> pl.DataFrame:
    """Per (span, tail): `industry` (a translation of a word of the tail is written:
    agree; only a generic one: generic; both name specific industries and share
    none: disagree; else unknown), `_covered` (the written words the tail explains)
    and `_unwritten` (its 行业 words the mention writes no translation of)."""
    expected = _expected_phrases(span_tails["tail"])
    agreeing = (
        span_tails.join(expected, on="tail")
        .join(phrases, on=["span", "phrase"], how="semi")
        .group_by("span", "tail")
        .agg(
            (~pl.col("generic")).any().alias("_specific"),
            pl.col("phrase")
            .str.split(" ")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .alias("_covered"),
        )
    )
    specific = _industry_phrases().filter(~pl.col("generic")).select("phrase").unique()
    writes_specific = (
        phrases.join(specific, on="phrase", how="semi")
        .select("span")
        .unique()
        .with_columns(pl.lit(True).alias("_writes"))
    )
    knows_industry = (
        expected.filter(~pl.col("generic"))
        .select("tail")
        .unique()
        .with_columns(pl.lit(True).alias("_knows"))
    )
    industry = (
        pl.when(pl.col("_specific"))
        .then(pl.lit("agree"))
        .when(pl.col("_specific").is_not_null())
        .then(pl.lit("generic"))
        .when(pl.col("_writes").fill_null(False) & pl.col("_knows").fill_null(False))
        .then(pl.lit("disagree"))
        .otherwise(pl.lit("unknown"))
    )
    return (
        span_tails.join(agreeing, on=["span", "tail"], how="left")
        .join(writes_specific, on="span", how="left")
        .join(knows_industry, on="tail", how="left")
        .join(_unwritten(span_tails, phrases), on=["span", "tail"], how="left")
        .select("span", "tail", industry.alias("industry"), "_covered", "_unwritten")
    )


def at_address_level(
    address_code: pl.Expr, region_code: pl.Expr, address_street: pl.Expr, street: pl.Expr
) -> pl.Expr:
    """How surely a firm registered in `region_code` on `street` lies at the applicant
    address: 3 registered at the address's street and number, 2 inside the place the
    address names, 1 registered with a wider division that holds it (a city's code, the
    address a county of it: it may lie elsewhere in the city), 0 elsewhere or unknown
    (the `address` of CANDIDATE_SCHEMA)."""
    region = region_agreement(address_code, region_code)
    inside = region == 3
    surely = code_level(region_code) >= code_level(address_code)
    return (
        pl.when(street_agreement(address_street, street, region) == "same")
        .then(3)
        .when(inside & surely)
        .then(2)
        .when(inside)
        .then(1)
        .otherwise(0)
        .cast(pl.Int8)
        .alias("address")
    )


def romanized_candidates(
    queries: pl.DataFrame, names: pl.DataFrame, firms: pl.DataFrame
) -> pl.DataFrame:
    """CANDIDATE_SCHEMA: every (query, reading, firm name) whose 字号 spelling the
    mention writes and whose industry does not disagree, with its levels and the
    count of the mention's words after the 字号 that the firm's name does not explain.

    `queries` (QUERY_SCHEMA): a mention name with the region code its applicant
    address starts with; `names` and `firms` as registry_keys and regional_keys
    read them (the registry's parsed names, its firms' region codes). `address`:
    how surely the firm lies at the applicant address (at_address_level).

    Industry is decided per (reading, tail) before firms are joined: most firms
    a common 字号 spelling meets make something else, and are never candidates."""
    parsed = parse_mentions(queries["mention_name"].unique())
    keys = regional_keys(registry_keys(names, set(parsed.spans["key"].to_list())), firms)
    reads = _span_regions(queries, parsed.spans)
    span_tails = (
        _read_against(
            reads.select("span", "key", "prefix").unique(),
            keys.select("key", "prefix", "tail").unique(),
            ["tail"],
        )
        .select("span", "tail")
        .unique()
    )
    levels = _industry_levels(span_tails, parsed.phrases).filter(pl.col("industry") != "disagree")
    key_columns = ["credit_code", "registry_name", "dropped", "group"]
    pairs = _read_against(
        reads.join(levels.select("span", "tail"), on="span"), keys, key_columns
    ).join(parsed.spans.select("span", "rest", pl.col("group").alias("_says_group")), on="span")
    if pairs.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    # A 字号 word the firm's English name translates (远东) that the mention
    # does not write counts as unexplained too.
    dropped_written = (
        pairs.filter(pl.col("dropped") != "")
        .select("span", "dropped")
        .unique()
        .join(_industry_phrases(), left_on="dropped", right_on="word")
        .join(parsed.phrases, on=["span", "phrase"], how="semi")
        .select("span", "dropped", pl.lit(True).alias("_dropped_written"))
        .unique()
    )
    unexplained = pl.col("rest").list.set_difference(
        pl.col("_covered").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    ).list.len() + ((pl.col("dropped") != "") & pl.col("_dropped_written").is_null()).cast(
        pl.UInt32
    )
    # Written "Group" and a registered 集团 should go together; a difference only
    # ranks the firm behind one without it, never blocks a link by itself.
    unwritten = pl.col("_unwritten").fill_null(0) + (pl.col("group") != pl.col("_says_group")).cast(
        pl.UInt32
    )
    # A firm listed in two places (it moved) lies where either of them is.
    at_address = (
        pairs.select("query", "credit_code")
        .unique()
        .join(queries.select("query", "address_code", "address_street"), on="query")
        .join(firms.select("credit_code", "region_code", "street").unique(), on="credit_code")
        .group_by("query", "credit_code")
        .agg(
            at_address_level(
                pl.col("address_code"),
                pl.col("region_code"),
                pl.col("address_street"),
                pl.col("street"),
            ).max()
        )
    )
    by_address = pl.col("by_address")
    return (
        pairs.join(levels, on=["span", "tail"], how="left")
        .join(dropped_written, on=["span", "dropped"], how="left")
        .join(at_address, on=["query", "credit_code"], how="left")
        .with_columns(
            unexplained.alias("unexplained"),
            unwritten.alias("unwritten"),
            pl.col("address").fill_null(0),
        )
        .filter(~by_address | (pl.col("address") > 0))
        .with_columns(pl.when(by_address).then(pl.lit("agree")).otherwise("region").alias("region"))
        .select(list(CANDIDATE_SCHEMA))
        .cast(CANDIDATE_SCHEMA)  # type: ignore[arg-type]
    )


_REGION_RANK = {"agree": 1, "none": 0}
_INDUSTRY_RANK = {"agree": 2, "generic": 1, "unknown": 0}
ADDRESS_DIGIT = 10
DECISION_SCHEMA = pl.Schema(
    {
        "query": pl.Int64(),
        "credit_code": pl.String(),
        "match_probability": pl.Float64(),
        "decision": pl.String(),
        "explanation": pl.String(),
        "top_candidates": pl.List(CANDIDATE_STRUCT),
    }
)


def ranked_firms(candidates: pl.DataFrame) -> pl.DataFrame:
    """One row per (query, consistent firm): its best-fitting name and reading with
    `_rank` (region, then industry, then fewer unexplained written words, then fewer
    of the firm's words left unwritten, then lying where the applicant address is:
    the last digit, so `_rank // ADDRESS_DIGIT` ranks the name alone)."""
    rank = (
        pl.col("region").replace_strict(_REGION_RANK, default=-1) * 10000
        + pl.col("industry").replace_strict(_INDUSTRY_RANK, default=-1) * 1000
        + (9 - pl.col("unexplained").clip(0, 9).cast(pl.Int64)) * 10
        + (9 - pl.col("unwritten").clip(0, 9).cast(pl.Int64))
    ) * ADDRESS_DIGIT + pl.col("address").cast(pl.Int64)
    return (
        candidates.with_columns(rank.alias("_rank"))
        .sort("_rank", "registry_name", "key", descending=[True, False, False])
        .unique(["query", "credit_code"], keep="first")
    )


def contested(picks: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """(query, rival): queries whose pick (`picks`: query, credit_code) reads as a
    consistent firm in pinyin while another firm fits at least as well.

    The name model compares Latin text with registered English names; a firm
    whose English name reads like the mention is not the only one it can be
    when another firm's Chinese name spells the same and fits as well."""
    ranked = ranked_firms(candidates).select("query", "credit_code", "_rank")
    mine = ranked.join(picks, on=["query", "credit_code"]).rename({"_rank": "_mine"})
    return (
        ranked.join(mine.select("query", "_mine", pl.col("credit_code").alias("_pick")), on="query")
        .filter((pl.col("credit_code") != pl.col("_pick")) & (pl.col("_rank") >= pl.col("_mine")))
        .sort("query", "_rank", "credit_code", descending=[False, True, False])
        .unique("query", keep="first")
        .select("query", pl.col("credit_code").alias("rival"))
    )


def decide_romanized(
    candidates: pl.DataFrame, enterprises: pl.DataFrame, zihao: pl.DataFrame
) -> pl.DataFrame:
    """DECISION_SCHEMA per query with at least one consistent firm.

    The firm that fits strictly best takes its row of the decision table, but
    is matched only when its name explains every word the mention writes after
    the 字号 ("CNC" in "Huayuan CNC Machine Tool" is not explained by 华元机床);
    otherwise, and when several fit as well, a person decides. Among firms the
    name fits as well, the only one lying where the applicant address is fits
    best (as `address_among_namesakes` does for Chinese names).

    `candidates` is romanized_candidates' frame, `enterprises` has credit_code and
    name, `zihao` has registry_name and zihao (for the explanation)."""
    rules = pl.DataFrame(
        [(r.region, r.industry, r.decision, r.probability) for r in romanization().rules],
        schema={
            "region": pl.String,
            "industry": pl.String,
            "rule": pl.String,
            "probability": pl.Float64,
        },
        orient="row",
    )
    best = (
        ranked_firms(candidates)
        .join(rules, on=["region", "industry"])
        .join(enterprises.select("credit_code", pl.col("name").alias("_firm")), on="credit_code")
        .join(zihao.unique("registry_name"), on="registry_name", how="left")
        .sort(
            ["query", "_rank", "probability", "credit_code"],
            descending=[False, True, True, False],
        )
    )
    if best.height == 0:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    per_query = best.group_by("query", maintain_order=True).agg(
        pl.all().first(),
        pl.col("_rank").get(1, null_on_oob=True).alias("_second"),
        (pl.col("_rank") == pl.col("_rank").first()).sum().alias("_fits"),
        # Firms the name alone fits as well: the applicant address chose among them.
        (pl.col("_rank") // ADDRESS_DIGIT == pl.col("_rank").first() // ADDRESS_DIGIT)
        .sum()
        .alias("_by_name"),
        pl.struct("credit_code", pl.col("_firm").alias("name"), pl.col("probability"))
        .head(TOP_CANDIDATES)
        .alias("top_candidates"),
    )
    sole = pl.col("_second").is_null() | (pl.col("_rank") > pl.col("_second"))
    explained = pl.col("unexplained") == 0
    decision = (
        pl.when(sole & (explained | (pl.col("rule") != "matched")))
        .then(pl.col("rule"))
        .otherwise(pl.lit("review"))
    )
    probability = (
        pl.when(sole).then(pl.col("probability")).otherwise(pl.col("probability") / pl.col("_fits"))
    )
    why = (
        pl.lit(" by pinyin: '")
        + pl.col("key")
        + "' spells the 字号 "
        + pl.col("zihao").fill_null("?")
        + " of "
        + pl.col("registry_name")
        + "; region "
        + pl.col("region")
        + ", industry "
        + pl.col("industry")
        + pl.when(explained)
        .then(pl.lit(""))
        .otherwise(pl.format("; {} written word(s) unexplained", pl.col("unexplained")))
        + pl.when(pl.col("unwritten") == 0)
        .then(pl.lit(""))
        .otherwise(pl.format("; {} of its words not written", pl.col("unwritten")))
        + pl.when(~sole)
        .then(pl.format("; {} firms fit as well", pl.col("_fits")))
        .when(pl.col("_by_name") > 1)
        .then(
            pl.format(
                "; the applicant address {}, not in those of {} other firm(s) the name fits"
                " as well",
                pl.when(pl.col("address") == 3)
                .then(pl.lit("is its registered street"))
                .otherwise(pl.lit("lies in its region")),
                pl.col("_by_name") - 1,
            )
        )
        .otherwise(pl.lit(""))
    )
    return per_query.select(
        "query",
        "credit_code",
        probability.alias("match_probability"),
        decision.alias("decision"),
        (decision + " to " + pl.col("_firm") + " (" + pl.col("credit_code") + ")" + why).alias(
            "explanation"
        ),
        "top_candidates",
    ).cast(DECISION_SCHEMA)
