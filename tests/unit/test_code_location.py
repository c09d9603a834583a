"""The code location loads through workspace.yaml the way `dagster dev` and the UI load it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

REPO = Path(__file__).resolve().parents[2]
STAGE_GROUPS = {
    "ingest",
    "core",
    "er",
    "scoring",
    "pool",
    "credit",
    "review",
    "validation",
    "warehouse",
}


def test_workspace_validates(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "CAPSCORE_DATA_ROOT": str(tmp_path)}
    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_every_stage_is_a_group_and_every_asset_is_daily_single_run() -> None:
    from assets.partitions import daily_partitions
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups >= STAGE_GROUPS
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        # A dependency on a key no asset makes shows as an external source asset.
        assert node.is_materializable, f"{key} is depended on but no asset materializes it"
        assert node.partitions_def == daily_partitions, key
        policy = node.backfill_policy
        assert policy is not None and policy == dg.BackfillPolicy.single_run(), key
