"""No claim silently leaves the case: bare @claim, unclaimed evidence, narrowed runs, --co."""

from __future__ import annotations

import pytest

from pytest_safecase.verdict import Verdict
from tests.core.test_core_plugin import CASE_YAML

FILES = {
    "test_a": "from pytest_safecase import claim\n"
    "@claim(id='G2')\ndef test_monitor(): pass\n"
    "@claim('Outside the YAML', id='G-extra', supports='S1')\ndef test_extra(): pass\n",
    "test_b": "from pytest_safecase import claim\n@claim(id='G3')\ndef test_deferral(): pass\n",
}


@pytest.fixture
def case(pytester):
    pytester.makefile(".yaml", safecase=CASE_YAML)
    pytester.makepyfile(**FILES)
    return pytester


def verdicts(result):
    return {node.id: node.verdict for node in result.nodes.values()}


def test_bare_claim_is_a_claim_like_claim_with_parentheses(pytester, run_case):
    pytester.makepyfile(
        """
        from pytest_safecase import claim

        @claim
        def test_bare():
            \"\"\"The monitor flags
            every backdoor.

            Details that are not part of the claim.\"\"\"
            assert False

        @claim()
        def test_called():
            "Deferral keeps usefulness."
        """
    )
    result, recorder = run_case("--safecase-gate")
    recorder.assertoutcome(passed=1, failed=1)
    assert result.nodes["ROOT"].supported_by == ["test_bare", "test_called"]
    assert result.nodes["test_bare"].text == "The monitor flags every backdoor."
    assert result.nodes["test_bare"].verdict is Verdict.REFUTED
    assert result.verdict is Verdict.REFUTED


def test_bare_claim_without_docstring_or_case_file_is_an_error(pytester):
    pytester.makepyfile("from pytest_safecase import claim\n@claim\ndef test_bare(): pass\n")
    result = pytester.runpytest("--safecase-gate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no safecase.yaml found beside*(test_bare) need goals*"])


def test_claim_given_a_function_and_arguments_is_an_error_not_a_bare_claim(pytester):
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "def helper(): pass\n"
        "@claim(helper, id='G-x')\ndef test_x(): pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*test_x*claim statement must be a non-empty string*"])


def test_evidence_without_claim_is_a_collection_error_naming_the_test(pytester):
    pytester.makepyfile(
        "import pytest\n"
        "from pytest_safecase import claim\n"
        "@claim('fine')\ndef test_claimed(evidence): evidence.rate(10, 10)\n"
        "def test_unclaimed(evidence): evidence.rate(0, 10, at_least=0.9)\n"
        "@pytest.fixture\ndef recorder(evidence): return evidence\n"
        "def test_indirect(recorder): pass\n"
    )
    result = pytester.runpytest("--safecase-gate")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_unclaimed: uses the evidence fixture but is not a claim: mark it @claim*"]
    )
    assert "passed" not in result.stdout.str().splitlines()[-1]


def test_evidence_asked_for_at_run_time_without_claim_errors(pytester):
    pytester.makepyfile(
        "def test_dynamic(request):\n"
        "    request.getfixturevalue('evidence').rate(0, 10, at_least=0.9)\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_dynamic: uses the evidence fixture but is not a claim*"])


@pytest.mark.parametrize(
    ("selection", "passed"),
    [
        (["test_a.py::test_monitor"], 1),
        (["test_a.py::test_monitor", "test_b.py::test_plain"], 2),
        (["-k", "monitor"], 1),
        (["--deselect", "test_a.py::test_extra", "--deselect", "test_b.py::test_deferral"], 2),
    ],
    ids=["node-id", "two-node-ids", "keyword", "deselect"],
)
def test_a_narrowed_run_shows_unselected_claims_as_not_evaluated(case, run_case, selection, passed):
    case.makepyfile(test_b=FILES["test_b"] + "def test_plain(): pass\n")
    result, recorder = run_case(*selection)
    recorder.assertoutcome(passed=passed)
    found = verdicts(result)
    assert found["G2"] is Verdict.SUPPORTED
    assert found["G3"] is Verdict.NOT_EVALUATED  # not "undeveloped": it has a test
    assert found["G-extra"] is Verdict.NOT_EVALUATED  # not vanished: declared in a test only
    assert result.verdict is Verdict.NOT_EVALUATED
    full, _ = run_case()
    assert full.verdict is Verdict.SUPPORTED


def test_a_narrowed_run_cannot_pass_the_gate(case):
    narrowed = case.runpytest("test_a.py::test_monitor", "--safecase-gate")
    assert narrowed.ret == pytest.ExitCode.TESTS_FAILED
    narrowed.stdout.fnmatch_lines(
        ["*collected 3 items / 2 deselected / 1 selected*", "*NOT-EVALUATED*| gate: BLOCKED"]
    )


def test_a_node_id_naming_no_test_is_still_an_error(case):
    result = case.runpytest("test_a.py::test_typo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not found: test_a.py::test_typo*"])


def test_a_node_id_naming_no_test_is_an_error_under_xdist_too(case):
    result = case.runpytest_subprocess("-n", "2", "test_a.py::test_typo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["ERROR: not found: test_a.py::test_typo"])


def test_node_id_selection_under_xdist_matches_the_serial_run(case):
    result = case.runpytest_subprocess("-n", "2", "test_a.py::test_monitor", "--safecase-report")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*G3 [[]L2[]] (not-evaluated)*",
            "*did not run*(test_deferral)*",
            "*G-extra (not-evaluated)*",
            "safety case G1: NOT-EVALUATED | 3 claims: 1 supported, 2 not-evaluated | *",
        ]
    )


def test_last_failed_shows_the_claims_that_passed_as_not_evaluated(case, run_case):
    case.makepyfile(
        test_b="from pytest_safecase import claim\n"
        "@claim(id='G3')\ndef test_deferral(): assert False\n"
    )
    first = case.inline_run()
    first.assertoutcome(passed=2, failed=1)
    recorder = case.inline_run("--lf")
    recorder.assertoutcome(failed=1)
    config = recorder.getcalls("pytest_sessionfinish")[0].session.config
    from pytest_safecase._pytest.plugin import RESULT_KEY

    found = verdicts(config.stash[RESULT_KEY])
    assert found["G3"] is Verdict.REFUTED
    assert found["G2"] is Verdict.NOT_EVALUATED
    assert found["G-extra"] is Verdict.NOT_EVALUATED


def test_collect_only_writes_no_report_and_does_not_trip_the_gate(case):
    result = case.runpytest("--co", "--safecase-gate", "--safecase-report")
    assert result.ret == pytest.ExitCode.OK
    assert not (case.path / "safecase-report").exists()
    assert "safety case" not in result.stdout.str()
    # The same run for real is blocked: G3's test is gone, so G3 is undeveloped.
    case.makepyfile(test_b="def test_nothing(): pass\n")
    assert case.runpytest("--safecase-gate").ret == pytest.ExitCode.TESTS_FAILED
    assert case.runpytest("--co", "--safecase-gate").ret == pytest.ExitCode.OK


def test_report_flag_leaves_the_next_path_a_test_path(case):
    result = case.runpytest("--safecase-report", "test_a.py")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*2 passed, 1 deselected*"])
    assert (case.path / "safecase-report" / "safecase.json").is_file()
    elsewhere = case.runpytest("--safecase-report-dir", "out/reports", "test_a.py")
    assert elsewhere.ret == 0
    assert (case.path / "out" / "reports" / "safecase.json").is_file()
    elsewhere.stdout.fnmatch_lines(["safecase reports: out/reports/"])


def test_no_case_file_is_one_message_not_one_line_per_claim(pytester):
    pytester.makepyfile(
        "from pytest_safecase import claim\n"
        "@claim(id='G2')\ndef test_a(): pass\n"
        "@claim('b', supports='S1')\ndef test_b(): pass\n"
        "@claim(id='G3')\ndef test_c(): pass\n"
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1, errors
    assert errors[0] == (
        "ERROR: no safecase.yaml found beside ./; claims form a flat tree, yet 3 claim(s) "
        "(G2, G3, test_b) need goals only a case file defines: run pytest on the folder "
        "holding safecase.yaml, or give --safecase-file PATH"
    )


def test_no_case_file_with_self_contained_claims_says_the_tree_is_flat(pytester):
    pytester.makepyfile("from pytest_safecase import claim\n@claim('c')\ndef test_x(): pass\n")
    result = pytester.runpytest()
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["safecase: no safecase.yaml found beside ./; claims form a flat tree"]
    )
