"""Applicant kinds, as entity resolution reads them: core's rule (core/applicant_kinds.py).

Core masks the applicants that rule calls individuals before entity resolution reads
core/patent, and the rule calls such a masked name (张**) an individual again: every
applicant keeps its kind, and only enterprises and unknowns are looked up in the
registry (CANDIDATE_KINDS).
"""

from __future__ import annotations

from capscore.core.applicant_kinds import KINDS, classify_kinds

__all__ = ["CANDIDATE_KINDS", "KINDS", "classify_kinds"]

CANDIDATE_KINDS = ("enterprise", "unknown")
