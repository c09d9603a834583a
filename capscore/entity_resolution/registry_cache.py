"""The registry prepared for matching (registry.PreparedRegistry), kept for the next run.

Preparing it (every name of every enterprise, parsed, and the blocking index over
them) takes about 10 s at a million firms; reading it back, half a second. A night
whose registry rows are the ones the last run prepared from (no registry drop since)
reads it back; a night after a registry drop makes only the changed firms' snapshot
rows and names from their rows, takes the others' from the kept registry, and builds
the index over all (registry.prepare_registry_since). A set is named by a digest of
the entity-resolution code and libraries (parse_cache.parse_digest) and one of the
registry rows it was made from (core/enterprise and core/enterprise_history as
matching reads them, in any row order); it holds those rows' hashes per firm
(registry.firm_rows), to tell the changed firms. Other code never reads it. Each file
is a copy of what preparing gives: a set missing a file, or with a file that cannot
be read, is a miss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from capscore.entity_resolution.candidates import Blocks, RegistryIndex
from capscore.entity_resolution.parse_cache import parse_digest
from capscore.entity_resolution.registry import (
    ParsedRegistry,
    PreparedRegistry,
    changed_firms,
    firm_rows,
    prepare_registry,
    prepare_registry_since,
)
from capscore.storage.kept_files import read_kept_set, write_kept_set
from capscore.storage.paths import DataRoot

_BLOCKS = ("garbled", "deletions", "zihao")
# The rows a registry was prepared from (firm_rows of core/enterprise, of its history).
ROWS = ("enterprise_rows", "history_rows")
PARTS = (
    "enterprises",
    "names",
    "index_names",
    "index_keys",
    "index_characters",
    *(f"{blocks}_{part}" for blocks in _BLOCKS for part in ("all", "local")),
)


def registry_folder(root: DataRoot) -> Path:
    return root.cache / "er_registry"


def _code_digest() -> str:
    return hashlib.sha256(parse_digest().encode()).hexdigest()[:16]


def registry_digest(enterprises: pl.DataFrame, history: pl.DataFrame) -> str:
    """The registry rows a prepared registry is made from, as a multiset (summed 128-bit
    row hashes, so the lake's row order does not matter), with their columns."""
    digest = hashlib.sha256()
    for frame in (enterprises, history):
        digest.update(f"{frame.schema}|{frame.height}|".encode())
        for seed in (0, 1):
            digest.update(np.sum(frame.hash_rows(seed=seed).to_numpy(), dtype=np.uint64).tobytes())
    return digest.hexdigest()[:16]


def _prefix(digest: str) -> str:
    return f"{_code_digest()}-{digest}-"


def write_prepared(
    folder: Path, digest: str, registry: PreparedRegistry, rows: Mapping[str, pl.DataFrame]
) -> None:
    """Keep `registry` as prepared from the registry rows `digest` names (`rows`: their
    firm_rows, by ROWS name); an earlier one is removed. lz4: the set is about 400 MB
    at a million firms, written in 1.5 s (zstd: 2.2 s)."""
    index = registry.index
    frames = {
        **rows,
        "enterprises": registry.enterprises,
        "names": registry.names,
        "index_names": index.names,
        "index_keys": index.keys,
        "index_characters": index.characters.to_frame(),
    }
    for name, blocks in (
        ("garbled", index.garbled),
        ("deletions", index.deletions),
        ("zihao", index.zihao),
    ):
        frames |= {f"{name}_all": blocks.all, f"{name}_local": blocks.local}
    write_kept_set(folder, _prefix(digest), frames, compression="lz4")


def _registry(frames: Mapping[str, pl.DataFrame]) -> PreparedRegistry:
    def blocks(name: str) -> Blocks:
        return Blocks(frames[f"{name}_all"], frames[f"{name}_local"])

    index = RegistryIndex(
        names=frames["index_names"],
        keys=frames["index_keys"],
        characters=frames["index_characters"].to_series(),
        garbled=blocks("garbled"),
        deletions=blocks("deletions"),
        zihao=blocks("zihao"),
    )
    return PreparedRegistry(frames["enterprises"], frames["names"], index)


def read_prepared(folder: Path, digest: str) -> PreparedRegistry | None:
    """The registry kept as prepared from the registry rows `digest` names, or None."""
    frames = read_kept_set(folder, _prefix(digest), PARTS)
    return None if frames is None else _registry(frames)


def _kept_other(folder: Path) -> tuple[ParsedRegistry, dict[str, pl.DataFrame]] | None:
    """The registry this code kept from other rows, with those rows' firm_rows. Its
    index is not read: the new one is built over all names without it (at a million
    firms it held 0.8 GB while the new one was built)."""
    for first in folder.glob(f"{_code_digest()}-*-{ROWS[0]}.parquet"):
        prefix = first.name.removesuffix(f"{ROWS[0]}.parquet")
        frames = read_kept_set(folder, prefix, (*ROWS, "enterprises", "names"))
        if frames is not None:
            registry = ParsedRegistry(frames["enterprises"], frames["names"])
            return registry, {name: frames[name] for name in ROWS}
    return None


def prepared_registry(
    folder: Path,
    enterprises: pl.DataFrame,
    history: pl.DataFrame,
    full: bool,
) -> PreparedRegistry:
    """The registry as of a date ready for matching. Kept from the same rows: read back.
    Kept from other rows (the night before's registry): made from it and the firms whose
    rows changed. Else (or `full`): made from scratch. What was made is kept for the
    next run."""
    digest = registry_digest(enterprises, history)
    if not full and (same := read_prepared(folder, digest)) is not None:
        return same
    rows = {ROWS[0]: firm_rows(enterprises), ROWS[1]: firm_rows(history)}
    earlier = None if full else _kept_other(folder)
    if earlier is None:
        registry = prepare_registry(enterprises, history)
    else:
        before, before_rows = earlier
        changed = pl.concat([changed_firms(before_rows[r], rows[r]) for r in ROWS]).unique()
        registry = prepare_registry_since(enterprises, history, before, changed)
        del before, before_rows, earlier
    write_prepared(folder, digest, registry, rows)
    return registry
