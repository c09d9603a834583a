"""What a drop is: the one rule for which landing folders are landing dates and
which files form each day's drop, used by the landing sensor, `capscore run` /
`backfill` (pipelines.run_plan) and the ingest assets.

Layout: `<data root>/landing/<source>/<YYYY-MM-DD>/<file>`.

Rules
- Sources are `registry`, `patents`, `rd_records`; other folders under
  `landing/` are not looked at.
- A date folder's name must be a real ISO date `YYYY-MM-DD` (`2026-13-45` and
  `20261121` are not) on or after the first partition (2020-01-01). Any other
  entry directly under `landing/<source>/` (a folder with another name, a
  stray file) is *rejected*: never loaded, recorded in `quality.load_audit`
  (status `rejected`, `partition_date` null, `file` = the entry, `error` = why)
  and logged, and the rest of the landing loads.
- A date folder that is not a partition yet (ahead of the calendar) waits.
- Hidden entries (`.x`) and editor/upload temporaries (`~x`, `*.tmp`, `*.part`,
  `*.partial`, `*.crdownload`, `*.filepart`) are not part of a drop yet: they
  are skipped until renamed (at every level).
- A symlink (file or folder) that resolves outside the data root is refused,
  never followed: recorded with the reason like a rejected file (in the drop's
  date when it has one). This holds for `landing/` and `landing/<source>/`
  too: they must lie inside the data root. So are broken symlinks, sub-folders inside a date
  folder (files sit directly in it) and entries that are not regular files.
  Symlinks that stay inside the data root are followed.
- Complete: a drop (one source, one date) is complete when its folder holds a
  `_SUCCESS` marker, else when every file of it has been unchanged (mtime) for
  the settle period. The landing sensor waits for a date until all of its drops
  are complete (`CAPSCORE_LANDING_SETTLE_SECONDS`, default 60 s). A run
  started on purpose (`capscore run` / `backfill`, the ingest asset itself)
  uses a settle of 0: it loads every drop file present when it reads them.
- A file's content is identified by the sha256 of its bytes, recorded per file
  in `quality.load_audit.sha256`. When a landing date's files (names or
  hashes) differ from what the audit recorded for it, the whole landing date is
  ingested again: the new version replaces the old rows of that date (ingest
  writes whole partitions), and the as-of dates from it on are rebuilt. So a
  file that was read while still being written (a half-uploaded JSONL under
  its final name) is loaded again, whole, once the upload finishes: it is never
  left loaded in part.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from capscore.storage.paths import DataRoot
from capscore.storage.tables import SOURCES

MARKER = "_SUCCESS"
SETTLE_ENV = "CAPSCORE_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60.0
TEMPORARY_PREFIXES = (".", "~")
TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")
# A file whose last change is this close to (or after) the moment its hash was
# taken is hashed again: file servers' clocks drift, coarse timestamps lag.
HASH_TRUST_MARGIN_NS = 300 * 1_000_000_000
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CHUNK = 1 << 20

FILE, FOLDER, OTHER, BROKEN = "file", "folder", "other", "broken"


@dataclass(frozen=True)
class Entry:
    """One directory entry as listed (a symlink's target is stat-ed, not the link)."""

    name: str
    kind: str  # FILE, FOLDER, OTHER or BROKEN
    escapes_to: str | None = None  # target of a symlink resolving outside the data root
    size: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0


@dataclass(frozen=True)
class Folder:
    """`landing/<source>/<name>`: the entry and, for a folder inside the root, its entries."""

    source: str
    entry: Entry
    children: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class Listing:
    sources: tuple[tuple[str, Entry | None], ...]  # None: no such source folder
    folders: tuple[Folder, ...]


@dataclass(frozen=True)
class DropFile:
    path: str  # relative to the data root, as it sits under landing/
    size: int
    mtime_ns: int
    ctime_ns: int


@dataclass(frozen=True)
class Refused:
    """An entry that is not loaded, and why; `source` says whose audit records it."""

    source: str
    path: str
    reason: str


@dataclass(frozen=True)
class Drop:
    source: str
    day: date
    files: tuple[DropFile, ...] = ()  # in name order: the order duplicate keys resolve in
    refused: tuple[Refused, ...] = ()
    skipped: tuple[str, ...] = ()  # temporaries: not part of the drop yet
    has_marker: bool = False
    complete: bool = True

    @property
    def paths(self) -> list[str]:
        """Every path the audit lists for this drop: loaded files and refused entries."""
        return sorted([f.path for f in self.files] + [r.path for r in self.refused])


@dataclass(frozen=True)
class Landing:
    drops: tuple[Drop, ...]
    rejected: tuple[Refused, ...]  # entries under landing/<source>/ that are no landing date
    ahead: tuple[str, ...] = ()  # date folders that are not partitions yet

    @cached_property
    def _index(self) -> dict[tuple[str, date], Drop]:
        return {(d.source, d.day): d for d in self.drops}

    @property
    def dates(self) -> list[date]:
        return sorted({d.day for d in self.drops})

    def drop(self, source: str, day: date) -> Drop:
        """The drop of `source` on `day`; no folder is an empty drop."""
        return self._index.get((source, day)) or Drop(source, day)

    def incomplete_dates(self) -> set[date]:
        return {d.day for d in self.drops if not d.complete}


def is_temporary(name: str) -> bool:
    """Hidden files and editor/upload temporaries: not part of a drop yet."""
    return name.startswith(TEMPORARY_PREFIXES) or name.lower().endswith(TEMPORARY_SUFFIXES)


def landing_date(name: str) -> date | None:
    """The date a folder name stands for: strictly `YYYY-MM-DD` and a real calendar day."""
    if not _ISO_DATE.match(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def _not_a_date(name: str) -> str:
    if _ISO_DATE.match(name):
        return f"{name!r} is not a real calendar date"
    return f"{name!r} is not a date folder named YYYY-MM-DD (e.g. 2026-11-21)"


def _refusal(entry: Entry) -> str | None:
    """Why an entry cannot be read whatever its name, None if it can."""
    if entry.escapes_to is not None:
        return f"symlink resolving outside the data root (to {entry.escapes_to}): not followed"
    if entry.kind == BROKEN:
        return "broken symlink or unreadable entry"
    if entry.kind == OTHER:
        return "not a regular file"
    return None


def _drop(folder: Folder, day: date, prefix: str, now_ns: int, settle_ns: int) -> Drop:
    source = folder.source
    refused_folder = _refusal(folder.entry)
    if refused_folder is not None:
        return Drop(source, day, refused=(Refused(source, prefix, f"{prefix}: {refused_folder}"),))
    files: list[DropFile] = []
    refused: list[Refused] = []
    skipped: list[str] = []
    marker = False
    for child in sorted(folder.children, key=lambda e: e.name):
        path = f"{prefix}/{child.name}"
        if child.name == MARKER:
            marker = True
        elif is_temporary(child.name):
            skipped.append(path)
        elif (why := _refusal(child)) is not None:
            refused.append(Refused(source, path, f"{path}: {why}"))
        elif child.kind == FOLDER:
            reason = f"{path}: a folder inside a drop; files must sit directly in {prefix}/"
            refused.append(Refused(source, path, reason))
        else:
            files.append(DropFile(path, child.size, child.mtime_ns, child.ctime_ns))
    settled = settle_ns <= 0 or all(now_ns - f.mtime_ns >= settle_ns for f in files)
    return Drop(
        source,
        day,
        tuple(files),
        tuple(refused),
        tuple(skipped),
        has_marker=marker,
        complete=marker or settled,
    )


def _rejected_folder(folder: Folder, prefix: str, why: str) -> Refused:
    entry = folder.entry
    refused = _refusal(entry)
    if refused is not None:
        why = f"{refused}, and {why}"
    elif entry.kind == FILE:
        why = "a file outside any date folder"
    else:
        held = sum(1 for c in folder.children if not is_temporary(c.name))
        why = f"{why}: its {held} file(s) are not loaded" if held else f"{why} (empty)"
    hint = f"drops belong in landing/{folder.source}/<YYYY-MM-DD>/"
    return Refused(folder.source, prefix, f"{prefix}: {why}; {hint}")


def decide(
    listing: Listing,
    now_ns: int,
    settle_ns: int = 0,
    first_day: date | None = None,
    last_day: date | None = None,
) -> Landing:
    """The drops, rejected entries and waiting folders of a listing (pure: no clock, no disk).

    `first_day` .. `last_day` is the partition calendar: earlier dates can never
    be loaded (rejected), later ones are not partitions yet (waiting).
    """
    drops: list[Drop] = []
    rejected: list[Refused] = []
    ahead: list[str] = []
    for source, entry in listing.sources:
        if entry is None:
            continue
        why = _refusal(entry) or (None if entry.kind == FOLDER else "not a folder")
        if why is not None:
            rejected.append(Refused(source, f"landing/{source}", f"landing/{source}: {why}"))
    for folder in listing.folders:
        name = folder.entry.name
        prefix = f"landing/{folder.source}/{name}"
        if is_temporary(name):
            continue
        day = landing_date(name)
        if day is None or folder.entry.kind == FILE:
            rejected.append(_rejected_folder(folder, prefix, _not_a_date(name)))
        elif first_day is not None and day < first_day:
            why = f"{name} is before the first partition {first_day}"
            rejected.append(_rejected_folder(folder, prefix, why))
        elif last_day is not None and day > last_day:
            ahead.append(prefix)
        else:
            drops.append(_drop(folder, day, prefix, now_ns, settle_ns))
    drops.sort(key=lambda d: (d.day, d.source))
    rejected.sort(key=lambda r: r.path)
    return Landing(tuple(drops), tuple(rejected), tuple(sorted(ahead)))


def _entry(path: Path, root: Path, resolve: bool = False) -> Entry:
    """`resolve`: check where the path leads even if it is no link itself (a parent may be)."""
    try:
        if resolve or path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(root):
                return Entry(path.name, OTHER, escapes_to=str(target))
        info = path.stat()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return Entry(path.name, BROKEN)
    if stat.S_ISDIR(info.st_mode):
        kind = FOLDER
    elif stat.S_ISREG(info.st_mode):
        kind = FILE
    else:
        kind = OTHER
    return Entry(path.name, kind, None, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _children(path: Path, entry: Entry, root: Path) -> tuple[Entry, ...]:
    if entry.kind != FOLDER or entry.escapes_to is not None:
        return ()
    try:
        return tuple(_entry(child, root) for child in path.iterdir())
    except OSError:
        return ()


def list_landing(
    root: DataRoot, sources: Sequence[str] = SOURCES, days: Collection[date] | None = None
) -> Listing:
    """Stat the landing folders (all, or only those of `days`); reads no file content."""
    real_root = root.root.resolve()
    listed: list[tuple[str, Entry | None]] = []
    folders: list[Folder] = []
    for source in sources:
        source_dir = root.landing_source(source)
        if not source_dir.exists() and not source_dir.is_symlink():
            listed.append((source, None))
            continue
        entry = _entry(source_dir, real_root, resolve=True)
        listed.append((source, entry))
        if entry.kind != FOLDER or entry.escapes_to is not None:
            continue
        if days is None:
            try:
                paths: Iterable[Path] = sorted(source_dir.iterdir())
            except OSError:
                paths = ()
        else:
            paths = (source_dir / day.isoformat() for day in sorted(days))
        for path in paths:
            if not path.exists() and not path.is_symlink():
                continue
            child = _entry(path, real_root)
            folders.append(Folder(source, child, _children(path, child, real_root)))
    return Listing(tuple(listed), tuple(folders))


def discover(
    root: DataRoot,
    now_ns: int,
    settle_ns: int = 0,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    sources: Sequence[str] = SOURCES,
    days: Collection[date] | None = None,
) -> Landing:
    """The landing of a data root under the rules above (`days`: only those dates' folders)."""
    return decide(list_landing(root, sources, days), now_ns, settle_ns, first_day, last_day)


def settle_seconds_from_env() -> float:
    raw = os.environ.get(SETTLE_ENV, "").strip()
    if not raw:
        return DEFAULT_SETTLE_SECONDS
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{SETTLE_ENV}={raw!r} is not a number of seconds") from exc
    if value < 0:
        raise ValueError(f"{SETTLE_ENV} must be >= 0, got {value}")
    return value


# ---- content identity -------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """A file's content had this sha256 (None: unknown or unreadable) at `at_ns`."""

    sha256: str | None
    at_ns: int


def sha256_of(path: Path) -> str | None:
    """sha256 of a file's bytes, None if it cannot be read (the loader records why)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def still_known(file: DropFile, seen: Seen | None) -> bool:
    """The file has not been touched since its hash was taken, so the hash still holds.

    ctime moves on any write (and cannot be set back, unlike mtime), so a copy
    that keeps the old mtime is still noticed.
    """
    if seen is None:
        return False
    touched = max(file.mtime_ns, file.ctime_ns)
    if seen.sha256 is None:
        # No hash to check against (an audit row from before hashes, or a file that
        # could not be read): untouched since then is all there is to go by.
        return touched <= seen.at_ns
    return touched < seen.at_ns - HASH_TRUST_MARGIN_NS


def fingerprints(
    root: DataRoot, drops: Iterable[Drop], known: Mapping[str, Seen], now_ns: int
) -> dict[str, Seen]:
    """path -> content identity of every file and refused entry of `drops`.

    A file untouched since `known` hashed it keeps that hash; others are hashed
    now. Refused entries have no content (sha256 None), as in the audit.
    """
    out: dict[str, Seen] = {}
    for drop in drops:
        for file in drop.files:
            seen = known.get(file.path)
            if seen is not None and still_known(file, seen):
                out[file.path] = seen
            else:
                out[file.path] = Seen(sha256_of(root.root / file.path), now_ns)
        for refused in drop.refused:
            out[refused.path] = Seen(None, now_ns)
    return out
