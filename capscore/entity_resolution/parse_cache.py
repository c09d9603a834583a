"""The digest of the entity-resolution code that names what ER keeps for a later run,
and the reach test's keys of the mention names a run met (reach_keys.py), kept for the
next run.

What ER keeps (these keys, the prepared registry in registry_cache.py, what a date's
resolution read in carried_cache.py) is named by a digest of the entity-resolution
code, its reference files and the versions of the libraries that parse names (polars'
string functions, OpenCC's conversion): after any change to them an old file is never
read (the next run derives everything again, then replaces it). A file that cannot be
read is a miss too: it is a copy of what deriving gives, never the only record of
anything.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import polars as pl

from capscore.core import applicant_kinds
from capscore.entity_resolution.reach_keys import KEYS_SCHEMA
from capscore.entity_resolution.reference_files import REFERENCE_FILES, reference_digest
from capscore.storage.kept_files import read_kept, write_kept
from capscore.storage.paths import DataRoot

# ...and core's applicant-kind rule, which entity resolution classifies with (kinds.py).
CODE_FILES: tuple[Path, ...] = (
    *sorted(Path(__file__).parent.glob("*.py")),
    Path(applicant_kinds.__file__ or ""),
)
LIBRARIES = ("polars", "opencc")
REACH_PREFIX = "reach-"


def parse_digest() -> str:
    libraries = "-".join(f"{name}{version(name)}" for name in LIBRARIES)
    return f"{reference_digest(REFERENCE_FILES + CODE_FILES)}-{libraries}"


def cache_folder(root: DataRoot) -> Path:
    return root.cache / "er_parse"


def cache_file(folder: Path) -> Path:
    return folder / f"{REACH_PREFIX}{parse_digest()}.parquet"


def read_reach_keys(folder: Path) -> pl.DataFrame | None:
    """The reach test's keys the last run kept (KEYS_SCHEMA rows), or None."""
    return read_kept(cache_file(folder), KEYS_SCHEMA)


def write_reach_keys(folder: Path, keys: pl.DataFrame) -> Path:
    """Keep the reach test's keys of the names a run met (KEYS_SCHEMA rows)."""
    path = cache_file(folder)
    return write_kept(path, keys.select(list(KEYS_SCHEMA)), f"{REACH_PREFIX}*.parquet")
