"""Resources shared by every asset."""

from __future__ import annotations

import dagster as dg

from storage.paths import DataRoot, resolve_data_root


class CapscoreResource(dg.ConfigurableResource):
    """Where this deployment's data lives; `CAPSCORE_DATA_ROOT` or `./data` by default."""

    data_root: str

    @property
    def root(self) -> DataRoot:
        return DataRoot.resolve(self.data_root)


def default_resources() -> dict[str, object]:
    return {"capscore": CapscoreResource(data_root=str(resolve_data_root()))}
