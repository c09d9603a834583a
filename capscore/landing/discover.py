"""Which files make up one landing partition, and what format each one is."""

from __future__ import annotations

from pathlib import Path

# Longest suffix first, so `a.csv.gz` is gzip-compressed CSV and not "unknown .gz".
FORMATS = ("csv.gz", "jsonl.gz", "csv", "jsonl", "parquet")


def file_format(name: str) -> str | None:
    """The landing format of a file name (`csv`, `csv.gz`, ...), None if unsupported."""
    lowered = name.lower()
    return next((fmt for fmt in FORMATS if lowered.endswith(f".{fmt}")), None)


def partition_files(folder: Path) -> list[Path]:
    """Every file of a drop, sorted by name (the order duplicate keys are resolved in).

    Unsupported names are returned too: the loader records them as rejected files
    instead of skipping them silently. A missing folder is an empty drop.
    """
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file()), key=lambda p: p.name)
