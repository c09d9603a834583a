"""The scoring assets read as-of partitions, write the lake tables and report metadata."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.resources import CapscoreResource
from assets.score import score_assets
from benchmarks.scoring_chain import synthetic_inputs
from capscore.scoring.scores import (
    INDICATOR_VALUE_SCHEMA,
    indicator_rows,
    stored_indicators,
)
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import PIVOT_SEPARATOR, table_named
from scoring_models.config import load_scoring_model

D = date(2026, 6, 30)
PARTITION = {"as_of_date": D.isoformat()}


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    data_root = DataRoot(tmp_path)
    world = synthetic_inputs(300, 1200, seed=2, as_of=D)
    write_partition(
        data_root, table_named("core.enterprise"), world.enterprises, *PARTITION.values()
    )
    write_partition(data_root, table_named("core.patent"), world.patents, *PARTITION.values())
    write_partition(data_root, table_named("er.applicant_links"), world.links, *PARTITION.values())
    write_partition(data_root, table_named("core.rd_filing"), world.rd_filings, *PARTITION.values())
    return data_root


def materialize(root: DataRoot) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        score_assets,
        partition_key=D.isoformat(),
        resources={"capscore": CapscoreResource(data_root=str(root.root))},
    )


def test_assets_write_scoring_tables(root: DataRoot) -> None:
    result = materialize(root)
    assert result.success
    quality = read_partition(root, table_named("scoring.patent_quality"), *PARTITION.values())
    stored = read_partition(root, table_named("scoring.indicator_value"), *PARTITION.values())
    profile = read_partition(root, table_named("scoring.enterprise_profile"), *PARTITION.values())
    scores = read_partition(root, table_named("scoring.enterprise_score"), *PARTITION.values())
    assert quality is not None and stored is not None and profile is not None and scores is not None
    assert profile.height == scores.height == stored.height == 300
    # The lake stores one row per enterprise, a column group per indicator, as text where
    # the rows have categoricals.
    model = load_scoring_model()
    assert stored_indicators(stored) == sorted(model.indicator_names)
    assert stored.schema[f"rd_intensity{PIVOT_SEPARATOR}peer_group"] == pl.String()
    values = indicator_rows(stored)
    assert values.schema == pl.Schema(INDICATOR_VALUE_SCHEMA)
    # The assets score with the packaged (default) scoring model.
    assert values.height == 300 * len(model.indicators)
    for frame in (quality, values, profile, scores):
        assert set(frame["model_version"].cast(pl.String)) == {model.version}
    assert {"innovation", "composite", "peer_group", "life_stage", "coverage"} <= set(
        scores.columns
    )
    reasons = read_partition(root, table_named("scoring.score_reasons"), *PARTITION.values())
    assert reasons is not None and reasons.columns == ["credit_code", "top_reasons"]
    assert reasons["credit_code"].sort().equals(scores["credit_code"].sort())
    metadata = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    scored = metadata["scoring/enterprise_score"]
    assert scored["dagster/row_count"].value == 300
    assert "| life_stage" in str(scored["score_distribution_by_stage_and_dimension"].value)
    weights = metadata["scoring/indicator_value"]["weights_configured_vs_data_driven"]
    assert "| entropy" in str(weights.value)


def test_rerun_rewrites_identical_rows(root: DataRoot) -> None:
    assert materialize(root).success
    first = read_partition(root, table_named("scoring.enterprise_score"), *PARTITION.values())
    assert materialize(root).success
    second = read_partition(root, table_named("scoring.enterprise_score"), *PARTITION.values())
    assert first is not None and second is not None and first.equals(second)


def test_either_of_patent_quality_and_indicators_alone_writes_the_same_rows(
    root: DataRoot,
) -> None:
    assert materialize(root).success
    names = ("scoring.patent_quality", "scoring.patent_cohort", "scoring.indicator_value")
    both = {name: read_partition(root, table_named(name), *PARTITION.values()) for name in names}
    for alone in ("scoring/patent_quality", "scoring/indicator_value"):
        result = dg.materialize(
            score_assets,
            selection=[alone],
            partition_key=D.isoformat(),
            resources={"capscore": CapscoreResource(data_root=str(root.root))},
        )
        assert result.success
        written = {event.asset_key for event in result.get_asset_materialization_events()}
        assert written == {dg.AssetKey.from_user_string(alone)}
        for name in names:
            before, again = both[name], read_partition(root, table_named(name), *PARTITION.values())
            assert before is not None and again is not None
            assert again.equals(before), (alone, name)


def test_missing_upstream_partition_fails_clearly(tmp_path: Path) -> None:
    result = dg.materialize(
        score_assets[:1],
        partition_key=D.isoformat(),
        resources={"capscore": CapscoreResource(data_root=str(tmp_path))},
        raise_on_error=False,
    )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and failure.cause is not None
    assert "core/patent as of 2026-06-30 is missing" in failure.cause.message
