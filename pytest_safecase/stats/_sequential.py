"""Sequential evidence: decide a rate claim with as few trials as an anytime-valid test allows.

Trials are drawn in batches and the claim is checked after every batch; sampling stops as soon as
the claim is supported or refuted. Because the checks use a confidence sequence (bounds valid
simultaneously at every sample size), looking after every batch does not inflate the error rates.

The test. For a tested rate ``p`` and data with ``S`` successes and ``F`` failures, the one-sided
mixture likelihood ratios against ``p`` are::

    upward(p)   = mean over p' ~ Uniform(p, 1] of L(p') / L(p)
    downward(p) = mean over p' ~ Uniform[0, p) of L(p') / L(p)

with ``L(r) = r**S * (1 - r)**F`` (a beta-binomial mixture with its uniform prior truncated to one
side of ``p``). If each trial succeeds with probability at most ``p`` given the trials before it,
``upward(p)`` is a non-negative supermartingale starting at 1, so by Ville's inequality it ever
reaches ``2 / (1 - confidence)`` with probability at most ``(1 - confidence) / 2``; the same holds
for ``downward(p)`` when each trial succeeds with probability at least ``p``. The lower bound is
the largest ``p`` that ``upward`` rejects, the upper bound the smallest ``p`` that ``downward``
rejects (both rejection sets are intervals, see ``_lower_bound``).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln, xlogy

from pytest_safecase.stats._binomial import check_confidence, check_threshold, clopper_pearson
from pytest_safecase.verdict import Verdict

METHOD = "one-sided beta-binomial mixture confidence sequence (uniform prior, Ville's inequality)"
DEFAULT_BATCH_SIZE = 10

Sampler = (
    Callable[[int], Iterable[Any]]
    | Callable[[int], Awaitable[Iterable[Any]]]
    | Iterable[Any]
    | AsyncIterable[Any]
)
"""``sampler(n)`` giving the next ``n`` outcomes (possibly awaitable), or a stream whose items are
outcomes or batches (lists of outcomes). An outcome is a bool or the integer 0 or 1."""


def log_upward_ratio(successes: ArrayLike, failures: ArrayLike, rate: float) -> NDArray[np.float64]:
    """Log of the mixture likelihood ratio for "the rate exceeds ``rate``" (vectorised over counts)."""
    s = np.asarray(successes, dtype=float)
    f = np.asarray(failures, dtype=float)
    if rate >= 1.0:
        return np.full(np.broadcast(s, f).shape, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Mass of the posterior-shaped integrand above `rate`, written to avoid 1 - I_p cancellation.
        mass_above = betaln(s + 1, f + 1) + np.log(betainc(f + 1, s + 1, 1.0 - rate))
        return mass_above - math.log1p(-rate) - xlogy(s, rate) - xlogy(f, 1.0 - rate)


def log_downward_ratio(
    successes: ArrayLike, failures: ArrayLike, rate: float
) -> NDArray[np.float64]:
    """Log of the mixture likelihood ratio for "the rate is below ``rate``" (mirror of upward)."""
    return log_upward_ratio(failures, successes, 1.0 - rate)


def log_evidence_level(confidence: float) -> float:
    """The log-ratio each one-sided test must reach: it errs with probability (1 - c) / 2."""
    return math.log(2.0 / (1.0 - confidence))


def _rejects_upward(successes: int, failures: int, rate: float, level: float) -> bool:
    return bool(log_upward_ratio(successes, failures, rate) >= level)


def _rejects_downward(successes: int, failures: int, rate: float, level: float) -> bool:
    return bool(log_downward_ratio(successes, failures, rate) >= level)


def _lower_bound(successes: int, failures: int, level: float, known_rejected: float | None) -> float:
    """Largest rate the upward test rejects (to 1e-12, erring low); ``known_rejected`` pins it.

    The rejected set is an interval [0, L): where upward(p) >= c > e, the log-likelihood rises by at
    least log(c) between p and the maximum-likelihood rate, so d log upward / dp <= (1 - log c) /
    (1 - p) < 0, and the ratio cannot climb back to c as p decreases.
    """
    if successes == 0:
        return 0.0 if known_rejected is None else known_rejected
    rejected = 0.0 if known_rejected is None else known_rejected
    kept = successes / (successes + failures)  # upward(p) <= 1 at the MLE, never rejected
    while kept - rejected > 1e-12:
        middle = (rejected + kept) / 2
        if _rejects_upward(successes, failures, middle, level):
            rejected = middle
        else:
            kept = middle
    return rejected


def _upper_bound(successes: int, failures: int, level: float, known_rejected: float | None) -> float:
    """Smallest rate the downward test rejects (mirror image of ``_lower_bound``)."""
    mirrored = None if known_rejected is None else 1.0 - known_rejected
    return 1.0 - _lower_bound(failures, successes, level, mirrored)


def stopping_counts(
    threshold: float, direction: str, confidence: float, looks: Iterable[int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each look (trials so far), the success counts at which the sequential test stops.

    Returns ``(upward_from, downward_upto)``: the threshold is rejected from above (the rate
    exceeds it) when successes >= ``upward_from[i]`` and from below when successes <=
    ``downward_upto[i]``; ``n + 1`` and ``-1`` mean never. Used by planning and simulation.
    """
    direction, threshold = check_threshold(*_threshold_args(direction, threshold))
    level = log_evidence_level(confidence)
    upward_from, downward_upto = [], []
    for trials in looks:
        counts = np.arange(trials + 1)
        up = np.flatnonzero(log_upward_ratio(counts, trials - counts, threshold) >= level)
        down = np.flatnonzero(log_downward_ratio(counts, trials - counts, threshold) >= level)
        upward_from.append(int(up[0]) if up.size else trials + 1)
        downward_upto.append(int(down[-1]) if down.size else -1)
    return np.array(upward_from, dtype=np.int64), np.array(downward_upto, dtype=np.int64)


def _threshold_args(direction: str, threshold: float) -> tuple[float | None, float | None]:
    if direction == "at_least":
        return threshold, None
    if direction == "at_most":
        return None, threshold
    raise ValueError(f"direction must be 'at_least' or 'at_most', got {direction!r}")


@dataclass(frozen=True)
class SequentialDecision:
    """A rate claim decided on a confidence sequence, with how and when sampling stopped."""

    successes: int
    trials: int
    confidence: float
    direction: str
    threshold: float
    lower: float
    """Anytime-valid lower bound at the stopping point (errs with probability <= (1-c)/2)."""
    upper: float
    """Anytime-valid upper bound at the stopping point (errs with probability <= (1-c)/2)."""
    verdict: Verdict
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

    @property
    def estimate(self) -> float:
        return self.successes / self.trials if self.trials else math.nan

    def to_record(self) -> dict[str, Any]:
        """A JSON-safe summary for reports."""
        record: dict[str, Any] = {
            "successes": self.successes,
            "trials": self.trials,
            "estimate": self.estimate if self.trials else None,
            "confidence": self.confidence,
            "direction": self.direction,
            "threshold": self.threshold,
            "lower": self.lower,
            "upper": self.upper,
            "verdict": self.verdict.value,
            "method": self.method,
            "stopped_early": self.stopped_early,
            "stop_reason": self.stop_reason,
            "max_trials": self.max_trials,
            "batches": self.batches,
        }
        if self.fixed_n_interval is not None:
            record["fixed_n_interval"] = {
                "method": "Clopper-Pearson",
                "lower": self.fixed_n_interval[0],
                "upper": self.fixed_n_interval[1],
                "note": "reference only: not valid after sequential stopping, does not decide",
            }
        return record


class _SequentialTest:
    """The running state of one sequential claim: feed it batches until it is decided or full."""

    def __init__(
        self,
        at_least: float | None,
        at_most: float | None,
        confidence: float,
        max_trials: int,
        batch_size: int,
    ) -> None:
        self.direction, self.threshold = check_threshold(at_least, at_most)
        check_confidence(confidence)
        for name, value in (("max_trials", max_trials), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        self.confidence = confidence
        self.max_trials = max_trials
        self.batch_size = batch_size
        self.level = log_evidence_level(confidence)
        self.successes = 0
        self.trials = 0
        self.batches = 0
        self.verdict = self._verdict()

    @property
    def done(self) -> bool:
        return self.verdict is not Verdict.INCONCLUSIVE or self.trials >= self.max_trials

    @property
    def next_request(self) -> int:
        return min(self.batch_size, self.max_trials - self.trials)

    def add(self, outcomes: list[bool]) -> None:
        """Count one batch (cut at ``max_trials``) and re-check the claim."""
        used = outcomes[: self.max_trials - self.trials]
        if not used:
            return
        self.successes += sum(used)
        self.trials += len(used)
        self.batches += 1
        self.verdict = self._verdict()

    def _rejections(self) -> tuple[bool, bool]:
        failures = self.trials - self.successes
        if self.trials == 0:
            # No data: only the trivial claims (rate >= 0, rate <= 1) already hold.
            return self.threshold == 0.0, self.threshold == 1.0
        return (
            _rejects_upward(self.successes, failures, self.threshold, self.level),
            _rejects_downward(self.successes, failures, self.threshold, self.level),
        )

    def _verdict(self) -> Verdict:
        above, below = self._rejections()
        if self.direction == "at_least":
            return Verdict.SUPPORTED if above else Verdict.REFUTED if below else Verdict.INCONCLUSIVE
        return Verdict.SUPPORTED if below else Verdict.REFUTED if above else Verdict.INCONCLUSIVE

    def result(self, stop_reason: str) -> SequentialDecision:
        above, below = self._rejections()
        failures = self.trials - self.successes
        lower = _lower_bound(self.successes, failures, self.level, self.threshold if above else None)
        upper = _upper_bound(self.successes, failures, self.level, self.threshold if below else None)
        # The strict sides of the verdict rule: "upper < p" refutes "rate >= p", "lower > p"
        # refutes "rate <= p"; a test that rejects p puts the bound strictly past it.
        if below and self.direction == "at_least":
            upper = min(upper, math.nextafter(self.threshold, 0.0))
        if above and self.direction == "at_most":
            lower = max(lower, math.nextafter(self.threshold, 1.0))
        undecided = self.verdict is Verdict.INCONCLUSIVE
        return SequentialDecision(
            successes=self.successes,
            trials=self.trials,
            confidence=self.confidence,
            direction=self.direction,
            threshold=self.threshold,
            lower=lower,
            upper=upper,
            verdict=self.verdict,
            method=METHOD,
            stopped_early=not undecided and self.trials < self.max_trials,
            max_trials=self.max_trials,
            batches=self.batches,
            stop_reason="decided" if not undecided else stop_reason,
            fixed_n_interval=(
                clopper_pearson(self.successes, self.trials, self.confidence) if undecided else None
            ),
        )


def _outcome(value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"a trial outcome must be a bool or 0/1, got {value!r}")
    raise TypeError(f"a trial outcome must be a bool or 0/1, got {type(value).__name__} {value!r}")


def _is_outcome(value: object) -> bool:
    return isinstance(value, bool | np.bool_ | int | np.integer)


def _batch(values: object) -> list[bool]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"expected a batch of trial outcomes, got {type(values).__name__}")
    return [_outcome(value) for value in values]


def _requested_batch(values: object, requested: int) -> list[bool]:
    outcomes = _batch(values)
    if len(outcomes) != requested:
        raise ValueError(f"sampler({requested}) returned {len(outcomes)} outcomes")
    return outcomes


def _feed_stream(test: _SequentialTest, stream: Iterator[Any], pending: list[bool]) -> None:
    """Feed stream items (outcomes or batches) until decided or the stream runs out."""
    for item in stream:
        _feed_item(test, item, pending)
        if test.done:
            return
    if pending:
        test.add(pending[:])
        pending.clear()


def _feed_item(test: _SequentialTest, item: object, pending: list[bool]) -> None:
    """Group single outcomes into batches of ``batch_size``; a whole batch is one look."""
    if _is_outcome(item):
        pending.append(_outcome(item))
        if len(pending) >= test.next_request:
            test.add(pending[:])
            pending.clear()
        return
    if pending:
        test.add(pending[:])
        pending.clear()
    if not test.done:
        test.add(_batch(item))


def _stream_stop_reason(test: _SequentialTest) -> str:
    return "max_trials" if test.trials >= test.max_trials else "sampler exhausted"


def sequential_rate(
    sampler: Sampler,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    confidence: float = 0.95,
    max_trials: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> SequentialDecision:
    """Decide ``rate >= at_least`` (or ``rate <= at_most``), stopping as soon as it is decided.

    ``sampler`` is ``sampler(n)`` returning exactly the next ``n`` outcomes, or an iterable of
    outcomes (checked every ``batch_size``) or of batches (checked after each batch). At most
    ``max_trials`` outcomes are used. Guarantee, for every sampler and every way of stopping
    (batch sizes, ``max_trials``, running out of data): if each trial succeeds with probability
    below ``at_least`` given the earlier ones, P(supported) <= (1 - confidence) / 2; if each
    succeeds with probability at least ``at_least``, P(refuted) <= (1 - confidence) / 2; mirrored
    for ``at_most``. Inconclusive when ``max_trials`` (or the data) runs out first.
    """
    test = _SequentialTest(at_least, at_most, confidence, max_trials, batch_size)
    if test.done:
        return test.result("decided")
    if callable(sampler):
        while not test.done:
            requested = test.next_request
            test.add(_requested_batch(sampler(requested), requested))
        return test.result("max_trials")
    if not isinstance(sampler, Iterable):
        raise TypeError("sampler must be callable as sampler(n) or an iterable of outcomes")
    _feed_stream(test, iter(sampler), [])
    return test.result(_stream_stop_reason(test))


async def asequential_rate(
    sampler: Sampler,
    *,
    at_least: float | None = None,
    at_most: float | None = None,
    confidence: float = 0.95,
    max_trials: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> SequentialDecision:
    """The async twin of ``sequential_rate``: ``sampler(n)`` may be a coroutine (e.g. ``n``
    concurrent model calls) and the sampler may be an async iterable. Same guarantee."""
    test = _SequentialTest(at_least, at_most, confidence, max_trials, batch_size)
    if test.done:
        return test.result("decided")
    if isinstance(sampler, AsyncIterable):
        pending: list[bool] = []
        async for item in sampler:
            _feed_item(test, item, pending)
            if test.done:
                break
        else:
            if pending:
                test.add(pending)
        return test.result(_stream_stop_reason(test))
    if callable(sampler):
        while not test.done:
            requested = test.next_request
            batch = sampler(requested)
            if inspect.isawaitable(batch):
                batch = await batch
            test.add(_requested_batch(batch, requested))
        return test.result("max_trials")
    if not isinstance(sampler, Iterable):
        raise TypeError("sampler must be callable as sampler(n) or an (async) iterable of outcomes")
    _feed_stream(test, iter(sampler), [])
    return test.result(_stream_stop_reason(test))
