"""Fixtures for the interop tests; Inspect AI loads only when a test asks for a log."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def make_log(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``make_log(n, fail={id: {epochs}}, error={id: {epochs}}, epochs=1, **eval_options)``:
    run a tiny honest task on Inspect's mock model and return its log, read back from disk."""
    pytest.importorskip("inspect_ai", reason="needs the inspect extra: pip install '.[inspect]'")
    from inspect_logs import make_log_factory

    return make_log_factory(tmp_path_factory)
