"""The argument tree as written: GSN nodes from the YAML file and claims declared by tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

ARGUMENT_CATEGORIES = ("inability", "control", "trustworthiness", "deference")
"""The four argument categories of Clymer et al. (2024)."""


class NodeType(StrEnum):
    GOAL = "Goal"
    STRATEGY = "Strategy"
    SOLUTION = "Solution"
    CONTEXT = "Context"
    ASSUMPTION = "Assumption"
    JUSTIFICATION = "Justification"


SUPPORT_RULES: dict[NodeType, frozenset[NodeType]] = {
    NodeType.GOAL: frozenset({NodeType.GOAL, NodeType.STRATEGY, NodeType.SOLUTION}),
    NodeType.STRATEGY: frozenset({NodeType.GOAL}),
}
"""Which node types may support which (GSN Community Standard v3, SupportedBy)."""

CONTEXT_TYPES = frozenset({NodeType.CONTEXT, NodeType.ASSUMPTION, NodeType.JUSTIFICATION})
"""Node types an InContextOf link may point to, and only from a goal or a strategy."""

CLAIM_TARGET_TYPES = frozenset({NodeType.GOAL, NodeType.SOLUTION, NodeType.ASSUMPTION})
"""Node types a test may carry evidence for."""


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
    extra: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass
class CaseFile:
    """A safety-case YAML file as loaded: its nodes in file order, header and metadata."""

    path: Path | None
    nodes: dict[str, Node]
    module: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def roots(self) -> list[str]:
        supported = {child for node in self.nodes.values() for child in node.supported_by}
        contexts = {ctx for node in self.nodes.values() for ctx in node.in_context_of}
        return [
            node_id
            for node_id, node in self.nodes.items()
            if node_id not in supported and node_id not in contexts
        ]


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as a test declares it with ``@claim(...)``."""

    id: str
    statement: str | None
    supports: str | None = None
    argument: str | None = None
    level: int | None = None
    nodeid: str = ""
    path: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "supports": self.supports,
            "argument": self.argument,
            "level": self.level,
            "nodeid": self.nodeid,
            "path": self.path,
            "line": self.line,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClaimSpec:
        return cls(**data)
