"""The enterprise indicators the code knows how to compute (scoring.md §2).

The scoring YAML chooses among these (weights, directions, labels); a YAML
naming anything else is refused when it is loaded.
"""

from __future__ import annotations

INNOVATION = (
    "rd_intensity",
    "rd_staff_share",
    "invention_filings_3y",
    "valid_invention_stock",
    "portfolio_quality",
    "originality_mean",
    "invention_grant_rate",
    "ip_class_points",
)
COMPETITIVENESS = (
    "revenue_scale",
    "valid_patent_share",
    "international_reach",
    "technology_breadth",
    "certification",
    "debt_ratio",
    "international_patents",
    "staff_scale",
)
EVOLUTION = (
    "filing_growth",
    "revenue_growth",
    "rd_growth",
    "new_fields_3y",
    "pending_share",
    "recent_filings_12m",
)
INFLUENCE = (
    "forward_citations",
    "citing_applicants",
    "breakthrough_patents",
    "generality_mean",
    "collaboration",
)

KNOWN_INDICATORS: tuple[str, ...] = INNOVATION + COMPETITIVENESS + EVOLUTION + INFLUENCE

# Units decide how a raw value is written in reasons and memos.
UNITS = ("percent", "count", "wan", "index", "level")
TRANSFORMS = ("none", "log1p")
