"""Hooks pytest-safecase adds, for its sub-plugins and for users' conftest files."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_safecase_run_info(config: pytest.Config) -> dict[str, Any] | None:
    """Contribute JSON-safe facts about this run to the report (called on the controller only).

    Return a dict whose keys are merged into the report's ``run`` section, e.g.
    ``{"models": {...}}`` or ``{"tasks": {"name": ..., "size": ..., "content_hash": ...}}``.
    """


@pytest.hookspec(firstresult=True)
def pytest_safecase_usage_by_test(config: pytest.Config) -> dict[str, dict[str, Any]] | None:
    """Model usage per test (node id: {model spec: JSON-safe counters}), for the report.

    The models plugin keeps the run's only usage tally and answers this on the controller.
    """
