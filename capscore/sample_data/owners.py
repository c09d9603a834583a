"""Everyone who files patents: registry enterprises and the applicants that are not in the registry.

Non-registry applicants are what entity resolution must leave unmatched:
universities and institutes (often co-applicants of firms: 产学研),
individuals, foreign firms, and look-alike firms that share a 字号 with a
registry firm but sit in another region or industry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from capscore.sample_data.calendar import END_DAY, day_number
from capscore.sample_data.codes import credit_codes
from capscore.sample_data.enterprises import Firms, addresses, other_sites
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import (
    assemble,
    industry_words,
    org_forms,
    parts_frame,
    region_prefixes,
    registration_keys,
)
from capscore.sample_data.people import person_names, zipf_weights
from capscore.sample_data.regions import county_table
from capscore.sample_data.vocab import FOREIGN_FIRMS, INSTITUTE_FIELDS, INSTITUTES, UNIVERSITIES

# Filed patents per registry enterprise (a little more than end up published in the window).
PATENTS_PER_ENTERPRISE = 3.4
# Patents of non-registry first applicants, relative to the registry firms' patents.
NON_REGISTRY_SHARE = {
    "university": 0.09,
    "institute": 0.03,
    "individual": 0.05,
    "foreign": 0.035,
    "lookalike": 0.05,
}
LOOKALIKE_SHARE = 0.03  # look-alike firms per registry enterprise
# Firms whose patents give an address other than the registered 住所 (an R&D
# site, a workshop, the address before a move): a filing's address backs a
# link, but its absence must not be read as proof against one.
OTHER_SITE_SHARE = 0.2
# Per-owner latents of patent content (q_<channel>): the registry firm's evidence channel,
# the fixed `innov` of an applicant outside the registry.
PATENT_CHANNELS = ("invention_share", "grant", "claims", "family", "citations")
FIRST_FILING = day_number(date(1998, 1, 1))


@dataclass(frozen=True)
class Owners:
    """One row per applicant entity.

    Columns: owner, kind (enterprise, lookalike, university, institute,
    individual, foreign), ent (registry row, -1 if not in the registry), name
    (fixed text of a non-registry applicant; null for registry firms, whose
    name depends on the filing date), industry (-1 = any), start, end (filing
    window, day numbers), rate (expected filings), innov, address,
    credit_code (look-alikes only), q_<channel> for PATENT_CHANNELS.
    """

    frame: pl.DataFrame


def _institute_names() -> list[str]:
    synthetic = [f"嘉兴{field}研究院" for field in INSTITUTE_FIELDS]
    synthetic += [f"浙江省{field}研究院" for field in INSTITUTE_FIELDS[:4]]
    return list(INSTITUTES) + synthetic


def _lookalikes(rng: np.random.Generator, firms: Firms, count: int) -> pl.DataFrame:
    """Firms with a registry firm's 字号 in another region and/or industry, not in the registry
    and not a registered name written otherwise (registration_keys)."""
    frame = firms.frame
    counties = county_table()
    source = rng.integers(0, frame.height, count)
    place_idx = rng.choice(counties.height, size=count, p=counties["weight"].to_numpy())
    places = counties[place_idx]
    same_prefecture = (
        places["prefecture_code"].to_numpy() == frame["prefecture_code"].to_numpy()[source]
    )
    weights = np.array([ind.weight for ind in INDUSTRIES])
    other_industry = rng.choice(len(INDUSTRIES), size=count, p=weights / weights.sum())
    # Same region would often be the same firm: a look-alike differs in industry there.
    keep_industry = (rng.random(count) < 0.4) & ~same_prefecture
    industry = np.where(keep_industry, frame["industry"].to_numpy()[source], other_industry)
    size = rng.standard_normal(count) - 0.5
    form = org_forms(rng, size)
    county_level = np.ones(count, dtype=bool)
    prefix, paren = region_prefixes(rng, places, county_level, form)
    parts = parts_frame(
        prefix,
        paren,
        frame["cur_zihao"].to_numpy()[source],
        frame["cur_zihao_en"].to_numpy()[source],
        industry_words(rng, industry),
        form,
    )
    names = assemble(parts)
    # Not a name the registry already holds in another written form: a look-alike
    # differs from every registered firm in its region, 字号 or industry words.
    keys = registration_keys(parts)
    taken = keys.is_in(firms.keys_taken.implode()) | names.is_in(firms.names_taken.implode())
    keep = (keys.is_first_distinct() & ~taken).to_numpy()
    age = 0.5 + rng.gamma(1.3, 6.0, count)
    established = END_DAY - 400 - (age * 365.25).astype(np.int64)
    codes = credit_codes(
        frame.height + np.arange(count), places["county_code"].to_numpy().astype(str), age < 10
    )
    return pl.DataFrame(
        {
            "kind": "lookalike",
            "ent": -1,
            "name": names,
            "industry": industry.astype(np.int64),
            "start": np.maximum(established, FIRST_FILING),
            "end": np.full(count, END_DAY),
            "innov": rng.standard_normal(count) - 0.3,
            "address": addresses(rng, places),
            "credit_code": codes,
        }
    ).filter(pl.Series(keep))


def build_owners(rng: np.random.Generator, firms: Firms) -> Owners:
    frame = firms.frame
    n = frame.height
    industry = frame["industry"].to_numpy()
    rate_industry = np.array([ind.patent_rate for ind in INDUSTRIES])[industry]
    start = np.maximum(frame["established"].to_numpy(), FIRST_FILING)
    end = np.minimum(frame["closed_day"].to_numpy(), END_DAY)
    active_years = np.clip((end - start) / 365.25, 0.0, 12.0)
    # The evidence channels of capability (capability.EVIDENCE) set the filing rate here and
    # the type mix, grant chance, claims, PCT/family and citation appeal of each patent.
    weight = np.exp(1.4 * frame["ev_patent_rate"].to_numpy()) * rate_industry * active_years
    weight = np.where(frame["is_new"].to_numpy(), 0.0, weight)
    registry_total = PATENTS_PER_ENTERPRISE * n
    registry = pl.DataFrame(
        {
            "kind": "enterprise",
            "ent": frame["ent"],
            "name": pl.Series([None] * n, dtype=pl.String),
            "industry": industry.astype(np.int64),
            "start": start,
            "end": end,
            "rate": registry_total * weight / max(weight.sum(), 1e-9),
            "innov": frame["innov"],
            "address": frame["address"],
            "credit_code": pl.Series([None] * n, dtype=pl.String),
            **{f"q_{c}": frame[f"ev_{c}"] for c in PATENT_CHANNELS},
        }
    )

    def budget(kind: str) -> float:
        return registry_total * NON_REGISTRY_SHARE[kind]

    def fixed(kind: str, names: list[str], innov: float, industry: np.ndarray) -> pl.DataFrame:
        k = len(names)
        return pl.DataFrame(
            {
                "kind": kind,
                "ent": -1,
                "name": names,
                "industry": industry.astype(np.int64),
                "start": np.full(k, FIRST_FILING),
                "end": np.full(k, END_DAY),
                "rate": budget(kind) * zipf_weights(k, 0.9),
                "innov": np.full(k, innov),
                "address": pl.Series([None] * k, dtype=pl.String),
                "credit_code": pl.Series([None] * k, dtype=pl.String),
            }
        )

    universities = fixed("university", list(UNIVERSITIES), 0.6, np.full(len(UNIVERSITIES), -1))
    institute_names = _institute_names()
    institutes = fixed("institute", institute_names, 0.5, np.full(len(institute_names), -1))
    tech = np.flatnonzero([ind.tech for ind in INDUSTRIES])
    foreign = fixed("foreign", list(FOREIGN_FIRMS), 1.2, rng.choice(tech, size=len(FOREIGN_FIRMS)))

    n_people = max(5, round(budget("individual") / 1.5))
    people_start = rng.integers(day_number(date(2005, 1, 1)), END_DAY - 700, n_people)
    counties = county_table()
    people_places = counties[
        rng.choice(counties.height, size=n_people, p=counties["weight"].to_numpy())
    ]
    individuals = pl.DataFrame(
        {
            "kind": "individual",
            "ent": -1,
            "name": person_names(rng, n_people),
            "industry": np.full(n_people, -1),
            "start": people_start,
            "end": np.minimum(people_start + 5 * 365, END_DAY),
            "rate": np.full(n_people, budget("individual") / n_people),
            "innov": np.full(n_people, -0.8),
            "address": addresses(rng, people_places),
            "credit_code": pl.Series([None] * n_people, dtype=pl.String),
        }
    )
    look = _lookalikes(rng, firms, max(5, round(n * LOOKALIKE_SHARE)))
    look_weight = rng.lognormal(0.0, 1.0, look.height)
    look = look.with_columns(
        pl.Series("rate", budget("lookalike") * look_weight / look_weight.sum())
    ).select(c for c in registry.columns if not c.startswith("q_"))
    # Drawn last, so that every other owner is what the same seed always made.
    registry = registry.with_columns(other_sites(rng, registry["address"], OTHER_SITE_SHARE))
    others = pl.concat(
        [universities, institutes, individuals, foreign, look], how="vertical_relaxed"
    ).with_columns(pl.col("innov").alias(f"q_{c}") for c in PATENT_CHANNELS)
    owners = pl.concat([registry, others], how="vertical_relaxed").with_row_index("owner")
    return Owners(frame=owners.with_columns(pl.col("owner").cast(pl.Int64)))
