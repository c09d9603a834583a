"""Personal names leave the raw layer masked: the first character, then stars."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from capscore.core.personal import mask_name, mask_personal


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
