"""JUnit XML for CI dashboards: the release gate, then a test suite per top-level goal with a test
case per claim (tested assumptions and counter-claims included).

Verdicts map so that a gate reader never sees green for anything short of supported:

========================  ==============================================
supported                 passed
refuted, inconclusive     <failure> (type "refuted" / "inconclusive")
error                     <error>
not-evaluated, undeveloped  <skipped> (also claims above the run's level)
========================  ==============================================

The first suite holds one test case for the root goal, the release gate: it fails unless the
root is supported, so a blocked gate with no failing claim (an undeveloped root) is still red.

The document follows the structure of Jenkins' ``junit-10.xsd``, which pytest's own
``--junitxml`` output follows too: a test case has only ``name``, ``classname`` and ``time``
(rounded to milliseconds) and no properties; where a claim's test lives, its verdict and figures
go to its ``system-out``. Every string from the run passes through :func:`visible`, as XML 1.0
has no way to carry most control characters.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

from pytest_safecase._escape import visible
from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.report._wording import (
    gate_words,
    record_sentence,
    reused_evidence,
)
from pytest_safecase.verdict import Verdict

GATE_SUITE = "release gate"


def render_junit(result: CaseResult, run_info: dict[str, Any]) -> str:
    """The JUnit XML document as text."""
    root = result.nodes[result.root]
    suites = [_suite(GATE_SUITE, [_gate_case(result)], root, run_info)]
    for suite_node, claims in suite_groups(result):
        cases = [_claim_case(claim, suite_node) for claim in claims]
        suites.append(_suite(f"{suite_node.id}: {suite_node.text}", cases, suite_node, run_info))
    top = ET.Element("testsuites", {"name": visible(f"safety case {root.id}")})
    _count(top, [case for suite in suites for case in suite.iter("testcase")])
    top.extend(suites)
    ET.indent(top)
    return ET.tostring(top, encoding="unicode", xml_declaration=True) + "\n"


def suite_groups(result: CaseResult) -> list[tuple[NodeResult, list[NodeResult]]]:
    """(suite node, its claims): each top-level goal (looking through strategies under the
    root) with the claims beneath it, its assumptions and its challengers included; claims that
    are themselves top-level, or belong to no top-level goal, go under the root."""
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
    claims = result.claims()
    assigned = {node.id for node in [root, *tops]}
    groups: list[tuple[NodeResult, list[NodeResult]]] = []
    for top in tops:
        below = _subtree(result, top.id)
        mine = [node for node in claims if node.id in below and node.id not in assigned]
        assigned.update(node.id for node in mine)
        if mine:
            groups.append((top, mine))
    grouped = {node.id for _, group in groups for node in group}
    direct = [node for node in claims if node.id not in grouped]
    if direct:
        groups.insert(0, (root, direct))
    return groups


def claim_lines(claim: NodeResult) -> list[str]:
    """What a dashboard shows of a claim beside its outcome: verdict, reason, tags, each test's
    place and each figure in words, and the tests' notes."""
    lines = [f"verdict: {claim.verdict.value if claim.verdict else ''}"]
    lines += [f"reason: {claim.reason}"] if claim.reason else []
    lines += [f"argument: {claim.argument}"] if claim.argument else []
    lines += [f"level: {claim.level}"] if claim.level is not None else []
    lines += ["above this run's adoption level"] if not claim.in_scope else []
    for test in claim.tests:
        where = f" ({test.path}:{test.line})" if test.path and test.line else ""
        lines.append(f"test {test.nodeid}{where}: {test.verdict.value}")
        lines += [f"  {record_sentence(record)}" for record in test.evidence]
        lines += [f"  note: {note}" for note in test.notes]
    return lines


def _gate_case(result: CaseResult) -> ET.Element:
    root = result.nodes[result.root]
    case = _case(f"{root.id}: {root.text}", "safecase.gate", 0.0)
    levels = f"; {result.level_words()}" if result.levels else ""
    if result.verdict is not Verdict.SUPPORTED:
        message = f"gate {gate_words(result)}: {root.reason}{levels}"
        _outcome(case, "failure", message, "blocked", "")
    _text(case, "system-out", f"root {root.id}: {result.verdict.value}{levels}")
    return case


def _claim_case(claim: NodeResult, suite_node: NodeResult) -> ET.Element:
    time = sum(test.duration for test in claim.tests)
    case = _case(f"{claim.id}: {claim.text}", f"safecase.{suite_node.id}", time)
    details = "\n".join(
        f"{test.nodeid}: {test.message or test.verdict.value}" for test in claim.tests
    )
    message = claim.reason or (claim.verdict.value if claim.verdict else "")
    verdict = claim.verdict if claim.in_scope else Verdict.NOT_EVALUATED
    if verdict in (Verdict.REFUTED, Verdict.INCONCLUSIVE):
        _outcome(case, "failure", message, verdict.value, details)
    elif verdict is Verdict.ERROR:
        _outcome(case, "error", message, "error", details)
    elif verdict in (Verdict.NOT_EVALUATED, Verdict.UNDEVELOPED):
        _outcome(case, "skipped", message or verdict.value, verdict.value, details)
    _text(case, "system-out", "\n".join(claim_lines(claim)))
    return case


def _case(name: str, classname: str, time: float) -> ET.Element:
    return ET.Element(
        "testcase", {"name": visible(name), "classname": visible(classname), "time": _time(time)}
    )


def _outcome(case: ET.Element, tag: str, message: str, kind: str, details: str) -> None:
    element = ET.SubElement(case, tag, {"type": kind, "message": visible(message)})
    element.text = visible(details) or None


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = visible(text)


def _suite(
    name: str, cases: list[ET.Element], node: NodeResult, run_info: dict[str, Any]
) -> ET.Element:
    suite = ET.Element("testsuite", {"name": visible(name)})
    _count(suite, cases)
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    if run_info.get("started"):
        suite.set("timestamp", visible(str(run_info["started"])))
    properties = ET.SubElement(suite, "properties")
    for key, value in _suite_properties(node, run_info).items():
        ET.SubElement(properties, "property", {"name": key, "value": value})
    suite.extend(cases)
    return suite


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    """The counts and total time JUnit readers take from a suite (or from all suites)."""
    element.set("tests", str(len(cases)))
    element.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    element.set("errors", str(sum(1 for case in cases if case.find("error") is not None)))
    element.set("time", _time(sum(float(case.get("time", 0)) for case in cases)))


def _time(seconds: float) -> str:
    """Seconds with millisecond precision, in the plain form the schema's time pattern allows."""
    return f"{max(seconds, 0.0):.3f}" if math.isfinite(seconds) else "0.000"


def _suite_properties(node: NodeResult, run_info: dict[str, Any]) -> dict[str, str]:
    props = {"goal": visible(node.id), "verdict": node.verdict.value if node.verdict else ""}
    for key in ("plugin_version", "git_commit", "seed"):
        if run_info.get(key) is not None:
            props[key] = visible(str(run_info[key]))
    if reused_evidence(run_info):
        props["reused_evidence"] = visible(reused_evidence(run_info))
    return props


def _subtree(result: CaseResult, top: str) -> set[str]:
    """Every node ``top`` rests on: its supporters, their assumptions and their challengers."""
    challengers = result.challengers()
    seen: set[str] = set()
    stack = [top]
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        node = result.nodes[node_id]
        stack.extend([*node.supported_by, *node.in_context_of, *challengers.get(node_id, ())])
    return seen
