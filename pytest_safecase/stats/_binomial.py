"""Exact (Clopper-Pearson) inference on a binomial rate and the verdict it supports."""

from __future__ import annotations

import math
import numbers

from pytest_safecase.decision import Direction, RateDecision
from pytest_safecase.verdict import Verdict


def clopper_pearson(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The two-sided exact interval for a binomial proportion at ``confidence``.

    Each side errs with probability at most ``(1 - confidence) / 2``.
    """
    check_counts(successes, trials)
    check_confidence(confidence)
    if trials == 0:
        return 0.0, 1.0
    return _beta_bounds(successes, trials, confidence)


def _beta_bounds(successes: float, trials: int, confidence: float) -> tuple[float, float]:
    """Clopper-Pearson bounds as beta quantiles; ``successes`` may be fractional."""
    from scipy.special import betaincinv  # imported on first use: keeps plugin start-up fast

    alpha = 1.0 - confidence
    failures = trials - successes
    lower = 0.0 if successes == 0 else float(betaincinv(successes, failures + 1, alpha / 2))
    upper = 1.0 if failures == 0 else float(betaincinv(successes + 1, failures, 1 - alpha / 2))
    return lower, upper


def check_counts(successes: int, trials: int) -> None:
    for name, value in (("successes", successes), ("trials", trials)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be a whole number, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    if successes > trials:
        raise ValueError(f"successes ({successes}) exceed trials ({trials})")


def check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")


def check_threshold(at_least: float | None, at_most: float | None) -> tuple[Direction, float]:
    """Return (direction, threshold) for exactly one of the two bounds, each a rate in [0, 1]."""
    if (at_least is None) == (at_most is None):
        raise ValueError("give exactly one of at_least= or at_most=")
    direction, threshold = (
        (Direction.AT_LEAST, at_least) if at_least is not None else (Direction.AT_MOST, at_most)
    )
    assert threshold is not None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ValueError(f"{direction} must be a number, got {threshold!r}")
    if not 0.0 <= threshold <= 1.0 or math.isnan(threshold):
        raise ValueError(
            f"{direction}={threshold!r} is not a rate in [0, 1] (write 2% as 0.02, not 2)"
        )
    return direction, float(threshold)


def rate_verdict(lower: float, upper: float, direction: Direction, threshold: float) -> Verdict:
    """Decide a rate claim from its interval: supported, refuted or inconclusive."""
    if direction == Direction.AT_LEAST:  # == not is: plan() passes the plain string
        if lower >= threshold:
            return Verdict.SUPPORTED
        return Verdict.REFUTED if upper < threshold else Verdict.INCONCLUSIVE
    if upper <= threshold:
        return Verdict.SUPPORTED
    return Verdict.REFUTED if lower > threshold else Verdict.INCONCLUSIVE


def decide_rate(
    successes: int,
    trials: int,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    confidence: float = 0.95,
) -> RateDecision:
    """Decide ``rate >= at_least`` (or ``rate <= at_most``) on the exact interval."""
    check_counts(successes, trials)
    successes, trials = int(successes), int(trials)  # numpy integers become plain ints
    direction, threshold = check_threshold(at_least, at_most)
    lower, upper = clopper_pearson(successes, trials, confidence)
    verdict = rate_verdict(lower, upper, direction, threshold)
    settle = (
        trials_to_settle(successes, trials, direction, threshold, confidence)
        if verdict is Verdict.INCONCLUSIVE
        else None
    )
    return RateDecision(
        successes, trials, confidence, direction, threshold, lower, upper, verdict, settle
    )


def trials_to_settle(
    successes: int,
    trials: int,
    direction: Direction,
    threshold: float,
    confidence: float,
    limit: int = 10_000_000,
) -> int | None:
    """Roughly how many trials in all, at the observed rate, would decide the claim either way.

    ``None`` when no number of trials would (the observed rate equals the threshold, or nothing has
    been observed yet).
    """
    if trials == 0:
        return None
    rate = successes / trials
    if rate == threshold:
        return None

    def decided(n: int) -> bool:
        # Real-valued successes keep the search monotone in n (no rounding jumps).
        lo, hi = _beta_bounds(rate * n, n, confidence)
        return rate_verdict(lo, hi, direction, threshold) is not Verdict.INCONCLUSIVE

    low, high = trials, trials
    while not decided(high):
        low, high = high, high * 2
        if high > limit:
            return None
    while high - low > 1:
        mid = (low + high) // 2
        if decided(mid):
            high = mid
        else:
            low = mid
    return high
