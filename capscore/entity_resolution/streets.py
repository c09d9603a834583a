"""The street of an address (road and house number) and how two streets agree.

A filing's applicant address is usually the firm's registered 住所, and a firm
one character away in name (鑫华 for 信华) or one that reads the same in pinyin
usually lies elsewhere: the street tells them apart where the region cannot.
Places are written in many ways (浙江省嘉兴市南湖区…, 嘉兴南湖…, none), so the
key is only the road's last two characters before its suffix and the number:
"亚太路1052号3幢" → 亚太路1052, "解放东路88号" → 放东路88.
"""

from __future__ import annotations

import polars as pl

# Longest first: 大道 before 道, so that 世纪大道 keys as 世纪大道, not 纪大道.
ROAD_SUFFIXES = ("大道", "大街", "路", "街", "道", "巷", "弄")
_STREET = r"(\p{Han}{2}(?:" + "|".join(ROAD_SUFFIXES) + r"))(\d+)号"


def street_key(address: pl.Expr) -> pl.Expr:
    """Road and number ("亚太路1052"), null when the address writes no numbered road."""
    text = address.str.normalize("NFKC").str.replace_all(r"\s+", "")
    found = text.str.extract_groups(_STREET)
    return pl.when(found.struct.field("1").is_not_null()).then(
        found.struct.field("1") + found.struct.field("2")
    )


def street_agreement(mention: pl.Expr, registered: pl.Expr, region: pl.Expr) -> pl.Expr:
    """same (road and number), same_road (another number), differs, or unknown (a side
    without a street key). `region`: region_agreement of the address with the registered
    region (null when unknown): 中山路1号 lies in every city, so the same street in
    another place is another street."""
    road = r"\d+$"
    return (
        pl.when(mention.is_null() | registered.is_null())
        .then(pl.lit("unknown"))
        .when(region.fill_null(3) < 3)
        .then(pl.lit("differs"))
        .when(mention == registered)
        .then(pl.lit("same"))
        .when(mention.str.replace(road, "") == registered.str.replace(road, ""))
        .then(pl.lit("same_road"))
        .otherwise(pl.lit("differs"))
    )
