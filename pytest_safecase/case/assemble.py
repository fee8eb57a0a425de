"""Join the case file, the claims tests declared and the test outcomes into one evaluated tree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pytest_safecase.case.model import IMPLICIT_ROOT, CaseFile, ClaimSpec, Node, NodeType
from pytest_safecase.case.propagate import effective_levels, propagate
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.verdict import Verdict

ARGUMENT_TYPES = (NodeType.GOAL, NodeType.STRATEGY, NodeType.SOLUTION)
__all__ = ["IMPLICIT_ROOT", "assemble"]

IMPLICIT_ROOT_TEXT = "Every safety claim tested in this run holds"


def assemble(
    case: CaseFile | None,
    claims: Iterable[ClaimSpec],
    outcomes: Mapping[str, TestOutcome],
    *,
    level_limit: int | None = None,
) -> CaseResult:
    """Build the evaluated argument.

    ``claims`` are all claim tests collected (selected or not); ``outcomes`` maps test node ids to
    what happened to them. A claim test without an outcome did not run and counts as not evaluated.
    """
    claims = list(claims)
    nodes, root = _argument_graph(case, claims)
    attached: set[str] = set()
    for spec in claims:
        node = nodes[spec.id]
        if spec.nodeid not in attached:
            attached.add(spec.nodeid)
            node.tests.append(
                outcomes.get(spec.nodeid)
                or TestOutcome(
                    spec.nodeid,
                    Verdict.NOT_EVALUATED,
                    message="did not run (deselected or not reached)",
                    path=spec.path,
                    line=spec.line,
                )
            )

    levels = effective_levels(nodes, root)
    verdicts, ledgers = propagate(nodes, root, levels, level_limit)
    for node_id, node in nodes.items():
        node.verdict, node.reason = verdicts.get(node_id, (None, ""))
        node.risk = ledgers.get(node_id, node.risk)
        node.in_scope = level_limit is None or levels.get(node_id, 0) <= level_limit
    distinct = sorted({level for level in levels.values() if level > 0})
    return CaseResult(
        root=root,
        nodes=nodes,
        source=str(case.path) if case and case.path else None,
        module=dict(case.module) if case else {},
        metadata=dict(case.metadata) if case else {},
        levels=distinct,
        level_limit=level_limit,
        level_reached=_level_reached(nodes, levels, distinct, level_limit),
    )


def above_level(case: CaseFile | None, claims: Iterable[ClaimSpec], level_limit: int) -> set[str]:
    """Ids of the claims above adoption level ``level_limit``: what a limited run deselects.

    Answered from the argument's shape alone (no verdicts), so every worker can ask it cheaply.
    """
    claims = list(claims)
    nodes, root = _argument_graph(case, claims)
    levels = effective_levels(nodes, root)
    return {spec.id for spec in claims if levels.get(spec.id, 0) > level_limit}


def level_problem(
    case: CaseFile | None, claims: Iterable[ClaimSpec], level_limit: int | None
) -> str | None:
    """Why ``--safecase-level`` cannot apply to this argument, or None: a limit above its
    highest level would read as "adopted up to level 9" while nothing says what level 9 is."""
    if level_limit is None:
        return None
    claims = list(claims)
    nodes, root = _argument_graph(case, claims)
    levels = sorted({level for level in effective_levels(nodes, root).values() if level > 0})
    if not levels:
        return f"--safecase-level {level_limit}: the argument has no adoption levels (x-level)"
    if level_limit > levels[-1]:
        shown = ", ".join(map(str, levels))
        return (
            f"--safecase-level {level_limit}: the argument's highest adoption level is "
            f"{levels[-1]} (levels {shown})"
        )
    return None


def _argument_graph(
    case: CaseFile | None, claims: list[ClaimSpec]
) -> tuple[dict[str, NodeResult], str]:
    """The case's nodes plus the claims tests declare, each placed under its parent."""
    nodes = _nodes_from_case(case)
    top = case.root_goals() if case else []
    root = top[0] if len(top) == 1 else IMPLICIT_ROOT
    if root not in nodes:
        nodes[root] = NodeResult(
            root, NodeType.GOAL, IMPLICIT_ROOT_TEXT, None, supported_by=top, from_tests=True
        )

    placed: dict[str, str] = {}
    for spec in claims:  # first every new claim node, then their places: a parent may come later
        node = nodes.get(spec.id)
        if node is None:
            nodes[spec.id] = NodeResult(
                spec.id,
                NodeType.GOAL,
                spec.statement or "",
                None,
                from_tests=True,
                line=spec.line,
                extra={"x-path": spec.path},
            )
            placed[spec.id] = spec.supports or root
        elif node.from_tests and not node.text and spec.statement:
            node.text = spec.statement
        if spec.id in placed and spec.supports and placed[spec.id] == root:
            placed[spec.id] = spec.supports
    for claim_id, parent_id in placed.items():
        parent = nodes[parent_id]
        if claim_id not in parent.supported_by:
            parent.supported_by.append(claim_id)

    for spec in claims:
        node = nodes[spec.id]
        node.level = node.level if node.level is not None else spec.level
        node.argument = node.argument or spec.argument
    return nodes, root


def _level_reached(
    nodes: Mapping[str, NodeResult],
    levels: Mapping[str, int],
    distinct: list[int],
    level_limit: int | None,
) -> int | None:
    """The highest adoption level L such that every goal, strategy and solution tagged with a
    level from 1 to L is supported (None when the case has no levels)."""
    if not distinct:
        return None
    reached = 0
    for level in distinct:
        if level_limit is not None and level > level_limit:
            break
        tagged = [
            node
            for node_id, node in nodes.items()
            if 0 < levels.get(node_id, 0) <= level and node.type in ARGUMENT_TYPES
        ]
        if any(node.verdict is not Verdict.SUPPORTED for node in tagged):
            break
        reached = level
    return reached


def _nodes_from_case(case: CaseFile | None) -> dict[str, NodeResult]:
    if case is None:
        return {}
    return {node.id: _node_result(node) for node in case.nodes.values()}


def _node_result(node: Node) -> NodeResult:
    risk = None
    if node.risk_budget is not None:  # evidence records load only where they are needed
        from pytest_safecase.records import RiskLedger

        risk = RiskLedger(node.risk_budget, per_level=node.risk_per_level)
    return NodeResult(
        id=node.id,
        type=node.type,
        text=node.text,
        verdict=None,
        supported_by=list(node.supported_by),
        in_context_of=list(node.in_context_of),
        level=node.level,
        argument=node.argument,
        undeveloped=node.undeveloped,
        challenges=list(node.challenges),
        defeated=node.defeated,
        accepted=node.accepted,
        line=node.line,
        risk=risk,
        extra=dict(node.extra),
    )
