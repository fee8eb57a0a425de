"""Verdict propagation up the argument, and adoption levels.

A goal or strategy is supported only if everything supporting it is: its supporting nodes, its
tests, and the assumptions it is stated in the context of. Otherwise it takes the most severe
verdict among them (see :data:`pytest_safecase.verdict.SEVERITY`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import NodeResult
from pytest_safecase.records import RiskContribution, RiskRecord
from pytest_safecase.verdict import SEVERITY, Verdict, combine

Decision = tuple[Verdict | None, str]


def effective_levels(nodes: Mapping[str, NodeResult], root: str) -> dict[str, int]:
    """Each node's adoption level: its own, or the lowest level through which it is reached.

    A node is never at a lower level than the node it supports (0 means every level). The level
    is the smallest, over the paths from the root, of the largest level on the path: found with a
    worklist rather than recursion, so a chain of thousands of links cannot overflow the stack.
    """
    levels: dict[str, int] = {root: max(0, nodes[root].level or 0)}
    stack = [root]
    while stack:
        node_id = stack.pop()
        node = nodes[node_id]
        for child in node.supported_by + node.in_context_of:
            level = max(levels[node_id], nodes[child].level or 0)
            if child not in levels or level < levels[child]:
                levels[child] = level
                stack.append(child)
    return levels


def propagate(
    nodes: Mapping[str, NodeResult],
    root: str,
    levels: Mapping[str, int],
    level_limit: int | None,
) -> dict[str, Decision]:
    """The verdict and its one-line reason for every node reachable from ``root``.

    Children are decided before their parent, in a post-order walk with an explicit stack (no
    recursion: a chain of thousands of links is fine). A validated case has no loops; were there
    one, a child still being decided would count as giving no verdict rather than recurse.
    """
    decided: dict[str, Decision] = {}
    pending: set[str] = set()

    def in_scope(node_id: str) -> bool:
        return level_limit is None or levels.get(node_id, 0) <= level_limit

    def looked_up(node_id: str) -> Decision:
        return decided.get(node_id, (None, ""))

    def children(node_id: str) -> list[str]:
        node = nodes[node_id]
        if in_scope(node_id) and node.type in (NodeType.CONTEXT, NodeType.JUSTIFICATION):
            return []
        if in_scope(node_id) and node.type is NodeType.ASSUMPTION:
            return []
        return node.supported_by + node.in_context_of

    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        node_id, ready = stack.pop()
        if node_id in decided:
            continue
        if not ready:
            if node_id in pending:
                continue
            pending.add(node_id)
            stack.append((node_id, True))
            stack.extend(
                (child, False)
                for child in reversed(children(node_id))
                if child not in decided and child not in pending
            )
            continue
        node = nodes[node_id]
        if not in_scope(node_id):
            decision: Decision = (Verdict.NOT_EVALUATED, f"above adoption level {level_limit}")
        elif node.type in (NodeType.CONTEXT, NodeType.JUSTIFICATION):
            decision = (None, "")
        elif node.type is NodeType.ASSUMPTION:
            decision = _assumption(node)
        else:
            if node.risk is not None:
                node.risk = node.risk.added_up(risk_contributions(nodes, node_id, in_scope))
            decision = _argument(node, looked_up, in_scope)
        decided[node_id] = decision
        pending.discard(node_id)
    return decided


def _assumption(node: NodeResult) -> Decision:
    if node.tests:
        return _from_tests(node)
    if node.accepted:
        return Verdict.SUPPORTED, "accepted without evidence (x-accepted)"
    return Verdict.UNDEVELOPED, "assumption neither tested nor marked x-accepted"


def _argument(
    node: NodeResult, decide: Callable[[str], Decision], in_scope: Callable[[str], bool]
) -> Decision:
    parts: list[tuple[Verdict, str]] = []
    for child in node.supported_by:
        verdict, _ = decide(child)
        if in_scope(child) and verdict is not None:
            parts.append((verdict, f"{child} {verdict.value}"))
    for ctx in node.in_context_of:
        verdict, _ = decide(ctx)
        if in_scope(ctx) and verdict is not None:
            parts.append((verdict, f"assumption {ctx} {verdict.value}"))
    for test in node.tests:
        parts.append((test.verdict, f"{test.nodeid}: {test.message or test.verdict.value}"))
    if node.undeveloped:
        return Verdict.UNDEVELOPED, "marked undeveloped in the case file"
    if not node.supported_by and not node.tests:
        return Verdict.UNDEVELOPED, "no evidence and no supporting argument yet"
    if not parts:
        return Verdict.UNDEVELOPED, "nothing supporting it is in scope at this level"
    if node.risk is not None:
        parts.append(node.risk.decide())
    verdict = combine(verdict for verdict, _ in parts)
    if verdict is Verdict.SUPPORTED:
        return verdict, f"all {len(parts)} supporting parts supported"
    worst = [reason for part, reason in parts if part is verdict]
    more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
    return verdict, worst[0] + more


def _from_tests(node: NodeResult) -> Decision:
    verdict = combine(test.verdict for test in node.tests)
    if verdict is Verdict.SUPPORTED:
        return verdict, f"{len(node.tests)} test(s) supported"
    worst = min(node.tests, key=lambda test: SEVERITY.index(test.verdict))
    return verdict, f"{worst.nodeid}: {worst.message or verdict.value}"


def risk_contributions(
    nodes: Mapping[str, NodeResult], goal: str, in_scope: Callable[[str], bool]
) -> tuple[RiskContribution, ...]:
    """Every risk recorded in ``goal``'s in-scope subtree, in tree order, for its ledger."""
    contributions: list[RiskContribution] = []
    seen: set[str] = set()
    stack = [goal]
    while stack:
        node_id = stack.pop()
        if node_id in seen or not in_scope(node_id):
            continue
        seen.add(node_id)
        node = nodes[node_id]
        for test in node.tests:
            contributions.extend(
                RiskContribution(node_id, test.nodeid, record)
                for record in test.evidence
                if isinstance(record, RiskRecord)
            )
        stack.extend(reversed(node.supported_by))
    return tuple(contributions)
