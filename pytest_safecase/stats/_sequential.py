"""Sequential evidence: decide a rate claim with as few trials as an anytime-valid test allows.

Trials are drawn in batches and the claim is checked after every batch; sampling stops as soon as
the claim is supported or refuted. The checks use a confidence sequence (bounds valid at every
sample size at once), so looking after every batch does not inflate the error rates.

The test. Write ``θ = logit(p)`` and ``L(r) = r**S * (1 - r)**F`` for ``S`` successes and ``F``
failures. The upward evidence against a rate ``p`` is the mixture likelihood ratio::

    upward(p) = ∫ g(u) L(logistic(θ + u)) / L(p) du,   g(u) ∝ exp(-u / 2) on [0, 2]

(alternatives up to 2 log-odds above ``p``, nearer ones weighted more); ``downward(p)`` mirrors it
below ``p``. If each trial succeeds with probability at most ``p`` given the trials before it, every
ratio in the mixture, hence ``upward(p)``, is a non-negative supermartingale starting at 1, so by
Ville's inequality it ever reaches ``2 / (1 - confidence)`` with probability at most
``(1 - confidence) / 2``; likewise ``downward(p)`` when each trial succeeds with probability at
least ``p``. Because the binomial log-likelihood is concave in ``θ`` and the mixing weights do not
depend on ``p``, ``upward(p)`` falls as ``p`` rises (and ``downward(p)`` rises), so the rates each
test rejects form intervals ``[0, lower)`` and ``(upper, 1]``: the confidence sequence.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, betaln, log_expit, logit, xlog1py, xlogy

from pytest_safecase.decision import Direction, SequentialDecision
from pytest_safecase.stats._binomial import check_confidence, check_threshold, clopper_pearson
from pytest_safecase.verdict import Verdict

METHOD = (
    "beta-binomial mixture confidence sequence (one-sided log-odds mixtures, Ville's inequality)"
)
DEFAULT_BATCH_SIZE = 10
WINDOW = 2.0
"""How far, in log-odds, the mixture's alternatives reach beyond the tested rate. Chosen by exact
expected-trials calculations for 1, 1.5, 2 and 3 on five (threshold, true rate) pairs from
(0.02, 0.005) to (0.95, 0.99), both directions: 1 is slow on far alternatives, 3 on near ones."""
DECAY = 0.5
"""Rate of the exponential mixing weight; any value in (0, 1) keeps the closed form below."""

Sampler = (
    Callable[[int], Iterable[Any]]
    | Callable[[int], Awaitable[Iterable[Any]]]
    | Iterable[Any]
    | AsyncIterable[Any]
)
"""``sampler(n)`` giving the next ``n`` outcomes (possibly awaitable), or a stream whose items are
outcomes or batches (lists of outcomes). An outcome is a bool or the integer 0 or 1."""


def _log_likelihood(
    successes: NDArray[np.float64], failures: NDArray[np.float64], log_odds: NDArray[np.float64]
) -> NDArray[np.float64]:
    likelihood: NDArray[np.float64] = successes * log_expit(log_odds) + failures * log_expit(
        -log_odds
    )
    return likelihood


def log_upward_ratio(
    successes: ArrayLike, failures: ArrayLike, rate: ArrayLike
) -> NDArray[np.float64]:
    """Log of ``upward(rate)``, the evidence that the rate exceeds ``rate`` (broadcasts).

    Exact (closed form through the incomplete beta function) wherever it is near any usable
    evidence level, with two safe exceptions: 0 when there are no successes (the ratio is then at
    most 1 and rejects nothing), and a conservative floor where the closed form underflows
    (ratios beyond about e**300, far past any level).
    """
    s, f, p = np.broadcast_arrays(
        np.asarray(successes, dtype=float),
        np.asarray(failures, dtype=float),
        np.asarray(rate, dtype=float),
    )
    out = np.zeros(s.shape)
    out[(s > 0) & (p <= 0.0)] = np.inf  # a success is impossible at rate 0
    out[p >= 1.0] = -np.inf  # no rate lies above 1
    inside = (s > 0) & (p > 0.0) & (p < 1.0)
    out[inside] = _log_upward_inside(s[inside], f[inside], p[inside])
    return out


def _log_upward_inside(
    s: NDArray[np.float64], f: NDArray[np.float64], p: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``log_upward_ratio`` for at least one success and 0 < rate < 1 (flat arrays)."""
    theta = logit(p)
    top, top_complement = np.exp(log_expit(theta + WINDOW)), np.exp(log_expit(-theta - WINDOW))
    log_weight = math.log(DECAY) - math.log1p(-math.exp(-DECAY * WINDOW))
    a, b = s - DECAY, f + DECAY
    # The mixture integral is B(a, b) times the Beta(a, b) mass between `rate` and `top`; take the
    # difference on the side of the mean where it does not cancel.
    high = p >= a / (a + b)
    low = ~high
    mass = np.empty_like(a)
    # 1 - I_x(a, b) = I_(1-x)(b, a): the same tail, and far faster than betaincc.
    mass[high] = betainc(b[high], a[high], 1.0 - p[high]) - betainc(
        b[high], a[high], top_complement[high]
    )
    mass[low] = betainc(a[low], b[low], top[low]) - betainc(a[low], b[low], p[low])
    with np.errstate(divide="ignore"):
        closed = (
            log_weight
            + DECAY * theta
            + betaln(a, b)
            + np.log(np.maximum(mass, 0.0))
            - xlogy(s, p)
            - xlog1py(f, -p)
        )
    # On [W/2, W] the log-concave integrand is at least its value at one end, and the weight at
    # least its value at W: a floor for when the closed form underflows (evidence far past `rate`).
    floor = (
        math.log(WINDOW / 2)
        + log_weight
        - DECAY * WINDOW
        + np.minimum(
            _log_likelihood(s, f, theta + WINDOW / 2), _log_likelihood(s, f, theta + WINDOW)
        )
        - _log_likelihood(s, f, theta)
    )
    bound: NDArray[np.float64] = np.maximum(closed, floor)
    return bound


def log_downward_ratio(
    successes: ArrayLike, failures: ArrayLike, rate: ArrayLike
) -> NDArray[np.float64]:
    """Log of ``downward(rate)``, the evidence that the rate is below it (mirror of upward)."""
    return log_upward_ratio(failures, successes, 1.0 - np.asarray(rate, dtype=float))


def log_evidence_level(confidence: float) -> float:
    """The log-ratio each one-sided test must reach: it errs with probability (1 - c) / 2."""
    return math.log(2.0 / (1.0 - confidence))


def _rejects_upward(successes: int, failures: int, rate: float, level: float) -> bool:
    return bool(log_upward_ratio(successes, failures, rate) >= level)


def _rejects_downward(successes: int, failures: int, rate: float, level: float) -> bool:
    return bool(log_downward_ratio(successes, failures, rate) >= level)


def _lower_bound(
    successes: int, failures: int, level: float, known_rejected: float | None
) -> float:
    """The edge of the rates the upward test rejects, to 1e-12, erring low.

    ``known_rejected`` is a rate already known to be rejected (the threshold), which pins the
    bound on the right side of it.
    """
    if successes == 0:
        return 0.0
    rejected = 0.0 if known_rejected is None else known_rejected
    kept = successes / (successes + failures)  # at the MLE every ratio is <= 1: never rejected
    while kept - rejected > 1e-12:
        # Search 32 rates at once; the last rejected one and its right neighbour bracket the edge.
        grid = np.linspace(rejected, kept, 34)
        hits = np.flatnonzero(log_upward_ratio(successes, failures, grid[1:-1]) >= level) + 1
        edge = int(hits[-1]) if hits.size else 0
        rejected, kept = float(grid[edge]), float(grid[edge + 1])
    return rejected


def _upper_bound(
    successes: int, failures: int, level: float, known_rejected: float | None
) -> float:
    """The edge of the rates the downward test rejects (mirror image of ``_lower_bound``)."""
    mirrored = None if known_rejected is None else 1.0 - known_rejected
    return 1.0 - _lower_bound(failures, successes, level, mirrored)


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
        """Whether the threshold is rejected from above (rate > it) and from below (rate < it)."""
        failures = self.trials - self.successes
        return (
            _rejects_upward(self.successes, failures, self.threshold, self.level),
            _rejects_downward(self.successes, failures, self.threshold, self.level),
        )

    def _verdict(self) -> Verdict:
        if (self.direction, self.threshold) in (
            (Direction.AT_LEAST, 0.0),
            (Direction.AT_MOST, 1.0),
        ):
            return Verdict.SUPPORTED  # true of every rate, as with the fixed-n rule
        above, below = self._rejections()
        shows_claim, shows_opposite = (
            (above, below) if self.direction is Direction.AT_LEAST else (below, above)
        )
        if shows_claim:
            return Verdict.SUPPORTED
        return Verdict.REFUTED if shows_opposite else Verdict.INCONCLUSIVE

    def result(self, stop_reason: str) -> SequentialDecision:
        above, below = self._rejections()
        failures = self.trials - self.successes
        lower = _lower_bound(
            self.successes, failures, self.level, self.threshold if above else None
        )
        upper = _upper_bound(
            self.successes, failures, self.level, self.threshold if below else None
        )
        # Keep the bounds on the side of the threshold its tests decided (the bisection stops
        # 1e-12 short); "upper < p" refutes "rate >= p" and "lower > p" refutes "rate <= p".
        if above:
            lower = max(lower, self.threshold)
            if self.direction is Direction.AT_MOST:
                lower = max(lower, math.nextafter(self.threshold, 1.0))
        if below:
            upper = min(upper, self.threshold)
            if self.direction is Direction.AT_LEAST:
                upper = min(upper, math.nextafter(self.threshold, 0.0))
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
