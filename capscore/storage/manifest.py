"""The `_manifest.json` beside each credit_limit partition, for the downstream credit system.

The credit system reads `lake/credit/credit_limit/as_of_date=D/part-0.parquet`;
the manifest lets it check it got the whole file the pipeline wrote (row count,
sha256) and which policy made it. The Parquet file is replaced first, the
manifest last, each by an atomic rename: between the two a reader sees a
mismatch, which means "being rewritten, retry", never a half-written file.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from capscore.storage.files import atomic_write_text
from capscore.storage.hashing import file_sha256

MANIFEST_NAME = "_manifest.json"
PARTITION_KEY = "as_of_date"


class ManifestError(ValueError):
    """A credit_limit partition that does not match its manifest."""


def write_manifest(
    parquet_path: Path, policy_version: str, as_of: date, written_at: datetime | None = None
) -> Path:
    """Describe the partition file `parquet_path` in `_manifest.json` next to it."""
    manifest = {
        "file": parquet_path.name,
        "row_count": pl.scan_parquet(parquet_path).select(pl.len()).collect().item(),
        "sha256": file_sha256(parquet_path),
        "policy_version": policy_version,
        "as_of_date": as_of.isoformat(),
        "written_at": (written_at or datetime.now(UTC)).isoformat(),
    }
    target = parquet_path.with_name(MANIFEST_NAME)
    atomic_write_text(target, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return target


def verify_partition(path: str | os.PathLike[str]) -> None:
    """Raise ManifestError unless the partition folder (or a file in it) matches its manifest.

    Checks the sha256 and row count of the Parquet file, that the as_of_date
    agrees with the folder name, and that every row carries the manifest's
    policy_version.
    """
    folder = Path(path)
    if not folder.is_dir():
        folder = folder.parent
    manifest_path = folder / MANIFEST_NAME
    if not manifest_path.exists():
        raise ManifestError(f"{folder}: no {MANIFEST_NAME}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        parquet = folder / manifest["file"]
        expected = {k: manifest[k] for k in ("row_count", "sha256", "policy_version", "as_of_date")}
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ManifestError(f"{manifest_path}: unreadable manifest ({exc})") from exc
    if not parquet.exists():
        raise ManifestError(f"{folder}: manifest names {parquet.name}, which does not exist")
    actual_sha = file_sha256(parquet)
    if actual_sha != expected["sha256"]:
        raise ManifestError(
            f"{parquet}: sha256 {actual_sha} does not match the manifest's {expected['sha256']}"
        )
    folder_key = f"{PARTITION_KEY}={expected['as_of_date']}"
    if folder.name.startswith(f"{PARTITION_KEY}=") and folder.name != folder_key:
        raise ManifestError(f"{folder}: manifest is for {folder_key}")
    versions = pl.read_parquet(parquet, columns=["policy_version"])["policy_version"]
    if versions.len() != expected["row_count"]:
        raise ManifestError(
            f"{parquet}: {versions.len()} rows, the manifest says {expected['row_count']}"
        )
    stray = sorted(set(versions.drop_nulls().unique().to_list()) - {expected["policy_version"]})
    if stray or versions.null_count():
        raise ManifestError(
            f"{parquet}: rows carry policy versions {stray or [None]}, "
            f"the manifest says {expected['policy_version']}"
        )
