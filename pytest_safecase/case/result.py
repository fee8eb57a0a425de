"""The evaluated argument: every node with its verdict and reason, every test with its evidence.

This is what every report renders; it round-trips through JSON so reports can be re-rendered later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_safecase.case.model import NodeType, relation_ends
from pytest_safecase.verdict import Verdict

if TYPE_CHECKING:  # evidence records load with the first evidence: plain claims never need them
    from pytest_safecase.records import Record, RiskLedger


@dataclass
class TestOutcome:
    """One test (or one parametrized case) that is evidence for a claim."""

    __test__ = False  # a data class, not a pytest test class

    nodeid: str
    verdict: Verdict
    duration: float = 0.0
    message: str = ""
    evidence: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""
    line: int | None = None
    usage: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)  # shallow on purpose: the other fields are already JSON-safe
        data["verdict"] = self.verdict.value
        data["evidence"] = [record.to_dict() for record in self.evidence]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestOutcome:
        from pytest_safecase.records import record_from_dict

        return cls(
            **{
                **data,
                "verdict": Verdict(data["verdict"]),
                "evidence": [record_from_dict(record) for record in data.get("evidence", [])],
            }
        )


@dataclass
class NodeResult:
    """A node of the evaluated argument."""

    id: str
    type: NodeType
    text: str
    verdict: Verdict | None
    """None for contexts and justifications, which carry no verdict."""
    reason: str = ""
    supported_by: list[str] = field(default_factory=list)
    in_context_of: list[str] = field(default_factory=list)
    level: int | None = None
    argument: str | None = None
    undeveloped: bool = False
    challenges: list[str] = field(default_factory=list)
    """What this counter-goal or counter-solution challenges: node ids or ``A -> B`` relations."""
    defeated: bool = False
    """Marked ``defeated: true`` by the case's author."""
    accepted: bool = False
    in_scope: bool = True
    """False when the node lies above the adoption level this run was limited to."""
    from_tests: bool = False
    """True when the node was declared by a test rather than written in the case file."""
    line: int | None = None
    tests: list[TestOutcome] = field(default_factory=list)
    risk: RiskLedger | None = None
    """The risk ledger of a goal with an ``x-risk-budget``."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_claim(self) -> bool:
        """A node that tests carry evidence for."""
        return bool(self.tests)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["type"] = self.type.value
        data["verdict"] = self.verdict.value if self.verdict else None
        data["tests"] = [test.to_dict() for test in self.tests]
        data["risk"] = self.risk.to_dict() if self.risk else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeResult:
        from pytest_safecase.records import RiskLedger

        return cls(
            **{
                **data,
                "type": NodeType(data["type"]),
                "verdict": Verdict(data["verdict"]) if data["verdict"] else None,
                "tests": [TestOutcome.from_dict(test) for test in data["tests"]],
                "risk": RiskLedger.from_dict(data["risk"]) if data.get("risk") else None,
            }
        )


@dataclass
class CaseResult:
    """The whole evaluated safety case."""

    root: str
    nodes: dict[str, NodeResult]
    source: str | None = None
    module: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    levels: list[int] = field(default_factory=list)
    level_limit: int | None = None
    level_reached: int | None = None

    @property
    def verdict(self) -> Verdict:
        verdict = self.nodes[self.root].verdict
        assert verdict is not None
        return verdict

    def claims(self) -> list[NodeResult]:
        """Nodes that tests carry evidence for (assumptions included), in tree order."""
        return [node for node in self.walk(with_context=True) if node.is_claim]

    def counts(self) -> dict[Verdict, int]:
        """How many in-scope claims ended in each verdict."""
        counts = dict.fromkeys(Verdict, 0)
        for node in self.claims():
            if node.verdict is not None and node.in_scope:
                counts[node.verdict] += 1
        return counts

    def level_words(self) -> str:
        """'level reached: 2 of 4', or '' for a case without adoption levels."""
        if not self.levels:
            return ""
        top = self.level_limit if self.level_limit is not None else max(self.levels)
        return f"level reached: {self.level_reached or 0} of {top}"

    def summary(self, *, gate: bool = False) -> str:
        """One line: the root verdict, claim counts, level reached, and the gate's decision.

        Plain text, so the plugin can print it without loading the report formats."""
        counts = self.counts()
        total = sum(counts.values())
        parts = [f"{n} {verdict.value}" for verdict, n in counts.items() if n]
        text = f"safety case {self.root}: {self.verdict.value.upper()}"
        text += f" | {total} claim{'s' if total != 1 else ''}" + (
            f": {', '.join(parts)}" if parts else ""
        )
        out_of_scope = sum(1 for node in self.claims() if not node.in_scope)
        if out_of_scope:
            text += f" | {out_of_scope} above level {self.level_limit}"
        if self.levels:
            text += f" | {self.level_words()}"
        if gate:
            text += " | gate: " + ("pass" if self.verdict is Verdict.SUPPORTED else "BLOCKED")
        return text

    def challengers(self) -> dict[str, list[str]]:
        """For each challenged node, the counter-nodes challenging it or one of its relations
        (a relation ``A -> B`` is filed under A)."""
        found: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for target in node.challenges:
                ends = relation_ends(target)
                found.setdefault(ends[0] if ends else target, []).append(node.id)
        return found

    def walk(self, *, with_context: bool = False) -> list[NodeResult]:
        """Every node reachable from the root through supportedBy (and inContextOf and challenges,
        if asked), depth first, each once (an explicit stack: a long chain must not overflow
        Python's)."""
        challengers = self.challengers() if with_context else {}
        seen: set[str] = set()
        order: list[NodeResult] = []
        stack = [self.root]
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = self.nodes[node_id]
            order.append(node)
            children = [
                *(node.in_context_of if with_context else ()),
                *node.supported_by,
                *challengers.get(node_id, ()),
            ]
            stack.extend(reversed(children))
        return order

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "verdict": self.verdict.value,
            "source": self.source,
            "module": self.module,
            "metadata": self.metadata,
            "levels": self.levels,
            "level_limit": self.level_limit,
            "level_reached": self.level_reached,
            "counts": {verdict.value: n for verdict, n in self.counts().items()},
            "nodes": [node.to_dict() for node in self.nodes.values()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        nodes = [NodeResult.from_dict(node) for node in data["nodes"]]
        return cls(
            root=data["root"],
            nodes={node.id: node for node in nodes},
            source=data.get("source"),
            module=data.get("module", {}),
            metadata=data.get("metadata", {}),
            levels=data.get("levels", []),
            level_limit=data.get("level_limit"),
            level_reached=data.get("level_reached"),
        )
