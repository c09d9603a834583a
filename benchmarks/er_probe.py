"""How the match model treats names one element away from a registered one: a probe
of any data root's registry, no ground truth needed.

    .venv/bin/python -m benchmarks.er_probe --data-root DIR [--as-of YYYY-MM-DD] [--per-kind N]

From registered current names (parsed into region, 字号 and industry words) it makes
names no firm is registered under, as applicants of a patent filed on the as-of date:

- firms that are not in the registry, one element away from a registered one (hard
  negatives; a link is a false match): `other_industry` (the industry words of another
  industry), `other_prefecture` (another prefecture of the province in front, the
  address there), `zihao_unrelated` / `zihao_confusable` (one 字号 character replaced by
  one that neither sounds nor looks alike / that sounds the same or looks alike), these
  two with the address of another registered firm;
- the registered firm itself with a typo and its own address (`typo_unrelated`,
  `typo_confusable`: a link to it is right), and the confusable typo filed from
  another street of the firm's own place (`typo_other_street`: an R&D site, a move).

It prints per kind, and by where the address lies against the firm the name was made
from (its county, or its prefecture when registered at that level: "source's place"),
the share linked (matched), linked to that firm, and sent to review. DIR needs core/enterprise built for the date (`capscore run`).
"""

from __future__ import annotations

import argparse
import re
from datetime import date

import numpy as np
import polars as pl

from assets.er_inputs import latest_as_of, registry_as_of
from capscore.entity_resolution.confusables import OTHER, substitution_kind, variants
from capscore.entity_resolution.features import address_region_codes
from capscore.entity_resolution.model import load_model
from capscore.entity_resolution.normalize import parse_names
from capscore.entity_resolution.places import divisions, region_agreement, surfaces
from capscore.entity_resolution.registry import prepare_registry
from capscore.entity_resolution.resolve import MENTION_SCHEMA, link_mentions
from capscore.entity_resolution.streets import ROAD_SUFFIXES
from capscore.entity_resolution.vocabulary import vocabulary
from capscore.storage import tables
from capscore.storage.lake import read_as_of
from capscore.storage.paths import DataRoot

Probe = tuple[str, str, str, str]  # kind, name, address, credit code it was made from
# A registered address's road, number and what follows, as streets.py reads them.
OWN_STREET = r"[\u4e00-\u9fff]{2}(?:" + "|".join(ROAD_SUFFIXES) + r")\d+号.*$"


def _prefectures() -> pl.DataFrame:
    """province_code, prefecture_code, short (湖州), address (浙江省湖州市)."""
    table = divisions()
    provinces = table.filter(pl.col("level") == "province").select(
        "province_code", pl.col("name").alias("province")
    )
    shorts = (
        surfaces().filter(pl.col("short")).select("region_code", pl.col("surface").alias("short"))
    )
    return (
        table.filter(
            pl.col("level") == "prefecture", pl.col("region_code") != pl.col("province_code")
        )
        .join(provinces, on="province_code")
        .join(shorts, on="region_code")
        .select(
            "province_code",
            "prefecture_code",
            "short",
            (pl.col("province") + pl.col("name")).alias("address"),
        )
    )


def _swapped(
    rng: np.random.Generator, zihao: str, pool: list[str], similar: dict[str, list[str]]
) -> tuple[str, str]:
    """(one character unrelated, one character confusable) variants of `zihao` ("" when none)."""
    spot = int(rng.integers(0, len(zihao)))
    char = zihao[spot]
    other = pool[int(rng.integers(0, len(pool)))]
    unrelated = "" if substitution_kind(char, other) != OTHER else other
    spots = [i for i, c in enumerate(zihao) if similar.get(c)]
    confusable = ""
    if spots:
        at = spots[int(rng.integers(0, len(spots)))]
        choices = similar[zihao[at]]
        confusable = zihao[:at] + choices[int(rng.integers(0, len(choices)))] + zihao[at + 1 :]
    return (zihao[:spot] + unrelated + zihao[spot + 1 :] if unrelated else ""), confusable


def _other_address(rng: np.random.Generator, addresses: list[str], own: str) -> str:
    """Another registered firm's address (not `own`)."""
    others = (addresses[int(i)] for i in rng.integers(0, len(addresses), 8))
    return next((a for a in others if a != own), "")


def probes(firms: pl.DataFrame, pool: list[str], per_kind: int, seed: int) -> list[Probe]:
    """`firms`: credit_code, name, address, region_code of registered firms (current names)."""
    rng = np.random.default_rng(seed)
    parsed = parse_names(firms["name"]).with_columns(
        firms.select("credit_code", "address", "region_code")
    )
    parsed = parsed.filter(
        (pl.col("script") == "cjk")
        & (pl.col("zihao").str.len_chars() >= 2)
        & (pl.col("industry") != "")
        & ~pl.col("branch")
    )
    similar = {
        char: group["variant"].to_list() for (char,), group in variants(pool, pool).group_by("char")
    }
    industries = list(vocabulary().industry_cjk)
    prefectures = _prefectures()
    addresses = firms["address"].drop_nulls().to_list()
    out: list[Probe] = []
    for row in parsed.iter_rows(named=True):
        name, zihao, industry, code = row["name"], row["zihao"], row["industry"], row["credit_code"]
        at = name.find(zihao)
        if at < 0:
            continue
        own = row["address"] or ""
        elsewhere = _other_address(rng, addresses, own)
        unrelated, confusable = _swapped(rng, zihao, pool, similar)
        for swapped, suffix in ((unrelated, "unrelated"), (confusable, "confusable")):
            if swapped:
                changed = name[:at] + swapped + name[at + len(zihao) :]
                out.append((f"zihao_{suffix}", changed, elsewhere, code))
                out.append((f"typo_{suffix}", changed, own, code))
        other_street = re.sub(OWN_STREET, "创新路999号", own)
        if confusable and other_street != own:
            changed = name[:at] + confusable + name[at + len(zihao) :]
            out.append(("typo_other_street", changed, other_street, code))
        tail = name.find(industry, at + len(zihao))
        other = industries[int(rng.integers(0, len(industries)))]
        if tail >= 0 and other != industry:
            changed = name[:tail] + other + name[tail + len(industry) :]
            out.append(("other_industry", changed, elsewhere, code))
        region = row["region"] or ""
        if region and name.startswith(region) and row["region_code"]:
            here = row["region_code"]
            there = prefectures.filter(
                (pl.col("province_code").str.slice(0, 2) == here[:2])
                & (pl.col("prefecture_code").str.slice(0, 4) != here[:4])
            )
            if there.height:
                pick = there.row(int(rng.integers(0, there.height)), named=True)
                changed = pick["short"] + name[len(region) :]
                out.append(("other_prefecture", changed, pick["address"] + "长安路1号", code))
    frame = pl.DataFrame(out, schema=["kind", "name", "address", "source"], orient="row")
    return list(frame.group_by("kind", maintain_order=True).head(per_kind).iter_rows())


def run(root: DataRoot, day: date, per_kind: int, seed: int) -> pl.DataFrame:
    registry = prepare_registry(*registry_as_of(root, day))
    firms = read_as_of(
        root, tables.ENTERPRISE, day, ["credit_code", "name", "address", "region_code"]
    ).sample(min(per_kind * 4, registry.enterprises.height), seed=seed)
    pool = registry.names["zihao"].drop_nulls().str.split("").explode().unique().sort().to_list()
    registered = registry.names["registry_name"]
    made = pl.DataFrame(
        probes(firms, pool, per_kind, seed),
        schema=["kind", "mention_name", "address", "source"],
        orient="row",
    ).filter(~pl.col("mention_name").is_in(registered.implode()))
    mentions = made.with_row_index("i").select(
        pl.format("probe#{}", "i").alias("mention_key"),
        pl.lit("patent").alias("mention_type"),
        "mention_name",
        pl.lit(day).alias("mention_date"),
        "address",
        pl.lit(None, dtype=pl.String).alias("ipc_subclass"),
        pl.lit(None, dtype=pl.String).alias("filed_code"),
    )
    links = link_mentions(mentions.cast(MENTION_SCHEMA), registry, load_model(), None)  # type: ignore[arg-type]
    source_region = registry.enterprises.select(
        pl.col("credit_code").alias("source"), pl.col("region_code").alias("_source_region")
    )
    agreement = region_agreement(pl.col("_address_region"), pl.col("_source_region"))
    decided = (
        mentions.select("mention_key")
        .with_columns(
            made["kind"],
            made["source"],
            address_region_codes(made["address"]).alias("_address_region"),
        )
        .join(source_region, on="source", how="left")
        .with_columns(
            agreement.replace_strict(
                {3: "source's place", 1: "same province", 0: "elsewhere"},
                default="unknown",
                return_dtype=pl.String,
            ).alias("address")
        )
    )
    matched = pl.col("decision") == "matched"
    return (
        decided.join(links, on="mention_key")
        .group_by("kind", "address")
        .agg(
            pl.len().alias("names"),
            matched.mean().alias("linked"),
            (matched & (pl.col("credit_code") == pl.col("source")))
            .mean()
            .alias("linked_to_source"),
            (pl.col("decision") == "review").mean().alias("review"),
        )
        .sort("kind", "address")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--as-of", type=date.fromisoformat)
    parser.add_argument("--per-kind", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    root = DataRoot.resolve(args.data_root)
    day = args.as_of or latest_as_of(root, tables.ENTERPRISE)
    if day is None:
        raise SystemExit(f"{root.root}: core/enterprise is not built; run `capscore run` first")
    with pl.Config(tbl_rows=20):
        print(f"match model {load_model().version}, registry of {root.root} as of {day}")
        print(run(root, day, args.per_kind, args.seed))


if __name__ == "__main__":
    main()
