"""A one-line progress display for long batches, shown only on an interactive terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

MIN_BATCH_FOR_PROGRESS = 20
"""Batches smaller than this finish too fast for a progress line to help."""


class Progress(Protocol):
    def update(self, done: int, cached: int) -> None: ...

    def finish(self, done: int, cached: int) -> None: ...


ProgressFactory = Callable[[str, int], Progress | None]
"""Given a label (the model spec) and the batch size, a progress display or None for silence."""


class LineProgress:
    """Rewrites one status line at most every ``interval`` seconds through ``write``."""

    def __init__(
        self,
        write: Callable[[str], None],
        label: str,
        total: int,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._label = label
        self._total = total
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._last_shown: float | None = None

    def _line(self, done: int, cached: int) -> str:
        elapsed = max(self._clock() - self._started, 1e-9)
        return (
            f"\r[safecase] {self._label}: {done}/{self._total} "
            f"({cached} cached, {done / elapsed:.1f}/s)\x1b[K"
        )

    def update(self, done: int, cached: int) -> None:
        now = self._clock()
        if self._last_shown is None or now - self._last_shown >= self._interval:
            self._last_shown = now
            self._write(self._line(done, cached))

    def finish(self, done: int, cached: int) -> None:
        self._write(self._line(done, cached) + "\n")


def stream_progress(stream: TextIO | None = None) -> ProgressFactory:
    """Progress on ``stream`` (default: stderr at call time), only if it is a terminal."""

    def factory(label: str, total: int) -> Progress | None:
        target = stream if stream is not None else sys.stderr
        if total < MIN_BATCH_FOR_PROGRESS or not _is_tty(target):
            return None

        def write(text: str) -> None:
            target.write(text)
            target.flush()

        return LineProgress(write, label, total)

    return factory


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
