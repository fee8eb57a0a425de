"""The core fixtures."""

from __future__ import annotations

import pytest

from pytest_safecase._pytest.stash import CASE_KEY, EVIDENCE_KEY
from pytest_safecase.case import CaseFile
from pytest_safecase.evidence import Evidence


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Records this test's evidence: ``rate``, ``value``, ``note``, ``attach``."""
    recorder = Evidence(owner=request.node.nodeid)
    request.node.stash[EVIDENCE_KEY] = recorder
    return recorder


@pytest.fixture(scope="session")
def safety_case(pytestconfig: pytest.Config) -> CaseFile | None:
    """The loaded case file (nodes, ``module`` header, top-level ``x-`` settings), or None."""
    return pytestconfig.stash.get(CASE_KEY, None)
