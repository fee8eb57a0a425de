"""The core fixtures."""

from __future__ import annotations

import pytest

from pytest_safecase._pytest.claims import UNCLAIMED_EVIDENCE
from pytest_safecase._pytest.stash import CASE_KEY, EVIDENCE_KEY, SPEC_KEY
from pytest_safecase.case import CaseFile
from pytest_safecase.evidence import Evidence


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """Records this test's evidence: ``rate``, ``value``, ``note``, ``attach``.

    Only a claim test may record evidence: collection refuses a test that asks for this fixture
    without ``@claim``, and this refuses one that asks for it at run time.
    """
    if request.node.stash.get(SPEC_KEY, None) is None:
        pytest.fail(f"{request.node.nodeid}: {UNCLAIMED_EVIDENCE}", pytrace=False)
    recorder = Evidence(owner=request.node.nodeid)
    recorder.valid_for = _valid_for(request)
    request.node.stash[EVIDENCE_KEY] = recorder
    return recorder


@pytest.fixture(scope="session")
def safety_case(pytestconfig: pytest.Config) -> CaseFile | None:
    """The loaded case file (nodes, ``module`` header, top-level ``x-`` settings), or None."""
    return pytestconfig.stash.get(CASE_KEY, None)


def _valid_for(request: pytest.FixtureRequest) -> object:
    """The ``x-valid-for`` of this test's claim, else of the case file, else None."""
    from pytest_safecase.interop.freshness import valid_for_setting

    case = request.config.stash.get(CASE_KEY, None)
    spec = request.node.stash.get(SPEC_KEY, None)
    node = case.nodes.get(spec.id) if case is not None and spec is not None else None
    return valid_for_setting(node.extra if node else None, case.metadata if case else None)
