"""The registry's enterprises over time: attributes, renames, status changes, new firms.

One row per enterprise in `Firms.frame`, with what a snapshot needs to know
the firm's state on any snapshot_date: up to three name versions with the days
they took effect, and the firm's timeline (`events`: status, certificates,
SRDI level, capital and staff over time). Registry rows for any day are
derived from it by `registry_rows`, once `certification.certify` has added
the certificate and SRDI days. The hidden `capability` of each firm
(`capability`) is a column of the frame too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from capscore.sample_data.calendar import WINDOW_SNAPSHOT_DAYS, day_number
from capscore.sample_data.capability import EVIDENCE, channels, standardized
from capscore.sample_data.codes import credit_codes
from capscore.sample_data.events import (
    CLOSED,
    HNTE_MAX,
    HNTE_VALID_DAYS,
    NEVER,
    build_timeline,
)
from capscore.sample_data.events import between as _between
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import (
    GUFEN,
    assemble,
    english_names,
    legal_forms,
    new_names,
    other_industry_word,
    parts_frame,
    registration_keys,
    unique_names,
    with_new_trade_names,
)
from capscore.sample_data.people import person_names
from capscore.sample_data.regions import county_table
from capscore.sample_data.series import masked
from capscore.sample_data.vocab import ROAD_SUFFIXES, TRADE_CHARS

__all__ = [
    "CLOSED",
    "NEVER",
    "Firms",
    "build_firms",
    "registry_rows",
    "snapshot_members",
]

NEW_STYLE_FROM = day_number(date(2015, 10, 1))
# Share of enterprises that first appear in a later snapshot (founded during the window).
NEW_FIRM_SHARE = 0.005
HISTORIC_RENAME_SHARE = 0.07
SECOND_RENAME_SHARE = 0.15
WINDOW_RENAME_SHARE = 0.004
HNTE_COLUMNS = tuple(f"hnte_{k + 1}" for k in range(HNTE_MAX))
# Days on which a registry record can change (besides the yearly staff update).
EVENT_COLUMNS = (
    "established",
    "r1",
    "r2",
    "flip_day",
    "closed_day",
    "capital_day",
    *HNTE_COLUMNS,
    "provincial_day",
    "national_day",
)

REGISTRY_COLUMNS = (
    "credit_code",
    "name",
    "former_names",
    "english_name",
    "legal_form",
    "established_date",
    "status",
    "registered_capital",
    "industry_code",
    "region_code",
    "address",
    "legal_representative",
    "insured_staff",
    "hnte_valid_until",
    "srdi_level",
    "snapshot_date",
)


@dataclass(frozen=True)
class Firms:
    frame: pl.DataFrame
    names_taken: pl.Series  # every registered name, current or former
    keys_taken: pl.Series  # the registration_keys of those names


def _two_significant(x: np.ndarray) -> np.ndarray:
    unit = 10.0 ** np.maximum(np.floor(np.log10(np.maximum(x, 1.0))) - 1, 0)
    return np.maximum(np.round(x / unit) * unit, 1.0)


def streets(rng: np.random.Generator, n: int) -> np.ndarray:
    """Road, number and (often) building: the part of an address after its place."""
    chars = np.array([c for c, _ in TRADE_CHARS])
    road = np.char.add(
        np.char.add(chars[rng.integers(0, chars.size, n)], chars[rng.integers(0, chars.size, n)]),
        np.array(ROAD_SUFFIXES)[rng.integers(0, len(ROAD_SUFFIXES), n)],
    )
    number = np.char.add(rng.integers(1, 2000, n).astype(str), "号")
    unit_kind = rng.integers(0, 4, n)
    unit = np.where(
        unit_kind == 0,
        np.char.add(rng.integers(1, 30, n).astype(str), "幢"),
        np.where(
            unit_kind == 1,
            np.char.add(
                np.char.add(rng.integers(1, 20, n).astype(str), "号楼"),
                np.char.add(rng.integers(101, 2999, n).astype(str), "室"),
            ),
            "",
        ),
    )
    return np.char.add(np.char.add(road, number), unit)


def addresses(rng: np.random.Generator, places: pl.DataFrame) -> np.ndarray:
    street = streets(rng, places.height)
    city = np.where(
        places["municipality"].to_numpy() | places["prefecture_name"].is_null().to_numpy(),
        "",
        places["prefecture_name"].fill_null("").to_numpy().astype(str),
    )
    head = np.char.add(
        np.char.add(places["province_name"].to_numpy().astype(str), city),
        places["county_name"].to_numpy().astype(str),
    )
    return np.char.add(head, street)


def other_sites(rng: np.random.Generator, registered: pl.Series, share: float) -> pl.Series:
    """`registered` addresses, a `share` of them moved to another street of the same place."""
    n = registered.len()
    moved = pl.Series(rng.random(n) < share)
    suffixes = "|".join(sorted(set(ROAD_SUFFIXES), key=len, reverse=True))
    head = registered.str.extract(rf"^(.*?)\p{{Han}}{{2}}(?:{suffixes})\d+号", 1)
    other = head + pl.Series(streets(rng, n))
    return (
        pl.select(pl.when(moved & head.is_not_null()).then(other).otherwise(registered))
        .to_series()
        .alias(registered.name)
    )


def _rename(
    rng: np.random.Generator, parts: pl.DataFrame, places: pl.DataFrame
) -> tuple[pl.DataFrame, np.ndarray]:
    """Next name version: new 行业 words, joint-stock reform, province-level region, or new 字号.

    Returns the new parts and whether the legal form changed.
    """
    n = parts.height
    kind = rng.choice(4, size=n, p=[0.35, 0.25, 0.15, 0.25])
    form = parts["form_idx"].to_numpy()
    prefix = parts["prefix"].to_numpy().astype(object)
    province = places["province_short"].to_numpy().astype(object)
    can_reform = form != GUFEN
    can_upgrade = (prefix != "") & (prefix != province)
    kind = np.where((kind == 1) & ~can_reform, 0, kind)
    kind = np.where((kind == 2) & ~can_upgrade, 0, kind)
    word_idx = parts["word_idx"].to_numpy()
    new_word = np.where(kind == 0, other_industry_word(rng, word_idx), word_idx)
    new_form = np.where(kind == 1, GUFEN, form)
    out = parts_frame(
        np.where(kind == 2, province, prefix),
        parts["paren"].to_numpy(),
        parts["zihao"].to_numpy(),
        parts["zihao_en"].to_numpy(),
        new_word,
        new_form,
    )
    out = with_new_trade_names(rng, out, np.flatnonzero(kind == 3))
    return out, kind == 1


def _in_window(rng: np.random.Generator, flag: np.ndarray, first: int, last: int) -> np.ndarray:
    """A day in (first, last] where `flag`, NEVER elsewhere: when an in-window change happens."""
    day = _between(rng, np.full(flag.size, first + 1), np.full(flag.size, last))
    return np.where(flag, day, NEVER)


def _rename_days(
    rng: np.random.Generator,
    is_new: np.ndarray,
    age_years: np.ndarray,
    established: np.ndarray,
    first: int,
    last: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(r1, r2): days of a first and second rename (NEVER if none); some during the window."""
    n = is_new.size
    renamed = (~is_new) & (age_years > 2.0) & (rng.random(n) < HISTORIC_RENAME_SHARE)
    twice = renamed & (age_years > 5.0) & (rng.random(n) < SECOND_RENAME_SHARE)
    in_window = (~is_new) & (rng.random(n) < WINDOW_RENAME_SHARE)
    if n >= 50 and not in_window.any():
        in_window[np.flatnonzero(~is_new)[0]] = True
    in_window &= ~twice
    hist_hi = np.full(n, first - 30)
    mid = np.where(twice, established + (hist_hi - established) // 2, hist_hi)
    r1 = np.where(renamed, _between(rng, established + 365, mid), NEVER)
    r2 = np.where(twice, _between(rng, r1 + 365, hist_hi), NEVER)
    window = _in_window(rng, in_window, first, last)
    return np.where(in_window & ~renamed, window, r1), np.where(in_window & renamed, window, r2)


def _name_versions(
    rng: np.random.Generator, parts0: pl.DataFrame, places: pl.DataFrame, versions: np.ndarray
) -> tuple[dict[str, Any], pl.DataFrame, pl.DataFrame]:
    """Name and legal form columns of every version, the current name parts, the parts of
    every name used."""
    n = parts0.height
    has1, has2 = np.flatnonzero(versions >= 2), np.flatnonzero(versions >= 3)
    names0 = assemble(parts0)
    parts1, reform1 = _rename(rng, parts0[has1], places[has1])
    parts1 = unique_names(rng, parts1, names0)
    names1 = assemble(parts1)
    in1 = np.searchsorted(has1, has2)  # rows of parts1 that are renamed again
    parts2, reform2 = _rename(rng, parts1[in1], places[has2])
    parts2 = unique_names(rng, parts2, pl.concat([names0, names1]))
    names2 = assemble(parts2)
    latest = np.arange(n)
    latest[has1] = n + np.arange(has1.size)
    latest[has2] = n + has1.size + np.arange(has2.size)
    current = pl.concat([parts0, parts1, parts2])[latest]

    legal0 = legal_forms(rng, parts0["form_idx"].to_numpy())
    legal1, legal2 = legal0.copy(), legal0.copy()
    legal1[has1] = np.where(reform1, legal_forms(rng, parts1["form_idx"].to_numpy()), legal0[has1])
    legal2[has1] = legal1[has1]
    legal2[has2] = np.where(reform2, legal_forms(rng, parts2["form_idx"].to_numpy()), legal1[has2])
    columns = {
        "name0": names0,
        "name1": _spread(names1, has1, n),
        "name2": _spread(names2, has2, n),
        "legal0": legal0,
        "legal1": legal1,
        "legal2": legal2,
    }
    return columns, current, pl.concat([parts0, parts1, parts2])


def _economics(
    rng: np.random.Generator, industry: np.ndarray, size: np.ndarray, capital_factor: np.ndarray
) -> dict[str, np.ndarray]:
    """Latent revenue scale (万元) and the registered capital and insured staff that follow it."""
    n = size.size
    base_revenue = np.array([ind.revenue for ind in INDUSTRIES])[industry]
    log_revenue = np.log(base_revenue) - 0.3 + 1.3 * size + 0.5 * rng.standard_normal(n)
    capital0 = _two_significant(np.exp(log_revenue - 1.8 + 0.8 * rng.standard_normal(n)))
    capital_null = rng.random(n) < 0.03
    productivity = rng.lognormal(np.log(90.0), 0.5, n)  # revenue per employee, 万元
    return {
        "log_revenue": log_revenue,
        "capital0": np.where(capital_null, np.nan, capital0),
        "capital1": np.where(capital_null, np.nan, _two_significant(capital0 * capital_factor)),
        # Insured staff on the end date of an open firm (closed firms have none).
        "staff_end": np.maximum(np.round(np.exp(log_revenue) / productivity), 1).astype(np.int64),
        "staff_null": rng.random(n) < 0.08,
        "srdi_null": rng.random(n) < 0.04,
    }


def build_firms(
    rng: np.random.Generator,
    enterprises: int,
    events_rng: np.random.Generator,
    evidence_rng: np.random.Generator | None = None,
    evidence_noise: float = 1.0,
) -> Firms:
    """The registry universe: `enterprises` firms, a few of them founded during the window.

    `rng` draws who the firms are (places, industries, names); `events_rng`
    their timeline, so the same firms get the same names whatever the events;
    `evidence_rng` the evidence channels (`capability.EVIDENCE`, `ev_<channel>`
    columns) their patents and R&D filings are drawn on. The HNTE and SRDI
    columns (hnte_1 .. hnte_5, provincial_day, national_day) come later, from
    `certification.certify`, once those records exist.
    """
    counties = county_table()
    snaps = WINDOW_SNAPSHOT_DAYS
    first, last = int(snaps[0]), int(snaps[-1])
    n = enterprises
    n_new = max(2, round(n * NEW_FIRM_SHARE)) if n >= 20 else 0
    is_new = np.zeros(n, dtype=bool)
    is_new[n - n_new :] = True

    places = counties[rng.choice(counties.height, size=n, p=counties["weight"].to_numpy())]
    has_prefecture = places["prefecture_name"].is_not_null().to_numpy()
    # Most firms register with their county, some with the city (region code 330400).
    county_level = (rng.random(n) < 0.85) | ~has_prefecture | places["municipality"].to_numpy()
    region_code = np.where(
        county_level,
        places["county_code"].to_numpy().astype(str),
        places["prefecture_code"].to_numpy().astype(str),
    )

    weights = np.array([ind.weight for ind in INDUSTRIES])
    industry = rng.choice(len(INDUSTRIES), size=n, p=weights / weights.sum())
    tech = np.array([ind.tech for ind in INDUSTRIES])[industry]
    size = rng.standard_normal(n)
    innov = 0.4 * size + 0.9 * rng.standard_normal(n) + np.where(tech, 0.3, -0.6)

    age_years = 0.2 + rng.gamma(1.3, 6.5, n).clip(max=44.0)
    established = first - (age_years * 365.25).astype(np.int64)
    # Firms founded during the window first appear in one of the later snapshots.
    new_day = _between(rng, np.full(n, first + 1), snaps[rng.integers(1, len(snaps), n)])
    established = np.where(is_new, new_day, established)

    parts0 = unique_names(rng, new_names(rng, places, county_level, industry, size))
    r1, r2 = _rename_days(rng, is_new, age_years, established, first, last)
    versions = 1 + (r1 < NEVER).astype(np.int64) + (r2 < NEVER).astype(np.int64)
    name_columns, current, used = _name_versions(rng, parts0, places, versions)

    capability = standardized(innov)
    evidence = channels(
        evidence_rng if evidence_rng is not None else events_rng,
        capability,
        EVIDENCE,
        evidence_noise,
    )
    timeline = build_timeline(events_rng, capability, established, is_new, age_years)
    economics = _economics(rng, industry, size, timeline.pop("capital_factor"))
    english_p = 0.15 + 0.5 * (innov > 1.2) + 0.2 * (size > 1.5)
    romanized = english_names(current)
    english = romanized.zip_with(
        pl.Series(rng.random(n) < english_p), pl.Series([None] * n, dtype=pl.String)
    )

    frame = pl.DataFrame(
        {
            "ent": np.arange(n, dtype=np.int64),
            "credit_code": credit_codes(np.arange(n), region_code, established >= NEW_STYLE_FROM),
            "region_code": region_code,
            "prefecture_code": places["prefecture_code"],
            "province_short": places["province_short"],
            "prefecture_short": places["prefecture_short"],
            "industry": industry.astype(np.int64),
            "industry_code": masked(
                "industry_code",
                np.array([ind.code for ind in INDUSTRIES])[industry],
                rng.random(n) < 0.01,
                pl.String(),
            ),
            "tech": tech,
            "size": size,
            "innov": innov,
            "capability": capability,
            "is_new": is_new,
            "established": established,
            "r1": r1,
            "r2": r2,
            **name_columns,
            **timeline,
            **economics,
            "english_name": english,
            "romanized": romanized,
            "address": addresses(rng, places),
            "legal_representative": person_names(rng, n),
        },
        strict=False,
    ).with_columns(pl.col("capital0", "capital1").fill_nan(None))
    frame = pl.concat(
        [frame, current.select(pl.all().name.prefix("cur_"))], how="horizontal"
    ).with_columns(
        assemble(current).alias("name"),
        *(pl.Series(f"ev_{name}", values) for name, values in evidence.items()),
    )
    return Firms(frame=frame, names_taken=assemble(used), keys_taken=registration_keys(used))


def _spread(values: pl.Series, rows: np.ndarray, n: int) -> pl.Series:
    """A length-n column holding `values` at `rows`, null elsewhere."""
    return pl.Series([None], dtype=pl.String).extend_constant(None, n - 1).scatter(rows, values)


def name_at(day: pl.Expr) -> pl.Expr:
    """The registered name on `day` (a column of the frame or a literal day number)."""
    return (
        pl.when(day >= pl.col("r2"))
        .then(pl.col("name2"))
        .when(day >= pl.col("r1"))
        .then(pl.col("name1"))
        .otherwise(pl.col("name0"))
    )


def hnte_until(day: pl.Expr) -> pl.Expr:
    """Expiry of the latest HNTE certificate issued on or before `day` (null: none yet)."""
    latest = pl.max_horizontal([pl.when(pl.col(c) <= day).then(pl.col(c)) for c in HNTE_COLUMNS])
    return latest + HNTE_VALID_DAYS


def srdi_at(day: pl.Expr) -> pl.Expr:
    return (
        pl.when(day >= pl.col("national_day"))
        .then(pl.lit("national"))
        .when(day >= pl.col("provincial_day"))
        .then(pl.lit("provincial"))
        .otherwise(pl.lit("none"))
    )


def _staff_updates_after(day: pl.Expr) -> pl.Expr:
    """How many yearly staff updates fall in (day, end date]."""
    return (
        pl.when(day >= pl.col("staff_day"))
        .then(pl.lit(0))
        .otherwise((pl.col("staff_day") - day - 1) // 365 + 1)
    )


def registry_rows(firms: pl.DataFrame, snapshot_day: int) -> pl.DataFrame:
    """Registry records of `firms` as the extract of `snapshot_day` shows them."""
    d = pl.lit(snapshot_day)
    open_ = d < pl.col("closed_day")
    former = pl.concat_list(
        [
            pl.when(d >= pl.col("r1")).then(pl.col("name0")),
            pl.when(d >= pl.col("r2")).then(pl.col("name1")),
        ]
    ).list.drop_nulls()
    legal = (
        pl.when(d >= pl.col("r2"))
        .then(pl.col("legal2"))
        .when(d >= pl.col("r1"))
        .then(pl.col("legal1"))
        .otherwise(pl.col("legal0"))
    )
    status = (
        pl.when(~open_)
        .then(pl.col("closed_status"))
        .when(d >= pl.col("flip_day"))
        .then(pl.col("flip_status"))
        .otherwise(pl.col("base_status"))
    )
    staff = (
        (pl.col("staff_end") * (-0.5 * pl.col("growth") * _staff_updates_after(d)).exp())
        .round()
        .clip(lower_bound=1)
        .cast(pl.Int64)
    )
    return firms.select(
        "credit_code",
        name_at(d).alias("name"),
        pl.when(former.list.len() > 0).then(former).alias("former_names"),
        "english_name",
        legal.alias("legal_form"),
        pl.col("established").cast(pl.Int32).cast(pl.Date).alias("established_date"),
        status.alias("status"),
        pl.when(d >= pl.col("capital_day"))
        .then(pl.col("capital1"))
        .otherwise(pl.col("capital0"))
        .alias("registered_capital"),
        "industry_code",
        "region_code",
        "address",
        "legal_representative",
        pl.when(~pl.col("staff_null"))
        .then(pl.when(open_).then(staff).otherwise(pl.lit(0, dtype=pl.Int64)))
        .alias("insured_staff"),
        pl.when(open_).then(hnte_until(d)).cast(pl.Int32).cast(pl.Date).alias("hnte_valid_until"),
        pl.when(~pl.col("srdi_null"))
        .then(pl.when(open_).then(srdi_at(d)).otherwise(pl.lit("none")))
        .alias("srdi_level"),
        d.cast(pl.Int32).cast(pl.Date).alias("snapshot_date"),
    )


def snapshot_members(frame: pl.DataFrame, previous: int | None, day: int) -> pl.DataFrame:
    """Firms in the registry extract of `day`.

    A full snapshot (`previous` None) holds every firm established by then; a
    change extract the firms founded or changed after the `previous` extract.
    """
    if previous is None:
        return frame.filter(pl.col("established") <= day)
    lo, hi = previous, day
    changed = [(pl.col(c) > lo) & (pl.col(c) <= hi) for c in EVENT_COLUMNS]
    # The latest yearly staff update on or before `hi`.
    back = (-((hi - pl.col("staff_day")) // 365)).clip(lower_bound=0)
    update = pl.col("staff_day") - 365 * back
    changed.append((update > lo) & (update <= hi) & (pl.col("closed_day") > lo))
    return frame.filter(pl.any_horizontal(changed) & (pl.col("established") <= hi))
