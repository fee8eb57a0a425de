"""A deterministic vertical layout of the argument for the HTML diagram.

The argument reads top to bottom like an outline: each node on a row of its own, indented one
step under the node it supports, so the diagram grows in height with the argument and in width
only with its depth. That keeps it within a 1,400 px page at full size (a layered tree, one
subtree beside the next, was 2,788 px wide for the reference case and had to be shrunk until
its labels were unreadable). A node's contexts, assumptions and justifications fill a grid of at
most three rows to its right, linked through a dashed trunk. A node reached twice is placed once
(at its first place in depth-first order) and the second link is drawn as a plain edge to it.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.report._wording import accepted_without_evidence
from pytest_safecase.verdict import Verdict, combine

H_GAP = 24.0
V_GAP = 18.0
"""Between one node's row and the next."""
INDENT = 40.0
"""How far a supporter sits to the right of the node it supports; its link runs down the
gap."""
STACK_GAP = 12.0
CONTEXT_ROWS = 3
MARGIN = 20.0
LINE_HEIGHT = 15.0
BOX_PADDING = 22.0
"""Room above and below a box's text lines."""
OVAL_PADDING = 34.0
"""The same for assumptions and justifications: their ovals lose height at the ends."""
UNDEVELOPED_ROOM = 14.0
"""Below the lowest row, for the diamond under an undeveloped node."""
EVIDENCE_PREFIX = "Sn-"


@dataclass(frozen=True)
class Style:
    width: float
    chars: int
    max_lines: int


STYLES: dict[NodeType, Style] = {
    NodeType.GOAL: Style(190, 27, 4),
    NodeType.STRATEGY: Style(210, 26, 4),
    NodeType.SOLUTION: Style(104, 12, 2),
    NodeType.CONTEXT: Style(170, 24, 3),
    NodeType.ASSUMPTION: Style(180, 20, 3),
    NodeType.JUSTIFICATION: Style(180, 20, 3),
}


@dataclass
class Box:
    """One drawn element; ``node_id`` is the argument node it stands for (or the claim it
    summarises, for an evidence circle)."""

    key: str
    node_id: str
    type: NodeType
    verdict: Verdict | None
    label: str
    lines: list[str]
    title: str
    undeveloped: bool = False
    accepted: bool = False
    """An assumption accepted without evidence: drawn apart from tested, supported nodes."""
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    context: bool
    """True for InContextOf (dashed, hollow arrow), False for SupportedBy."""


@dataclass
class Diagram:
    boxes: dict[str, Box]
    edges: list[Edge]
    width: float = 0.0
    height: float = 0.0


@dataclass
class _Slot:
    box: Box
    contexts: list[Box] = field(default_factory=list)
    children: list[_Slot] = field(default_factory=list)
    depth: int = 0

    @property
    def columns(self) -> int:
        """Contexts fill a grid of at most ``CONTEXT_ROWS`` rows beside the node."""
        return math.ceil(len(self.contexts) / CONTEXT_ROWS)

    def context_rows(self) -> list[list[Box]]:
        columns = max(self.columns, 1)
        return [self.contexts[i : i + columns] for i in range(0, len(self.contexts), columns)]

    @property
    def block_width(self) -> float:
        """The node plus the grid of its contexts to its right."""
        if not self.contexts:
            return self.box.width
        column = max(ctx.width for ctx in self.contexts)
        return self.box.width + H_GAP + self.columns * column + (self.columns - 1) * STACK_GAP

    @property
    def block_height(self) -> float:
        rows = self.context_rows()
        grid = sum(max(ctx.height for ctx in row) for row in rows) + STACK_GAP * (len(rows) - 1)
        return max(self.box.height, grid) if rows else self.box.height


def layout(result: CaseResult) -> Diagram:
    """Place every node reachable from the root, plus an evidence circle under each claim.

    Every pass walks the slots with an explicit stack, so an argument chain far longer than
    Python's recursion limit lays out like any other.
    """
    diagram = Diagram({}, [])
    y, right = MARGIN, 0.0
    for slot in _preorder(_build(result, result.root, diagram)):
        y = _place(slot, y)
        right = max(right, slot.box.x + slot.block_width)
    diagram.width = right + MARGIN
    diagram.height = y - V_GAP + MARGIN
    return diagram


def _build(result: CaseResult, root_id: str, diagram: Diagram) -> _Slot:
    """The slot tree, depth first: a node's box, its contexts, then each supporter's whole
    subtree in turn (so boxes and edges come in the same order a recursive walk gives them),
    then its evidence circle."""
    root = _open(result, root_id, 0, diagram)
    stack = [(root, iter(result.nodes[root_id].supported_by))]
    while stack:
        slot, pending = stack[-1]
        for child_id in pending:
            diagram.edges.append(Edge(slot.box.node_id, child_id, context=False))
            if child_id not in diagram.boxes:
                child = _open(result, child_id, slot.depth + 1, diagram)
                slot.children.append(child)
                stack.append((child, iter(result.nodes[child_id].supported_by)))
                break
        else:  # every supporter is done: the evidence circle comes last
            stack.pop()
            _close(result.nodes[slot.box.node_id], slot, diagram)
    return root


def _open(result: CaseResult, node_id: str, depth: int, diagram: Diagram) -> _Slot:
    """A node's slot, with the contexts no earlier node has placed."""
    node = result.nodes[node_id]
    slot = _Slot(_box(node), depth=depth)
    diagram.boxes[node_id] = slot.box
    for ctx_id in node.in_context_of:
        diagram.edges.append(Edge(node_id, ctx_id, context=True))
        if ctx_id not in diagram.boxes:
            ctx_box = _box(result.nodes[ctx_id])
            diagram.boxes[ctx_id] = ctx_box
            slot.contexts.append(ctx_box)
    return slot


def _close(node: NodeResult, slot: _Slot, diagram: Diagram) -> None:
    """The evidence circle under a claim goal or strategy, after its supporters."""
    if node.tests and node.type in (NodeType.GOAL, NodeType.STRATEGY):
        evidence = _evidence_box(node)
        diagram.boxes[evidence.key] = evidence
        diagram.edges.append(Edge(node.id, evidence.key, context=False))
        slot.children.append(_Slot(evidence, depth=slot.depth + 1))


def _preorder(root: _Slot) -> list[_Slot]:
    """Every slot, each before its children, children left to right."""
    order: list[_Slot] = []
    stack = [root]
    while stack:
        slot = stack.pop()
        order.append(slot)
        stack.extend(reversed(slot.children))
    return order


def _box(node: NodeResult) -> Box:
    style = STYLES[node.type]
    text = node.text or "(no text)"
    lines = textwrap.wrap(text, style.chars, max_lines=style.max_lines, placeholder=" …")
    if node.type is NodeType.SOLUTION:
        lines = []
    return Box(
        key=node.id,
        node_id=node.id,
        type=node.type,
        verdict=node.verdict,
        label=node.id,
        lines=lines,
        title=f"{node.id}: {text}",
        undeveloped=node.undeveloped,
        accepted=accepted_without_evidence(node),
        width=style.width,
        height=_height(node.type, len(lines)),
    )


def _evidence_box(node: NodeResult) -> Box:
    """A solution circle summarising a claim's tests, coloured by what the tests alone say."""
    count = len(node.tests)
    verdict = combine(test.verdict for test in node.tests)
    return Box(
        key=EVIDENCE_PREFIX + node.id,
        node_id=node.id,
        type=NodeType.SOLUTION,
        verdict=verdict,
        label=f"{count} test{'s' if count != 1 else ''}",
        lines=[verdict.value],
        title=f"Evidence for {node.id}: {count} test(s), {verdict.value}",
        width=STYLES[NodeType.SOLUTION].width,
        height=STYLES[NodeType.SOLUTION].width,
    )


def _height(kind: NodeType, lines: int) -> float:
    if kind is NodeType.SOLUTION:
        return STYLES[kind].width
    padding = OVAL_PADDING if kind in (NodeType.ASSUMPTION, NodeType.JUSTIFICATION) else BOX_PADDING
    return padding + LINE_HEIGHT * (lines + 1)


def _place(slot: _Slot, top: float) -> float:
    """Put a slot's node at ``top``, indented by its depth, with its contexts' grid to its right;
    return where the next row starts."""
    slot.box.x, slot.box.y = MARGIN + slot.depth * INDENT, top
    column = max((ctx.width for ctx in slot.contexts), default=0.0)
    y = top
    for row in slot.context_rows():
        for index, ctx in enumerate(row):
            ctx.x = slot.box.x + slot.box.width + H_GAP + index * (column + STACK_GAP)
            ctx.y = y
        y += max(ctx.height for ctx in row) + STACK_GAP
    room = UNDEVELOPED_ROOM if slot.box.undeveloped else 0.0
    return top + max(slot.block_height, slot.box.height + room) + V_GAP
