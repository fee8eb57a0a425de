"""JUnit XML: a suite per top-level goal, a case per claim, nothing short of supported is green."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report import render_junit


def _cases(
    result: CaseResult, run_info: dict[str, Any]
) -> tuple[ET.Element, dict[str, ET.Element]]:
    tree = ET.fromstring(render_junit(result, run_info))
    cases = {case.get("name", "").split(":")[0]: case for case in tree.iter("testcase")}
    return tree, cases


def test_suites_follow_top_level_goals(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    tree, cases = _cases(rich_result, run_info)
    assert tree.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in tree.iter("testsuite")}
    # Looking through strategy S1, the top-level goals are G1, G2, G3, G9 and G11. G1 and G11
    # are claims themselves, so they go in the root's suite; G2 has no claims beneath it.
    assert [name.split(":")[0] for name in suites] == ["G0", "G3", "G9"]
    by_suite = {
        name.split(":")[0]: [case.get("name").split(":")[0] for case in suite.iter("testcase")]
        for name, suite in suites.items()
    }
    assert by_suite["G0"] == ["G1", "G11"]
    assert by_suite["G3"] == ["G4", "G5", "G6"]
    assert by_suite["G9"] == ["G10"]
    assert sorted(cases) == sorted(node.id for node in rich_result.claims())
    assert tree.get("tests") == str(len(rich_result.claims()))


def test_verdicts_map_to_junit_outcomes(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    _, cases = _cases(rich_result, run_info)

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
    assert cases["G4"].get("file") == "test_case.py" and cases["G4"].get("line")


def test_properties_carry_verdict_and_figures(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    _, cases = _cases(rich_result, run_info)
    props = {p.get("name"): p.get("value") for p in cases["G4"].find("properties")}
    assert props["verdict"] == "refuted"
    assert props["refusal rate.successes"] == "70"
    assert props["refusal rate.trials"] == "100"
    assert props["refusal rate.threshold"] == "0.9"
    assert props["refusal rate.direction"] == "at_least"
    assert 0.60 < float(props["refusal rate.lower"]) < float(props["refusal rate.upper"]) < 0.79
    assert props["refusal rate.confidence"] == "0.95"
    assert cases["G4"][0].tag == "properties"  # first child, where readers look for it
    g1 = {p.get("name"): p.get("value") for p in cases["G1"].find("properties")}
    assert g1["argument"] == "control" and g1["level"] == "1"
    notes = cases["G4"].find("system-out").text
    assert "<script>" in notes  # plain text inside XML, escaped by the serialiser
