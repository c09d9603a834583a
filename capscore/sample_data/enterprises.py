"""The registry's enterprises over time: attributes, renames, status changes, new firms.

One row per enterprise in `Firms.frame`, with what each snapshot needs to
know the firm's state on its snapshot_date (up to three name versions with the
days they took effect, and the day of each in-window change). Registry rows
for any snapshot are derived from it by `registry_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from capscore.sample_data.calendar import day_number, source_days
from capscore.sample_data.codes import credit_codes
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import (
    GUFEN,
    assemble,
    english_names,
    legal_forms,
    new_names,
    other_industry_word,
    parts_frame,
    unique_names,
    with_new_trade_names,
)
from capscore.sample_data.people import person_names
from capscore.sample_data.regions import county_table
from capscore.sample_data.series import masked
from capscore.sample_data.vocab import ROAD_SUFFIXES, TRADE_CHARS

NEVER = 10**6  # a day number far after every date used here
NEW_STYLE_FROM = day_number(date(2015, 10, 1))
CLOSED = ("迁出", "停业", "吊销", "注销")
_INITIAL_STATUS = np.array(["存续", "在业", "迁入", "迁出", "停业", "吊销", "注销"])
_INITIAL_STATUS_P = np.array([0.72, 0.12, 0.02, 0.01, 0.01, 0.05, 0.07])
# Share of enterprises that first appear in a later snapshot (founded during the window).
NEW_FIRM_SHARE = 0.005
HISTORIC_RENAME_SHARE = 0.07
SECOND_RENAME_SHARE = 0.15
WINDOW_RENAME_SHARE = 0.004
WINDOW_CLOSE_SHARE = 0.002
WINDOW_CAPITAL_SHARE = 0.003
WINDOW_STAFF_SHARE = 0.01
WINDOW_SRDI_SHARE = 0.003
HNTE_RENEW_SHARE = 0.25

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
    snapshot_days: np.ndarray  # snapshot_date of each registry drop, ascending
    names_taken: pl.Series  # every registered name, current or former


def snapshot_days() -> np.ndarray:
    """Each registry drop is the extract of the day before it lands."""
    return source_days("registry") - 1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _two_significant(x: np.ndarray) -> np.ndarray:
    unit = 10.0 ** np.maximum(np.floor(np.log10(np.maximum(x, 1.0))) - 1, 0)
    return np.maximum(np.round(x / unit) * unit, 1.0)


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform day in [lo, hi] (lo when the range is empty)."""
    span = np.maximum(hi - lo, 0)
    return lo + (rng.random(lo.size) * (span + 1)).astype(np.int64)


def addresses(rng: np.random.Generator, places: pl.DataFrame) -> np.ndarray:
    chars = np.array([c for c, _ in TRADE_CHARS])
    n = places.height
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
    city = np.where(
        places["municipality"].to_numpy() | places["prefecture_name"].is_null().to_numpy(),
        "",
        places["prefecture_name"].fill_null("").to_numpy().astype(str),
    )
    head = np.char.add(
        np.char.add(places["province_name"].to_numpy().astype(str), city),
        places["county_name"].to_numpy().astype(str),
    )
    return np.char.add(np.char.add(np.char.add(head, road), number), unit)


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
) -> tuple[dict[str, Any], pl.DataFrame, pl.Series]:
    """Name and legal form columns of every version, the current name parts, all names used."""
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
    return columns, current, pl.concat([names0, names1, names2])


def _statuses(
    rng: np.random.Generator,
    is_new: np.ndarray,
    age_years: np.ndarray,
    established: np.ndarray,
    first: int,
    last: int,
) -> dict[str, np.ndarray]:
    """Status on the first snapshot, a few changes during the window, and when a firm closed."""
    n = is_new.size
    status0 = rng.choice(_INITIAL_STATUS, size=n, p=_INITIAL_STATUS_P)
    status0 = np.where(is_new | (age_years < 1.0), "存续", status0)
    closed0 = np.isin(status0, CLOSED)
    closed_day = np.where(closed0, _between(rng, established + 200, np.full(n, first - 1)), NEVER)
    closing = (~closed0) & (~is_new) & (rng.random(n) < WINDOW_CLOSE_SHARE)
    flip = (~closing) & (~closed0) & (rng.random(n) < 0.002)
    status_day = np.minimum(
        _in_window(rng, closing, first, last), _in_window(rng, flip, first, last)
    )
    closed_to = rng.choice(np.array(["注销", "吊销", "迁出"]), n, p=[0.6, 0.2, 0.2])
    flipped = np.where(status0 == "在业", "存续", "在业")
    return {
        "status0": status0,
        "status1": np.where(closing, closed_to, np.where(flip, flipped, status0)),
        "status_day": status_day,
        "closed_day": np.where(closing, status_day, closed_day),
    }


def _economics(
    rng: np.random.Generator,
    industry: np.ndarray,
    size: np.ndarray,
    closed: np.ndarray,
    is_new: np.ndarray,
    first: int,
    last: int,
) -> dict[str, np.ndarray]:
    """Latent revenue scale (万元) and the registered capital and insured staff that follow it."""
    n = size.size
    base_revenue = np.array([ind.revenue for ind in INDUSTRIES])[industry]
    log_revenue = np.log(base_revenue) - 0.3 + 1.3 * size + 0.5 * rng.standard_normal(n)
    capital0 = _two_significant(np.exp(log_revenue - 1.8 + 0.8 * rng.standard_normal(n)))
    capital_null = rng.random(n) < 0.03
    productivity = rng.lognormal(np.log(90.0), 0.5, n)  # revenue per employee, 万元
    staff0 = np.maximum(np.round(np.exp(log_revenue) / productivity), 1)
    staff0 = np.where(closed, 0, staff0).astype(np.int64)
    return {
        "log_revenue": log_revenue,
        "capital0": np.where(capital_null, np.nan, capital0),
        "capital1": np.where(
            capital_null, np.nan, _two_significant(capital0 * rng.uniform(1.5, 4.0, n))
        ),
        "capital_day": _in_window(
            rng, ~is_new & (rng.random(n) < WINDOW_CAPITAL_SHARE), first, last
        ),
        "staff0": staff0,
        "staff1": np.maximum(np.round(staff0 * rng.uniform(0.8, 1.3, n)), 0).astype(np.int64),
        "staff_day": _in_window(rng, ~is_new & (rng.random(n) < WINDOW_STAFF_SHARE), first, last),
        "staff_null": rng.random(n) < 0.08,
    }


def _certificates(
    rng: np.random.Generator,
    innov: np.ndarray,
    size: np.ndarray,
    tech: np.ndarray,
    active: np.ndarray,
    first: int,
    last: int,
) -> dict[str, np.ndarray]:
    """HNTE certificates (3 years, issued late in the year, some renewed now) and SRDI levels."""
    n = innov.size
    p_hnte = _sigmoid(-2.6 + 1.1 * innov + 0.4 * size) * np.where(tech, 1.0, 0.2)
    hnte = active & (rng.random(n) < p_hnte)
    issue_day = _year_day(rng.integers(2020, 2026, n), rng.integers(320, 355, n))
    hnte0 = np.where(hnte, issue_day + 3 * 365, NEVER)
    renew = hnte & (hnte0 < first + 60) & (rng.random(n) < HNTE_RENEW_SHARE)
    hnte_day = _in_window(rng, renew, first, last)

    p_national = _sigmoid(-6.0 + 1.2 * innov + 0.8 * size) * tech
    p_provincial = _sigmoid(-3.3 + 1.0 * innov + 0.5 * size) * tech
    u = rng.random(n)
    srdi0 = np.where(
        active & (u < p_national),
        "national",
        np.where(active & (u < p_national + p_provincial), "provincial", "none"),
    )
    upgrade = active & (srdi0 == "none") & (rng.random(n) < WINDOW_SRDI_SHARE)
    return {
        "hnte0": hnte0,
        "hnte1": np.where(renew, hnte_day + 3 * 365, hnte0),
        "hnte_day": hnte_day,
        "srdi0": srdi0,
        "srdi1": np.where(upgrade, "provincial", srdi0),
        "srdi_day": _in_window(rng, upgrade, first, last),
        "srdi_null": rng.random(n) < 0.04,
    }


def build_firms(rng: np.random.Generator, enterprises: int) -> Firms:
    """The registry universe: `enterprises` firms, a few of them founded during the window."""
    counties = county_table()
    snaps = snapshot_days()
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
    name_columns, current, taken = _name_versions(rng, parts0, places, versions)
    status = _statuses(rng, is_new, age_years, established, first, last)
    closed = np.isin(status["status0"], CLOSED)
    economics = _economics(rng, industry, size, closed, is_new, first, last)
    active = ~closed & ~is_new & (age_years > 1.0)
    certificates = _certificates(rng, innov, size, tech, active, first, last)
    english_p = 0.15 + 0.5 * (innov > 1.2) + 0.2 * (size > 1.5)
    english = english_names(current).zip_with(
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
            "size": size,
            "innov": innov,
            "is_new": is_new,
            "established": established,
            "r1": r1,
            "r2": r2,
            **name_columns,
            **status,
            **economics,
            **certificates,
            "english_name": english,
            "address": addresses(rng, places),
            "legal_representative": person_names(rng, n),
        },
        strict=False,
    ).with_columns(pl.col("capital0", "capital1").fill_nan(None))
    frame = pl.concat(
        [frame, current.select(pl.all().name.prefix("cur_"))], how="horizontal"
    ).with_columns(assemble(current).alias("name"))
    return Firms(frame=frame, snapshot_days=snaps, names_taken=taken)


def _spread(values: pl.Series, rows: np.ndarray, n: int) -> pl.Series:
    """A length-n column holding `values` at `rows`, null elsewhere."""
    return pl.Series([None], dtype=pl.String).extend_constant(None, n - 1).scatter(rows, values)


def _year_day(year: np.ndarray, day_of_year: np.ndarray) -> np.ndarray:
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return start + day_of_year


def name_at(day: pl.Expr) -> pl.Expr:
    """The registered name on `day` (a column of the frame or a literal day number)."""
    return (
        pl.when(day >= pl.col("r2"))
        .then(pl.col("name2"))
        .when(day >= pl.col("r1"))
        .then(pl.col("name1"))
        .otherwise(pl.col("name0"))
    )


def registry_rows(firms: pl.DataFrame, snapshot_day: int) -> pl.DataFrame:
    """Registry records of `firms` as the extract of `snapshot_day` shows them."""
    d = pl.lit(snapshot_day)
    former = pl.concat_list(
        [
            pl.when(d >= pl.col("r1")).then(pl.col("name0")),
            pl.when(d >= pl.col("r2")).then(pl.col("name1")),
        ]
    ).list.drop_nulls()
    after = {
        "status": ("status0", "status1", "status_day"),
        "registered_capital": ("capital0", "capital1", "capital_day"),
        "insured_staff": ("staff0", "staff1", "staff_day"),
        "hnte_until": ("hnte0", "hnte1", "hnte_day"),
        "srdi_level": ("srdi0", "srdi1", "srdi_day"),
    }
    changed = {
        col: pl.when(d >= pl.col(day)).then(pl.col(new)).otherwise(pl.col(old)).alias(col)
        for col, (old, new, day) in after.items()
    }
    legal = (
        pl.when(d >= pl.col("r2"))
        .then(pl.col("legal2"))
        .when(d >= pl.col("r1"))
        .then(pl.col("legal1"))
        .otherwise(pl.col("legal0"))
    )
    out = firms.select(
        "credit_code",
        name_at(d).alias("name"),
        pl.when(former.list.len() > 0).then(former).alias("former_names"),
        "english_name",
        legal.alias("legal_form"),
        pl.col("established").cast(pl.Int32).cast(pl.Date).alias("established_date"),
        *changed.values(),
        "industry_code",
        "region_code",
        "address",
        "legal_representative",
        "staff_null",
        "srdi_null",
        pl.lit(snapshot_day).cast(pl.Int32).cast(pl.Date).alias("snapshot_date"),
    )
    return out.select(
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
        pl.when(~pl.col("staff_null")).then(pl.col("insured_staff")).alias("insured_staff"),
        pl.when(pl.col("hnte_until") < NEVER)
        .then(pl.col("hnte_until"))
        .cast(pl.Int32)
        .cast(pl.Date)
        .alias("hnte_valid_until"),
        pl.when(~pl.col("srdi_null")).then(pl.col("srdi_level")).alias("srdi_level"),
        "snapshot_date",
    )


def snapshot_members(frame: pl.DataFrame, snaps: np.ndarray, k: int) -> pl.DataFrame:
    """Firms in registry drop k: all existing firms first, then those that changed or were founded."""
    if k == 0:
        return frame.filter(pl.col("established") <= int(snaps[0]))
    lo, hi = int(snaps[k - 1]), int(snaps[k])
    event_cols = (
        "established",
        "r1",
        "r2",
        "status_day",
        "capital_day",
        "staff_day",
        "hnte_day",
        "srdi_day",
    )
    changed = pl.any_horizontal([(pl.col(c) > lo) & (pl.col(c) <= hi) for c in event_cols])
    return frame.filter(changed)
