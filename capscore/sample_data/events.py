"""The firm timeline: what happens to each registry firm and when, driven by capability.

Every firm gets one timeline, the same whatever drops are landed: the
registry extract of any day shows the state on that day (`registry_rows`),
filings and patents follow the same dates, and truth/enterprise_capability
lists the events. Outcome channels (`capability.OUTCOMES`, z ~ N(0, 1)) drive:

- survival: deregistration (注销 60%, 吊销 40%) arrives at a yearly hazard
  DEREG_RATE * exp(-1.0 z_survival), 2.5 times higher in the first three years
  after establishment. A few firms move out (迁出) or suspend (停业) at random,
  whatever their capability. A closed firm has no staff, certificate or SRDI
  level in the registry from its closing day on, files no R&D figures for the
  year it closed or later, and stops patenting.
- HNTE (高新技术企业) and SRDI (专精特新): the timeline keeps the outcome
  latents z_hnte and z_srdi (how keen and how good an applicant the firm is);
  certificates and levels are granted later, by `certification`, on the firm's
  realized R&D filings and patents as they stood at each yearly batch.
- growth: the firm's yearly revenue growth 0.06 + 0.13 z_growth (R&D filings),
  half of it in insured staff, updated once a year.
- registered capital: some firms raise it once (4% a year), at random.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from capscore.sample_data.calendar import END_DATE, END_DAY, day_number
from capscore.sample_data.capability import OUTCOMES, channels

NEVER = 10**6  # a day number far after every date used here
CLOSED = ("迁出", "停业", "吊销", "注销")
DEREGISTERED = ("吊销", "注销")
_OPEN_STATUS = np.array(["存续", "在业", "迁入"])
_OPEN_STATUS_P = np.array([0.72, 0.12, 0.02]) / 0.86
DEREG_RATE = 0.0078  # per year after the first three years, at z_survival = 0
OTHER_CLOSE_SHARE = 0.02
FLIP_SHARE = 0.05
HNTE_YEARS = tuple(range(2014, END_DATE.year + 1))
HNTE_VALID_DAYS = 3 * 365
HNTE_MAX = 5  # certificates a firm can hold from 2014 to 2026
CAPITAL_RAISE_RATE = 0.04
CAPITAL_FROM = day_number(date(2018, 1, 1))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform day in [lo, hi] (lo when the range is empty)."""
    span = np.maximum(hi - lo, 0)
    return lo + (rng.random(lo.size) * (span + 1)).astype(np.int64)


def _survival(
    rng: np.random.Generator,
    z: np.ndarray,
    established: np.ndarray,
    is_new: np.ndarray,
    age_years: np.ndarray,
) -> dict[str, np.ndarray]:
    n = z.size
    base = rng.choice(_OPEN_STATUS, size=n, p=_OPEN_STATUS_P)
    base = np.where(is_new | (age_years < 1.0), "存续", base)
    flip_day = between(rng, established + 365, np.full(n, END_DAY))
    flip_day = np.where(
        (rng.random(n) < FLIP_SHARE) & ~is_new & (established + 365 < END_DAY), flip_day, NEVER
    )
    flipped = np.where(base == "在业", "存续", "在业")

    rate = DEREG_RATE * np.exp(-1.0 * z)
    hazard = rng.exponential(1.0, n)
    early = 2.5 * rate * 3.0  # cumulative hazard of the first three years
    years = np.where(hazard <= early, hazard / (2.5 * rate), 3.0 + (hazard - early) / rate)
    dereg = established + np.maximum(years * 365.25, 200.0).astype(np.int64)
    dereg = np.where(is_new | (dereg > END_DAY), NEVER, dereg)
    dereg_to = np.where(rng.random(n) < 0.6, "注销", "吊销")

    other = between(rng, established + 200, np.full(n, END_DAY))
    other = np.where(
        (rng.random(n) < OTHER_CLOSE_SHARE) & ~is_new & (other <= END_DAY), other, NEVER
    )
    other_to = np.where(rng.random(n) < 0.5, "迁出", "停业")
    moved_first = other < dereg
    return {
        "base_status": base,
        "flip_status": flipped,
        "flip_day": flip_day,
        "closed_status": np.where(moved_first, other_to, dereg_to),
        "closed_day": np.minimum(other, dereg),
        "dereg_day": np.where(moved_first, NEVER, dereg),
    }


def build_timeline(
    rng: np.random.Generator,
    capability: np.ndarray,
    established: np.ndarray,
    is_new: np.ndarray,
    age_years: np.ndarray,
) -> dict[str, np.ndarray]:
    """Columns of the firm frame: growth, status history, capital and staff days, and the
    outcome latents z_hnte and z_srdi that `certification` grants certificates on."""
    n = capability.size
    z = channels(rng, capability, OUTCOMES)
    status = _survival(rng, z["survival"], established, is_new, age_years)
    raise_from = np.maximum(established + 365, CAPITAL_FROM)
    years = np.maximum(END_DAY - raise_from, 0) / 365.25
    raised = (rng.random(n) < 1.0 - np.exp(-CAPITAL_RAISE_RATE * years)) & (raise_from < END_DAY)
    capital_day = np.where(raised, between(rng, raise_from, np.full(n, END_DAY)), NEVER)
    return {
        "growth": 0.06 + 0.13 * z["growth"],
        **status,
        "z_hnte": z["hnte"],
        "z_srdi": z["srdi"],
        "capital_day": capital_day,
        "capital_factor": rng.uniform(1.5, 4.0, n),
        # Insured staff is updated once a year, on this day and every 365 days before it.
        "staff_day": END_DAY - rng.integers(0, 365, n),
    }
