"""Loads vocabulary.yaml: legal forms and industry words (the applicant-kind markers are
core's: core/applicant_kinds.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from capscore.core.applicant_kinds import alternation as alternation

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
    )
