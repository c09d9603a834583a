"""Same-sound and look-alike characters (entity_resolution/confusables.py)."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.entity_resolution.confusables import (
    OTHER,
    SHAPE,
    SOUND,
    look_alikes,
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


def test_look_alike_groups_are_symmetric() -> None:
    assert "桓" in look_alikes("恒") and "恒" in look_alikes("桓")
    assert "恒" not in look_alikes("恒")


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
