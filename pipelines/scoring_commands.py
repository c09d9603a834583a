"""`capscore validate` and `capscore calibrate-grades`: plain functions returning printable text."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from assets.validation import validation_as_of
from capscore.pool.calibration import fit_stage_ladders, grade_shares
from capscore.pool.cultivation import cultivation_pool, with_composite
from capscore.pool.grade_yaml import grades_block, replace_grades
from capscore.storage import tables
from capscore.storage.lake import partitions, read_as_of
from capscore.storage.paths import DataRoot
from capscore.validation.metrics import bin_shares
from capscore.validation.report import summary_lines
from pipelines.cli_errors import NotBuilt
from scoring_models.config import load_scoring_model
from scoring_models.policy_config import GRADES, STAGES, load_pool_policy, pool_policy_from_dict


def latest_built(root: DataRoot, table: tables.Table = tables.ENTERPRISE_SCORE) -> date:
    built = partitions(root, table)
    if not built:
        raise SystemExit(f"nothing built under {root.lake}: run `capscore run` first")
    return date.fromisoformat(built[-1])


def built_date(root: DataRoot, as_of: date | None, table: tables.Table) -> date:
    """`as_of`, or the latest built date when None; a date without a `table` partition is
    refused in one line naming the built dates around it (the stages' outputs of that
    date do not exist, and the validation or the fit would fail deep inside with a
    traceback)."""
    if as_of is None:
        return latest_built(root, table)
    built = [date.fromisoformat(d) for d in partitions(root, table)]
    if as_of in built:
        return as_of
    before = max((d for d in built if d < as_of), default=None)
    after = min((d for d in built if d > as_of), default=None)
    around = "; ".join(
        f"{which} {d}" for which, d in (("built before", before), ("after", after)) if d
    )
    raise NotBuilt(
        f"{as_of} is not built ({around or 'nothing is built'}): pass a built date, or "
        f"build it with `capscore backfill --start {as_of} --end {as_of}`"
    )


def _frame_text(title: str, frame: pl.DataFrame | None) -> str:
    if frame is None or frame.is_empty():
        return ""
    with pl.Config(tbl_rows=100, tbl_cols=-1, tbl_width_chars=160, fmt_str_lengths=60):
        return f"\n{title}\n{frame}"


def validate_text(root: DataRoot, as_of: date | None) -> str:
    day = built_date(root, as_of, tables.CULTIVATION_POOL)
    result = validation_as_of(root, day, load_scoring_model(), load_pool_policy())
    return "\n".join(summary_lines(result)) + "".join(
        [
            _frame_text("Discrimination, out of time", result.discrimination),
            _frame_text(
                "Outcome rate by grade (pool members at the reference date)", result.grade_rates
            ),
            _frame_text("Against the generator's truth", result.truth),
            _frame_text("Stability (PSI)", result.psi),
            _frame_text("Grade migration, previous date -> now", result.migration),
            _frame_text(
                "Dimension weights: expert (mean over stages) vs challenger",
                result.challenger_weights,
            ),
        ]
    )


def calibrate_grades(root: DataRoot, as_of: date | None, policy_path: Path) -> str:
    """Fit the per-stage grade ladders of `policy_path` on the pool as of the date and
    write them into the file's `grades:` block (the version must then be bumped and locked)."""
    day = built_date(root, as_of, tables.ENTERPRISE_PROFILE)
    # The file is being fitted, so its content may not match its locked version yet.
    policy = pool_policy_from_dict(_parse(policy_path))
    if policy.grade_targets is None:
        raise SystemExit(f"{policy_path}: a v1 policy has one fixed ladder, nothing to fit")
    score = read_as_of(root, tables.ENTERPRISE_SCORE, day)
    pool = with_composite(
        cultivation_pool(
            score, read_as_of(root, tables.ENTERPRISE_PROFILE, day), None, policy, day
        ),
        score,
    )
    fitted = fit_stage_ladders(pool, STAGES, GRADES, policy.grade_targets)
    members = pool.filter("in_pool")
    about = {
        "data_root": f"'{root.root.name}'",
        "as_of": day.isoformat(),
        "scoring_model": score["model_version"][0] if score.height else "none",
        "pool_members": members.height,
    }
    block = grades_block(policy.grade_targets, fitted, about, bin_shares(members["composite"]))
    policy_path.write_text(
        replace_grades(policy_path.read_text(encoding="utf-8"), block), encoding="utf-8"
    )
    refitted = pool_policy_from_dict(_parse(policy_path))
    shares = grade_shares(
        cultivation_pool(
            score, read_as_of(root, tables.ENTERPRISE_PROFILE, day), None, refitted, day
        )
    )
    with pl.Config(tbl_rows=40):
        return (
            f"fitted grade ladders as of {day} on {members.height:,} pool members -> {policy_path}\n"
            f"{block}\nshares with the fitted ladders:\n{shares}\n"
            f"Now give {policy_path.name} a new `version:` and lock it: "
            f"python -m scoring_models.versioning lock {policy_path}"
        )


def _parse(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: expected a YAML mapping")
    return data
