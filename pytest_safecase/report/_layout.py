"""A deterministic layered layout of the argument for the HTML diagram.

Each node sits centred above the subtrees it is supported by; its contexts, assumptions and
justifications fill a grid of at most three rows to its right, linked through a dashed trunk. A
node reached twice is placed once (at its first place in depth-first order) and the second link
is drawn as a plain edge to it.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.verdict import Verdict, combine

H_GAP = 24.0
V_GAP = 46.0
STACK_GAP = 12.0
CONTEXT_ROWS = 3
MARGIN = 20.0
LINE_HEIGHT = 15.0
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
    width: float = 0.0

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
    """Place every node reachable from the root, plus an evidence circle under each claim."""
    diagram = Diagram({}, [])
    root = _build(result, result.root, 0, diagram)
    _measure(root)
    heights: dict[int, float] = {}
    _row_heights(root, heights)
    tops = {}
    y = MARGIN
    for depth in sorted(heights):
        tops[depth] = y
        y += heights[depth] + V_GAP
    _place(root, MARGIN, tops, heights)
    diagram.width = root.width + 2 * MARGIN
    diagram.height = y - V_GAP + MARGIN + 14  # room for the undeveloped diamond
    return diagram


def _build(result: CaseResult, node_id: str, depth: int, diagram: Diagram) -> _Slot:
    node = result.nodes[node_id]
    slot = _Slot(_box(node), depth=depth)
    diagram.boxes[node_id] = slot.box
    for ctx_id in node.in_context_of:
        diagram.edges.append(Edge(node_id, ctx_id, context=True))
        if ctx_id not in diagram.boxes:
            ctx_box = _box(result.nodes[ctx_id])
            diagram.boxes[ctx_id] = ctx_box
            slot.contexts.append(ctx_box)
    for child_id in node.supported_by:
        diagram.edges.append(Edge(node_id, child_id, context=False))
        if child_id not in diagram.boxes:
            slot.children.append(_build(result, child_id, depth + 1, diagram))
    if node.tests and node.type in (NodeType.GOAL, NodeType.STRATEGY):
        evidence = _evidence_box(node)
        diagram.boxes[evidence.key] = evidence
        diagram.edges.append(Edge(node_id, evidence.key, context=False))
        slot.children.append(_Slot(evidence, depth=depth + 1))
    return slot


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
    padding = 34.0 if kind in (NodeType.ASSUMPTION, NodeType.JUSTIFICATION) else 22.0
    return padding + LINE_HEIGHT * (lines + 1)


def _measure(slot: _Slot) -> float:
    for child in slot.children:
        _measure(child)
    children = sum(child.width for child in slot.children) + H_GAP * max(len(slot.children) - 1, 0)
    slot.width = max(slot.block_width, children)
    return slot.width


def _row_heights(slot: _Slot, heights: dict[int, float]) -> None:
    heights[slot.depth] = max(heights.get(slot.depth, 0.0), slot.block_height)
    for child in slot.children:
        _row_heights(child, heights)


def _place(slot: _Slot, left: float, tops: dict[int, float], heights: dict[int, float]) -> None:
    children_width = sum(child.width for child in slot.children) + H_GAP * max(
        len(slot.children) - 1, 0
    )
    child_left = left + (slot.width - children_width) / 2
    if slot.children:  # the node itself above the middle of its supporters, block kept in slot
        centred = child_left + children_width / 2 - slot.box.width / 2
        slot.box.x = min(max(centred, left), left + slot.width - slot.block_width)
    else:
        slot.box.x = left + (slot.width - slot.block_width) / 2
    slot.box.y = y = tops[slot.depth]
    column = max((ctx.width for ctx in slot.contexts), default=0.0)
    for row in slot.context_rows():
        for index, ctx in enumerate(row):
            ctx.x = slot.box.x + slot.box.width + H_GAP + index * (column + STACK_GAP)
            ctx.y = y
        y += max(ctx.height for ctx in row) + STACK_GAP
    for child in slot.children:
        _place(child, child_left, tops, heights)
        child_left += child.width + H_GAP
