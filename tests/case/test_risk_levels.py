"""A level's own risk budget: with ``x-risk-per-level`` each level's risk claims bound the whole
deployment at that level, so ``--safecase-gate --safecase-level 1`` can pass on level 1's own risk
claim, and a higher level supersedes it rather than adding to it."""

from __future__ import annotations

import pytest

from pytest_safecase._pytest.plugin import RESULT_KEY
from pytest_safecase.case.result import CaseResult
from pytest_safecase.verdict import Verdict

CASE = """\
G0:
  text: The deployment ends in an unaudited backdoor with probability at most 5%
  x-risk-budget: 0.05
{per_level}  supportedBy: [S0]
S0:
  text: Adopt one level at a time
  supportedBy: [G-L1, G-L2]
G-L1:
  text: "Level 1: upfront auditing keeps the risk within budget"
  x-level: 1
G-L2:
  text: "Level 2: trusted monitoring keeps the risk within budget"
  x-level: 2
"""

TESTS = """
from pytest_safecase import claim

@claim(id="G-L1")
def test_upfront_auditing(evidence):
    evidence.risk("upfront auditing", 0.04)

@claim(id="G-L2")
def test_trusted_monitoring(evidence):
    {level_2}
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[CaseResult, int]:
    recorder = pytester.inline_run("-p", "no:cacheprovider", *args)
    config = recorder.getcalls("pytest_sessionfinish")[0].session.config
    result = config.stash.get(RESULT_KEY, None)
    assert result is not None
    return result, int(recorder.ret)


def write(pytester: pytest.Pytester, *, per_level: bool, level_2: str) -> None:
    pytester.makefile(
        ".yaml", safecase=CASE.format(per_level="  x-risk-per-level: true\n" if per_level else "")
    )
    pytester.makepyfile(TESTS.format(level_2=level_2))


def test_level_1_passes_the_gate_on_its_own_risk_claim(pytester: pytest.Pytester) -> None:
    write(pytester, per_level=True, level_2='evidence.risk("trusted monitoring", 0.03)')
    result, status = run(pytester, "--safecase-gate", "--safecase-level", "1")
    root = result.nodes["G0"]
    assert root.verdict is Verdict.SUPPORTED and status == 0
    assert root.risk is not None and [c.claim for c in root.risk.contributions or ()] == ["G-L1"]


def test_level_2_supersedes_level_1_instead_of_adding_to_it(pytester: pytest.Pytester) -> None:
    write(pytester, per_level=True, level_2='evidence.risk("trusted monitoring", 0.03)')
    result, status = run(pytester, "--safecase-gate")
    root = result.nodes["G0"]
    assert root.risk is not None and root.risk.total == pytest.approx(0.03)
    assert [(c.claim, c.level) for c in root.risk.contributions or ()] == [("G-L2", 2)]
    assert root.verdict is Verdict.SUPPORTED and status == 0


def test_without_per_level_the_levels_risks_add_up(pytester: pytest.Pytester) -> None:
    """The default stays the union bound over everything in scope: 0.04 + 0.03 > 0.05."""
    write(pytester, per_level=False, level_2='evidence.risk("trusted monitoring", 0.03)')
    result, status = run(pytester, "--safecase-gate")
    assert result.nodes["G0"].verdict is Verdict.INCONCLUSIVE and status != 0


def test_a_level_in_force_without_a_risk_claim_never_falls_back_to_a_lower_level(
    pytester: pytest.Pytester,
) -> None:
    """The counter-example: level 2 is deployed but recorded no risk; level 1's 0.04 is the risk
    of a protocol no longer deployed and must not stand in for it."""
    write(pytester, per_level=True, level_2="pass")
    result, status = run(pytester, "--safecase-gate")
    root = result.nodes["G0"]
    assert root.verdict is Verdict.UNDEVELOPED and status != 0
    assert "level 2 (the level in force)" in root.reason


def test_an_empty_ledger_says_which_claims_lie_above_the_level(pytester: pytest.Pytester) -> None:
    """Without a level-1 risk claim the budget is unargued at level 1, and the reason says why."""
    pytester.makefile(".yaml", safecase=CASE.format(per_level=""))
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "@claim(id='G-L1')\ndef test_a(): pass\n"
        "@claim(id='G-L2')\ndef test_b(evidence): evidence.risk('monitoring', 0.01)\n"
    )
    result, status = run(pytester, "--safecase-gate", "--safecase-level", "1", "--safecase-report")
    root = result.nodes["G0"]
    assert root.verdict is Verdict.UNDEVELOPED and status != 0
    assert "G-L2 lie above level 1" in root.reason
    assert root.risk is not None and root.risk.unrecorded == root.reason
    again = CaseResult.from_dict(result.to_dict()).nodes["G0"].risk
    assert again is not None and again.unrecorded == root.reason


def test_per_level_without_a_budget_is_a_case_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", safecase="G1:\n  text: Safe\n  x-risk-per-level: true\n")
    pytester.makepyfile("from pytest_safecase import claim\n@claim(id='G1')\ndef test_a(): pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*x-risk-per-level*needs an x-risk-budget*"])


def test_the_ledger_round_trips_through_the_report(pytester: pytest.Pytester) -> None:
    """Re-rendered reports (safecase render, diff) read the same ledger: levels, per-level
    counting and why an empty one is empty."""
    write(pytester, per_level=True, level_2='evidence.risk("trusted monitoring", 0.03)')
    full, _ = run(pytester)
    limited, _ = run(pytester, "--safecase-level", "1")
    for result in (full, limited):
        again = CaseResult.from_dict(result.to_dict())
        assert again.nodes["G0"].risk == result.nodes["G0"].risk
        assert again.nodes["G0"].risk is not None and again.nodes["G0"].risk.per_level
