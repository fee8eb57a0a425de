"""One call that turns a case file into a valid case or a :class:`CaseError` with every problem."""

from __future__ import annotations

from pathlib import Path

from pytest_safecase.case.load import load_case
from pytest_safecase.case.model import CaseFile
from pytest_safecase.case.problems import CaseError
from pytest_safecase.case.validate import validate_case


def read_case(path: str | Path) -> CaseFile:
    """Load and validate ``path``; raise :class:`CaseError` naming each problem's file and line."""
    case, problems = load_case(path)
    problems = problems or validate_case(case)
    if problems:
        raise CaseError(problems)
    return case
