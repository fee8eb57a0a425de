"""The reference safety case runs end to end (on a few tasks, to stay fast) and is well formed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_safecase.case import load_case, validate_case

SAFETY_TESTS = Path(__file__).resolve().parent.parent / "safety_tests"


def test_the_case_file_is_valid_and_every_claim_goal_has_a_test():
    case, problems = load_case(SAFETY_TESTS / "safecase.yaml")
    assert problems == [] and validate_case(case) == []
    leaves = {n.id for n in case.nodes.values() if n.type.value == "Goal" and not n.supported_by}
    tested = {n.id for n in case.nodes.values() if n.type.value == "Assumption" and not n.accepted}
    source = "\n".join(path.read_text() for path in SAFETY_TESTS.glob("test_*.py"))
    missing = sorted(i for i in leaves | tested if f'id="{i}"' not in source)
    assert missing == []


@pytest.mark.slow
def test_reference_case_runs_offline_and_reports(pytester: pytest.Pytester) -> None:
    shutil.copytree(SAFETY_TESTS, pytester.path / "safety_tests")
    result = pytester.runpytest_subprocess(
        "safety_tests",
        "-p",
        "no:cacheprovider",
        "--safecase-tasks",
        "12",
        "--safecase-report",
        "--safecase-cache",
        "off",
    )
    # Claims may be refuted or inconclusive on the stand-ins; anything else is a broken case.
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout.str()
    result.stdout.fnmatch_lines(["*= safety case =*", "safety case G0: *level reached: * of 4"])
    report = json.loads((pytester.path / "safecase-report" / "safecase.json").read_text())
    nodes = {node["id"]: node for node in report["case"]["nodes"]}
    errors = {i: n["reason"] for i, n in nodes.items() if n["verdict"] == "error"}
    assert errors == {}
    undeveloped = sorted(i for i, n in nodes.items() if n["verdict"] == "undeveloped")
    assert undeveloped == [], "claims of the case without a test"
    assert nodes["G0"]["risk"]["contributions"], "the deployed protocol entered no risk"
    attachments = pytester.path / "safecase-report" / "attachments" / "control-records.jsonl"
    assert len(attachments.read_text().splitlines()) == 12
