"""The registry prepared for matching (registry.PreparedRegistry), kept for the next run.

Preparing it (every name of every enterprise, parsed, and the blocking index over
them) takes about 10 s at a million firms; reading it back, half a second. The
registry changes only on the days a registry file lands, so a night after one without
a registry drop, and a backfill's days between two drops, find theirs kept. The set is
named by a digest of the registry rows it was prepared from (core/enterprise and
core/enterprise_history as matching reads them, in any row order) and of the
entity-resolution code and libraries (parse_cache.parse_digest): other rows or other
code never read it. Each file is a copy of what preparing gives: a set that is missing
a file, or a file that cannot be read, is a miss.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl

from capscore.entity_resolution.candidates import Blocks, RegistryIndex
from capscore.entity_resolution.parse_cache import parse_digest
from capscore.entity_resolution.registry import PreparedRegistry
from capscore.storage.kept_files import read_kept_set, write_kept_set
from capscore.storage.paths import DataRoot

_BLOCKS = ("garbled", "deletions", "zihao")
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


def registry_digest(enterprises: pl.DataFrame, history: pl.DataFrame) -> str:
    """What the prepared registry depends on: the rows (as a multiset: summed 128-bit
    row hashes, so the lake's row order does not matter), their columns and the code."""
    digest = hashlib.sha256(parse_digest().encode())
    for frame in (enterprises, history):
        digest.update(f"{frame.schema}|{frame.height}|".encode())
        for seed in (0, 1):
            digest.update(np.sum(frame.hash_rows(seed=seed).to_numpy(), dtype=np.uint64).tobytes())
    return digest.hexdigest()[:16]


def _prefix(digest: str) -> str:
    return f"{digest}-"


def write_prepared(folder: Path, digest: str, registry: PreparedRegistry) -> None:
    """Keep `registry` as prepared from the rows `digest` names; an earlier one is removed.
    lz4: the set is about 400 MB at a million firms, written in 1.5 s (zstd: 2.2 s)."""
    index = registry.index
    frames = {
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


def read_prepared(folder: Path, digest: str) -> PreparedRegistry | None:
    """The registry kept as prepared from the rows `digest` names, or None."""
    frames = read_kept_set(folder, _prefix(digest), PARTS)
    if frames is None:
        return None

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
