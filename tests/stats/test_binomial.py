"""Exact binomial bounds and rate verdicts, checked against scipy's own reference implementation."""

import math

import pytest
from scipy.stats import binomtest

from pytest_safecase.stats import clopper_pearson, decide_rate, trials_to_settle
from pytest_safecase.verdict import Verdict


@pytest.mark.parametrize(
    ("k", "n", "confidence"),
    [(0, 10, 0.95), (10, 10, 0.95), (95, 100, 0.95), (1, 3, 0.9), (487, 500, 0.99), (3, 1000, 0.8)],
)
def test_clopper_pearson_matches_scipy_exact_interval(k, n, confidence):
    reference = binomtest(k, n).proportion_ci(confidence, method="exact")
    lower, upper = clopper_pearson(k, n, confidence)
    assert lower == pytest.approx(reference.low, abs=1e-12)
    assert upper == pytest.approx(reference.high, abs=1e-12)


def test_known_values_from_the_literature():
    # 0 events in 300 trials: the "rule of three" says the 95% upper bound is about 3/300.
    assert clopper_pearson(0, 300, 0.95)[1] == pytest.approx(0.01222, abs=1e-4)
    lower, upper = clopper_pearson(5, 10, 0.95)
    assert (round(lower, 4), round(upper, 4)) == (0.1871, 0.8129)


def test_no_trials_gives_the_whole_unit_interval():
    assert clopper_pearson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("k", "n", "kwargs", "verdict"),
    [
        (199, 200, {"at_least": 0.95}, Verdict.SUPPORTED),
        (97, 100, {"at_least": 0.95}, Verdict.INCONCLUSIVE),
        (80, 100, {"at_least": 0.95}, Verdict.REFUTED),
        (0, 300, {"at_most": 0.02}, Verdict.SUPPORTED),
        (3, 100, {"at_most": 0.02}, Verdict.INCONCLUSIVE),
        (30, 100, {"at_most": 0.02}, Verdict.REFUTED),
        (0, 0, {"at_least": 0.5}, Verdict.INCONCLUSIVE),
    ],
)
def test_rate_verdicts(k, n, kwargs, verdict):
    decision = decide_rate(k, n, **kwargs)
    assert decision.verdict is verdict
    reference = binomtest(k, n).proportion_ci(0.95, method="exact") if n else None
    if reference is not None:
        assert decision.lower == pytest.approx(reference.low, abs=1e-12)


def test_supported_uses_the_lower_bound_not_the_point_estimate():
    # 96/100 has a point estimate above 0.95 but the evidence cannot yet support ">= 0.95".
    decision = decide_rate(96, 100, at_least=0.95)
    assert decision.estimate > 0.95
    assert decision.verdict is Verdict.INCONCLUSIVE


def test_bound_on_the_threshold_counts_as_clearing_it():
    lower, _ = clopper_pearson(190, 195)
    assert decide_rate(190, 195, at_least=lower).verdict is Verdict.SUPPORTED
    assert decide_rate(190, 195, at_least=math.nextafter(lower, 1)).verdict is Verdict.INCONCLUSIVE


def test_trials_to_settle_is_enough_and_roughly_minimal():
    needed = trials_to_settle(97, 100, "at_least", 0.95, 0.95)
    assert needed is not None and 100 < needed < 1000
    # At whole hundreds the observed rate 0.97 is exact: the next hundred settles it, the last does not.
    above, below = -(-needed // 100) * 100, needed // 100 * 100
    assert decide_rate(97 * above // 100, above, at_least=0.95).verdict is Verdict.SUPPORTED
    assert decide_rate(97 * below // 100, below, at_least=0.95).verdict is Verdict.INCONCLUSIVE
    assert decide_rate(97, 100, at_least=0.95).trials_to_settle == needed


def test_trials_to_settle_is_none_when_the_rate_sits_on_the_threshold():
    assert trials_to_settle(95, 100, "at_least", 0.95, 0.95) is None


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((5, 3), {"at_least": 0.5}, "exceed trials"),
        ((-1, 3), {"at_least": 0.5}, "must not be negative"),
        ((1.5, 3), {"at_least": 0.5}, "whole number"),
        ((1, 3), {"at_least": 2}, "write 2% as 0.02"),
        ((1, 3), {"at_most": -0.1}, "not a rate"),
        ((1, 3), {}, "exactly one"),
        ((1, 3), {"at_least": 0.1, "at_most": 0.9}, "exactly one"),
        ((1, 3), {"at_least": 0.5, "confidence": 1.0}, "confidence"),
    ],
)
def test_bad_input_is_rejected_with_a_reason(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        decide_rate(*args, **kwargs)
