"""The registry's enterprises over time: attributes, renames, status changes, new firms.

One row per enterprise in `Firms.frame`, with what each snapshot needs to
know the firm's state on its snapshot_date (up to three name versions with the
days they took effect, and the day of each in-window change). Registry rows
for any snapshot are derived from it by `registry_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from sample_data.calendar import day_number, source_days
from sample_data.codes import credit_codes
from sample_data.industries import INDUSTRIES
from sample_data.names import (
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
from sample_data.people import person_names
from sample_data.regions import county_table
from sample_data.series import masked
from sample_data.vocab import ROAD_SUFFIXES, TRADE_CHARS

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


def build_firms(rng: np.random.Generator, enterprises: int) -> Firms:
    """The registry universe: `enterprises` firms, a few of them founded during the window."""
    counties = county_table()
    snaps = snapshot_days()
    first_snap, last_snap = int(snaps[0]), int(snaps[-1])
    n = enterprises
    n_new = max(2, round(n * NEW_FIRM_SHARE)) if n >= 20 else 0
    is_new = np.zeros(n, dtype=bool)
    is_new[n - n_new :] = True

    place_idx = rng.choice(counties.height, size=n, p=counties["weight"].to_numpy())
    places = counties[place_idx]
    has_prefecture = places["prefecture_name"].is_not_null().to_numpy()
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
    established = first_snap - (age_years * 365.25).astype(np.int64)
    established = np.where(
        is_new,
        _between(
            rng,
            np.full(n, first_snap + 1),
            snaps[np.minimum(1 + rng.integers(0, len(snaps) - 1, n), len(snaps) - 1)],
        ),
        established,
    )
    new_style = established >= NEW_STYLE_FROM
    credit_code = credit_codes(np.arange(n), region_code, new_style)

    # Names: original version, then up to two renames.
    parts0 = unique_names(rng, new_names(rng, places, county_level, industry, size))
    renamed = (~is_new) & (age_years > 2.0) & (rng.random(n) < HISTORIC_RENAME_SHARE)
    twice = renamed & (age_years > 5.0) & (rng.random(n) < SECOND_RENAME_SHARE)
    in_window = (~is_new) & (rng.random(n) < WINDOW_RENAME_SHARE)
    if n >= 50 and not in_window.any():
        in_window[np.flatnonzero(~is_new)[0]] = True
    in_window &= ~twice
    r1 = np.full(n, NEVER, dtype=np.int64)
    r2 = np.full(n, NEVER, dtype=np.int64)
    hist_hi = np.full(n, first_snap - 30)
    r1_hist = _between(
        rng, established + 365, np.where(twice, established + (hist_hi - established) // 2, hist_hi)
    )
    r1 = np.where(renamed, r1_hist, r1)
    r2 = np.where(twice, _between(rng, r1 + 365, hist_hi), r2)
    window_day = _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap))
    r1 = np.where(in_window & ~renamed, window_day, r1)
    r2 = np.where(in_window & renamed, window_day, r2)
    versions = 1 + (r1 < NEVER).astype(np.int64) + (r2 < NEVER).astype(np.int64)

    names0 = assemble(parts0)
    parts1, reform1 = _rename(rng, parts0, places)
    parts1 = unique_names(rng, parts1, set(names0.to_list()))
    names1 = assemble(parts1)
    parts2, reform2 = _rename(rng, parts1, places)
    parts2 = unique_names(rng, parts2, set(names0.to_list()) | set(names1.to_list()))
    names2 = assemble(parts2)
    # Version 1 and 2 parts exist for every firm; only `versions` of them are real.
    current = pl.concat([parts0, parts1, parts2]).with_row_index("_r")
    pick = np.arange(n) + n * (versions - 1)
    current_parts = current[pick].drop("_r")

    form0 = parts0["form_idx"].to_numpy()
    legal0 = legal_forms(rng, form0)
    legal1 = np.where(reform1, legal_forms(rng, parts1["form_idx"].to_numpy()), legal0)
    legal2 = np.where(reform2, legal_forms(rng, parts2["form_idx"].to_numpy()), legal1)

    # Status on the first snapshot and changes during the window.
    status0 = rng.choice(_INITIAL_STATUS, size=n, p=_INITIAL_STATUS_P)
    status0 = np.where(is_new | (age_years < 1.0), "存续", status0)
    closed0 = np.isin(status0, CLOSED)
    closed_day = np.where(
        closed0, _between(rng, established + 200, np.full(n, first_snap - 1)), NEVER
    )
    status_day = np.full(n, NEVER, dtype=np.int64)
    closing = (~closed0) & (~is_new) & (rng.random(n) < WINDOW_CLOSE_SHARE)
    status_day = np.where(
        closing, _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)), status_day
    )
    status1 = np.where(
        closing, rng.choice(np.array(["注销", "吊销", "迁出"]), n, p=[0.6, 0.2, 0.2]), status0
    )
    flip = (~closing) & (~closed0) & (rng.random(n) < 0.002)
    status_day = np.where(
        flip, _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)), status_day
    )
    status1 = np.where(flip, np.where(status0 == "在业", "存续", "在业"), status1)
    closed_day = np.where(closing, status_day, closed_day)

    # Latent revenue scale (万元) that capital, staff and the R&D filings all follow.
    base_revenue = np.array([ind.revenue for ind in INDUSTRIES])[industry]
    log_revenue = np.log(base_revenue) - 0.3 + 1.3 * size + 0.5 * rng.standard_normal(n)
    capital0 = _two_significant(np.exp(log_revenue - 1.8 + 0.8 * rng.standard_normal(n)))
    capital_day = np.where(
        (~is_new) & (rng.random(n) < WINDOW_CAPITAL_SHARE),
        _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)),
        NEVER,
    )
    capital1 = _two_significant(capital0 * rng.uniform(1.5, 4.0, n))
    capital_null = rng.random(n) < 0.03

    productivity = rng.lognormal(np.log(90.0), 0.5, n)  # revenue per employee, 万元
    staff0 = np.maximum(np.round(np.exp(log_revenue) / productivity), 1)
    staff0 = np.where(np.isin(status0, CLOSED), 0, staff0).astype(np.int64)
    staff_day = np.where(
        (~is_new) & (rng.random(n) < WINDOW_STAFF_SHARE),
        _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)),
        NEVER,
    )
    staff1 = np.maximum(np.round(staff0 * rng.uniform(0.8, 1.3, n)), 0).astype(np.int64)
    staff_null = rng.random(n) < 0.08

    active_firm = ~np.isin(status0, CLOSED) & ~is_new & (age_years > 1.0)
    p_hnte = _sigmoid(-2.6 + 1.1 * innov + 0.4 * size) * np.where(tech, 1.0, 0.2)
    hnte = active_firm & (rng.random(n) < p_hnte)
    issue_year = rng.integers(2020, 2026, n)
    issue_day = _year_day(issue_year, rng.integers(320, 355, n))
    hnte0 = np.where(hnte, issue_day + 3 * 365, NEVER)
    expiring = hnte & (hnte0 < first_snap + 60)
    renew = expiring & (rng.random(n) < HNTE_RENEW_SHARE)
    hnte_day = np.where(
        renew, _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)), NEVER
    )
    hnte1 = np.where(renew, hnte_day + 3 * 365, hnte0)

    p_national = _sigmoid(-6.0 + 1.2 * innov + 0.8 * size) * tech
    p_provincial = _sigmoid(-3.3 + 1.0 * innov + 0.5 * size) * tech
    u = rng.random(n)
    srdi0 = np.where(
        active_firm & (u < p_national),
        "national",
        np.where(active_firm & (u < p_national + p_provincial), "provincial", "none"),
    )
    srdi_day = np.where(
        active_firm & (srdi0 == "none") & (rng.random(n) < WINDOW_SRDI_SHARE),
        _between(rng, np.full(n, first_snap + 1), np.full(n, last_snap)),
        NEVER,
    )
    srdi1 = np.where(srdi_day < NEVER, "provincial", srdi0)
    srdi_null = rng.random(n) < 0.04

    english_p = 0.15 + 0.5 * (innov > 1.2) + 0.2 * (size > 1.5)
    english = english_names(current_parts).zip_with(
        pl.Series(rng.random(n) < english_p), pl.Series([None] * n, dtype=pl.String)
    )

    frame = pl.DataFrame(
        {
            "ent": np.arange(n, dtype=np.int64),
            "credit_code": credit_code,
            "region_code": region_code,
            "county_code": places["county_code"].to_numpy(),
            "prefecture_code": places["prefecture_code"].to_numpy(),
            "province_code": places["province_code"].to_numpy(),
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
            "log_revenue": log_revenue,
            "innov": innov,
            "is_new": is_new,
            "established": established,
            "name0": names0,
            "name1": names1,
            "name2": names2,
            "r1": r1,
            "r2": r2,
            "versions": versions,
            "legal0": legal0,
            "legal1": legal1,
            "legal2": legal2,
            "status0": status0,
            "status1": status1,
            "status_day": status_day,
            "closed_day": closed_day,
            "capital0": np.where(capital_null, np.nan, capital0),
            "capital1": np.where(capital_null, np.nan, capital1),
            "capital_day": capital_day,
            "staff0": staff0,
            "staff1": staff1,
            "staff_day": staff_day,
            "staff_null": staff_null,
            "hnte0": hnte0,
            "hnte1": hnte1,
            "hnte_day": hnte_day,
            "srdi0": srdi0,
            "srdi1": srdi1,
            "srdi_day": srdi_day,
            "srdi_null": srdi_null,
            "english_name": english,
            "address": addresses(rng, places),
            "legal_representative": person_names(rng, n),
        },
        strict=False,
    ).with_columns(
        pl.col("capital0").fill_nan(None),
        pl.col("capital1").fill_nan(None),
    )
    frame = pl.concat(
        [frame, current_parts.select(pl.all().name.prefix("cur_"))], how="horizontal"
    ).with_columns(assemble(current_parts).alias("name"))
    taken = pl.concat(
        [names0, names1.filter(pl.Series(versions >= 2)), names2.filter(pl.Series(versions >= 3))]
    ).unique(maintain_order=True)
    return Firms(frame=frame, snapshot_days=snaps, names_taken=taken)


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
        pl.when(pl.col("hnte_until") < 10**5)
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
