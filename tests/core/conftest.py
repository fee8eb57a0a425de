"""Helpers for running real pytest sessions with the plugin and reading back the evaluated case."""

from __future__ import annotations

import pytest

from pytest_safecase._pytest.plugin import RESULT_KEY
from pytest_safecase.case import CaseResult


@pytest.fixture
def run_case(pytester: pytest.Pytester):
    """Run pytest in-process on the pytester directory; return (CaseResult or None, HookRecorder)."""

    def run(*args: str) -> tuple[CaseResult | None, pytest.HookRecorder]:
        recorder = pytester.inline_run("-p", "no:cacheprovider", *args)
        finished = recorder.getcalls("pytest_sessionfinish")
        config = finished[0].session.config if finished else None
        return (config.stash.get(RESULT_KEY, None) if config else None), recorder

    return run
