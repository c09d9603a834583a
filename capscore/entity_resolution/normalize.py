"""Enterprise name normalization: one parse per distinct name, vectorised.

Order (design.md, 企业名称登记管理规定 2021: 行政区划 + 字号 + 行业 + 组织形式):
NFKC (full width -> half width, （） -> ()), traditional -> simplified (opencc
t2s), a branch suffix (…公司杭州分公司) marks a branch and is cut, a
parenthesized region (科亿(浙江)智能…) is pulled out, the longest legal form is
cut from the end, a leading region is peeled with the GB/T 2260 dictionary,
and industry words are cut from the end. What remains is the 字号 key; 字号 +
industry is the normalized name (`core`). `clean` is the whole name as
written, `ordered` the same with a bracketed region moved to the front
(科亿国际(浙江)智能… → 浙江科亿国际智能…). A bare county short form opening a
name (海宁华泰…) is a region by the 2021 rules but also an everyday 字号
(瑞安国际…, 兴安…): `core_strict` keeps any bare short form below province level,
and candidates are looked up under both.
English names get the same pieces from lower-case tokens.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from capscore.core.applicant_kinds import simplify as simplify
from capscore.entity_resolution.places import MAX_REGION_LEVELS, leading_regions
from capscore.entity_resolution.vocabulary import LegalForm, Vocabulary, alternation, vocabulary

PARSED_SCHEMA = pl.Schema(
    {
        "name": pl.String(),
        "clean": pl.String(),
        "ordered": pl.String(),
        "script": pl.String(),
        "branch": pl.Boolean(),
        "form": pl.String(),
        "group": pl.Boolean(),
        "region": pl.String(),
        "region_codes": pl.List(pl.String()),
        "zihao": pl.String(),
        "industry": pl.String(),
        "core": pl.String(),
        "core_strict": pl.String(),
    }
)
MIN_ZIHAO = 2
_MAX_INDUSTRY_WORDS = 4
_HAN = r"\p{Han}"


def _form_lookup(forms: tuple[LegalForm, ...]) -> tuple[dict[str, str], dict[str, bool]]:
    return {f.surface: f.form for f in forms}, {f.surface: f.group for f in forms}


def _strip_suffix_words(
    frame: pl.DataFrame, column: str, pattern: str, keep: int, sep: str, times: int
) -> pl.DataFrame:
    """Cut words matching `pattern` (anchored at the end) from `column` while at least
    `keep` characters stay; the cut words collect, in order, in `_cut`."""
    frame = frame.with_columns(pl.lit("").alias("_cut"))
    for _ in range(times):
        word = pl.col(column).str.extract(pattern, 1)
        rest_len = pl.col(column).str.len_chars() - word.str.len_chars()
        cut = word.is_not_null() & (rest_len >= keep)
        frame = frame.with_columns(
            pl.when(cut)
            .then(pl.col(column).str.slice(0, rest_len).str.strip_chars_end(" "))
            .otherwise(pl.col(column))
            .alias(column),
            pl.when(cut)
            .then(pl.concat_str(word.str.strip_chars(" "), pl.col("_cut"), separator=sep))
            .otherwise(pl.col("_cut"))
            .str.strip_chars(sep)
            .alias("_cut"),
        )
    return frame


def _strict_named(
    bodies: pl.Series, without_industry: Callable[[pl.Series], pl.DataFrame], voc: Vocabulary
) -> pl.DataFrame:
    """(zihao, industry) per row of `bodies` with bare short forms left in the 字号, and
    no division peeled that leaves a 字号 of industry words only: a typo can make the
    字号's first character end a place (深圳市中华科技 typed 深圳市龙华科技 reads as a
    firm named 科技 in 龙华), and a name has a 字号, so fewer divisions are peeled."""
    parts = []
    rows = pl.int_range(bodies.len(), eager=True, dtype=pl.UInt32)
    industry = pl.Series(list(voc.industry_cjk), dtype=pl.String).implode()
    for levels in range(MAX_REGION_LEVELS, -1, -1):
        strict = leading_regions(
            bodies.gather(rows), min_rest=MIN_ZIHAO, bare_short_forms=False, max_levels=levels
        )
        named = without_industry(strict["rest"]).with_columns(rows.alias("_row"))
        no_zihao = named["zihao"].is_in(industry) & (levels > 0)
        parts.append(named.filter(~no_zihao))
        rows = named.filter(no_zihao)["_row"]
        if rows.is_empty():
            break
    return pl.concat(parts).sort("_row").drop("_row")


def _parse_cjk(text: pl.Series) -> pl.DataFrame:
    voc = vocabulary()
    form_of, group_of = _form_lookup(voc.legal_forms_cjk)
    clean = (
        text.str.replace_all(r"[【\[〔]", "(")
        .str.replace_all(r"[】\]〕]", ")")
        .str.replace_all(r"[^\p{Han}\p{L}\p{N}()]", "")
        .str.to_uppercase()
    )
    frame = pl.DataFrame({"clean": clean})
    branch_re = r"^(.*(?:公司|厂|集团))[^()]{0,12}?" + alternation(list(voc.branch_markers)) + "$"
    frame = frame.with_columns(
        pl.col("clean").str.extract(branch_re, 1).alias("_parent"),
    ).with_columns(
        pl.col("_parent").is_not_null().alias("branch"),
        pl.coalesce("_parent", "clean").alias("_body"),
    )
    # Up to two parenthesized parts: a place is pulled out as the region, any
    # other content (有限合伙, 集团) is kept inline without the brackets.
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("paren_region"))
    for _ in range(2):
        parts = pl.col("_body").str.extract_groups(r"^(.*?)\(([^()]*)\)(.*)$")
        frame = frame.with_columns(parts.alias("_p")).unnest("_p")
        frame = frame.rename({"1": "_before", "2": "_inside", "3": "_after"})
        # A place, or places (浙江嘉兴), filling the brackets whole.
        inside = leading_regions(frame["_inside"], min_rest=0)
        whole_place = (inside["rest"] == "") & (inside["region"] != "")
        frame = frame.with_columns(whole_place.alias("_whole_place"))
        is_place = pl.col("_whole_place") & pl.col("paren_region").is_null()
        frame = frame.with_columns(
            pl.when(pl.col("_inside").is_null())
            .then(pl.col("_body"))
            .when(is_place)
            .then(pl.col("_before") + pl.col("_after"))
            .otherwise(pl.col("_before") + pl.col("_inside") + pl.col("_after"))
            .alias("_body"),
            pl.when(is_place)
            .then(pl.col("_inside"))
            .otherwise(pl.col("paren_region"))
            .alias("paren_region"),
        ).drop("_before", "_inside", "_after", "_whole_place")
    frame = frame.with_columns(pl.col("_body").str.replace_all(r"[()]", ""))
    # 恒信(浙江)泵业… written for 浙江恒信泵业… must not look closer to 恒信(宁波)泵业….
    branch_tail = pl.col("clean").str.slice(pl.col("_parent").str.len_chars()).fill_null("")
    frame = frame.with_columns(
        (pl.col("paren_region") + pl.col("_body") + branch_tail).alias("_in_order")
    )
    form_surface = pl.col("_body").str.extract("(" + alternation(list(form_of)) + ")$", 1)
    frame = frame.with_columns(form_surface.alias("_form")).with_columns(
        pl.col("_body")
        .str.slice(
            0, pl.col("_body").str.len_chars() - pl.col("_form").str.len_chars().fill_null(0)
        )
        .alias("_body"),
        pl.col("_form").replace_strict(form_of, default=None, return_dtype=pl.String).alias("form"),
        pl.col("_form")
        .replace_strict(group_of, default=False, return_dtype=pl.Boolean)
        .alias("group"),
    )
    industry_pattern = "(" + alternation(list(voc.industry_cjk)) + ")$"

    def without_industry(rest: pl.Series) -> pl.DataFrame:
        """(zihao, industry): industry words cut from the end while a 字号 of two remains."""
        return _strip_suffix_words(
            pl.DataFrame({"_z": rest}),
            "_z",
            industry_pattern,
            keep=MIN_ZIHAO,
            sep="",
            times=_MAX_INDUSTRY_WORDS,
        ).select(pl.col("_z").alias("zihao"), pl.col("_cut").alias("industry"))

    lead = leading_regions(frame["_body"], min_rest=MIN_ZIHAO)
    paren = leading_regions(frame["paren_region"], min_rest=0)
    named = without_industry(lead["rest"])
    core = named["zihao"] + named["industry"]
    # The strict parse can differ only where a region was peeled: parse those again.
    peeled = (lead["region"] != "").arg_true()
    strict_named = _strict_named(frame["_body"].gather(peeled), without_industry, voc)
    core_strict = core.clone().scatter(peeled, strict_named["zihao"] + strict_named["industry"])
    # One written order for the full name: 恒信(浙江)泵业… and 浙江恒信泵业… are the same
    # name, and a bracketed region must not make the other firms of that 字号 look closer.
    return frame.select(
        "clean",
        pl.coalesce("_in_order", "clean").alias("ordered"),
        pl.lit("cjk").alias("script"),
        "branch",
        "form",
        "group",
        pl.when(pl.col("paren_region").is_not_null())
        .then(pl.col("paren_region"))
        .otherwise(lead["region"])
        .alias("region"),
        pl.when(pl.col("paren_region").is_not_null())
        .then(paren["region_codes"])
        .otherwise(lead["region_codes"])
        .alias("region_codes"),
        named["zihao"],
        named["industry"],
        core.alias("core"),
        core_strict.alias("core_strict"),
    )


def latin_words(text: pl.Series) -> pl.Series:
    """A Latin-script name as lower-case words: "&" read as "and", every other run of
    non-alphanumerics one space."""
    return (
        text.str.to_lowercase()
        .str.replace_all("&", " and ")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def _parse_latin(text: pl.Series) -> pl.DataFrame:
    voc = vocabulary()
    form_of, group_of = _form_lookup(voc.legal_forms_latin)
    clean = latin_words(text)
    frame = pl.DataFrame({"clean": clean, "_body": clean})
    form_pattern = "(?:^| )(" + alternation(list(form_of)) + ")$"
    frame = _strip_suffix_words(frame, "_body", form_pattern, keep=1, sep=" ", times=2)
    # The innermost (last) form names the legal form; "group co ltd" is a limited group.
    last_form = pl.col("_cut").str.split(" ").list.last()
    whole_forms = pl.col("_cut").str.extract("(" + alternation(list(form_of)) + ")$", 1)
    frame = frame.with_columns(
        whole_forms.replace_strict(form_of, default=None, return_dtype=pl.String).alias("form"),
        (pl.col("_cut").str.contains(r"\bgroup\b") | last_form.eq("group")).alias("group"),
    ).drop("_cut")
    frame = frame.with_columns(
        pl.col("group") | pl.col("form").is_in([f for f, g in group_of.items() if g])
    )
    frame = _strip_suffix_words(
        frame,
        "_body",
        "(?:^| )(" + alternation(list(voc.industry_latin)) + ")$",
        keep=1,
        sep=" ",
        times=_MAX_INDUSTRY_WORDS,
    ).rename({"_cut": "industry"})
    return frame.select(
        "clean",
        pl.col("clean").alias("ordered"),
        pl.lit("latin").alias("script"),
        pl.lit(False).alias("branch"),
        "form",
        "group",
        pl.lit("").alias("region"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("region_codes"),
        pl.col("_body").alias("zihao"),
        "industry",
        pl.concat_str("_body", "industry", separator=" ").str.strip_chars().alias("core"),
        pl.concat_str("_body", "industry", separator=" ").str.strip_chars().alias("core_strict"),
    )


def parse_names(names: pl.Series) -> pl.DataFrame:
    """Parse each name into the PARSED_SCHEMA pieces (see module doc); row i describes
    names[i], a null or blank name gives nulls. Pass distinct names: parsing is the
    costly step of resolution."""
    text = simplify(names.cast(pl.String))
    latin = ~text.str.contains(_HAN).fill_null(False)
    index = pl.int_range(text.len(), eager=True)
    parsed = [
        parse(text.filter(rows)).with_columns(index.filter(rows).alias("_i"))
        for rows, parse in ((~latin, _parse_cjk), (latin, _parse_latin))
    ]
    out = pl.concat(parsed).sort("_i").drop("_i").with_columns(names.cast(pl.String).alias("name"))
    blank = pl.col("clean").fill_null("") == ""
    return out.select(
        pl.col("name"),
        *(
            pl.when(blank).then(None).otherwise(pl.col(c)).alias(c)
            for c in PARSED_SCHEMA
            if c != "name"
        ),
    ).cast(PARSED_SCHEMA)


def parse_names_once(names: pl.Series, parsed: pl.DataFrame) -> pl.DataFrame:
    """parse_names(names) of distinct `names`, row for row, taking every name's parse
    that `parsed` (parse_names rows; a name may repeat) already holds: a parse
    depends on the name alone, and parsing is the costly step."""
    wanted = names.cast(pl.String).to_frame("name")
    known = parsed.select(list(PARSED_SCHEMA)).join(wanted, on="name", how="semi").unique("name")
    fresh = parse_names(wanted.join(known, on="name", how="anti")["name"])
    return wanted.join(pl.concat([known, fresh]), on="name", how="left", maintain_order="left")
