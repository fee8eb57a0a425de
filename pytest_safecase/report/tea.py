"""The Turing Institute TEA platform's nested JSON export, version "1.0".

TEA has one goal at the top; everything argued beneath it is a property claim (with its depth as
``level``), strategies stay strategies, and each claim's tests become evidence elements. Contexts,
assumptions and justifications are not elements there but attributes of their parent. TEA has no
verdict field, so the verdict and its reason lead each description. Ids must be UUIDs: they are
derived from the node ids (UUID5), so re-exporting the same case gives the same ids.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.report._json import deep_json
from pytest_safecase.report._wording import headline, record_sentence

TEA_VERSION = "1.0"
MAX_INDENT_LEVEL = 64
"""JSON nesting (two levels per element: it and its children) beyond which lines stop moving
right, so a very long argument chain does not make a file quadratic in its length."""
_NAMESPACE = uuid.UUID("5d3c6a36-58f4-4f5e-9a0e-3f1f1c6e2b7a")


def render_tea(result: CaseResult, run_info: dict[str, Any]) -> str:
    # Not json.dumps: its indenting encoder recurses once per level of this nested tree.
    return deep_json(tea_document(result, run_info), max_level=MAX_INDENT_LEVEL) + "\n"


def tea_document(result: CaseResult, run_info: dict[str, Any]) -> dict[str, Any]:
    root = result.nodes[result.root]
    return {
        "version": TEA_VERSION,
        "exportedAt": _timestamp(run_info.get("finished")),
        "case": {
            "name": str(result.module.get("name") or f"Safety case {root.id}"),
            "description": headline(result),
        },
        "tree": _element(result, root, depth=0, path=()),
    }


def _element(
    result: CaseResult, node: NodeResult, depth: int, path: tuple[str, ...]
) -> dict[str, Any]:
    """The nested element for ``node`` and everything argued beneath it.

    Built with an explicit stack, so an argument chain longer than Python's recursion limit
    exports like any other: each element is made with its place in its parent's children, and
    its own children are filled in when the stack reaches it.
    """
    top = _shell(result, node, depth, (*path, node.id))
    stack = [(top, node, depth, (*path, node.id))]
    while stack:
        element, node, depth, path = stack.pop()
        below = []
        for child_id in node.supported_by:
            if child_id not in path:  # a valid case is acyclic; never loop forever on a bad one
                child = result.nodes[child_id]
                child_path = (*path, child_id)
                child_element = _shell(result, child, depth + 1, child_path)
                element["children"].append(child_element)
                below.append((child_element, child, depth + 1, child_path))
        if element["type"] != "EVIDENCE":
            element["children"] += [_evidence(test, path) for test in node.tests]
        stack.extend(reversed(below))
    return top


def _shell(
    result: CaseResult, node: NodeResult, depth: int, path: tuple[str, ...]
) -> dict[str, Any]:
    """One element without its children; ``path`` runs from the root to ``node`` itself."""
    is_root = depth == 0
    kind = {
        NodeType.GOAL: "GOAL" if is_root else "PROPERTY_CLAIM",
        NodeType.STRATEGY: "STRATEGY",
        NodeType.SOLUTION: "EVIDENCE",
    }.get(node.type, "PROPERTY_CLAIM")
    element: dict[str, Any] = {
        "id": _uuid("/".join(path)),
        "type": kind,
        "name": node.id,
        "description": _description(node),
        "inSandbox": False,
        "children": [],
    }
    if is_root:
        element["role"] = "TOP_LEVEL"
    if kind == "PROPERTY_CLAIM":
        element["level"] = max(depth, 1)
    if kind == "EVIDENCE" and isinstance(node.extra.get("url"), str):
        element["url"] = node.extra["url"]
    if kind != "EVIDENCE":
        _attach_contexts(result, node, element)
    return element


def _attach_contexts(result: CaseResult, node: NodeResult, element: dict[str, Any]) -> None:
    contexts, assumptions, justifications = [], [], []
    for ctx_id in node.in_context_of:
        ctx = result.nodes[ctx_id]
        if ctx.type is NodeType.ASSUMPTION:
            status = f" [{ctx.verdict.value}]" if ctx.verdict else ""
            assumptions.append(f"{ctx.id}: {ctx.text}{status}")
        elif ctx.type is NodeType.JUSTIFICATION:
            justifications.append(f"{ctx.id}: {ctx.text}")
        else:
            contexts.append(f"{ctx.id}: {ctx.text}")
    if contexts:
        element["context"] = contexts
    if assumptions:
        element["assumption"] = "\n".join(assumptions)
    if justifications:
        element["justification"] = "\n".join(justifications)


def _evidence(test: TestOutcome, path: tuple[str, ...]) -> dict[str, Any]:
    lines = [f"Test {test.nodeid}: {test.verdict.value}."]
    lines += [record_sentence(record) for record in test.evidence]
    if test.message:
        lines.append(test.message)
    return {
        "id": _uuid("/".join(path) + "::" + test.nodeid),
        "type": "EVIDENCE",
        "name": test.nodeid.rsplit("::", 1)[-1],
        "description": "\n".join(lines),
        "inSandbox": False,
        "children": [],
    }


def _description(node: NodeResult) -> str:
    if node.verdict is None:
        return node.text
    reason = f" ({node.reason})" if node.reason else ""
    return f"[{node.verdict.value.upper()}{reason}] {node.text}"


def _timestamp(value: Any) -> str:
    """ISO 8601 in UTC with a Z, as TEA's schema requires; now when the run gave no time."""
    moment = datetime.now(UTC)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _uuid(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, key))
