"""What format a landing file is (which files form a drop: `landing.drops`)."""

from __future__ import annotations

# Longest suffix first, so `a.csv.gz` is gzip-compressed CSV and not "unknown .gz".
FORMATS = ("csv.gz", "jsonl.gz", "csv", "jsonl", "parquet")


def file_format(name: str) -> str | None:
    """The landing format of a file name (`csv`, `csv.gz`, ...), None if unsupported."""
    lowered = name.lower()
    return next((fmt for fmt in FORMATS if lowered.endswith(f".{fmt}")), None)
