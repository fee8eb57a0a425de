"""GSN well-formedness rules for a case file, and the rules that tie test claims to it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pytest_safecase.case.load import load_case
from pytest_safecase.case.model import (
    CLAIM_TARGET_TYPES,
    CONTEXT_TYPES,
    COUNTER_TYPES,
    IMPLICIT_ROOT,
    SUPPORT_RULES,
    CaseFile,
    ClaimSpec,
    Node,
    NodeType,
    relation_ends,
)
from pytest_safecase.case.problems import ERROR, WARNING, Problem, errors


def check_case(path: Path | str) -> tuple[CaseFile, list[Problem]]:
    """Load a case file (its modules too) and validate it, as the plugin and `safecase validate`
    do: every error and warning, the validation skipped when the file could not be read."""
    case, problems = load_case(path)
    if errors(problems):
        return case, problems
    return case, problems + validate_case(case)


def validate_case(case: CaseFile) -> list[Problem]:
    """Check references, relations, challenges, cycles, the top-level goals and reachability.

    Errors make the case invalid; what gsn2x only warns about (several top-level goals, nodes
    nothing reaches, a defeat nothing challenges) comes back as a warning.
    """
    problems: list[Problem] = []
    nodes = case.nodes

    for node in nodes.values():
        where = _where(case, node)
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
                            f"{relation} names '{target}', which is not a node in {_scope(case)}",
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
        elif node.undeveloped and node.supported_by:
            problems.append(
                Problem(
                    where,
                    node.line,
                    node.id,
                    "undeveloped",
                    "marked undeveloped but supportedBy names nodes: drop one (gsn2x V03)",
                )
            )
        problems.extend(_dialectic(case, node, where))
        problems.extend(_claim_points(node, where))

    problems.extend(_cycles(case))
    if errors(problems):
        return problems  # root and reachability are meaningless on a broken graph

    root_goals = case.root_goals()
    if not root_goals:
        roots = case.roots()
        shown = nodes[roots[0]] if roots else next(iter(nodes.values()), None)
        problems.append(
            Problem(
                _where(case, shown) if shown else str(case.path or _scope(case)),
                shown.line if shown else None,
                None,
                "root",
                "a safety case needs a top-level goal (a goal nothing supports); found "
                + (", ".join(roots) or "none"),
            )
        )
        return problems
    if len(root_goals) > 1:
        second = nodes[root_goals[1]]
        problems.append(
            Problem(
                _where(case, second),
                second.line,
                None,
                "root",
                f"several top-level goals ({', '.join(root_goals)}): a run places the implicit "
                f"root '{IMPLICIT_ROOT}' over them",
                WARNING,
            )
        )
    reachable = _reachable(case, root_goals)
    for node in nodes.values():
        if node.id not in reachable:
            problems.append(
                Problem(
                    _where(case, node),
                    node.line,
                    node.id,
                    "unreachable",
                    f"not reachable from the root goal{'s' if len(root_goals) > 1 else ''} "
                    f"{', '.join(root_goals)}: it takes no part in the verdict",
                    WARNING,
                )
            )
    return problems


def _where(case: CaseFile, node: Node) -> str:
    """The file a node is written in (a module of the case, or the case file itself)."""
    source = node.source or case.path
    return str(source) if source else "<string>"


def _scope(case: CaseFile) -> str:
    return "this file" if len(case.files) <= 1 else "the case's modules"


def _related(node: Node, other: Node) -> bool:
    """Whether two nodes are linked by supportedBy, inContextOf or a challenge, either way."""

    def links(a: Node, b: Node) -> bool:
        return b.id in a.supported_by or b.id in a.in_context_of or b.id in a.challenges

    return links(node, other) or links(other, node)


def _dialectic(case: CaseFile, node: Node, where: str) -> list[Problem]:
    """gsn2x's rules for challenges and defeats (V10, V12, V13, C12-C16)."""
    nodes = case.nodes
    found: list[tuple[str, str, str]] = []
    if node.challenges and node.type not in COUNTER_TYPES:
        found.append(
            ("challenge", "only a CounterGoal or CounterSolution can challenge (gsn2x V12)", ERROR)
        )
    for target in node.challenges:
        ends = relation_ends(target)
        if ends is None:
            if target == node.id:
                found.append(("challenge", "challenges itself (gsn2x C13)", ERROR))
            elif target not in nodes:
                found.append(
                    ("challenge", f"challenges '{target}', which is not a node (gsn2x C14)", ERROR)
                )
            continue
        missing = [end for end in ends if end not in nodes]
        if missing:
            found.append(
                (
                    "challenge",
                    f"challenges the relation '{target}', but {', '.join(missing)} is not a node "
                    "(gsn2x C12)",
                    ERROR,
                )
            )
        elif ends[0] == ends[1]:
            found.append(
                ("challenge", f"challenges '{target}', a relation of a node to itself (C15)", ERROR)
            )
        elif not _related(nodes[ends[0]], nodes[ends[1]]):
            found.append(
                (
                    "challenge",
                    f"challenges the relation '{target}', but no such relation exists (gsn2x C16)",
                    ERROR,
                )
            )
    if node.defeated and not any(node.id in other.challenges for other in nodes.values()):
        found.append(
            ("defeated", "marked defeated, but nothing challenges it (gsn2x V10)", WARNING)
        )
    relations = node.extra.get("defeatedRelation", [])
    for other in [relations] if isinstance(relations, str) else relations:
        if other not in nodes or not _related(node, nodes[other]):
            found.append(
                (
                    "defeated",
                    f"defeatedRelation names '{other}', but it has no relation to it (gsn2x V13)",
                    ERROR,
                )
            )
    return [Problem(where, node.line, node.id, rule, text, sev) for rule, text, sev in found]


def _claim_points(node: Node, where: str) -> list[Problem]:
    """An assurance claim point names the node itself or a node it links to (gsn2x V09)."""
    acp = node.extra.get("acp")
    if not isinstance(acp, dict):
        return []
    allowed = {node.id, *node.supported_by, *node.in_context_of}
    problems = []
    for name, refs in acp.items():
        for ref in [refs] if isinstance(refs, str) else refs:
            if ref not in allowed:
                problems.append(
                    Problem(
                        where,
                        node.line,
                        node.id,
                        "acp",
                        f"assurance claim point {name} names '{ref}', which is neither this node "
                        "nor one it links to (gsn2x V09)",
                    )
                )
    return problems


_DECLARED = ("statement", "supports", "argument", "level")
"""What two tests of one claim must not disagree on."""


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
                messages.append(("claim-supports-itself", "a claim cannot support itself"))
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
        differs = earlier is not spec and (
            (spec.statement, spec.supports, spec.argument, spec.level)
            != (earlier.statement, earlier.supports, earlier.argument, earlier.level)
        )
        for attr in _DECLARED if differs else ():
            mine, theirs = getattr(spec, attr), getattr(earlier, attr)
            if mine is not None and theirs is not None and mine != theirs:
                messages.append(
                    (
                        "claim-conflict",
                        f"{attr}={mine!r} disagrees with {earlier.nodeid} ({attr}={theirs!r})",
                    )
                )
        if messages:
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


def _cycles(case: CaseFile) -> list[Problem]:
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
                        _where(case, case.nodes[node_id]),
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


def _reachable(case: CaseFile, roots: list[str]) -> set[str]:
    """Everything below the top-level goals, counting a challenger as below what it challenges."""
    challengers: dict[str, list[str]] = {}
    for node in case.nodes.values():
        for target in node.challenges:
            ends = relation_ends(target)
            challengers.setdefault(ends[0] if ends else target, []).append(node.id)
    seen = set(roots)
    stack = list(roots)
    while stack:
        node_id = stack.pop()
        node = case.nodes[node_id]
        for child in node.supported_by + node.in_context_of + challengers.get(node_id, []):
            if child in case.nodes and child not in seen:
                seen.add(child)
                stack.append(child)
    return seen
