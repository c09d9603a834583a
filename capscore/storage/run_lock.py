"""One run at a time per data root: an exclusive lock every writer takes.

The lock is `fcntl.flock` on `<root>/.capscore.lock`: the kernel releases it when
its holder dies, even by `kill -9`, so it never goes stale. The file says who
holds it (process, host, what, since when), so a refused caller can name the
holder. Within one process the lock is re-entrant: the CLI holds it for a whole
plan while each Dagster run it executes takes it again.

Taking the lock fresh (nobody held it) is the moment to clean up after a run
that was killed: its temporary files are removed (`storage.files`), and the
caller marks its runs failed (pipelines.runner).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from capscore.storage.files import TMP_SUFFIX
from capscore.storage.paths import DataRoot

LOCK_NAME = ".capscore.lock"
# Temporary files younger than this may belong to a writer that is not ours (an
# upload tool, an editor): only older ones are swept.
SWEEP_MIN_AGE_SECONDS = 60


class RootBusy(RuntimeError):
    """Another process holds the data root's lock."""


@dataclass
class _Held:
    fd: int
    depth: int


_HELD: dict[str, _Held] = {}


def lock_path(root: DataRoot) -> Path:
    return root.root / LOCK_NAME


def holder(root: DataRoot) -> str | None:
    """Who holds the lock (as its holder described itself), or None when it is free."""
    path = lock_path(root)
    if str(path) in _HELD:
        return f"this process ({os.getpid()})"
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(path)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "another process"
    return (
        f"{info.get('what', 'a run')} (pid {info.get('pid')} on {info.get('host')}, "
        f"since {info.get('since')})"
    )


@contextmanager
def root_lock(root: DataRoot, what: str) -> Iterator[bool]:
    """Hold the root's lock for the block; yields True when it was taken fresh (so the
    caller cleans up after a killed run), False when this process already held it.
    Raises RootBusy, naming the holder, when another process holds it."""
    root.root.mkdir(parents=True, exist_ok=True)
    path = lock_path(root)
    key = str(path)
    if key in _HELD:
        _HELD[key].depth += 1
        try:
            yield False
        finally:
            _HELD[key].depth -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise RootBusy(
            f"{root.root} is busy: {_describe(path)} holds it; try again when it is done"
        ) from None
    info = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "what": what,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(info).encode("utf-8"))
    _HELD[key] = _Held(fd, 1)
    try:
        sweep_temporary_files(root)
        yield True
    finally:
        del _HELD[key]
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def sweep_temporary_files(root: DataRoot, min_age: float = SWEEP_MIN_AGE_SECONDS) -> list[Path]:
    """Remove the temporary files a killed writer left (`.<name>.<id>.tmp`, and DuckDB's
    `.wal` beside them) under the places capscore writes; never under landing/."""
    now = time.time()
    removed = []
    for place in (root.lake, root.reports, root.published, root.cache, root.root):
        if not place.exists():
            continue
        pattern = "*" if place == root.root else "**/*"
        for path in place.glob(pattern):
            name = path.name
            if not (
                name.startswith(".")
                and (name.endswith(TMP_SUFFIX) or name.endswith(TMP_SUFFIX + ".wal"))
            ):
                continue
            if path.is_file() and now - path.stat().st_mtime >= min_age:
                path.unlink()
                removed.append(path)
    return removed
