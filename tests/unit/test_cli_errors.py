"""Input a person must fix gets one line that says what and where, exit 2, no traceback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from capscore.storage import tables
from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import publish_warehouse
from pipelines.cli import main as capscore

DAY = date(2026, 11, 20)


def test_a_bad_decisions_line_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = DataRoot.resolve(tmp_path / "root")
    write_partition(root, tables.ENTERPRISE, pl.DataFrame({"credit_code": ["C1"]}), DAY)
    (root.landing / "registry" / DAY.isoformat()).mkdir(parents=True)
    root.review.mkdir(parents=True)
    decisions = root.review / "decisions.csv"
    decisions.write_text(
        "mention_key,credit_code,decided_at,reviewer\nCN1#0,no match,2026/11/23,li\n", "utf-8"
    )
    code = capscore(["status", "--data-root", str(root.root)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("capscore status: ") and str(decisions) in err and "line 2" in err


def test_explain_without_a_warehouse_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = DataRoot.resolve(tmp_path / "root")
    code = capscore(["explain", "--data-root", str(root.root), "91330402MA2B00001X"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("capscore explain: ") and err.count("\n") == 1, err


def test_explain_of_a_firm_without_scores_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = DataRoot.resolve(tmp_path / "root")
    scores = pl.DataFrame({"credit_code": ["91330402MA2B00001X"], "composite": [50.0]})
    write_partition(root, tables.ENTERPRISE_SCORE, scores, DAY)
    publish_warehouse(root)
    where = ["explain", "--data-root", str(root.root), "91330402MA2B00002X"]
    code = capscore([*where, "--timeout", "30"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("capscore explain: no scores for 91330402MA2B00002X: check"), err
    with pytest.raises(SystemExit) as refused:
        capscore([*where, "--timeout", "0"])
    assert refused.value.code == 2 and "seconds > 0" in capsys.readouterr().err


def test_nothing_dated_after_today_is_loaded_or_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = DataRoot.resolve(tmp_path / "root")
    ahead = root.landing / "patents" / "2099-01-02"
    ahead.mkdir(parents=True)
    (ahead / "p.csv").write_text("application_number\n", "utf-8")
    code = capscore(["run", "--data-root", str(root.root), "--as-of", "2099-01-02"])
    out = capsys.readouterr().out
    assert code == 2 and "FAILED: 2099-01-02 is after today" in out
    assert not root.lake.exists()


@pytest.mark.parametrize("command", ["validate", "calibrate-grades"])
def test_a_date_never_built_is_named_with_the_built_dates_around_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # After a `--landing-dates-only` backfill most dates are not built: asking for one
    # printed a MissingPartition traceback.
    root = DataRoot.resolve(tmp_path / "root")
    for table in (tables.CULTIVATION_POOL, tables.ENTERPRISE_PROFILE):
        write_partition(root, table, pl.DataFrame({"credit_code": ["C1"]}), DAY)
    extra = ["--policy", "scoring_models/pool_v2.yaml"] if command == "calibrate-grades" else []
    code = capscore([command, "--data-root", str(root.root), "--as-of", "2026-11-18", *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"capscore {command}: 2026-11-18 is not built (after 2026-11-20)"), err


def test_explain_past_the_time_limit_names_its_own_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # `capscore explain --timeout 1` of a slow query said "raise the limit with
    # `capscore query --timeout SECONDS`": the flag to raise is explain's own.
    from capscore.reports import enterprise_memo
    from capscore.warehouse.query import analyst_connection

    root = DataRoot.resolve(tmp_path / "root")
    scores = pl.DataFrame({"credit_code": ["91330402MA2B00001X"], "composite": [50.0]})
    write_partition(root, tables.ENTERPRISE_SCORE, scores, DAY)
    publish_warehouse(root)

    def slow(root: DataRoot, code: str, as_of: date | None, timeout: float | None) -> str:
        with analyst_connection(root, timeout=timeout) as con:
            con.sql(
                "SELECT count(*) FROM range(100000000) a, range(1000000) b WHERE a.range + b.range < 0"
            )
        return ""

    monkeypatch.setattr(enterprise_memo, "explain_enterprise", slow)
    where = ["explain", "--data-root", str(root.root), "91330402MA2B00001X"]
    code = capscore([*where, "--timeout", "0.3"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("capscore explain: the query ran past the time limit of 0.3 s"), err
    assert "--timeout SECONDS" in err and "capscore query" not in err, err
