"""History drops (--history-years), the hidden capability and its truth file.

The landing files are read back with the independent reader of
test_sample_data_generate; the truth is truth/enterprise_capability.parquet.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from capscore.sample_data.calendar import build_calendar
from capscore.sample_data.generate import generate
from pipelines.cli import build_parser
from tests.unit.test_sample_data_generate import _parse, check_rows_against_truth, read_rows

END = date(2026, 11, 20)
WINDOW = [date(2026, 11, d) for d in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20)]
HISTORY = 2
OWN_DATE = {
    "registry": "snapshot_date",
    "patents": "publication_date",
    "rd_records": "reported_date",
}
CLOSED = {"迁出", "停业", "吊销", "注销"}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history")
    generate(root, 1500, seed=21, history_years=HISTORY)
    return root


def _rows(root: Path, source: str) -> list[dict[str, Any]]:
    """Parsed rows of a source with their landing date (`_landing`) and file (`_file`)."""
    out = []
    for path in sorted((root / "landing" / source).rglob("*.*")):
        landing = date.fromisoformat(path.parts[-2])
        _, rows = read_rows(path)
        for row in rows:
            assert row is not None
            parsed = {k: _parse(k, v) for k, v in row.items() if k.isascii()}
            out.append({**parsed, "_landing": landing, "_file": path.name})
    return out


@pytest.fixture(scope="module")
def registry(root: Path) -> pl.DataFrame:
    columns = ("credit_code", "status", "hnte_valid_until", "srdi_level", "snapshot_date")
    rows = [{c: r.get(c) for c in (*columns, "_landing")} for r in _rows(root, "registry")]
    schema = {c: pl.String for c in columns} | {
        "hnte_valid_until": pl.Date,
        "snapshot_date": pl.Date,
        "_landing": pl.Date,
    }
    return pl.DataFrame(rows, schema=schema)


@pytest.fixture(scope="module")
def truth(root: Path) -> pl.DataFrame:
    return pl.read_parquet(root / "truth" / "enterprise_capability.parquet")


def _landing_dates(root: Path, source: str) -> list[date]:
    return sorted(date.fromisoformat(p.name) for p in (root / "landing" / source).iterdir())


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def test_history_layout(root: Path) -> None:
    start = END.replace(year=END.year - HISTORY)
    monthly = _landing_dates(root, "patents")
    assert _landing_dates(root, "rd_records")[0] == monthly[0]
    history = [d for d in monthly if d < WINDOW[0]]
    # Monthly from the month N years before the end date to the month of the window.
    assert history[0] <= start and _months(history[0], start) == 0
    # At most one drop a month (a month in which nothing was published has none).
    months = [_months(history[0], d) for d in history]
    assert months == sorted(set(months)) and months[-1] == 12 * HISTORY
    assert len(months) >= 12 * HISTORY
    assert all(d.weekday() < 5 and d.day <= 8 for d in history)
    assert monthly[len(history) :] == WINDOW
    rd_history = [d for d in _landing_dates(root, "rd_records") if d < WINDOW[0]]
    assert set(rd_history) <= set(build_calendar(HISTORY).dates("rd_records"))
    # Quarterly registry snapshots on the same days, the last in the window's month.
    quarters = [d for d in _landing_dates(root, "registry") if d < WINDOW[0]]
    assert quarters == history[::3] and quarters[-1] == history[-1]
    assert min(monthly) >= date(2020, 1, 1)
    manifest = json.loads((root / "truth" / "manifest.json").read_text())
    assert manifest["history_years"] == HISTORY and manifest["evidence_noise"] == 1.0
    assert manifest["landing_dates"]["registry"][0] == history[0].isoformat()


def test_first_drop_is_the_backlog_and_snapshots_are_full(
    root: Path, registry: pl.DataFrame, truth: pl.DataFrame
) -> None:
    for source in ("patents", "rd_records"):
        per_drop = (
            pl.DataFrame([{"landing": r["_landing"]} for r in _rows(root, source)])
            .group_by("landing")
            .len()
        )
        first = per_drop.sort("landing")["len"][0]
        assert first > 5 * _number(per_drop.sort("landing")["len"][1:].max())
    established = dict(truth.select("credit_code", "established_date").iter_rows())
    for (day,), rows in registry.group_by("_landing"):
        assert isinstance(day, date)
        if day >= WINDOW[0]:
            continue
        # Every firm founded by the snapshot date, once.
        expected = {c for c, e in established.items() if e <= day}
        assert rows["credit_code"].n_unique() == rows.height
        assert set(rows["credit_code"]) == expected
    window_first = registry.filter(pl.col("_landing") == WINDOW[0]).height
    assert 0 < window_first < registry.filter(pl.col("_landing") == date(2026, 11, 2)).height / 5


def test_nothing_lands_before_its_own_date(root: Path) -> None:
    for source, own in OWN_DATE.items():
        landings = _landing_dates(root, source)
        previous = dict(zip(landings[1:], landings[:-1], strict=True))
        for row in _rows(root, source):
            landing = row["_landing"]
            assert row[own] <= landing, (source, row)
            if source == "registry":
                assert row[own] == (landing if landing < WINDOW[0] else landing - timedelta(1))
            if source == "rd_records" and landing in previous:
                # Filed since the previous drop: nothing already due earlier.
                assert row[own] > previous[landing], row


def test_patent_updates_repeat_only_changed_records(root: Path) -> None:
    rows = _rows(root, "patents")
    deliveries = pl.DataFrame(
        [
            {
                "number": r["application_number"],
                "status": r["legal_status"],
                "grant": r["grant_date"],
                "landing": r["_landing"],
            }
            for r in rows
        ],
        schema={"number": pl.String, "status": pl.String, "grant": pl.Date, "landing": pl.Date},
    )
    assert deliveries.select("number", "status", "grant").is_duplicated().sum() == 0
    repeated = deliveries.filter(pl.col("number").is_duplicated())
    assert repeated.height > 0
    assert repeated.filter(pl.col("landing") < WINDOW[0])["landing"].n_unique() > 10


def test_snapshots_show_events_only_after_they_happen(
    registry: pl.DataFrame, truth: pl.DataFrame
) -> None:
    rows = registry.join(truth, on="credit_code", how="left")
    assert rows["capability"].null_count() == 0
    snap = pl.col("snapshot_date")
    dereg = pl.col("deregistered_date").is_not_null() & (pl.col("deregistered_date") <= snap)
    assert rows.filter(dereg != pl.col("status").is_in(["注销", "吊销"])).height == 0
    assert rows.filter(dereg & (pl.col("status") != pl.col("deregistered_status"))).height == 0
    # The latest certificate issued by the snapshot date, valid three years.
    issued = (
        rows.select("credit_code", "snapshot_date", "hnte_granted_dates")
        .explode("hnte_granted_dates")
        .filter(pl.col("hnte_granted_dates") <= pl.col("snapshot_date"))
        .group_by("credit_code", "snapshot_date")
        .agg(pl.col("hnte_granted_dates").max().alias("latest"))
    )
    latest = rows.join(issued, on=["credit_code", "snapshot_date"], how="left")
    shown = latest.filter(pl.col("hnte_valid_until").is_not_null())
    assert shown.height > 100
    expiry = pl.col("latest") + pl.duration(days=1095)
    assert shown.select((pl.col("hnte_valid_until") == expiry).all()).item()
    hidden = latest.filter(pl.col("hnte_valid_until").is_null() & pl.col("latest").is_not_null())
    assert hidden["status"].is_in(list(CLOSED)).all()
    level = (
        pl.when(pl.col("srdi_national_date") <= snap)
        .then(pl.lit("national"))
        .when(pl.col("srdi_granted_date") <= snap)
        .then(pl.lit("provincial"))
        .otherwise(pl.lit("none"))
    )
    srdi = rows.filter(pl.col("srdi_level").is_not_null(), ~pl.col("status").is_in(list(CLOSED)))
    assert (srdi["srdi_level"] == srdi.select(level).to_series()).all()
    assert srdi.filter(pl.col("srdi_level") != "none").height > 20
    # Certificates, SRDI and deregistrations do happen during the history.
    first = registry["_landing"].min()
    assert truth.filter(pl.col("deregistered_date") > first).height > 10
    later_hnte = truth.select(pl.col("hnte_granted_dates").list.max() > first).to_series()
    assert later_hnte.sum() > 20


def _number(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def _spearman(frame: pl.DataFrame, a: str, b: str) -> float:
    value = frame.select(pl.corr(a, b, method="spearman")).item()
    assert isinstance(value, float)
    return value


def _patent_counts(root: Path, truth: pl.DataFrame) -> pl.DataFrame:
    links = pl.read_csv(root / "truth" / "applicant_links.csv", infer_schema=False)
    counts = (
        links.filter(pl.col("applicant_position") == "0", pl.col("credit_code").is_not_null())
        .group_by("credit_code")
        .len("patents")
    )
    return truth.join(counts, on="credit_code", how="left").with_columns(
        pl.col("patents").fill_null(0)
    )


def test_capability_drives_evidence_and_outcomes(root: Path, truth: pl.DataFrame) -> None:
    first = min(_landing_dates(root, "registry"))
    old = _patent_counts(root, truth).filter(pl.col("established_date") < first)
    rho_patents = _spearman(old, "capability", "patents")
    assert 0.2 < rho_patents < 0.8, rho_patents
    assert _number(old["patents"].eq(0).mean()) > 0.3  # many firms never file a patent

    rd = pl.DataFrame(
        [
            {"code": r["credit_code"], "name": r["enterprise_name"]}
            for r in _rows(root, "rd_records")
        ]
    )
    filers = old.with_columns(pl.col("credit_code").is_in(rd["code"].drop_nulls()).alias("filer"))
    assert 0.15 < _number(filers["filer"].mean()) < 0.7
    assert (
        0.1
        < _spearman(filers.with_columns(pl.col("filer").cast(pl.Int8)), "capability", "filer")
        < 0.8
    )

    # Later certification of firms that held none when the history starts.
    start = old.filter(
        ~pl.col("hnte_granted_dates").list.eval(pl.element() <= first).list.any(),
        pl.col("srdi_granted_date").is_null() | (pl.col("srdi_granted_date") > first),
        pl.col("deregistered_date").is_null() | (pl.col("deregistered_date") > first),
    ).with_columns(
        (pl.col("hnte_granted_dates").list.len().gt(0) | pl.col("srdi_granted_date").is_not_null())
        .cast(pl.Int8)
        .alias("certified_later"),
    )
    assert start["certified_later"].sum() > 20
    rho_cert = _spearman(start, "capability", "certified_later")
    assert 0.1 < rho_cert < 0.6, rho_cert
    # Lower capability, more deregistration (over each firm's whole life).
    ever = old.with_columns(pl.col("deregistered_date").is_not_null().cast(pl.Int8).alias("gone"))
    assert ever["gone"].sum() > 50
    assert -0.6 < _spearman(ever, "capability", "gone") < -0.08


def test_truth_schema(truth: pl.DataFrame, registry: pl.DataFrame) -> None:
    assert truth.schema["credit_code"] == pl.String
    assert truth.schema["capability"] == pl.Float64
    assert truth.schema["hnte_granted_dates"] == pl.List(pl.Date)
    for column in ("srdi_granted_date", "deregistered_date", "established_date"):
        assert truth.schema[column] == pl.Date
    assert set(truth["srdi_level"]) <= {"none", "provincial", "national"}
    assert set(truth["credit_code"]) == set(registry["credit_code"])
    assert truth["credit_code"].n_unique() == truth.height == 1500
    assert abs(_number(truth["capability"].mean())) < 1e-9
    assert abs(_number(truth["capability"].std(ddof=0)) - 1.0) < 1e-9
    dates = truth["hnte_granted_dates"].explode().drop_nulls()
    assert dates.filter(dates > END).len() == 0
    assert truth.filter(pl.col("hnte_granted_dates").list.len() > 1).height > 5
    national = truth.filter(pl.col("srdi_level") == "national")
    assert (national["srdi_granted_date"] < national["srdi_national_date"]).all()


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_history_is_deterministic_and_capability_does_not_depend_on_the_options(
    tmp_path: Path,
) -> None:
    generate(tmp_path / "a", 150, seed=3, dirty=True, history_years=1)
    generate(tmp_path / "b", 150, seed=3, dirty=True, history_years=1)
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys() and [k for k in a if a[k] != b[k]] == []
    generate(tmp_path / "c", 150, seed=3, evidence_noise=2.5)
    truth = "truth/enterprise_capability.parquet"
    columns = ["credit_code", "capability"]
    assert pl.read_parquet(tmp_path / "c" / truth, columns=columns).equals(
        pl.read_parquet(tmp_path / "a" / truth, columns=columns)
    )
    check_rows_against_truth(tmp_path / "a")


def test_evidence_noise_scales_how_much_evidence_shows_capability(tmp_path: Path) -> None:
    rhos = {}
    for noise in (0.3, 3.0):
        root = tmp_path / str(noise)
        generate(root, 1500, seed=8, evidence_noise=noise)
        truth = pl.read_parquet(root / "truth" / "enterprise_capability.parquet")
        rhos[noise] = _spearman(_patent_counts(root, truth), "capability", "patents")
    assert rhos[0.3] > rhos[3.0] + 0.15, rhos
    assert rhos[3.0] > 0.0


@pytest.mark.parametrize("enterprises", [1, 3])
def test_tiny_samples_with_history_generate(tmp_path: Path, enterprises: int) -> None:
    summary = generate(tmp_path, enterprises, seed=5, dirty=True, history_years=1)
    assert summary["rows"]["registry"] >= 5 * enterprises


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="history_years"):
        generate(Path("/nonexistent"), 10, seed=1, history_years=7)
    with pytest.raises(ValueError, match="evidence_noise"):
        generate(Path("/nonexistent"), 10, seed=1, evidence_noise=-1.0)
    args = build_parser().parse_args(
        ["generate", "--enterprises", "5", "--history-years", "3", "--evidence-noise", "0.5"]
    )
    assert (args.history_years, args.evidence_noise) == (3, 0.5)
    assert build_parser().parse_args(["generate"]).history_years == 0
