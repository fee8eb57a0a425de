"""Wording and figures shared by every report, so the terminal, Markdown, HTML and exports agree."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.verdict import SEVERITY, Verdict

RATE_KINDS = ("rate", "sequential-rate")

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


def short_number(value: Any) -> str:
    """A threshold or bound as written (0.9, not 0.900)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a" if value is None else str(value)
    return f"{value:g}"


def percent(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "n/a"
    return f"{value:.1%}"


def operator(record: dict[str, Any]) -> str:
    return "≥" if record.get("direction") == "at_least" else "≤"


def decisive_bound(record: dict[str, Any]) -> float | None:
    """The interval end the decision rests on: the lower bound for 'at least', else the upper."""
    bound = record.get("lower") if record.get("direction") == "at_least" else record.get("upper")
    return bound if isinstance(bound, int | float) and not isinstance(bound, bool) else None


def margin(record: dict[str, Any]) -> float | None:
    """How far the decisive bound clears the threshold (negative: it does not)."""
    bound, threshold = decisive_bound(record), record.get("threshold")
    if bound is None or not isinstance(threshold, int | float):
        return None
    return bound - threshold if record.get("direction") == "at_least" else threshold - bound


def rate_sentence(record: dict[str, Any]) -> str:
    """A rate in words: what was measured, what it tells us, what the claim needs."""
    name = f"{record['name']}: " if record.get("name") else ""
    confidence = record.get("confidence")
    level = f"{confidence:.0%}" if isinstance(confidence, int | float) else "the stated"
    need = "at least" if record.get("direction") == "at_least" else "at most"
    return (
        f"{name}{record.get('successes')} of {record.get('trials')} trials succeeded "
        f"({percent(record.get('estimate'))}). With {level} confidence the true rate is between "
        f"{percent(record.get('lower'))} and {percent(record.get('upper'))}; the claim needs "
        f"{need} {percent(record.get('threshold'))}."
    )


def value_sentence(record: dict[str, Any]) -> str:
    bounds = [
        f"{word} {short_number(record[key])}"
        for word, key in (("at least", "at_least"), ("at most", "at_most"))
        if record.get(key) is not None
    ]
    claim = f"; the claim needs it {' and '.join(bounds)}" if bounds else ""
    return f"{record.get('name')} measured {number(record.get('value'), 4)}{claim}."


def risk_sentence(record: dict[str, Any]) -> str:
    name = f"{record['name']}: " if record.get("name") else ""
    return (
        f"{name}the risk this part contributes is between {number(record.get('lower'), 4)} "
        f"and {number(record.get('upper'), 4)}."
    )


def ledger_sentence(ledger: dict[str, Any]) -> str:
    """A goal's risk budget against the union bound of the risks recorded beneath it."""
    count = len(ledger.get("contributions", []))
    return (
        f"Risk budget {short_number(ledger.get('budget'))}: the risks recorded beneath it "
        f"({count} contribution{'s' if count != 1 else ''}) add up to at most "
        f"{number(ledger.get('total'), 4)}."
    )


def record_sentence(record: dict[str, Any]) -> str:
    if record.get("kind") in RATE_KINDS:
        return rate_sentence(record)
    if record.get("kind") == "value":
        return value_sentence(record)
    if record.get("kind") == "risk":
        return risk_sentence(record)
    return ", ".join(f"{key}={value}" for key, value in record.items())


@dataclass(frozen=True)
class FigureRow:
    """One line of a claim table: a claim and one of its figures (or none)."""

    node: NodeResult
    record: dict[str, Any] | None

    @property
    def estimate(self) -> str:
        if self.record is None:
            return ""
        if self.record.get("kind") == "value":
            return number(self.record.get("value"), 4)
        return number(self.record.get("estimate"))

    @property
    def interval(self) -> str:
        if self.record is not None and self.record.get("kind") == "risk":
            lower, upper = number(self.record.get("lower")), number(self.record.get("upper"))
            return f"risk [{lower}, {upper}]"
        if self.record is None or self.record.get("kind") not in RATE_KINDS:
            return ""
        confidence = self.record.get("confidence")
        level = f" ({confidence:.0%})" if isinstance(confidence, int | float) else ""
        lower, upper = number(self.record.get("lower")), number(self.record.get("upper"))
        return f"[{lower}, {upper}]{level}"

    @property
    def trials(self) -> str:
        if self.record is None or self.record.get("kind") not in RATE_KINDS:
            return ""
        return f"{self.record.get('successes')}/{self.record.get('trials')}"

    @property
    def threshold(self) -> str:
        if self.record is None:
            return ""
        if self.record.get("kind") in RATE_KINDS:
            return f"{operator(self.record)} {short_number(self.record.get('threshold'))}"
        return " and ".join(
            f"{op} {short_number(self.record[key])}"
            for op, key in (("≥", "at_least"), ("≤", "at_most"))
            if self.record.get(key) is not None
        )


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
    return facts


MODEL_COLUMNS = ("calls", "input_tokens", "output_tokens", "cache_hits", "retries")


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
