"""Versioned model files: a YAML's content is pinned to its `version:` in versions.lock.

Every output row carries the version of the model that made it, so a version
must name exactly one content. `versions.lock` records, per version, the
sha256 of the file's *parsed* content (canonical JSON: sorted keys, no
whitespace), so editing a comment or re-indenting does not count as a change,
while any changed value, weight or band does. Loading a file whose content
differs from the hash locked for its version is refused: bump `version:` and
lock the new version (`python -m scoring_models.versioning lock FILE`). Old
versions stay in the lock, so a version can never be reused for other content.

Lock format, one entry per line (`#` starts a comment):
    <version> <sha256 hex> <file name>
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOCK_FILE = Path(__file__).with_name("versions.lock")


class VersionLockError(ValueError):
    """A model file whose content does not match the hash locked for its version."""


@dataclass(frozen=True)
class VersionedConfig:
    path: Path
    version: str
    sha256: str
    data: dict[str, Any]


@dataclass(frozen=True)
class LockEntry:
    version: str
    sha256: str
    file: str


def content_sha256(data: Any) -> str:
    canonical = json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def read_lock(lock_path: Path = LOCK_FILE) -> dict[str, LockEntry]:
    """version -> entry; an absent lock file is an empty lock."""
    if not lock_path.exists():
        return {}
    entries: dict[str, LockEntry] = {}
    for number, line in enumerate(lock_path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 3:
            raise VersionLockError(
                f"{lock_path}:{number}: expected '<version> <sha256> <file>', got {line!r}"
            )
        version, digest, file = parts
        if version in entries and entries[version].sha256 != digest:
            raise VersionLockError(f"{lock_path}:{number}: version {version!r} is locked twice")
        entries[version] = LockEntry(version, digest, file)
    return entries


def _parse(path: Path) -> tuple[dict[str, Any], str]:
    # libyaml's loader: the same data, a model YAML in 4 ms instead of 30 (every as-of
    # fingerprint loads the models).
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if not isinstance(data, dict):
        raise VersionLockError(f"{path}: expected a YAML mapping at the top level")
    version = data.get("version")
    if not isinstance(version, str) or not version.strip() or any(c.isspace() for c in version):
        raise VersionLockError(f"{path}: needs a `version:` string without spaces")
    return data, version


def load_versioned_yaml(path: str | Path, lock_path: Path = LOCK_FILE) -> VersionedConfig:
    """Parse a model YAML and check its content against the hash locked for its version."""
    path = Path(path)
    data, version = _parse(path)
    digest = content_sha256(data)
    entry = read_lock(lock_path).get(version)
    if entry is None:
        raise VersionLockError(
            f"{path}: version {version!r} is not in {lock_path.name}; after review, lock it with "
            f"`python -m scoring_models.versioning lock {path}`"
        )
    if entry.sha256 != digest:
        raise VersionLockError(
            f"{path}: content changed but `version: {version}` did not (locked sha256 "
            f"{entry.sha256[:12]}…, file has {digest[:12]}…). Outputs carry the version, so "
            f"a changed model needs a new version: bump `version:` and lock it."
        )
    return VersionedConfig(path=path, version=version, sha256=digest, data=data)


def lock(path: str | Path, lock_path: Path = LOCK_FILE) -> LockEntry:
    """Record `path`'s version and content hash; refuses to re-point a locked version."""
    path = Path(path)
    data, version = _parse(path)
    digest = content_sha256(data)
    entries = read_lock(lock_path)
    existing = entries.get(version)
    if existing is not None:
        if existing.sha256 != digest:
            raise VersionLockError(
                f"{path}: version {version!r} is already locked with other content "
                f"({existing.file}); bump `version:` instead of re-locking it"
            )
        return existing
    entry = LockEntry(version, digest, path.name)
    header = "" if lock_path.exists() else "# <version> <sha256 of canonical content> <file>\n"
    with lock_path.open("a", encoding="utf-8") as fh:
        fh.write(f"{header}{entry.version} {entry.sha256} {entry.file}\n")
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring_models.versioning")
    parser.add_argument("command", choices=["lock", "check"])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for file in args.files:
        if args.command == "lock":
            entry = lock(file)
            print(f"locked {entry.version} {entry.sha256} {file}")
        else:
            config = load_versioned_yaml(file)
            print(f"ok {config.version} {config.sha256} {file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
