"""Every as-of date is fresh after any failure: stale dates are found, named and rebuilt."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from assets import freshness
from assets.freshness import (
    AS_OF_TABLES,
    as_of_fingerprint,
    changed,
    fingerprint,
    reusable_date,
    stale_dates,
)
from capscore.entity_resolution import reference_files
from capscore.storage import tables
from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from pipelines.run_plan import plan_run

D1, D2 = date(2026, 11, 19), date(2026, 11, 20)
VERSIONS = {"scoring": "s1", "pool": "p1", "credit": "c1", "er": "e1"}


def _audit(root: DataRoot, day: date, files: dict[str, str]) -> None:
    rows = pl.DataFrame(
        {
            "file": list(files),
            "sha256": list(files.values()),
            "loaded_at": [datetime.now(UTC)] * len(files),
        }
    )
    write_partition(root, tables.LOAD_AUDIT, rows, "patents", day)
    (root.landing / "patents" / day.isoformat()).mkdir(parents=True, exist_ok=True)


def _build(root: DataRoot, day: date, upto: int | None = None) -> None:
    stamp = as_of_fingerprint(root, day)
    for table in AS_OF_TABLES[:upto]:
        write_partition(root, table, pl.DataFrame({"x": [1]}), day, fingerprint=stamp)


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def test_the_fingerprint_names_what_changed() -> None:
    audit = pl.DataFrame(
        {"partition_date": [D1, D2], "file": ["a", "b"], "sha256": ["1", "2"]},
        schema={"partition_date": pl.Date, "file": pl.String, "sha256": pl.String},
    )
    base = fingerprint(D1, audit, VERSIONS, None)
    assert changed(base, fingerprint(D1, audit, VERSIONS, None)) == []
    # A file landed after D1 changes nothing as of D1; a rewritten file before it does.
    later = audit.with_columns(
        pl.when(pl.col("file") == "b").then(pl.lit("9")).otherwise("sha256").alias("sha256")
    )
    assert changed(base, fingerprint(D1, later, VERSIONS, None)) == []
    earlier = audit.with_columns(pl.lit("9").alias("sha256"))
    assert changed(base, fingerprint(D1, earlier, VERSIONS, None)) == [
        "the landing files loaded up to the date changed"
    ]
    assert changed(base, fingerprint(D1, audit, {**VERSIONS, "scoring": "s2"}, None)) == [
        "a model or policy version (or the ER dictionaries) changed: scoring model s1 -> s2"
    ]
    # A fingerprint written before it named its versions still says that one moved.
    unnamed = json.dumps({k: v for k, v in json.loads(base).items() if k != "named_versions"})
    assert changed(unnamed, fingerprint(D1, audit, {**VERSIONS, "pool": "p2"}, None)) == [
        "a model or policy version (or the ER dictionaries) changed"
    ]
    decisions = pl.DataFrame(
        {"mention_key": ["m"], "credit_code": ["C"], "decided_at": [D2], "reviewer": ["li"]}
    )
    assert changed(base, fingerprint(D1, audit, VERSIONS, decisions)) == []  # decided after D1
    assert changed(
        fingerprint(D2, audit, VERSIONS, None), fingerprint(D2, audit, VERSIONS, decisions)
    ) == ["the reviewer decisions that apply on the date changed"]


def test_an_interrupted_build_and_a_late_drop_leave_stale_dates(root: DataRoot) -> None:
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    _build(root, D1)
    _build(root, D2, upto=5)  # the run stopped after five tables
    stale = stale_dates(root)
    assert list(stale) == [D2] and "not built yet" in stale[D2][0]
    _build(root, D2)
    assert stale_dates(root) == {}
    # A drop for D1 landing late (the audit now has it): both dates are out of date.
    _audit(
        root, D1, {"landing/patents/2026-11-19/a.csv": "1", "landing/patents/2026-11-19/b.csv": "2"}
    )
    stale = stale_dates(root)
    assert list(stale) == [D1, D2]
    # Each names the landing folder loaded since it was built.
    assert all(
        reasons
        == [
            "the landing files loaded up to the date changed: patents 2026-11-19 loaded since "
            "(from core/enterprise)"
        ]
        for reasons in stale.values()
    )
    plan = plan_run(root, D2, D2)
    assert plan.as_of_ranges == [(D1, D2)] and set(plan.stale) == {D1, D2}


def test_a_pool_built_before_the_pool_it_follows_is_stale(root: DataRoot) -> None:
    # Built out of order (D2 first, then D1, as single dates launched from the UI): D2's
    # grades were held against no D1, so D2 and every later date are stale.
    D3 = date(2026, 11, 21)
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    for day in (D2, D3, D1):
        _build(root, day)
    stale = stale_dates(root)
    assert list(stale) == [D2, D3]
    assert all("the pool of 2026-11-19" in reason for reason in stale[D2])
    assert any(a <= D2 and b >= D3 for a, b in plan_run(root, D3, D3).as_of_ranges)
    # Rebuilt in order, nothing is stale.
    for day in (D2, D3):
        _build(root, day)
    assert stale_dates(root) == {}


def test_an_edited_er_dictionary_makes_built_dates_stale(
    root: DataRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the real dictionaries, so the edit below touches no shipped file.
    copies = []
    for original in reference_files.REFERENCE_FILES:
        copy = tmp_path / "reference" / original.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(original.read_bytes())
        copies.append(copy)
    monkeypatch.setattr(
        freshness, "reference_digest", lambda: reference_files.reference_digest(tuple(copies))
    )
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    _build(root, D1)
    assert stale_dates(root) == {}
    romanization = next(c for c in copies if c.name == "romanization.yaml")
    text = romanization.read_text(encoding="utf-8")
    romanization.write_text(text + "\n# a comment changes nothing\n", encoding="utf-8")
    assert stale_dates(root) == {}
    legal_forms = "legal_forms: [factory, plant, works]"
    assert legal_forms in text
    romanization.write_text(
        text.replace(legal_forms, "legal_forms: [factory, plant]"), encoding="utf-8"
    )
    (reason,) = stale_dates(root)[D1]
    assert reason.startswith(
        "a model or policy version (or the ER dictionaries) changed: ER dictionaries (digest) "
    )


def test_a_refit_er_model_under_the_same_version_makes_built_dates_stale(
    root: DataRoot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "er_model.json"
    model.write_bytes(freshness.MODEL_JSON.read_bytes())
    monkeypatch.setattr(freshness, "MODEL_JSON", model)
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    _build(root, D1)
    assert stale_dates(root) == {}
    # Another threshold, the version label untouched: the links may differ.
    model.write_text(model.read_text(encoding="utf-8").replace('"match": 0.97', '"match": 0.9'))
    (reason,) = stale_dates(root)[D1]
    assert reason.startswith(
        "a model or policy version (or the ER dictionaries) changed: ER model file (sha256) "
    )


def test_a_date_built_by_other_code_is_kept_but_not_updated(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    _build(root, D1)
    assert reusable_date(root, D2, AS_OF_TABLES) == D1
    # A deploy: the dates built stay as published (not stale), but the next date is
    # made from scratch, not from a state the earlier code made.
    monkeypatch.setattr(freshness, "code_digest", lambda: "other code")
    assert stale_dates(root) == {}
    assert reusable_date(root, D2, AS_OF_TABLES) is None
    _build(root, D1)
    assert reusable_date(root, D2, AS_OF_TABLES) == D1


def test_the_code_digest_moves_with_a_source_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "assets").mkdir()
    source = tmp_path / "assets" / "stage.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(freshness, "_PROJECT", tmp_path)
    freshness.code_digest.cache_clear()
    try:
        before = freshness.code_digest()
        source.write_text("x = 2\n")
        freshness.code_digest.cache_clear()
        assert freshness.code_digest() != before
    finally:
        freshness.code_digest.cache_clear()


def test_status_names_a_date_other_code_built(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    _audit(root, D1, {"landing/patents/2026-11-19/a.csv": "1"})
    assert freshness.built_by_other_code(root) is None
    _build(root, D1)
    assert freshness.built_by_other_code(root) is None
    monkeypatch.setattr(freshness, "code_digest", lambda: "other code")
    assert freshness.built_by_other_code(root) == D1
