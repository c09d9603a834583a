"""HNTE certificates and SRDI levels, granted on each firm's realized records.

Certification comes after the patents and R&D filings exist and examines
them as the authority would at each yearly batch (`Records.examine`): for a
batch on day d of year y,

- R&D intensity: sum(rd_expense) / sum(revenue) over the fiscal years
  y-3 .. y-1 the firm had filed by d (the latest version of each year's
  filing); unknown (not met) when it filed none of them;
- revenue: of the latest of those years (the HNTE gate depends on it);
- growth: that revenue against the earliest of those years (needs two);
- R&D staff share: rd_staff / total_staff of the latest of those years that
  reports both (unknown: not met);
- IP: the firm's patents (as first applicant) granted by d and neither lapsed
  nor expired on d, inventions and utility models / designs counted apart.

For batches whose window starts before the filings do (y - 3 <
`rd.FISCAL_YEARS[0]`, i.e. up to 2019) the authority saw records the provider
does not have: for a firm with none of the window's years on file, its latent
R&D intensity and staff share (the medians its filings are drawn around) and
its latent revenue and growth stand in for them. IP is always the realized
patents. From 2020 on only the filings count.

HNTE (高新技术企业认定, yearly batches late October to December, valid three
years; a firm at least one year old, alive on the issue day): it meets the
criteria when intensity >= 5% / 4% / 3% (revenue <= 5,000万, <= 2亿, above),
staff share >= 10% and it holds >= 1 valid invention or >= 4 valid utility
models / designs. A firm without a valid certificate then gets one with
probability sigmoid(HNTE_APPLY + 0.8 z_hnte) (x 0.2 outside tech industries:
the high-tech income gate), a firm whose certificate expires that year renews
with sigmoid(HNTE_REAPPLY + 0.8 z_hnte); a firm that does not meet them with
probability HNTE_UNMET only.

SRDI (专精特新): provincial batches yearly from 2018 (mid-year) for firms at
least two years old with intensity >= 3%, some valid IP and revenue growth
> 0: probability sigmoid(SRDI_PROVINCIAL + 0.8 z_srdi + 0.3 size); national
"小巨人" batches from 2019 for provincial firms of at least half a year with
stronger records (intensity >= 5%, or >= 3% above 1亿 revenue, >= 1 valid
invention, staff share >= 10%, growth > 0): sigmoid(SRDI_NATIONAL + 0.8 z_srdi
+ 0.3 size); x 0.15 outside tech; SRDI_UNMET for firms that do not qualify.

Everything is vectorised over firms, one pass per batch year.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from capscore.sample_data.calendar import END_DATE, END_DAY, year_start
from capscore.sample_data.enterprises import Firms
from capscore.sample_data.events import HNTE_MAX, HNTE_YEARS, NEVER, sigmoid
from capscore.sample_data.patents import INVENTION
from capscore.sample_data.rd import FISCAL_YEARS, log_intensity, log_staff_share

HNTE_APPLY, HNTE_REAPPLY, HNTE_UNMET = 1.0, 1.5, 0.0005
HNTE_NON_TECH = 0.2
HNTE_STAFF_SHARE = 0.10
HNTE_INVENTIONS, HNTE_OTHER_IP = 1, 4
SRDI_PROVINCIAL_FROM, SRDI_NATIONAL_FROM = 2018, 2019
SRDI_PROVINCIAL, SRDI_NATIONAL, SRDI_UNMET = -1.9, -1.4, 0.0003
SRDI_NON_TECH = 0.15
SRDI_INTENSITY, SRDI_NATIONAL_INTENSITY = 0.03, 0.05


def hnte_gate(revenue: np.ndarray) -> np.ndarray:
    """The HNTE R&D intensity gate by latest-year revenue (万元): 5% / 4% / 3%."""
    return np.where(revenue <= 5_000, 0.05, np.where(revenue <= 20_000, 0.04, 0.03))


@dataclass(frozen=True)
class Examined:
    """What the authority sees of each firm at a batch (NaN: unknown)."""

    filed: np.ndarray  # fiscal years of the window on file
    intensity: np.ndarray
    revenue: np.ndarray
    growth: np.ndarray
    staff_share: np.ndarray
    inventions: np.ndarray
    other_ip: np.ndarray

    def meets_hnte(self) -> np.ndarray:
        return (
            (self.intensity >= hnte_gate(self.revenue))
            & (self.staff_share >= HNTE_STAFF_SHARE)
            & ((self.inventions >= HNTE_INVENTIONS) | (self.other_ip >= HNTE_OTHER_IP))
        )

    def meets_srdi(self) -> np.ndarray:
        return (
            (self.intensity >= SRDI_INTENSITY)
            & (self.inventions + self.other_ip >= 1)
            & (self.growth > 0)
        )

    def meets_srdi_national(self) -> np.ndarray:
        gate = np.where(self.revenue > 10_000, SRDI_INTENSITY, SRDI_NATIONAL_INTENSITY)
        return (
            (self.intensity >= gate)
            & (self.inventions >= 1)
            & (self.staff_share >= HNTE_STAFF_SHARE)
            & (self.growth > 0)
        )


def _fields(e: Examined) -> tuple[np.ndarray, ...]:
    return (e.filed, e.intensity, e.revenue, e.growth, e.staff_share, e.inventions, e.other_ip)


def _run_ends(key: np.ndarray) -> np.ndarray:
    """Whether each row of a sorted key is the last of its run."""
    last = np.ones(key.size, dtype=bool)
    last[:-1] = key[1:] != key[:-1]
    return last


def _run_starts(key: np.ndarray) -> np.ndarray:
    first = np.ones(key.size, dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return first


@dataclass(frozen=True)
class Records:
    """Each registry firm's R&D filings and patents, as arrays the batches examine.

    Filings (every version, refilings too) are sorted by (firm, fiscal year,
    reported day); patents are those a registry firm applied for first.
    """

    n: int
    f_ent: np.ndarray
    f_year: np.ndarray
    f_day: np.ndarray
    revenue: np.ndarray
    rd_expense: np.ndarray
    rd_staff: np.ndarray  # float, NaN where not reported
    total_staff: np.ndarray
    p_ent: np.ndarray
    p_invention: np.ndarray
    p_grant: np.ndarray
    p_end: np.ndarray  # lapse or expiry, whichever comes first
    # Latent stand-ins for the years before the filings start.
    log_intensity: np.ndarray
    z_staff: np.ndarray
    log_revenue: np.ndarray
    growth: np.ndarray

    @classmethod
    def build(cls, firms: Firms, patents: pl.DataFrame, rd: pl.DataFrame) -> Records:
        """From the firms, the patents' `info` and the R&D rows of `rd.build_rd`."""
        f = firms.frame
        filings = (
            rd.filter(pl.col("_true_code").is_not_null())
            .join(
                f.select(pl.col("credit_code").alias("_true_code"), "ent"),
                on="_true_code",
                how="inner",
            )
            .select(
                "ent",
                "fiscal_year",
                pl.col("reported_date").cast(pl.Int32).cast(pl.Int64).alias("day"),
                "revenue",
                "rd_expense",
                pl.col("rd_staff").cast(pl.Float64),
                pl.col("total_staff").cast(pl.Float64),
            )
            .sort("ent", "fiscal_year", "day", "revenue", "rd_expense")
        )
        held = patents.filter((pl.col("ent") >= 0) & (pl.col("grant") < NEVER))
        return cls(
            n=f.height,
            f_ent=filings["ent"].to_numpy(),
            f_year=filings["fiscal_year"].to_numpy(),
            f_day=filings["day"].to_numpy(),
            revenue=filings["revenue"].to_numpy(),
            rd_expense=filings["rd_expense"].to_numpy(),
            rd_staff=filings["rd_staff"].fill_null(np.nan).to_numpy(),
            total_staff=filings["total_staff"].fill_null(np.nan).to_numpy(),
            p_ent=held["ent"].to_numpy(),
            p_invention=held["ptype"].to_numpy() == INVENTION,
            p_grant=held["grant"].to_numpy(),
            p_end=np.minimum(held["lapse"].to_numpy(), held["expiry"].to_numpy()),
            log_intensity=log_intensity(f["industry"].to_numpy(), f["ev_rd_intensity"].to_numpy()),
            z_staff=f["ev_rd_staff"].to_numpy(),
            log_revenue=f["log_revenue"].to_numpy(),
            growth=f["growth"].to_numpy(),
        )

    def _ip(self, day: np.ndarray, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = day[self.p_ent]
        valid = who[self.p_ent] & (self.p_grant <= d) & (self.p_end > d)
        inv = valid & self.p_invention
        other = valid & ~self.p_invention
        return (
            np.bincount(self.p_ent[inv], minlength=self.n),
            np.bincount(self.p_ent[other], minlength=self.n),
        )

    def examine(self, year: int, day: np.ndarray, who: np.ndarray) -> Examined:
        """The records of the firms `who` at a batch of `year` held on `day` (per firm)."""
        n = self.n
        inventions, other_ip = self._ip(day, who)
        if year - 1 < FISCAL_YEARS[0]:
            return self._latent(year, inventions, other_ip)
        rows = np.flatnonzero(
            who[self.f_ent]
            & (self.f_year >= year - 3)
            & (self.f_year <= year - 1)
            & (self.f_day <= day[self.f_ent])
        )
        # The latest version of each fiscal year's filing.
        rows = rows[_run_ends(self.f_ent[rows] * 10_000 + self.f_year[rows])]
        ent = self.f_ent[rows]
        filed = np.bincount(ent, minlength=n)
        revenue = np.bincount(ent, self.revenue[rows], minlength=n)
        rd = np.bincount(ent, self.rd_expense[rows], minlength=n)
        intensity = np.full(n, np.nan)
        np.divide(rd, revenue, out=intensity, where=filed > 0)
        latest, earliest = rows[_run_ends(ent)], rows[_run_starts(ent)]
        last_revenue = np.full(n, np.nan)
        last_revenue[self.f_ent[latest]] = self.revenue[latest]
        first_revenue = np.full(n, np.nan)
        first_revenue[self.f_ent[earliest]] = self.revenue[earliest]
        growth = np.where(filed >= 2, last_revenue / first_revenue - 1.0, np.nan)
        staffed = rows[~np.isnan(self.rd_staff[rows]) & (self.total_staff[rows] > 0)]
        staffed = staffed[_run_ends(self.f_ent[staffed])]
        share = np.full(n, np.nan)
        share[self.f_ent[staffed]] = self.rd_staff[staffed] / self.total_staff[staffed]
        seen = Examined(filed, intensity, last_revenue, growth, share, inventions, other_ip)
        if year - 3 >= FISCAL_YEARS[0]:
            return seen
        # The window starts before the filings do: a firm with none of it on file is
        # examined on what the provider does not have.
        latent = self._latent(year, inventions, other_ip)
        none = filed == 0
        return Examined(
            *(np.where(none, a, b) for a, b in zip(_fields(latent), _fields(seen), strict=True))
        )

    def _latent(self, year: int, inventions: np.ndarray, other_ip: np.ndarray) -> Examined:
        """Before the filings start: the medians the firm's figures would be drawn around."""
        intensity = np.exp(self.log_intensity)
        return Examined(
            filed=np.full(self.n, 3),
            intensity=intensity,
            revenue=np.exp(self.log_revenue + (year - 1 - 2023) * self.growth),
            growth=np.expm1(2 * self.growth),
            staff_share=np.exp(log_staff_share(intensity, self.z_staff)),
            inventions=inventions,
            other_ip=other_ip,
        )


def _hnte(rng: np.random.Generator, f: pl.DataFrame, records: Records) -> dict[str, np.ndarray]:
    """Issue days of each firm's certificates, ascending, NEVER-padded (hnte_1 .. hnte_5)."""
    n = f.height
    z = f["z_hnte"].to_numpy()
    established, closed = f["established"].to_numpy(), f["closed_day"].to_numpy()
    industry = np.where(f["tech"].to_numpy(), 1.0, HNTE_NON_TECH)
    p_new = sigmoid(HNTE_APPLY + 0.8 * z) * industry
    p_renew = sigmoid(HNTE_REAPPLY + 0.8 * z)
    issues = np.full((n, HNTE_MAX), NEVER, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    last_year = np.full(n, -100)
    for year in HNTE_YEARS:
        batches = year_start(np.array([year]))[0] + np.sort(rng.integers(298, 356, 4))
        issue = batches[rng.integers(0, batches.size, n)]
        u = rng.random(n)
        due = (year >= last_year + 3) & (count < HNTE_MAX)
        alive = (issue < closed) & (issue >= established + 365) & (issue <= END_DAY)
        who = due & alive
        meets = records.examine(year, issue, who).meets_hnte()
        p = np.where(year == last_year + 3, p_renew, p_new)
        p = np.where(meets, p, HNTE_UNMET * industry)
        grant = np.flatnonzero(who & (u < p))
        issues[grant, count[grant]] = issue[grant]
        count[grant] += 1
        last_year[grant] = year
    return {f"hnte_{k + 1}": issues[:, k] for k in range(HNTE_MAX)}


def _srdi(rng: np.random.Generator, f: pl.DataFrame, records: Records) -> dict[str, np.ndarray]:
    """Days a firm became SRDI provincial and national (NEVER: not by the end date)."""
    n = f.height
    z, size = f["z_srdi"].to_numpy(), f["size"].to_numpy()
    established, closed = f["established"].to_numpy(), f["closed_day"].to_numpy()
    industry = np.where(f["tech"].to_numpy(), 1.0, SRDI_NON_TECH)
    p_prov = sigmoid(SRDI_PROVINCIAL + 0.8 * z + 0.3 * size) * industry
    p_nat = sigmoid(SRDI_NATIONAL + 0.8 * z + 0.3 * size) * industry
    unmet = SRDI_UNMET * industry
    provincial = np.full(n, NEVER, dtype=np.int64)
    national = np.full(n, NEVER, dtype=np.int64)
    for year in range(SRDI_PROVINCIAL_FROM, END_DATE.year + 1):
        start = year_start(np.array([year]))[0]
        batches = start + np.sort(rng.integers(120, 271, 2))
        day = batches[rng.integers(0, batches.size, n)]
        u = rng.random(n)
        who = (
            (day < closed)
            & (day >= established + 2 * 365)
            & (day <= END_DAY)
            & (provincial == NEVER)
        )
        meets = records.examine(year, day, who).meets_srdi()
        grant = who & (u < np.where(meets, p_prov, unmet))
        if year >= SRDI_NATIONAL_FROM:
            nat_day = np.full(n, start + int(rng.integers(160, 231)))
            u_nat = rng.random(n)
            up = (
                (nat_day < closed)
                & (nat_day <= END_DAY)
                & (provincial <= nat_day - 180)
                & (national == NEVER)
            )
            meets_nat = records.examine(year, nat_day, up).meets_srdi_national()
            up &= u_nat < np.where(meets_nat, p_nat, unmet)
            national = np.where(up, nat_day, national)
        provincial = np.where(grant, day, provincial)
    return {"provincial_day": provincial, "national_day": national}


def certify(
    rng: np.random.Generator, firms: Firms, patents: pl.DataFrame, rd: pl.DataFrame
) -> Firms:
    """`firms` with hnte_1 .. hnte_5, provincial_day and national_day, granted on the records.

    `patents`: the patents' `info` (`patents.build_patents`); `rd`: the rows of `rd.build_rd`.
    """
    records = Records.build(firms, patents, rd)
    f = firms.frame
    hnte = _hnte(rng, f, records)
    srdi = _srdi(rng, f, records)
    frame = f.with_columns(pl.Series(k, v) for k, v in {**hnte, **srdi}.items())
    return replace(firms, frame=frame)
