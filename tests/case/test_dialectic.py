"""Dialectic through real pytest runs: a counter-goal that tests support defeats what it
challenges, and everything resting on the defeated node; one they do not support defeats nothing."""

from __future__ import annotations

import pytest

from pytest_safecase._pytest.plugin import RESULT_KEY
from pytest_safecase.case import CaseResult
from pytest_safecase.verdict import Verdict

CASE = """
G1:
  text: The deployment is acceptably safe
  supportedBy: [S1]
S1:
  text: Argue over each control measure
  supportedBy: [G2, G3]
G2:
  text: The monitor catches backdoors
G3:
  text: Audits catch what the monitor misses
CG1:
  text: The monitor is blind to obfuscated backdoors
  challenges: G2
"""

TESTS = """
from pytest_safecase import claim

@claim(id="G2")
def test_monitor():
    pass

@claim(id="G3")
def test_audits():
    pass

@claim(id="CG1")
def test_obfuscation_attack():
    assert {attack_lands}
"""


def run(pytester: pytest.Pytester, case: str, attack_lands: bool) -> CaseResult:
    pytester.makefile(".yaml", safecase=case)
    pytester.makepyfile(TESTS.format(attack_lands=attack_lands))
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    config = recorder.getcalls("pytest_sessionfinish")[0].session.config
    return config.stash[RESULT_KEY]


def test_a_supported_counter_goal_defeats_its_target_and_what_rests_on_it(pytester) -> None:
    result = run(pytester, CASE, attack_lands=True)
    g2, s1, root = result.nodes["G2"], result.nodes["S1"], result.nodes["G1"]
    assert g2.tests[0].verdict is Verdict.SUPPORTED  # its own evidence passed ...
    assert g2.verdict is Verdict.REFUTED  # ... but the counter-argument defeats it
    assert g2.reason.startswith("defeated by CG1, which is supported")
    assert s1.verdict is Verdict.REFUTED and "defeated by CG1" in s1.reason
    assert root.verdict is Verdict.REFUTED
    assert result.nodes["CG1"] in result.claims()


def test_a_refuted_counter_goal_defeats_nothing(pytester) -> None:
    result = run(pytester, CASE, attack_lands=False)
    assert result.nodes["CG1"].verdict is Verdict.REFUTED
    assert result.nodes["G2"].verdict is Verdict.SUPPORTED
    assert result.nodes["G1"].verdict is Verdict.SUPPORTED


def test_defeated_true_in_the_file_defeats_whatever_the_tests_say(pytester) -> None:
    case = CASE.replace("catches backdoors\n", "catches backdoors\n  defeated: true\n", 1)
    assert case != CASE
    result = run(pytester, case, attack_lands=False)
    assert result.nodes["G2"].verdict is Verdict.REFUTED
    assert result.nodes["G2"].reason == "marked defeated in the case file (challenged by CG1)"
    assert result.nodes["G1"].verdict is Verdict.REFUTED


def test_a_defeated_challenge_no_longer_defeats(pytester) -> None:
    case = CASE + "CSn1:\n  text: Obfuscation is normalised away\n  challenges: G2 -> CG1\n"
    case = case.replace("challenges: G2\n", "challenges: G2\n  defeatedRelation: G2\n")
    result = run(pytester, case, attack_lands=True)
    assert result.nodes["CG1"].verdict is Verdict.SUPPORTED
    assert result.nodes["G2"].verdict is Verdict.SUPPORTED
    assert result.nodes["G1"].verdict is Verdict.SUPPORTED


def test_a_supported_challenge_of_a_link_cuts_it(pytester) -> None:
    case = CASE.replace("challenges: G2", "challenges: S1 -> G3")
    result = run(pytester, case, attack_lands=True)
    assert result.nodes["G3"].verdict is Verdict.SUPPORTED
    assert result.nodes["S1"].verdict is Verdict.REFUTED
    assert result.nodes["S1"].reason == "its link to G3 is defeated by CG1"


def test_several_top_level_goals_warn_and_run_under_the_implicit_root(pytester) -> None:
    pytester.makefile(".yaml", safecase=CASE + "G9:\n  text: Another top goal\n")
    pytester.makepyfile("from pytest_safecase import claim\n@claim(id='G9')\ndef test_x(): pass")
    outcome = pytester.runpytest("-p", "no:cacheprovider", "--safecase-report")
    assert outcome.ret == pytest.ExitCode.OK
    outcome.stdout.fnmatch_lines(
        ["*several top-level goals (G1, G9): a run places the implicit root 'ROOT'*[[]root[]]*"]
    )
