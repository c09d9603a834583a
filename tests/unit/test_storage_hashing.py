"""File hashes, and the cache that spares re-reading unchanged model files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from capscore.storage.hashing import cached_file_sha256, file_sha256


def test_a_cached_hash_follows_every_change_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pairs.parquet"
    path.write_bytes(b"first")
    assert cached_file_sha256(path) == file_sha256(path) == hashlib.sha256(b"first").hexdigest()
    # Same size, new content: the modification time tells the cache.
    path.write_bytes(b"other")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert cached_file_sha256(path) == hashlib.sha256(b"other").hexdigest()
    path.write_bytes(b"longer content")
    assert cached_file_sha256(path) == hashlib.sha256(b"longer content").hexdigest()
