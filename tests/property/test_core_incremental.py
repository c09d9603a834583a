"""A core state updated from the date before's equals the state made from every raw row.

Raw registry and patent rows land on random days with random own dates (some dated
after they land, some never visible), repeat a record across drops and within one
(the same snapshot date or publication re-sent), write a number with and without
`CN`, cite each other and numbers that appear later, and name persons among the
applicants. A chain of as-of dates is updated night after night
(enterprise_state_since, patent_state_since), reading only the records a change
since the first date touched (registry_changed_since, patents_changed_since) as a
backfill does, and compared, date by date, with the
state made from scratch.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from capscore.core.enterprise import (
    enterprise_state,
    enterprise_state_since,
    registry_changed_since,
)
from capscore.core.patent import patent_state, patent_state_since, patents_changed_since
from capscore.core.personal import PersonNames
from data_contracts.schemas import landed_schema

START = date(2024, 3, 1)
DAYS = 12
CODES = [f"9133040{i}MA2XXXXX{i}" for i in range(6)]
NAMES = ["嘉兴甲科技有限公司", "嘉兴乙科技有限公司", "丙新材料有限公司", "丁智能装备股份有限公司"]
APPLICANTS = [*NAMES, "王小明", "李四", "浙江大学"]
STATUSES = ["存续", "在业", "注销"]


def day(draw: Any, latest: int = DAYS) -> date:
    return START + timedelta(days=draw(st.integers(0, latest)))


@st.composite
def snapshot(draw: Any, row: int) -> dict[str, Any]:
    out: dict[str, Any] = {c: None for c in landed_schema("registry")}
    landing = day(draw)
    out.update(
        credit_code=draw(st.sampled_from(CODES)),
        name=draw(st.sampled_from(NAMES)),
        former_names=draw(st.lists(st.sampled_from(NAMES), max_size=2)),
        legal_form="有限责任公司",
        legal_representative=draw(st.sampled_from(["张三", "李小龙", None])),
        established_date=date(2015, 3, 1),
        status=draw(st.sampled_from(STATUSES)),
        registered_capital=float(draw(st.sampled_from([500, 1000]))),
        industry_code="C3670",
        region_code="330402",
        snapshot_date=landing - timedelta(days=draw(st.integers(-2, 5))),
        landing_date=landing,
        _file=f"landing/registry/{landing}/a.csv",
        _row_number=row,
    )
    return out


def _number(i: int, prefixed: bool) -> str:
    return f"{'CN' if prefixed else ''}2023{i:08d}.1"


@st.composite
def patent_version(draw: Any, row: int) -> dict[str, Any]:
    out: dict[str, Any] = {c: None for c in landed_schema("patents")}
    landing = day(draw)
    published = landing - timedelta(days=draw(st.integers(-3, 6)))
    out.update(
        application_number=_number(draw(st.integers(0, 7)), draw(st.booleans())),
        patent_type="invention",
        title="一种装置",
        application_date=published - timedelta(days=400),
        publication_date=published,
        applicants=draw(st.lists(st.sampled_from(APPLICANTS), min_size=1, max_size=3)),
        inventors=draw(st.lists(st.sampled_from(["王小明", "赵六"]), max_size=2)),
        cited_applications=[
            _number(i, prefixed)
            for i, prefixed in draw(
                st.lists(st.tuples(st.integers(0, 9), st.booleans()), max_size=3)
            )
        ],
        legal_status=draw(st.sampled_from(["pending", "granted"])),
        landing_date=landing,
        _file=f"landing/patents/{landing}/a.csv",
        _row_number=row,
    )
    return out


def _raw(draw: Any, make: Any, source: str) -> pl.DataFrame:
    count = draw(st.integers(0, 25))
    rows = [draw(make(row)) for row in range(count)]
    return pl.DataFrame(rows, schema=landed_schema(source))


def _nights(draw: Any) -> list[date]:
    offsets = draw(st.lists(st.integers(0, DAYS + 2), min_size=2, max_size=5, unique=True))
    return [START + timedelta(days=o) for o in sorted(offsets)]


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_enterprise_updated_night_after_night_equals_made_from_scratch(data: Any) -> None:
    raw = _raw(data.draw, snapshot, "registry")
    nights = _nights(data.draw)
    state = enterprise_state(raw, nights[0])
    changed = registry_changed_since(raw.lazy(), nights[0], nights[-1]).collect()
    for earlier, as_of in pairwise(nights):
        lazy = (state[0].lazy(), state[1].lazy())
        state = enterprise_state_since(changed, as_of, earlier, lazy)
        for updated, made in zip(state, enterprise_state(raw, as_of), strict=True):
            assert_frame_equal(updated, made)


@given(data=st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_patents_updated_night_after_night_equal_made_from_scratch(data: Any) -> None:
    raw = _raw(data.draw, patent_version, "patents")
    nights = _nights(data.draw)
    names = PersonNames()
    state = patent_state(raw, nights[0], names)
    changed = patents_changed_since(raw.lazy(), nights[0], nights[-1]).collect()
    for earlier, as_of in pairwise(nights):
        update = patent_state_since(changed, as_of, earlier, state.lazy(), names)
        state = update.on(state)
        assert_frame_equal(state, patent_state(raw, as_of, PersonNames()))
