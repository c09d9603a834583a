"""What a date's resolution read, kept for the next night: read back only for the same
date, inputs and code, whole or not at all."""

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from capscore.entity_resolution import carried_cache
from capscore.entity_resolution.carried_cache import read_carried, write_carried

DAY = date(2026, 11, 19)
INPUTS = '{"landing": "a", "versions": "b"}'
FRAMES = {
    "names": pl.DataFrame(
        {"credit_code": ["91330400X"], "registry_name": ["嘉兴华达科技有限公司"]}
    ),
    "rd_lift": pl.DataFrame({"division": ["C36"], "ipc_lift": [1.5]}),
}


def test_kept_frames_read_back_for_the_same_date_and_inputs(tmp_path: Path) -> None:
    write_carried(tmp_path, DAY, INPUTS, FRAMES)
    read = read_carried(tmp_path, DAY, INPUTS, tuple(FRAMES))
    assert read is not None
    for name, frame in FRAMES.items():
        assert_frame_equal(read[name], frame)


def test_other_inputs_another_date_or_other_code_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_carried(tmp_path, DAY, INPUTS, FRAMES)
    assert read_carried(tmp_path, DAY, INPUTS.replace("a", "c"), tuple(FRAMES)) is None
    assert read_carried(tmp_path, date(2026, 11, 18), INPUTS, tuple(FRAMES)) is None
    monkeypatch.setattr(carried_cache, "parse_digest", lambda: "other-code")
    assert read_carried(tmp_path, DAY, INPUTS, tuple(FRAMES)) is None


def test_a_missing_or_unreadable_frame_is_a_miss(tmp_path: Path) -> None:
    write_carried(tmp_path, DAY, INPUTS, {"names": FRAMES["names"]})
    assert read_carried(tmp_path, DAY, INPUTS, tuple(FRAMES)) is None
    write_carried(tmp_path, DAY, INPUTS, FRAMES)
    broken = next(tmp_path.glob("*rd_lift.parquet"))
    broken.write_bytes(b"not parquet")
    assert read_carried(tmp_path, DAY, INPUTS, tuple(FRAMES)) is None


def test_a_later_date_replaces_what_an_earlier_one_kept(tmp_path: Path) -> None:
    write_carried(tmp_path, DAY, INPUTS, FRAMES)
    later = date(2026, 11, 20)
    write_carried(tmp_path, later, INPUTS, FRAMES)
    assert all(p.name.startswith(later.isoformat()) for p in tmp_path.iterdir())
    assert len(list(tmp_path.iterdir())) == len(FRAMES)
