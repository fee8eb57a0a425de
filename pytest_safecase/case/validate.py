"""GSN well-formedness rules for a case file, and the rules that tie test claims to it."""

from __future__ import annotations

from collections.abc import Iterable

from pytest_safecase.case.model import (
    CLAIM_TARGET_TYPES,
    CONTEXT_TYPES,
    SUPPORT_RULES,
    CaseFile,
    ClaimSpec,
    Node,
    NodeType,
)
from pytest_safecase.case.problems import Problem


def validate_case(case: CaseFile) -> list[Problem]:
    """Check references, relations, cycles, the single root goal and reachability."""
    where = str(case.path) if case.path else "<string>"
    problems: list[Problem] = []
    nodes = case.nodes

    for node in nodes.values():
        for relation, targets in (
            ("supportedBy", node.supported_by),
            ("inContextOf", node.in_context_of),
        ):
            for target in targets:
                if target not in nodes:
                    problems.append(
                        Problem(
                            where,
                            node.line,
                            node.id,
                            "unknown-reference",
                            f"{relation} names '{target}', which is not a node in this file",
                        )
                    )
                    continue
                kind = nodes[target].type
                if relation == "supportedBy":
                    allowed = SUPPORT_RULES.get(node.type, frozenset())
                    if kind not in allowed:
                        problems.append(
                            Problem(
                                where,
                                node.line,
                                node.id,
                                "illegal-relation",
                                f"a {node.type.value} cannot be supportedBy a {kind.value} "
                                f"('{target}'); {_allowed_support(node.type)}",
                            )
                        )
                elif (
                    node.type not in (NodeType.GOAL, NodeType.STRATEGY) or kind not in CONTEXT_TYPES
                ):
                    problems.append(
                        Problem(
                            where,
                            node.line,
                            node.id,
                            "illegal-relation",
                            "inContextOf runs from a Goal or Strategy to a Context, Assumption "
                            f"or Justification, not from a {node.type.value} to a {kind.value} "
                            f"('{target}')",
                        )
                    )
        if node.undeveloped and node.type not in (NodeType.GOAL, NodeType.STRATEGY):
            problems.append(
                Problem(
                    where,
                    node.line,
                    node.id,
                    "undeveloped",
                    "only goals and strategies can be marked undeveloped",
                )
            )

    problems.extend(_cycles(case, where))
    if problems:
        return problems  # root and reachability are meaningless on a broken graph

    roots = case.roots()
    root_goals = [node_id for node_id in roots if nodes[node_id].type is NodeType.GOAL]
    if len(root_goals) != 1:
        found = ", ".join(root_goals) or "none"
        shown = root_goals[1:] or roots  # the second root goal, or what stands at the top instead
        line = nodes[shown[0]].line if shown else None
        problems.append(
            Problem(
                where,
                line,
                None,
                "root",
                f"a safety case has exactly one root goal (a goal nothing supports); found {found}",
            )
        )
        return problems
    reachable = _reachable(case, root_goals[0])
    for node in nodes.values():
        if node.id not in reachable:
            problems.append(
                Problem(
                    where,
                    node.line,
                    node.id,
                    "unreachable",
                    f"not reachable from the root goal '{root_goals[0]}'",
                )
            )
    return problems


def validate_claims(case: CaseFile | None, claims: Iterable[ClaimSpec]) -> list[Problem]:
    """Check that claims name the right kind of node and agree with each other and with the file."""
    problems: list[Problem] = []
    claims = list(claims)
    first: dict[str, ClaimSpec] = {}
    stated: set[str] = set()
    nodes = case.nodes if case else {}
    claim_ids = {spec.id for spec in claims}
    where = str(case.path) if case and case.path else "<claims>"
    for spec in claims:
        messages: list[tuple[str, str]] = []
        node = nodes.get(spec.id)
        if node is not None:
            messages.extend(_against_node(spec, node, where))
        if spec.supports is not None:
            parent = nodes.get(spec.supports)
            if spec.supports == spec.id:
                messages.append(("claim-supports", "a claim cannot support itself"))
            elif parent is None and spec.supports not in claim_ids:
                messages.append(
                    (
                        "claim-supports",
                        f"supports='{spec.supports}' names no node in {where} and no claim",
                    )
                )
            elif parent is not None and parent.type not in (NodeType.GOAL, NodeType.STRATEGY):
                messages.append(
                    (
                        "claim-supports",
                        f"supports='{spec.supports}' names a {parent.type.value}; "
                        "a claim (a goal) can support only a Goal or a Strategy",
                    )
                )
        earlier = first.setdefault(spec.id, spec)
        for attr in ("statement", "supports", "argument", "level"):
            mine, theirs = getattr(spec, attr), getattr(earlier, attr)
            if mine is not None and theirs is not None and mine != theirs:
                messages.append(
                    (
                        "claim-conflict",
                        f"{attr}={mine!r} disagrees with {earlier.nodeid} ({attr}={theirs!r})",
                    )
                )
        problems.extend(
            Problem(spec.path or where, spec.line, spec.id, rule, f"{spec.nodeid}: {message}")
            for rule, message in messages
        )
        if spec.statement:
            stated.add(spec.id)
    problems.extend(_support_loops(first, nodes, where))
    for claim_id, spec in first.items():
        if claim_id not in nodes and claim_id not in stated:
            problems.append(
                Problem(
                    spec.path or where,
                    spec.line,
                    claim_id,
                    "claim-text",
                    f"{spec.nodeid}: claim '{claim_id}' has no statement "
                    f"and is not a node of {where}",
                )
            )
    return problems


def _support_loops(
    first: dict[str, ClaimSpec], nodes: dict[str, Node], where: str
) -> list[Problem]:
    """New claims placed under each other in a loop would hang off nothing the root reaches."""
    problems = []
    for claim_id, spec in first.items():
        seen, current = [claim_id], spec.supports
        while current is not None and current not in nodes and current in first:
            if current in seen:
                loop = " -> ".join([*seen[seen.index(current) :], current])
                problems.append(
                    Problem(
                        spec.path or where,
                        spec.line,
                        claim_id,
                        "claim-supports",
                        f"{spec.nodeid}: claims support each other in a loop: {loop}",
                    )
                )
                break
            seen.append(current)
            current = first[current].supports
    return problems


def _against_node(spec: ClaimSpec, node: Node, where: str) -> list[tuple[str, str]]:
    """Disagreements between a claim and the file's node of the same id."""
    messages = []
    if node.type not in CLAIM_TARGET_TYPES:
        messages.append(
            (
                "claim-kind",
                f"claim id '{spec.id}' names a {node.type.value} in {where}; "
                "claims are evidence for a Goal, Solution or Assumption",
            )
        )
    if spec.statement and spec.statement.split() != node.text.split():
        messages.append(
            (
                "claim-text",
                f"the statement differs from the text of '{spec.id}' in {where}:{node.line}; "
                "keep one wording (or omit the statement)",
            )
        )
    if spec.level is not None and node.level is not None and spec.level != node.level:
        messages.append(
            ("claim-level", f"level={spec.level} but '{spec.id}' has x-level {node.level}")
        )
    return messages


def _allowed_support(kind: NodeType) -> str:
    allowed = SUPPORT_RULES.get(kind)
    if not allowed:
        return f"a {kind.value} supports nothing further"
    names = ", ".join(sorted(t.value for t in allowed))
    return f"a {kind.value} may be supportedBy: {names}"


def _cycles(case: CaseFile, where: str) -> list[Problem]:
    """Every loop of supportedBy/inContextOf links, named by its ids. An explicit stack, not
    recursion: a chain of thousands of links is a valid case and must not overflow the stack."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    problems: list[Problem] = []
    for start in case.nodes:
        if start in state:
            continue
        state[start] = 1
        path = [start]
        position = {start: 0}
        stack = [iter(_links(case.nodes[start]))]
        while stack:
            node_id = path[-1]
            child = next(stack[-1], None)
            if child is None:
                state[node_id] = 2
                del position[node_id]
                path.pop()
                stack.pop()
            elif child not in case.nodes:
                continue
            elif state.get(child) == 1:
                loop = [*path[position[child] :], child]
                problems.append(
                    Problem(
                        where,
                        case.nodes[node_id].line,
                        node_id,
                        "cycle",
                        "the argument loops: " + " -> ".join(loop),
                    )
                )
            elif child not in state:
                state[child] = 1
                position[child] = len(path)
                path.append(child)
                stack.append(iter(_links(case.nodes[child])))
    return problems


def _links(node: Node) -> list[str]:
    return node.supported_by + node.in_context_of


def _reachable(case: CaseFile, root: str) -> set[str]:
    seen = {root}
    stack = [root]
    while stack:
        node = case.nodes[stack.pop()]
        for child in node.supported_by + node.in_context_of:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
