"""Step progress of a CLI run, read from Dagster's event stream.

A 1M-firm run spends minutes inside one "build as-of dates" job; the person
who launched it sees each step start and end (elapsed, the step's peak memory,
partitions, rows).
On a terminal a live line counts the running step's seconds; in CI logs
(no terminal) only the plain start and end lines are written.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg

from assets.common import KEPT_ROWS
from pipelines.step_memory import PeakSampler

REFRESH_SECONDS = 1.0


@dataclass
class _Step:
    started: float
    # A step that writes several assets materializes each partition once per asset.
    partitions: set[str | None] = field(default_factory=set)
    # A single-run backfill materializes every partition with the run's one
    # metadata: rows are counted once per asset, not once per partition.
    rows: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    # Whether the memory sampler's peak is this step's alone.
    measured: bool = False


def _rows(rows: dict[str, int]) -> str:
    """The rows of a step's assets: named per asset when it wrote several."""
    if len(rows) > 1:
        return "".join(f", {asset} {count:,} rows" for asset, count in sorted(rows.items()))
    return "".join(f", {count:,} rows" for count in rows.values() if count)


@dataclass
class StepProgress:
    """Turns STEP_START / ASSET_MATERIALIZATION / STEP_SUCCESS / STEP_FAILURE events
    into lines; `live` adds a refreshing line for the running step."""

    write: Callable[[str], None]
    live: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    clock: Callable[[], float] = time.perf_counter
    _running: dict[str, _Step] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _ticker: threading.Thread | None = None
    _memory: PeakSampler = field(default_factory=PeakSampler)

    def handle(self, event: dg.DagsterEvent) -> None:
        step = event.step_key
        if step is None:
            return
        kind = event.event_type_value
        with self._lock:
            if kind == "STEP_START":
                # One step at a time in a CLI run; steps running together share a peak.
                measured = not self._running
                if measured:
                    self._memory.restart()
                self._running[step] = _Step(self.clock(), measured=measured)
                self._line(f"    {step:<36} started")
            elif kind == "ASSET_MATERIALIZATION" and step in self._running:
                state = self._running[step]
                materialization = event.step_materialization_data.materialization
                state.partitions.add(materialization.partition)
                asset = materialization.asset_key.to_user_string()
                for name, into in (("dagster/row_count", state.rows), (KEPT_ROWS, state.kept)):
                    count = materialization.metadata.get(name)
                    if count is not None and isinstance(count.value, int):
                        into[asset] = count.value
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step in self._running:
                state = self._running.pop(step)
                verdict = "done" if kind == "STEP_SUCCESS" else "FAILED"
                partitions = len(state.partitions)
                detail = f", {partitions} partition(s)" if partitions else ""
                detail += _rows(state.rows)
                kept = sum(state.kept.values())
                detail += f" ({kept:,} kept from the date before)" if kept else ""
                peak = self._memory.peak() if state.measured else None
                start = self._memory.at_restart()
                memory = (
                    f" at peak {peak / 1024**3:.1f} GB ({start / 1024**3:.1f} at its start)"
                    if peak and start
                    else ""
                )
                elapsed = self.clock() - state.started
                self._line(f"    {step:<36} {verdict} in {elapsed:.1f}s{memory}{detail}")

    def _line(self, text: str) -> None:
        if self.live:
            # Clear the live line before a permanent one.
            self.stream.write("\r\033[K")
        self.write(text)

    def _tick(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                now = self.clock()
                shown = ", ".join(f"{s} {now - st.started:.0f}s" for s, st in self._running.items())
                if shown:
                    self.stream.write(f"\r\033[K    … {shown}")
                    self.stream.flush()

    def __enter__(self) -> StepProgress:
        self._memory.start()
        if self.live:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._memory.stop()
        if self._ticker is not None:
            self._ticker.join()
            self.stream.write("\r\033[K")
            self.stream.flush()


# The progress of the run being executed in this process (one CLI run at a time).
_current: list[StepProgress] = []


class _EventHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if isinstance(event, dg.DagsterEvent) and _current:
            _current[-1].handle(event)


@dg.logger(None, description="Step progress lines for the capscore CLI (no effect elsewhere).")
def progress_logger(_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("capscore.progress")
    log.setLevel(logging.DEBUG)
    if not any(isinstance(h, _EventHandler) for h in log.handlers):
        log.addHandler(_EventHandler())
    log.propagate = False
    return log


@contextmanager
def following(progress: StepProgress) -> Iterator[StepProgress]:
    """Events of runs executed in this process go to `progress` while inside."""
    _current.append(progress)
    with progress:
        try:
            yield progress
        finally:
            _current.remove(progress)
