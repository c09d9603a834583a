"""Patent applications: filing, publication, examination, lapse, citations, applicants.

Every patent carries its whole life (publication, decision, lapse and expiry
days), so its record as of any landing day follows from the dates
(`state_on`). The backlog drop shows each patent published before it as of
that day; later drops bring new publications and re-drops of applications
whose status changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
import pyarrow as pa

from capscore.sample_data.calendar import (
    END_DAY,
    day_number,
    landing_index,
    next_announcement_day,
    source_days,
    years_of,
)
from capscore.sample_data.codes import application_numbers, old_application_numbers
from capscore.sample_data.enterprises import NEVER, Firms
from capscore.sample_data.industries import INDUSTRIES
from capscore.sample_data.names import pick_rows
from capscore.sample_data.noise import PATENT_ENGLISH_SHARE, PATENT_NOISE, mention_names
from capscore.sample_data.owners import PATENT_CHANNELS, Owners
from capscore.sample_data.people import person_names
from capscore.sample_data.series import masked

INVENTION, UTILITY, DESIGN = 0, 1, 2
TYPE_NAMES = np.array(["invention", "utility_model", "design"])
TWELVE_DIGIT_FROM = day_number(date(2003, 10, 1))
DESIGN_15Y_FROM = day_number(date(2021, 6, 1))
# Serial bands: generated patents, then cited documents outside the extract
# (cited but never delivered), then numbers reserved for injected bad rows.
EXTERNAL_SERIAL = 8_000_000
RESERVED_SERIAL = 9_000_000
# Sort keys (group, day) are group * _DAY_SPAN + day: every day number is below it.
_DAY_SPAN = NEVER + 1
# Citations go to art published in the years before the filing.
PRIOR_ART_DAYS = 10 * 365

_KIND_TYPE_MIX = {
    "university": (0.80, 0.19, 0.01),
    "institute": (0.75, 0.24, 0.01),
    "individual": (0.20, 0.50, 0.30),
    "foreign": (0.90, 0.04, 0.06),
}
_SUBGROUPS = pl.Series(
    [
        "00",
        "02",
        "04",
        "06",
        "08",
        "10",
        "12",
        "14",
        "16",
        "18",
        "20",
        "22",
        "24",
        "26",
        "28",
        "30",
        "32",
        "34",
        "36",
        "40",
        "44",
        "48",
        "015",
        "017",
        "021",
        "023",
        "025",
        "033",
        "037",
        "043",
    ]
)
_INV_SUFFIX = pl.Series(["", "", "", "及其制备方法", "及其控制方法", "及其应用"])
_MODEL_LETTERS = pl.Series(list("ABCDEFGHKMSTX"))


@dataclass(frozen=True)
class Patents:
    """`info`: one row per published patent (pid order) with its life and content.

    `mentions`: one row per (patent, applicant position) with the ground truth.
    `drops`: (pid, landing) pairs, landing = index into the patent landing days.
    """

    info: pl.DataFrame
    mentions: pl.DataFrame
    drops: pl.DataFrame


def _list_column(name: str, offsets: np.ndarray, values: pl.Series) -> pl.Series:
    """A List(String) column from flat values and list boundaries (64-bit: no size limit)."""
    arrow_values = values.rechunk().to_arrow().cast(pa.large_string())
    array = pa.LargeListArray.from_arrays(pa.array(offsets.astype(np.int64)), arrow_values)
    return pl.Series(name, pl.from_arrow(array), dtype=pl.List(pl.String))


def _first_per_list(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each (group, value), in their original order."""
    _, first = np.unique(
        group.astype(np.int64) * (int(value.max(initial=0)) + 1) + value, return_index=True
    )
    return np.sort(first)


def _offsets(group: np.ndarray, n: int) -> np.ndarray:
    """Offsets of a flat array sorted by `group` (ids 0..n-1) as list boundaries."""
    return np.concatenate([[0], np.cumsum(np.bincount(group, minlength=n))])


def _ipc_table() -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """(industry, subclass, subclass_id, group) rows; start and count of each industry's rows."""
    rows = [
        (i, sub, group)
        for i, ind in enumerate(INDUSTRIES)
        for sub, groups in ind.ipc
        for group in groups
    ]
    table = pl.DataFrame(rows, schema=["industry", "subclass", "group"], orient="row")
    table = table.with_columns(pl.col("subclass").rank("dense").cast(pl.Int64).alias("subclass_id"))
    counts = np.bincount(table["industry"].to_numpy(), minlength=len(INDUSTRIES))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return table, starts, counts


def _ipc_codes(
    rng: np.random.Generator, industry: np.ndarray, ptype: np.ndarray
) -> tuple[pl.Series, np.ndarray]:
    """IPC codes per patent (main first) and the main subclass id (-1: designs have none)."""
    table, starts, counts = _ipc_table()
    n = industry.size
    extra = np.where(
        ptype == INVENTION, rng.poisson(1.3, n), np.where(ptype == UTILITY, rng.poisson(0.6, n), 0)
    )
    k = np.where(ptype == DESIGN, 0, 1 + extra)
    owner = np.repeat(np.arange(n), k)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    is_main = np.zeros(owner.size, dtype=bool)
    is_main[first[k > 0]] = True
    ind = industry[owner]
    # Some secondary classes come from another field (what radicalness measures).
    cross = (~is_main) & (rng.random(owner.size) < 0.15)
    ind = np.where(cross, rng.integers(0, len(INDUSTRIES), owner.size), ind)
    pick = starts[ind] + np.minimum(
        (rng.random(owner.size) ** 1.7 * counts[ind]).astype(np.int64), counts[ind] - 1
    )
    subgroup = rng.integers(0, _SUBGROUPS.len(), owner.size)
    keep = _first_per_list(owner, pick * _SUBGROUPS.len() + subgroup)
    code = (
        table["subclass"].gather(pick[keep])
        + table["group"].gather(pick[keep])
        + "/"
        + _SUBGROUPS.gather(subgroup[keep])
    )
    codes = _list_column("ipc_codes", _offsets(owner[keep], n), code)
    main = np.full(n, -1, dtype=np.int64)
    main[owner[is_main]] = table["subclass_id"].to_numpy()[pick[is_main]]
    return masked("ipc_codes", codes, k == 0, pl.List(pl.String())), main


def _vocabulary(words: list[tuple[str, ...]]) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    flat = pl.Series([w for group in words for w in group], dtype=pl.String)
    count = np.array([len(group) for group in words])
    return flat, np.concatenate([[0], np.cumsum(count)[:-1]]), count


def _titles(rng: np.random.Generator, industry: np.ndarray, ptype: np.ndarray) -> pl.Series:
    nouns, n_start, n_count = _vocabulary([ind.nouns for ind in INDUSTRIES])
    mods, m_start, m_count = _vocabulary([ind.modifiers for ind in INDUSTRIES])
    mods = mods.append(pl.Series([""]))
    n = industry.size
    noun_idx = n_start[industry] + (rng.random(n) * n_count[industry]).astype(np.int64)
    mod_idx = m_start[industry] + (rng.random(n) * m_count[industry]).astype(np.int64)
    mod_idx = np.where(rng.random(n) < 0.75, mod_idx, mods.len() - 1)
    # "…方法及其制备方法" would be nonsense: method-like nouns take no suffix.
    method_like = nouns.str.contains("(方法|系统|工艺)$").to_numpy()[noun_idx]
    suffix_idx = np.where(
        method_like | (ptype != INVENTION), 0, rng.integers(0, _INV_SUFFIX.len(), n)
    )
    frame = pl.DataFrame(
        {
            "noun": nouns.gather(noun_idx),
            "mod": mods.gather(mod_idx),
            "suffix": _INV_SUFFIX.gather(suffix_idx),
            "model": _MODEL_LETTERS.gather(rng.integers(0, _MODEL_LETTERS.len(), n)),
            "model_no": rng.integers(1, 99, n),
            "design": ptype == DESIGN,
            "with_model": rng.random(n) < 0.6,
        }
    )
    design = (
        pl.when(pl.col("with_model"))
        .then(pl.format("{}（{}{}型）", "noun", "model", "model_no"))
        .otherwise(pl.col("noun"))
    )
    technical = pl.concat_str([pl.lit("一种"), "mod", "noun", "suffix"])
    return frame.select(
        pl.when(pl.col("design")).then(design).otherwise(technical).alias("title")
    ).to_series()


def _serials(
    rng: np.random.Generator, year: np.ndarray, digit: np.ndarray, day: np.ndarray, band: int
) -> np.ndarray:
    """Serial numbers unique within (year, type digit), increasing with the filing day."""
    order = np.lexsort((day, digit, year))
    key = year[order] * 10 + digit[order]
    start = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    size = np.diff(np.concatenate([start, [key.size]]))
    group = np.repeat(np.arange(start.size), size)
    rank = np.arange(key.size) - start[group]
    stride = np.maximum(band // np.maximum(size[group], 1), 1)
    serial = np.empty(key.size, dtype=np.int64)
    serial[order] = rank * stride + (rng.random(key.size) * stride).astype(np.int64)
    return serial


def number_for(
    year: np.ndarray, digit: np.ndarray, serial: np.ndarray, old: np.ndarray
) -> np.ndarray:
    out = np.empty(year.size, dtype="<U16")
    new_rows, old_rows = np.flatnonzero(~old), np.flatnonzero(old)
    out[new_rows] = application_numbers(year[new_rows], digit[new_rows], serial[new_rows])
    out[old_rows] = old_application_numbers(
        year[old_rows], digit[old_rows], serial[old_rows] % 100_000
    )
    return out


def _sample_prefix(
    rng: np.random.Generator,
    cum: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    weighted: bool,
) -> np.ndarray:
    """Index in [lo, hi) of sorted candidates, weighted by attractiveness (or uniform); -1 if empty."""
    empty = hi <= lo
    if weighted:
        base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
        top = cum[np.maximum(hi - 1, 0)]
        u = base + rng.random(lo.size) * (top - base)
        idx = np.searchsorted(cum, u, side="right")
    else:
        idx = lo + (rng.random(lo.size) * (hi - lo)).astype(np.int64)
    idx = np.clip(idx, lo, np.maximum(hi - 1, lo))
    return np.where(empty, -1, idx)


def _citations(
    rng: np.random.Generator,
    owner: np.ndarray,
    kind_is_registry: np.ndarray,
    ptype: np.ndarray,
    app: np.ndarray,
    pub: np.ndarray,
    main: np.ndarray,
    attract: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward citation edges: citing pid, cited pid (-1: outside document), examiner flag.

    Sorted by citing patent, applicant citations before examiner ones.
    """
    n = owner.size
    count = np.where(
        ptype == INVENTION,
        rng.poisson(rng.lognormal(np.log(3.0), 0.5, n)),
        np.where(ptype == UTILITY, rng.poisson(1.6, n), 0),
    )
    citing = np.repeat(np.arange(n), count)
    m = citing.size
    t = app[citing]
    citable = ptype != DESIGN
    cited = np.full(m, -1, dtype=np.int64)

    # Same applicant's own earlier patents (self-citations).
    order_o = np.lexsort((pub, owner))
    key_o = owner[order_o].astype(np.int64) * _DAY_SPAN + pub[order_o]
    want_self = (rng.random(m) < 0.12) & kind_is_registry[citing]
    lo = np.searchsorted(key_o, owner[citing].astype(np.int64) * _DAY_SPAN, side="left")
    hi = np.searchsorted(key_o, owner[citing].astype(np.int64) * _DAY_SPAN + t, side="left")
    pick = _sample_prefix(rng, np.empty(0), lo, hi, weighted=False)
    self_hit = want_self & (pick >= 0)
    cited[self_hit] = order_o[pick[self_hit]]

    # Same main IPC subclass, weighted by attractiveness (rich get richer), recent art only.
    main_id = main + 1  # 0 = no IPC (designs)
    a = np.where(citable, attract, 0.0)
    order_g = np.lexsort((pub, main_id))
    key_g = main_id[order_g].astype(np.int64) * _DAY_SPAN + pub[order_g]
    cum_g = np.cumsum(a[order_g])
    g = main_id[citing].astype(np.int64)
    lo = np.searchsorted(key_g, g * _DAY_SPAN + t - PRIOR_ART_DAYS, side="left")
    hi = np.searchsorted(key_g, g * _DAY_SPAN + t, side="left")
    pick = _sample_prefix(rng, cum_g, lo, hi, weighted=True)
    use_group = (~self_hit) & (rng.random(m) < 0.8) & (pick >= 0) & (g > 0)
    cited[use_group] = order_g[pick[use_group]]

    # Any recent art, same weighting.
    order_all = np.argsort(pub, kind="stable")
    cum_all = np.cumsum(a[order_all])
    lo = np.searchsorted(pub[order_all], t - PRIOR_ART_DAYS, side="left")
    hi = np.searchsorted(pub[order_all], t, side="left")
    pick = _sample_prefix(rng, cum_all, lo, hi, weighted=True)
    rest = (~self_hit) & (~use_group) & (pick >= 0)
    cited[rest] = order_all[pick[rest]]

    outside = (cited < 0) | (rng.random(m) < 0.05)
    cited = np.where(outside, -1, cited)
    examiner = (ptype[citing] == INVENTION) & (rng.random(m) < 0.4)
    # A cited document is listed once per citing patent; outside documents stay distinct.
    inside = np.flatnonzero(cited >= 0)
    _, first = np.unique(citing[inside] * n + cited[inside], return_index=True)
    keep = np.sort(np.concatenate([inside[first], np.flatnonzero(cited < 0)]))
    citing, cited, examiner = citing[keep], cited[keep], examiner[keep]
    order = np.lexsort((cited, examiner, citing))
    return citing[order], cited[order], examiner[order]


def _outside_numbers(rng: np.random.Generator, citing_app: np.ndarray) -> np.ndarray:
    """Numbers of cited documents that are not in the extract, filed before the citing patent."""
    m = citing_app.size
    filed = citing_app - rng.integers(400, 4000, m)
    digit = rng.choice(np.array([1, 2]), size=m, p=[0.7, 0.3])
    serial = EXTERNAL_SERIAL + rng.integers(0, RESERVED_SERIAL - EXTERNAL_SERIAL, m)
    return number_for(years_of(filed), digit, serial, filed < TWELVE_DIGIT_FROM)


def _filings(rng: np.random.Generator, owners: pl.DataFrame) -> pl.DataFrame:
    """Applications published by the end date, in filing order (pid = row)."""
    count = rng.poisson(owners["rate"].to_numpy())
    owner = np.repeat(owners["owner"].to_numpy(), count)
    n = owner.size
    kind = owners["kind"].to_numpy()[owner]
    q = {c: owners[f"q_{c}"].to_numpy()[owner] for c in PATENT_CHANNELS}
    industry = owners["industry"].to_numpy()[owner]
    tech = np.flatnonzero([ind.tech for ind in INDUSTRIES])
    industry = np.where(industry < 0, rng.choice(tech, size=n), industry)
    start, end = owners["start"].to_numpy()[owner], owners["end"].to_numpy()[owner]
    # Filings grow over time: more of them late in an applicant's filing window.
    app = start + ((end - start) * rng.random(n) ** (1 / 2.5)).astype(np.int64)

    mix = np.array([ind.type_mix for ind in INDUSTRIES])[industry]
    for k, shares in _KIND_TYPE_MIX.items():
        mix[kind == k] = shares
    # A registry firm's invention odds follow its invention-share channel.
    odds = np.where(kind == "enterprise", np.exp(0.6 * q["invention_share"] - 0.2), 1.0)
    invention = mix[:, INVENTION] * odds / (mix[:, INVENTION] * odds + 1.0 - mix[:, INVENTION])
    rest = (1.0 - invention) / np.maximum(1.0 - mix[:, INVENTION], 1e-12)
    mix = np.column_stack([invention, mix[:, UTILITY] * rest, mix[:, DESIGN] * rest])
    ptype = pick_rows(rng, mix)
    pct_p = np.where(
        ptype == INVENTION,
        1.0 / (1.0 + np.exp(-(-3.1 + 0.9 * q["family"]))),
        np.where(ptype == UTILITY, 0.01, 0.0),
    )
    pct_p = np.where(kind == "foreign", np.where(ptype == DESIGN, 0.0, 0.9), pct_p)
    pct = rng.random(n) < pct_p

    # Inventions are published ~18 months after filing (earlier on request);
    # utility models and designs are announced when granted, within a year.
    early = rng.random(n) < 0.12
    inv_delay = np.where(early, rng.integers(90, 300, n), np.clip(rng.normal(545, 20, n), 480, 600))
    delay = np.where(
        ptype == INVENTION,
        inv_delay,
        np.where(ptype == UTILITY, rng.integers(120, 360, n), rng.integers(90, 270, n)),
    ).astype(np.int64)
    return (
        pl.DataFrame(
            {
                "owner": owner,
                "kind": kind,
                "ent": owners["ent"].to_numpy()[owner],
                **{f"q_{c}": v for c, v in q.items()},
                "industry": industry,
                "app": app,
                "ptype": ptype,
                "pct": pct,
                "national_phase": (kind == "foreign") & pct & (rng.random(n) < 0.8),
                "pub": next_announcement_day(app + delay),
            }
        )
        .filter(pl.col("pub") <= END_DAY)
        .sort("app", "owner", maintain_order=True)
    )


def _life(rng: np.random.Generator, f: pl.DataFrame) -> dict[str, np.ndarray]:
    """Examination outcome and the days of decision, grant, lapse and expiry."""
    n = f.height
    ptype, pub, app = f["ptype"].to_numpy(), f["pub"].to_numpy(), f["app"].to_numpy()
    foreign = f["kind"].to_numpy() == "foreign"
    grant_p = np.clip(
        0.52 + 0.10 * f["q_grant"].to_numpy() + np.where(foreign, 0.15, 0.0), 0.2, 0.9
    )
    u = rng.random(n)
    # 0 granted, 1 rejected, 2 withdrawn (inventions only; the others are granted on announcement).
    outcome = np.where(u < grant_p, 0, np.where(u < grant_p + 0.4 * (1 - grant_p), 1, 2))
    decision = pub + 60 + rng.gamma(2.0, 230.0, n).astype(np.int64)
    decision = np.where(outcome == 0, next_announcement_day(decision), decision)
    decision = np.where(ptype == INVENTION, decision, pub)
    granted = (ptype != INVENTION) | (outcome == 0)
    grant = np.where(granted, decision, NEVER)
    lapse_mean = np.where(ptype == INVENTION, 9.0, np.where(ptype == UTILITY, 4.5, 4.0)) * 365.25
    term = np.where(
        ptype == INVENTION, 20, np.where((ptype == DESIGN) & (app >= DESIGN_15Y_FROM), 15, 10)
    )
    expiry = app.astype("datetime64[D]") + (term * 365.25).astype("timedelta64[D]")
    return {
        "decision": decision,
        "outcome": outcome,
        "grant": grant,
        "lapse": np.where(granted, grant + rng.exponential(lapse_mean).astype(np.int64), NEVER),
        "expiry": expiry.astype(np.int64),
    }


def build_patents(
    rng: np.random.Generator, firms: Firms, owners: Owners, days: np.ndarray | None = None
) -> Patents:
    """Every application published by the end date; `days`: the patent landing days."""
    o = owners.frame
    f = _filings(rng, o)
    n = f.height
    owner, app, ptype = f["owner"].to_numpy(), f["app"].to_numpy(), f["ptype"].to_numpy()
    pct = f["pct"].to_numpy()

    year = years_of(app)
    digit = np.where(ptype == DESIGN, 3, np.where(ptype == INVENTION, 1, 2))
    digit = np.where(f["national_phase"].to_numpy(), digit + 7, digit)
    serial = _serials(rng, year, digit, app, EXTERNAL_SERIAL)
    number = number_for(year, digit, serial, app < TWELVE_DIGIT_FROM)

    q_claims, q_family = f["q_claims"].to_numpy(), f["q_family"].to_numpy()
    claims = np.where(
        ptype == INVENTION,
        np.clip(np.round(rng.lognormal(np.log(9.0) + 0.15 * q_claims, 0.5, n)), 1, 60),
        np.clip(np.round(rng.lognormal(np.log(7.0) + 0.10 * q_claims, 0.4, n)), 1, 30),
    )
    claims_null = (ptype == DESIGN) | (rng.random(n) < 0.03)
    spread = np.clip(0.35 * np.exp(-0.25 * q_family), 0.15, 0.7)  # larger families for high q
    family = np.where(pct, 2 + rng.geometric(spread), np.where(rng.random(n) < 0.04, 2, 1))
    ipc, main = _ipc_codes(rng, f["industry"].to_numpy(), ptype)

    attract = rng.lognormal(0.0, 1.2, n) * np.where(ptype == INVENTION, 2.0, 1.0)
    attract *= np.exp(0.5 * f["q_citations"].to_numpy())
    citing, cited_pid, examiner = _citations(
        rng,
        owner,
        f["kind"].to_numpy() == "enterprise",
        ptype,
        app,
        f["pub"].to_numpy(),
        main,
        attract,
    )
    outside = np.flatnonzero(cited_pid < 0)
    cited_number = (
        pl.Series(number)
        .gather(np.maximum(cited_pid, 0))
        .scatter(outside, pl.Series(_outside_numbers(rng, app[citing[outside]])))
    )
    base = ~examiner

    mentions = _mentions(rng, firms, owners, owner, app, pct)
    mentions = mentions.with_columns(
        pl.Series("application_number", number[mentions["pid"].to_numpy()])
    )
    info = f.select("app", "pub", "ptype", "pct", "owner", "kind", "ent").with_columns(
        pl.int_range(n, dtype=pl.Int64).alias("pid"),
        pl.Series("application_number", number),
        pl.Series("patent_type", TYPE_NAMES[ptype]),
        _titles(rng, f["industry"].to_numpy(), ptype),
        masked("applicant_address", o["address"].gather(owner), rng.random(n) < 0.1, pl.String()),
        _inventors(rng, owner, ptype, o),
        ipc,
        masked("claims_count", claims, claims_null, pl.Int64()),
        masked("family_size", family, rng.random(n) < 0.05, pl.Int64()),
        _list_column("cited_base", _offsets(citing[base], n), cited_number.filter(base)),
        _list_column("cited_full", _offsets(citing, n), cited_number),
        _list_column("applicants", _offsets(mentions["pid"].to_numpy(), n), mentions["applicant"]),
        **{k: pl.Series(v) for k, v in _life(rng, f).items()},
    )
    return Patents(info=info, mentions=mentions.drop("pid"), drops=_drops(rng, info, days))


def _inventors(
    rng: np.random.Generator, owner: np.ndarray, ptype: np.ndarray, owners: pl.DataFrame
) -> pl.Series:
    """Inventor lists drawn from each applicant's own team, so names recur across its patents."""
    n = owner.size
    k = 1 + np.where(
        ptype == INVENTION,
        rng.poisson(2.0, n),
        np.where(ptype == UTILITY, rng.poisson(1.3, n), rng.poisson(0.4, n)),
    )
    per_owner = np.bincount(owner, minlength=owners.height)
    team = 2 + np.ceil(1.5 * np.sqrt(per_owner)).astype(np.int64)
    pid = np.repeat(np.arange(n), k)
    flat_owner = owner[pid]
    slot = (rng.random(pid.size) ** 2 * team[flat_owner]).astype(np.int64)
    pool = pl.Series(person_names(rng, 60_000))
    # A fixed mix of (owner, slot) picks the person, so a team member keeps one name.
    person = (flat_owner * 1_000_003 + slot * 7_919) % pool.len()
    lead = np.concatenate([[True], pid[1:] != pid[:-1]])
    individual = lead & (owners["kind"].to_numpy()[flat_owner] == "individual")
    # An individual applicant is also the first inventor.
    person = np.where(individual, pool.len() + flat_owner, person)
    keep = _first_per_list(pid, person)
    names = pool.gather(np.minimum(person[keep], pool.len() - 1))
    rows = np.flatnonzero(individual[keep])
    names = names.scatter(rows, owners["name"].gather(flat_owner[keep][rows]))
    return _list_column("inventors", _offsets(pid[keep], n), names)


def _other(pick: np.ndarray, owner: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """`pick` from `pool`, moved to the next pool member where it would repeat the owner."""
    nxt = pool[(np.searchsorted(pool, pick) + 1) % pool.size]
    return np.where(pick == owner, nxt, pick)


def _mentions(
    rng: np.random.Generator,
    firms: Firms,
    owners: Owners,
    owner: np.ndarray,
    app: np.ndarray,
    pct: np.ndarray,
) -> pl.DataFrame:
    """Applicants of each patent in order, with the truth: who they are and how the string was made."""
    o = owners.frame
    kind = o["kind"].to_numpy()
    n = owner.size
    own_kind = kind[owner]
    academic = np.flatnonzero(np.isin(kind, ["university", "institute"]))
    # Local and large universities partner most: the lists start with them.
    academic_p = (
        np.where(kind[academic] == "university", 3.0, 1.0) / (1 + np.arange(academic.size)) ** 0.7
    )
    active_firms = np.flatnonzero((kind == "enterprise") & (o["end"].to_numpy() >= END_DAY))
    people = np.flatnonzero(kind == "individual")

    co_firm = ((own_kind == "enterprise") & (rng.random(n) < 0.025)) | (
        np.isin(own_kind, ["university", "institute"]) & (rng.random(n) < 0.14)
    )
    co_academic = ((own_kind == "enterprise") & (rng.random(n) < 0.07)) | (
        (own_kind == "university") & (rng.random(n) < 0.04)
    )
    co_person = (np.isin(own_kind, ["enterprise", "lookalike"]) & (rng.random(n) < 0.012)) | (
        (own_kind == "individual") & (rng.random(n) < 0.15)
    )
    picks = (
        (co_firm, _other(active_firms[rng.integers(0, active_firms.size, n)], owner, active_firms)),
        (
            co_academic,
            _other(
                academic[rng.choice(academic.size, size=n, p=academic_p / academic_p.sum())],
                owner,
                academic,
            ),
        ),
        (co_person, _other(people[rng.integers(0, people.size, n)], owner, people)),
    )
    pid = np.arange(n, dtype=np.int64)
    parts = [
        pl.DataFrame(
            {"pid": pid, "order": np.zeros(n, dtype=np.int64), "who": owner.astype(np.int64)}
        )
    ]
    for order, (flag, pick) in enumerate(picks, start=1):
        rows = np.flatnonzero(flag)
        parts.append(
            pl.DataFrame(
                {
                    "pid": pid[rows],
                    "order": np.full(rows.size, order, dtype=np.int64),
                    "who": pick[rows].astype(np.int64),
                }
            )
        )
    m = (
        pl.concat(parts)
        .sort(["pid", "order"])
        .with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).over("pid").alias("applicant_position")
        )
    )
    pid_m, who = m["pid"].to_numpy(), m["who"].to_numpy()
    m = m.with_columns(
        pl.Series("ent", o["ent"].to_numpy()[who]),
        pl.Series("app", app[pid_m]),
        pl.Series("pct", pct[pid_m]),
    )

    reg = m.filter(pl.col("ent") >= 0)
    text, noise = mention_names(
        rng,
        firms.frame,
        firms.names_taken,
        reg["ent"].to_numpy(),
        reg["app"].to_numpy(),
        reg["pct"].to_numpy(),
        PATENT_NOISE,
        PATENT_ENGLISH_SHARE,
    )
    registry_mentions = reg.select(
        "pid",
        "applicant_position",
        firms.frame["credit_code"].gather(reg["ent"].to_numpy()).alias("credit_code"),
        text,
        noise,
        pl.lit("enterprise").alias("applicant_kind"),
    )

    others = m.filter(pl.col("ent") < 0)
    who_o = others["who"].to_numpy()
    other_kind = kind[who_o]
    look = other_kind == "lookalike"
    others = others.select(
        "pid",
        "applicant_position",
        pl.lit(None, dtype=pl.String).alias("credit_code"),
        pl.Series("text", o["name"].to_numpy()[who_o], dtype=pl.String),
        pl.Series("noise", np.where(look, "lookalike", "non_registry"), dtype=pl.String),
        pl.Series("applicant_kind", np.where(look, "enterprise", other_kind), dtype=pl.String),
    )
    return (
        pl.concat([registry_mentions, others])
        .sort(["pid", "applicant_position"])
        .rename({"text": "applicant"})
        .select("pid", "applicant_position", "applicant", "credit_code", "applicant_kind", "noise")
    )


def state_on(info: pl.DataFrame, day: pl.Expr) -> dict[str, pl.Expr]:
    """legal_status, grant_date and cited_applications of a patent as its record shows them on `day`."""
    granted_by = pl.col("grant") <= day
    status = (
        pl.when((pl.col("ptype") == INVENTION) & (day < pl.col("decision")))
        .then(pl.lit("pending"))
        .when((pl.col("ptype") == INVENTION) & (pl.col("outcome") == 1))
        .then(pl.lit("rejected"))
        .when((pl.col("ptype") == INVENTION) & (pl.col("outcome") == 2))
        .then(pl.lit("withdrawn"))
        .when(day >= pl.col("expiry"))
        .then(pl.lit("expired"))
        .when(day >= pl.col("lapse"))
        .then(pl.lit("lapsed"))
        .otherwise(pl.lit("granted"))
    )
    return {
        "legal_status": status,
        "grant_date": pl.when(granted_by).then(pl.col("grant")).cast(pl.Int32).cast(pl.Date),
        "cited_applications": pl.when(granted_by)
        .then(pl.col("cited_full"))
        .otherwise(pl.col("cited_base")),
    }


def _drops(rng: np.random.Generator, info: pl.DataFrame, days: np.ndarray | None) -> pl.DataFrame:
    """Which patent drops carry each patent: its first delivery and re-drops after status changes."""
    days = source_days("patents") if days is None else days
    pub = info["pub"].to_numpy()
    first = landing_index(pub, days)
    # Some publications reach a daily provider a drop late (the backlog is complete).
    gap = np.diff(days, append=days[-1] + 100)
    late = (rng.random(pub.size) < 0.3) & (first > 0) & (first + 1 < days.size)
    late &= gap[np.minimum(first, days.size - 1)] <= 7
    first = np.where(late, first + 1, first)
    pid = info["pid"].to_numpy()
    frames = [pl.DataFrame({"pid": pid, "landing": first})]
    # Re-drops when the record changes: a decision, and the lapse or expiry of a granted patent.
    granted = info["grant"].to_numpy() < NEVER
    changes = {
        "decision": np.ones(pid.size, dtype=bool),
        "lapse": granted & (info["lapse"].to_numpy() < info["expiry"].to_numpy()),
        "expiry": granted,
    }
    for col, changed in changes.items():
        event = landing_index(info[col].to_numpy(), days)
        redrop = changed & (event > first) & (event < days.size)
        frames.append(pl.DataFrame({"pid": pid[redrop], "landing": event[redrop]}))
    return pl.concat(frames).unique(maintain_order=True).sort(["landing", "pid"])
