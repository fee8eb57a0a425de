"""The core fixtures."""

from __future__ import annotations

import pytest

from pytest_safecase._state import EVIDENCE_KEY
from pytest_safecase.evidence import Evidence


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Records this test's evidence: ``rate``, ``value``, ``note``, ``attach``."""
    recorder = Evidence(owner=request.node.nodeid)
    request.node.stash[EVIDENCE_KEY] = recorder
    return recorder
