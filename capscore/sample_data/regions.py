"""GB/T 2260 places as enterprise names and addresses use them.

Names carry a 行政区划 either in full (嘉兴市, 浙江省) or in the short form
people write (嘉兴, 浙江, 海宁); the short forms are derived here from the
official names in `reference_data/gbt2260.csv`.
"""

from __future__ import annotations

import polars as pl

from capscore import reference_data
from capscore.sample_data.vocab import PROVINCE_SHORT

# The program's own city: most registry enterprises are registered here.
HOME_PREFECTURE = "330400"
HOME_PROVINCE = "330000"
# Shares of enterprises registered in the home city, elsewhere in its
# province, and in the rest of the mainland.
HOME_SHARE = 0.60
PROVINCE_SHARE = 0.20
# Provinces with many sci-tech firms get more of the rest.
_PROVINCE_WEIGHT = {
    "440000": 6.0,
    "320000": 6.0,
    "310000": 4.0,
    "110000": 4.0,
    "370000": 3.0,
    "350000": 2.0,
    "340000": 2.0,
    "420000": 2.0,
    "510000": 2.0,
    "410000": 1.5,
    "430000": 1.5,
    "120000": 1.5,
    "500000": 1.2,
    "610000": 1.2,
}
_MAINLAND = set(PROVINCE_SHORT)


def gbt2260() -> pl.DataFrame:
    return pl.read_csv(reference_data.GBT2260_CSV, infer_schema=False)


def _short(name: pl.Expr) -> pl.Expr:
    """The name without its 市/县/区 suffix, or null when that would be too short or ambiguous."""
    stripped = name.str.replace(r"[市县区]$", "")
    usable = (
        name.str.contains(r"[市县区]$")
        & ~name.str.contains("自治")
        & (stripped.str.len_chars() >= 2)
    )
    return pl.when(usable).then(stripped).otherwise(None)


def county_table() -> pl.DataFrame:
    """One row per mainland county-level unit with its prefecture and province forms and a weight.

    Columns: county_code, county_name, county_short, prefecture_code,
    prefecture_name, prefecture_short, province_code, province_name,
    province_short, municipality, weight.
    """
    ref = gbt2260()
    names = ref.select("region_code", "name")
    counties = (
        ref.filter(pl.col("level") == "county", pl.col("province_code").is_in(list(_MAINLAND)))
        .filter(~pl.col("name").str.contains("直辖|[乡镇]$"))
        .select(
            pl.col("region_code").alias("county_code"),
            pl.col("name").alias("county_name"),
            "prefecture_code",
            "province_code",
        )
        .join(
            names.rename({"region_code": "prefecture_code", "name": "prefecture_name"}),
            on="prefecture_code",
            how="left",
            maintain_order="left",
        )
        .join(
            names.rename({"region_code": "province_code", "name": "province_name"}),
            on="province_code",
            how="left",
            maintain_order="left",
        )
    )
    municipality = pl.col("province_code").is_in(["110000", "120000", "310000", "500000"])
    province_short = pl.col("province_code").replace_strict(PROVINCE_SHORT, default=None)
    prefecture_short = (
        pl.when(municipality).then(province_short).otherwise(_short(pl.col("prefecture_name")))
    )
    rest_weight = pl.col("province_code").replace_strict(_PROVINCE_WEIGHT, default=1.0)
    group = (
        pl.when(pl.col("prefecture_code") == HOME_PREFECTURE)
        .then(pl.lit("home"))
        .when(pl.col("province_code") == HOME_PROVINCE)
        .then(pl.lit("province"))
        .otherwise(pl.lit("rest"))
    )
    counties = counties.with_columns(
        _short(pl.col("county_name")).alias("county_short"),
        prefecture_short.alias("prefecture_short"),
        province_short.alias("province_short"),
        municipality.alias("municipality"),
        group.alias("_group"),
        rest_weight.alias("_w"),
    )
    # Within a group each county gets an equal share, the rest of China weighted by province.
    weight = (
        pl.when(pl.col("_group") == "home")
        .then(HOME_SHARE / pl.len().over("_group"))
        .when(pl.col("_group") == "province")
        .then(PROVINCE_SHARE / pl.len().over("_group"))
        .otherwise(
            (1.0 - HOME_SHARE - PROVINCE_SHARE) * pl.col("_w") / pl.col("_w").sum().over("_group")
        )
    )
    return counties.with_columns(weight.alias("weight")).drop("_group", "_w").sort("county_code")
