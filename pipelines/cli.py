"""`capscore` command line: generate, run, backfill, query, explain, eval-er, train-er."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from capscore.storage.lake import table_dir
from capscore.storage.paths import DataRoot
from capscore.storage.tables import CREDIT_EXPORT


def say(message: str) -> None:
    print(message, flush=True)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _seconds(value: str) -> float:
    from capscore.warehouse.query import timeout_seconds

    try:
        return timeout_seconds(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of seconds > 0, got {value!r}"
        ) from None


def _days(value: str) -> int:
    from capscore.warehouse.retention import whole_days

    try:
        return whole_days(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, got {value!r}") from None


def _timeout_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="stop each query after this many seconds (default $CAPSCORE_ANALYST_TIMEOUT, "
        "else 300)",
    )


def _root(args: argparse.Namespace) -> DataRoot:
    return DataRoot.resolve(args.data_root)


def cmd_generate(args: argparse.Namespace) -> int:
    from capscore.sample_data.generate import generate

    if not 0 <= args.evidence_noise < float("inf"):
        raise SystemExit(f"--evidence-noise must be a number >= 0, got {args.evidence_noise}")
    root = _root(args)
    started = time.perf_counter()
    summary = generate(
        root.root,
        args.enterprises,
        args.seed,
        dirty=args.dirty,
        progress=say,
        history_years=args.history_years,
        evidence_noise=args.evidence_noise,
    )
    say(f"generated sample data in {time.perf_counter() - started:.1f}s under {root.landing}")
    for key, value in summary.items():
        say(f"  {key}: {value}")
    return 0


def _calendar_end() -> date:
    """The last day of the partition calendar now (today, in the pipeline's time zone)."""
    from pipelines.sensors import partition_window

    return partition_window(time.time())[1]


def _landing_dates(root: DataRoot) -> list[date]:
    """The landing dates up to today: a folder dated ahead waits for its day, as the
    sensor makes it wait. A date loaded before whose folders are gone is one too: it
    loads again as an empty drop (run_plan.dates_to_ingest), the latest one included."""
    from pipelines.run_plan import landed_or_loaded, landing_files

    landed = landed_or_loaded(root, landing_files(root), date.max)
    if not landed:
        raise SystemExit(
            f"no landing data under {root.landing}: expected "
            "landing/<registry|patents|rd_records>/<YYYY-MM-DD>/<files>; "
            "`capscore generate` makes a sample"
        )
    last = _calendar_end()
    ahead = sorted(d for d in landed if d > last)
    if ahead:
        say(f"landing dates after today ({last}) wait for their day: {', '.join(map(str, ahead))}")
    due = sorted(d for d in landed if d <= last)
    if not due:
        raise SystemExit(f"every landing date under {root.landing} is after today ({last})")
    return due


def _bring_up_to_date(
    root: DataRoot, start: date, end: date, landing_dates_only: bool = False, full: bool = False
) -> int:
    from capscore.storage.run_lock import RootBusy, root_lock
    from pipelines.runner import prepare_environment

    if end > (last := _calendar_end()):
        say(
            f"FAILED: {end} is after today ({last}, the partition calendar's last day): "
            "nothing dated ahead is loaded or built before its day"
        )
        return 2
    prepare_environment(root)
    try:
        with root_lock(root, f"capscore run {start}..{end}") as fresh:
            return _run_plan(root, start, end, landing_dates_only, fresh, full)
    except RootBusy as exc:
        say(f"FAILED: {exc}")
        return 1


def _run_plan(
    root: DataRoot, start: date, end: date, landing_dates_only: bool, fresh: bool, full: bool
) -> int:
    import dagster as dg

    from pipelines.run_plan import contiguous_ranges, plan_run
    from pipelines.runner import RunFailed, execute, fail_abandoned_runs

    if fresh:
        for run_id in fail_abandoned_runs(dg.DagsterInstance.get()):
            say(f"marked run {run_id} failed: its process died before it finished")
    plan = plan_run(root, start, end, landing_dates_only, full)
    if full:
        say("full recomputation: every drop reloaded, every built as-of date rebuilt")
    for day, reasons in plan.stale.items():
        say(f"rebuilding {day}: {'; '.join(reasons)}")
    ingest_ranges = contiguous_ranges(plan.ingest_dates)
    steps = len(ingest_ranges) + len(plan.as_of_ranges)
    step = 0
    started = time.perf_counter()
    try:
        for first, last in ingest_ranges:
            step += 1
            say(f"[{step}/{steps}] ingest landing dates {first} .. {last}")
            execute(root, "capscore_ingest", first, last, say)
        for first, last in plan.as_of_ranges:
            step += 1
            say(f"[{step}/{steps}] build as-of dates {first} .. {last}")
            execute(root, "capscore_as_of", first, last, say, full=full)
    except RunFailed as exc:
        say(f"FAILED: {exc}")
        say(f"See the run in the UI: DAGSTER_HOME={root.dagster_home} make ui")
        return 1
    say(f"done in {time.perf_counter() - started:.1f}s")
    say(f'  warehouse: {root.warehouse}  (capscore query --data-root {root.root} "SQL")')
    say(f"  lake:      {root.lake}")
    say(f"  reports:   {root.reports}")
    return 0


def _full_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--full",
        action="store_true",
        help="recompute everything: reload every drop up to the end date and rebuild every "
        "as-of date built so far, whatever the fingerprints say (a new model or policy "
        "version already does this by itself)",
    )


def cmd_run(args: argparse.Namespace) -> int:
    root = _root(args)
    as_of = args.as_of or _landing_dates(root)[-1]
    say(f"capscore run: data root {root.root}, as of {as_of}")
    return _bring_up_to_date(root, as_of, as_of, full=args.full)


def cmd_backfill(args: argparse.Namespace) -> int:
    root = _root(args)
    start = args.start or _landing_dates(root)[0]
    end = args.end or _landing_dates(root)[-1]
    if end < start:
        raise SystemExit(f"--end {end} is before --start {start}")
    which = "landing dates" if args.landing_dates_only else "as-of dates"
    say(f"capscore backfill: data root {root.root}, {which} {start} .. {end}")
    return _bring_up_to_date(root, start, end, args.landing_dates_only, args.full)


def cmd_status(args: argparse.Namespace) -> int:
    from assets.freshness import built_by_other_code, stale_dates
    from capscore.storage.run_lock import holder
    from pipelines.run_plan import built_as_of_dates, pending_ingest

    root = _root(args)
    busy = holder(root)
    say(f"capscore status: data root {root.root}")
    say(f"  lock: {'held by ' + busy if busy else 'free'}")
    built = built_as_of_dates(root)
    say(f"  as-of dates built: {len(built)}" + (f" ({built[0]} .. {built[-1]})" if built else ""))
    waiting = pending_ingest(root, _landing_dates(root)[-1])
    pending = ", ".join(d.isoformat() for d in waiting) or "none"
    say(f"  landing dates to load: {pending}")
    # No fingerprint moves until the drop is loaded, yet every built date from its
    # landing date on is out of date already (the run rebuilds them after loading it).
    changes = [day for day in built if waiting and day >= waiting[0]]
    if changes:
        say(f"  as-of dates the load rebuilds: {changes[0]} .. {changes[-1]}")
    stale = stale_dates(root)
    if not stale:
        say("  stale as-of dates: none")
    for day, reasons in stale.items():
        say(f"  stale {day}: {'; '.join(reasons)}")
    if (other := built_by_other_code(root)) is not None:
        say(
            f"  code: {other} was built by other code (an upgrade): the next date makes its "
            "core and entity-resolution state from scratch (slower once), later ones update it"
        )
    unpublished = _warehouse_status(root, built)
    return 1 if stale or waiting or unpublished else 0


def _warehouse_status(root: DataRoot, built: list[date]) -> bool:
    """Say whether the warehouse analysts query shows every lake write; True if it does not."""
    from capscore.warehouse.publish import unpublished_writes
    from capscore.warehouse.query import published_root

    if root.warehouse.exists() and (elsewhere := published_root(root.warehouse)) != str(root.root):
        say(
            f"  warehouse: published for the data root {elsewhere} (a copied or moved root): "
            "`capscore publish` points it at this root's lake"
        )
        return True
    behind = unpublished_writes(root)
    if behind is None:
        if built:
            say("  warehouse: not published: `capscore publish` (or the next run) publishes it")
        return bool(built)
    if not behind:
        say("  warehouse: shows every lake write")
        return False
    partitions = sum(len(p) for p in behind.values())
    first = next(iter(behind.items()))
    say(
        f"  warehouse: behind the lake: {partitions} partition(s) of {len(behind)} table(s) "
        f"written after it was published (e.g. {first[0]} {first[1][-1]}; a run stopped before "
        "its warehouse step): `capscore publish` publishes them"
    )
    return True


def cmd_where(args: argparse.Namespace) -> int:
    root = _root(args)
    reports = sorted(root.reports.glob("*.html")) if root.reports.exists() else []
    say(f"""
capscore outputs under {root.root}
  warehouse (DuckDB, open read-only): {root.warehouse}
      capscore query --data-root {root.root} "SELECT * FROM mart.pool_summary"
  lake (Parquet, system of record):   {root.lake}
  credit limits for the credit system: {table_dir(root, CREDIT_EXPORT)}
  quarantine and load audit:           quality.quarantine, quality.load_audit
  latest pool report:                  {reports[-1] if reports else "(none yet)"}
  Dagster UI:  make ui DATA_ROOT={root.root}   then open http://127.0.0.1:3000
""")
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    from capscore.warehouse.query import (
        QueryRefused,
        QueryTimedOut,
        SettingInvalid,
        WarehouseMissing,
        WarehouseMoved,
        answer_query,
    )

    root = _root(args)
    out = Path(args.out) if args.out else None
    try:
        # The time limit covers the whole answer: the rows fetched, formatted and written
        # (--out: atomically, no file past the limit); stdout gets it only once it is whole.
        rows, text = answer_query(root, args.sql, args.format, out, args.timeout)
    except (
        duckdb.Error,
        QueryRefused,
        QueryTimedOut,
        SettingInvalid,
        WarehouseMissing,
        WarehouseMoved,
    ) as exc:
        # One line an analyst can act on, not a traceback.
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(f"capscore query: {message}\n")
        return 2
    if out:
        say(f"{rows} rows written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_retain(args: argparse.Namespace) -> int:
    from capscore.storage.run_lock import RootBusy, root_lock
    from capscore.warehouse.publish import latest_snapshot, publish_warehouse
    from capscore.warehouse.retention import RetentionPolicy, apply_retention

    root = _root(args)
    try:
        policy = RetentionPolicy.from_env()
    except ValueError as exc:  # a window of no days in the environment: as the flags say it
        sys.stderr.write(f"capscore retain: {exc}\n")
        return 2
    if args.daily_days is not None or args.published_days is not None:
        policy = RetentionPolicy(
            policy.daily_days if args.daily_days is None else args.daily_days,
            policy.published_days if args.published_days is None else args.published_days,
        )
    try:
        with root_lock(root, "capscore retain"):
            summary = apply_retention(root, policy)
            if summary.deleted_dates and latest_snapshot(root) is not None:
                # Analysts stop seeing the deleted dates (the last snapshot keeps them).
                publish_warehouse(root)
    except RootBusy as exc:
        say(f"FAILED: {exc}")
        return 1
    dates = sorted({d for ds in summary.deleted_dates.values() for d in ds})
    say(f"kept every as-of date of the last {policy.daily_days} days and month-ends before")
    say(f"  deleted as-of dates: {', '.join(dates) or 'none'}")
    say(
        f"  removed {summary.removed_files} data files, {len(summary.removed_warehouses)} warehouses"
    )
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from capscore.warehouse.publish import publish_warehouse

    summary = publish_warehouse(_root(args))
    say(
        f"published {len(summary.views)} relations to {summary.path} (pinned versions of {len(summary.versions)} tables)"
    )
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from capscore.reports.enterprise_memo import explain_enterprise

    code = args.credit_code.strip().upper()  # credit codes are upper case (GB 32100)
    sys.stdout.write(explain_enterprise(_root(args), code, args.as_of, args.timeout) + "\n")
    return 0


def cmd_eval_er(args: argparse.Namespace) -> int:
    from pipelines.er_commands import eval_er

    _, text = eval_er(_root(args), args.as_of)
    sys.stdout.write(text + "\n")
    return 0


def cmd_train_er(args: argparse.Namespace) -> int:
    from pipelines.er_commands import train_er

    training = DataRoot.resolve(args.training_root) if args.training_root else None
    reviews = tuple(DataRoot.resolve(r) for r in args.review_root)
    _, text = train_er(training, args.as_of, reviews, say=say)
    say(text)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from pipelines.scoring_commands import validate_text

    sys.stdout.write(validate_text(_root(args), args.as_of) + "\n")
    return 0


def cmd_calibrate_grades(args: argparse.Namespace) -> int:
    from pipelines.scoring_commands import calibrate_grades

    say(calibrate_grades(_root(args), args.as_of, Path(args.policy)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capscore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--data-root",
            default=None,
            help="data root (default: $CAPSCORE_DATA_ROOT, else ./data)",
        )
        return p

    p = add("generate", "Write realistic sample landing drops and ground truth.")
    p.add_argument("--enterprises", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--dirty", action="store_true", help="inject bad rows and files (recorded in truth/)"
    )
    p.add_argument(
        "--history-years",
        type=int,
        default=0,
        choices=range(0, 7),
        metavar="N",
        help="also land N years (0-6) of monthly drops and quarterly registry snapshots "
        "before the two-week window (default 0)",
    )
    p.add_argument(
        "--evidence-noise",
        type=float,
        default=1.0,
        metavar="X",
        help="scale of the evidence's own noise against the hidden capability "
        "(default 1.0; 0 = evidence follows capability, larger = noisier)",
    )
    p.set_defaults(func=cmd_generate)

    p = add("run", "Load new drops and bring every output up to date as of a date.")
    p.add_argument("--as-of", type=_date, default=None, help="default: the latest landing date")
    _full_flag(p)
    p.set_defaults(func=cmd_run)

    p = add("backfill", "Rebuild every as-of output for a range of dates, in one run.")
    p.add_argument("--start", type=_date, default=None, help="default: the first landing date")
    p.add_argument("--end", type=_date, default=None, help="default: the latest landing date")
    p.add_argument(
        "--landing-dates-only",
        action="store_true",
        help="build only the dates of the range on which a drop landed (and the end date), "
        "not every calendar day: years of history in a fraction of the time",
    )
    _full_flag(p)
    p.set_defaults(func=cmd_backfill)

    p = add(
        "status",
        "List what is out of date: landing dates not loaded yet, as-of dates built from "
        "older inputs (and why), who holds the data root. Exit 1 when anything is.",
    )
    p.set_defaults(func=cmd_status)

    p = add("where", "Print where the outputs are and how to open them.")
    p.set_defaults(func=cmd_where)

    p = add("query", "Run read-only SQL against the published warehouse.")
    p.add_argument("sql")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--out", default=None, help="write to this file instead of stdout")
    _timeout_flag(p)
    p.set_defaults(func=cmd_query)

    p = add(
        "retain",
        "Apply the retention policy now: delete as-of dates older than --daily-days (but "
        "month-ends), published warehouses older than --published-days, then vacuum.",
    )
    p.add_argument(
        "--daily-days", type=_days, default=None, help="default 90 ($CAPSCORE_RETAIN_DAILY_DAYS)"
    )
    p.add_argument(
        "--published-days",
        type=_days,
        default=None,
        help="default 30 ($CAPSCORE_RETAIN_PUBLISHED_DAYS)",
    )
    p.set_defaults(func=cmd_retain)

    p = add(
        "publish",
        "Publish the warehouse anew from the lake's current versions (e.g. after copying or "
        "moving a data root: the views then read this root's lake).",
    )
    p.set_defaults(func=cmd_publish)

    p = add("explain", "Explain an enterprise's scores, tier and credit limits (memo-ready text).")
    p.add_argument("credit_code")
    p.add_argument("--as-of", type=_date, default=None, help="default: the latest as-of date")
    _timeout_flag(p)
    p.set_defaults(func=cmd_explain)

    p = add(
        "validate",
        "Validate the scoring model as of a date: out-of-time backtest against what happened "
        "next, baselines, challenger, stability and (generated data) the true capability.",
    )
    p.add_argument("--as-of", type=_date, default=None, help="default: the latest as-of date")
    p.set_defaults(func=cmd_validate)

    p = add(
        "calibrate-grades",
        "Fit the per-stage grade cut-offs of a pool policy to its target shares on the pool "
        "as of a date and write them into the policy YAML (then version and lock it).",
    )
    p.add_argument("--as-of", type=_date, default=None, help="default: the latest as-of date")
    p.add_argument("--policy", default="scoring_models/pool_v2.yaml")
    p.set_defaults(func=cmd_calibrate_grades)

    p = add("eval-er", "Evaluate entity resolution against <data root>/truth/.")
    p.add_argument("--as-of", type=_date, default=None, help="default: the latest as-of date")
    p.set_defaults(func=cmd_eval_er)

    p = sub.add_parser(
        "train-er",
        help="Refit the match model from its versioned training pairs (entity_resolution/model/).",
        description="Refit the match model. With --training-root, first rebuild the training "
        "pairs from a generated, ingested data root (seed and size in "
        "entity_resolution/model/config.yaml); with --review-root, add the reviewer "
        "decisions of that data root.",
    )
    p.add_argument("--training-root", default=None)
    p.add_argument("--review-root", action="append", default=[])
    p.add_argument("--as-of", type=_date, default=None)
    p.set_defaults(func=cmd_train_er)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from capscore.entity_resolution.review import DecisionsError
    from capscore.scoring.score_memo import ExplainError
    from capscore.warehouse.query import (
        QueryTimedOut,
        SettingInvalid,
        WarehouseMissing,
        WarehouseMoved,
    )
    from pipelines.cli_errors import NotBuilt
    from scoring_models.versioning import VersionLockError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (
        DecisionsError,
        VersionLockError,
        WarehouseMissing,
        WarehouseMoved,
        NotBuilt,
        ExplainError,
        QueryTimedOut,
        SettingInvalid,
    ) as exc:
        # Input a person must fix (the decisions file, a model file changed without a new
        # version, a missing or moved warehouse, an as-of date never built, e.g. between
        # the landing dates of a `--landing-dates-only` backfill, an analyst setting, a
        # `capscore explain` past the analyst time limit or of a firm without scores):
        # one line that says what, not a traceback.
        sys.stderr.write(f"capscore {args.command}: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
