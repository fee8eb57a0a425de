"""The one way the adapters show progress: pytest's own terminal, with capture suspended.

Shown only on the controller (or a serial run) and only on an interactive terminal: workers'
output would interleave, and a log file has no use for a line rewritten in place.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest


def progress_writer(config: pytest.Config) -> Callable[[str], None] | None:
    """Writes text to the terminal past pytest's capture; None where progress should not show."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if hasattr(config, "workerinput") or reporter is None or not reporter.isatty():
        return None

    def write(text: str) -> None:
        if capture is None:
            reporter.write(text, flush=True)
            return
        with capture.global_and_fixture_disabled():
            reporter.write(text, flush=True)

    return write
