"""The citation measures of the last date a run measured, kept for the next run.

A later date updates them (citations.updated_measures) instead of measuring 3M patents
again. The file is named by a digest of the scoring model, the code that measures and
the polars version (the per-patent input hashes are polars'): after a change to any of
them the next run measures all. Which date kept them does not matter: each patent's
kept inputs say whether its measures still hold.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from capscore.core import patent
from capscore.indicators import citations, patent_facts
from capscore.indicators.citations import KEPT_SCHEMA
from capscore.storage.hashing import cached_file_sha256
from capscore.storage.kept_files import read_kept, write_kept
from capscore.storage.paths import DataRoot
from scoring_models.config import ScoringModel

CODE_FILES = tuple(Path(module.__file__ or "") for module in (citations, patent_facts, patent))
_PREFIX = "citations-"


def kept_citations_path(root: DataRoot, model: ScoringModel) -> Path:
    digest = hashlib.sha256(model.sha256.encode())
    for path in CODE_FILES:
        digest.update(cached_file_sha256(path).encode())
    digest.update(pl.__version__.encode())
    return root.cache / "patent_citations" / f"{_PREFIX}{digest.hexdigest()[:16]}.parquet"


def read_kept_citations(root: DataRoot, model: ScoringModel) -> pl.DataFrame | None:
    return read_kept(kept_citations_path(root, model), KEPT_SCHEMA)


def write_kept_citations(root: DataRoot, model: ScoringModel, kept: pl.DataFrame) -> Path:
    return write_kept(kept_citations_path(root, model), kept, f"{_PREFIX}*.parquet")
