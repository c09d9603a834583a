"""The match model: comparison levels (comparisons.yaml) -> one weight per level -> probability.

A logistic model over level indicators, Platt-calibrated and folded back
into one log-odds weight per level, so that scoring is a sum of weights done in
polars (no feature matrix at 1M-enterprise scale) and every decision can be
explained by the levels that moved it. The fitted model is a JSON file written
by `training.train` and never edited by hand.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, reduce
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from capscore.storage.hashing import cached_file_sha256

PACKAGE_DIR = Path(__file__).parent
COMPARISONS_YAML = PACKAGE_DIR / "comparisons.yaml"
MODEL_DIR = PACKAGE_DIR / "model"
MODEL_JSON = MODEL_DIR / "er_model.json"
CONFIG_YAML = MODEL_DIR / "config.yaml"
TRAINING_PAIRS = MODEL_DIR / "training_pairs.parquet"

_OPS = {
    "eq": lambda c, v: c == v,
    "ne": lambda c, v: c != v,
    "ge": lambda c, v: c >= v,
    "gt": lambda c, v: c > v,
    "le": lambda c, v: c <= v,
    "lt": lambda c, v: c < v,
    "in": lambda c, v: c.is_in(v),
    "is_null": lambda c, v: c.is_null() if v else c.is_not_null(),
}


@dataclass(frozen=True)
class Level:
    label: str
    text: str
    when: dict[str, dict[str, Any]] | None

    def condition(self) -> pl.Expr:
        if not self.when:
            return pl.lit(True)
        parts = [
            _OPS[op](pl.col(column), value).fill_null(False)
            for column, tests in self.when.items()
            for op, value in tests.items()
        ]
        return reduce(lambda a, b: a & b, parts)


@dataclass(frozen=True)
class Comparison:
    name: str
    levels: tuple[Level, ...]
    reference: str

    @property
    def reference_index(self) -> int:
        return [level.label for level in self.levels].index(self.reference)

    def level_index(self) -> pl.Expr:
        """Index of the first level whose condition holds."""
        expr: pl.Expr = pl.lit(len(self.levels) - 1, dtype=pl.UInt8)
        for i in reversed(range(len(self.levels) - 1)):
            expr = (
                pl.when(self.levels[i].condition()).then(pl.lit(i, dtype=pl.UInt8)).otherwise(expr)
            )
        return expr.alias(self.column)

    @property
    def column(self) -> str:
        """The level-index column (prefixed: a comparison may share a feature's name)."""
        return f"level_{self.name}"


@cache
def comparisons(path: Path = COMPARISONS_YAML) -> tuple[Comparison, ...]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Comparison(
            name=c["name"],
            levels=tuple(Level(lv["label"], lv["text"], lv.get("when")) for lv in c["levels"]),
            reference=c.get("reference", c["levels"][0]["label"]),
        )
        for c in raw["comparisons"]
    )


def with_levels(pairs: pl.DataFrame, specs: Iterable[Comparison] | None = None) -> pl.DataFrame:
    """`pairs` plus one UInt8 level-index column per comparison."""
    return pairs.with_columns([c.level_index() for c in specs or comparisons()])


@dataclass(frozen=True)
class Thresholds:
    match: float  # top candidate at or above: matched (unless a rival is close)
    review: float  # top candidate at or above (and not matched): review
    rival: float  # a second candidate at or above sends a would-be match to review


@dataclass(frozen=True)
class MatchModel:
    version: str
    intercept: float
    weights: dict[str, dict[str, float]]
    thresholds: Thresholds
    provenance: dict[str, Any] = field(default_factory=dict)

    def weight_of(self, comparison: Comparison, index: int) -> float:
        return self.weights[comparison.name][comparison.levels[index].label]

    def logit(self, specs: Iterable[Comparison] | None = None) -> pl.Expr:
        """Sum of the level weights of the level-index columns made by `with_levels`.

        Added left to right, intercept first: `sum_horizontal` may associate the float
        additions differently from run to run (the last bit of a probability changed)."""
        terms = [
            pl.col(c.column).replace_strict(
                {i: self.weight_of(c, i) for i in range(len(c.levels))}, return_dtype=pl.Float64
            )
            for c in specs or comparisons()
        ]
        return reduce(operator.add, terms, pl.lit(self.intercept, dtype=pl.Float64))

    def probability(self, specs: Iterable[Comparison] | None = None) -> pl.Expr:
        return 1.0 / (1.0 + (-self.logit(specs)).exp())

    def to_json(self) -> str:
        body = {
            "version": self.version,
            "intercept": self.intercept,
            "weights": self.weights,
            "thresholds": self.thresholds.__dict__,
            "provenance": self.provenance,
        }
        return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> MatchModel:
        raw = json.loads(text)
        return cls(
            version=raw["version"],
            intercept=float(raw["intercept"]),
            weights={c: {k: float(v) for k, v in w.items()} for c, w in raw["weights"].items()},
            thresholds=Thresholds(**raw["thresholds"]),
            provenance=raw.get("provenance", {}),
        )


class StaleModelError(RuntimeError):
    """The model file does not belong to the comparisons, config or training data beside it."""


def load_model(path: Path = MODEL_JSON, check: bool = True) -> MatchModel:
    """The committed model; with `check`, refuse one whose recorded inputs changed since training."""
    model = MatchModel.from_json(path.read_text(encoding="utf-8"))
    if check:
        inputs = {
            "comparisons_sha256": COMPARISONS_YAML,
            "config_sha256": CONFIG_YAML,
            "training_pairs_sha256": TRAINING_PAIRS,
        }
        stale = [
            name
            for name, file in inputs.items()
            if not file.exists() or model.provenance.get(name) != cached_file_sha256(file)
        ]
        if stale:
            raise StaleModelError(
                f"{path.name} was trained on other inputs ({', '.join(stale)} changed);"
                " retrain with `capscore train-er`"
            )
        missing = [c.name for c in comparisons() if c.name not in model.weights]
        if missing:
            raise StaleModelError(f"{path.name} has no weights for {missing}; retrain")
    return model
