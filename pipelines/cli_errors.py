"""Errors of input a person must fix, which the CLI reports in one line (exit 2).

Kept free of heavy imports: `pipelines.cli.main` imports it for every command.
"""

from __future__ import annotations


class NotBuilt(ValueError):
    """An as-of date asked for that was never built (e.g. between the landing dates of a
    `--landing-dates-only` backfill)."""
