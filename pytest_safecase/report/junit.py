"""JUnit XML for CI dashboards: a test suite per top-level goal, a test case per claim.

Verdicts map so that a gate reader never sees green for anything short of supported:

========================  ==============================================
supported                 passed
refuted, inconclusive     <failure> (type "refuted" / "inconclusive")
error                     <error>
not-evaluated, undeveloped  <skipped> (also claims above the run's level)
========================  ==============================================

Each test case carries the verdict, reason and every figure as ``<properties>``, which the
junit-xml package has no per-case support for, so they are added to its tree afterwards. Every
string from the run passes through :func:`visible`, as XML 1.0 has no way to carry most control
characters.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from junit_xml import TestCase, TestSuite, to_xml_report_string

from pytest_safecase._escape import visible
from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.records import Record, RiskRecord, ValueRecord
from pytest_safecase.report._wording import reused_evidence
from pytest_safecase.verdict import Verdict

_RATE_FIELDS = (
    "successes",
    "trials",
    "estimate",
    "lower",
    "upper",
    "confidence",
    "direction",
    "threshold",
    "verdict",
    "method",
)
_VALUE_FIELDS = ("value", "at_least", "at_most", "verdict")
_RISK_FIELDS = ("lower", "upper")


def render_junit(result: CaseResult, run_info: dict[str, Any]) -> str:
    """The JUnit XML document as text."""
    suites: list[TestSuite] = []
    properties: list[list[tuple[str, str]]] = []
    for suite_node, claims in suite_groups(result):
        cases = []
        for claim in claims:
            cases.append(_test_case(claim, suite_node))
            properties.append(claim_properties(claim))
        suites.append(
            TestSuite(
                visible(f"{suite_node.id}: {suite_node.text}"),
                cases,
                timestamp=run_info.get("started"),
                properties=_suite_properties(suite_node, run_info),
            )
        )
    tree = ET.fromstring(to_xml_report_string(suites, prettyprint=False))
    for case_element, props in zip(tree.iter("testcase"), properties, strict=True):
        block = ET.Element("properties")
        for name, value in props:
            ET.SubElement(block, "property", {"name": visible(name), "value": visible(value)})
        case_element.insert(0, block)
    ET.indent(tree)
    return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"


def suite_groups(result: CaseResult) -> list[tuple[NodeResult, list[NodeResult]]]:
    """(suite node, its claims): each top-level goal (looking through strategies under the
    root) with the claims beneath it; claims that are themselves top-level go under the root."""
    root = result.nodes[result.root]
    tops: list[NodeResult] = []
    frontier = list(root.supported_by)
    seen: set[str] = set()
    while frontier:
        node = result.nodes[frontier.pop(0)]
        if node.id in seen:
            continue
        seen.add(node.id)
        if node.type is NodeType.STRATEGY:
            frontier = list(node.supported_by) + frontier
        else:
            tops.append(node)
    assigned: set[str] = set()
    direct = [node for node in [root, *tops] if node.is_claim]
    assigned.update(node.id for node in direct)
    groups: list[tuple[NodeResult, list[NodeResult]]] = []
    for top in tops:
        below = [
            node
            for node in _subtree(result, top.id)
            if node.is_claim and node.id not in assigned and node.id != top.id
        ]
        assigned.update(node.id for node in below)
        if below:
            groups.append((top, below))
    if direct:
        groups.insert(0, (root, direct))
    return groups


def claim_properties(claim: NodeResult) -> list[tuple[str, str]]:
    """Verdict, reason and every recorded figure, as flat (name, value) pairs."""
    props = [("verdict", claim.verdict.value if claim.verdict else "")]
    props += [("reason", claim.reason)] if claim.reason else []
    props += [("argument", claim.argument)] if claim.argument else []
    props += [("level", str(claim.level))] if claim.level is not None else []
    props += [("in_scope", "false")] if not claim.in_scope else []
    index = 0
    for test in claim.tests:
        for record in test.evidence:
            index += 1
            prefix = str(record.name or f"{record.kind}{index}")
            data = record.to_dict()
            props += [
                (f"{prefix}.{field}", str(data[field]))
                for field in _fields(record)
                if data[field] is not None
            ]
    return props


def _fields(record: Record) -> tuple[str, ...]:
    """The figures of a record a dashboard shows, by their names in the JSON report."""
    if isinstance(record, ValueRecord):
        return _VALUE_FIELDS
    if isinstance(record, RiskRecord):
        return _RISK_FIELDS
    return _RATE_FIELDS


def _test_case(claim: NodeResult, suite_node: NodeResult) -> TestCase:
    first = claim.tests[0]
    case = TestCase(
        visible(f"{claim.id}: {claim.text}"),
        classname=visible(f"safecase.{suite_node.id}"),
        elapsed_sec=sum(test.duration for test in claim.tests),
        file=visible(first.path) or None,
        line=str(first.line) if first.line else None,
        stdout=visible("\n".join(note for test in claim.tests for note in test.notes)) or None,
    )
    details = visible(
        "\n".join(f"{test.nodeid}: {test.message or test.verdict.value}" for test in claim.tests)
    )
    message = visible(claim.reason or (claim.verdict.value if claim.verdict else ""))
    verdict = claim.verdict if claim.in_scope else Verdict.NOT_EVALUATED
    if verdict in (Verdict.REFUTED, Verdict.INCONCLUSIVE):
        case.add_failure_info(message, details, verdict.value)
    elif verdict is Verdict.ERROR:
        case.add_error_info(message, details, "error")
    elif verdict in (Verdict.NOT_EVALUATED, Verdict.UNDEVELOPED):
        case.add_skipped_info(message or verdict.value, details)
    return case


def _suite_properties(node: NodeResult, run_info: dict[str, Any]) -> dict[str, str]:
    props = {"goal": visible(node.id), "verdict": node.verdict.value if node.verdict else ""}
    for key in ("plugin_version", "git_commit", "seed"):
        if run_info.get(key) is not None:
            props[key] = visible(str(run_info[key]))
    if reused_evidence(run_info):
        props["reused_evidence"] = visible(reused_evidence(run_info))
    return props


def _subtree(result: CaseResult, top: str) -> list[NodeResult]:
    seen: set[str] = set()
    order: list[NodeResult] = []
    stack = [top]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        order.append(result.nodes[node_id])
        stack.extend(reversed(result.nodes[node_id].supported_by))
    return order
