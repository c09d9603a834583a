"""Writing a frame as one Parquet file.

Polars writes a list-of-text column held in one long in-memory chunk (what a sort
or a join leaves) in many small pages, each compressed on its own: slow and large.
Handed the same rows as slices of 65,536 (views, nothing copied) it writes few
pages. Measured at 1M firms, 2026-12-07: the credit limits' `reasons` (3M rows)
2.1-3.0 s and 7.5 MB in one chunk, 0.4-0.7 s and 5.3 MB in slices; the whole credit
partition 2.1 -> 1.2 s, the score reasons 1.8 -> 1.2 s, the kept patent citations
1.3 -> 0.8 s. Frames without a list column write as fast either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

SLICE_ROWS = 65_536


def _has_list(frame: pl.DataFrame) -> bool:
    return any(isinstance(dtype, pl.List) for dtype in frame.schema.values())


def write_parquet(frame: pl.DataFrame, path: Path, **options: Any) -> None:
    """`frame.write_parquet(path, **options)`, a frame with a list column in slices."""
    if _has_list(frame) and frame.height > SLICE_ROWS:
        frame = pl.concat(frame.iter_slices(SLICE_ROWS), rechunk=False)
    frame.write_parquet(path, **options)
