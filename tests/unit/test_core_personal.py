"""Personal names leave the raw layer masked: the first character, then stars."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.core.personal import mask_name, mask_personal
from capscore.warehouse.publish import MASK_EXTRA_MACRO


def _masked(name: str | None) -> str | None:
    return None if name is None else name[:1] + "*" * max(len(name) - 1, 1)


@given(st.lists(st.one_of(st.none(), st.text(max_size=80))))
def test_a_name_keeps_its_first_character_and_a_star_for_each_other(
    names: list[str | None],
) -> None:
    frame = pl.DataFrame({"name": names}, schema={"name": pl.String})
    masked = frame.select(mask_name(pl.col("name")).alias("name"))["name"]
    assert masked.to_list() == [_masked(n) for n in names]


def test_every_personal_column_is_masked_lists_included() -> None:
    frame = pl.DataFrame(
        {
            "legal_representative": ["张三丰", None],
            "inventors": [["李四", "Johann Bach"], None],
            "name": ["嘉兴华泰汽车零部件有限公司", "X"],
            # A column the contract does not know, as landed: a filer's name.
            "_extra": ['{"填报人":"王小明","备注":"嘉兴华泰汽车零部件有限公司"}', None],
        }
    )
    masked = mask_personal(frame)
    assert masked["legal_representative"].to_list() == ["张**", None]
    assert masked["inventors"].to_list() == [["李*", "J**********"], None]
    assert masked["name"].equals(frame["name"])
    # core's files hold no name its warehouse view masks: the analysts' sandbox reads them.
    assert masked["_extra"].to_list() == [
        '{"填报人":"王**","备注":"嘉兴华泰汽车零部件有限公司"}',
        None,
    ]


EXTRA_CASES = [
    ('{"填报人":"王小明"}', '{"填报人":"王**"}'),
    # A list, a joined cell, a name with a role after it: every short Han token is masked
    # (a role or a city too: masking more than names is the safe side).
    ('{"联系人":["王小明","李四"]}', '{"联系人":["王**","李**"]}'),
    ('{"联系人":"王小明;李四;赵五"}', '{"联系人":"王**;李**;赵**"}'),
    ('{"联系人": "王小明、李四 赵五"}', '{"联系人": "王**、李**　赵**"}'.replace("　", " ")),
    ('{"负责人":"阿卜杜拉·买买提(经理)"}', '{"负责人":"阿**·买**(经**)"}'),
    # Keys, firm names and other text stay as they are.
    ('{"备注":"嘉兴华泰汽车零部件有限公司","编号":"A12"}', None),
    ('{"填报人":null,"人数":12}', None),
]


def test_extra_masks_every_short_han_token_of_its_values_and_no_key() -> None:
    extra = pl.DataFrame({"_extra": [case for case, _ in EXTRA_CASES]})
    masked = mask_personal(extra)["_extra"].to_list()
    assert masked == [want or case for case, want in EXTRA_CASES]


def test_the_warehouse_masks_extra_as_core_does() -> None:
    con = duckdb.connect()
    con.execute(MASK_EXTRA_MACRO)
    for case, want in EXTRA_CASES:
        assert con.execute("SELECT mask_extra(?)", [case]).fetchone() == (want or case,)
