"""sha256 of files: streamed, and remembered by size and modification time for the model
and reference files every as-of fingerprint hashes (33 MB of training pairs among them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path


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
