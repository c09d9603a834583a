"""The scoring model as a typed, validated object, loaded from versioned YAML."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scoring_models.catalog import KNOWN_INDICATORS, TRANSFORMS, UNITS
from scoring_models.versioning import LOCK_FILE, load_versioned_yaml, read_lock

SCORING_V1 = Path(__file__).with_name("scoring_v1.yaml")
SCORING_V2 = Path(__file__).with_name("scoring_v2.yaml")
# The version the pipeline scores with (older versions stay loadable by path).
DEFAULT_MODEL = SCORING_V2

Direction = Literal["higher", "lower"]
_AGE_REVENUE_KEYS = {"age_lte", "age_gt", "revenue_lt", "revenue_gte"}
# Without a known revenue the stage is read from age and size (scoring v2).
_AGE_SIZE_KEYS = {"age_lte", "age_gt", "staff_gte", "staff_lt", "capital_gte", "capital_lt"}
_BAND_BOUNDS = ("gte", "gt", "lte", "lt")
# Peer-group levels an indicator can be ranked in, most specific first.
PEER_LEVELS = ("industry_section_x_life_stage", "life_stage", "industry_section", "all")
SCORINGS = ("percentile", "bands")


class ScoringModelError(ValueError):
    """A scoring YAML that is locked but not a usable model."""


@dataclass(frozen=True)
class Band:
    """Score `score` when the raw value meets every bound given (a band without bounds
    matches anything: the catch-all)."""

    score: float
    bounds: Mapping[str, float]


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    dimension: str
    label: str
    direction: Direction
    weight: float
    unit: str
    transform: str
    # percentile: rank among peers; bands: an absolute table (bands, first match wins).
    scoring: str = "percentile"
    bands: tuple[Band, ...] = ()
    # A count whose zero means "no evidence": scored 0, below every peer with evidence.
    zero_is_no_evidence: bool = False
    source: str | None = None


@dataclass(frozen=True)
class StageRule:
    """`stage` holds when any of the condition sets holds (each set is a conjunction)."""

    stage: str
    any_of: tuple[Mapping[str, float], ...]


@dataclass(frozen=True)
class PatentRules:
    granted_statuses_without_date: tuple[str, ...]
    invalid_statuses: tuple[str, ...]
    refused_statuses: tuple[str, ...]
    ipc_subclass_pattern: str
    type_invention: tuple[str, ...]
    type_ii: tuple[str, ...]
    forward_window_years: int
    cohort_min_size: int
    normalization_quantile: float
    breakthrough_quantile: float
    quality_index_components: tuple[str, ...]
    # shared: every patent tied at the cohort quantile is a breakthrough (v1);
    # broken: at most ceil(share x cohort) patents, ties broken by earlier
    # publication then application number.
    breakthrough_ties: str = "shared"


@dataclass(frozen=True)
class ScoringModel:
    version: str
    sha256: str
    path: Path
    patents: PatentRules
    active_statuses: tuple[str, ...]
    days_per_year: float
    recent_months: int
    portfolio_months: int
    growth_years: int
    fiscal_years: int
    fiscal_max_lag_years: int
    growth_skips_founding_year: bool
    hnte_points: float
    srdi_points: Mapping[str, float]
    partner_kinds: tuple[str, ...]
    life_stages: tuple[StageRule, ...]
    default_stage: str
    peer_min_size: int
    single_value_score: float
    dimensions: tuple[str, ...]
    dimension_labels: Mapping[str, str]
    indicators: tuple[IndicatorSpec, ...]
    stage_weights: Mapping[str, Mapping[str, float]]
    empty_dimension_score: float
    reason_count: int
    well_margin: float
    peer_levels: tuple[str, ...] = ("industry_section_x_life_stage", "life_stage", "all")
    # Credibility weighting of a dimension with missing indicators (None: none, v1):
    # Z = coverage (1 + k) / (coverage + k), dimension = Z x evidence + (1 - Z) x prior.
    credibility_k: float | None = None
    prior_score: float = 0.0
    # Stage rules when revenue is unknown (None: unknown revenue counts as 0, v1).
    life_stages_without_revenue: tuple[StageRule, ...] | None = None

    @property
    def stages(self) -> tuple[str, ...]:
        return tuple(self.stage_weights)

    @property
    def indicator_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.indicators)

    def indicator(self, name: str) -> IndicatorSpec:
        for spec in self.indicators:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _require(section: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in section:
        raise ScoringModelError(f"{where}: missing `{key}`")
    return section[key]


def _indicators(
    data: Mapping[str, Any],
) -> tuple[tuple[str, ...], dict[str, str], tuple[IndicatorSpec, ...]]:
    dims = _require(data, "dimensions", "model")
    specs: list[IndicatorSpec] = []
    labels: dict[str, str] = {}
    for dim, body in dims.items():
        labels[dim] = str(body.get("label", dim))
        indicators = _require(body, "indicators", f"dimensions.{dim}")
        if not indicators:
            raise ScoringModelError(f"dimensions.{dim}: no indicators")
        for name, spec in indicators.items():
            where = f"dimensions.{dim}.indicators.{name}"
            if name not in KNOWN_INDICATORS:
                raise ScoringModelError(f"{where}: unknown indicator (known: {KNOWN_INDICATORS})")
            direction = spec.get("direction")
            if direction not in ("higher", "lower"):
                raise ScoringModelError(f"{where}: direction must be higher or lower")
            weight = float(_require(spec, "weight", where))
            if not (weight > 0 and math.isfinite(weight)):
                raise ScoringModelError(f"{where}: weight must be a positive number")
            unit = spec.get("unit", "index")
            transform = spec.get("transform", "none")
            if unit not in UNITS or transform not in TRANSFORMS:
                raise ScoringModelError(f"{where}: unit in {UNITS}, transform in {TRANSFORMS}")
            scoring = spec.get("scoring", "percentile")
            if scoring not in SCORINGS:
                raise ScoringModelError(f"{where}: scoring must be one of {SCORINGS}")
            bands = _bands(spec.get("bands"), where) if scoring == "bands" else ()
            specs.append(
                IndicatorSpec(
                    name=name,
                    dimension=dim,
                    label=str(spec.get("label", name)),
                    direction=direction,
                    weight=weight,
                    unit=unit,
                    transform=transform,
                    scoring=scoring,
                    bands=bands,
                    zero_is_no_evidence=bool(spec.get("zero_is_no_evidence", False)),
                    source=spec.get("source"),
                )
            )
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ScoringModelError("an indicator is listed in more than one dimension")
    return tuple(dims), labels, tuple(specs)


def _bands(raw: Any, where: str) -> tuple[Band, ...]:
    if not raw:
        raise ScoringModelError(f"{where}: scoring bands needs a `bands` list")
    bands = []
    for i, band in enumerate(raw):
        bounds = {k: float(v) for k, v in band.items() if k != "score"}
        if set(bounds) - set(_BAND_BOUNDS) or "score" not in band:
            raise ScoringModelError(f"{where}.bands[{i}]: keys {_BAND_BOUNDS} and `score`")
        score = float(band["score"])
        if not 0 <= score <= 100:
            raise ScoringModelError(f"{where}.bands[{i}]: score must be within 0-100")
        bands.append(Band(score, bounds))
    if bands[-1].bounds:
        raise ScoringModelError(f"{where}: the last band must be a catch-all (no bounds)")
    return tuple(bands)


def _stage_weights(
    data: Mapping[str, Any], dimensions: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    weights: dict[str, dict[str, float]] = {}
    for stage, row in _require(data, "stage_weights", "model").items():
        if set(row) != set(dimensions):
            raise ScoringModelError(f"stage_weights.{stage}: needs exactly {dimensions}")
        values = {dim: float(row[dim]) for dim in dimensions}
        if any(v < 0 for v in values.values()) or not math.isclose(sum(values.values()), 1.0):
            raise ScoringModelError(f"stage_weights.{stage}: weights must be >= 0 and sum to 1")
        weights[stage] = values
    return weights


def _life_stages(
    data: Mapping[str, Any],
    stages: tuple[str, ...],
    key: str = "life_stages",
    allowed: set[str] = _AGE_REVENUE_KEYS,
) -> tuple[StageRule, ...]:
    rules = []
    for i, rule in enumerate(_require(data, key, "model")):
        stage = _require(rule, "stage", f"{key}[{i}]")
        if stage not in stages:
            raise ScoringModelError(f"{key}[{i}]: stage {stage!r} has no stage_weights")
        conditions = tuple(dict(c) for c in _require(rule, "any_of", f"{key}[{i}]"))
        for cond in conditions:
            if not cond or set(cond) - allowed:
                raise ScoringModelError(f"{key}[{i}]: conditions use {sorted(allowed)}")
        rules.append(
            StageRule(stage, tuple({k: float(v) for k, v in c.items()} for c in conditions))
        )
    return tuple(rules)


def model_from_dict(
    data: Mapping[str, Any], *, version: str, sha256: str, path: Path
) -> ScoringModel:
    """Validate a parsed scoring YAML (already checked against the lock)."""
    dimensions, labels, specs = _indicators(data)
    stage_weights = _stage_weights(data, dimensions)
    stages = tuple(stage_weights)
    default_stage = _require(data, "default_stage", "model")
    if default_stage not in stages:
        raise ScoringModelError(f"default_stage {default_stage!r} has no stage_weights")
    pat = _require(data, "patents", "model")
    pq = _require(data, "patent_quality", "model")
    ent = _require(data, "enterprises", "model")
    win = _require(data, "windows", "model")
    fis = _require(data, "fiscal", "model")
    cert = _require(data, "certification", "model")
    components = tuple(pq["quality_index_components"])
    allowed = {"forward_citations_5y", "family_size", "claims", "generality", "scope"}
    if not components or set(components) - allowed:
        raise ScoringModelError(f"patent_quality.quality_index_components: subset of {allowed}")
    for q in ("normalization_quantile", "breakthrough_quantile"):
        if not 0 < float(pq[q]) < 1:
            raise ScoringModelError(f"patent_quality.{q}: must be in (0, 1)")
    peer_groups = _require(data, "peer_groups", "model")
    peer_min = int(peer_groups["min_size"])
    levels = tuple(peer_groups.get("levels", ("industry_section_x_life_stage", "life_stage")))
    levels = (*levels, "all") if levels[-1:] != ("all",) else levels
    if set(levels) - set(PEER_LEVELS):
        raise ScoringModelError(f"peer_groups.levels: choose from {PEER_LEVELS}")
    coverage = _require(data, "coverage", "model")
    credibility = coverage.get("credibility_k")
    if credibility is not None and not float(credibility) > 0:
        raise ScoringModelError("coverage.credibility_k must be > 0")
    ties = str(pq.get("breakthrough_ties", "shared"))
    if ties not in ("shared", "broken"):
        raise ScoringModelError("patent_quality.breakthrough_ties: shared or broken")
    without_revenue = (
        _life_stages(data, stages, "life_stages_without_revenue", _AGE_SIZE_KEYS)
        if "life_stages_without_revenue" in data
        else None
    )
    reasons = _require(data, "reasons", "model")
    return ScoringModel(
        version=version,
        sha256=sha256,
        path=path,
        patents=PatentRules(
            granted_statuses_without_date=tuple(pat["granted_statuses_without_date"]),
            invalid_statuses=tuple(pat["invalid_statuses"]),
            refused_statuses=tuple(pat["refused_statuses"]),
            ipc_subclass_pattern=str(pat["ipc_subclass_pattern"]),
            type_invention=tuple(pat["type_invention"]),
            type_ii=tuple(pat["type_ii"]),
            forward_window_years=int(pq["forward_window_years"]),
            cohort_min_size=int(pq["cohort_min_size"]),
            normalization_quantile=float(pq["normalization_quantile"]),
            breakthrough_quantile=float(pq["breakthrough_quantile"]),
            quality_index_components=components,
            breakthrough_ties=ties,
        ),
        active_statuses=tuple(ent["active_statuses"]),
        days_per_year=float(ent["days_per_year"]),
        recent_months=int(win["recent_months"]),
        portfolio_months=int(win["portfolio_months"]),
        growth_years=int(win["growth_years"]),
        fiscal_years=int(fis["years"]),
        fiscal_max_lag_years=int(fis["max_lag_years"]),
        growth_skips_founding_year=bool(fis.get("growth_skips_founding_year", False)),
        hnte_points=float(cert["hnte_points"]),
        srdi_points={str(k): float(v) for k, v in cert["srdi_points"].items()},
        partner_kinds=tuple(_require(data, "collaboration", "model")["partner_kinds"]),
        life_stages=_life_stages(data, stages),
        default_stage=default_stage,
        peer_min_size=peer_min,
        single_value_score=float(_require(data, "percentile", "model")["single_value_score"]),
        dimensions=dimensions,
        dimension_labels=labels,
        indicators=specs,
        stage_weights=stage_weights,
        empty_dimension_score=float(coverage["empty_dimension_score"]),
        reason_count=int(reasons["count"]),
        well_margin=float(reasons["well_margin"]),
        peer_levels=levels,
        credibility_k=None if credibility is None else float(credibility),
        prior_score=float(coverage.get("prior_score", coverage["empty_dimension_score"])),
        life_stages_without_revenue=without_revenue,
    )


def load_scoring_model(path: str | Path | None = None, lock_path: Path = LOCK_FILE) -> ScoringModel:
    """Load and validate a scoring YAML (default: scoring_v1.yaml next to this module).

    Raises `VersionLockError` when the file changed without a new version, and
    `ScoringModelError` when it is not a consistent model.
    """
    config = load_versioned_yaml(path or DEFAULT_MODEL, lock_path)
    return model_from_dict(
        config.data, version=config.version, sha256=config.sha256, path=config.path
    )


def load_model_version(version: str, lock_path: Path = LOCK_FILE) -> ScoringModel:
    """The scoring model of a locked version (its file next to this module)."""
    entry = read_lock(lock_path).get(version)
    if entry is None:
        raise ScoringModelError(f"scoring model version {version!r} is not in {lock_path.name}")
    return load_scoring_model(lock_path.with_name(entry.file), lock_path)
