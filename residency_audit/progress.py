"""A progress bar on stderr for scans that take more than a moment.

It exists for people watching a terminal, so it stays silent everywhere else: when stderr
is not a terminal (CI logs, pipes, pre-commit), with ``--quiet``, and for scans that end
before ``SHOW_AFTER_SECONDS`` (a bar that flashes for 50 ms is noise). It never writes to
stdout, so ``scan --format json > report.json`` stays valid JSON. The bar is transient: it
is erased when the scan ends, leaving only the report.

The scan advances it per stage (discover, parse, link, ...): the stages are what the
pipeline knows without reaching into the per-file workers.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from typing import Protocol, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

SHOW_AFTER_SECONDS = 0.5
# Set to 1 to print how long each stage took on stderr, to see where a slow scan spends.
TIMINGS_VARIABLE = "RESIDENCY_AUDIT_TIMINGS"
# run_scan's stages: discover, parse, link, classify, evaluate, suppress.
SCAN_STAGES = 6


class ScanProgress(Protocol):
    def stage(self, description: str) -> None:
        """A new stage starts; the previous one is done."""

    def close(self) -> None:
        """The scan is over (successfully or not): erase the bar."""


class NoProgress:
    """For runs nobody watches: does nothing at all."""

    def stage(self, description: str) -> None:
        return None

    def close(self) -> None:
        return None


class BarProgress:
    """A rich bar shown only once the scan has run for ``delay`` seconds."""

    def __init__(self, console: Console, *, stages: int = SCAN_STAGES, delay: float) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("starting", total=stages)
        self._done = 0
        self._lock = threading.Lock()
        self._shown = False
        self._closed = False
        self._timer: threading.Timer | None = None
        if delay <= 0:
            self._show()
        else:
            self._timer = threading.Timer(delay, self._show)
            self._timer.daemon = True
            self._timer.start()

    @property
    def shown(self) -> bool:
        return self._shown

    def _show(self) -> None:
        with self._lock:
            if not self._closed and not self._shown:
                self._progress.start()
                self._shown = True

    def stage(self, description: str) -> None:
        total = self._progress.tasks[0].total or 0
        self._progress.update(self._task, description=description, completed=min(self._done, total))
        self._done += 1

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._shown:
                self._progress.update(self._task, completed=self._done)
                self._progress.stop()


class TimedProgress:
    """Wraps another progress and, when the scan ends, prints each stage's duration."""

    def __init__(self, inner: ScanProgress, stream: TextIO) -> None:
        self._inner = inner
        self._stream = stream
        self._started = time.perf_counter()
        self._stages: list[tuple[str, float]] = []

    def stage(self, description: str) -> None:
        self._stages.append((description, time.perf_counter()))
        self._inner.stage(description)

    def close(self) -> None:
        self._inner.close()
        end = time.perf_counter()
        marks = [("starting", self._started), *self._stages, ("", end)]
        parts = [
            f"{name} {later - at:.2f} s" for (name, at), (_, later) in itertools.pairwise(marks)
        ]
        self._stream.write(f"timings: {'; '.join(parts)}; total {end - self._started:.2f} s\n")


def progress_for(
    *, quiet: bool, stream: TextIO | None = None, delay: float = SHOW_AFTER_SECONDS
) -> ScanProgress:
    """A bar on ``stream`` (stderr) when someone is watching it, else nothing; stage
    timings too when ``RESIDENCY_AUDIT_TIMINGS=1``."""
    target = stream if stream is not None else sys.stderr
    progress: ScanProgress = (
        NoProgress()
        if quiet or not target.isatty()
        else BarProgress(Console(file=target), delay=delay)
    )
    if os.environ.get(TIMINGS_VARIABLE) == "1":
        return TimedProgress(progress, target)
    return progress
