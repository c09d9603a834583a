"""The street of an address and how two streets agree (entity_resolution/streets.py)."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capscore.entity_resolution.streets import street_agreement, street_key


def _key(address: str | None) -> str | None:
    return pl.select(street_key(pl.lit(address, dtype=pl.String))).item()


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("浙江省嘉兴市南湖区亚太路1052号3幢", "亚太路1052"),
        ("嘉兴 亚太路 1052 号", "亚太路1052"),
        ("世纪大道１２号", "世纪大道12"),
        ("浙江省杭州市西湖区文三路100号楼201室", "文三路100"),
        ("浙江省嘉兴市南湖区科技城", None),
        (None, None),
    ],
)
def test_the_key_is_the_road_and_number_whatever_the_place_and_width(
    address: str | None, key: str | None
) -> None:
    assert _key(address) == key


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
PLACES = st.sampled_from(["", "浙江省嘉兴市南湖区", "嘉兴市", "浙江省 嘉兴市 秀洲区 "])


@given(
    road=st.text(HAN, min_size=2, max_size=2),
    suffix=st.sampled_from(["路", "大道", "街"]),
    number=st.integers(1, 9999),
    one=PLACES,
    other=PLACES,
    unit=st.sampled_from(["", "3幢", "5号楼201室"]),
)
def test_one_street_written_in_two_places_agrees(
    road: str, suffix: str, number: int, one: str, other: str, unit: str
) -> None:
    street = f"{road}{suffix}{number}号"
    frame = pl.DataFrame({"a": [one + street + unit], "b": [other + street]}).select(
        street_key(pl.col("a")).alias("a"), street_key(pl.col("b")).alias("b")
    )
    assert frame["a"].item() is not None
    same_place = pl.lit(3)
    assert frame.select(street_agreement(pl.col("a"), pl.col("b"), same_place)).item() == "same"


def test_same_street_same_road_another_road_another_place_or_unknown() -> None:
    frame = pl.DataFrame(
        {
            "m": ["中山路1", "中山路7", "亚太路7", "中山路1", "中山路1", None],
            "r": ["中山路1", "中山路1", "中山路1", "中山路1", "中山路1", "中山路1"],
            # region_agreement of the address: 3 inside, 1 same province, null unknown
            "region": [3, 3, 3, 1, None, 3],
        }
    )
    levels = frame.select(street_agreement(pl.col("m"), pl.col("r"), pl.col("region")))
    assert levels.to_series().to_list() == [
        "same",
        "same_road",
        "differs",
        "differs",
        "same",
        "unknown",
    ]
