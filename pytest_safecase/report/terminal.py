"""The argument as text for the terminal: a tree with a mark per node, and a one-line summary.

Every line passes through :func:`visible`: ids, texts and messages come from the case file, the
tests and models, and a raw escape sequence among them could rewrite what the reviewer sees.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import ROUND_CEILING

from pytest_safecase._escape import visible
from pytest_safecase._secrets import redact, secret_values
from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.decision import shown_exactly, shown_number
from pytest_safecase.records import (
    RateRecord,
    Record,
    RiskLedger,
    SequentialRateRecord,
    ValueRecord,
)
from pytest_safecase.report._wording import (
    accepted_without_evidence,
    message_first,
    number,
)
from pytest_safecase.verdict import TERMINAL_MARKUP, Verdict

MAX_WIDTH = 100
Line = tuple[str, dict[str, bool]]


def tree_lines(
    result: CaseResult,
    width: int = MAX_WIDTH,
    *,
    wrap: bool = False,
    env: Mapping[str, str] = os.environ,
) -> list[Line]:
    """The whole argument, depth first, one node a line plus figure lines under claims.

    A line too long for ``width`` loses prose, never figures: a figure line keeps its estimate,
    interval, n and threshold whole and shortens the name before them. With ``wrap`` (pytest's
    ``-v``) long lines continue on the next line instead. The walk keeps its own stack, so an
    argument chain longer than Python's recursion limit prints like any other. Secret values in
    ``env`` are redacted, as from every report file (notes and messages may echo them).
    """
    width = min(width, MAX_WIDTH)
    secrets = secret_values(env)
    lines: list[Line] = []
    shown: set[str] = set()

    def add(
        indent: str, prose: str, figure: str = "", markup: dict[str, bool] | None = None
    ) -> None:
        for text in _fit(indent, redact(prose, secrets), figure, width, wrap):
            lines.append((text, markup or {}))

    # (node, prefix, branch, last): a node to print, its parent's indent and its own branch.
    stack: list[tuple[NodeResult, str, str, bool]] = [(result.nodes[result.root], "", "", True)]
    while stack:
        node, prefix, branch, last = stack.pop()
        if node.id in shown:
            add(prefix + branch, f"↑ {node.id} (shown above)")
            continue
        shown.add(node.id)
        markup = TERMINAL_MARKUP.get(node.verdict, {}) if node.verdict else {}
        add(prefix + branch, _headline(node), "", markup)
        inner = prefix + ("" if not branch else "   " if last else "│  ")
        for prose, figure in _details(node, result):
            add(inner + "   ", prose, figure)
        children = [result.nodes[child] for child in node.supported_by]
        for index in reversed(range(len(children))):  # pushed last first: popped in order
            is_last = index == len(children) - 1
            stack.append((children[index], inner, "└─ " if is_last else "├─ ", is_last))
    return lines


def summary_line(result: CaseResult, *, gate: bool = False) -> Line:
    """One line: the root verdict, claim counts, level reached, and the gate's decision."""
    return visible(result.summary(gate=gate)), TERMINAL_MARKUP[result.verdict]


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


Detail = tuple[str, str]
"""(prose, figure): the prose may be shortened to fit a line, the figure never is."""


def _details(node: NodeResult, result: CaseResult) -> list[Detail]:
    details: list[Detail] = []
    for ctx_id in node.in_context_of:
        ctx = result.nodes[ctx_id]
        label = ctx.type.value.lower()
        if ctx.type is NodeType.ASSUMPTION and ctx.verdict is not None:
            accepted = accepted_without_evidence(ctx)
            label += " (accepted without evidence)" if accepted else f" ({ctx.verdict.value})"
        details.append((f"↳ {ctx.id} {label}: {ctx.text}", ""))
    for test in node.tests:
        figures = [(_mark(record), record) for record in test.evidence if _figure(record)]
        for mark, record in figures:
            after = " " if isinstance(record, ValueRecord) else ": "  # "x = 1", "rate: 0.9 [...]"
            details.append(
                (f"{mark} {record.name}{after}" if record.name else f"{mark} ", _figure(record))
            )
        short = test.nodeid.split("::")[-1]
        if test.verdict is not Verdict.SUPPORTED and test.message and not figures:
            details.append((f"{test.verdict.mark} {message_first(test.message)} ({short})", ""))
        elif len(node.tests) > 1 and not figures:
            details.append((f"{test.verdict.mark} {short}", ""))
        details.extend((f"note: {note}", "") for note in test.notes)
    if node.risk is not None:
        details.extend(_ledger_lines(node.risk))
    unexplained = not node.tests and (not node.supported_by or node.reason.startswith("assumption"))
    if node.verdict not in (None, Verdict.SUPPORTED) and unexplained and node.reason:
        details.append((f"why: {node.reason}", ""))
    return details


def _mark(record: Record) -> str:
    """A record's own verdict mark; a plain measurement without a bound decides nothing."""
    return record.verdict.mark if record.verdict else "·"


def _figure(record: Record) -> str:
    """A record's figures without its name (the name is prose, the figure is kept whole)."""
    if isinstance(record, RateRecord | SequentialRateRecord):
        decision = record.decision
        lower, upper = decision.shown_bounds()
        return (
            f"{number(record.estimate)} [{lower}, {upper}] "
            f"n={decision.trials} claim {decision.direction.symbol} {decision.shown_threshold()}"
        )
    if isinstance(record, ValueRecord):
        bounds = [
            f"{direction.symbol} {shown_exactly(bound)}" for direction, bound in record.bounds()
        ]
        claim = f" claim {' and '.join(bounds)}" if bounds else ""
        return f"= {record.shown_value()}{claim}"
    return ""


def _fit(indent: str, prose: str, figure: str, width: int, wrap: bool) -> list[str]:
    """One line (or, wrapping, several) of at most ``width`` characters where that can be had
    without cutting the figure: the prose is shortened (or wrapped) instead."""
    indent, prose, figure = visible(indent), visible(prose), visible(figure)
    room = width - len(indent) - len(figure)
    if len(prose) <= room:
        return [indent + prose + figure]
    if wrap:
        continued = " " * len(indent) + "  "
        first, rest = _split(prose, max(room, 20))
        lines = [indent + first]
        while len(rest) + len(figure) > width - len(continued):
            piece, rest = _split(rest, max(width - len(continued), 20))
            lines.append(continued + piece)
        return [*lines, continued + rest + figure]
    keep = max(room - 1, 0)
    return [indent + prose[:keep] + "…" + figure if prose else indent + figure]


def _split(text: str, room: int) -> tuple[str, str]:
    """``text`` cut at the last space within ``room`` characters (or at ``room``)."""
    cut = text.rfind(" ", 0, room + 1)
    cut = cut if cut > 0 else room
    return text[:cut].rstrip(), text[cut:].lstrip()


def _ledger_lines(ledger: RiskLedger) -> list[Detail]:
    """The risk ledger: each contribution, the union-bound total and the budget, or why no
    total could be formed."""
    lines: list[Detail] = [("risk ledger (union bound over subsystems):", "")]
    budget = shown_exactly(ledger.budget)
    if not ledger.contributions:
        why = ledger.decide()[1]
        return [*lines, (f"  = no total: {why}", f"; budget {budget} not argued")]
    for item in ledger.contributions:
        upper = shown_number(item.risk.upper, (), ROUND_CEILING, 4)
        lines.append((f"  + {upper}  {item.claim}: {item.risk.name}", ""))
    verdict = "within" if ledger.decide()[0] is Verdict.SUPPORTED else "EXCEEDS"
    lines.append(("  ", f"= {ledger.shown_total()}  total, {verdict} budget {budget}"))
    return lines
