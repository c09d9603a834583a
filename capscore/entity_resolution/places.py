"""The GB/T 2260 place dictionary as the surfaces that open enterprise names and addresses.

Every division is known by its full name (浙江省, 杭州市, 西湖区) and, where the
name keeps at least two characters without it, by its short form without the
level suffix or the ethnic designation (浙江, 杭州, 西湖, 延边). Names start with
their region written either way (企业名称登记管理规定 2021), so leading regions
are found by dictionary lookup, never by a regex on 省/市 that would eat a 字号.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import polars as pl

from capscore import reference_data

LEVELS = ("province", "prefecture", "county")
# Divisions peeled off the front of a name at most (province, prefecture, county).
MAX_REGION_LEVELS = len(LEVELS)
# Longest first, so 维吾尔自治区 wins over 自治区.
_LEVEL_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "特区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
)
# Ethnic designations that follow the place in 自治州/自治县 names (延边朝鲜族自治州).
_ETHNIC = (
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "普米",
    "塔吉克",
    "怒",
    "鄂温克",
    "保安",
    "裕固",
    "独龙",
    "鄂伦春",
)
_SUFFIX_RE = re.compile("(?:" + "|".join(_LEVEL_SUFFIXES) + ")$")
_ETHNIC_RE = re.compile("(?:" + "|".join(sorted(_ETHNIC, key=len, reverse=True)) + ")族?$")
MIN_SHORT_FORM = 2


def gbt2260_path() -> Path:
    return reference_data.GBT2260_CSV


def short_form(name: str) -> str | None:
    """浙江省 -> 浙江, 延边朝鲜族自治州 -> 延边; None when nothing of two characters remains."""
    short = _SUFFIX_RE.sub("", name)
    while True:
        stripped = _ETHNIC_RE.sub("", short)
        if stripped == short or len(stripped) < MIN_SHORT_FORM:
            break
        short = stripped
    if short == name or len(short) < MIN_SHORT_FORM:
        return None
    return short


@cache
def divisions() -> pl.DataFrame:
    """region_code, name, level, province_code, prefecture_code of every division."""
    return pl.read_csv(gbt2260_path(), infer_schema=False).filter(pl.col("level").is_in(LEVELS))


@cache
def surfaces() -> pl.DataFrame:
    """One row per (surface, region_code): surface, region_code, level, province_code,
    prefecture_code, short (whether the surface is a short form)."""
    table = divisions()
    full = table.with_columns(pl.col("name").alias("surface"), pl.lit(False).alias("short"))
    short = table.with_columns(
        pl.col("name").map_elements(short_form, return_dtype=pl.String).alias("surface"),
        pl.lit(True).alias("short"),
    ).drop_nulls("surface")
    return (
        pl.concat([full, short])
        .select("surface", "region_code", "level", "province_code", "prefecture_code", "short")
        .unique(subset=["surface", "region_code"], keep="first", maintain_order=True)
    )


@cache
def surface_pattern() -> str:
    """Regex matching the longest place surface at the start of a string."""
    names = sorted(set(surfaces()["surface"].to_list()), key=lambda s: (-len(s), s))
    return "^(" + "|".join(re.escape(n) for n in names) + ")"


@cache
def level_rank() -> dict[str, int]:
    return {level: i for i, level in enumerate(LEVELS)}


def code_level(code: pl.Expr) -> pl.Expr:
    """GB/T 2260 level of a 6-digit code: 0 province (xx0000), 1 prefecture (xxxx00), 2 county."""
    return (
        pl.when(code.str.ends_with("0000"))
        .then(0)
        .when(code.str.ends_with("00"))
        .then(1)
        .otherwise(2)
    )


def leading_regions(
    heads: pl.Series,
    min_rest: int,
    bare_short_forms: bool = True,
    max_levels: int = MAX_REGION_LEVELS,
) -> pl.DataFrame:
    """Peel administrative divisions off the start of each string, outermost first.

    Returns, row for row: `region` (the text peeled, "" if none), `region_codes`
    (the GB/T 2260 codes the innermost peeled division may stand for, null if
    none) and `rest`. A division is peeled only if at least `min_rest`
    characters remain (a 字号 has two or more) and only inside the division
    peeled before it (嘉兴海宁, not 嘉兴瑞安). With `bare_short_forms=False` a
    short form below province level (海宁, 兴安) is peeled only after its own
    province or prefecture: bare short forms (瑞安, 长兴, 和平) are everyday 字号 too.
    """
    table = surfaces().select(
        "surface",
        "region_code",
        "short",
        "province_code",
        "prefecture_code",
        pl.col("level").replace_strict(level_rank(), return_dtype=pl.Int8).alias("rank"),
    )
    rows = pl.int_range(heads.len(), eager=True).alias("_i")
    rest = heads.fill_null("").alias("rest")
    region = pl.repeat("", heads.len(), eager=True, dtype=pl.String)
    # The strings still being peeled (an empty one holds no division), and the codes
    # of every string peeled so far, the latest peel last.
    active = (
        pl.DataFrame([rows, rest])
        .filter(pl.col("rest") != "")
        .with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("region_codes"))
    )
    peels = [pl.DataFrame(schema={"_i": rows.dtype, "region_codes": pl.List(pl.String)})]
    pattern = surface_pattern()
    for _ in range(max_levels):
        found = (
            active.with_columns(pl.col("rest").str.extract(pattern, 1).alias("_m"))
            .filter(
                pl.col("_m").is_not_null()
                & (pl.col("rest").str.len_chars() - pl.col("_m").str.len_chars() >= min_rest)
            )
            .join(table, left_on="_m", right_on="surface", how="inner")
            .explode("region_codes", empty_as_null=True)
            .rename({"region_codes": "_parent"})
        )
        parent_rank = code_level(pl.col("_parent"))
        under_parent = (pl.col("rank") > parent_rank) & (
            pl.when(parent_rank == 0)
            .then(pl.col("province_code") == pl.col("_parent"))
            .otherwise(pl.col("prefecture_code") == pl.col("_parent"))
        )
        allowed = (
            pl.when(pl.col("_parent").is_null())
            .then(pl.lit(bare_short_forms) | ~pl.col("short") | (pl.col("rank") == 0))
            .otherwise(under_parent)
        )
        peeled = (
            found.filter(allowed)
            .group_by("_i")
            .agg(pl.col("_m").first(), pl.col("region_code").unique().sort().alias("_codes"))
            .join(active.select("_i", "rest"), on="_i")
        )
        if peeled.height == 0:
            break
        at = peeled["_i"]
        rest = rest.scatter(at, peeled["rest"].str.slice(peeled["_m"].str.len_chars()))
        region = region.scatter(at, region.gather(at) + peeled["_m"])
        active = peeled.select("_i", rest.gather(at), pl.col("_codes").alias("region_codes"))
        peels.append(active.select("_i", "region_codes"))
    codes = (
        rows.to_frame()
        .join(
            pl.concat(peels).unique("_i", keep="last", maintain_order=True),
            on="_i",
            how="left",
            maintain_order="left",
        )
        .get_column("region_codes")
    )
    return pl.DataFrame([region.alias("region"), codes, rest])


def region_agreement(codes: pl.Expr, enterprise_code: pl.Expr) -> pl.Expr:
    """3 the enterprise lies in the place, 1 same province only, 0 elsewhere, null unknown."""

    def digits(code: pl.Expr) -> pl.Expr:
        """The significant digits of a code: 2 province, 4 prefecture, 6 county."""
        return 2 + 2 * code_level(code)

    # Compare at the coarser of the two: a firm registered with its city's code
    # (330300) lies in any county of that city the address names.
    level_len = pl.min_horizontal(digits(codes), digits(enterprise_code))
    inside = codes.str.slice(0, level_len) == enterprise_code.str.slice(0, level_len)
    same_province = codes.str.slice(0, 2) == enterprise_code.str.slice(0, 2)
    return (
        pl.when(codes.is_null() | enterprise_code.is_null())
        .then(None)
        .when(inside)
        .then(3)
        .when(same_province)
        .then(1)
        .otherwise(0)
    )
