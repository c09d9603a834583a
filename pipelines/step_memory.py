"""Peak resident memory of one step of an in-process run.

Steps of a CLI run execute one after another in one process, so the process's
peak says nothing about which step held it. A thread samples the resident size
while a step runs and keeps its maximum. (Resetting Linux's high-water mark
would be exact, but it also resets what the parent sees in `wait4`, which the
benchmark reads as the run's peak.) Where /proc is missing nothing is shown.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

# A 1M-firm step allocates its large frames over seconds; 20 samples a second see them.
SAMPLE_SECONDS = 0.05
_STATM = Path("/proc/self/statm")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


class PeakSampler:
    """The largest resident size seen since `restart()`, sampled in a daemon thread
    between `start()` and `stop()`."""

    def __init__(self) -> None:
        self._peak = self._start = resident_bytes()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def available(self) -> bool:
        return self._peak is not None

    def _sample(self) -> None:
        now = resident_bytes()
        if now is not None:
            with self._lock:
                self._peak = max(self._peak or 0, now)

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def start(self) -> None:
        if self.available:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def restart(self) -> None:
        with self._lock:
            self._peak = self._start = resident_bytes()

    def at_restart(self) -> int | None:
        """The resident size when `restart()` was called: a step's peak includes what
        earlier steps freed and the allocator has not returned yet."""
        return self._start

    def peak(self) -> int | None:
        self._sample()
        with self._lock:
            return self._peak
