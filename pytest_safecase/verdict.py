"""Verdicts: what the evidence says about a claim, and how verdicts combine up the argument tree."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Verdict(StrEnum):
    """The status of a claim or argument node after a run.

    Only ``SUPPORTED`` counts as evidence of safety; every other verdict blocks a release gate.
    """

    SUPPORTED = "supported"
    """The evidence clears the claim's threshold at the stated confidence."""
    REFUTED = "refuted"
    """The evidence shows the claim cannot hold (or a plain assertion failed)."""
    ERROR = "error"
    """The evaluation itself failed (exception, fixture error, model error, bad input)."""
    INCONCLUSIVE = "inconclusive"
    """The confidence interval straddles the threshold: more trials are needed."""
    NOT_EVALUATED = "not-evaluated"
    """The claim's tests were skipped, deselected or did not run."""
    UNDEVELOPED = "undeveloped"
    """The argument has no evidence or supporting nodes here yet."""

    @property
    def mark(self) -> str:
        return _MARKS[self]


_MARKS = {
    Verdict.SUPPORTED: "✔",
    Verdict.REFUTED: "✘",
    Verdict.ERROR: "!",
    Verdict.INCONCLUSIVE: "?",
    Verdict.NOT_EVALUATED: "-",
    Verdict.UNDEVELOPED: "◇",
}

TERMINAL_MARKUP: dict[Verdict, dict[str, bool]] = {
    Verdict.SUPPORTED: {"green": True},
    Verdict.REFUTED: {"red": True, "bold": True},
    Verdict.ERROR: {"red": True},
    Verdict.INCONCLUSIVE: {"yellow": True},
    Verdict.NOT_EVALUATED: {},
    Verdict.UNDEVELOPED: {"cyan": True},
}
"""How a verdict is coloured in pytest's terminal (``TerminalWriter`` markup)."""

# Highest first: when children disagree, the parent takes the most severe verdict.
SEVERITY: tuple[Verdict, ...] = (
    Verdict.REFUTED,
    Verdict.ERROR,
    Verdict.INCONCLUSIVE,
    Verdict.NOT_EVALUATED,
    Verdict.UNDEVELOPED,
    Verdict.SUPPORTED,
)


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """Combine the verdicts of everything that supports one node.

    Supported only if every part is supported; otherwise the most severe part wins (refuted over
    error over inconclusive over not-evaluated over undeveloped). Nothing at all is undeveloped.
    """
    present = set(verdicts)
    if not present:
        return Verdict.UNDEVELOPED
    return min(present, key=SEVERITY.index)
