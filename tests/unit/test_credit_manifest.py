from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.storage.lake import export_partition, snapshot, write_export, write_partition
from capscore.storage.manifest import MANIFEST_NAME, ManifestError, verify_partition, write_manifest
from capscore.storage.paths import DataRoot
from capscore.storage.tables import CREDIT_EXPORT, CREDIT_LIMIT

D = date(2026, 11, 20)


def written(tmp_path: Path, version: str = "credit_policy_v1") -> Path:
    limits = pl.DataFrame(
        {
            "credit_code": ["a", "a", "b"],
            "product": ["tech_credit", "ip_pledge", "tech_credit"],
            "limit_wan": [100.0, 20.0, 0.0],
            "policy_version": [version] * 3,
        }
    )
    path = write_export(DataRoot(tmp_path), CREDIT_EXPORT, limits, D)
    write_manifest(path, "credit_policy_v1", D)
    return path


def test_a_fresh_partition_verifies_and_the_manifest_says_what_it_holds(tmp_path: Path) -> None:
    path = written(tmp_path)
    verify_partition(path.parent)
    verify_partition(path)  # the file itself is accepted too
    manifest = json.loads((path.parent / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert path.parent.name == "as_of_date=2026-11-20"
    assert manifest["row_count"] == 3
    assert manifest["policy_version"] == "credit_policy_v1"
    assert manifest["as_of_date"] == "2026-11-20"
    assert len(manifest["sha256"]) == 64
    assert {"written_at", "file"} <= set(manifest)
    # no temporary files left behind
    assert sorted(p.name for p in path.parent.iterdir()) == [MANIFEST_NAME, "part-0.parquet"]


def test_tampered_bytes_fail(tmp_path: Path) -> None:
    path = written(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ManifestError, match="sha256"):
        verify_partition(path.parent)


def test_a_rewritten_file_with_other_rows_fails(tmp_path: Path) -> None:
    path = written(tmp_path)
    pl.read_parquet(path).head(2).write_parquet(path)
    with pytest.raises(ManifestError, match="sha256"):
        verify_partition(path.parent)


def test_a_manifest_edited_to_match_other_rows_fails(tmp_path: Path) -> None:
    path = written(tmp_path)
    manifest_path = path.parent / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "row_count": 4}), encoding="utf-8")
    with pytest.raises(ManifestError, match="3 rows"):
        verify_partition(path.parent)
    manifest_path.write_text(json.dumps({**manifest, "as_of_date": "2026-11-21"}), encoding="utf-8")
    with pytest.raises(ManifestError, match="2026-11-21"):
        verify_partition(path.parent)


def test_rows_of_another_policy_fail(tmp_path: Path) -> None:
    path = written(tmp_path, version="credit_policy_v0")
    with pytest.raises(ManifestError, match="credit_policy_v0"):
        verify_partition(path.parent)


def test_missing_or_broken_manifest_fails(tmp_path: Path) -> None:
    path = written(tmp_path)
    manifest_path = path.parent / MANIFEST_NAME
    manifest_path.write_text("{", encoding="utf-8")
    with pytest.raises(ManifestError, match="unreadable"):
        verify_partition(path.parent)
    manifest_path.unlink()
    with pytest.raises(ManifestError, match=r"no _manifest\.json"):
        verify_partition(path.parent)


def test_the_export_is_the_delta_partition_file_stored_once(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    first = pl.DataFrame({"credit_code": ["a", "b"], "limit_wan": [100.0, 0.0]})
    write_partition(root, CREDIT_LIMIT, first, D)
    path = export_partition(root, CREDIT_LIMIT, CREDIT_EXPORT, D)
    pinned = snapshot(root, CREDIT_LIMIT)
    assert pinned is not None
    (delta_file,) = (Path(f) for f in pinned[1])
    assert path.stat().st_ino == delta_file.stat().st_ino
    assert pl.read_parquet(path).equals(first)

    # A rerun replaces the export; the files an analyst's snapshot pins keep their rows.
    write_partition(root, CREDIT_LIMIT, first.head(1), D)
    again = export_partition(root, CREDIT_LIMIT, CREDIT_EXPORT, D)
    assert pl.read_parquet(again).equals(first.head(1))
    assert pl.read_parquet(delta_file).equals(first)
    assert sorted(p.name for p in again.parent.iterdir()) == ["part-0.parquet"]
