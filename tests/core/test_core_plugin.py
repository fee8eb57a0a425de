"""The plugin end to end, through real pytest runs: claims, verdicts, the tree, gate, levels, xdist."""

from __future__ import annotations

import re
import textwrap

import pytest

from pytest_safecase.records import RateRecord
from pytest_safecase.verdict import Verdict

CASE_YAML = """
G1:
  nodeType: Goal
  text: The deployment is acceptably safe
  supportedBy: [S1]
  inContextOf: [C1, A1]
S1:
  nodeType: Strategy
  text: Argue over each control measure
  supportedBy: [G2, G3]
G2:
  nodeType: Goal
  text: The monitor catches backdoors
  x-level: 1
G3:
  nodeType: Goal
  text: Deferral keeps usefulness
  x-level: 2
C1:
  nodeType: Context
  text: 5000 programming tasks
A1:
  nodeType: Assumption
  text: Human audits are reliable
  x-accepted: true
"""


def verdicts(result):
    return {node.id: node.verdict for node in result.nodes.values()}


def test_claims_as_decorator_and_as_marker_pass_strict_markers(pytester, run_case):
    pytester.makepyfile(
        """
        import pytest
        from pytest_safecase import claim

        @claim("Catch rate is high", id="G-catch", argument="control", level=1)
        def test_catch(evidence):
            evidence.rate(299, 300, at_least=0.95)

        @pytest.mark.claim("Plain boolean evidence", argument="inability")
        def test_boolean():
            assert True
        """
    )
    result, recorder = run_case("--strict-markers")
    recorder.assertoutcome(passed=2)
    assert result.verdict is Verdict.SUPPORTED
    assert result.nodes["G-catch"].argument == "control"
    assert result.nodes["test_boolean"].text == "Plain boolean evidence"
    record = result.nodes["G-catch"].tests[0].evidence[0]
    assert isinstance(record, RateRecord)
    assert (record.decision.successes, record.decision.trials) == (299, 300)
    assert record.verdict is Verdict.SUPPORTED


def test_unknown_argument_category_is_a_collection_error_naming_the_test(pytester):
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim("x", argument="vibes")
        def test_bad():
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*test_unknown_argument_category_is_a_collection_error_naming_the_test.py::test_bad: "
            "claim argument='vibes' is not one of inability, control, trustworthiness, deference*"
        ]
    )


def test_every_phase_outcome_maps_to_its_verdict(pytester, run_case):
    pytester.makepyfile(
        """
        import pytest
        from pytest_safecase import claim

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture broke")

        @pytest.fixture
        def bad_teardown():
            yield
            raise RuntimeError("teardown broke")

        @claim("a")
        def test_supported(evidence):
            evidence.rate(100, 100, at_least=0.9)

        @claim("b")
        def test_refuted(evidence):
            evidence.rate(50, 100, at_least=0.9)

        @claim("c")
        def test_inconclusive(evidence):
            evidence.rate(92, 100, at_least=0.9)

        @claim("d")
        def test_assert_fails():
            assert 1 == 2

        @claim("e")
        def test_raises():
            raise KeyError("boom")

        @claim("f")
        def test_skipped():
            pytest.skip("not today")

        @claim("g")
        def test_fixture_error(broken):
            pass

        @claim("h")
        def test_teardown_error(bad_teardown):
            pass

        @claim("i")
        def test_bad_input(evidence):
            evidence.rate(5, 3, at_least=0.5)

        @claim("j")
        @pytest.mark.xfail(reason="known gap")
        def test_xfail():
            assert False

        @claim("k")
        def test_value_refuted(evidence):
            evidence.value("latency", 3.0, at_most=2.0)

        @claim("l")
        @pytest.mark.xfail(strict=True)
        def test_strict_xpass():
            pass  # fails without an exception, and as the run's last test
        """
    )
    result, _ = run_case("-p", "no:randomly")
    expected = {
        "test_supported": Verdict.SUPPORTED,
        "test_refuted": Verdict.REFUTED,
        "test_inconclusive": Verdict.INCONCLUSIVE,
        "test_assert_fails": Verdict.REFUTED,
        "test_raises": Verdict.ERROR,
        "test_skipped": Verdict.NOT_EVALUATED,
        "test_fixture_error": Verdict.ERROR,
        "test_teardown_error": Verdict.ERROR,
        "test_bad_input": Verdict.ERROR,
        "test_xfail": Verdict.REFUTED,
        "test_value_refuted": Verdict.REFUTED,
        "test_strict_xpass": Verdict.ERROR,
    }
    assert {key: verdicts(result)[key] for key in expected} == expected
    assert result.verdict is Verdict.REFUTED
    messages = {node.id: node.tests[0].message for node in result.claims()}
    assert "bad evidence input" in messages["test_bad_input"]
    assert "test_bad_input" in messages["test_bad_input"]
    assert messages["test_skipped"] == "skipped: not today"
    assert "about" in messages["test_inconclusive"] and "trials" in messages["test_inconclusive"]
    assert messages["test_teardown_error"].startswith("in teardown: RuntimeError")
    assert messages["test_fixture_error"] == "in setup: RuntimeError: fixture broke"
    assert messages["test_raises"] == "KeyError: 'boom'"
    assert messages["test_assert_fails"].startswith("AssertionError: assert 1 == 2")
    assert messages["test_strict_xpass"] == "call failed"


def test_failure_messages_give_estimate_interval_n_and_threshold(pytester):
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim("r")
        def test_refuted(evidence):
            evidence.rate(50, 100, at_least=0.9)
        """
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        ["*refuted: rate 0.5 (50/100), 95% interval [[]0.3983, 0.6017[]], claim >= 0.9*"]
    )


def test_several_tests_and_parametrized_cases_are_all_evidence(pytester, run_case):
    pytester.makepyfile(
        """
        import pytest
        from pytest_safecase import claim

        @claim("all hold", id="G-all")
        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_cases(x):
            assert x != 3

        @claim(id="G-all")
        def test_more():
            pass
        """
    )
    result, _ = run_case()
    node = result.nodes["G-all"]
    assert len(node.tests) == 4
    assert node.verdict is Verdict.REFUTED
    assert "test_cases[3]" in node.reason


def test_claims_join_the_yaml_tree(pytester, run_case):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim(id="G2")
        def test_monitor(evidence):
            evidence.rate(300, 300, at_least=0.95)

        @claim("Deferral costs little", id="G3.1", supports="G3", level=2)
        def test_usefulness(evidence):
            evidence.value("usefulness", 0.9, at_least=0.8)
        """
    )
    result, _ = run_case()
    assert result.root == "G1"
    assert result.nodes["G3"].supported_by == ["G3.1"]
    assert result.nodes["G3.1"].from_tests
    assert verdicts(result)["G1"] is Verdict.SUPPORTED
    assert result.nodes["A1"].verdict is Verdict.SUPPORTED
    assert result.level_reached == 2


def test_undeveloped_and_unevidenced_goals_block_the_root(pytester, run_case):
    pytester.makefile(".yaml", safecase=CASE_YAML.replace("  x-accepted: true\n", ""))
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim(id="G2")
        def test_monitor():
            pass
        """
    )
    result, _ = run_case()
    assert result.nodes["G3"].verdict is Verdict.UNDEVELOPED
    assert result.nodes["A1"].verdict is Verdict.UNDEVELOPED  # neither tested nor accepted
    assert result.verdict is Verdict.UNDEVELOPED
    # Level 1's goal is supported; level 2's is undeveloped.
    assert result.level_reached == 1


def test_claim_naming_the_wrong_kind_of_node_is_a_usage_error(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim(id="S1")
        def test_x():
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*claim id 'S1' names a Strategy*[[]claim-kind[]]"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    # Under xdist the workers collect: the run still ends as a usage error with the message.
    distributed = pytester.runpytest_subprocess("-n", "2")
    assert distributed.ret == pytest.ExitCode.USAGE_ERROR
    distributed.stdout.fnmatch_lines(["*claim id 'S1' names a Strategy*[[]claim-kind[]]"])
    assert "INTERNALERROR" not in distributed.stdout.str()


def test_invalid_yaml_stops_with_usage_error_and_no_traceback(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML.replace("[G2, G3]", "[G2, G3, G9]"))
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: invalid safety case:",
            "*safecase.yaml:6: S1: supportedBy names 'G9'*[[]unknown-reference[]]",
        ]
    )
    assert "Traceback" not in result.stderr.str()


def test_case_file_option_and_ini(pytester, run_case):
    sub = pytester.mkdir("cases")
    (sub / "mine.yaml").write_text(CASE_YAML)
    pytester.makepyfile("from pytest_safecase import claim\n@claim(id='G2')\ndef test_x(): pass")
    result, _ = run_case("--safecase-file", "cases/mine.yaml")
    assert result.root == "G1"
    pytester.makeini("[pytest]\nsafecase_file = cases/mine.yaml\n")
    result, _ = run_case()
    assert result.root == "G1"
    missing = pytester.runpytest("--safecase-file", "nope.yaml")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*safety-case file not found*nope.yaml"])


def test_no_yaml_gives_a_flat_tree_under_an_implicit_root(pytester, run_case):
    pytester.makepyfile(
        "from pytest_safecase import claim\n@claim('one claim')\ndef test_x(): pass"
    )
    result, _ = run_case()
    assert result.root == "ROOT"
    assert result.nodes["ROOT"].supported_by == ["test_x"]
    assert result.verdict is Verdict.SUPPORTED


LEVELS = """
from pytest_safecase import claim

@claim(id="G2")
def test_l1():
    pass

@claim("Deferral works", id="G3.1", supports="G3")
def test_l2():
    assert False
"""


def test_level_option_deselects_claims_above_it(pytester, run_case):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(LEVELS)
    result, recorder = run_case("--safecase-level", "1")
    recorder.assertoutcome(passed=1)
    assert len(recorder.getcalls("pytest_deselected")[0].items) == 1
    assert result.verdict is Verdict.SUPPORTED
    assert result.level_reached == 1
    assert not result.nodes["G3.1"].in_scope
    full, _ = run_case()
    assert full.verdict is Verdict.REFUTED and full.level_reached == 1


def test_gate_sets_the_exit_status(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(LEVELS)
    assert pytester.runpytest("--safecase-level", "1").ret == 0
    assert pytester.runpytest("--safecase-level", "1", "--safecase-gate").ret == 0
    # Tests pass but G3 is undeveloped at level 2: only the gate turns that into a failure.
    pytester.makepyfile(
        LEVELS.replace("assert False", "pass").replace(', id="G3.1", supports="G3"', "")
    )
    assert pytester.runpytest().ret == 0
    gated = pytester.runpytest("--safecase-gate")
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    gated.stdout.fnmatch_lines(["safety case G1: UNDEVELOPED*| gate: BLOCKED"])


def test_summary_is_one_line_by_default_and_a_tree_with_report(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(LEVELS)
    short = pytester.runpytest()
    assert "safety case =" not in short.stdout.str()
    short.stdout.fnmatch_lines(
        ["safety case G1: REFUTED | 2 claims: 1 supported, 1 refuted | level reached: 1 of 2"]
    )
    full = pytester.runpytest("--safecase-report")
    full.stdout.fnmatch_lines(
        [
            "*= safety case =*",
            "✘ G1 (refuted) The deployment is acceptably safe",
            "   ↳ C1 context: 5000 programming tasks",
            "   ↳ A1 assumption (accepted without evidence): Human audits are reliable",
            "└─ ✘ S1 (refuted) strategy Argue over each control measure",
            "   ├─ ✔ G2 [L1] The monitor catches backdoors",
            "   └─ ✘ G3 [L2] (refuted) Deferral keeps usefulness",
            "      └─ ✘ G3.1 (refuted) Deferral works",
            "            ✘ assert False (AssertionError) (test_l2)",
        ]
    )
    section = full.stdout.str().split("= safety case =", 1)[1].splitlines()[1:]
    assert all(len(line) <= 100 for line in section)


def test_colour_only_where_pytest_uses_colour(pytester):
    pytester.makepyfile("from pytest_safecase import claim\n@claim('c')\ndef test_x(): pass")
    plain = pytester.runpytest("--color=no", "--safecase-report")
    coloured = pytester.runpytest("--color=yes", "--safecase-report")
    assert "\x1b[" not in plain.stdout.str()
    assert re.search(r"\x1b\[32m.*safety case ROOT: SUPPORTED", coloured.stdout.str())


def test_xdist_gives_the_same_tree_as_a_serial_run(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(
        test_a=LEVELS,
        test_b=textwrap.dedent(
            """
            import pytest
            from pytest_safecase import claim

            @claim("Param claim", supports="S1")
            @pytest.mark.parametrize("k", range(6))
            def test_many(k, evidence):
                evidence.rate(90 + k, 100, at_least=0.8)

            @claim("Skipped claim", supports="S1")
            def test_skip():
                pytest.skip("later")

            @claim("Failing claim", supports="S1")
            def test_fails():
                assert 1 == 2

            @claim("Unsure claim", supports="S1")
            def test_unsure(evidence):
                evidence.rate(92, 100, at_least=0.9)

            @claim("Broken fixture", supports="S1")
            def test_broken(tmp_path_factory, no_such_fixture):
                pass

            @claim("Strict xpass", supports="S1")
            @pytest.mark.xfail(strict=True)
            def test_xpass():
                pass
            """
        ),
    )

    def tree(*args):
        result = pytester.runpytest_subprocess("--safecase-report", "-p", "no:randomly", *args)
        text = result.stdout.str()
        section = text[text.index("= safety case =") :].split("short test summary info")[0]
        return section.splitlines()[1:-3]

    serial = tree()
    parallel = tree("-n", "2")
    assert serial == parallel
    assert any("test_many" in line for line in serial)
    assert any("assert 1 == 2 (AssertionError)" in line for line in serial)
    assert any("in setup:" in line and "no_such_fixture" in line for line in serial)


def test_a_claim_cannot_hide_by_supporting_itself_or_nothing(pytester):
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim("hidden", id="G-self", supports="G-self")
        def test_self():
            pass

        @claim("typo", id="G-typo", supports="G-nowhere")
        def test_typo():
            pass

        @claim("loop a", id="A1x", supports="B1x")
        def test_a():
            pass

        @claim("loop b", id="B1x", supports="A1x")
        def test_b():
            pass
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*G-self*a claim cannot support itself*",
            "*G-typo*supports='G-nowhere' names no node*",
            "*claims support each other in a loop*",
        ]
    )


def test_a_parent_claim_declared_in_a_later_file(pytester, run_case):
    pytester.makepyfile(
        test_a="from pytest_safecase import claim\n"
        "@claim('child', id='G-child', supports='G-parent')\ndef test_c(): pass\n",
        test_b="from pytest_safecase import claim\n"
        "@claim('parent', id='G-parent')\ndef test_p(): pass\n",
    )
    result, _ = run_case()
    assert result.nodes["G-parent"].supported_by == ["G-child"]
    assert result.nodes["ROOT"].supported_by == ["G-parent"]


def test_swallowed_evidence_failure_still_counts(pytester, run_case):
    pytester.makepyfile(
        """
        import contextlib
        from pytest_safecase import claim

        @claim("swallowed")
        def test_swallow(evidence):
            with contextlib.suppress(AssertionError):
                evidence.rate(5, 10, at_least=0.9)
        """
    )
    result, _ = run_case("--safecase-gate")
    assert result.nodes["test_swallow"].verdict is Verdict.REFUTED
    assert result.verdict is Verdict.REFUTED


def test_numpy_counts_are_accepted(pytester, run_case):
    pytester.makepyfile(
        "import numpy as np\nfrom pytest_safecase import claim\n"
        "@claim('np')\ndef test_np(evidence):\n"
        "    evidence.rate(np.int64(99), np.int64(100), at_least=0.5)\n"
    )
    result, _ = run_case("--safecase-report")
    assert result.verdict is Verdict.SUPPORTED


def _outcomes(pytester) -> dict[str, tuple[Verdict, str]]:
    """Each claim test's (verdict, message) from the run's JSON report."""
    from pytest_safecase.report import load_report

    result, _ = load_report(pytester.path / "safecase-report" / "safecase.json")
    return {
        test.nodeid.split("::")[-1]: (test.verdict, test.message)
        for node in result.claims()
        for test in node.tests
    }


def test_a_crashed_xdist_worker_is_an_error(pytester):
    pytester.makepyfile(
        "import os\nfrom pytest_safecase import claim\n"
        "@claim('crash')\ndef test_crash():\n    os._exit(3)\n"
        "@claim('fine')\ndef test_fine():\n    pass\n"
    )
    result = pytester.runpytest_subprocess("-n", "2", "--safecase-report", "--safecase-gate")
    result.stdout.fnmatch_lines(["*! test_crash (error) crash*", "*ROOT: ERROR*gate: BLOCKED*"])
    assert _outcomes(pytester)["test_crash"][0] is Verdict.ERROR


def test_each_crashed_parametrization_is_an_error(pytester):
    pytester.makepyfile(
        """
        import os
        import pytest
        from pytest_safecase import claim

        @claim("param")
        @pytest.mark.parametrize("k", range(4))
        def test_p(k):
            if k in (1, 2):
                os._exit(3)
        """
    )
    result = pytester.runpytest_subprocess("-n", "2", "--safecase-report", "--safecase-gate")
    outcomes = _outcomes(pytester)
    assert {name: verdict for name, (verdict, _) in outcomes.items()} == {
        "test_p[0]": Verdict.SUPPORTED,
        "test_p[1]": Verdict.ERROR,
        "test_p[2]": Verdict.ERROR,
        "test_p[3]": Verdict.SUPPORTED,
    }
    assert "crashed" in outcomes["test_p[1]"][1]
    result.stdout.fnmatch_lines(["*ROOT: ERROR*gate: BLOCKED*"])


def test_tests_a_crash_left_unrun_are_errors(pytester):
    # One worker and no restarts: the crash ends the run before the later tests start.
    pytester.makepyfile(
        """
        import os
        from pytest_safecase import claim

        @claim("first")
        def test_a():
            pass

        @claim("crash")
        def test_b():
            os._exit(3)

        @claim("never run")
        def test_c():
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-n", "1", "--max-worker-restart=0", "--safecase-report", "--safecase-gate"
    )
    outcomes = _outcomes(pytester)
    assert {name: verdict for name, (verdict, _) in outcomes.items()} == {
        "test_a": Verdict.SUPPORTED,
        "test_b": Verdict.ERROR,
        "test_c": Verdict.ERROR,
    }
    assert "never ran" in outcomes["test_c"][1]
    result.stdout.fnmatch_lines(["*ROOT: ERROR*gate: BLOCKED*"])


@pytest.mark.parametrize("restarts", ["0", "2"])
def test_a_worker_killed_before_any_report_is_an_error(pytester, restarts):
    # SIGKILL in the first test's setup: the controller has had no report of any claim yet.
    pytester.makepyfile(
        """
        import os
        import signal
        import pytest
        from pytest_safecase import claim

        @pytest.fixture
        def killer():
            os.kill(os.getpid(), signal.SIGKILL)

        @claim("killed")
        def test_killed(killer):
            pass
        """
    )
    result = pytester.runpytest_subprocess(
        "-n", "1", f"--max-worker-restart={restarts}", "--safecase-report", "--safecase-gate"
    )
    assert _outcomes(pytester)["test_killed"][0] is Verdict.ERROR
    result.stdout.fnmatch_lines(["*ROOT: ERROR*gate: BLOCKED*"])
    assert result.ret != pytest.ExitCode.OK


LOGS_ITS_OWN_REPORTS = """
import pytest
from _pytest.runner import runtestprotocol

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    # As pytest-rerunfailures does: run the phases unlogged, then log the reports. pytest hands
    # over each failure's exception before its report is logged.
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in runtestprotocol(item, nextitem=nextitem, log=False):
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""

QUITS_AT_FIRST_FAILURE = """
import pytest

class Debugger:  # registered at configure, after the plugin, as --pdb's debugger is
    def pytest_exception_interact(self, node, call, report):
        pytest.exit("the debugger quit")  # as quitting it does

def pytest_configure(config):
    config.pluginmanager.register(Debugger())
"""

FAILING_CLAIMS = """
from pytest_safecase import claim

@claim("a")
def test_refuted():
    assert 1 == 2

@claim("b")
def test_unsure(evidence):
    evidence.rate(92, 100, at_least=0.9)
"""


@pytest.mark.parametrize(
    "conftest", [LOGS_ITS_OWN_REPORTS, QUITS_AT_FIRST_FAILURE], ids=["late-log", "quit"]
)
def test_a_failure_keeps_its_verdict_however_its_exception_arrives(pytester, run_case, conftest):
    """The exception decides a failure's verdict. A plugin logging reports after pytest handed
    over the exception, or a debugger hook ending the run, must not turn a refutation into an
    error ("call failed")."""
    pytester.makeconftest(conftest)
    pytester.makepyfile(FAILING_CLAIMS)
    result, _ = run_case("-p", "no:randomly")
    found = verdicts(result)
    assert found["test_refuted"] is Verdict.REFUTED
    messages = {node.id: node.tests[0].message for node in result.claims()}
    assert "assert 1 == 2" in messages["test_refuted"]
    if conftest is LOGS_ITS_OWN_REPORTS:
        assert found["test_unsure"] is Verdict.INCONCLUSIVE


def test_duplicate_test_ids_keep_each_runs_evidence(pytester, run_case):
    pytester.makepyfile(
        test_d="""
        from pytest_safecase import claim

        RUNS = []

        @claim("d")
        def test_d(evidence):
            RUNS.append(1)
            evidence.value("run", len(RUNS))
        """
    )
    result, _ = run_case("-p", "no:randomly", "--keep-duplicates", "test_d.py", "test_d.py")
    values = [record.value for test in result.nodes["test_d"].tests for record in test.evidence]
    assert values == [1, 2]


def test_claim_markers_from_a_class_and_on_a_single_case_are_read_as_pytest_reads_them(pytester):
    """A parametrized test's cases share their parents' markers (read once); a case carrying a
    claim of its own, besides the inherited one, still claims twice."""
    pytester.makepyfile(
        """
        import pytest
        from pytest_safecase import claim

        @claim("Inherited claim", id="G-class")
        class TestInherited:
            @pytest.mark.parametrize("k", [1, pytest.param(2, marks=claim("second", id="G-two"))])
            def test_case(self, k):
                pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.stdout.fnmatch_lines(["*test_case?2?*a test can be evidence for one claim only*"])
    pytester.makepyfile(
        """
        import pytest
        from pytest_safecase import claim

        @claim("Inherited claim", id="G-class")
        class TestInherited:
            @pytest.mark.parametrize("k", [1, 2])
            def test_case(self, k):
                pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--safecase-report")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*G-class Inherited claim", "*test_case?1?", "*test_case?2?"])
