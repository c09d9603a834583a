"""What the warehouse masks: columns holding personal data (outputs.md)."""

from __future__ import annotations

# Masked in every warehouse view (first character, then *).
PERSONAL_COLUMNS = {"legal_representative"}
PERSONAL_LIST_COLUMNS = {"inventors"}
