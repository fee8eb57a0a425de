"""The macrosystem risk ledger: subsystem bounds add up (union bound) against the goal's budget."""

import pytest

from pytest_safecase.verdict import Verdict

CASE = """
G1:
  nodeType: Goal
  text: P(unacceptable outcome) stays within budget
  x-risk-budget: 0.05
  supportedBy: [G2, G3]
G2:
  nodeType: Goal
  text: Backdoors through the protocol are rare
G3:
  nodeType: Goal
  text: Sandbox escapes are rare
"""

TESTS = """
from pytest_safecase import claim

@claim(id="G2")
def test_protocol(evidence):
    evidence.risk("unaudited backdoor", {protocol})

@claim(id="G3")
def test_sandbox(evidence):
    evidence.risk("sandbox escape", {sandbox}, lower={lower})
"""


@pytest.mark.parametrize(
    ("protocol", "sandbox", "lower", "verdict", "total"),
    [
        (0.02, 0.01, 0.0, Verdict.SUPPORTED, 0.03),
        (0.04, 0.03, 0.0, Verdict.INCONCLUSIVE, 0.07),
        (0.04, 0.5, 0.2, Verdict.REFUTED, 0.54),
    ],
)
def test_ledger_adds_upper_bounds_and_decides_against_the_budget(
    pytester, run_case, protocol, sandbox, lower, verdict, total
):
    pytester.makefile(".yaml", safecase=CASE)
    pytester.makepyfile(TESTS.format(protocol=protocol, sandbox=sandbox, lower=lower))
    result, _ = run_case()
    root = result.nodes["G1"]
    assert root.verdict is verdict
    assert root.risk is not None and root.risk.contributions is not None
    assert root.risk.total == pytest.approx(total)
    assert [item.claim for item in root.risk.contributions] == ["G2", "G3"]
    assert root.risk.budget == 0.05


def test_a_budget_without_contributions_is_undeveloped(pytester, run_case):
    pytester.makefile(".yaml", safecase=CASE)
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "@claim(id='G2')\ndef test_a(): pass\n"
        "@claim(id='G3')\ndef test_b(): pass\n"
    )
    result, _ = run_case()
    assert result.verdict is Verdict.UNDEVELOPED
    assert "no claim below it recorded a risk" in result.nodes["G1"].reason


def test_ledger_is_printed_with_the_tree(pytester):
    pytester.makefile(".yaml", safecase=CASE)
    pytester.makepyfile(TESTS.format(protocol=0.02, sandbox=0.01, lower=0.0))
    result = pytester.runpytest("--safecase-report")
    result.stdout.fnmatch_lines(
        [
            "   risk ledger (union bound over subsystems):",
            "     + 0.0200  G2: unaudited backdoor",
            "     + 0.0100  G3: sandbox escape",
            "     = 0.0300  total, within budget 0.05",
        ]
    )


@pytest.mark.parametrize("budget", ["1.5", "'high'", "-0.1"])
def test_budget_must_be_a_probability(pytester, budget):
    pytester.makefile(".yaml", safecase=CASE.replace("0.05", budget))
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*G1: x-risk-budget must be a probability in [[]0, 1[]]*"])


def test_bad_risk_bounds_are_errors(pytester, run_case):
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "@claim('r')\ndef test_a(evidence):\n    evidence.risk('x', 0.1, lower=0.2)\n"
    )
    result, _ = run_case()
    assert result.nodes["test_a"].verdict is Verdict.ERROR
