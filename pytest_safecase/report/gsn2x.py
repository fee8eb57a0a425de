"""The evaluated argument as gsn2x YAML, so GSN tooling can draw and check it.

Keys are camelCase (gsn2x silently ignores ``supported_by``), every node states its ``nodeType``
(gsn2x would otherwise guess from the id prefix), the verdict is a class so gsn2x's CSS can colour
it, and each claim's tests become Solution nodes ``Sn-<claim>[-k]`` beneath it (CounterSolutions
``CSn-<claim>[-k]`` beneath a counter-goal). Every gsn2x key read from the case (layout, confidence,
dialectic, layers) is written back as read; modules come out merged into one document. Our own
extras use ``x-`` keys, which gsn2x keeps as layers; the output also reloads with our own loader.
"""

from __future__ import annotations

from typing import Any

import yaml

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.records import RateRecord, SequentialRateRecord, ValueRecord
from pytest_safecase.report._wording import context_nodes, headline
from pytest_safecase.verdict import Verdict

SOLUTION_PREFIX = "Sn-"
_CASE_KEYS = ("x-level", "x-argument", "x-accepted")
_WRITTEN = {"text", "classes", "x-reason", *_CASE_KEYS}
"""Keys of a node's extra that :func:`_node_entry` writes itself."""
_MERGED_MODULE_KEYS = ("uses", "extends")
"""Module keys that name other files: the export already holds their nodes."""


def render_gsn2x(result: CaseResult, run_info: dict[str, Any]) -> str:
    """gsn2x YAML text: a module header, then one mapping per node."""
    document: dict[str, Any] = {"module": _module(result, run_info)}
    taken = set(result.nodes)
    for node in _ordered(result):
        entry = _node_entry(node)
        if node.tests:
            solutions = _solutions(node, taken)
            if node.type in (NodeType.GOAL, NodeType.STRATEGY, NodeType.COUNTER_GOAL):
                entry["supportedBy"] = entry.get("supportedBy", []) + list(solutions)
                document[node.id] = entry
                document.update(solutions)
                continue
            # Solutions and assumptions support nothing in GSN: keep the tests as a layer.
            entry["x-tests"] = [solution["text"] for solution in solutions.values()]
        document[node.id] = entry
    header = "# gsn2x argument exported by pytest-safecase; verdicts are node classes.\n"
    return header + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _module(result: CaseResult, run_info: dict[str, Any]) -> dict[str, Any]:
    module = {
        key: value
        for key, value in result.module.items()
        if isinstance(key, str) and key not in _MERGED_MODULE_KEYS
    }
    module.setdefault("name", str(result.module.get("name") or result.root))
    module["brief"] = headline(result)
    for key in ("git_commit", "finished"):
        if run_info.get(key):
            module[f"x-{key.replace('_', '-')}"] = str(run_info[key])
    return module


def _ordered(result: CaseResult) -> list[NodeResult]:
    """Tree order, then contexts, then anything else the result holds."""
    order = {node.id: node for node in result.walk()}
    order.update({node.id: node for node in context_nodes(result) if node.id not in order})
    order.update({node_id: node for node_id, node in result.nodes.items() if node_id not in order})
    return list(order.values())


def _node_entry(node: NodeResult) -> dict[str, Any]:
    entry: dict[str, Any] = {"text": node.extra.get("text", node.text), "nodeType": node.type.value}
    if node.supported_by:
        entry["supportedBy"] = list(node.supported_by)
    if node.in_context_of:
        entry["inContextOf"] = list(node.in_context_of)
    if node.challenges:
        entry["challenges"] = list(node.challenges)
    if node.defeated:
        entry["defeated"] = True
    if node.undeveloped:
        entry["undeveloped"] = True
    verdicts = {verdict.value for verdict in Verdict}  # a re-export must not repeat the class
    classes = [
        str(c) for c in node.extra.get("classes", []) if isinstance(c, str) and c not in verdicts
    ]
    if node.verdict is not None:
        classes.append(node.verdict.value)
        if node.reason:
            entry["x-reason"] = node.reason
    if classes:
        entry["classes"] = classes
    if node.level is not None:
        entry["x-level"] = node.level
    if node.argument:
        entry["x-argument"] = node.argument
    if node.accepted:
        entry["x-accepted"] = True
    entry.update({key: value for key, value in node.extra.items() if key not in _WRITTEN})
    return entry


def _solutions(node: NodeResult, taken: set[str]) -> dict[str, dict[str, Any]]:
    """One Solution node per test, with ids that clash with nothing already in the argument."""
    solutions: dict[str, dict[str, Any]] = {}
    counter = node.type is NodeType.COUNTER_GOAL
    kind = NodeType.COUNTER_SOLUTION if counter else NodeType.SOLUTION
    prefix = "C" + SOLUTION_PREFIX if counter else SOLUTION_PREFIX
    for index, test in enumerate(node.tests, start=1):
        base = f"{prefix}{node.id}" + (f"-{index}" if len(node.tests) > 1 else "")
        solution_id, suffix = base, 1
        while solution_id in taken:
            suffix += 1
            solution_id = f"{base}-{suffix}"
        taken.add(solution_id)
        solutions[solution_id] = {
            "text": _test_text(test),
            "nodeType": kind.value,
            "classes": [test.verdict.value],
            "x-nodeid": test.nodeid,
        }
    return solutions


def _test_text(test: TestOutcome) -> str:
    figures = []
    for record in test.evidence:
        name = f"{record.name} " if record.name else ""
        if isinstance(record, RateRecord | SequentialRateRecord):
            decision = record.decision
            lower, upper = decision.shown_bounds()
            figures.append(
                f"{name}{decision.successes}/{decision.trials} [{lower}, {upper}] "
                f"{decision.direction.symbol} {decision.shown_threshold()}"
            )
        elif isinstance(record, ValueRecord):
            figures.append(f"{name}= {record.shown_value()}")
    short = test.nodeid.rsplit("::", 1)[-1]
    return f"{short}: {test.verdict.value}" + (f" ({'; '.join(figures)})" if figures else "")
