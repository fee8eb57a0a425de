"""The one way the adapters show progress: pytest's own terminal, with capture suspended.

Shown only on the controller (or a serial run): workers' output would interleave. A status line
rewritten in place goes to an interactive terminal only; whole lines suit a log (CI).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """Writes text to an interactive terminal past pytest's capture; None where it would not
    show (a worker, a log)."""
    reporter = _reporter(config)
    if reporter is None or not reporter.isatty():
        return None
    return _past_capture(config, lambda text: reporter.write(text, flush=True))


def log_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """Writes whole lines past pytest's capture, terminal or log; None on a worker."""
    reporter = _reporter(config)
    return None if reporter is None else _past_capture(config, reporter.write_line)


def _reporter(config: pytest.Config) -> Any:
    if hasattr(config, "workerinput"):
        return None
    return config.pluginmanager.get_plugin("terminalreporter")


def _past_capture(config: pytest.Config, emit: Callable[[str], None]) -> Callable[[str], None]:
    capture = config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        return emit

    def write(text: str) -> None:
        with capture.global_and_fixture_disabled():
            emit(text)

    return write
