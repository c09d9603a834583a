"""Registry names as parsed by the last run, and the reach test's keys of the mention
names it met (reach_keys.py), kept for the next run.

Parsing the registry's names is the costliest step of preparing it (1.3M names, about
8 s at a million firms), and a night changes a few hundred of them. A parse depends on
the name, the parsing code and its dictionaries alone, so the cache file is named by a
digest of the entity-resolution code, its reference files and the versions of the
libraries that parse (polars' string functions, OpenCC's conversion): after any change
to them the old file is never read (the next run parses everything, then replaces it).
A file that cannot be read is a miss too: it is a copy of what parsing gives, never
the only record of anything.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import polars as pl

from capscore.entity_resolution.normalize import PARSED_SCHEMA
from capscore.entity_resolution.reach_keys import KEYS_SCHEMA
from capscore.entity_resolution.reference_files import REFERENCE_FILES, reference_digest
from capscore.storage.kept_files import read_kept, write_kept
from capscore.storage.paths import DataRoot

CODE_FILES: tuple[Path, ...] = tuple(sorted(Path(__file__).parent.glob("*.py")))
LIBRARIES = ("polars", "opencc")
PREFIX, REACH_PREFIX = "parsed-", "reach-"


def parse_digest() -> str:
    libraries = "-".join(f"{name}{version(name)}" for name in LIBRARIES)
    return f"{reference_digest(REFERENCE_FILES + CODE_FILES)}-{libraries}"


def cache_folder(root: DataRoot) -> Path:
    return root.cache / "er_parse"


def cache_file(folder: Path, prefix: str = PREFIX) -> Path:
    return folder / f"{prefix}{parse_digest()}.parquet"


def read_parsed(folder: Path) -> pl.DataFrame | None:
    """The parses the last run kept (PARSED_SCHEMA rows), or None when there are none
    made by this code."""
    return read_kept(cache_file(folder), PARSED_SCHEMA)


def write_parsed(folder: Path, parsed: pl.DataFrame) -> Path:
    """Keep `parsed` (PARSED_SCHEMA rows, one per name) for the next run; files made by
    other code are removed."""
    return write_kept(cache_file(folder), parsed.select(list(PARSED_SCHEMA)), f"{PREFIX}*.parquet")


def read_reach_keys(folder: Path) -> pl.DataFrame | None:
    """The reach test's keys the last run kept (KEYS_SCHEMA rows), or None."""
    return read_kept(cache_file(folder, REACH_PREFIX), KEYS_SCHEMA)


def write_reach_keys(folder: Path, keys: pl.DataFrame) -> Path:
    """Keep the reach test's keys of the names a run met (KEYS_SCHEMA rows)."""
    path = cache_file(folder, REACH_PREFIX)
    return write_kept(path, keys.select(list(KEYS_SCHEMA)), f"{REACH_PREFIX}*.parquet")
