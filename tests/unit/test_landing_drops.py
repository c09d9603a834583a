"""The landing rules (capscore.landing.drops): decided from a listing, without a clock."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from capscore.landing.drops import (
    BROKEN,
    FILE,
    FOLDER,
    OTHER,
    Entry,
    Folder,
    Listing,
    Seen,
    decide,
    discover,
    fingerprints,
    is_temporary,
    landing_date,
    list_landing,
)
from capscore.storage.paths import DataRoot

S = 1_000_000_000
NOW = 1_800_000_000 * S


def file(name: str, age_seconds: float = 3600, kind: str = FILE, escapes: str | None = None):
    mtime = NOW - int(age_seconds * S)
    return Entry(name, kind, escapes, 8, mtime, mtime)


def folder(source: str, name: str, *children: Entry, kind: str = FOLDER) -> Folder:
    return Folder(source, Entry(name, kind), tuple(children))


def listing(*folders: Folder) -> Listing:
    sources = tuple((s, Entry(s, FOLDER)) for s in ("registry", "patents", "rd_records"))
    return Listing(sources, folders)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2026-11-21", date(2026, 11, 21)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2026-13-45", None),
        ("2026-02-29", None),
        ("20261121", None),
        ("2026-11-21 ", None),
        ("2026-11-21.bak", None),
        ("２０２６-11-21", None),  # full-width digits: a date to `\d`, not to a provider
    ],
)
def test_a_landing_date_is_a_strict_real_iso_date(name: str, expected: date | None) -> None:
    assert landing_date(name) == expected


@pytest.mark.parametrize(
    "name",
    [".a.csv", "~$a.csv", "a.csv.tmp", "a.csv.part", "a.PARTIAL", "a.crdownload", "a.filepart"],
)
def test_hidden_and_upload_temporaries_are_not_part_of_a_drop(name: str) -> None:
    assert is_temporary(name)
    assert not is_temporary("a.csv") and not is_temporary("_SUCCESS")


def test_folders_that_are_no_landing_date_are_rejected_with_the_reason_and_the_rest_loads():
    landing = decide(
        listing(
            folder("patents", "2026-11-20", file("a.csv")),
            folder("patents", "2026-13-45", file("a.csv"), file("b.csv"), file(".c.csv")),
            folder("patents", "20261121", file("a.csv")),
            Folder("registry", file("notes.csv")),
            folder("registry", ".staging", file("a.csv")),
        ),
        NOW,
    )
    assert landing.dates == [date(2026, 11, 20)]
    assert [(r.source, r.path) for r in landing.rejected] == [
        ("patents", "landing/patents/2026-13-45"),
        ("patents", "landing/patents/20261121"),
        ("registry", "landing/registry/notes.csv"),
    ]
    reasons = [r.reason for r in landing.rejected]
    assert "'2026-13-45' is not a real calendar date: its 2 file(s) are not loaded" in reasons[0]
    assert "not a date folder named YYYY-MM-DD" in reasons[1]
    assert "a file outside any date folder" in reasons[2]


def test_the_calendar_rejects_what_it_can_never_hold_and_defers_what_it_does_not_hold_yet():
    landing = decide(
        listing(
            folder("patents", "2019-12-31", file("a.csv")),
            folder("patents", "2026-11-20", file("a.csv")),
            folder("patents", "2026-11-22", file("a.csv")),
        ),
        NOW,
        first_day=date(2020, 1, 1),
        last_day=date(2026, 11, 21),
    )
    assert landing.dates == [date(2026, 11, 20)]
    assert [r.path for r in landing.rejected] == ["landing/patents/2019-12-31"]
    assert "before the first partition 2020-01-01" in landing.rejected[0].reason
    assert landing.ahead == ("landing/patents/2026-11-22",)


def test_a_drop_takes_its_files_in_name_order_and_refuses_what_it_cannot_read():
    landing = decide(
        listing(
            folder(
                "registry",
                "2026-11-20",
                file("b.csv"),
                file("a.jsonl"),
                file("c.csv.part"),
                file("link.csv", kind=OTHER, escapes="/etc/passwd"),
                file("gone.csv", kind=BROKEN),
                file("fifo", kind=OTHER),
                Entry("sub", FOLDER),
            )
        ),
        NOW,
    )
    drop = landing.drop("registry", date(2026, 11, 20))
    base = "landing/registry/2026-11-20"
    assert [f.path for f in drop.files] == [f"{base}/a.jsonl", f"{base}/b.csv"]
    assert drop.skipped == (f"{base}/c.csv.part",)
    refused = {r.path: r.reason for r in drop.refused}
    assert set(refused) == {f"{base}/link.csv", f"{base}/gone.csv", f"{base}/fifo", f"{base}/sub"}
    assert "outside the data root (to /etc/passwd): not followed" in refused[f"{base}/link.csv"]
    assert "a folder inside a drop" in refused[f"{base}/sub"]
    assert drop.paths == sorted([*refused, f"{base}/a.jsonl", f"{base}/b.csv"])


def test_a_date_folder_linked_out_of_the_root_is_a_refused_entry_of_its_date():
    linked = Folder("patents", Entry("2026-11-20", OTHER, "/mnt/elsewhere"))
    drop = decide(listing(linked), NOW).drop("patents", date(2026, 11, 20))
    assert drop.files == ()
    assert [r.path for r in drop.refused] == ["landing/patents/2026-11-20"]


def test_complete_means_a_success_marker_or_every_file_settled():
    fresh = folder("patents", "2026-11-20", file("a.csv"), file("b.csv", age_seconds=5))
    marked = folder("rd_records", "2026-11-20", file("a.csv", age_seconds=5), file("_SUCCESS", 5))
    landing = decide(listing(fresh, marked), NOW, settle_ns=60 * S)
    assert not landing.drop("patents", date(2026, 11, 20)).complete
    assert landing.drop("rd_records", date(2026, 11, 20)).complete
    assert [f.path for f in landing.drop("rd_records", date(2026, 11, 20)).files] == [
        "landing/rd_records/2026-11-20/a.csv"
    ]
    assert landing.incomplete_dates() == {date(2026, 11, 20)}
    # A run asked for on purpose does not wait.
    assert decide(listing(fresh), NOW, settle_ns=0).incomplete_dates() == set()


def test_no_folder_is_an_empty_drop():
    assert decide(listing(), NOW).drop("patents", date(2026, 11, 20)).files == ()


def test_listing_a_real_tree_never_fails_on_odd_entries(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "root")
    day = root.landing_partition("patents", "2026-11-20")
    day.mkdir(parents=True)
    (day / "a.csv").write_text("a\n1\n", encoding="utf-8")
    (day / "loop.csv").symlink_to(day / "loop.csv")
    (day / "dangling.csv").symlink_to(day / "missing.csv")
    (day / "inside.csv").symlink_to(day / "a.csv")
    (tmp_path / "out").mkdir()
    (root.landing_source("patents") / "2026-11-21").symlink_to(tmp_path / "out")
    os.mkfifo(day / "pipe")
    landing = discover(root, NOW)
    drop = landing.drop("patents", date(2026, 11, 20))
    assert [f.path for f in drop.files] == [
        "landing/patents/2026-11-20/a.csv",
        "landing/patents/2026-11-20/inside.csv",  # a link inside the root is followed
    ]
    assert sorted(r.path.rsplit("/", 1)[1] for r in drop.refused) == [
        "dangling.csv",
        "loop.csv",
        "pipe",
    ]
    assert [r.path for r in landing.drop("patents", date(2026, 11, 21)).refused] == [
        "landing/patents/2026-11-21"
    ]
    only = list_landing(root, ["patents"], [date(2026, 11, 20)])
    assert [f.entry.name for f in only.folders] == ["2026-11-20"]


def test_a_landing_folder_linked_out_of_the_root_is_rejected(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "root")
    (tmp_path / "elsewhere" / "2026-11-20").mkdir(parents=True)
    root.landing.mkdir(parents=True)
    root.landing_source("patents").symlink_to(tmp_path / "elsewhere")
    landing = discover(root, NOW)
    assert landing.drops == ()
    assert [r.path for r in landing.rejected] == ["landing/patents"]


def test_fingerprints_hash_touched_files_and_keep_known_hashes(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    day = root.landing_partition("patents", "2026-11-20")
    day.mkdir(parents=True)
    (day / "a.csv").write_text("a\n1\n", encoding="utf-8")
    drops = discover(root, NOW).drops
    fresh = fingerprints(root, drops, {}, NOW)
    path = "landing/patents/2026-11-20/a.csv"
    assert fresh[path].sha256 is not None and len(fresh[path].sha256 or "") == 64
    # Hashed long after its last change: trusted; hashed before it: hashed again.
    trusted = fingerprints(root, drops, {path: Seen("old", 2**62)}, NOW)
    assert trusted[path].sha256 == "old"
    stale = fingerprints(root, drops, {path: Seen("old", 0)}, NOW)
    assert stale[path].sha256 == fresh[path].sha256


def test_a_landing_root_linked_out_of_the_data_root_is_rejected(tmp_path: Path) -> None:
    root = DataRoot(tmp_path / "root")
    (tmp_path / "mount" / "patents" / "2026-11-20").mkdir(parents=True)
    root.root.mkdir()
    root.landing.symlink_to(tmp_path / "mount")
    landing = discover(root, NOW)
    assert landing.drops == ()
    assert [r.path for r in landing.rejected] == ["landing/patents"]
    assert "outside the data root" in landing.rejected[0].reason
