"""The argument tree as written: GSN nodes from the YAML file and claims declared by tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

ARGUMENT_CATEGORIES = ("inability", "control", "trustworthiness", "deference")
"""The four argument categories of Clymer et al. (2024)."""


class NodeType(StrEnum):
    GOAL = "Goal"
    STRATEGY = "Strategy"
    SOLUTION = "Solution"
    CONTEXT = "Context"
    ASSUMPTION = "Assumption"
    JUSTIFICATION = "Justification"
    COUNTER_GOAL = "CounterGoal"
    COUNTER_SOLUTION = "CounterSolution"


ID_PREFIXES: tuple[tuple[str, NodeType], ...] = (
    ("CG", NodeType.COUNTER_GOAL),
    ("G", NodeType.GOAL),
    ("CSn", NodeType.COUNTER_SOLUTION),
    ("Sn", NodeType.SOLUTION),
    ("S", NodeType.STRATEGY),
    ("C", NodeType.CONTEXT),
    ("A", NodeType.ASSUMPTION),
    ("J", NodeType.JUSTIFICATION),
)
"""gsn2x's id prefixes, longest match first (CG before C, Sn before S)."""


def type_from_id(node_id: str) -> NodeType | None:
    """The node type gsn2x reads from an id's prefix when ``nodeType`` is not given."""
    return next((kind for prefix, kind in ID_PREFIXES if node_id.startswith(prefix)), None)


COUNTER_TYPES = frozenset({NodeType.COUNTER_GOAL, NodeType.COUNTER_SOLUTION})
"""The dialectic extension's nodes: they challenge the argument rather than support it."""

SUPPORT_RULES: dict[NodeType, frozenset[NodeType]] = {
    NodeType.GOAL: frozenset({NodeType.GOAL, NodeType.STRATEGY, NodeType.SOLUTION}),
    NodeType.STRATEGY: frozenset({NodeType.GOAL}),
    NodeType.COUNTER_GOAL: COUNTER_TYPES,
}
"""Which node types may support which (GSN Community Standard v3, SupportedBy; a counter-goal
rests on counter-goals and counter-solutions)."""

IMPLICIT_ROOT = "ROOT"
"""The goal a run places on top when a case has several top-level goals, or no case file."""

RELATION_ARROW = "->"
"""How ``challenges`` names a relation rather than a node: ``G2 -> Sn1``."""

CONTEXT_TYPES = frozenset({NodeType.CONTEXT, NodeType.ASSUMPTION, NodeType.JUSTIFICATION})
"""Node types an InContextOf link may point to, and only from a goal or a strategy."""

CLAIM_TARGET_TYPES = frozenset(
    {NodeType.GOAL, NodeType.SOLUTION, NodeType.ASSUMPTION, *COUNTER_TYPES}
)
"""Node types a test may carry evidence for (a counter-goal's evidence is what defeats)."""


@dataclass
class Node:
    """One GSN element."""

    id: str
    type: NodeType
    text: str
    supported_by: list[str] = field(default_factory=list)
    in_context_of: list[str] = field(default_factory=list)
    undeveloped: bool = False
    level: int | None = None
    argument: str | None = None
    accepted: bool = False
    risk_budget: float | None = None
    risk_per_level: bool = False
    """``x-risk-per-level``: each level's risks supersede the lower levels' in the ledger."""
    challenges: list[str] = field(default_factory=list)
    """Nodes (``G2``) or relations (``G2 -> Sn1``) this counter-goal or counter-solution attacks."""
    defeated: bool = False
    """The author's ``defeated: true``: the node stands defeated whatever the tests say."""
    extra: dict[str, Any] = field(default_factory=dict)
    """gsn2x keys kept for export (url, classes, layout, acp, defeatedRelation, layers, a
    multi-line text verbatim) and our own extra ``x-`` keys."""
    line: int | None = None
    source: Path | None = None
    """The file (module) the node is written in, for messages across modules."""


def relation_ends(target: str) -> tuple[str, str] | None:
    """The two ends of a challenged relation ``A -> B``, or None when ``target`` is a node id."""
    if RELATION_ARROW not in target:
        return None
    first, _, second = target.partition(RELATION_ARROW)
    return first.strip(), second.strip()


@dataclass
class CaseFile:
    """A safety case as loaded: its nodes in file order (modules merged), header and metadata."""

    path: Path | None
    nodes: dict[str, Node]
    module: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    """Every module file read, the index first."""
    module_lines: dict[str, int] = field(default_factory=dict, repr=False)
    """The line of each key of the ``module`` header (``uses``, ``extends``), for messages."""

    def roots(self) -> list[str]:
        """Nodes nothing refers to: no supportedBy, inContextOf or challenge leads to them, and
        they challenge nothing themselves (a challenger hangs off what it challenges)."""
        referenced = {
            child
            for node in self.nodes.values()
            for child in node.supported_by + node.in_context_of
        }
        return [
            node_id
            for node_id, node in self.nodes.items()
            if node_id not in referenced and not node.challenges
        ]

    def root_goals(self) -> list[str]:
        """The top-level goals; with more than one, a run places an implicit root over them."""
        return [node_id for node_id in self.roots() if self.nodes[node_id].type is NodeType.GOAL]


class ClaimSpec(NamedTuple):
    """A claim as a test declares it with ``@claim(...)``.

    An immutable value, made once per collected test: as a named tuple it costs a fifth of a
    frozen dataclass to make, which a suite of thousands of claim tests notices."""

    id: str
    statement: str | None
    supports: str | None = None
    argument: str | None = None
    level: int | None = None
    nodeid: str = ""
    path: str = ""
    line: int | None = None

    def at(self, nodeid: str, path: str, line: int | None) -> ClaimSpec:
        """This declaration as the test ``nodeid`` (at ``path:line``) makes it: the cases of a
        parametrized test share one declaration."""
        return ClaimSpec(
            self.id, self.statement, self.supports, self.argument, self.level, nodeid, path, line
        )

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClaimSpec:
        return cls(**data)
