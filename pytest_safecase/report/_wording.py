"""Wording and figures shared by every report, so the terminal, Markdown, HTML and exports agree."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.decision import shown_exactly, shown_number
from pytest_safecase.records import (
    RateFigure,
    RateRecord,
    Record,
    RiskLedger,
    RiskRecord,
    SequentialRateRecord,
    ValueRecord,
)
from pytest_safecase.verdict import SEVERITY, Verdict

VERDICT_WORDS: dict[Verdict, str] = {
    Verdict.SUPPORTED: "supported: the evidence clears the threshold",
    Verdict.REFUTED: "refuted: the evidence shows the claim does not hold",
    Verdict.ERROR: "error: the evaluation itself failed",
    Verdict.INCONCLUSIVE: "inconclusive: not enough evidence either way",
    Verdict.NOT_EVALUATED: "not evaluated: the tests did not run",
    Verdict.UNDEVELOPED: "undeveloped: no evidence or argument yet",
}
"""A verdict in plain words, for readers who are not engineers."""

VERDICT_COLOURS: dict[Verdict | None, tuple[str, str]] = {
    Verdict.SUPPORTED: ("#d7f5dd", "#1e7b34"),
    Verdict.REFUTED: ("#fbd5d5", "#b3261e"),
    Verdict.ERROR: ("#f7d9ee", "#8e2470"),
    Verdict.INCONCLUSIVE: ("#fdf0c4", "#946200"),
    Verdict.NOT_EVALUATED: ("#e6e6e6", "#555555"),
    Verdict.UNDEVELOPED: ("#dcecfb", "#1f5f9e"),
    None: ("#ffffff", "#777777"),
}
"""(fill, stroke) per verdict; None is a context or justification, which has no verdict."""

ACCEPTED_COLOURS = ("#fbf6e3", "#7a6420")
"""(fill, stroke) of an assumption accepted without evidence: it counts as supported, but must
not look like a tested claim, so it gets its own colour (and a dashed outline where drawn)."""


def accepted_without_evidence(node: NodeResult) -> bool:
    """An assumption that holds only because the case file says so (``x-accepted``)."""
    return node.type is NodeType.ASSUMPTION and node.accepted and not node.tests


def gate_words(result: CaseResult) -> str:
    """What the release gate (``--safecase-gate``) decides on this result."""
    if result.verdict is Verdict.SUPPORTED:
        return "pass: the root goal is supported"
    return f"BLOCKED: the root goal is {result.verdict.value}"


def attention(result: CaseResult) -> list[NodeResult]:
    """Every in-scope claim that is not supported, every undeveloped part and every risk budget
    that is not met, in tree order: what a reader must look at first."""
    return [
        node
        for node in result.walk(with_context=True)
        if node.in_scope
        and node.verdict not in (None, Verdict.SUPPORTED)
        and (node.is_claim or is_open_leaf(node) or _budget_unmet(node))
    ]


def _budget_unmet(node: NodeResult) -> bool:
    return node.risk is not None and node.risk.decide()[0] is not Verdict.SUPPORTED


def headline(result: CaseResult) -> str:
    """One plain-language sentence: is the case supported, and if not, what is wrong."""
    counts = result.counts()
    total = sum(counts.values())
    noun = "claim" if total == 1 else "claims"
    if result.verdict is Verdict.SUPPORTED:
        return f"The safety case is supported: all {total} {noun} hold."
    problems = [
        f"{counts[verdict]} {_verdict_phrase(verdict, counts[verdict])}"
        for verdict in SEVERITY
        if verdict is not Verdict.SUPPORTED and counts[verdict]
    ]
    open_parts = sum(1 for node in result.walk() if node.in_scope and is_open_leaf(node))
    if open_parts:
        problems.append(
            f"{open_parts} part{'s' if open_parts != 1 else ''} of the argument undeveloped"
        )
    detail = ", ".join(problems) if problems else f"the root goal is {result.verdict.value}"
    tally = f" ({counts[Verdict.SUPPORTED]} of {total} {noun} supported)" if total else ""
    return f"The safety case is NOT supported: {detail}{tally}."


def _verdict_phrase(verdict: Verdict, count: int) -> str:
    claims = "claim" if count == 1 else "claims"
    if verdict is Verdict.ERROR:
        return f"{claims} could not be evaluated (error)"
    return f"{claims} {verdict.value.replace('-', ' ')}"


def number(value: Any, digits: int = 3) -> str:
    """A figure for a table; 'n/a' for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a" if value is None else str(value)
    return f"{value:.{digits}f}"


def percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return f"{value:.1%}"


def rate_sentence(record: RateFigure) -> str:
    """A rate in words: what was measured, what it tells us, what the claim needs."""
    name = f"{record.name}: " if record.name else ""
    decision = record.decision
    lower, upper = decision.shown_bounds(1, percent=True)
    return (
        f"{name}{decision.successes} of {decision.trials} trials succeeded "
        f"({percent(record.estimate)}). With {decision.confidence:.0%} confidence the true rate "
        f"is between {lower}% and {upper}%; the claim needs "
        f"{decision.direction.words} {decision.shown_threshold(percent=True)}%."
    )


def value_sentence(record: ValueRecord) -> str:
    bounds = [f"{direction.words} {shown_exactly(bound)}" for direction, bound in record.bounds()]
    claim = f"; the claim needs it {' and '.join(bounds)}" if bounds else ""
    return f"{record.name} measured {record.shown_value()}{claim}."


def risk_interval(record: RiskRecord, digits: int = 4) -> tuple[str, str]:
    """A recorded risk's bounds, rounded outward."""
    return (
        shown_number(record.lower, (), ROUND_FLOOR, digits),
        shown_number(record.upper, (), ROUND_CEILING, digits),
    )


def risk_sentence(record: RiskRecord) -> str:
    name = f"{record.name}: " if record.name else ""
    lower, upper = risk_interval(record)
    return f"{name}the risk this part contributes is between {lower} and {upper}."


def ledger_sentence(ledger: RiskLedger) -> str:
    """A goal's risk budget against the union bound of the risks recorded beneath it; with
    nothing recorded, why the budget is not argued."""
    budget = f"Risk budget {shown_exactly(ledger.budget)}"
    if not ledger.contributions:
        return f"{budget}: not argued, {ledger.decide()[1]}."
    count = len(ledger.contributions)
    return (
        f"{budget}: the risks recorded beneath it "
        f"({count} contribution{'s' if count != 1 else ''}) add up to at most "
        f"{ledger.shown_total()}."
    )


_EXCEPTION_FIRST = re.compile(r"(in \w+: )?(?:[A-Za-z_]\w*\.)*([A-Z]\w*): (.+)", re.DOTALL)


def message_first(message: str) -> str:
    """A test's message with what happened first: ``pkg.errors.ModelError: model x failed``
    reads ``model x failed (ModelError)``, so a cut line loses the class, not the message."""
    match = _EXCEPTION_FIRST.fullmatch(message)
    if match is None:
        return message
    where, name, text = match.groups()
    return f"{where or ''}{text} ({name})"


def record_sentence(record: Record) -> str:
    if isinstance(record, ValueRecord):
        return value_sentence(record)
    if isinstance(record, RiskRecord):
        return risk_sentence(record)
    return rate_sentence(record)


@dataclass(frozen=True)
class FigureRow:
    """One line of a claim table: a claim and one of its figures (or none)."""

    node: NodeResult
    record: Record | None

    @property
    def estimate(self) -> str:
        if isinstance(self.record, ValueRecord):
            return self.record.shown_value()
        if isinstance(self.record, RateRecord | SequentialRateRecord):
            return number(self.record.estimate)
        return "" if self.record is None else "n/a"  # a risk bound has no point estimate

    @property
    def interval(self) -> str:
        if isinstance(self.record, RiskRecord):
            lower, upper = risk_interval(self.record)
            return f"risk [{lower}, {upper}]"
        if not isinstance(self.record, RateRecord | SequentialRateRecord):
            return ""
        decision = self.record.decision
        lower, upper = decision.shown_bounds()
        return f"[{lower}, {upper}] ({decision.confidence:.0%})"

    @property
    def trials(self) -> str:
        if not isinstance(self.record, RateRecord | SequentialRateRecord):
            return ""
        return f"{self.record.decision.successes}/{self.record.decision.trials}"

    @property
    def threshold(self) -> str:
        if isinstance(self.record, RateRecord | SequentialRateRecord):
            decision = self.record.decision
            return f"{decision.direction.symbol} {decision.shown_threshold()}"
        if isinstance(self.record, ValueRecord):
            return " and ".join(
                f"{direction.symbol} {shown_exactly(bound)}"
                for direction, bound in self.record.bounds()
            )
        return ""


def figure_rows(result: CaseResult) -> list[FigureRow]:
    """Every claim in tree order, one row per figure its tests recorded (one row if none)."""
    rows: list[FigureRow] = []
    for node in result.claims():
        records = [record for test in node.tests for record in test.evidence]
        rows.extend(FigureRow(node, record) for record in records)
        if not records:
            rows.append(FigureRow(node, None))
    return rows


def context_nodes(result: CaseResult) -> list[NodeResult]:
    """Contexts, assumptions and justifications in the order the argument mentions them."""
    seen: dict[str, NodeResult] = {}
    for node in result.walk():
        for ctx_id in node.in_context_of:
            if ctx_id in result.nodes:
                seen.setdefault(ctx_id, result.nodes[ctx_id])
    return list(seen.values())


def is_open_leaf(node: NodeResult) -> bool:
    """An undeveloped node in its own right (not merely above one): a place to do more work."""
    if node.verdict is not Verdict.UNDEVELOPED or node.is_claim:
        return False
    return node.undeveloped or not node.supported_by or node.type is NodeType.ASSUMPTION


def run_facts(run_info: dict[str, Any]) -> list[tuple[str, str]]:
    """The run's identity as (label, value) pairs, skipping what the plugin did not provide."""
    facts: list[tuple[str, str]] = []
    labels = (
        ("plugin_version", "pytest-safecase"),
        ("python", "Python"),
        ("pytest", "pytest"),
        ("platform", "Platform"),
        ("git_commit", "Git commit"),
        ("started", "Started"),
        ("finished", "Finished"),
        ("seed", "Seed"),
    )
    for key, label in labels:
        if run_info.get(key) not in (None, ""):
            facts.append((label, str(run_info[key])))
    args = run_info.get("args")
    if args:
        facts.append(
            ("Arguments", " ".join(map(str, args)) if isinstance(args, list) else str(args))
        )
    tasks = run_info.get("tasks")
    if isinstance(tasks, dict):
        described = ", ".join(
            f"{key} {tasks[key]}" for key in ("name", "size", "content_hash") if tasks.get(key)
        )
        facts.append(("Task set", described))
    reused = reused_evidence(run_info)
    if reused:
        facts.append(("Reused evidence", reused))
    return facts


def reused_evidence(run_info: dict[str, Any]) -> str:
    """Results this run took from an earlier one (what, key, when), or empty: reused evidence
    must never pass for fresh."""
    reused = run_info.get("reused")
    return "; ".join(
        f"{item.get('what')} {item.get('key')} computed at {item.get('computed_at')}"
        for item in (reused if isinstance(reused, list) else [])
        if isinstance(item, dict)
    )


MODEL_COLUMNS = (
    "calls",
    "input_tokens",
    "output_tokens",
    "cache_hits",
    "retries",
    "errors",
    "incomplete",
)


def model_rows(run_info: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(role, spec, usage figures in MODEL_COLUMNS order) for every model the run used."""
    models = run_info.get("models")
    if not isinstance(models, dict):
        return []
    rows = []
    for role, usage in models.items():
        usage = usage if isinstance(usage, dict) else {}
        figures = [str(usage.get(column, "")) for column in MODEL_COLUMNS]
        rows.append((str(role), str(usage.get("spec", "")), figures))
    return rows
