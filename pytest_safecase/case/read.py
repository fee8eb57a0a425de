"""One call that turns a case file into a valid case and its warnings, or a :class:`CaseError`."""

from __future__ import annotations

from pathlib import Path

from pytest_safecase.case.model import CaseFile
from pytest_safecase.case.problems import CaseError, Problem, errors
from pytest_safecase.case.validate import check_case


def read_case(path: str | Path) -> tuple[CaseFile, list[Problem]]:
    """Load and validate ``path``: the case and its warnings, or :class:`CaseError` naming each
    error's file and line (what gsn2x only warns about is never an error)."""
    case, problems = check_case(path)
    found = errors(problems)
    if found:
        raise CaseError(found)
    return case, problems
