"""Resources shared by every asset."""

from __future__ import annotations

import dagster as dg

from capscore.storage.paths import DataRoot


class CapscoreResource(dg.ConfigurableResource):
    """Where this deployment's data lives.

    Left unset, the root is read when a run starts (`$CAPSCORE_DATA_ROOT`, else
    `./data`), so one process can run several data roots one after another.
    """

    data_root: str | None = None

    @property
    def root(self) -> DataRoot:
        return DataRoot.resolve(self.data_root)


def default_resources() -> dict[str, object]:
    return {"capscore": CapscoreResource()}
