"""From indicator values to indicator, dimension and composite scores (scoring.md §3).

- Peer group: the levels of the model's `peer_groups.levels`, most specific
  first (v1: industry section x life stage, life stage; v2: industry section),
  then all. A level is used for an indicator when at least `min_size`
  enterprises of the group have a value; the enterprise's own peer_group
  applies the same rule to enterprise counts.
- Indicator score: `percentile` = 100 (r - 1) / (n - 1), r the average rank of
  the direction-adjusted value among the n peers with a value (ties share a
  rank); with `zero_is_no_evidence` a zero count scores 0, below every peer
  with evidence, and a positive count 100 r+ / n+, its average rank among the
  n+ peers with evidence (v2). `bands` = the score of the first band of an absolute
  table (official evaluation bands) the raw value falls in.
- Missing indicators are left out of their dimension with weights
  renormalized; coverage reports how much configured weight had data. With
  `coverage.credibility_k` (v2) a dimension with little coverage is shrunk
  toward the conservative `prior_score`: Z = c (1 + k) / (c + k),
  dimension = Z x evidence score + (1 - Z) x prior.
- Composite = Σ stage weight x dimension score.

scoring/indicator_value is stored one row per enterprise with a column group
per indicator (`indicator_columns`); enterprise scores are sums across those
columns. Only the reasons rank indicators within an enterprise, on a long
frame of three numeric columns (19M rows for a million enterprises).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from capscore.indicators.exact import SCORE_SCALE, UNIT_SCALE, exact_sum_horizontal
from capscore.row_lists import present_values, row_list
from capscore.scoring.wording import (
    empty_dimension_text,
    indicator_meta,
    reason_text,
    unmoved_text,
)
from capscore.storage.tables import PIVOT_SEPARATOR
from scoring_models.config import Band, IndicatorSpec, ScoringModel

INDICATOR_VALUE_SCHEMA: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "indicator": pl.Categorical(),
    "dimension": pl.Categorical(),
    "raw_value": pl.Float64(),
    "score": pl.Float64(),
    "peer_group": pl.Categorical(),
    "peer_size": pl.Int64(),
    "peer_median": pl.Float64(),
    "peer_median_score": pl.Float64(),
    "direction": pl.Categorical(),
    "weight": pl.Float64(),
    "model_version": pl.Categorical(),
}

# The lake stores scoring/indicator_value one row per enterprise with these fields per
# indicator, as columns `<indicator>__<field>`: 19 indicators' values side by side
# compress to two thirds of 19 rows per enterprise, each repeating the enterprise's
# code. The warehouse view and `indicator_rows` give the rows. The last field is never
# null for an indicator the model has (the view tells a date's indicators by it).
INDICATOR_FIELDS = (
    "dimension",
    "raw_value",
    "score",
    "peer_group",
    "peer_size",
    "peer_median",
    "peer_median_score",
    "direction",
    "weight",
)

_DIGITS = 6

# The fields of an indicator that scores and their reasons read.
_REASON_FIELDS = ("raw_value", "score", "peer_median", "peer_median_score")

# Integer group id column of each peer-group level in the wide frame (none: everyone).
_LEVEL_GROUP: dict[str, tuple[str, ...]] = {
    "industry_section_x_life_stage": ("_section_stage_group",),
    "life_stage": ("_stage_group",),
    "industry_section": ("_section_group",),
    "all": (),
}


def enterprise_score_schema(model: ScoringModel) -> dict[str, pl.DataType]:
    dims: dict[str, pl.DataType] = {d: pl.Float64() for d in model.dimensions}
    coverage: dict[str, pl.DataType] = {f"{d}_coverage": pl.Float64() for d in model.dimensions}
    evidence: dict[str, pl.DataType] = {f"{d}_evidence": pl.Float64() for d in model.dimensions}
    return {
        "credit_code": pl.String(),
        **dims,
        "composite": pl.Float64(),
        "peer_group": pl.String(),
        "life_stage": pl.String(),
        "industry_section": pl.String(),
        "coverage": pl.Float64(),
        **coverage,
        **evidence,
        "composite_evidence": pl.Float64(),
        "top_reasons": pl.List(pl.String()),
        "model_version": pl.String(),
    }


def level_name(level: str) -> pl.Expr:
    """The peer group's name at a level: "C-growth", "growth", "C" or "all"."""
    return {
        "industry_section_x_life_stage": pl.concat_str(
            pl.col("industry_section"), pl.lit("-"), pl.col("life_stage")
        ),
        "life_stage": pl.col("life_stage"),
        "industry_section": pl.col("industry_section"),
        "all": pl.lit("all"),
    }[level]


def level_known(level: str) -> pl.Expr:
    """Whether the enterprise has the keys of the level (an unknown section starts lower)."""
    section = pl.col("industry_section").is_not_null()
    stage = pl.col("life_stage").is_not_null()
    return {
        "industry_section_x_life_stage": section & stage,
        "life_stage": stage,
        "industry_section": section,
        "all": pl.lit(True),
    }[level]


def peer_choice(levels: Sequence[str], sizes: Sequence[pl.Expr], min_size: int) -> list[pl.Expr]:
    """Per level but the last (all): whether it is the one used (the first big enough)."""
    chosen: list[pl.Expr] = []
    for level, size in zip(levels[:-1], sizes[:-1], strict=True):
        chosen.append(level_known(level) & (size >= min_size))
    return chosen


def pick_level(chosen: Sequence[pl.Expr], values: Sequence[pl.Expr]) -> pl.Expr:
    """`values[i]` of the first chosen level, else the last value (all)."""
    expr = values[-1]
    for use, value in zip(reversed(chosen), reversed(values[:-1]), strict=True):
        expr = pl.when(use).then(value).otherwise(expr)
    return expr


def windowed(expr: pl.Expr, keys: Sequence[str]) -> pl.Expr:
    """`expr` over the groups of `keys`, or over the whole frame when there are none."""
    return expr.over(list(keys)) if keys else expr


def percentile_score(value: pl.Expr, keys: Sequence[str], single_value_score: float) -> pl.Expr:
    """100 (r - 1) / (n - 1) with r the average rank of `value` within `keys` (nulls stay null)."""
    rank = windowed(value.rank("average"), keys)
    n = windowed(value.count(), keys)
    return (
        pl.when(value.is_null())
        .then(None)
        .when(n <= 1)
        .then(pl.lit(single_value_score))
        .otherwise(100.0 * (rank - 1.0) / (n - 1.0))
    )


def _band_holds(raw: pl.Expr, band: Band) -> pl.Expr:
    tests = {
        "gte": lambda v: raw >= v,
        "gt": lambda v: raw > v,
        "lte": lambda v: raw <= v,
        "lt": lambda v: raw < v,
    }
    held = pl.lit(True)
    for bound, value in band.bounds.items():
        held = held & tests[bound](value)
    return held


def band_score(raw: pl.Expr, bands: Sequence[Band]) -> pl.Expr:
    """The score of the first band `raw` falls in (bands end with a catch-all); null stays null."""
    expr: pl.Expr = pl.lit(bands[-1].score)
    for band in reversed(bands[:-1]):
        expr = pl.when(_band_holds(raw, band)).then(pl.lit(band.score)).otherwise(expr)
    return pl.when(raw.is_null()).then(None).otherwise(expr).cast(pl.Float64)


def _evidence_score(
    raw: pl.Expr, spec: IndicatorSpec, keys: Sequence[str], model: ScoringModel
) -> pl.Expr:
    if spec.scoring == "bands":
        return band_score(raw, spec.bands)
    oriented = -raw if spec.direction == "lower" else raw
    if spec.zero_is_no_evidence:
        # A zero scores 0, below every peer with evidence; the peers with evidence spread
        # over (0, 100] by their rank among themselves, so that having one patent is not
        # worth as much as having the most.
        evidence = pl.when(raw > 0).then(raw)
        rank = windowed(evidence.rank("average"), keys)
        n = windowed(evidence.count(), keys)
        return (
            pl.when(raw.is_null()).then(None).when(raw <= 0).then(0.0).otherwise(100.0 * rank / n)
        )
    return percentile_score(oriented, keys, model.single_value_score)


def _score_indicator(frame: pl.DataFrame, name: str, model: ScoringModel) -> pl.DataFrame:
    """Adds <name>__score, __peer_group, __peer_size, __peer_median, __peer_median_score
    to the wide frame."""
    raw = pl.col(name)
    spec = model.indicator(name)
    levels = model.peer_levels
    keys = [_LEVEL_GROUP[level] for level in levels]
    frame = frame.with_columns(
        expr
        for i, level_keys in enumerate(keys)
        for expr in (
            _evidence_score(raw, spec, level_keys, model).alias(f"_score{i}"),
            windowed(raw.count(), level_keys).cast(pl.Int64).alias(f"_size{i}"),
            windowed(raw.median(), level_keys).alias(f"_median{i}"),
        )
    ).with_columns(
        windowed(pl.col(f"_score{i}").median(), level_keys).alias(f"_median_score{i}")
        for i, level_keys in enumerate(keys)
    )
    chosen = peer_choice(
        levels, [pl.col(f"_size{i}") for i in range(len(levels))], model.peer_min_size
    )

    def pick(column: str) -> pl.Expr:
        return pick_level(chosen, [pl.col(f"{column}{i}") for i in range(len(levels))])

    temporary = [
        f"{c}{i}"
        for c in ("_score", "_size", "_median", "_median_score")
        for i in range(len(levels))
    ]
    return frame.with_columns(
        pick("_score").round(_DIGITS).alias(f"{name}__score"),
        pick_level(chosen, [level_name(level) for level in levels])
        .cast(pl.Categorical)
        .alias(f"{name}__peer_group"),
        pick("_size").alias(f"{name}__peer_size"),
        pick("_median").alias(f"{name}__peer_median"),
        pick("_median_score").alias(f"{name}__peer_median_score"),
    ).drop(temporary)


def enterprise_peer_group(model: ScoringModel) -> pl.Expr:
    """The enterprise's own peer group: the first level whose group has min_size enterprises."""
    sizes = [windowed(pl.len(), [c for c in _group_columns(level)]) for level in model.peer_levels]
    chosen = peer_choice(model.peer_levels, sizes, model.peer_min_size)
    return pick_level(chosen, [level_name(level) for level in model.peer_levels])


def _group_columns(level: str) -> tuple[str, ...]:
    return {
        "industry_section_x_life_stage": ("industry_section", "life_stage"),
        "life_stage": ("life_stage",),
        "industry_section": ("industry_section",),
        "all": (),
    }[level]


def indicator_columns(
    wide: pl.DataFrame, profile: pl.DataFrame, model: ScoringModel
) -> pl.DataFrame:
    """scoring/indicator_value as the lake stores it: one row per enterprise (peer group
    by peer group), per indicator the columns `<indicator>__<field>` for each of
    INDICATOR_FIELDS, its model_version (`indicator_rows` gives the rows).

    `wide`: credit_code + one column per configured indicator (null =
    missing), as `indicators.enterprise.enterprise_indicators` returns it;
    `profile`: credit_code, industry_section, life_stage. Enterprises without
    a profile are not scored. Scores are computed column by column.
    """
    names = sorted(model.indicator_names)
    wide = wide.select("credit_code", *names)
    if not wide["credit_code"].is_sorted():
        wide = wide.sort("credit_code")
    frame = (
        wide.join(
            profile.select("credit_code", "industry_section", "life_stage"),
            on="credit_code",
            how="inner",
            maintain_order="left",
        )
        # The enterprises of a peer group side by side, in credit code order (kept from
        # `wide`: a stable sort by the two groups alone takes half the time at 1M): their
        # peer columns repeat, and the file is a third smaller than in credit code order
        # (measured at 1M, 2026-12-06).
        .sort("industry_section", "life_stage", maintain_order=True)
        .with_columns(
            pl.concat_str("industry_section", pl.lit("-"), "life_stage")
            .rank("dense")
            .alias("_section_stage_group"),
            pl.col("life_stage").rank("dense").alias("_stage_group"),
            pl.col("industry_section").rank("dense").alias("_section_group"),
        )
    )
    for name in names:
        frame = _score_indicator(frame, name, model)
    weights = dict(indicator_meta(model).select("indicator", "weight").iter_rows())

    def group(name: str) -> list[pl.Expr]:
        spec = model.indicator(name)
        given = {
            "raw_value": pl.col(name),
            "dimension": pl.lit(spec.dimension),
            "direction": pl.lit(spec.direction),
            "weight": pl.lit(weights[name]),
        }
        return [
            given.get(field, pl.col(f"{name}{PIVOT_SEPARATOR}{field}"))
            .cast(INDICATOR_VALUE_SCHEMA[field])
            .alias(f"{name}{PIVOT_SEPARATOR}{field}")
            for field in INDICATOR_FIELDS
        ]

    return frame.select(
        "credit_code",
        *[expr for name in names for expr in group(name)],
        pl.lit(model.version).alias("model_version"),
    ).with_columns(pl.col(pl.Categorical).cast(pl.String))


# Every stored indicator has a raw value: its column names the indicator.
_RAW_VALUE = f"{PIVOT_SEPARATOR}raw_value"


def _indicators_in(columns: Sequence[str]) -> list[str]:
    return sorted(c.removesuffix(_RAW_VALUE) for c in columns if c.endswith(_RAW_VALUE))


def stored_indicators(stored: pl.DataFrame) -> list[str]:
    """The indicators a stored scoring/indicator_value frame has columns for, sorted."""
    return _indicators_in(stored.columns)


def indicator_rows(stored: pl.DataFrame) -> pl.DataFrame:
    """scoring/indicator_value rows (`INDICATOR_VALUE_SCHEMA`) of a stored frame
    (`indicator_columns`): one per enterprise and indicator, sorted by credit_code,
    indicator."""
    if "indicator" in stored.columns:  # a date stored in rows, before the columns layout
        return stored.select([pl.col(n).cast(t) for n, t in INDICATOR_VALUE_SCHEMA.items()])
    names = stored_indicators(stored)
    if not names:
        return pl.DataFrame(schema=INDICATOR_VALUE_SCHEMA)
    # Row r * k + i of the rows is indicator i of the r-th enterprise in credit code
    # order: each field's columns, one after the other, gathered in that order.
    k, n = len(names), stored.height
    row = pl.int_range(n * k, dtype=pl.UInt32, eager=True)
    enterprise = stored.get_column("credit_code").arg_sort().gather(row // k)
    taken = (row % k) * n + enterprise

    def column(name: str, values: Sequence[pl.Series], take: pl.Series) -> pl.Series:
        # Typed before the gather: a category code is cheaper to copy 19 times than text.
        dtype = INDICATOR_VALUE_SCHEMA[name]
        return pl.concat([v.cast(dtype) for v in values]).gather(take).alias(name)

    def stored_field(f: str) -> list[pl.Series]:
        return [stored.get_column(f"{name}{PIVOT_SEPARATOR}{f}") for name in names]

    return pl.DataFrame(
        [
            column("credit_code", [stored.get_column("credit_code")], enterprise),
            column("indicator", [pl.Series(names)], row % k),
            *[column(f, stored_field(f), taken) for f in INDICATOR_FIELDS],
            column("model_version", [stored.get_column("model_version")], enterprise),
        ]
    )


def as_stored_columns(indicator_value: pl.DataFrame) -> pl.DataFrame:
    """scoring/indicator_value in the lake's columns layout (`indicator_columns`), also
    when given in rows (`indicator_rows`; a date stored before the layout)."""
    if "indicator" not in indicator_value.columns:
        return indicator_value
    rows = indicator_value.with_columns(pl.col(pl.Categorical).cast(pl.String))
    names = sorted(rows.get_column("indicator").unique().drop_nulls())
    wide = rows.pivot(
        on="indicator",
        index=["credit_code", "model_version"],
        values=list(INDICATOR_FIELDS),
        separator=PIVOT_SEPARATOR,
    )
    return wide.select(
        "credit_code",
        *[
            pl.col(f"{field}{PIVOT_SEPARATOR}{name}").alias(f"{name}{PIVOT_SEPARATOR}{field}")
            for name in names
            for field in INDICATOR_FIELDS
        ],
        "model_version",
    )


def field_columns(
    columns: Sequence[str], fields: Sequence[str], names: Sequence[str] | None = None
) -> list[str] | None:
    """What to read of a stored scoring/indicator_value table (its `columns`) for
    `fields` of its indicators (of `names` only, if given): credit_code, those fields'
    columns and model_version; None (read it whole) while it holds a date in rows, the
    layout before columns."""
    if "indicator" in columns:
        return None
    present = set(columns)
    wanted = [
        f"{n}{PIVOT_SEPARATOR}{f}"
        for n in _indicators_in(columns)
        if names is None or n in names
        for f in fields
    ]
    return ["credit_code", *[c for c in wanted if c in present], "model_version"]


def score_input_columns(columns: Sequence[str]) -> list[str] | None:
    """What `enterprise_scores` reads of a stored scoring/indicator_value table (its
    `columns`): at 1M 78 of 173 columns; the step's peak 4.8 -> 3.6 GB."""
    return field_columns(columns, _REASON_FIELDS)


def raw_value_columns(stored: pl.DataFrame, names: Sequence[str] | None = None) -> pl.DataFrame:
    """credit_code + one raw-value column per indicator (only `names`, if given) of a
    stored scoring/indicator_value frame (a date stored in rows too; in columns, its
    raw values are all it needs), sorted by credit_code."""
    stored = as_stored_columns(stored)
    return stored.select(
        "credit_code",
        *[
            pl.col(f"{n}{_RAW_VALUE}").alias(n)
            for n in _indicators_in(stored.columns)
            if names is None or n in names
        ],
    ).sort("credit_code")


def score_indicators(
    wide: pl.DataFrame, profile: pl.DataFrame, model: ScoringModel
) -> pl.DataFrame:
    """scoring/indicator_value rows (`INDICATOR_VALUE_SCHEMA`), sorted by credit_code,
    indicator (see `indicator_columns` for the arguments)."""
    return indicator_rows(indicator_columns(wide, profile, model))


def _stage_weight(model: ScoringModel, dimension: str) -> pl.Expr:
    mapping = {stage: weights[dimension] for stage, weights in model.stage_weights.items()}
    return pl.col("life_stage").replace_strict(mapping, default=0.0, return_dtype=pl.Float64)


def _top_reasons(frame: pl.DataFrame, names: Sequence[str], model: ScoringModel) -> pl.DataFrame:
    """_eid, top_reasons: k raising then k lowering indicators, as sentences.

    `frame`: one row per enterprise in _eid order (0, 1, ...) with `_contribution<i>`
    and the reason fields of indicator `names[i]`; `_ind` below is i, so it also
    orders the indicators by name.
    """
    k = min(model.reason_count, len(names))
    n = frame.height
    contribution = frame.select(f"_contribution{i}" for i in range(len(names))).to_numpy()
    # A stable sort of each enterprise's row: strongest first, ties to the alphabetically
    # first indicator; the k raising are the first k of the descending order that raise,
    # the k lowering the first k of the ascending order that lower (NaN sorts last).
    raising = np.argsort(-contribution, axis=1, kind="stable")[:, :k]
    lowering = np.argsort(contribution, axis=1, kind="stable")[:, :k]
    picked = np.hstack([raising, lowering])
    value = np.take_along_axis(contribution, picked, axis=1)
    moved = np.hstack([value[:, :k] > 0, value[:, k:] < 0])
    # Row-major: by enterprise, raising reasons then lowering, each strongest first.
    eid = np.broadcast_to(np.arange(n, dtype=np.uint32)[:, None], picked.shape)[moved]
    ind = picked[moved].astype(np.uint32)
    at = pl.Series(ind, dtype=pl.UInt32) * n + pl.Series(eid, dtype=pl.UInt32)

    def stacked(field: str) -> pl.Series:
        return pl.concat([frame.get_column(f"{field}{i}") for i in range(len(names))])

    wording = (
        indicator_meta(model)
        .join(pl.DataFrame({"indicator": names}).with_row_index("_ind"), on="indicator")
        .select("_ind", "label", "unit", "direction")
    )
    chosen = (
        pl.DataFrame({"_eid": eid, "_ind": ind, "contribution": value[moved]})
        .with_columns(stacked(f"_{field}").gather(at).alias(field) for field in _REASON_FIELDS)
        .join(wording, on="_ind", how="left", maintain_order="left")
        .with_columns(reason_text(model).alias("_text"))
    )
    return chosen.group_by("_eid", maintain_order=True).agg(pl.col("_text").alias("top_reasons"))


def credibility(coverage: pl.Expr, model: ScoringModel) -> pl.Expr:
    """Z in [0, 1]: how much of a dimension's evidence score counts, from its coverage.

    Without `credibility_k` (v1) every present indicator counts fully (Z = 1,
    an empty dimension aside). With it, Z = c (1 + k) / (c + k): full coverage
    counts fully, half coverage (k = 0.25) counts 83%, none counts nothing.
    """
    if model.credibility_k is None:
        return pl.when(coverage > 0).then(1.0).otherwise(0.0)
    k = model.credibility_k
    return coverage * (1.0 + k) / (coverage + k)


class StaleInputError(ValueError):
    """Indicator values made by another model version than the one scoring them."""


def require_model_version(indicator_value: pl.DataFrame, model: ScoringModel) -> None:
    """Scores combine indicators with the model's weights: values another version made
    (other indicators, other directions) must be recomputed first, never mixed in."""
    stale = set(indicator_value["model_version"].cast(pl.String).unique().to_list())
    stale -= {model.version}
    if stale:
        raise StaleInputError(
            f"scoring/indicator_value was made by {sorted(stale)}, not {model.version}: "
            "rematerialize it first"
        )


def enterprise_scores(
    indicator_value: pl.DataFrame, profile: pl.DataFrame, model: ScoringModel
) -> pl.DataFrame:
    """scoring/enterprise_score rows from scored indicators and the profile.

    `indicator_value` as the lake stores it (`indicator_columns`; a date stored
    in rows is read too): per indicator raw_value, score, peer_median and
    peer_median_score are read, dimensions and weights come from `model`;
    `profile`: credit_code, industry_section, life_stage. Everything is a
    column of one row per enterprise: no row per enterprise and indicator.
    """
    dims = model.dimensions
    names = sorted(model.indicator_names)
    stored = as_stored_columns(indicator_value)
    weight = dict(indicator_meta(model).select("indicator", "weight").iter_rows())
    dim_of = [dims.index(model.indicator(name).dimension) for name in names]

    def read(name: str, field: str) -> pl.Expr:
        column = f"{name}{PIVOT_SEPARATOR}{field}"
        return pl.col(column) if column in stored.columns else pl.lit(None, pl.Float64)

    ents = (
        profile.select("credit_code", "industry_section", "life_stage")
        .sort("credit_code")
        .with_row_index("_eid")
        .with_columns(
            enterprise_peer_group(model).alias("peer_group"),
            *[_stage_weight(model, d).alias(f"_stage_weight{i}") for i, d in enumerate(dims)],
        )
    )
    values = stored.select(
        "credit_code",
        *[
            read(name, field).cast(pl.Float64).alias(f"_{field}{i}")
            for i, name in enumerate(names)
            for field in _REASON_FIELDS
        ],
    )
    # Enterprises without indicator values score as if every indicator were missing.
    frame = ents.join(values, on="credit_code", how="left", maintain_order="left")

    def in_dimension(i: int) -> list[int]:
        return [j for j, d in enumerate(dim_of) if d == i]

    def score(j: int) -> pl.Expr:
        return pl.col(f"_score{j}")

    empty = model.empty_dimension_score
    frame = (
        frame.with_columns(
            *[
                exact_sum_horizontal(
                    [pl.lit(weight[names[j]]) * score(j) for j in in_dimension(i)], SCORE_SCALE
                ).alias(f"_weighted{i}")
                for i in range(len(dims))
            ],
            *[
                exact_sum_horizontal(
                    [
                        pl.when(score(j).is_not_null()).then(pl.lit(weight[names[j]]))
                        for j in in_dimension(i)
                    ],
                    UNIT_SCALE,
                ).alias(f"_present{i}")
                for i in range(len(dims))
            ],
        )
        .with_columns(
            pl.when(pl.col(f"_present{i}") > 0)
            .then(pl.col(f"_weighted{i}") / pl.col(f"_present{i}"))
            .otherwise(pl.lit(empty))
            .round(_DIGITS)
            .alias(f"{d}_evidence")
            for i, d in enumerate(dims)
        )
        .with_columns(
            credibility(pl.col(f"_present{i}"), model).alias(f"_credibility{i}")
            for i in range(len(dims))
        )
        .with_columns(
            (
                pl.col(f"_credibility{i}") * pl.col(f"{d}_evidence")
                + (1.0 - pl.col(f"_credibility{i}")) * model.prior_score
            )
            .round(_DIGITS)
            .alias(d)
            for i, d in enumerate(dims)
        )
        .with_columns(
            pl.sum_horizontal(pl.col(f"_stage_weight{i}") * pl.col(d) for i, d in enumerate(dims))
            .round(_DIGITS)
            .alias("composite"),
            pl.sum_horizontal(
                pl.col(f"_stage_weight{i}") * pl.col(f"{d}_evidence") for i, d in enumerate(dims)
            )
            .round(_DIGITS)
            .alias("composite_evidence"),
            pl.sum_horizontal(
                pl.col(f"_stage_weight{i}") * pl.col(f"_present{i}") for i in range(len(dims))
            )
            .round(_DIGITS)
            .alias("coverage"),
            *[
                pl.col(f"_present{i}").round(_DIGITS).alias(f"{d}_coverage")
                for i, d in enumerate(dims)
            ],
            # An indicator's effective composite weight: stage weight of its dimension x
            # the dimension's credibility x its weight renormalized over the dimension's
            # present indicators.
            *[
                (
                    pl.col(f"_stage_weight{i}")
                    * pl.col(f"_credibility{i}")
                    * weight[names[j]]
                    / pl.col(f"_present{i}")
                    * (score(j) - pl.col(f"_peer_median_score{j}"))
                )
                .round(_DIGITS)
                .alias(f"_contribution{j}")
                for j, i in enumerate(dim_of)
            ],
        )
    )
    reasons = _top_reasons(frame, names, model)
    empty_dims = present_values(
        *(
            pl.when(pl.col(f"{d}_coverage") == 0).then(
                pl.lit(empty_dimension_text(model.dimension_labels[d], empty))
            )
            for d in dims
        )
    )
    schema = enterprise_score_schema(model)
    return (
        frame.join(reasons, on="_eid", how="left")
        .with_columns(
            pl.concat_list(
                pl.col("top_reasons").fill_null(pl.lit([], dtype=pl.List(pl.String()))),
                empty_dims,
            ).alias("top_reasons"),
            pl.lit(model.version).alias("model_version"),
        )
        .with_columns(
            pl.when(pl.col("top_reasons").list.len() == 0)
            .then(row_list(unmoved_text()))
            .otherwise(pl.col("top_reasons"))
            .alias("top_reasons")
        )
        .sort("_eid")
        .select([pl.col(n).cast(t) for n, t in schema.items()])
    )


def score(
    wide: pl.DataFrame, profile: pl.DataFrame, model: ScoringModel
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(scoring/indicator_value rows, scoring/enterprise_score) from wide indicator values
    and the profile."""
    stored = indicator_columns(wide, profile, model)
    return indicator_rows(stored), enterprise_scores(stored, profile, model)
