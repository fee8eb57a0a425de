"""Sample planning: how many trials a rate claim needs, fixed-n and sequential, computed exactly.

Both designs give the same error guarantees (each wrong verdict has probability at most
``(1 - confidence) / 2``). The fixed-n size comes from the exact binomial distribution of the
Clopper-Pearson verdict; the sequential figures from dynamic programming over the distribution of
successes at each look, using the sequential test's own stopping rule, so no simulation or normal
approximation is involved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from pytest_safecase.decision import Direction
from pytest_safecase.stats._binomial import (
    check_confidence,
    check_threshold,
    clopper_pearson,
    rate_verdict,
)
from pytest_safecase.stats._sequential import (
    DEFAULT_BATCH_SIZE,
    log_downward_ratio,
    log_evidence_level,
    log_upward_ratio,
)
from pytest_safecase.verdict import Verdict

TRIALS_LIMIT = 200_000
"""Planning gives up beyond this many trials (a true rate very close to the threshold)."""
_NEGLIGIBLE = 1e-15
"""Probability trimmed from each tail of the dynamic programme per look (total error < 1e-9)."""


@dataclass(frozen=True)
class OperatingCharacteristics:
    """Exact behaviour of the sequential test at one true rate, with a given cap."""

    expected_trials: float
    supported: float
    refuted: float
    inconclusive: float
    max_trials: int
    batch_size: int


@dataclass(frozen=True)
class Plan:
    """Trials needed to decide a rate claim if the true rate is ``true_rate``."""

    threshold: float
    true_rate: float
    direction: str
    confidence: float
    power: float
    batch_size: int
    goal: Verdict
    """The correct verdict at the true rate (supported if the claim holds, else refuted)."""
    fixed_trials: int
    """Smallest n whose Clopper-Pearson verdict is ``goal`` with probability >= ``power``."""
    fixed_power: float
    sequential_max_trials: int
    """Smallest cap (in whole batches) at which the sequential test reaches ``goal`` with
    probability >= ``power``: the ``max_trials`` to budget."""
    sequential_power: float
    expected_sequential_trials: float
    """Mean trials the sequential test uses with that cap (stopping early or at the cap)."""

    @property
    def saving(self) -> float:
        """Fraction of the fixed-n trials the sequential test saves on average."""
        return 1.0 - self.expected_sequential_trials / self.fixed_trials

    def __str__(self) -> str:
        sign = ">=" if self.direction == "at_least" else "<="
        return "\n".join(
            [
                f"claim rate {sign} {self.threshold:g} at {self.confidence:.0%} confidence, "
                f"true rate {self.true_rate:g}: {self.goal.value} with probability "
                f">= {self.power:.0%}",
                f"  fixed n (Clopper-Pearson)  {self.fixed_trials:>8} trials"
                f"                    P({self.goal.value}) = {self.fixed_power:.3f}",
                f"  sequential, batches of {self.batch_size:<3}"
                f" {self.expected_sequential_trials:>8.1f} trials on average,"
                f" max_trials {self.sequential_max_trials:<6}"
                f" P({self.goal.value}) = {self.sequential_power:.3f}",
                f"  sequential saving: {self.saving:.0%} of the fixed-n trials",
            ]
        )


def plan(
    threshold: float,
    true_rate: float,
    *,
    direction: str = "at_least",
    confidence: float = 0.95,
    power: float = 0.8,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Plan:
    """Plan a claim ``rate >= threshold`` (or ``<=``) that should be decided at ``true_rate``."""
    goal = _check_plan(threshold, true_rate, direction, confidence, power, batch_size)
    fixed_trials, fixed_power = _fixed_design(threshold, true_rate, direction, confidence, power)
    for looks in _accumulate(threshold, true_rate, direction, confidence, batch_size, None):
        if looks.reached(goal) >= power:
            return Plan(
                threshold=threshold,
                true_rate=true_rate,
                direction=direction,
                confidence=confidence,
                power=power,
                batch_size=batch_size,
                goal=goal,
                fixed_trials=fixed_trials,
                fixed_power=fixed_power,
                sequential_max_trials=looks.trials,
                sequential_power=looks.reached(goal),
                expected_sequential_trials=looks.expected_trials(),
            )
    raise ValueError(f"the sequential test needs more than {TRIALS_LIMIT} trials")


def operating_characteristics(
    threshold: float,
    true_rate: float,
    *,
    direction: str = "at_least",
    confidence: float = 0.95,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_trials: int,
) -> OperatingCharacteristics:
    """Exact verdict probabilities and mean trials of ``sequential_rate`` at ``true_rate``."""
    _check_plan(threshold, true_rate, direction, confidence, 0.5, batch_size, allow_equal=True)
    if isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 1:
        raise ValueError(f"max_trials must be a whole number >= 1, got {max_trials!r}")
    *_, looks = _accumulate(threshold, true_rate, direction, confidence, batch_size, max_trials)
    supported = looks.reached(Verdict.SUPPORTED)
    refuted = looks.reached(Verdict.REFUTED)
    return OperatingCharacteristics(
        expected_trials=looks.expected_trials(),
        supported=supported,
        refuted=refuted,
        inconclusive=max(0.0, 1.0 - supported - refuted),
        max_trials=max_trials,
        batch_size=batch_size,
    )


def plan_table(plans: Iterable[Plan]) -> str:
    """A compact table of several plans, for ``safecase plan``."""
    header = (
        f"{'claim':<14}{'true rate':>10}{'goal':>11}{'fixed n':>9}{'P':>7}"
        f"{'seq. mean':>11}{'max_trials':>11}{'P':>7}{'saving':>8}"
    )
    rows = [header, "-" * len(header)]
    for item in plans:
        sign = ">=" if item.direction == "at_least" else "<="
        rows.append(
            f"{'rate ' + sign + ' ' + format(item.threshold, 'g'):<14}{item.true_rate:>10g}"
            f"{item.goal.value:>11}{item.fixed_trials:>9}{item.fixed_power:>7.3f}"
            f"{item.expected_sequential_trials:>11.1f}{item.sequential_max_trials:>11}"
            f"{item.sequential_power:>7.3f}{item.saving:>8.0%}"
        )
    return "\n".join(rows)


def _check_plan(
    threshold: float,
    true_rate: float,
    direction: str,
    confidence: float,
    power: float,
    batch_size: int,
    *,
    allow_equal: bool = False,
) -> Verdict:
    """Validate planning inputs; return the verdict that is correct at the true rate."""
    if direction not in ("at_least", "at_most"):
        raise ValueError(f"direction must be 'at_least' or 'at_most', got {direction!r}")
    check_threshold(threshold, None)
    check_threshold(true_rate, None)
    check_confidence(confidence)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie strictly between 0 and 1 to plan, got {threshold!r}")
    if true_rate == threshold and not allow_equal:
        raise ValueError("a true rate equal to the threshold can never be decided either way")
    holds = true_rate >= threshold if direction == "at_least" else true_rate <= threshold
    return Verdict.SUPPORTED if holds else Verdict.REFUTED


def _fixed_design(
    threshold: float, true_rate: float, direction: str, confidence: float, power: float
) -> tuple[int, float]:
    """Smallest n with P(Clopper-Pearson verdict is the correct one) >= power, and that power.

    The verdict is correct on a tail of success counts: k >= edge (rate shown high) or
    k <= edge (rate shown low). Adding a trial moves the edge by 0 or 1, so one interval per n
    suffices.
    """
    goal = _check_plan(threshold, true_rate, direction, confidence, power, 1)
    high_tail = (goal is Verdict.SUPPORTED) == (direction == "at_least")

    def correct(successes: int, trials: int) -> bool:
        lower, upper = clopper_pearson(successes, trials, confidence)
        return rate_verdict(lower, upper, Direction(direction), threshold) is goal

    edge = 1 if high_tail else -1  # at n = 0 no count gives the verdict (0 < threshold < 1)
    for trials in range(1, TRIALS_LIMIT + 1):
        if high_tail:
            edge = edge if correct(edge, trials) else edge + 1
            achieved = float(binom.sf(edge - 1, trials, true_rate))
        else:
            edge = edge + 1 if correct(edge + 1, trials) else edge
            achieved = float(binom.cdf(edge, trials, true_rate))
        if achieved >= power:
            return trials, achieved
    raise ValueError(f"the fixed-n design needs more than {TRIALS_LIMIT} trials")


@dataclass(frozen=True)
class _Looks:
    """Running totals of the dynamic programme after the look at ``trials``."""

    direction: str
    trials: int
    upward: float
    """P(the upward test has rejected the threshold by this look)."""
    downward: float
    stopped_trials: float
    """Sum over looks so far of (trials at the look) x P(stopping there)."""

    def reached(self, verdict: Verdict) -> float:
        supported = self.upward if self.direction == "at_least" else self.downward
        refuted = self.downward if self.direction == "at_least" else self.upward
        return supported if verdict is Verdict.SUPPORTED else refuted

    def expected_trials(self) -> float:
        """Mean trials if the cap is this look: stopped runs plus undecided runs at the cap."""
        return self.stopped_trials + self.trials * max(0.0, 1.0 - self.upward - self.downward)


def _accumulate(
    threshold: float,
    true_rate: float,
    direction: str,
    confidence: float,
    batch_size: int,
    max_trials: int | None,
) -> Iterator[_Looks]:
    """Run the sequential stopping rule over the exact distribution of successes, look by look.

    ``alive[i]`` is P(successes = first + i and not yet stopped); each look convolves it with the
    batch's binomial distribution and removes the counts at which either test rejects.
    """
    level = log_evidence_level(confidence)
    cap = TRIALS_LIMIT if max_trials is None else max_trials
    alive, first, trials = np.ones(1), 0, 0
    upward = downward = stopped_trials = 0.0
    while trials < cap:
        batch = min(batch_size, cap - trials)
        alive = np.convolve(alive, binom.pmf(np.arange(batch + 1), batch, true_rate))
        trials += batch
        counts = np.arange(first, first + alive.size)
        rises = log_upward_ratio(counts, trials - counts, threshold) >= level
        falls = log_downward_ratio(counts, trials - counts, threshold) >= level
        up, down = float(alive[rises].sum()), float(alive[falls].sum())
        upward, downward = upward + up, downward + down
        stopped_trials += trials * (up + down)
        alive[rises | falls] = 0.0
        alive, first = _trim(alive, first)
        yield _Looks(direction, trials, upward, downward, stopped_trials)
        if alive.size == 0:
            return


def _trim(alive: np.ndarray, first: int) -> tuple[np.ndarray, int]:
    """Drop negligible tails so each look costs the width of the live region, not n."""
    cumulative = np.cumsum(alive)
    if cumulative[-1] <= _NEGLIGIBLE:
        return alive[:0], first
    start = int(np.searchsorted(cumulative, _NEGLIGIBLE, side="right"))
    tail = np.cumsum(alive[::-1])
    stop = alive.size - int(np.searchsorted(tail, _NEGLIGIBLE, side="right"))
    return alive[start:stop], first + start
