"""No display agrees with a threshold the decision does not: bounds round outward, with more digits
where rounding alone would land a bound on the wrong side of its threshold."""

from __future__ import annotations

import random
import textwrap
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

import pytest

from pytest_safecase.case.result import CaseResult
from pytest_safecase.decision import Direction, shown_exactly, shown_number
from pytest_safecase.records import RiskContribution, RiskLedger, RiskRecord, ValueRecord
from pytest_safecase.report import RENDERERS
from pytest_safecase.report.github import github_summary
from pytest_safecase.report.terminal import tree_lines
from pytest_safecase.stats import decide_rate
from pytest_safecase.stats._binomial import rate_verdict
from pytest_safecase.verdict import Verdict
from tests.report.conftest import run_and_grab


def side(value: Decimal | float, threshold: float) -> int:
    value, limit = Decimal(repr(float(value))), Decimal(repr(threshold))
    return (value > limit) - (value < limit)


def test_196_of_200_against_095_shows_a_lower_bound_below_the_threshold() -> None:
    decision = decide_rate(196, 200, at_least=0.95)
    assert decision.verdict is Verdict.INCONCLUSIVE and decision.lower < 0.95
    assert f"{decision.lower:.3f}" == "0.950"  # what nearest rounding showed before
    assert decision.shown_bounds() == ("0.949", "0.995")
    assert decision.shown_bounds(1, percent=True) == ("94.9", "99.5")
    assert decision.shown_threshold(percent=True) == "95"


def test_rounding_alone_would_put_a_refuted_upper_bound_on_its_threshold() -> None:
    """The counter-example to plain outward rounding: an upper bound of 0.94962 rounds up to
    0.950, which would say "at least 0.95" could still hold; the display adds a digit."""
    assert shown_number(0.94962, [0.95], ROUND_CEILING) == "0.9497"
    assert shown_number(0.950001, [0.95], ROUND_FLOOR) == "0.950001"  # supported: stays above
    assert shown_number(0.95, [0.95], ROUND_FLOOR) == "0.950"
    assert shown_exactly(0.9495) == "0.9495" and shown_exactly(1.0, 2) == "100"


@pytest.mark.parametrize("seed", range(4))
def test_sweep_every_decision_is_shown_on_its_own_side_of_the_threshold(seed: int) -> None:
    rng = random.Random(seed)
    thresholds = [0.5, 0.9, 0.95, 0.99, 0.02, 0.05, 0.9495, 0.001, 0.999]
    for _ in range(400):
        trials = rng.randint(1, 600)
        successes = rng.randint(0, trials)
        threshold = rng.choice(thresholds)
        direction = rng.choice(list(Direction))
        decision = decide_rate(successes, trials, **{direction.value: threshold})
        for digits, percent in ((3, False), (4, False), (1, True)):
            lower, upper = (
                Decimal(text) for text in decision.shown_bounds(digits, percent=percent)
            )
            if percent:
                lower, upper = lower.scaleb(-2), upper.scaleb(-2)
            assert lower <= Decimal(repr(decision.lower)), (successes, trials, threshold)
            assert upper >= Decimal(repr(decision.upper)), (successes, trials, threshold)
            assert side(lower, threshold) == side(decision.lower, threshold)
            assert side(upper, threshold) == side(decision.upper, threshold)
        # The verdict read off the display, by the rule that decided it, is the verdict decided.
        lower, upper = (float(text) for text in decision.shown_bounds())
        read = rate_verdict(lower, upper, direction, threshold)
        assert read is decision.verdict, (successes, trials, threshold, direction)


def test_a_value_just_short_of_its_bound_is_not_shown_on_it() -> None:
    record = ValueRecord(
        "agreement", 0.949999, at_least=0.95, at_most=None, verdict=Verdict.REFUTED
    )
    assert record.shown_value() == "0.949999"
    assert "= 0.949999, claim >= 0.95" in record.describe()


def test_a_ledger_just_over_budget_does_not_read_within_it() -> None:
    risk = RiskRecord("escape", upper=0.0500001, lower=0.0)
    ledger = RiskLedger(0.05).added_up((RiskContribution("G1", "t::a", risk),))
    verdict, why = ledger.decide()
    assert verdict is Verdict.INCONCLUSIVE
    assert why == "risk bound 0.0501 exceeds budget 0.05"  # rounded up, never to 0.0500


CASE = """\
G0:
  text: The monitor is good enough
  supportedBy: [G1]
  x-risk-budget: 0.05
G1:
  text: The monitor catches backdoors
"""

TESTS = """
from pytest_safecase import claim

@claim(id="G1")
def test_monitor(evidence):
    evidence.risk("escape", 0.0500001)
    evidence.rate(196, 200, at_least=0.95, name="catch rate")
"""


def test_every_format_shows_the_196_of_200_case_below_its_threshold(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makefile(".yaml", safecase=CASE)
    pytester.makepyfile(test_case=textwrap.dedent(TESTS))
    result: CaseResult = run_and_grab(pytester)
    assert result.nodes["G1"].verdict is Verdict.INCONCLUSIVE
    shown = {fmt: render(result, {}) for fmt, render in RENDERERS.items() if fmt != "json"}
    shown["terminal"] = "\n".join(text for text, _ in tree_lines(result))
    summary = tmp_path / "summary.md"
    github_summary(result, {}, {"GITHUB_STEP_SUMMARY": str(summary)})
    shown["github"] = summary.read_text(encoding="utf-8")
    expected = {
        "terminal": "[0.949, 0.995]",
        "md": "[0.949, 0.995]",
        "github": "[0.949, 0.995]",
        "gsn2x": "[0.949, 0.995]",
        "html": "between 94.9% and 99.5%; the claim needs at least 95%",
        "tea": "between 94.9% and 99.5%; the claim needs at least 95%",
        "junit": "[0.9495, 0.9946]",
    }
    assert set(expected) <= set(shown), set(shown)
    for fmt, text in shown.items():
        assert "0.950," not in text and "95.0%" not in text, fmt
        assert "0.0500 " not in text and "0.0500," not in text, fmt
        if fmt in expected:
            assert expected[fmt] in text, (fmt, text)
    assert "= 0.0501  total, EXCEEDS budget 0.05" in shown["terminal"]
