"""Per-run state the core plugin keeps on pytest objects, for fixtures and sub-plugins to read."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_safecase.case import CaseFile, ClaimSpec
from pytest_safecase.evidence import Evidence

CASE_KEY = pytest.StashKey[CaseFile]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()
SPEC_KEY = pytest.StashKey[ClaimSpec | None]()


def case_metadata(config: pytest.Config) -> dict[str, Any]:
    """Top-level ``x-`` keys of the loaded safety-case YAML (e.g. ``x-models``), or empty."""
    case = config.stash.get(CASE_KEY, None)
    return case.metadata if case is not None else {}
