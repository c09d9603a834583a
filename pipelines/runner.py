"""Launch the Dagster jobs for a plan, in-process, recorded in the data root's instance.

The CLI goes through the same Definitions, jobs and instance as the schedule
and the UI (DAGSTER_HOME lives under the data root), so its runs show in the UI.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

import dagster as dg

from assets.partitions import FULL_TAG, range_tags
from capscore.storage.paths import DataRoot
from pipelines.progress import StepProgress, following

DAGSTER_YAML = """\
# Written by capscore for a local data root. For production, point run, event
# log and schedule storage at Postgres (see README, "Production").
telemetry:
  enabled: false
# A run whose worker died (kill -9, a crashed machine) is marked failed, so the
# failure alert fires; runs started by the CLI are checked when it next takes
# the data root's lock.
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
"""


class RunFailed(RuntimeError):
    pass


ABANDONED = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED)


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs still STARTED though nobody holds the root's lock: their
    process died (kill -9, a crash), so they will never finish; failing them fires the
    failure alerts. Call only right after taking the lock fresh."""
    abandoned = instance.get_runs(filters=dg.RunsFilter(statuses=list(ABANDONED)))
    for run in abandoned:
        instance.report_run_failed(
            run, "abandoned: the process running it died (found when the data root was free)"
        )
    return [run.run_id for run in abandoned]


def prepare_environment(root: DataRoot) -> None:
    """Keep Dagster's instance (run history) under this data root, shared with the UI."""
    root.root.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(root.dagster_home)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    root.dagster_home.mkdir(parents=True, exist_ok=True)
    config = root.dagster_home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")


def execute(
    root: DataRoot,
    job_name: str,
    start: date,
    end: date,
    say: Callable[[str], None],
    groups: Sequence[str] | None = None,
    full: bool = False,
) -> dg.ExecuteInProcessResult:
    """Run `job_name` over `start..end` on `root` as one run (optionally only the assets of
    `groups`). The data root reaches the assets as the `capscore` resource's config;
    `full` recomputes what assets would otherwise keep from an earlier date."""
    from pipelines.definitions import defs

    job = defs.resolve_job_def(job_name)
    selection = None
    if groups is not None:
        graph = defs.resolve_asset_graph()
        selection = [
            key
            for key in job.asset_layer.executable_asset_keys
            if graph.get(key).group_name in groups
        ]
    instance = dg.DagsterInstance.get()
    progress = StepProgress(say, live=sys.stdout.isatty())
    with following(progress):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=selection,
            tags={
                **range_tags(start, end),
                "capscore/launched_by": "cli",
                **({FULL_TAG: "true"} if full else {}),
            },
            raise_on_error=False,
            run_config={
                "loggers": {
                    "console": {"config": {"log_level": "WARNING"}},
                    "progress": {},
                },
                "resources": {"capscore": {"config": {"data_root": str(root.root)}}},
            },
        )
    if not result.success:
        failed = [
            f"{e.step_key}: {e.event_specific_data.error.message.strip()}"  # type: ignore[union-attr]
            for e in result.all_events
            if e.is_step_failure
        ]
        raise RunFailed(
            f"run {result.run_id} ({job_name} {start}..{end}) failed:\n  " + "\n  ".join(failed)
        )
    return result
