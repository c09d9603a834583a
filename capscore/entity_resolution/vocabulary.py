"""Loads vocabulary.yaml: legal forms, industry words and applicant-kind markers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

VOCABULARY_YAML = Path(__file__).with_name("vocabulary.yaml")


@dataclass(frozen=True)
class LegalForm:
    surface: str
    form: str
    group: bool


@dataclass(frozen=True)
class Vocabulary:
    version: int
    legal_forms_cjk: tuple[LegalForm, ...]
    legal_forms_latin: tuple[LegalForm, ...]
    branch_markers: tuple[str, ...]
    industry_cjk: tuple[str, ...]
    industry_latin: tuple[str, ...]
    kind_markers: dict[str, tuple[str, ...]]
    individual_max_chars: int


def _forms(rows: list[dict[str, Any]]) -> tuple[LegalForm, ...]:
    forms = (LegalForm(str(r["surface"]), str(r["form"]), bool(r["group"])) for r in rows)
    return tuple(sorted(forms, key=lambda f: (-len(f.surface), f.surface)))


@cache
def vocabulary(path: Path = VOCABULARY_YAML) -> Vocabulary:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Vocabulary(
        version=int(raw["version"]),
        legal_forms_cjk=_forms(raw["legal_forms_cjk"]),
        legal_forms_latin=_forms(raw["legal_forms_latin"]),
        branch_markers=tuple(raw["branch_markers"]),
        industry_cjk=tuple(raw["industry_cjk"]),
        industry_latin=tuple(raw["industry_latin"]),
        kind_markers={k: tuple(v) for k, v in raw["kind_markers"].items()},
        individual_max_chars=int(raw["individual_max_chars"]),
    )


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """Regex alternation of literal words, longest first (the regex engine tries in order)."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"
