"""A validation problem: where it is, which node, which rule, and whether it stops the run."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"


class Problem(NamedTuple):
    """One finding, an immutable value (a named tuple: pytest loads this module in every run, and
    a frozen dataclass costs several times more to define)."""

    file: str
    line: int | None
    node: str | None
    rule: str
    message: str
    severity: str = ERROR
    """``warning`` for what gsn2x itself only warns about: the file is still a valid case."""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        shown = relative_path(self.file)
        where = f"{shown}:{self.line}" if self.line else shown
        node = f" {self.node}:" if self.node else ""
        kind = " warning:" if not self.is_error else ""
        return f"{where}:{node}{kind} {self.message} [{self.rule}]"


def relative_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies below it, as the user typed it
    more or less; otherwise as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that make a case invalid (warnings left out)."""
    return [problem for problem in problems if problem.is_error]


class CaseError(Exception):
    """The safety case is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))
