"""The data root and the places under it (see ../shared/spec/outputs.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_ROOT_ENV = "CAPSCORE_DATA_ROOT"


def resolve_data_root(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """`--data-root`, else `$CAPSCORE_DATA_ROOT`, else `./data`; always absolute."""
    raw = cli_value if cli_value is not None else os.environ.get(DATA_ROOT_ENV) or "data"
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True)
class DataRoot:
    root: Path

    @classmethod
    def resolve(cls, cli_value: str | os.PathLike[str] | None = None) -> DataRoot:
        return cls(resolve_data_root(cli_value))

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def landing_source(self, source: str) -> Path:
        return self.landing / source

    def landing_partition(self, source: str, partition_date: str) -> Path:
        return self.landing / source / partition_date

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """Every published warehouse, one file per run (`warehouse.duckdb` is the latest)."""
        return self.root / "published"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def truth(self) -> Path:
        return self.root / "truth"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def cache(self) -> Path:
        """What a run keeps to spare the next one work: derived, safe to delete."""
        return self.root / "cache"

    @property
    def review(self) -> Path:
        """Reviewer decisions that override the match model (entity resolution)."""
        return self.root / "review"

    def relative(self, path: Path) -> str:
        """Path relative to the data root, with forward slashes (as `quality.*` stores it)."""
        return path.resolve().relative_to(self.root).as_posix()
