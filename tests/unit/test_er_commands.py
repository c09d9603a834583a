"""eval-er / train-er plumbing, the committed model, and the er assets' wiring."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.partitions import daily_partitions
from assets.resolve import resolve_assets
from capscore.entity_resolution.model import MODEL_JSON, TRAINING_PAIRS, MatchModel, load_model
from capscore.entity_resolution.training import (
    TrainingConfig,
    feature_columns,
    fit_model,
    label_pairs,
    read_pairs,
)
from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.er_commands import (
    TrainingDataError,
    align_review_pairs,
    eval_er,
    training_pairs_from_root,
)

DAY = date(2026, 11, 20)


def test_committed_model_matches_its_inputs() -> None:
    # Refuses to load when comparisons.yaml, config.yaml or the pairs changed since training.
    model = load_model()
    assert model.version == TrainingConfig.load().version
    assert model.thresholds.review <= model.thresholds.match


def test_fitting_is_deterministic() -> None:
    pairs = read_pairs(TRAINING_PAIRS)
    sample = pl.concat(
        [pairs.filter(pl.col("label") == 1).head(800), pairs.filter(pl.col("label") == 0).head(800)]
    )
    config = TrainingConfig.load()
    first = fit_model(sample, config, {"training_pairs_sha256": "x"})
    second = fit_model(sample, config, {"training_pairs_sha256": "x"})
    assert first.to_json() == second.to_json()
    # Matches are told from non-matches: an identical name outweighs a different one.
    assert first.weights["full_name"]["else"] < first.weights["full_name"]["exact"]


def test_label_pairs_marks_the_true_enterprise() -> None:
    features = {c: [None] * 4 for c in feature_columns()}
    scored = pl.DataFrame(
        {
            **features,
            "mention_key": ["m1", "m1", "m1", "m2"],
            "mention_type": ["applicant"] * 4,
            "mention_name": ["甲", "甲", "甲", "乙"],
            "credit_code": ["A", "A", "B", "A"],
            "registry_name": ["甲公司", "甲旧名", "丙", "甲公司"],
            "sim_full": [0.5, 1.0, 0.2, 0.4],
            "sim_core": [0.5, 1.0, 0.2, 0.4],
        }
    )
    truth = pl.DataFrame(
        {
            "mention_key": ["m1", "m2"],
            "credit_code": ["A", None],
            "noise": ["former_name", "lookalike"],
        }
    )
    out = label_pairs(scored, truth, "test").sort("mention_key", "credit_code")
    assert out.select("mention_key", "credit_code", "registry_name", "label").rows() == [
        ("m1", "A", "甲旧名", 1),
        ("m1", "B", "丙", 0),
        ("m2", "A", "甲公司", 0),
    ]


def _links(root: DataRoot) -> None:
    links = pl.DataFrame(
        {
            "mention_key": ["CN1#0", "CN1#1", "CN2#0"],
            "application_number": ["CN1", "CN1", "CN2"],
            "applicant_position": [0, 1, 0],
            "applicant": ["a", "b", "c"],
            "applicant_kind": ["enterprise", "university", "enterprise"],
            "credit_code": ["X", None, "Y"],
            "match_probability": [0.99, 0.0, 0.5],
            "method": ["exact_name", "none", "fuzzy"],
            "decision": ["matched", "unmatched", "review"],
            "explanation": ["e"] * 3,
            "decided_by": ["model"] * 3,
        }
    )
    write_partition(root, table_named("er.applicant_links"), links, DAY.isoformat())


def test_eval_er_reads_the_latest_links_and_the_truth(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    _links(root)
    root.truth.mkdir()
    pl.DataFrame(
        {
            "application_number": ["CN1", "CN1", "CN2"],
            "applicant_position": [0, 1, 0],
            "applicant": ["a", "b", "c"],
            "credit_code": ["X", "", "Y"],
            "applicant_kind": ["enterprise", "university", "enterprise"],
            "noise": ["exact", "non_registry", "typo"],
        }
    ).write_csv(root.truth / "applicant_links.csv")
    report, text = eval_er(root)
    assert report["as_of_date"] == DAY.isoformat()
    assert report["applicant"]["precision"] == 1.0
    assert report["applicant"]["recall"] == 0.5
    assert report["applicant"]["review_share"] == pytest.approx(1 / 3, abs=1e-6)
    assert "applicant_recall" in text and "NOT MET" in text
    assert [r["match_threshold"] for r in report["applicant"]["threshold_tradeoff"]] == [
        0.95,
        0.97,
        0.98,
        0.99,
    ]
    assert "stricter threshold" in text


def test_eval_er_needs_truth(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    _links(root)
    with pytest.raises(FileNotFoundError, match="truth"):
        eval_er(root)


def test_training_refuses_the_wrong_seed(tmp_path: Path) -> None:
    root = DataRoot(tmp_path)
    root.truth.mkdir()
    (root.truth / "manifest.json").write_text('{"seed": 42}', encoding="utf-8")
    with pytest.raises(TrainingDataError, match="seed 42"):
        training_pairs_from_root(root, DAY, TrainingConfig.load())


def test_assets_are_wired_as_the_architecture_says() -> None:
    keys = {k.to_user_string(): a for a in resolve_assets for k in a.keys}
    assert set(keys) == {"er/applicant_links", "er/rd_links", "er/review_queue"}
    for name, asset in keys.items():
        assert asset.partitions_def == daily_partitions
        group = "review" if name == "er/review_queue" else "er"
        assert asset.group_names_by_key[dg.AssetKey.from_user_string(name)] == group
    links = keys["er/applicant_links"]
    # One step builds both link tables (the registry index once); each can run alone.
    assert links is keys["er/rd_links"] and links.can_subset

    def deps(name: str) -> set[str]:
        return {
            k.to_user_string() for k in keys[name].asset_deps[dg.AssetKey.from_user_string(name)]
        }

    assert deps("er/applicant_links") == {"core/patent", "core/enterprise"}
    assert deps("er/rd_links") == {"raw/rd_records", "core/enterprise"}
    # Ranked by what is at stake as of the same date: built after its credit limits;
    # counts the R&D filers' names as filed (the links hold a person's masked).
    assert deps("er/review_queue") == {
        "er/applicant_links",
        "er/rd_links",
        "raw/rd_records",
        "scoring/indicator_value",
        "credit/credit_limit",
    }


def test_model_file_round_trips() -> None:
    text = MODEL_JSON.read_text(encoding="utf-8")
    assert MatchModel.from_json(text).to_json() == text


def test_stored_review_pairs_survive_a_new_feature() -> None:
    """Reviewer pairs stored before a comparison was added stay, the new feature unknown."""
    pairs = read_pairs(TRAINING_PAIRS).head(3)
    stored = pairs.head(2).with_columns(pl.lit("review decisions x").alias("source"))
    older = stored.drop("substitution")
    said: list[str] = []
    kept = align_review_pairs(older, pairs, said.append)
    assert kept.columns == pairs.columns and kept.height == 2
    assert kept["substitution"].null_count() == 2
    assert kept.drop("substitution").equals(stored.drop("substitution"))
    assert said and "substitution" in said[0] and "--review-root" in said[0]
    assert align_review_pairs(stored.clear(), pairs, said.append).height == 0
