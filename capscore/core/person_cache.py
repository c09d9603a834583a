"""The names core and entity resolution have classified (personal.PersonNames: patent
applicants, R&D filers), kept for the next run.

Named by a digest of the applicant-kind rule (its code and markers) and the libraries
it reads names with (polars, OpenCC): after a change to any of them the next run
classifies every name again. Which date kept them does not matter: a name's kind
depends on the name alone.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import version
from pathlib import Path

import polars as pl

from capscore.core import applicant_kinds
from capscore.core.applicant_kinds import APPLICANT_KINDS_YAML
from capscore.core.personal import PERSON_NAMES, PersonNames
from capscore.storage.hashing import cached_file_sha256
from capscore.storage.kept_files import read_kept, write_kept
from capscore.storage.paths import DataRoot

_PREFIX = "persons-"


def kept_person_names_path(root: DataRoot) -> Path:
    digest = hashlib.sha256()
    for path in (Path(applicant_kinds.__file__ or ""), APPLICANT_KINDS_YAML):
        digest.update(cached_file_sha256(path).encode())
    digest.update(f"{pl.__version__} {version('opencc')}".encode())
    return root.cache / "applicant_kinds" / f"{_PREFIX}{digest.hexdigest()[:16]}.parquet"


def read_person_names(
    root: DataRoot, full: bool = False, among: pl.Series | None = None
) -> PersonNames:
    """The names kept by the last run (none for a `full` run, which classifies all);
    only those `among` (names as written) when given: a step that reads R&D filers
    need not hold the million patent applicants."""
    kept = None if full else read_kept(kept_person_names_path(root), PERSON_NAMES)
    if kept is not None and among is not None:
        wanted = among.drop_nulls().str.strip_chars().unique().to_frame("name")
        kept = kept.join(wanted, on="name", how="semi")
    return PersonNames() if kept is None else PersonNames(kept)


def write_person_names(root: DataRoot, names: PersonNames) -> Path | None:
    """Add the names `names` met since it was read to the kept ones, if any."""
    met = names.known.slice(names.read)
    if met.is_empty():
        return None
    path = kept_person_names_path(root)
    kept = read_kept(path, PERSON_NAMES)
    every = met if kept is None else pl.concat([kept, met]).unique("name", keep="last")
    return write_kept(path, every, f"{_PREFIX}*.parquet")
