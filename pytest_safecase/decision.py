"""What a decided rate claim is: the fixed-n and the sequential decision, as plain data.

The statistics in :mod:`pytest_safecase.stats` make these; they live here, free of numpy and scipy,
so reports and the xdist controller can read evidence records without importing the statistics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
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

    def shown_bounds(self, digits: int = 3, *, percent: bool = False) -> tuple[str, str]:
        """The interval as displayed: rounded outward, never agreeing with the threshold where
        the bound itself does not (see :func:`shown_number`)."""
        scale = 2 if percent else 0
        return (
            shown_number(self.lower, [self.threshold], ROUND_FLOOR, digits, scale),
            shown_number(self.upper, [self.threshold], ROUND_CEILING, digits, scale),
        )

    def shown_threshold(self, *, percent: bool = False) -> str:
        return shown_exactly(self.threshold, 2 if percent else 0)


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


def shown_number(
    value: float | None,
    thresholds: Iterable[float] = (),
    rounding: str = ROUND_HALF_EVEN,
    digits: int = 3,
    scale: int = 0,
) -> str:
    """``value`` with ``digits`` decimals (after multiplying by 10**scale: 2 for a percentage),
    and as many more as it takes to stand on the same side of every threshold as the value itself.

    Bounds are rounded outward (a lower bound with ``ROUND_FLOOR``, an upper one with
    ``ROUND_CEILING``), so a displayed interval always contains the true one. Rounding alone can
    still land a bound on its threshold (a lower bound of 0.94962 shows as 0.950 against "at
    least 0.95" with nearest rounding, and an upper bound of 0.9496 as 0.950 with ceiling), which
    would make the display agree with a threshold the decision did not; the extra digits prevent
    that. Every display of a figure goes through here, so all formats agree.
    """
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return "n/a"
    with localcontext(prec=1200):  # a float's exact decimal has at most ~1,100 digits
        exact = _decimal(value).scaleb(scale)
        limits = [_decimal(limit).scaleb(scale) for limit in thresholds if math.isfinite(limit)]
        sides = [_side(exact, limit) for limit in limits]
        while True:
            shown = exact.quantize(Decimal(1).scaleb(-digits), rounding=rounding)
            if [_side(shown, limit) for limit in limits] == sides:
                return f"{shown:f}"
            digits += 1


def shown_exactly(value: float | None, scale: int = 0) -> str:
    """A threshold as written: the shortest decimal that is this float (0.95, 95 as a
    percentage), never rounded, so the reader compares a bound with the true threshold."""
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return "n/a"
    with localcontext(prec=1200):
        shown = _decimal(value).scaleb(scale).normalize()
    return f"{shown:f}"


def _decimal(value: float) -> Decimal:
    """The shortest decimal that reads back as ``value``; it orders as the floats do."""
    return Decimal(repr(float(value)))


def _side(value: Decimal, limit: Decimal) -> int:
    return (value > limit) - (value < limit)
