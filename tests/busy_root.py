"""A Dagster job that fails as a run does when another process holds its data root:
its resource raises RootBusy as it starts, before any step."""

from __future__ import annotations

import dagster as dg

from capscore.storage.run_lock import RootBusy


class BusyRoot(dg.ConfigurableResource):
    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        raise RootBusy("data root /srv/capscore is busy: capscore run (pid 7) holds it")


@dg.op
def needs_the_root(busy_root: BusyRoot) -> None:
    pass


@dg.job(resource_defs={"busy_root": BusyRoot()})
def launched_while_busy() -> None:
    needs_the_root()
