"""Entropy and CRITIC weights on hand-computed examples."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
import pytest

from capscore.scoring.weights import (
    critic_weights,
    entropy_weights,
    normalized_matrix,
    pairwise_correlation,
    weight_comparison,
)
from scoring_models.config import ScoringModel
from tests.models_v1 import scoring_v1, within_dimension_weight


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path)."""
    return scoring_v1()


def wide(
    model: ScoringModel, columns: Mapping[str, Sequence[float | None]], n: int
) -> pl.DataFrame:
    data = {"credit_code": [f"E{i}" for i in range(n)]}
    frame = pl.DataFrame(data).with_columns(
        pl.Series(name, columns.get(name, [None] * n), dtype=pl.Float64)
        for name in model.indicator_names
    )
    return frame


def weights_of(frame: pl.DataFrame, column: str) -> dict[str, float]:
    return dict(zip(frame["indicator"], frame[column], strict=True))


def test_normalization_turns_lower_is_better_around_and_applies_log1p(model: ScoringModel) -> None:
    x = normalized_matrix(
        wide(
            model, {"debt_ratio": [0.2, 0.6, 1.0], "forward_citations": [0.0, math.e - 1, None]}, 3
        ),
        model,
    )
    debt = list(model.indicator_names).index("debt_ratio")
    cites = list(model.indicator_names).index("forward_citations")
    assert x[:, debt].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert x[:2, cites].tolist() == pytest.approx([0.0, 1.0])
    assert np.isnan(x[2, cites])


def test_entropy_weights(model: ScoringModel) -> None:
    frame = wide(
        model,
        {
            "rd_intensity": [0.0, 1.0, 0.5],
            "rd_staff_share": [0.2, 0.2, 0.4],
            "certification": [1.0, 1.0, 1.0],
        },
        3,
    )
    got = weights_of(entropy_weights(normalized_matrix(frame, model), model), "entropy")
    # rd_intensity: p = (0, 2/3, 1/3); rd_staff_share: p = (0, 0, 1) -> e = 0; constant -> 0.
    e = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    d = {"rd_intensity": 1 - e, "rd_staff_share": 1.0}
    total = sum(d.values())
    assert got["rd_intensity"] == pytest.approx(d["rd_intensity"] / total)
    assert got["rd_staff_share"] == pytest.approx(1 / total)
    assert got["certification"] == 0.0
    assert sum(got.values()) == pytest.approx(1.0)


def test_critic_weights(model: ScoringModel) -> None:
    frame = wide(
        model,
        {
            "rd_intensity": [0.0, 0.5, 1.0],
            "rd_staff_share": [0.0, 0.5, 1.0],
            "invention_grant_rate": [1.0, 0.5, 0.0],
        },
        3,
    )
    got = weights_of(critic_weights(normalized_matrix(frame, model), model), "critic")
    # sigma = 0.5 each; r(x, y) = 1, r(x, z) = r(y, z) = -1; undefined pairs are left out.
    # C_x = 0.5 * (0 + 0 + 2) = 1, C_y = 1, C_z = 0.5 * (2 + 2 + 0) = 2.
    assert got["rd_intensity"] == pytest.approx(0.25)
    assert got["rd_staff_share"] == pytest.approx(0.25)
    assert got["invention_grant_rate"] == pytest.approx(0.5)
    assert got["certification"] == 0.0


def test_pairwise_correlation_uses_common_rows_only() -> None:
    x = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 6.0], [np.nan, 1.0], [5.0, 10.0]])
    r = pairwise_correlation(x)
    assert r[0, 1] == pytest.approx(1.0)
    constant = pairwise_correlation(np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]))
    assert np.isnan(constant[0, 1])


def test_uninformative_data_gives_equal_weights(model: ScoringModel) -> None:
    frame = wide(model, {}, 4)
    assert entropy_weights(normalized_matrix(frame, model), model)[
        "entropy"
    ].to_list() == pytest.approx([1 / len(model.indicators)] * len(model.indicators))
    empty = wide(model, {}, 0)
    assert critic_weights(normalized_matrix(empty, model), model)["critic"].sum() == pytest.approx(
        1.0
    )


def test_comparison_is_within_dimension(model: ScoringModel) -> None:
    rng = np.random.default_rng(1)
    frame = wide(model, {n: rng.random(50).tolist() for n in model.indicator_names}, 50)
    table = weight_comparison(frame, model)
    assert table.columns == ["indicator", "dimension", "configured", "entropy", "critic"]
    sums = table.group_by("dimension").agg(pl.col("configured", "entropy", "critic").sum())
    for column in ("configured", "entropy", "critic"):
        assert sums[column].to_list() == pytest.approx([1.0] * len(model.dimensions), abs=1e-3)
    configured = weights_of(table, "configured")
    assert configured == pytest.approx(
        {n: round(within_dimension_weight(model, n), 4) for n in model.indicator_names}
    )


def test_row_blocks_do_not_change_the_weights(
    model: ScoringModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((101, len(model.indicator_names)))
    x[rng.random(x.shape) < 0.3] = np.nan
    whole = (entropy_weights(x, model), critic_weights(x, model), pairwise_correlation(x))
    monkeypatch.setattr("capscore.scoring.weights._BLOCK_ROWS", 7)
    blocked = (entropy_weights(x, model), critic_weights(x, model), pairwise_correlation(x))
    for one, other in zip(whole[:2], blocked[:2], strict=True):
        assert one.drop(one.columns[-1]).equals(other.drop(other.columns[-1]))
        assert one[one.columns[-1]].to_numpy() == pytest.approx(other[other.columns[-1]].to_numpy())
    assert np.allclose(whole[2], blocked[2], equal_nan=True)
