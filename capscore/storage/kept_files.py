"""Frames a run keeps under cache/ for a later run to start from.

Each is a copy of what computing gives, never the only record of anything: a file
that is missing, cannot be read or has other columns is a miss (the later run computes
again), not an error. A file is named by a digest of what made it (code, libraries,
model), so files made otherwise are never read and are removed when a new one is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Literal

import polars as pl

from capscore.storage.files import atomic_write
from capscore.storage.parquet_files import write_parquet

log = logging.getLogger(__name__)


def read_kept(path: Path, schema: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame | None:
    """The frame kept at `path` (with exactly `schema`'s columns, when given), or None."""
    if not path.exists():
        return None
    try:
        frame = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as error:
        log.warning("ignoring the kept frame %s: %s", path, error)
        return None
    if schema is not None and frame.schema != pl.Schema(schema):
        log.warning("ignoring the kept frame %s: columns %s", path, frame.schema)
        return None
    return frame


def write_kept(path: Path, frame: pl.DataFrame, replaces: str) -> Path:
    """Keep `frame` at `path`; the other files of its folder matching `replaces` (a glob)
    are removed."""
    atomic_write(path, lambda tmp: write_parquet(frame, tmp, compression="zstd"))
    for stale in path.parent.glob(replaces):
        if stale != path:
            stale.unlink(missing_ok=True)
    return path


def write_kept_set(
    folder: Path,
    prefix: str,
    frames: Mapping[str, pl.DataFrame],
    compression: Literal["zstd", "lz4"] = "zstd",
) -> None:
    """Keep `frames` (by name) as one set named by `prefix`; every other file of `folder`
    (an earlier set) is removed once the whole set is written."""
    for name, frame in frames.items():
        write = partial(write_parquet, frame, compression=compression)
        atomic_write(folder / f"{prefix}{name}.parquet", write)
    for stale in folder.glob("*.parquet"):
        if not stale.name.startswith(prefix):
            stale.unlink(missing_ok=True)


def read_kept_set(
    folder: Path, prefix: str, names: Sequence[str]
) -> dict[str, pl.DataFrame] | None:
    """The frames `names` of the set `prefix`, or None if any is not there (or cannot be
    read): a set a killed run left half written is a miss."""
    frames = {}
    for name in names:
        frame = read_kept(folder / f"{prefix}{name}.parquet")
        if frame is None:
            return None
        frames[name] = frame
    return frames
