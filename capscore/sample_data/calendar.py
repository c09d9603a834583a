"""The fixed calendar of the generated drops.

Dates are constants, never derived from today, so the same seed gives the
same files on any day. Days are handled as int days since 1970-01-01 (what
polars stores for Date) so that millions of dates stay numpy arrays.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

END_DATE = date(2026, 11, 20)
FIRST_LANDING = date(2026, 11, 9)


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


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
    """Landing days of a source as day numbers, ascending."""
    return np.array([day_number(LANDING_DAYS[i]) for i in SOURCE_DAY_INDEX[source]])


END_DAY = day_number(END_DATE)
FIRST_DAY = day_number(FIRST_LANDING)

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
