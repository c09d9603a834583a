"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every writer of the project (lake partitions, credit manifests, reports,
the warehouse) goes through `atomic_write`: write to a temporary name in the
same folder, fsync, `os.replace`. The temporary name starts with a dot and
ends in `.tmp`, so globs such as `*.parquet` never see it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".tmp"


def temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}{TMP_SUFFIX}")


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` to produce the file, then move it over `path` in one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_link(source: Path, path: Path) -> Path:
    """Make `path` a hard link to `source` in one rename (OSError where the file system
    has no hard links, or `source` is on another one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        os.link(source, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
