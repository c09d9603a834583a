"""The citation measures a run keeps for the next: read back only for the same scoring
model and code, and a file that is unreadable or of other columns is a miss."""

import dataclasses
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from capscore.indicators.citation_cache import (
    kept_citations_path,
    read_kept_citations,
    write_kept_citations,
)
from capscore.indicators.citations import KEPT_SCHEMA
from capscore.storage.paths import DataRoot
from tests.models_v1 import scoring_v1

MODEL = scoring_v1()
KEPT = pl.DataFrame(
    {
        "application_number": ["CN202010000001.1"],
        "inputs": [7],
        "cited_applications": [["CN201910000002.X"]],
        "forward_citations_5y": [2],
        "generality": [0.5],
        "originality": [None],
        "radicalness": [1.0],
    },
    schema=KEPT_SCHEMA,
)


def test_kept_measures_read_back_for_the_same_model(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    assert read_kept_citations(root, MODEL) is None
    write_kept_citations(root, MODEL, KEPT)
    read = read_kept_citations(root, MODEL)
    assert read is not None
    assert_frame_equal(read, KEPT)


def test_another_model_misses_and_its_file_replaces_the_old(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    write_kept_citations(root, MODEL, KEPT)
    other = dataclasses.replace(MODEL, sha256="0" * 64)
    assert read_kept_citations(root, other) is None
    write_kept_citations(root, other, KEPT)
    assert not kept_citations_path(root, MODEL).exists()
    assert [p.name for p in kept_citations_path(root, other).parent.iterdir()] == [
        kept_citations_path(root, other).name
    ]


def test_an_unreadable_file_or_other_columns_is_a_miss(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    path = write_kept_citations(root, MODEL, KEPT)
    path.write_bytes(b"not parquet")
    assert read_kept_citations(root, MODEL) is None
    KEPT.drop("radicalness").write_parquet(path)
    assert read_kept_citations(root, MODEL) is None
