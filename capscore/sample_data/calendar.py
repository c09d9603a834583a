"""The fixed calendar of the generated drops.

Dates are constants, never derived from today, so the same seed gives the
same files on any day. Days are handled as int days since 1970-01-01 (what
polars stores for Date) so that millions of dates stay numpy arrays.

The window is two weeks of weekday drops, 2026-11-09 to 2026-11-20; the
first day holds the backlog. With `history_years` N > 0 (`Calendar`), drops
before the window go back N years from the end date: one on the first
working day of every month from November 2026 - N on (patents, rd_records),
every third of them a full registry snapshot (quarterly, the last one in
November 2026). The first history date then holds the backlog, and the
window's first drop holds only what is new since the last history drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

END_DATE = date(2026, 11, 20)
FIRST_LANDING = date(2026, 11, 9)
# No landing date before this one: history goes back at most MAX_HISTORY_YEARS.
EARLIEST_LANDING = date(2020, 1, 1)
MAX_HISTORY_YEARS = 6
SOURCES = ("registry", "patents", "rd_records")


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def day_date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def _weekdays(start: date, end: date) -> tuple[date, ...]:
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return tuple(d for d in days if d.weekday() < 5)


# Providers deliver on working days: two weeks, Monday 2026-11-09 to Friday 2026-11-20.
LANDING_DAYS: tuple[date, ...] = _weekdays(FIRST_LANDING, END_DATE)
# Which of those days each source delivers on (the first is the backlog).
SOURCE_DAY_INDEX: dict[str, tuple[int, ...]] = {
    "registry": (0, 2, 4, 5, 7, 9),
    "patents": tuple(range(len(LANDING_DAYS))),
    "rd_records": (0, 3, 6, 8, 9),
}


def source_days(source: str) -> np.ndarray:
    """Landing days of a source in the two-week window as day numbers, ascending."""
    return np.array([day_number(LANDING_DAYS[i]) for i in SOURCE_DAY_INDEX[source]])


END_DAY = day_number(END_DATE)
FIRST_DAY = day_number(FIRST_LANDING)
# The registry extracts of the window (each is the extract of the day before it lands).
WINDOW_SNAPSHOT_DAYS = source_days("registry") - 1


def _is_holiday(d: date) -> bool:
    """New Year's Day and the National Day week: no deliveries."""
    return (d.month, d.day) == (1, 1) or (d.month == 10 and d.day <= 7)


def first_working_day(year: int, month: int) -> date:
    d = date(year, month, 1)
    while d.weekday() >= 5 or _is_holiday(d):
        d += timedelta(days=1)
    return d


def _history_months(years: int) -> list[date]:
    """First working day of every month from November (2026 - years) to before the window."""
    out: list[date] = []
    year, month = END_DATE.year - years, END_DATE.month
    while True:
        d = first_working_day(year, month)
        if d >= FIRST_LANDING:
            return out
        out.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True)
class Drop:
    """One landing date of a source: `full` = it holds every record (a backlog or a snapshot)."""

    landing: date
    full: bool
    snapshot: date | None = None  # registry only: the snapshot_date of its rows


@dataclass(frozen=True)
class Calendar:
    history_years: int
    drops: dict[str, tuple[Drop, ...]]

    def dates(self, source: str) -> list[date]:
        return [d.landing for d in self.drops[source]]

    def days(self, source: str) -> np.ndarray:
        """Landing days of a source as day numbers, ascending."""
        return np.array([day_number(d.landing) for d in self.drops[source]], dtype=np.int64)

    @property
    def landing_dates(self) -> list[date]:
        return sorted({d for s in SOURCES for d in self.dates(s)})

    @property
    def first_window_drop(self) -> dict[str, int]:
        """Index of each source's first drop in the two-week window."""
        return {s: sum(d.landing < FIRST_LANDING for d in self.drops[s]) for s in SOURCES}


def build_calendar(history_years: int = 0) -> Calendar:
    if not 0 <= history_years <= MAX_HISTORY_YEARS:
        raise ValueError(
            f"history_years must be between 0 and {MAX_HISTORY_YEARS} "
            f"(no landing date before {EARLIEST_LANDING}), got {history_years}"
        )
    months = _history_months(history_years) if history_years else []
    history = bool(months)
    drops: dict[str, tuple[Drop, ...]] = {}
    for source in SOURCES:
        window = [LANDING_DAYS[i] for i in SOURCE_DAY_INDEX[source]]
        if source == "registry":
            quarters = months[::3]
            drops[source] = tuple(Drop(d, True, d) for d in quarters) + tuple(
                Drop(d, k == 0 and not history, d - timedelta(days=1)) for k, d in enumerate(window)
            )
        else:
            drops[source] = tuple(Drop(d, k == 0) for k, d in enumerate(months)) + tuple(
                Drop(d, k == 0 and not history) for k, d in enumerate(window)
            )
    assert all(d.landing >= EARLIEST_LANDING for ds in drops.values() for d in ds)
    return Calendar(history_years, drops)


# CNIPA announces on Tuesdays and Fridays: days to add to reach the next one
# (index = weekday, Monday 0). 1970-01-01 was a Thursday (weekday 3).
_TO_TUE_FRI = np.array([1, 0, 2, 1, 0, 3, 2])


def next_announcement_day(days: np.ndarray) -> np.ndarray:
    """The first Tuesday or Friday on or after each day."""
    weekday = (days + 3) % 7
    return days + _TO_TUE_FRI[weekday]


def landing_index(days: np.ndarray, landing: np.ndarray) -> np.ndarray:
    """Index of the first landing day on or after each day (len(landing) = never lands)."""
    return np.searchsorted(landing, days, side="left")


def years_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def year_start(years: np.ndarray) -> np.ndarray:
    return (
        (np.asarray(years) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    )
