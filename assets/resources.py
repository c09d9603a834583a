"""Resources shared by every asset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from capscore.storage.paths import DataRoot
from capscore.storage.run_lock import root_lock


class CapscoreResource(dg.ConfigurableResource):
    """Where this deployment's data lives, held by one run at a time.

    The CLI sets `data_root` as run config; left unset (the UI, the daemon), the
    root is `$CAPSCORE_DATA_ROOT`, else `./data`. While a run executes it holds
    the root's lock (storage.run_lock), so a second run on the same root fails
    at once with the holder's name instead of interleaving writes.
    """

    data_root: str | None = None

    @property
    def root(self) -> DataRoot:
        return DataRoot.resolve(self.data_root)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[CapscoreResource]:
        if context.run_id is None:
            # A sensor evaluating (no run): it checks and takes the lock itself.
            yield self
            return
        with root_lock(self.root, f"Dagster run {context.run_id}"):
            yield self


def default_resources() -> dict[str, object]:
    return {"capscore": CapscoreResource()}
