"""HNTE certificates and SRDI levels follow the firms' realized records (`certification`).

The model is built in-process (`generate.simulate`) and every batch is
re-examined with `certification.Records`: what the authority saw of the
firm's R&D filings and patents on the batch day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from capscore.sample_data.calendar import END_DATE, END_DAY, year_start, years_of
from capscore.sample_data.certification import Examined, Records, hnte_gate
from capscore.sample_data.enterprises import HNTE_COLUMNS, hnte_until, registry_rows
from capscore.sample_data.events import HNTE_VALID_DAYS, NEVER
from capscore.sample_data.generate import World, generate, simulate

FIRMS = 5000


@pytest.fixture(scope="module")
def world() -> World:
    return simulate(FIRMS, seed=17)


@pytest.fixture(scope="module")
def records(world: World) -> Records:
    return Records.build(world.firms, world.patents.info, world.rd)


def _issues(frame: pl.DataFrame) -> np.ndarray:
    return np.column_stack([frame[c].to_numpy() for c in HNTE_COLUMNS])


def _year(days: np.ndarray) -> np.ndarray:
    return np.where(days < NEVER, years_of(np.minimum(days, END_DAY)), 0)


def test_examine_reads_the_records_as_they_stood_on_the_batch_day() -> None:
    day = int(year_start(np.array([2024]))[0]) + 300
    records = Records(
        n=3,
        # Firm 0: FY2021..2023 on file, FY2023 refiled after the batch (not seen), FY2020 out of
        # the window. Firm 1: only FY2023, filed after the batch. Firm 2: nothing.
        f_ent=np.array([0, 0, 0, 0, 0, 1]),
        f_year=np.array([2020, 2021, 2022, 2023, 2023, 2023]),
        f_day=np.array([day - 1000, day - 700, day - 350, day - 100, day + 5, day + 1]),
        revenue=np.array([100.0, 1000.0, 2000.0, 3000.0, 9000.0, 50.0]),
        rd_expense=np.array([90.0, 60.0, 100.0, 140.0, 0.0, 40.0]),
        rd_staff=np.array([1.0, 2.0, np.nan, np.nan, 5.0, 1.0]),
        total_staff=np.array([10.0, 20.0, 30.0, 40.0, 50.0, 2.0]),
        # Firm 0: one valid invention, one lapsed, two valid utility models, one granted later.
        p_ent=np.array([0, 0, 0, 0, 0]),
        p_invention=np.array([True, True, False, False, False]),
        p_grant=np.array([day - 500, day - 900, day - 30, day - 60, day + 10]),
        p_end=np.array([day + 3000, day - 1, day + 900, day + 900, day + 3000]),
        log_intensity=np.zeros(3),
        z_staff=np.zeros(3),
        log_revenue=np.zeros(3),
        growth=np.zeros(3),
    )
    seen = records.examine(2024, np.full(3, day), np.ones(3, dtype=bool))
    assert seen.filed.tolist() == [3, 0, 0]
    assert seen.intensity[0] == pytest.approx(300.0 / 6000.0)
    assert seen.revenue[0] == 3000.0 and seen.growth[0] == pytest.approx(2.0)
    # The latest year that reports both staff figures.
    assert seen.staff_share[0] == pytest.approx(0.1)
    assert np.isnan(seen.intensity[1:]).all() and np.isnan(seen.staff_share[1:]).all()
    assert seen.inventions.tolist() == [1, 0, 0] and seen.other_ip.tolist() == [2, 0, 0]
    assert seen.meets_hnte().tolist() == [True, False, False]
    assert seen.meets_srdi().tolist() == [True, False, False]
    # Firms not asked about are not examined.
    partial = records.examine(2024, np.full(3, day), np.array([False, True, True]))
    assert partial.filed[0] == 0 and partial.inventions[0] == 0


def test_hnte_gate_depends_on_revenue() -> None:
    revenue = np.array([100.0, 5_000.0, 5_001.0, 20_000.0, 20_001.0])
    assert hnte_gate(revenue).tolist() == [0.05, 0.05, 0.04, 0.04, 0.03]
    known = Examined(
        filed=np.full(5, 3),
        intensity=np.full(5, 0.045),
        revenue=revenue,
        growth=np.full(5, 0.1),
        staff_share=np.array([0.2, 0.2, 0.2, 0.05, np.nan]),
        inventions=np.array([1, 1, 0, 1, 1]),
        other_ip=np.array([0, 0, 4, 0, 0]),
    )
    assert known.meets_hnte().tolist() == [False, False, True, False, False]


def test_certified_firms_met_the_criteria_at_their_batch(world: World, records: Records) -> None:
    f = world.firms.frame
    issues = _issues(f)
    years = _year(issues)
    granted, met = 0, 0
    for year in range(2020, END_DATE.year + 1):
        for k in range(issues.shape[1]):
            rows = years[:, k] == year
            if not rows.any():
                continue
            seen = records.examine(year, np.where(rows, issues[:, k], 0), rows)
            granted += int(rows.sum())
            met += int(seen.meets_hnte()[rows].sum())
    assert granted > 200
    assert met / granted > 0.93, (met, granted)
    for column, test in (
        ("provincial_day", Examined.meets_srdi),
        ("national_day", Examined.meets_srdi_national),
    ):
        days = f[column].to_numpy()
        years = _year(days)
        total, ok = 0, 0
        for year in range(2020, 2027):
            rows = years == year
            seen = records.examine(year, np.where(rows, days, 0), rows)
            total += int(rows.sum())
            ok += int(test(seen)[rows].sum())
        assert total > 20 and ok / total > 0.9, (column, ok, total)


def test_firms_meeting_the_criteria_are_mostly_certified(world: World, records: Records) -> None:
    f = world.firms.frame
    issues = _issues(f)
    years = _year(issues)
    closed, established = f["closed_day"].to_numpy(), f["established"].to_numpy()
    met_total = met_certified = unmet_total = unmet_certified = 0
    for year in range(2020, 2025):
        # The earliest batch day of the year: every firm is examined then.
        day = np.full(f.height, int(year_start(np.array([year]))[0]) + 298)
        valid = ((issues <= day[:, None]) & (issues + HNTE_VALID_DAYS > day[:, None])).any(axis=1)
        # Alive through the next three batches, at least one year old, holding no certificate.
        open_ = (day + 3 * 365 < closed) & (day >= established + 365) & ~valid
        meets = records.examine(year, day, open_).meets_hnte()
        within = ((years >= year) & (years <= year + 2)).any(axis=1)
        that_year = (years == year).any(axis=1)
        met_total += int((open_ & meets).sum())
        met_certified += int((open_ & meets & within).sum())
        unmet_total += int((open_ & ~meets).sum())
        unmet_certified += int((open_ & ~meets & that_year).sum())
    assert met_total > 100
    assert met_certified / met_total > 0.75, (met_certified, met_total)
    assert unmet_certified / unmet_total < 0.005, (unmet_certified, unmet_total)


def test_certificates_need_r_and_d_filings(world: World) -> None:
    """A firm needs filings on record to be certified (almost always)."""
    f = world.firms.frame
    filers = world.rd["_true_code"].drop_nulls().unique()
    recent = (_year(_issues(f)) >= 2020).any(axis=1)
    certified = f.filter(pl.Series(recent))
    assert certified.height > 100
    share = certified["credit_code"].is_in(filers.implode()).mean()
    assert isinstance(share, float) and share > 0.97, share


def test_rates_stay_realistic(world: World) -> None:
    f = world.firms.frame
    end = pl.lit(END_DAY)
    state = f.select(
        (pl.col("closed_day") > END_DAY).alias("open"),
        ((hnte_until(end) > END_DAY).fill_null(False)).alias("hnte"),
        (pl.col("provincial_day") <= END_DAY).alias("srdi"),
        (pl.col("national_day") <= END_DAY).alias("national"),
    )
    share = {
        c: float(state.select((pl.col(c) & pl.col("open")).mean()).item())
        for c in ("hnte", "srdi", "national")
    }
    assert 0.02 < share["hnte"] < 0.08, share
    assert 0.02 < share["srdi"] < 0.09, share
    assert 0.003 < share["national"] < 0.03, share
    # Most certificate holders are in tech industries; renewals happen.
    holders = f.filter(state["hnte"] & state["open"])
    tech = holders["tech"].mean()
    assert isinstance(tech, float) and tech > 0.9
    assert f.filter(pl.col("hnte_2") < NEVER).height > 30


def test_registry_shows_certificates_from_their_day_and_never_for_closed_firms(
    world: World,
) -> None:
    f = world.firms.frame
    issues = _issues(f)
    for day in (int(year_start(np.array([y]))[0]) + 330 for y in (2021, 2024, 2026)):
        day = min(day, END_DAY)
        rows = registry_rows(f, day)
        until = rows["hnte_valid_until"].cast(pl.Int32).to_numpy()
        latest = np.where(issues <= day, issues, -1).max(axis=1)
        open_ = f["closed_day"].to_numpy() > day
        shown = ~np.isnan(rows["hnte_valid_until"].cast(pl.Int32).cast(pl.Float64).to_numpy())
        assert (shown == (open_ & (latest >= 0))).all()
        assert (until[shown] == latest[shown] + HNTE_VALID_DAYS).all()
        srdi = rows["srdi_level"].to_numpy()
        assert ((srdi == "none") | (srdi == None) | open_).all()  # noqa: E711
        # Nothing granted to a firm that was closed on the day or not yet a year old.
        granted = (issues < NEVER) & (issues <= day)
        closed = f["closed_day"].to_numpy()[:, None]
        assert not (granted & (issues >= closed)).any()
        established = f["established"].to_numpy()[:, None]
        assert not (granted & (issues < established + 365)).any()


def test_certification_is_deterministic_and_ignores_history_and_dirt(
    world: World, tmp_path: Path
) -> None:
    again = simulate(FIRMS, seed=17, history_years=3)
    columns = [*HNTE_COLUMNS, "provincial_day", "national_day"]
    assert again.firms.frame.select(columns).equals(world.firms.frame.select(columns))
    generate(tmp_path / "a", 400, seed=2)
    generate(tmp_path / "b", 400, seed=2, dirty=True, history_years=2)
    truth = "truth/enterprise_capability.parquet"
    assert (tmp_path / "a" / truth).read_bytes() == (tmp_path / "b" / truth).read_bytes()
    other = simulate(FIRMS, seed=18)
    assert not other.firms.frame.select(columns).equals(world.firms.frame.select(columns))
