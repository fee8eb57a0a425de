"""One run's claims and outcomes as they arrive (from one process or many), and test verdicts.

Nothing here touches pytest: the plugin feeds it plain data taken from items and reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from pytest_safecase.case import CaseFile, CaseResult, ClaimSpec, TestOutcome, assemble
from pytest_safecase.evidence import ClaimInconclusive
from pytest_safecase.verdict import SEVERITY, Verdict


def phase_verdict(
    when: str, outcome: str, exc_type: type[BaseException] | None, xfailed: bool
) -> Verdict:
    """The verdict one test phase gives its claim.

    A failed assertion refutes; :class:`ClaimInconclusive` is inconclusive; any other exception, and
    any failure outside the test body (fixtures, teardown), is an error; a skip is not evaluated; an
    expected failure (xfail) is a failure the author already knows about, so it refutes.
    """
    if outcome == "passed":
        return Verdict.SUPPORTED
    if outcome == "skipped":
        return Verdict.REFUTED if xfailed else Verdict.NOT_EVALUATED
    if when != "call" or exc_type is None:
        return Verdict.ERROR
    if issubclass(exc_type, ClaimInconclusive):
        return Verdict.INCONCLUSIVE
    if issubclass(exc_type, AssertionError):
        return Verdict.REFUTED
    return Verdict.ERROR


class CaseRun:
    """Accumulates claim declarations and per-phase test payloads for one run."""

    def __init__(self, case: CaseFile | None, level_limit: int | None = None) -> None:
        self.case = case
        self.level_limit = level_limit
        self.claims: dict[str, ClaimSpec] = {}
        """Every claim test collected, by node id."""
        self.outcomes: dict[str, TestOutcome] = {}
        """What each claim test that ran gave, by node id (its phases merged)."""

    def add_claims(self, specs: Iterable[ClaimSpec | dict[str, Any]]) -> None:
        for spec in specs:
            spec = spec if isinstance(spec, ClaimSpec) else ClaimSpec.from_dict(spec)
            self.claims.setdefault(spec.nodeid, spec)

    def add_phase(self, payload: dict[str, Any]) -> None:
        """Merge one phase's payload (the JSON-safe form a worker sends) into the test's outcome."""
        self.add_outcome(
            ClaimSpec.from_dict(payload["claim"]), TestOutcome.from_dict(payload["outcome"])
        )

    def add_outcome(self, spec: ClaimSpec, incoming: TestOutcome) -> None:
        """Merge one phase's outcome into the test's: the worst verdict wins, evidence adds up."""
        self.claims.setdefault(spec.nodeid, spec)
        current = self.outcomes.get(incoming.nodeid)
        if current is None:
            self.outcomes[incoming.nodeid] = incoming
            return
        current.duration += incoming.duration
        current.evidence += incoming.evidence
        current.notes += incoming.notes
        current.attachments += incoming.attachments
        if SEVERITY.index(incoming.verdict) < SEVERITY.index(current.verdict):
            current.verdict = incoming.verdict
            current.message = incoming.message

    def add_crash(self, nodeid: str, message: str) -> None:
        """A claim test whose process died, or that a crash kept from running: an error, never
        merely not evaluated."""
        spec = self.claims[nodeid]
        outcome = TestOutcome(
            nodeid, Verdict.ERROR, message=message, path=spec.path, line=spec.line
        )
        self.add_outcome(spec, outcome)

    def result(self, usage_by_test: Mapping[str, dict[str, Any]] | None = None) -> CaseResult:
        """The assembled case; ``usage_by_test`` (node id: model usage) goes on the outcomes."""
        outcomes: Mapping[str, TestOutcome] = self.outcomes
        if usage_by_test:
            outcomes = {
                nodeid: replace(outcome, usage=dict(usage_by_test[nodeid]))
                if nodeid in usage_by_test
                else outcome
                for nodeid, outcome in self.outcomes.items()
            }
        ordered = sorted(
            self.claims.values(), key=lambda spec: (spec.path, spec.line or 0, spec.nodeid)
        )
        return assemble(self.case, ordered, outcomes, level_limit=self.level_limit)
