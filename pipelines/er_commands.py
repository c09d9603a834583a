"""`capscore eval-er` and `capscore train-er`: plain functions returning data and printable text.

eval-er reads the er link tables of a data root (latest as-of date unless
given) and its truth/ folder. train-er rebuilds the training pairs from a data
root generated with the configured training seed (model/config.yaml) and/or
refits model/er_model.json from model/training_pairs.parquet; the same pairs give
the same model file, byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from assets.er_inputs import (
    ResolveInputs,
    core_from_raw,
    last_landing_date,
    latest_as_of,
    read_decisions,
    read_links,
    read_truth,
)
from capscore.entity_resolution.evaluation import (
    applicant_truth,
    evaluate_links,
    rd_truth,
    report_text,
    threshold_tradeoff,
)
from capscore.entity_resolution.kinds import CANDIDATE_KINDS, classify_kinds
from capscore.entity_resolution.model import MODEL_JSON, TRAINING_PAIRS
from capscore.entity_resolution.registry import prepare_registry
from capscore.entity_resolution.resolve import (
    applicant_mentions,
    pair_features,
    rd_name_mentions,
)
from capscore.entity_resolution.training import (
    ID_COLUMNS,
    TrainingConfig,
    feature_columns,
    fit_model,
    label_pairs,
    read_pairs,
    write_pairs,
)
from capscore.storage.hashing import file_sha256
from capscore.storage.paths import DataRoot


class TrainingDataError(RuntimeError):
    """The data root cannot provide training pairs (wrong seed, no truth, not ingested)."""


def eval_er(root: DataRoot, as_of: date | None = None) -> tuple[dict[str, Any], str]:
    """Metrics of the er links as of `as_of` (default: the latest) against root/truth/."""
    day = as_of or latest_as_of(root)
    if day is None:
        raise FileNotFoundError(
            f"no er/applicant_links partitions under {root.lake}: run the pipeline first"
        )
    applicant_truth_raw, rd_truth_raw = read_truth(root)
    if applicant_truth_raw is None and rd_truth_raw is None:
        raise FileNotFoundError(f"no ground truth under {root.truth} (only generated data has it)")
    applicant_links, rd_links = read_links(root, day)
    report = evaluate_links(applicant_links, rd_links, applicant_truth_raw, rd_truth_raw)
    if "applicant" in report and applicant_links is not None and applicant_truth_raw is not None:
        # Four more passes over the links: asked for here, not in the er asset's metadata.
        report["applicant"]["threshold_tradeoff"] = threshold_tradeoff(
            applicant_links, applicant_truth(applicant_truth_raw)
        ).to_dicts()
    report["as_of_date"] = day.isoformat()
    return report, f"entity resolution as of {day} vs {root.truth}\n" + report_text(report)


def _manifest_seed(root: DataRoot) -> object:
    path = root.truth / "manifest.json"
    if not path.exists():
        raise TrainingDataError(f"{path} missing: generate the training data first")
    return json.loads(path.read_text(encoding="utf-8")).get("seed")


def labelled_pairs(
    inputs: ResolveInputs, truth: tuple[pl.DataFrame, pl.DataFrame], source: str
) -> pl.DataFrame:
    """Labelled candidate pairs of every looked-up applicant and every R&D filing
    resolved by name (truth: raw applicant_links.csv and rd_links.csv frames)."""
    registry = prepare_registry(inputs.enterprises, inputs.history)
    mentions = applicant_mentions(inputs.patents)
    lookup = mentions.filter(classify_kinds(mentions["mention_name"]).is_in(CANDIDATE_KINDS))
    applicant = label_pairs(pair_features(lookup, registry), applicant_truth(truth[0]), source)
    rd = label_pairs(
        pair_features(rd_name_mentions(inputs.rd, registry), registry), rd_truth(truth[1]), source
    )
    return _ordered(pl.concat([applicant, rd]))


def training_pairs_from_root(root: DataRoot, as_of: date, config: TrainingConfig) -> pl.DataFrame:
    """Labelled pairs as of `as_of` from a data root generated with the training seed
    and ingested into raw/: the evaluation seeds must never leak into training."""
    seed = _manifest_seed(root)
    if seed != config.seed:
        raise TrainingDataError(
            f"{root.root} was generated with seed {seed}; training uses seed {config.seed}"
            " (model/config.yaml) so that evaluation seeds stay unseen"
        )
    inputs = core_from_raw(root, as_of)
    if inputs.enterprises.height == 0 or inputs.patents.height == 0:
        raise TrainingDataError(f"no raw registry/patent rows in {root.lake}: run the ingest first")
    applicant_truth_raw, rd_truth_raw = read_truth(root)
    if applicant_truth_raw is None or rd_truth_raw is None:
        raise TrainingDataError(f"ground truth missing under {root.truth}")
    source = f"generated seed={config.seed} enterprises={config.enterprises} as_of={as_of}"
    return labelled_pairs(inputs, (applicant_truth_raw, rd_truth_raw), source)


def review_pairs(root: DataRoot, as_of: date) -> pl.DataFrame:
    """Training rows from reviewer decisions: the reviewed mentions' candidate pairs,
    labelled by what the reviewer chose (`no match` labels every candidate 0)."""
    decisions = read_decisions(root)
    if decisions is None:
        return pl.DataFrame(schema=ID_COLUMNS)
    inputs = core_from_raw(root, as_of)
    registry = prepare_registry(inputs.enterprises, inputs.history)
    reviewed = decisions.select("mention_key")
    applicants = applicant_mentions(inputs.patents).join(reviewed, on="mention_key", how="semi")
    rd = rd_name_mentions(inputs.rd, registry).join(reviewed, on="mention_key", how="semi")
    truth = decisions.with_columns(pl.lit("review").alias("noise"))
    source = f"review decisions {root.root} as_of={as_of}"
    return _ordered(
        pl.concat(
            [
                label_pairs(pair_features(applicants, registry), truth, source),
                label_pairs(pair_features(rd, registry), truth, source),
            ]
        )
    )


def _ordered(pairs: pl.DataFrame) -> pl.DataFrame:
    """Stable row and column order, so that the CSV (and the model) are reproducible."""
    columns = list(ID_COLUMNS) + feature_columns()
    return pairs.select(columns).sort("source", "mention_key", "credit_code")


def train_er(
    training_root: DataRoot | None = None,
    as_of: date | None = None,
    review_roots: tuple[DataRoot, ...] = (),
    pairs_path: Path = TRAINING_PAIRS,
    model_path: Path = MODEL_JSON,
    say: Callable[[str], None] = print,
) -> tuple[dict[str, Any], str]:
    """Rebuild the training pairs (from `training_root`, plus reviewer decisions of
    `review_roots`) when given, then fit the model from the pairs file."""
    config = TrainingConfig.load()
    if training_root is not None:
        day = as_of or _last_landing(training_root)
        pairs = training_pairs_from_root(training_root, day, config)
        say(f"{pairs.height:,} training pairs from {training_root.root} as of {day}")
        if pairs_path.exists():
            reviews = read_pairs(pairs_path).filter(pl.col("source").str.starts_with("review"))
            pairs = pl.concat([pairs, align_review_pairs(reviews, pairs, say)])
        write_pairs(pairs, pairs_path)
    for review_root in review_roots:
        day = as_of or _last_landing(review_root)
        added = review_pairs(review_root, day)
        kept = read_pairs(pairs_path)
        merged = pl.concat([kept, added.select(kept.columns).cast(kept.schema)])
        write_pairs(
            merged.unique(subset=["source", "mention_key", "credit_code"], keep="last"), pairs_path
        )
        say(f"{added.height:,} reviewed pairs added from {review_root.root}")
    pairs = read_pairs(pairs_path)
    model = fit_model(pairs, config, {"training_pairs_sha256": file_sha256(pairs_path)})
    model_path.write_text(model.to_json(), encoding="utf-8")
    summary = {
        "version": model.version,
        "training_rows": pairs.height,
        "positives": int(pairs["label"].sum()),
        "model_file": str(model_path),
        "sha256": file_sha256(model_path),
    }
    weights = "\n".join(
        f"  {name:<18} " + ", ".join(f"{label} {w:+.2f}" for label, w in levels.items())
        for name, levels in model.weights.items()
    )
    text = (
        f"trained {model.version} on {pairs.height:,} pairs ({summary['positives']:,} matches)"
        f" -> {model_path}\n  intercept {model.intercept:+.2f}\n{weights}"
    )
    return summary, text


def align_review_pairs(
    reviews: pl.DataFrame, pairs: pl.DataFrame, say: Callable[[str], None]
) -> pl.DataFrame:
    """Stored review pairs in the columns of the new `pairs`. A feature added since they
    were stored is unknown for them (null: its catch-all level); re-add their data
    root with --review-root to compute it."""
    missing = [c for c in pairs.columns if c not in reviews.columns]
    if missing and reviews.height:
        say(
            f"{reviews.height:,} stored review pairs predate {', '.join(missing)}: kept with"
            " those unknown; re-add their data roots with --review-root to compute them"
        )
    return (
        reviews.with_columns(pl.lit(None).alias(c) for c in missing)
        .select(pairs.columns)
        .cast(pairs.schema)
    )


def _last_landing(root: DataRoot) -> date:
    day = last_landing_date(root)
    if day is None:
        raise TrainingDataError(f"no raw patents in {root.lake}: run the ingest first")
    return day
