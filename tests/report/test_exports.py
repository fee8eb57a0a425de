"""Exports for other assurance tools: gsn2x YAML and the TEA platform's JSON v1.0."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import yaml

from pytest_safecase.case import parse_case, validate_case
from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.report import render_gsn2x, render_tea

GSN2X_KEYS = {"text", "nodeType", "supportedBy", "inContextOf", "undeveloped", "url", "classes"}
TEA_TYPES = {"GOAL", "STRATEGY", "PROPERTY_CLAIM", "EVIDENCE"}


def test_gsn2x_is_camel_case_with_node_types_and_verdict_classes(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    document = yaml.safe_load(render_gsn2x(rich_result, run_info))
    module = document.pop("module")
    assert module["name"] == "control-case"
    assert module["brief"].startswith("The safety case is NOT supported")
    for node_id, node in document.items():
        assert "nodeType" in node, node_id
        assert set(node) - GSN2X_KEYS <= {key for key in node if key.startswith("x-")}, node_id
    for node in rich_result.nodes.values():
        exported = document[node.id]
        assert exported["nodeType"] == node.type.value
        if node.verdict is not None:
            assert node.verdict.value in exported["classes"]
    assert document["G2"]["undeveloped"] is True
    assert document["G0"]["inContextOf"] == ["C1", "A1"]
    assert document["A1"]["x-accepted"] is True


def test_gsn2x_tests_become_solutions_under_their_claims(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    document = yaml.safe_load(render_gsn2x(rich_result, run_info))
    assert document["G4"]["supportedBy"] == ["Sn-G4"]
    solution = document["Sn-G4"]
    assert solution["nodeType"] == "Solution"
    assert solution["classes"] == ["refuted"]
    assert solution["x-nodeid"] == "test_case.py::test_refusal"
    assert "70/100" in solution["text"]
    solutions = [
        key
        for key, node in document.items()
        if isinstance(node, dict) and node.get("nodeType") == "Solution"
    ]
    assert len(solutions) == sum(len(node.tests) for node in rich_result.claims())


def test_gsn2x_output_passes_our_gsn_validator(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    """Camel case, known keys, legal relations, one root, all reachable: what gsn2x checks too."""
    case, problems = parse_case(render_gsn2x(rich_result, run_info))
    assert problems == []
    assert validate_case(case) == []
    assert case.roots() == ["G0"]


def test_gsn2x_solution_ids_never_clash(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    rich_result.nodes["Sn-G4"] = NodeResult("Sn-G4", NodeType.GOAL, "already taken", None)
    document = yaml.safe_load(render_gsn2x(rich_result, run_info))
    assert document["Sn-G4"]["text"] == "already taken"
    assert document["G4"]["supportedBy"] == ["Sn-G4-2"]


def test_tea_nested_v1_shape(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    document = json.loads(render_tea(rich_result, run_info))
    assert document["version"] == "1.0"
    assert document["exportedAt"] == "2026-11-23T10:05:00.000Z"
    assert document["case"]["name"] == "control-case"
    tree = document["tree"]
    assert (tree["type"], tree["role"], tree["name"]) == ("GOAL", "TOP_LEVEL", "G0")
    seen: list[dict[str, Any]] = []

    def visit(element: dict[str, Any]) -> None:
        seen.append(element)
        assert element["type"] in TEA_TYPES
        assert isinstance(element["description"], str) and isinstance(element["inSandbox"], bool)
        uuid.UUID(element["id"])
        for child in element["children"]:
            visit(child)

    visit(tree)
    ids = [element["id"] for element in seen]
    assert len(ids) == len(set(ids))
    by_name = {element["name"]: element for element in seen}
    assert tree["context"] == ["C1: Deployment: 5,000 programming tasks, audits limited to 2%"]
    assert (
        tree["assumption"].startswith("A1: The red team's attacks")
        and "[supported]" in tree["assumption"]
    )
    assert by_name["S1"]["type"] == "STRATEGY"
    assert by_name["S1"]["justification"] == "J1: Greenblatt et al. 2023 control evaluation"
    assert by_name["G4"]["type"] == "PROPERTY_CLAIM" and by_name["G4"]["level"] == 3
    assert by_name["G4"]["description"].startswith("[REFUTED")
    evidence = by_name["test_refusal"]
    assert evidence["type"] == "EVIDENCE"
    assert "70 of 100 trials succeeded" in evidence["description"]
    assert not any(name in by_name for name in ("C1", "A1", "J1"))  # attributes, not elements


def test_tea_ids_are_stable_across_exports(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    first, second = render_tea(rich_result, run_info), render_tea(rich_result, run_info)
    assert first == second
    assert re.search(
        r'"exportedAt": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"', render_tea(rich_result, {})
    )
