"""The argument as text for the terminal: a tree with a mark per node, and a one-line summary.

Every line passes through :func:`visible`: ids, texts and messages come from the case file, the
tests and models, and a raw escape sequence among them could rewrite what the reviewer sees.
"""

from __future__ import annotations

from pytest_safecase._escape import visible
from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.records import (
    RateRecord,
    Record,
    RiskLedger,
    SequentialRateRecord,
    ValueRecord,
)
from pytest_safecase.verdict import Verdict

MAX_WIDTH = 100
Line = tuple[str, dict[str, bool]]

COLOURS: dict[Verdict, dict[str, bool]] = {
    Verdict.SUPPORTED: {"green": True},
    Verdict.REFUTED: {"red": True, "bold": True},
    Verdict.ERROR: {"red": True},
    Verdict.INCONCLUSIVE: {"yellow": True},
    Verdict.NOT_EVALUATED: {},
    Verdict.UNDEVELOPED: {"cyan": True},
}


def tree_lines(result: CaseResult, width: int = MAX_WIDTH) -> list[Line]:
    """The whole argument, depth first, one node a line plus figure lines under claims.

    The walk keeps its own stack, so an argument chain longer than Python's recursion limit
    prints like any other.
    """
    width = min(width, MAX_WIDTH)
    lines: list[Line] = []
    shown: set[str] = set()
    # (node, prefix, branch, last): a node to print, its parent's indent and its own branch.
    stack: list[tuple[NodeResult, str, str, bool]] = [(result.nodes[result.root], "", "", True)]
    while stack:
        node, prefix, branch, last = stack.pop()
        if node.id in shown:
            lines.append((_fit(f"{prefix}{branch}↑ {node.id} (shown above)", width), {}))
            continue
        shown.add(node.id)
        markup = COLOURS.get(node.verdict, {}) if node.verdict else {}
        lines.append((_fit(prefix + branch + _headline(node), width), markup))
        inner = prefix + ("" if not branch else "   " if last else "│  ")
        for detail in _details(node, result):
            lines.append((_fit(inner + "   " + detail, width), {}))
        children = [result.nodes[child] for child in node.supported_by]
        for index in reversed(range(len(children))):  # pushed last first: popped in order
            is_last = index == len(children) - 1
            stack.append((children[index], inner, "└─ " if is_last else "├─ ", is_last))
    return lines


def summary_line(result: CaseResult, *, gate: bool = False) -> Line:
    """One line: the root verdict, claim counts, level reached, and the gate's decision."""
    text, markup = _counts_line(result)
    if gate:
        text += " | gate: " + ("pass" if result.verdict is Verdict.SUPPORTED else "BLOCKED")
    return text, markup


def _counts_line(result: CaseResult) -> Line:
    counts = result.counts()
    total = sum(counts.values())
    parts = [f"{n} {verdict.value}" for verdict, n in counts.items() if n]
    text = f"safety case {result.root}: {result.verdict.value.upper()}"
    text += f" | {total} claim{'s' if total != 1 else ''}" + (
        f": {', '.join(parts)}" if parts else ""
    )
    out_of_scope = sum(1 for node in result.claims() if not node.in_scope)
    if out_of_scope:
        text += f" | {out_of_scope} above level {result.level_limit}"
    if result.levels:
        top = result.level_limit if result.level_limit is not None else max(result.levels)
        text += f" | level reached: {result.level_reached} of {top}"
    return visible(text), COLOURS[result.verdict]


def _headline(node: NodeResult) -> str:
    mark = node.verdict.mark if node.verdict else "·"
    tags = []
    if node.level is not None:
        tags.append(f"L{node.level}")
    if node.argument:
        tags.append(node.argument)
    if not node.in_scope:
        tags.append("out of scope")
    tag = f" [{' '.join(tags)}]" if tags else ""
    status = (
        f" ({node.verdict.value})" if node.verdict and node.verdict is not Verdict.SUPPORTED else ""
    )
    kind = "" if node.type in (NodeType.GOAL,) else f"{node.type.value.lower()} "
    return f"{mark} {node.id}{tag}{status} {kind}{node.text}"


def _details(node: NodeResult, result: CaseResult) -> list[str]:
    details: list[str] = []
    for ctx_id in node.in_context_of:
        ctx = result.nodes[ctx_id]
        label = ctx.type.value.lower()
        if ctx.type is NodeType.ASSUMPTION and ctx.verdict is not None:
            accepted = ctx.accepted and not ctx.tests
            label += " (accepted without evidence)" if accepted else f" ({ctx.verdict.value})"
        details.append(f"↳ {ctx.id} {label}: {ctx.text}")
    for test in node.tests:
        figures = [(_mark(record), _figure(record)) for record in test.evidence]
        figures = [(mark, figure) for mark, figure in figures if figure]
        if figures:
            details.extend(f"{mark} {figure}" for mark, figure in figures)
        if test.verdict is not Verdict.SUPPORTED and test.message and not figures:
            details.append(f"{test.verdict.mark} {test.nodeid.split('::')[-1]}: {test.message}")
        elif len(node.tests) > 1 and not figures:
            details.append(f"{test.verdict.mark} {test.nodeid.split('::')[-1]}")
    if node.risk is not None:
        details.extend(_ledger_lines(node.risk))
    unexplained = not node.tests and (not node.supported_by or node.reason.startswith("assumption"))
    if node.verdict not in (None, Verdict.SUPPORTED) and unexplained and node.reason:
        details.append(f"why: {node.reason}")
    return details


def _mark(record: Record) -> str:
    """A record's own verdict mark; a plain measurement without a bound decides nothing."""
    return record.verdict.mark if record.verdict else "·"


def _figure(record: Record) -> str:
    if isinstance(record, RateRecord | SequentialRateRecord):
        decision = record.decision
        name = f"{record.name}: " if record.name else ""
        shown = "n/a" if record.estimate is None else f"{record.estimate:.3f}"
        return (
            f"{name}{shown} [{decision.lower:.3f}, {decision.upper:.3f}] "
            f"n={decision.trials} claim {decision.direction.symbol} {decision.threshold:g}"
        )
    if isinstance(record, ValueRecord):
        bounds = [f"{direction.symbol} {bound:g}" for direction, bound in record.bounds()]
        claim = f" claim {' and '.join(bounds)}" if bounds else ""
        return f"{record.name} = {record.value:.4g}{claim}"
    return ""


def _fit(text: str, width: int) -> str:
    text = visible(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _ledger_lines(ledger: RiskLedger) -> list[str]:
    """The risk ledger: each contribution, the union-bound total and the budget."""
    lines = ["risk ledger (union bound over subsystems):"]
    for item in ledger.contributions or ():
        lines.append(f"  + {item.risk.upper:.4g}  {item.claim}: {item.risk.name}")
    total, budget = 0.0 if ledger.total is None else ledger.total, ledger.budget
    verdict = "within" if total <= budget else "EXCEEDS"
    lines.append(f"  = {total:.4g}  total, {verdict} budget {budget:g}")
    return lines
