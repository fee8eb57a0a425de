"""Sequential evidence: the error guarantee under optional stopping, stopping early, samplers."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Iterator

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit, logit

from pytest_safecase.records import SequentialRateRecord
from pytest_safecase.stats._binomial import rate_verdict
from pytest_safecase.stats._plan import operating_characteristics
from pytest_safecase.stats._sequential import (
    DECAY,
    WINDOW,
    asequential_rate,
    log_downward_ratio,
    log_upward_ratio,
    sequential_rate,
)
from pytest_safecase.verdict import Verdict


def bernoulli_sampler(rate: float, seed: int):
    """A callable sampler drawing independent trials that succeed with probability ``rate``."""
    rng = np.random.default_rng(seed)
    return lambda n: (rng.random(n) < rate).tolist()


def mixture_by_quadrature(successes: int, failures: int, rate: float) -> float:
    """The upward mixture ratio integrated numerically, straight from its definition."""
    theta = float(logit(rate))
    norm = DECAY / (1 - math.exp(-DECAY * WINDOW))

    def integrand(u: float) -> float:
        alternative = float(expit(theta + u))
        log_ratio = successes * math.log(alternative / rate) + failures * math.log(
            (1 - alternative) / (1 - rate)
        )
        return norm * math.exp(-DECAY * u + log_ratio)

    return quad(integrand, 0.0, WINDOW, epsabs=0.0, epsrel=1e-10, limit=200)[0]


# --- the statistical guarantee ------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.8, 0.95])
@pytest.mark.parametrize(
    ("threshold", "batch_size", "max_trials"),
    [(0.95, 1, 1500), (0.5, 10, 3000), (0.02, 5, 6000)],
)
def test_error_rates_at_the_threshold_stay_within_nominal_for_every_look(
    threshold: float, batch_size: int, max_trials: int, confidence: float
) -> None:
    # At a true rate equal to the threshold both wrong verdicts are at their most likely, and
    # checking after every batch (every trial for batch_size=1) is the most peeking allowed.
    looks = operating_characteristics(
        threshold,
        threshold,
        confidence=confidence,
        batch_size=batch_size,
        max_trials=max_trials,
    )
    nominal = (1 - confidence) / 2
    assert looks.supported <= nominal
    assert looks.refuted <= nominal
    # The bound is not vacuous: optional stopping does spend a real part of the error budget.
    assert looks.supported + looks.refuted > nominal / 4


def test_simulated_error_rate_at_the_threshold_matches_the_exact_calculation() -> None:
    threshold, confidence, runs, max_trials, batch_size = 0.8, 0.8, 300, 200, 10
    decisions = [
        sequential_rate(
            bernoulli_sampler(threshold, seed),
            at_least=threshold,
            confidence=confidence,
            max_trials=max_trials,
            batch_size=batch_size,
        )
        for seed in range(runs)
    ]
    exact = operating_characteristics(
        threshold, threshold, confidence=confidence, batch_size=batch_size, max_trials=max_trials
    )
    for verdict, probability in (
        (Verdict.SUPPORTED, exact.supported),
        (Verdict.REFUTED, exact.refuted),
    ):
        observed = sum(d.verdict is verdict for d in decisions) / runs
        spread = 4 * math.sqrt(probability * (1 - probability) / runs)
        assert abs(observed - probability) <= spread
        assert observed <= (1 - confidence) / 2 + spread
    mean_trials = sum(d.trials for d in decisions) / runs
    assert mean_trials == pytest.approx(exact.expected_trials, rel=0.05)


def test_bounds_cover_the_true_rate_and_agree_with_the_verdict() -> None:
    for seed, (rate, threshold) in enumerate([(0.7, 0.6), (0.3, 0.35), (0.9, 0.9), (0.05, 0.1)]):
        for direction in ("at_least", "at_most"):
            decision = sequential_rate(
                bernoulli_sampler(rate, seed),
                **{direction: threshold},
                confidence=0.9,
                max_trials=400,
            )
            assert decision.lower <= decision.estimate <= decision.upper
            assert decision.verdict is rate_verdict(
                decision.lower, decision.upper, direction, threshold
            )


# --- the mixture ratio ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "failures", "rate"),
    [(150, 1, 0.95), (5, 0, 0.5), (40, 60, 0.3), (3, 40, 0.05), (1, 0, 0.001), (900, 100, 0.95)],
)
def test_closed_form_matches_numerical_integration(successes: int, failures: int, rate: float):
    expected = math.log(mixture_by_quadrature(successes, failures, rate))
    assert float(log_upward_ratio(successes, failures, rate)) == pytest.approx(expected, abs=1e-7)
    mirrored = float(log_downward_ratio(failures, successes, 1 - rate))
    assert mirrored == pytest.approx(expected, abs=1e-7)


def test_underflowing_evidence_stays_a_conservative_lower_bound() -> None:
    # 9,990 successes in 10,000 against a rate of 0.5: the closed form underflows, so the floor
    # takes over. Integrate in log space to get the true value.
    successes, failures, rate = 9990, 10, 0.5
    u = np.linspace(0.0, WINDOW, 200_001)
    alternative = expit(logit(rate) + u)
    log_integrand = (
        math.log(DECAY / (1 - math.exp(-DECAY * WINDOW)))
        - DECAY * u
        + successes * np.log(alternative / rate)
        + failures * np.log((1 - alternative) / (1 - rate))
    )
    peak = log_integrand.max()
    exact = peak + math.log(np.trapezoid(np.exp(log_integrand - peak), u))
    value = float(log_upward_ratio(successes, failures, rate))
    assert 1000 < value <= exact


def test_evidence_falls_as_the_tested_rate_rises() -> None:
    # Over the log-ratios any evidence level can use (0 to 30); far beyond, the floor that
    # replaces an underflowing closed form may wobble, always below the true value.
    rates = np.linspace(0.001, 0.999, 999)
    for successes, failures in [(0, 5), (3, 7), (50, 50), (97, 3), (400, 0), (2, 998)]:
        upward = log_upward_ratio(successes, failures, rates)
        downward = log_downward_ratio(successes, failures, rates)
        assert np.all(np.diff(np.clip(upward, 0, 30)) <= 1e-9)
        assert np.all(np.diff(np.clip(downward, 0, 30)) >= -1e-9)


# --- stopping early on clear cases ---------------------------------------------------------------


def test_clearly_safe_rate_is_supported_early() -> None:
    decision = sequential_rate(bernoulli_sampler(0.99, 1), at_least=0.95, max_trials=2000)
    assert decision.verdict is Verdict.SUPPORTED
    assert decision.stopped_early
    assert decision.stop_reason == "decided"
    assert decision.trials < 400
    assert decision.lower >= 0.95
    assert decision.fixed_n_interval is None
    assert decision.batches == decision.trials // 10


def test_clearly_unsafe_rate_is_refuted_early() -> None:
    decision = sequential_rate(bernoulli_sampler(0.90, 2), at_least=0.95, max_trials=2000)
    assert decision.verdict is Verdict.REFUTED
    assert decision.trials < 600
    assert decision.upper < 0.95


def test_at_most_claim_on_a_rare_event() -> None:
    decision = sequential_rate(lambda n: [False] * n, at_most=0.02, max_trials=5000)
    assert decision.verdict is Verdict.SUPPORTED
    assert decision.upper <= 0.02
    assert decision.trials < 300
    refuted = sequential_rate(bernoulli_sampler(0.1, 3), at_most=0.02, max_trials=5000)
    assert refuted.verdict is Verdict.REFUTED
    assert refuted.lower > 0.02


def test_undecided_at_max_trials_reports_the_fixed_n_interval_separately() -> None:
    decision = sequential_rate(bernoulli_sampler(0.95, 4), at_least=0.95, max_trials=95)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.trials == 95
    assert decision.batches == 10  # nine batches of 10, then the 5 left under the cap
    assert not decision.stopped_early
    assert decision.stop_reason == "max_trials"
    assert decision.fixed_n_interval is not None
    low, high = decision.fixed_n_interval
    # The fixed-n interval is narrower: that is exactly why it cannot be used after peeking.
    assert decision.lower < low < high < decision.upper
    record = json.loads(json.dumps(SequentialRateRecord(None, decision).to_dict()))
    assert record["verdict"] == "inconclusive"
    assert record["fixed_n_interval"]["method"] == "Clopper-Pearson"
    assert "not valid" in record["fixed_n_interval"]["note"]
    assert record["method"] == decision.method


def test_record_of_a_decided_claim_is_json_safe() -> None:
    decision = sequential_rate(lambda n: [True] * n, at_least=0.9, max_trials=1000)
    record = json.loads(json.dumps(SequentialRateRecord(None, decision).to_dict()))
    assert record["verdict"] == "supported"
    assert record["trials"] == decision.trials
    assert record["stopped_early"] is True
    assert "fixed_n_interval" not in record


def test_trivially_true_claim_needs_no_trials() -> None:
    def never_called(n: int) -> list[bool]:
        raise AssertionError("sampled a claim that holds for every rate")

    decision = sequential_rate(never_called, at_least=0.0, max_trials=10)
    assert decision.verdict is Verdict.SUPPORTED
    assert decision.trials == 0


def test_rate_one_is_refuted_by_a_single_failure() -> None:
    decision = sequential_rate([True] * 7 + [False] + [True] * 100, at_least=1.0, max_trials=500)
    assert decision.verdict is Verdict.REFUTED
    assert decision.trials == 10


# --- sampler forms ------------------------------------------------------------------------------


OUTCOMES = (np.random.default_rng(7).random(3000) < 0.97).tolist()


def test_callable_sampler_is_asked_for_whole_batches_up_to_the_cap() -> None:
    requests: list[int] = []

    def sampler(n: int) -> list[int]:
        requests.append(n)
        return [1] * (n - 1) + [0]

    decision = sequential_rate(sampler, at_least=0.95, max_trials=23, batch_size=10)
    assert requests == [10, 10, 3]
    assert decision.trials == 23
    assert decision.successes == 20


def test_stream_of_outcomes_equals_callable_sampler() -> None:
    position = 0

    def sampler(n: int) -> list[bool]:
        nonlocal position
        position += n
        return OUTCOMES[position - n : position]

    by_call = sequential_rate(sampler, at_least=0.95, max_trials=3000, batch_size=20)
    by_stream = sequential_rate(iter(OUTCOMES), at_least=0.95, max_trials=3000, batch_size=20)
    assert by_stream == by_call


def test_stream_of_batches_checks_after_each_batch_and_cuts_at_the_cap() -> None:
    batches = [[True] * 30, [True] * 7 + [False], np.ones(50, dtype=bool)]
    decision = sequential_rate(iter(batches), at_least=0.99, max_trials=60)
    assert decision.batches == 3
    assert decision.trials == 60  # the last batch is cut at max_trials
    assert decision.successes == 59


def test_exhausted_stream_is_inconclusive_and_says_so() -> None:
    decision = sequential_rate([True] * 25, at_least=0.95, max_trials=1000)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.stop_reason == "sampler exhausted"
    assert decision.trials == 25
    assert decision.batches == 3


def test_async_sampler_runs_trials_concurrently() -> None:
    in_flight = 0
    most_in_flight = 0

    async def one_trial(index: int) -> bool:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return OUTCOMES[index]

    drawn = 0

    async def sampler(n: int) -> list[bool]:
        nonlocal drawn
        start, drawn = drawn, drawn + n
        return list(await asyncio.gather(*(one_trial(i) for i in range(start, start + n))))

    decision = asyncio.run(asequential_rate(sampler, at_least=0.95, max_trials=3000, batch_size=25))
    expected = sequential_rate(iter(OUTCOMES), at_least=0.95, max_trials=3000, batch_size=25)
    assert decision == expected
    assert most_in_flight == 25


def test_async_iterator_of_batches() -> None:
    async def batches() -> AsyncIterator[list[bool]]:
        for start in range(0, len(OUTCOMES), 40):
            yield OUTCOMES[start : start + 40]

    decision = asyncio.run(asequential_rate(batches(), at_least=0.95, max_trials=3000))
    expected = sequential_rate(iter(OUTCOMES), at_least=0.95, max_trials=3000, batch_size=40)
    assert decision == expected


def test_async_twin_accepts_plain_samplers() -> None:
    decision = asyncio.run(asequential_rate(lambda n: [True] * n, at_least=0.9, max_trials=500))
    assert decision == sequential_rate(lambda n: [True] * n, at_least=0.9, max_trials=500)


# --- input validation ---------------------------------------------------------------------------


def always_true(n: int) -> list[bool]:
    return [True] * n


@pytest.mark.parametrize(
    "arguments",
    [
        {"max_trials": 10},
        {"at_least": 0.9, "at_most": 0.1, "max_trials": 10},
        {"at_least": 1.5, "max_trials": 10},
        {"at_most": -0.1, "max_trials": 10},
        {"at_least": math.nan, "max_trials": 10},
        {"at_least": 0.9, "confidence": 1.0, "max_trials": 10},
        {"at_least": 0.9, "confidence": 0.0, "max_trials": 10},
        {"at_least": 0.9, "max_trials": 0},
        {"at_least": 0.9, "max_trials": 10.0},
        {"at_least": 0.9, "max_trials": True},
        {"at_least": 0.9, "max_trials": 10, "batch_size": 0},
    ],
)
def test_invalid_arguments_are_rejected(arguments: dict) -> None:
    with pytest.raises(ValueError):
        sequential_rate(always_true, **arguments)


@pytest.mark.parametrize(
    ("outcomes", "error"),
    [([0.5], TypeError), (["yes"], TypeError), ([None], TypeError), ([2], ValueError)],
)
def test_non_boolean_outcomes_are_errors(outcomes: list, error: type[Exception]) -> None:
    with pytest.raises(error):
        sequential_rate(lambda n: outcomes * n, at_least=0.9, max_trials=10)
    with pytest.raises(error):
        sequential_rate(iter(outcomes), at_least=0.9, max_trials=10)


def test_sampler_returning_the_wrong_number_of_outcomes_is_an_error() -> None:
    with pytest.raises(ValueError, match="returned 3 outcomes"):
        sequential_rate(lambda n: [True] * 3, at_least=0.9, max_trials=100)


def test_sampler_of_the_wrong_kind_is_an_error() -> None:
    with pytest.raises(TypeError):
        sequential_rate(5, at_least=0.9, max_trials=100)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        sequential_rate(iter(["not a batch"]), at_least=0.9, max_trials=100)


def infinite_true() -> Iterator[bool]:
    while True:
        yield True


def test_infinite_stream_stops_once_decided() -> None:
    decision = sequential_rate(infinite_true(), at_least=0.5, max_trials=10**9)
    assert decision.verdict is Verdict.SUPPORTED
    assert decision.trials < 50
