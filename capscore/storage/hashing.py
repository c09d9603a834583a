"""sha256 of files: streamed, and remembered by size and modification time for the model
and reference files every as-of fingerprint hashes (33 MB of training pairs among them);
and a 64-bit hash of a frame's rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import polars as pl

_MIX = 0x100000001B3  # the 64-bit FNV prime


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def per_file_version(path: Path, digest: Callable[[Path], str]) -> str:
    """`digest(path)`, computed again only when the file's size or mtime changed."""
    stat = path.stat()
    return _digest_at(path.resolve(), stat.st_mtime_ns, stat.st_size, digest)


def cached_file_sha256(path: Path) -> str:
    """file_sha256, computed again only when the file's size or mtime changed."""
    return per_file_version(path, file_sha256)


@lru_cache(maxsize=256)
def _digest_at(path: Path, mtime_ns: int, size: int, digest: Callable[[Path], str]) -> str:
    return digest(path)


def row_hash(columns: Sequence[str]) -> pl.Expr:
    """A UInt64 hash of each row's values in `columns` (polars' hashes: they hold within
    one polars version). Each column is hashed with a seed of its own and the hashes are
    folded as h * MIX + column hash (mod 2**64); MIX is odd, so a change in one column
    changes the fold unless that column's own 64-bit hash collides. Polars hashes a
    struct of the columns three times slower (at 1M firms, 2026-12-07: 1.0-1.1 s
    against 0.3 s for the 3.3M patents' 21 columns)."""
    folded = pl.lit(0, dtype=pl.UInt64)
    for seed, column in enumerate(columns):
        folded = folded * _MIX + pl.col(column).hash(seed)
    return folded
