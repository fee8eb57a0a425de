"""What a decided rate claim is: the fixed-n and the sequential decision, as plain data.

The statistics in :mod:`pytest_safecase.stats` make these; they live here, free of numpy and scipy,
so reports and the xdist controller can read evidence records without importing the statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from pytest_safecase.verdict import Verdict


class Direction(StrEnum):
    """Which side of its threshold a rate claim puts the rate."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def sign(self) -> str:
        """The comparison in ASCII, for failure messages."""
        return ">=" if self is Direction.AT_LEAST else "<="

    @property
    def symbol(self) -> str:
        """The comparison as a mathematical symbol, for reports."""
        return "≥" if self is Direction.AT_LEAST else "≤"

    @property
    def words(self) -> str:
        return "at least" if self is Direction.AT_LEAST else "at most"


@dataclass(frozen=True)
class DecidedRate:
    """A rate claim decided on a confidence interval: what every way of deciding one shares."""

    successes: int
    trials: int
    confidence: float
    direction: Direction
    threshold: float
    lower: float
    upper: float
    verdict: Verdict

    @property
    def estimate(self) -> float:
        return self.successes / self.trials if self.trials else math.nan

    def decisive_bound(self) -> float:
        """The interval end the decision rests on: the lower bound for 'at least', else upper."""
        return self.lower if self.direction is Direction.AT_LEAST else self.upper

    def margin(self) -> float:
        """How far the decisive bound clears the threshold (negative: it does not)."""
        if self.direction is Direction.AT_LEAST:
            return self.lower - self.threshold
        return self.threshold - self.upper


@dataclass(frozen=True)
class RateDecision(DecidedRate):
    """A rate claim decided on its exact (Clopper-Pearson) interval."""

    trials_to_settle: int | None
    """When inconclusive: roughly how many trials at the observed rate would decide it."""


@dataclass(frozen=True)
class SequentialDecision(DecidedRate):
    """A rate claim decided on a confidence sequence, with how and when sampling stopped.

    ``lower`` and ``upper`` are anytime-valid bounds at the stopping point (each errs with
    probability at most (1 - confidence) / 2).
    """

    method: str
    stopped_early: bool
    """Decided before ``max_trials`` were used."""
    max_trials: int
    batches: int
    stop_reason: str
    """"decided", "max_trials" or "sampler exhausted"."""
    fixed_n_interval: tuple[float, float] | None
    """When undecided: the Clopper-Pearson interval on all trials, for reference only. It is not
    valid after data-dependent stopping and does not decide the claim."""
