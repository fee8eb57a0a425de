"""Verdict propagation up the argument, and adoption levels.

A goal or strategy is supported only if everything supporting it is: its supporting nodes, its
tests, and the assumptions it is stated in the context of. Otherwise it takes the most severe
verdict among them (see :data:`pytest_safecase.verdict.SEVERITY`).

Dialectic (gsn2x's extension): a counter-goal or counter-solution that challenges a node and is
itself supported defeats it, as does the author's ``defeated: true``. A defeated node is refuted,
whatever its own evidence, so everything resting on it cannot be supported either; a challenged
relation (``A -> B``, or ``defeatedRelation``) that is defeated cuts that link, and a defeated
challenge no longer defeats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pytest_safecase.case.model import NodeType, relation_ends
from pytest_safecase.case.result import NodeResult, TestOutcome
from pytest_safecase.verdict import SEVERITY, Verdict, combine

if TYPE_CHECKING:  # evidence records load with the first evidence: plain claims never need them
    from pytest_safecase.records import RiskContribution, RiskLedger

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
) -> tuple[dict[str, Decision], dict[str, RiskLedger]]:
    """The verdict and its one-line reason for every node reachable from ``root``, and the risk
    ledger of every goal with a budget (the nodes themselves are left as they are).

    Children are decided before their parent, in a post-order walk with an explicit stack (no
    recursion: a chain of thousands of links is fine). A validated case has no loops; were there
    one, a child still being decided would count as giving no verdict rather than recurse.
    """
    decided: dict[str, Decision] = {}
    ledgers: dict[str, RiskLedger] = {}
    pending: set[str] = set()
    dialectic = _Dialectic(nodes, decided)

    def in_scope(node_id: str) -> bool:
        return level_limit is None or levels.get(node_id, 0) <= level_limit

    def looked_up(node_id: str) -> Decision:
        return decided.get(node_id, (None, ""))

    def children(node_id: str) -> list[str]:
        node = nodes[node_id]
        around = dialectic.around.get(node_id, [])
        if in_scope(node_id) and node.type in (
            NodeType.CONTEXT,
            NodeType.JUSTIFICATION,
            NodeType.ASSUMPTION,
        ):
            return around
        return node.supported_by + node.in_context_of + around

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
            ledger = None
            if node.risk is not None:
                ledger = _ledger(nodes, node_id, node.risk, levels, level_limit)
                ledgers[node_id] = ledger
            decision = _argument(node, looked_up, in_scope, dialectic, ledger)
        if in_scope(node_id):
            decision = dialectic.defeat(node, decision)
        decided[node_id] = decision
        pending.discard(node_id)
    return decided, ledgers


class _Dialectic:
    """Who challenges what, and which challenges have succeeded so far (``decided`` fills in as
    :func:`propagate` goes: a challenger is decided before what it challenges)."""

    def __init__(self, nodes: Mapping[str, NodeResult], decided: Mapping[str, Decision]) -> None:
        self.nodes = nodes
        self.decided = decided
        self.of_node: dict[str, list[str]] = {}
        self.of_relation: dict[frozenset[str], list[str]] = {}
        self.around: dict[str, list[str]] = {}
        """The challengers to decide before a node: its own and its relations'."""
        for node in nodes.values():
            for target in node.challenges:
                ends = relation_ends(target)
                if ends is None:
                    self.of_node.setdefault(target, []).append(node.id)
                    self.around.setdefault(target, []).append(node.id)
                else:
                    self.of_relation.setdefault(frozenset(ends), []).append(node.id)
                    for end in ends:
                        self.around.setdefault(end, []).append(node.id)

    def _supported(self, node_id: str) -> bool:
        return self.decided.get(node_id, (None, ""))[0] is Verdict.SUPPORTED

    def relation_defeater(self, first: str, second: str) -> str | None:
        """Who defeats the link between two nodes, or None while it stands."""
        for one, other in ((first, second), (second, first)):
            marked = self.nodes[one].extra.get("defeatedRelation", []) if one in self.nodes else []
            if other in ([marked] if isinstance(marked, str) else marked):
                return f"{one}'s defeatedRelation in the case file"
        for challenger in self.of_relation.get(frozenset((first, second)), []):
            if self._supported(challenger):
                return challenger
        return None

    def defeat(self, node: NodeResult, decision: Decision) -> Decision:
        """``decision``, unless the node stands defeated: then refuted, naming the defeater."""
        challengers = self.of_node.get(node.id, [])
        if node.defeated:
            by = f" (challenged by {', '.join(challengers)})" if challengers else ""
            return Verdict.REFUTED, f"marked defeated in the case file{by}"
        for challenger in challengers:
            if self._supported(challenger) and not self.relation_defeater(challenger, node.id):
                why = self.decided[challenger][1]
                return Verdict.REFUTED, f"defeated by {challenger}, which is supported: {why}"
        return decision


def _assumption(node: NodeResult) -> Decision:
    if node.tests:
        return _from_tests(node)
    if node.accepted:
        return Verdict.SUPPORTED, "accepted without evidence (x-accepted)"
    return Verdict.UNDEVELOPED, "assumption neither tested nor marked x-accepted"


def _argument(
    node: NodeResult,
    decide: Callable[[str], Decision],
    in_scope: Callable[[str], bool],
    dialectic: _Dialectic,
    ledger: RiskLedger | None,
) -> Decision:
    parts: list[tuple[Verdict, str]] = []
    for child in node.supported_by + node.in_context_of:
        verdict, reason = decide(child)
        defeater = dialectic.relation_defeater(node.id, child)
        if defeater is not None:
            parts.append((Verdict.REFUTED, f"its link to {child} is defeated by {defeater}"))
        elif in_scope(child) and verdict is not None:
            name = child if child in node.supported_by else f"assumption {child}"
            defeated = f" ({reason})" if reason.startswith(_DEFEAT_REASONS) else ""
            parts.append((verdict, f"{name} {verdict.value}{defeated}"))
    if node.undeveloped:
        return Verdict.UNDEVELOPED, "marked undeveloped in the case file"
    if not node.supported_by and not node.tests:
        return Verdict.UNDEVELOPED, "no evidence and no supporting argument yet"
    if not parts and not node.tests:
        return Verdict.UNDEVELOPED, "nothing supporting it is in scope at this level"
    checked = [ledger.decide()] if ledger is not None else []
    # The parts in order: children, tests, the risk ledger. A test's reason is written only if
    # it is among the worst: a claim may have thousands of tests.
    verdicts = [verdict for verdict, _ in parts]
    verdicts += [test.verdict for test in node.tests]
    verdicts += [verdict for verdict, _ in checked]
    verdict = combine(verdicts)
    if verdict is Verdict.SUPPORTED:
        return verdict, f"all {len(verdicts)} supporting parts supported"
    worst = [reason for part, reason in parts if part is verdict]
    worst += [_test_reason(test) for test in node.tests if test.verdict is verdict]
    worst += [reason for part, reason in checked if part is verdict]
    more = f" (+{len(worst) - 1} more)" if len(worst) > 1 else ""
    return verdict, worst[0] + more


def _test_reason(test: TestOutcome) -> str:
    return f"{test.nodeid}: {test.message or test.verdict.value}"


_DEFEAT_REASONS = ("defeated by ", "marked defeated ")
"""How a defeated node's reason begins: a parent's reason repeats it, so the defeater shows."""


def _from_tests(node: NodeResult) -> Decision:
    verdict = combine(test.verdict for test in node.tests)
    if verdict is Verdict.SUPPORTED:
        return verdict, f"{len(node.tests)} test(s) supported"
    worst = min(node.tests, key=lambda test: SEVERITY.index(test.verdict))
    return verdict, _test_reason(worst)


def _ledger(
    nodes: Mapping[str, NodeResult],
    goal: str,
    ledger: RiskLedger,
    levels: Mapping[str, int],
    level_limit: int | None,
) -> RiskLedger:
    """``goal``'s ledger added up over the risks recorded in its in-scope subtree, with why it
    is empty when it is (a budget nothing argues must say so, not read "0 total")."""

    def in_scope(node_id: str) -> bool:
        return level_limit is None or levels.get(node_id, 0) <= level_limit

    contributions = risk_contributions(nodes, goal, in_scope, levels)
    highest = max(levels.values(), default=0)
    in_force = highest if level_limit is None else min(level_limit, highest)
    why = ""
    if not contributions:
        above = [node_id for node_id in _subtree(nodes, goal) if not in_scope(node_id)]
        why = "no claim below it recorded a risk (evidence.risk) in this run"
        if above:
            more = f" (+{len(above) - 3} more)" if len(above) > 3 else ""
            why = (
                f"nothing in scope below it recorded a risk (evidence.risk): "
                f"{', '.join(above[:3])}{more} lie above level {level_limit}; give the levels "
                "in force a risk claim of their own (see x-risk-per-level)"
            )
    return ledger.added_up(contributions, in_force, why)


def _subtree(nodes: Mapping[str, NodeResult], goal: str) -> list[str]:
    """Every node supporting ``goal``, directly or not, in tree order."""
    order: list[str] = []
    seen: set[str] = set()
    stack = list(reversed(nodes[goal].supported_by))
    while stack:
        node_id = stack.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        order.append(node_id)
        stack.extend(reversed(nodes[node_id].supported_by))
    return order


def risk_contributions(
    nodes: Mapping[str, NodeResult],
    goal: str,
    in_scope: Callable[[str], bool],
    levels: Mapping[str, int],
) -> tuple[RiskContribution, ...]:
    """Every risk recorded in ``goal``'s in-scope subtree, in tree order, for its ledger."""
    from pytest_safecase.records import RiskContribution, RiskRecord

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
                RiskContribution(node_id, test.nodeid, record, levels.get(node_id, 0))
                for record in test.evidence
                if isinstance(record, RiskRecord)
            )
        stack.extend(reversed(node.supported_by))
    return tuple(contributions)
