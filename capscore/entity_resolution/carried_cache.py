"""What a date's entity resolution read, kept for the next night's.

A night keeps the links of the night before that cannot have changed
(incremental.py), and for that it needs what the night before read: its registry
snapshot and its mentions with their IPC–industry lift. Rebuilding them from the
lake (every name and street of the registry, the patents' context of every
applicant) takes about 7 s at a million firms. The run that resolved a date keeps
them in files named by the date and a digest of that date's inputs and of the
entity-resolution code (parse_cache.parse_digest); a later run reads them only under
the same names, so a date rebuilt from other inputs, or other code, is rebuilt from
the lake as before. The links are not kept here: they are read from the lake.
A file that cannot be read is a miss: each is a copy of what the lake gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import polars as pl

from capscore.entity_resolution.parse_cache import parse_digest
from capscore.storage.kept_files import read_kept_set, write_kept_set
from capscore.storage.paths import DataRoot


def carried_folder(root: DataRoot) -> Path:
    return root.cache / "er_carried"


def _prefix(day: date, inputs: str) -> str:
    digest = hashlib.sha256(f"{inputs}\n{parse_digest()}".encode()).hexdigest()[:16]
    return f"{day.isoformat()}-{digest}-"


def write_carried(folder: Path, day: date, inputs: str, frames: Mapping[str, pl.DataFrame]) -> None:
    """Keep `frames` (by name) as what resolving `day` from `inputs` (its as-of
    fingerprint) read; whatever an earlier date kept is removed."""
    write_kept_set(folder, _prefix(day, inputs), frames)


def read_carried(
    folder: Path, day: date, inputs: str, names: tuple[str, ...]
) -> dict[str, pl.DataFrame] | None:
    """The frames `names` kept for `day` resolved from `inputs`, or None if any is not
    there (or cannot be read)."""
    return read_kept_set(folder, _prefix(day, inputs), names)
