"""Annual R&D and financial filings (研发投入与财务), with refilings and messy identifiers.

Each filer has a latent size (revenue scale), a yearly growth (the outcome
channel of `events`) and the evidence channels of its capability
(`capability`: whether it files, its R&D intensity and R&D staff share), so
revenue is heavy-tailed and consistent across years and R&D intensity is
mostly 1-10% and fits the industry. Firms with patents and firms with a high
R&D intensity latent file more often (certification, which examines these
filings, comes after them and does not feed back). Many firms never file:
their revenue stays unknown. A few filings are refiled later (corrections),
some of them during the two-week window.
Filings carry the name of their day (a later rename turns it into a former
name) and sometimes a missing, mistyped or unknown code.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from capscore.sample_data.calendar import (
    END_DAY,
    FIRST_DAY,
    landing_index,
    source_days,
    year_start,
    years_of,
)
from capscore.sample_data.codes import credit_codes, mistype_credit_codes
from capscore.sample_data.enterprises import NEVER, Firms
from capscore.sample_data.events import sigmoid
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.noise import RD_NOISE, mention_names, names_on
from capscore.sample_data.owners import Owners
from capscore.sample_data.series import masked

FISCAL_YEARS = tuple(range(2017, 2026))
CODE_NOISE = {"ok": 0.88, "missing": 0.05, "mistyped": 0.04, "unknown": 0.03}
REFILING_SHARE = 0.03  # recent filings refiled during the window
LATER_REFILING_SHARE = 0.02  # filings refiled 1 to 11 months later
FILE_BASE = -2.5
FILE_PATENTS = 2.0  # log-odds of filing added for a firm with patents
FILE_INTENSITY = 1.2  # weight of the R&D intensity latent in the filing odds
WINDOW_LATE_SHARE = 0.01  # FY2025 filings that arrive during the two weeks
# Look-alike firms (not in the registry) that file too.
LOOKALIKE_FILER_SHARE = 0.4
# Credit codes of unknown firms come from an index range no registry firm uses.
UNKNOWN_CODE_BASE = 40_000_000

RD_COLUMNS = (
    "credit_code",
    "enterprise_name",
    "fiscal_year",
    "revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "rd_staff",
    "total_staff",
    "reported_date",
)


def _filer_years(
    rng: np.random.Generator, first_year: np.ndarray, last_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(filer index, fiscal year) pairs: from a joining year to the last year, a few gaps."""
    lo, hi = FISCAL_YEARS[0], FISCAL_YEARS[-1]
    join = np.maximum(first_year, lo + np.minimum(rng.geometric(0.45, first_year.size) - 1, 5))
    last = np.minimum(last_year, hi)
    span = np.maximum(last - join + 1, 0)
    filer = np.repeat(np.arange(first_year.size), span)
    offset = np.arange(filer.size) - np.repeat(np.cumsum(span) - span, span)
    year = join[filer] + offset
    keep = rng.random(filer.size) < 0.95
    return filer[keep], year[keep]


def _reported(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    """Filing day: January to June after the fiscal year, a few late ones later in the year."""
    start = year_start(year + 1)
    on_time = start + 9 + np.minimum(rng.gamma(2.0, 40.0, year.size), 170).astype(np.int64)
    late = start + rng.integers(180, 330, year.size)
    return np.where(rng.random(year.size) < 0.03, late, on_time)


def log_intensity(industry: np.ndarray, z_intensity: np.ndarray) -> np.ndarray:
    """A firm's median log R&D intensity (rd_expense / revenue) from its industry and latent."""
    base_intensity = np.array([ind.rd_intensity for ind in INDUSTRIES])[industry]
    return np.log(0.8 * base_intensity) + 0.48 * z_intensity


def log_staff_share(intensity: np.ndarray, z_staff: np.ndarray) -> np.ndarray:
    """Median log R&D staff share at a given R&D intensity and R&D staff latent."""
    return np.log(0.12 + np.clip(intensity, 0, 1)) + 0.25 * z_staff


def _financials(
    rng: np.random.Generator,
    filer: np.ndarray,
    year: np.ndarray,
    log_rev: np.ndarray,
    growth: np.ndarray,
    z_intensity: np.ndarray,
    z_staff: np.ndarray,
    industry: np.ndarray,
    established_year: np.ndarray,
    staff_basis: np.ndarray,
) -> dict[str, np.ndarray]:
    """Filing figures around each filer's 2023 revenue level `log_rev` (万元).

    Per filer: yearly `growth`, the R&D intensity and R&D staff channels
    (N(0, 1)); `filer` indexes them for each filed year.
    """
    k = log_rev.size
    firm_intensity = log_intensity(industry, z_intensity)
    margin = 0.06 + 0.08 * rng.standard_normal(k)
    leverage = rng.beta(2.2, 2.6, k)
    assets_ratio = 0.1 + 0.35 * rng.standard_normal(k)
    m = filer.size
    f = filer
    revenue = np.exp(log_rev[f] + (year - 2023) * growth[f] + 0.1 * rng.standard_normal(m))
    first_year = year == established_year[f]
    revenue = np.where(first_year, revenue * rng.uniform(0.1, 0.5, m), revenue)
    revenue = np.maximum(revenue, 5.0)
    intensity = np.exp(firm_intensity[f] + 0.15 * rng.standard_normal(m))
    young_small = (year - established_year[f] <= 3) & (revenue < 300)
    intensity = np.where(young_small, intensity * rng.uniform(1.0, 3.0, m), intensity)
    rd = revenue * np.clip(intensity, 0.001, 1.8)
    net = revenue * np.clip(margin[f] + 0.05 * rng.standard_normal(m), -1.5, 0.45)
    assets = revenue * np.exp(assets_ratio[f] + 0.1 * rng.standard_normal(m))
    liabilities = assets * np.clip(leverage[f] + 0.05 * rng.standard_normal(m), 0.02, 1.3)
    staff = np.maximum(
        np.round(staff_basis[f] * np.exp((year - 2025) * growth[f] * 0.5)), 1
    ).astype(np.int64)
    staff_mean = log_staff_share(intensity, z_staff[f])
    share = np.clip(rng.lognormal(staff_mean, 0.3, m), 0.02, 0.9)
    rd_staff = np.minimum(np.round(staff * share), staff).astype(np.int64)
    return {
        "revenue": np.round(revenue, 2),
        "rd_expense": np.round(rd, 2),
        "net_profit": np.round(net, 2),
        "total_assets": np.round(assets, 2),
        "total_liabilities": np.round(liabilities, 2),
        "rd_staff": rd_staff,
        "total_staff": staff,
    }


def build_rd(
    rng: np.random.Generator,
    firms: Firms,
    owners: Owners,
    patent_counts: np.ndarray,
    days: np.ndarray | None = None,
) -> pl.DataFrame:
    """All filings that reach the provider by the end date, with their landing drop and truth.

    `days`: the rd_records landing days (default: the two-week window).
    Columns: RD_COLUMNS + landing (index into `days`), _true_code,
    _code_noise, _name_noise, _refiling.
    """
    f = firms.frame
    n = f.height
    closed = f["closed_day"].to_numpy()
    first_year = years_of(f["established"].to_numpy())
    last_year = np.where(closed < NEVER, years_of(closed) - 1, FISCAL_YEARS[-1])
    p_file = sigmoid(
        FILE_BASE
        + 1.0 * f["ev_rd_filing"].to_numpy()
        + 0.4 * f["size"].to_numpy()
        + FILE_PATENTS * (patent_counts > 0)
        + FILE_INTENSITY * f["ev_rd_intensity"].to_numpy()
    )
    filer_firm = np.flatnonzero((rng.random(n) < p_file) & ~f["is_new"].to_numpy())
    filer, year = _filer_years(rng, first_year[filer_firm], last_year[filer_firm])
    ent = filer_firm[filer]
    firm, filer = np.unique(ent, return_inverse=True)
    money = _financials(
        rng,
        filer,
        year,
        f["log_revenue"].to_numpy()[firm],
        f["growth"].to_numpy()[firm],
        f["ev_rd_intensity"].to_numpy()[firm],
        f["ev_rd_staff"].to_numpy()[firm],
        f["industry"].to_numpy()[firm],
        first_year[firm],
        np.maximum(f["staff_end"].to_numpy(), 1)[firm],
    )
    reported = _reported(rng, year)
    window_late = (year == FISCAL_YEARS[-1]) & (rng.random(year.size) < WINDOW_LATE_SHARE)
    reported = np.where(window_late, rng.integers(FIRST_DAY + 1, END_DAY + 1, year.size), reported)
    filings = pl.DataFrame(
        {
            "ent": ent,
            "fiscal_year": year,
            "reported": reported,
            "_refiling": np.zeros(ent.size, dtype=bool),
            **money,
        }
    )
    filings = (
        pl.concat(
            [filings, _refilings(rng, filings), _later_refilings(rng, filings)],
            how="vertical_relaxed",
        )
        .filter(pl.col("reported") <= END_DAY)
        .unique(["ent", "fiscal_year", "reported"], keep="first", maintain_order=True)
    )

    registry = _registry_filings(rng, firms, filings)
    lookalike = _lookalike_filings(rng, owners)
    rows = pl.concat([registry, lookalike], how="vertical_relaxed")
    days = source_days("rd_records") if days is None else days
    landing = landing_index(rows["reported"].to_numpy(), days)
    return (
        rows.with_columns(pl.Series("landing", landing))
        .filter(pl.col("landing") < days.size)
        .with_columns(pl.col("reported").cast(pl.Int32).cast(pl.Date).alias("reported_date"))
        .pipe(_unique_names_per_drop)
        .sort(
            ["landing", "fiscal_year", "_true_code", "reported_date"],
            nulls_last=True,
            maintain_order=True,
        )
        .select(*RD_COLUMNS, "landing", "_true_code", "_code_noise", "_name_noise", "_refiling")
    )


def _corrected(rng: np.random.Generator, again: pl.DataFrame, reported: np.ndarray) -> pl.DataFrame:
    """Refilings of `again` on `reported`, with amounts corrected a little."""
    k = again.height
    scale = {
        "revenue": 0.03,
        "rd_expense": 0.08,
        "net_profit": 0.1,
        "total_assets": 0.03,
        "total_liabilities": 0.05,
    }
    return again.with_columns(
        pl.Series("reported", reported, dtype=pl.Int64),
        pl.lit(True).alias("_refiling"),
        *[
            (pl.col(c) * pl.Series(1 + s * rng.standard_normal(k))).round(2).alias(c)
            for c, s in scale.items()
        ],
    ).with_columns(
        pl.min_horizontal("rd_expense", pl.col("revenue") * 1.8).round(2).alias("rd_expense")
    )


def _refilings(rng: np.random.Generator, filings: pl.DataFrame) -> pl.DataFrame:
    """Corrected filings of recent years, filed during the window (the original came before)."""
    recent = filings.filter(
        pl.col("fiscal_year") >= FISCAL_YEARS[-2], pl.col("reported") < FIRST_DAY - 20
    )
    pick = rng.random(recent.height) < REFILING_SHARE
    again = recent.filter(pl.Series(pick))
    return _corrected(rng, again, rng.integers(FIRST_DAY + 1, END_DAY + 1, again.height))


def _later_refilings(rng: np.random.Generator, filings: pl.DataFrame) -> pl.DataFrame:
    """Corrections filed one to eleven months after the original (those after the end drop out)."""
    again = filings.filter(pl.Series(rng.random(filings.height) < LATER_REFILING_SHARE))
    later = again["reported"].to_numpy() + rng.integers(30, 331, again.height)
    return _corrected(rng, again, later)


def _registry_filings(
    rng: np.random.Generator, firms: Firms, filings: pl.DataFrame
) -> pl.DataFrame:
    ent = filings["ent"].to_numpy()
    rows = filings.with_columns(
        firms.frame["credit_code"].gather(ent).alias("credit_code"),
        firms.frame["region_code"].gather(ent).alias("region_code"),
    )
    name, name_noise = mention_names(
        rng,
        firms.frame,
        firms.names_taken,
        ent,
        filings["reported"].to_numpy(),
        np.zeros(ent.size, dtype=bool),
        RD_NOISE,
    )
    # The name as registered on the filing day: what a clash falls back to.
    registered = names_on(firms.frame, ent, filings["reported"].to_numpy())

    kinds = np.array(list(CODE_NOISE))
    p = np.array(list(CODE_NOISE.values()))
    code_noise = kinds[rng.choice(kinds.size, size=rows.height, p=p)]
    true_code = rows["credit_code"].to_numpy()
    mistyped = mistype_credit_codes(true_code, rng)
    unknown = credit_codes(
        UNKNOWN_CODE_BASE + np.arange(rows.height),
        rows["region_code"].to_numpy().astype(str),
        np.ones(rows.height, dtype=bool),
    )
    code = np.where(
        code_noise == "mistyped", mistyped, np.where(code_noise == "unknown", unknown, true_code)
    )
    return rows.select(
        masked("credit_code", code, code_noise == "missing", pl.String()),
        name.alias("enterprise_name"),
        "fiscal_year",
        "revenue",
        "rd_expense",
        "net_profit",
        "total_assets",
        "total_liabilities",
        "rd_staff",
        "total_staff",
        "reported",
        pl.col("credit_code").alias("_true_code"),
        registered.alias("_registered_name"),
        pl.Series("_code_noise", code_noise),
        name_noise.alias("_name_noise"),
        "_refiling",
    ).pipe(_with_nulls, rng)


def _lookalike_filings(rng: np.random.Generator, owners: Owners) -> pl.DataFrame:
    """Filings of look-alike firms: valid codes no registry firm has, names that are not registered."""
    look = owners.frame.filter(pl.col("kind") == "lookalike")
    look = look.filter(pl.Series(rng.random(look.height) < LOOKALIKE_FILER_SHARE))
    k = look.height
    est_year = np.full(k, FISCAL_YEARS[0])
    filer, year = _filer_years(rng, est_year, np.full(k, FISCAL_YEARS[-1]))
    industry = look["industry"].to_numpy()
    log_rev = np.log(np.array([ind.revenue for ind in INDUSTRIES])[industry]) - 0.8
    log_rev = log_rev + 1.2 * rng.standard_normal(k)
    money = _financials(
        rng,
        filer,
        year,
        log_rev,
        0.06 + 0.13 * rng.standard_normal(k),
        rng.standard_normal(k),
        rng.standard_normal(k),
        industry,
        est_year - 5,
        np.maximum(np.round(np.exp(log_rev) / 90.0), 1.0),
    )
    reported = _reported(rng, year)
    return (
        pl.DataFrame(
            {
                "credit_code": look["credit_code"].to_numpy()[filer],
                "enterprise_name": look["name"].to_numpy()[filer],
                "fiscal_year": year,
                **money,
                "reported": reported,
                "_true_code": pl.Series([None] * filer.size, dtype=pl.String),
                "_registered_name": look["name"].to_numpy()[filer],
                "_code_noise": "unknown",
                "_name_noise": "lookalike",
                "_refiling": False,
            }
        )
        .filter(pl.col("reported") <= END_DAY)
        .pipe(_with_nulls, rng)
    )


def _with_nulls(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Optional columns are sometimes left blank, as on real forms."""
    k = frame.height
    blank_balance = rng.random(k) < 0.04
    return frame.with_columns(
        masked("net_profit", frame["net_profit"], rng.random(k) < 0.03, pl.Float64()),
        masked("total_assets", frame["total_assets"], blank_balance, pl.Float64()),
        masked("total_liabilities", frame["total_liabilities"], blank_balance, pl.Float64()),
        masked("rd_staff", frame["rd_staff"], rng.random(k) < 0.06, pl.Int64()),
        masked("total_staff", frame["total_staff"], rng.random(k) < 0.04, pl.Int64()),
    )


def _unique_names_per_drop(rows: pl.DataFrame) -> pl.DataFrame:
    """A noisy name that two filers share in one drop and year falls back to the registered name.

    A filing and its refiling in one drop are the same filer: no clash.
    """
    filers = pl.col("_true_code").n_unique().over("landing", "fiscal_year", "enterprise_name")
    clash = (filers > 1) & (pl.col("_name_noise") != "exact")
    return rows.with_columns(
        pl.when(clash).then(pl.lit("exact")).otherwise(pl.col("_name_noise")).alias("_name_noise"),
        pl.when(clash)
        .then(pl.col("_registered_name"))
        .otherwise(pl.col("enterprise_name"))
        .alias("enterprise_name"),
    )
