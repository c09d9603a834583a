"""Synthetic as-of inputs at any scale, and a timer for the scoring chain.

`python -m benchmarks.scoring_chain --enterprises 1000000 --patents 3000000`
builds core/enterprise, core/patent, er/applicant_links and core/rd_filing
shaped frames (vectorised numpy, seeded), then times patent quality,
enterprise indicators, indicator scores, enterprise scores and the
data-driven weights, and reports peak RSS. Property tests use the same
generator at small sizes.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
import polars as pl

from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.patent_quality import patent_quality
from capscore.scoring.scores import enterprise_scores, indicator_columns
from capscore.scoring.weights import weight_comparison
from scoring_models.config import ScoringModel, load_scoring_model

T = TypeVar("T")

STATUSES = ["存续", "在业", "迁入", "迁出", "停业", "吊销", "注销"]
STATUS_P = [0.70, 0.10, 0.03, 0.02, 0.02, 0.05, 0.08]
LEGAL = ["granted", "pending", "lapsed", "expired", "rejected", "withdrawn"]
LEGAL_P = [0.45, 0.25, 0.12, 0.03, 0.08, 0.07]
KINDS = ["enterprise", "university", "institute", "individual", "foreign", "unknown"]


@dataclass(frozen=True)
class SyntheticInputs:
    as_of: date
    enterprises: pl.DataFrame
    patents: pl.DataFrame
    links: pl.DataFrame
    rd_filings: pl.DataFrame


def _dates(base: date, offsets: np.ndarray) -> pl.Series:
    """`base` + offsets (days) as a Date series."""
    epoch = (base - date(1970, 1, 1)).days
    return pl.Series(offsets.astype(np.int64) + epoch).cast(pl.Int32).cast(pl.Date)


def _lists(owner: np.ndarray, values: pl.Series, n: int) -> pl.Series:
    """A List column of length n from flat (owner index, value) pairs."""
    flat = pl.DataFrame({"i": owner.astype(np.int64), "v": values})
    grouped = flat.group_by("i").agg("v")
    return (
        pl.DataFrame({"i": np.arange(n, dtype=np.int64)})
        .join(grouped, on="i", how="left")
        .sort("i")
        .get_column("v")
    )


def synthetic_inputs(
    n_enterprises: int, n_patents: int, seed: int = 0, as_of: date = date(2026, 6, 30)
) -> SyntheticInputs:
    rng = np.random.default_rng(seed)
    ne, npat = n_enterprises, n_patents
    codes = pl.select(
        pl.format("91{}", pl.int_range(ne, dtype=pl.Int64).cast(pl.String).str.zfill(16))
    ).to_series()
    sections = np.array(list("ABCDEFGHIJKLMNOPQRS"))
    industry = pl.Series(sections[rng.integers(0, len(sections), ne)]) + pl.Series(
        rng.integers(1000, 9999, ne).astype(str)
    )
    srdi = pl.Series(
        rng.choice(["none", "provincial", "national", ""], ne, p=[0.80, 0.12, 0.03, 0.05])
    ).replace("", None)
    enterprises = pl.DataFrame(
        {
            "credit_code": codes,
            "name": "企业" + codes.str.slice(10) + "有限公司",
            "status": rng.choice(STATUSES, ne, p=STATUS_P),
            "region_code": rng.choice(["330100", "330200", "110000"], ne),
            "industry_code": industry,
            "established_date": _dates(as_of, -rng.integers(30, 30 * 365, ne)),
            "hnte_valid_until": _dates(as_of, rng.integers(-3 * 365, 3 * 365, ne)),
            "srdi_level": srdi,
            "snapshot_date": _dates(as_of, -rng.integers(0, 300, ne)),
        }
    ).with_columns(
        pl.when(pl.Series(rng.random(ne) < 0.25)).then(pl.col("hnte_valid_until")),
    )
    # Patents in application-date order so a patent cites earlier ones.
    app_offsets = np.sort(rng.integers(-15 * 365, -30, npat))
    application = _dates(as_of, app_offsets)
    publication = _dates(as_of, app_offsets + rng.integers(90, 900, npat))
    legal = rng.choice(LEGAL, npat, p=LEGAL_P)
    has_grant = np.isin(legal, ["granted", "lapsed", "expired"])
    grant = _dates(as_of, app_offsets + rng.integers(200, 1500, npat))
    ptype = rng.choice(["invention", "utility_model", "design"], npat, p=[0.5, 0.4, 0.1])
    numbers = pl.select(
        pl.format("CN{}.1", pl.int_range(npat, dtype=pl.Int64).cast(pl.String).str.zfill(12))
    ).to_series()
    subclass_pool = np.array(
        [f"{s}{c:02d}{k}" for s in "ABCDEFGH" for c in range(1, 30) for k in "ABCDEFGHJ"]
    )
    n_ipc = rng.integers(0, 4, npat)
    ipc_owner = np.repeat(np.arange(npat), n_ipc)
    # Patents cluster around a technology: codes are drawn near a per-patent centre.
    centre = rng.integers(0, len(subclass_pool), npat)
    ipc_idx = (centre[ipc_owner] + rng.integers(-4, 5, len(ipc_owner))) % len(subclass_pool)
    ipc_values = pl.Series(subclass_pool[ipc_idx]) + "1/00"
    n_cited = rng.poisson(3, npat)
    cite_owner = np.repeat(np.arange(npat), n_cited)
    cited = np.maximum(cite_owner - rng.geometric(1 / 2000, len(cite_owner)), 0)
    patents = pl.DataFrame(
        {
            "application_number": numbers,
            "patent_type": ptype,
            "application_date": application,
            "publication_date": publication,
            "grant_date": grant,
            "ipc_codes": _lists(ipc_owner, ipc_values, npat),
            "claims_count": rng.integers(1, 30, npat),
            "cited_applications": _lists(cite_owner, numbers.gather(cited), npat),
            "legal_status": legal,
            "pct": rng.random(npat) < 0.05,
            "family_size": rng.integers(1, 12, npat),
        }
    ).with_columns(
        pl.when(pl.Series(has_grant)).then(pl.col("grant_date")),
        pl.when(pl.Series(rng.random(npat) < 0.2)).then(pl.col("family_size")),
        pl.col("ipc_codes").fill_null(pl.lit([], dtype=pl.List(pl.String()))),
    )
    # Applicants: a skewed draw so a few enterprises hold many patents.
    n_app = 1 + (rng.random(npat) < 0.25)
    link_pat = np.repeat(np.arange(npat), n_app)
    position = np.arange(len(link_pat)) - np.repeat(np.cumsum(n_app) - n_app, n_app)
    owner = np.minimum((rng.pareto(1.2, len(link_pat)) * ne / 50).astype(np.int64), ne - 1)
    kind = rng.choice(KINDS, len(link_pat), p=[0.8, 0.08, 0.04, 0.04, 0.02, 0.02])
    decision = rng.choice(["matched", "review", "unmatched"], len(link_pat), p=[0.9, 0.05, 0.05])
    links = pl.DataFrame(
        {
            "application_number": numbers.gather(link_pat),
            "applicant_position": position,
            "applicant_kind": kind,
            "credit_code": codes.gather(owner),
            "decision": decision,
        }
    ).with_columns(
        pl.when(pl.col("applicant_kind") == "enterprise").then(pl.col("credit_code")),
        pl.when(pl.col("applicant_kind") == "enterprise")
        .then(pl.col("decision"))
        .otherwise(pl.lit("unmatched")),
    )
    # R&D filings: 40% of enterprises file 1-4 consecutive fiscal years.
    filers = np.flatnonzero(rng.random(ne) < 0.4)
    n_years = rng.integers(1, 5, len(filers))
    f_owner = np.repeat(filers, n_years)
    f_year = (as_of.year - 1) - (
        np.arange(len(f_owner)) - np.repeat(np.cumsum(n_years) - n_years, n_years)
    )
    scale = np.exp(rng.normal(7, 2, ne))[f_owner]
    revenue = scale * rng.uniform(0.8, 1.3, len(f_owner))
    rd_filings = pl.DataFrame(
        {
            "credit_code": codes.gather(f_owner),
            "fiscal_year": f_year,
            "revenue": revenue,
            "rd_expense": revenue * rng.uniform(0.0, 0.15, len(f_owner)),
            "total_assets": scale * rng.uniform(0.8, 3.0, len(f_owner)),
            "total_liabilities": scale * rng.uniform(0.1, 1.5, len(f_owner)),
            "rd_staff": rng.integers(0, 50, len(f_owner)),
            "total_staff": rng.integers(50, 500, len(f_owner)),
            "reported_date": _dates(date(int(as_of.year), 5, 31), (f_year - as_of.year) * 365),
        }
    )
    return SyntheticInputs(as_of, enterprises, patents, links, rd_filings)


def _timed(timings: dict[str, float], name: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    out = fn()
    timings[name] = round(time.perf_counter() - start, 2)
    return out


def run_benchmark(
    n_enterprises: int = 100_000, n_patents: int = 300_000, model: ScoringModel | None = None
) -> dict[str, float]:
    """Seconds per step of the scoring chain on synthetic inputs, plus peak RSS (GB)."""
    model = model or load_scoring_model()
    timings: dict[str, float] = {}
    data = _timed(timings, "generate", lambda: synthetic_inputs(n_enterprises, n_patents))
    d = data.as_of
    quality = _timed(
        timings, "patent_quality", lambda: patent_quality(data.patents, data.links, d, model)
    )
    wide, profile = _timed(
        timings,
        "enterprise_indicators",
        lambda: enterprise_indicators(
            data.enterprises, data.patents, data.links, data.rd_filings, quality, d, model
        ),
    )
    values = _timed(timings, "indicator_columns", lambda: indicator_columns(wide, profile, model))
    _timed(timings, "enterprise_scores", lambda: enterprise_scores(values, profile, model))
    _timed(timings, "weights", lambda: weight_comparison(wide, model))
    scoring_steps = [k for k in timings if k != "generate"]
    timings["total_scoring"] = round(sum(timings[k] for k in scoring_steps), 2)
    timings["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scoring_chain")
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--patents", type=int, default=300_000)
    args = parser.parse_args(argv)
    for step, value in run_benchmark(args.enterprises, args.patents).items():
        print(f"{step:>24}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
