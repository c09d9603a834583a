"""Same-sound and look-alike characters (entity_resolution/confusables.py)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.entity_resolution.confusables import (
    OTHER,
    SHAPE,
    SOUND,
    looks_alike,
    reading,
    substitution_kind,
    substitution_kinds,
    variants,
)


def test_readings_ignore_tones() -> None:
    assert reading("华") == reading("化") == "hua"
    assert reading("A") == ""


def test_substitution_kinds() -> None:
    assert substitution_kind("化", "华") == SOUND
    assert substitution_kind("桓", "恒") == SHAPE
    assert substitution_kind("利", "鑫") == OTHER
    assert substitution_kind("a", "b") == OTHER
    frame = substitution_kinds(pl.DataFrame({"char": ["化", "化", "天"], "variant": ["华"] * 3}))
    assert frame.rows() == [("化", "华", SOUND), ("天", "华", OTHER)]


def test_look_alikes_by_group_four_corner_code_and_components() -> None:
    assert looks_alike("恒", "桓") and looks_alike("桓", "恒")  # SIGHAN group
    assert looks_alike("微", "徽") and looks_alike("金", "全")  # four-corner code
    assert looks_alike("仓", "创") and looks_alike("芸", "云")  # one inside the other
    assert looks_alike("峰", "锋")  # the distinctive 夆
    assert not looks_alike("锐", "钢")  # only the common radical 钅
    assert not looks_alike("恒", "恒")
    assert not looks_alike("利", "鑫")


def test_variants_come_from_the_inventory_only() -> None:
    table = variants("华恒", "化花恒桓横利")
    assert table.rows() == [("华", "化"), ("华", "花"), ("恒", "桓"), ("恒", "横")]
    assert variants("华", "").height == 0


@given(st.text(alphabet="华化花画恒桓横大达打利信鑫新", min_size=1, max_size=6))
def test_every_variant_is_a_confusable_of_its_char(chars: str) -> None:
    inventory = "华化花画恒桓横大达打利信鑫新"
    for char, variant in variants(chars, inventory).iter_rows():
        assert char != variant and variant in inventory
        assert substitution_kind(char, variant) in (SOUND, SHAPE)
