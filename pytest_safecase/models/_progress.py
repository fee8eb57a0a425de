"""Progress of long batches: one rewritten status line on an interactive terminal, plain lines
at most every ``PLAIN_INTERVAL`` seconds elsewhere (CI logs), so a slow local model never
leaves a run silent for minutes and a fast one does not flood the log."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO

MIN_BATCH_FOR_PROGRESS = 20
"""Batches smaller than this finish too fast for a progress line to help."""
PLAIN_INTERVAL = 10.0
"""Seconds between plain progress lines (a batch quicker than this prints none)."""


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


class PlainProgress:
    """Whole lines through ``write`` (one line each call, no newline), at most one per
    ``interval`` seconds, and a last one for a batch that printed any."""

    def __init__(
        self,
        write: Callable[[str], None],
        label: str,
        total: int,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._label = label
        self._total = total
        self._interval = PLAIN_INTERVAL if interval is None else interval
        self._clock = clock
        self._started = self._last_shown = clock()
        self._shown = False

    def _line(self, done: int, cached: int) -> str:
        elapsed = self._clock() - self._started
        return (
            f"[safecase] {self._label}: {done}/{self._total} answers "
            f"({cached} cached) after {elapsed:.0f}s"
        )

    def update(self, done: int, cached: int) -> None:
        now = self._clock()
        if now - self._last_shown >= self._interval:
            self._last_shown = now
            self._shown = True
            self._write(self._line(done, cached))

    def finish(self, done: int, cached: int) -> None:
        if self._shown:
            self._write(self._line(done, cached))


def stream_progress(stream: TextIO | None = None) -> ProgressFactory:
    """Progress on ``stream`` (default: stderr at call time): a status line on a terminal,
    plain lines elsewhere."""

    def factory(label: str, total: int) -> Progress | None:
        target = stream if stream is not None else sys.stderr
        if total < MIN_BATCH_FOR_PROGRESS:
            return None

        def write(text: str) -> None:
            target.write(text)
            target.flush()

        if _is_tty(target):
            return LineProgress(write, label, total)
        return PlainProgress(lambda line: write(line + "\n"), label, total)

    return factory


def _is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
