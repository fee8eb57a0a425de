"""Comparing two reports (release candidates): which claims changed verdict or moved their bound.

A regression is a claim or goal whose verdict got worse (by
:data:`pytest_safecase.verdict.SEVERITY`), a claim that is still supported but whose decisive
bound moved toward its threshold, or a claim that disappeared (dropping a claim must not pass
unnoticed). New claims are listed but are not regressions: the release gate already judges them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.decision import Direction
from pytest_safecase.records import RateFigure, RateRecord, SequentialRateRecord
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


def diff_results(old: CaseResult, new: CaseResult, *, tolerance: float = 0.0) -> list[Change]:
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
        changes.extend(_bound_changes(before, node, tolerance))
    for claim_id, node in old_claims.items():
        if claim_id not in new_claims:
            changes.append(Change(claim_id, "", _verdict(node), "—", "removed", regression=True))
    # Goals decided by more than their claims (a risk ledger, an assumption, the root) count too.
    for node_id, node in new.nodes.items():
        before = old.nodes.get(node_id)
        if before is not None and node_id not in new_claims and not node.is_claim:
            changes.extend(_verdict_change(before, node))
    return changes


def _verdict_change(old: NodeResult, new: NodeResult) -> list[Change]:
    if old.verdict == new.verdict or old.verdict is None or new.verdict is None:
        return []
    worse = SEVERITY.index(new.verdict) < SEVERITY.index(old.verdict)
    what = "verdict worse" if worse else "verdict better"
    return [Change(new.id, "", old.verdict.value, new.verdict.value, what, regression=worse)]


def _bound_changes(old: NodeResult, new: NodeResult, tolerance: float) -> list[Change]:
    old_figures = _rate_figures(old)
    changes = []
    for key, record in _rate_figures(new).items():
        before = old_figures.get(key)
        if before is None:
            continue
        old_margin, new_margin = before.margin(), record.margin()
        if abs(new_margin - old_margin) <= tolerance:
            continue
        toward = new_margin < old_margin
        regression = toward and new.verdict is Verdict.SUPPORTED
        side = "lower" if record.decision.direction is Direction.AT_LEAST else "upper"
        what = f"{side} bound moved {'toward' if toward else 'away from'} threshold " + (
            f"{record.decision.threshold}"
        )
        changes.append(
            Change(
                new.id,
                key,
                number(before.decisive_bound(), 4),
                number(record.decisive_bound(), 4),
                what,
                regression=regression,
            )
        )
    return changes


def _rate_figures(node: NodeResult) -> dict[str, RateFigure]:
    """Rate records keyed by test name and figure name (or position), stable across runs."""
    figures: dict[str, RateFigure] = {}
    for test in node.tests:
        short = test.nodeid.rsplit("::", 1)[-1]
        for index, record in enumerate(test.evidence, start=1):
            if isinstance(record, RateRecord | SequentialRateRecord):
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
    lines.append(f"{regressions} regression{'s' if regressions != 1 else ''} (marked !)")
    return "\n".join(lines)
