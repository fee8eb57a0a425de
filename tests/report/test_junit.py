"""JUnit XML: a suite per top-level goal, a case per claim, nothing short of supported is green."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report import render_junit
from pytest_safecase.verdict import Verdict
from tests.report.conftest import run_and_grab


def _cases(
    result: CaseResult, run_info: dict[str, Any]
) -> tuple[ET.Element, dict[str, ET.Element]]:
    tree = ET.fromstring(render_junit(result, run_info))
    cases = {case.get("name", "").split(":")[0]: case for case in tree.iter("testcase")}
    return tree, cases


SCHEMA = Path(__file__).parent / "data" / "junit-structure.xsd"


def test_suites_follow_top_level_goals(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    tree, cases = _cases(rich_result, run_info)
    assert tree.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in tree.iter("testsuite")}
    # The release gate first; then, looking through strategy S1, the top-level goals are G1, G2,
    # G3, G9 and G11. G1 and G11 are claims themselves, so they go in the root's suite; G2 has
    # no claims beneath it.
    assert [name.split(":")[0] for name in suites] == ["release gate", "G0", "G3", "G9"]
    by_suite = {
        name.split(":")[0]: [case.get("name").split(":")[0] for case in suite.iter("testcase")]
        for name, suite in suites.items()
    }
    assert by_suite["release gate"] == ["G0"]
    assert by_suite["G0"] == ["G1", "G11"]
    assert by_suite["G3"] == ["G4", "G5", "G6"]
    assert by_suite["G9"] == ["G10"]
    claims = [case for name, case in cases.items() if name != "G0"]
    assert sorted(case.get("name").split(":")[0] for case in claims) == sorted(
        node.id for node in rich_result.claims()
    )
    assert tree.get("tests") == str(len(rich_result.claims()) + 1)


def test_verdicts_map_to_junit_outcomes(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    tree = ET.fromstring(render_junit(rich_result, run_info))
    cases = {
        case.get("name", "").split(":")[0]: case
        for case in tree.iter("testcase")
        if case.get("classname") != "safecase.gate"
    }

    def outcome(claim: str) -> list[str]:
        return [child.tag for child in cases[claim] if child.tag in ("failure", "error", "skipped")]

    assert outcome("G1") == [] and outcome("G11") == []
    assert outcome("G4") == ["failure"] and cases["G4"].find("failure").get("type") == "refuted"
    assert (
        outcome("G5") == ["failure"] and cases["G5"].find("failure").get("type") == "inconclusive"
    )
    assert outcome("G6") == ["error"]
    assert "weights file missing" in cases["G6"].find("error").text
    assert outcome("G10") == ["skipped"]
    assert "test_case.py:" in cases["G4"].find("system-out").text


def test_figures_and_notes_go_to_system_out(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    _, cases = _cases(rich_result, run_info)
    out = cases["G4"].find("system-out").text
    assert "verdict: refuted" in out
    assert "refusal rate: 70 of 100 trials succeeded" in out and "at least 90%" in out
    assert "<script>" in out  # plain text inside XML, escaped by the serialiser
    assert "argument: control" in cases["G1"].find("system-out").text
    assert cases["G4"].find("properties") is None


def test_the_document_is_valid_against_the_junit_schema(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    schema = xmlschema.XMLSchema(SCHEMA)
    document = render_junit(rich_result, run_info)
    schema.validate(document)
    for case in ET.fromstring(document).iter("testcase"):
        assert re.fullmatch(r"\d+\.\d{3}", case.get("time", "")), case.get("time")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda case: case.insert(0, ET.Element("properties")),
        lambda case: case.set("file", "test_case.py"),
        lambda case: case.set("line", "7"),
    ],
    ids=["properties in a testcase", "file attribute", "line attribute"],
)
def test_the_schema_check_rejects_what_the_old_document_had(
    rich_result: CaseResult, run_info: dict[str, Any], spoil: Any
) -> None:
    """The counter-examples: what the report wrote before fails the same check."""
    tree = ET.fromstring(render_junit(rich_result, run_info))
    spoil(next(tree.iter("testcase")))
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xmlschema.XMLSchema(SCHEMA).validate(ET.tostring(tree, encoding="unicode"))


GATE_CASE = """\
G0:
  text: The deployment is safe
  supportedBy: [G1, G2]
  inContextOf: [A-T]
G1:
  text: The monitor catches backdoors
G2:
  text: Audits are done
A-T:
  nodeType: Assumption
  text: T cannot insert backdoors
"""

GATE_TESTS = """
from pytest_safecase import claim

@claim(id="G1")
def test_monitor(evidence):
    evidence.rate(99, 100, at_least=0.9)

@claim(id="A-T")
def test_t_is_incapable(evidence):
    evidence.rate(0, 100, at_most=0.05)

@claim(id="A-T")
def test_t_is_incapable_again(): ...
"""


def test_a_blocked_gate_is_a_failing_testcase_and_tested_assumptions_are_cases(
    pytester: pytest.Pytester,
) -> None:
    """G2 has no test: the root is undeveloped and the gate blocks though no claim fails; the
    gate's own test case makes the dashboard red. The tested assumption A-T is a test case."""
    pytester.makefile(".yaml", safecase=GATE_CASE)
    pytester.makepyfile(test_case=GATE_TESTS)
    result = run_and_grab(pytester)
    assert result.verdict is Verdict.UNDEVELOPED
    tree = ET.fromstring(render_junit(result, {}))
    names = [case.get("name").split(":")[0] for case in tree.iter("testcase")]
    assert names == ["G0", "A-T", "G1"]
    gate = next(tree.iter("testcase"))
    assert gate.get("classname") == "safecase.gate"
    assert gate.find("failure").get("type") == "blocked"
    assert "gate BLOCKED: the root goal is undeveloped" in gate.find("failure").get("message")
    assert tree.get("failures") == "1"
    assert "test_t_is_incapable_again" in tree.findall(".//testcase")[1].find("system-out").text
    xmlschema.XMLSchema(SCHEMA).validate(ET.tostring(tree, encoding="unicode"))


def test_a_supported_root_passes_the_gate_case(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        safecase=GATE_CASE.replace("[G1, G2]", "[G1]").replace(
            "G2:\n  text: Audits are done\n", ""
        ),
    )
    pytester.makepyfile(test_case=GATE_TESTS)
    result = run_and_grab(pytester)
    assert result.verdict is Verdict.SUPPORTED
    tree = ET.fromstring(render_junit(result, {}))
    assert tree.get("failures") == "0" and tree.get("errors") == "0"
    assert next(tree.iter("testcase")).find("failure") is None
