"""Sample planning: fixed-n sizes against a direct binomial check, sequential figures against the
real stopping rule."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import beta, binom

from pytest_safecase.stats._plan import Plan, operating_characteristics, plan, plan_table
from pytest_safecase.stats._sequential import sequential_rate
from pytest_safecase.verdict import Verdict


def direct_fixed_n(
    threshold: float, true_rate: float, direction: str, confidence: float, power: float
) -> tuple[int, float]:
    """Scan n upwards; at each n compute every count's Clopper-Pearson interval with beta.ppf
    and sum the binomial probability of the counts that give the correct verdict."""
    tail = (1 - confidence) / 2
    claim_holds = true_rate >= threshold if direction == "at_least" else true_rate <= threshold
    for n in itertools.count(1):
        k = np.arange(n + 1)
        lower = np.where(k == 0, 0.0, beta.ppf(tail, np.maximum(k, 1), n - k + 1))
        upper = np.where(k == n, 1.0, beta.ppf(1 - tail, k + 1, np.maximum(n - k, 1)))
        if direction == "at_least":
            correct = lower >= threshold if claim_holds else upper < threshold
        else:
            correct = upper <= threshold if claim_holds else lower > threshold
        achieved = float(binom.pmf(k, n, true_rate)[correct].sum())
        if achieved >= power:
            return n, achieved
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("threshold", "true_rate", "direction", "confidence", "power"),
    [
        (0.95, 0.99, "at_least", 0.95, 0.8),
        (0.95, 0.90, "at_least", 0.95, 0.8),
        (0.8, 0.9, "at_least", 0.9, 0.95),
        (0.02, 0.0, "at_most", 0.95, 0.8),
        (0.05, 0.12, "at_most", 0.99, 0.9),
        (0.5, 0.6, "at_most", 0.95, 0.5),
    ],
)
def test_fixed_n_matches_a_direct_binomial_scan(
    threshold: float, true_rate: float, direction: str, confidence: float, power: float
) -> None:
    result = plan(threshold, true_rate, direction=direction, confidence=confidence, power=power)
    expected_n, expected_power = direct_fixed_n(threshold, true_rate, direction, confidence, power)
    assert result.fixed_trials == expected_n
    assert result.fixed_power == pytest.approx(expected_power, abs=1e-9)
    assert result.fixed_power >= power


def test_goal_follows_the_true_rate() -> None:
    assert plan(0.95, 0.99).goal is Verdict.SUPPORTED
    assert plan(0.95, 0.90).goal is Verdict.REFUTED
    assert plan(0.02, 0.005, direction="at_most").goal is Verdict.SUPPORTED
    assert plan(0.02, 0.05, direction="at_most").goal is Verdict.REFUTED


def test_sequential_cap_is_the_smallest_whole_batch_reaching_the_power() -> None:
    result = plan(0.9, 0.97, power=0.9, batch_size=5)
    cap = result.sequential_max_trials
    assert cap % 5 == 0
    at_cap = operating_characteristics(0.9, 0.97, batch_size=5, max_trials=cap)
    one_batch_less = operating_characteristics(0.9, 0.97, batch_size=5, max_trials=cap - 5)
    assert at_cap.supported == pytest.approx(result.sequential_power, abs=1e-9)
    assert at_cap.expected_trials == pytest.approx(result.expected_sequential_trials, abs=1e-6)
    assert at_cap.supported >= 0.9 > one_batch_less.supported


def every_path_exactly(
    threshold: float, true_rate: float, confidence: float, max_trials: int
) -> tuple[float, float, float]:
    """Run the real sequential test on every possible outcome sequence, weighted exactly."""
    supported = refuted = expected_trials = 0.0
    for path in itertools.product((True, False), repeat=max_trials):
        decision = sequential_rate(
            iter(path),
            at_least=threshold,
            confidence=confidence,
            max_trials=max_trials,
            batch_size=1,
        )
        used = path[: decision.trials]
        successes = sum(used)
        # Outcomes after the stopping point are never drawn; sum over them by counting each
        # stopped prefix once (the first path through it, whose tail is all True).
        if not all(path[decision.trials :]):
            continue
        weight = true_rate**successes * (1 - true_rate) ** (decision.trials - successes)
        supported += weight * (decision.verdict is Verdict.SUPPORTED)
        refuted += weight * (decision.verdict is Verdict.REFUTED)
        expected_trials += weight * decision.trials
    return supported, refuted, expected_trials


def test_dynamic_programme_equals_enumerating_every_path() -> None:
    threshold, true_rate, confidence, max_trials = 0.5, 0.8, 0.6, 10
    supported, refuted, expected_trials = every_path_exactly(
        threshold, true_rate, confidence, max_trials
    )
    exact = operating_characteristics(
        threshold, true_rate, confidence=confidence, batch_size=1, max_trials=max_trials
    )
    assert 0.1 < supported < 0.99  # the case exercises both stopping and running to the cap
    assert exact.supported == pytest.approx(supported, abs=1e-12)
    assert exact.refuted == pytest.approx(refuted, abs=1e-12)
    assert exact.expected_trials == pytest.approx(expected_trials, abs=1e-9)


def test_expected_trials_match_simulating_the_real_sampler() -> None:
    result = plan(0.9, 0.97, power=0.8, batch_size=10)
    rng = np.random.default_rng(11)
    runs = 300
    decisions = [
        sequential_rate(
            lambda n: (rng.random(n) < 0.97).tolist(),
            at_least=0.9,
            max_trials=result.sequential_max_trials,
        )
        for _ in range(runs)
    ]
    trials = np.array([d.trials for d in decisions])
    spread = 4 * trials.std() / math.sqrt(runs)
    assert abs(trials.mean() - result.expected_sequential_trials) <= spread
    observed = np.mean([d.verdict is Verdict.SUPPORTED for d in decisions])
    p = result.sequential_power
    assert abs(observed - p) <= 4 * math.sqrt(p * (1 - p) / runs)


def test_sequential_saves_trials_when_high_power_is_wanted() -> None:
    # At 99% power the fixed-n design must cover unlucky samples; the sequential test stops
    # early on lucky ones. (At 80% power it does not save trials: see the benchmark.)
    for true_rate in (0.99, 0.90):
        result = plan(0.95, true_rate, power=0.99)
        assert result.saving > 0.3
        assert result.expected_sequential_trials < result.fixed_trials


def test_plan_prints_a_short_table() -> None:
    result = plan(0.95, 0.99)
    text = str(result)
    assert "rate >= 0.95" in text
    assert f"{result.fixed_trials} trials" in text
    assert f"max_trials {result.sequential_max_trials}" in text
    assert f"{result.expected_sequential_trials:.1f}" in text
    table = plan_table([result, plan(0.02, 0.005, direction="at_most")])
    lines = table.splitlines()
    assert len(lines) == 4
    assert "rate <= 0.02" in lines[3]
    assert str(result.fixed_trials) in lines[2]


@pytest.mark.parametrize(
    "arguments",
    [
        {"threshold": 0.95, "true_rate": 0.95},
        {"threshold": 0.0, "true_rate": 0.5},
        {"threshold": 1.0, "true_rate": 0.5},
        {"threshold": 0.9, "true_rate": 1.2},
        {"threshold": 0.9, "true_rate": 0.95, "power": 1.0},
        {"threshold": 0.9, "true_rate": 0.95, "confidence": 1.5},
        {"threshold": 0.9, "true_rate": 0.95, "direction": "above"},
        {"threshold": 0.9, "true_rate": 0.95, "batch_size": 0},
    ],
)
def test_invalid_plans_are_rejected(arguments: dict) -> None:
    with pytest.raises(ValueError):
        plan(**arguments)


def test_operating_characteristics_validates_max_trials() -> None:
    with pytest.raises(ValueError):
        operating_characteristics(0.9, 0.95, max_trials=0)


def test_plan_is_a_frozen_record() -> None:
    result = plan(0.95, 0.99)
    assert isinstance(result, Plan)
    with pytest.raises(AttributeError):
        result.fixed_trials = 1  # type: ignore[misc]
