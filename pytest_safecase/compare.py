"""Comparing two reports (release candidates): which claims changed verdict or moved their bound.

A regression is a claim or goal whose verdict got worse (by
:data:`pytest_safecase.verdict.SEVERITY`), a claim that disappeared (dropping a claim must not
pass unnoticed), or a measurement creeping toward its bound while still supported: a rate's
decisive bound toward its threshold, a value toward its bound, a risk ledger's total toward its
budget. New claims are listed but are not regressions: the release gate already judges them.

Only root causes count: a goal that got worse because something beneath it regressed is listed
as following from it, not counted again. ``tolerance`` ignores moves of at most that much;
``within_noise`` (off by default) also lets a rate's bound move when each run's observed rate
lies inside the other run's interval, which sampling alone explains.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.decision import Direction, shown_exactly
from pytest_safecase.records import (
    RateFigure,
    RateRecord,
    Record,
    SequentialRateRecord,
    ValueRecord,
)
from pytest_safecase.report._wording import number
from pytest_safecase.verdict import SEVERITY, Verdict


@dataclass(frozen=True)
class Change:
    claim: str
    figure: str
    """The figure's name (``test::name``), or '' for the claim's verdict itself."""
    old: str
    new: str
    what: str
    regression: bool


def diff_results(
    old: CaseResult, new: CaseResult, *, tolerance: float = 0.0, within_noise: bool = False
) -> list[Change]:
    """Every claim-level difference between ``old`` and ``new``, in the new tree's order."""
    old_claims = {node.id: node for node in old.claims()}
    new_claims = {node.id: node for node in new.claims()}
    changes: list[Change] = []
    for claim_id, node in new_claims.items():
        before = old_claims.get(claim_id)
        if before is None:
            changes.append(Change(claim_id, "", "—", _verdict(node), "added", regression=False))
            continue
        changes.extend(_verdict_change(before, node))
        changes.extend(_bound_changes(before, node, tolerance, within_noise))
        changes.extend(_value_changes(before, node, tolerance))
    for claim_id, node in old_claims.items():
        if claim_id not in new_claims:
            changes.append(Change(claim_id, "", _verdict(node), "—", "removed", regression=True))
    # Goals decided by more than their claims (a risk ledger, an assumption, the root) count too.
    goals: list[Change] = []
    for node_id, node in new.nodes.items():
        before = old.nodes.get(node_id)
        if before is not None and node_id not in new_claims and not node.is_claim:
            changes.extend(_ledger_change(before, node, tolerance))
            goals.extend(_verdict_change(before, node))
    return changes + _root_causes(old, new, goals, changes + goals)


def _root_causes(
    old: CaseResult, new: CaseResult, found: list[Change], every: list[Change]
) -> list[Change]:
    """A goal's worse verdict, counted only when nothing beneath it (in either run) regressed:
    otherwise it follows from that, and is listed with the root causes it follows from."""
    below = {
        change.claim: _beneath(new, change.claim) | _beneath(old, change.claim) for change in found
    }

    def regressed_below(change: Change, changes: list[Change]) -> list[str]:
        return sorted({c.claim for c in changes if c.regression and c.claim in below[change.claim]})

    follows = [change for change in found if change.regression and regressed_below(change, every)]
    causes = [change for change in every if change not in follows]
    kept = []
    for change in found:
        if change in follows:
            named = regressed_below(change, causes)
            more = f" (+{len(named) - 3} more)" if len(named) > 3 else ""
            what = f"{change.what}, follows from {', '.join(named[:3])}{more}"
            change = Change(change.claim, "", change.old, change.new, what, regression=False)
        kept.append(change)
    return kept


def _beneath(result: CaseResult, node_id: str) -> set[str]:
    """Every node ``node_id`` rests on in ``result``: supporters, assumptions, challengers."""
    if node_id not in result.nodes:
        return set()
    challengers = result.challengers()
    seen: set[str] = set()
    stack = [node_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in result.nodes:
            continue
        seen.add(current)
        node = result.nodes[current]
        stack.extend([*node.supported_by, *node.in_context_of, *challengers.get(current, ())])
    return seen - {node_id}


def _verdict_change(old: NodeResult, new: NodeResult) -> list[Change]:
    if old.verdict == new.verdict or old.verdict is None or new.verdict is None:
        return []
    worse = SEVERITY.index(new.verdict) < SEVERITY.index(old.verdict)
    what = "verdict worse" if worse else "verdict better"
    return [Change(new.id, "", old.verdict.value, new.verdict.value, what, regression=worse)]


def _bound_changes(
    old: NodeResult, new: NodeResult, tolerance: float, within_noise: bool
) -> list[Change]:
    old_figures = _figures(old)
    changes = []
    for key, record in _figures(new).items():
        before = old_figures.get(key)
        if not isinstance(record, RateRecord | SequentialRateRecord):
            continue
        if not isinstance(before, RateRecord | SequentialRateRecord):
            continue
        old_margin, new_margin = before.margin(), record.margin()
        if abs(new_margin - old_margin) <= tolerance:
            continue
        toward = new_margin < old_margin
        noise = within_noise and _within_noise(before, record)
        side = "lower" if record.decision.direction is Direction.AT_LEAST else "upper"
        what = f"{side} bound moved {'toward' if toward else 'away from'} threshold " + (
            shown_exactly(record.decision.threshold)
        )
        what += " (within sampling noise)" if noise and toward else ""
        changes.append(
            Change(
                new.id,
                key,
                number(before.decisive_bound(), 4),
                number(record.decisive_bound(), 4),
                what,
                regression=toward and not noise and new.verdict is Verdict.SUPPORTED,
            )
        )
    return changes


def _within_noise(old: RateFigure, new: RateFigure) -> bool:
    """Each run's observed rate lies inside the other run's interval: the two are consistent
    with one true rate, and the bound's move is what sampling alone gives."""
    old_estimate, new_estimate = old.estimate, new.estimate
    if old_estimate is None or new_estimate is None:
        return False
    return (
        new.decision.lower <= old_estimate <= new.decision.upper
        and old.decision.lower <= new_estimate <= old.decision.upper
    )


def _value_changes(old: NodeResult, new: NodeResult, tolerance: float) -> list[Change]:
    """A bounded measurement (``evidence.value``) creeping toward its bound."""
    old_values = _figures(old)
    changes = []
    for key, record in _figures(new).items():
        before = old_values.get(key)
        if not isinstance(record, ValueRecord) or not isinstance(before, ValueRecord):
            continue
        if not record.bounds() or abs(record.value - before.value) <= tolerance:
            continue
        gaps = [(_gap(before.value, d, b), _gap(record.value, d, b)) for d, b in record.bounds()]
        toward = min(gap for _, gap in gaps) < min(gap for gap, _ in gaps)
        what = f"value moved {'toward' if toward else 'away from'} its bound"
        changes.append(
            Change(
                new.id,
                key,
                before.shown_value(),
                record.shown_value(),
                what,
                regression=toward and new.verdict is Verdict.SUPPORTED,
            )
        )
    return changes


def _gap(value: float, direction: Direction, bound: float) -> float:
    return value - bound if direction is Direction.AT_LEAST else bound - value


def _ledger_change(old: NodeResult, new: NodeResult, tolerance: float) -> list[Change]:
    """A risk ledger's total creeping toward its budget."""
    if old.risk is None or new.risk is None:
        return []
    before, after = old.risk.total, new.risk.total
    if before is None or after is None or abs(after - before) <= tolerance:
        return []
    toward = after > before
    what = f"risk total moved {'toward' if toward else 'away from'} budget " + (
        shown_exactly(new.risk.budget)
    )
    regression = toward and new.verdict is Verdict.SUPPORTED
    return [
        Change(
            new.id, "risk ledger", old.risk.shown_total(), new.risk.shown_total(), what, regression
        )
    ]


def _figures(node: NodeResult) -> dict[str, Record]:
    """Records keyed by test name and figure name (or position), stable across runs."""
    figures: dict[str, Record] = {}
    for test in node.tests:
        short = test.nodeid.rsplit("::", 1)[-1]
        for index, record in enumerate(test.evidence, start=1):
            figures[f"{short}::{record.name or index}"] = record
    return figures


def _verdict(node: NodeResult) -> str:
    return node.verdict.value if node.verdict else ""


def diff_table(old: CaseResult, new: CaseResult, changes: list[Change]) -> str:
    """A plain-text table of the changes, headed by the root verdicts."""
    lines = [f"root {new.root}: {old.verdict.value} -> {new.verdict.value}"]
    if not changes:
        lines.append("no claim changed verdict or moved its bound")
        return "\n".join(lines)
    header = ("", "claim", "figure", "old", "new", "change")
    rows = [
        (
            "!" if change.regression else " ",
            change.claim,
            change.figure,
            change.old,
            change.new,
            change.what,
        )
        for change in changes
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    regressions = sum(change.regression for change in changes)
    lines.append(
        f"{regressions} regression{'s' if regressions != 1 else ''} (marked !; goals that got "
        "worse only through them are not counted again)"
        if any("follows from" in change.what for change in changes)
        else f"{regressions} regression{'s' if regressions != 1 else ''} (marked !)"
    )
    return "\n".join(lines)
