"""Typed evidence records: each kind survives the trip through a dict (xdist, JSON) unchanged."""

from __future__ import annotations

import json
import math

import pytest

from pytest_safecase.case.result import TestOutcome
from pytest_safecase.decision import Direction, RateDecision, SequentialDecision
from pytest_safecase.evidence import ClaimInconclusive, ClaimRefuted, Evidence
from pytest_safecase.records import (
    RateRecord,
    Record,
    RiskContribution,
    RiskLedger,
    RiskRecord,
    SequentialRateRecord,
    ValueRecord,
    record_from_dict,
)
from pytest_safecase.report import ReportError
from pytest_safecase.report._json import parse_report
from pytest_safecase.verdict import Verdict

RATE = RateRecord(
    "catch rate",
    RateDecision(191, 200, 0.95, Direction.AT_LEAST, 0.9, 0.9163, 0.9792, Verdict.SUPPORTED, None),
)
UNSETTLED = RateRecord(
    None,
    RateDecision(3, 400, 0.95, Direction.AT_MOST, 0.02, 0.0015, 0.0218, Verdict.INCONCLUSIVE, 480),
)
NO_TRIALS = RateRecord(
    "empty", RateDecision(0, 0, 0.9, Direction.AT_LEAST, 0.5, 0.0, 1.0, Verdict.INCONCLUSIVE, None)
)


def sequential(fixed: tuple[float, float] | None) -> SequentialRateRecord:
    return SequentialRateRecord(
        "seq",
        SequentialDecision(
            29, 30, 0.95, Direction.AT_LEAST, 0.9, 0.766, 1.0, Verdict.INCONCLUSIVE,
            method="mixture", stopped_early=False, max_trials=30, batches=3,
            stop_reason="max_trials", fixed_n_interval=fixed,
        ),
    )  # fmt: skip


RECORDS: list[Record] = [
    RATE,
    UNSETTLED,
    NO_TRIALS,
    sequential((0.83, 0.999)),
    sequential(None),
    ValueRecord("plain", 3.5, None, None, None),
    ValueRecord("count", 5, 1, 10, Verdict.SUPPORTED),
    ValueRecord("too high", 11, None, 10, Verdict.REFUTED),
    RiskRecord("sandbox escape", 0.01, 0.001),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: f"{record.kind}-{record.name}")
def test_every_record_kind_round_trips_through_json(record: Record) -> None:
    data = json.loads(json.dumps(record.to_dict(), allow_nan=False))
    assert data["kind"] == record.kind
    again = record_from_dict(data)
    assert again == record
    assert type(again) is type(record)
    assert again.to_dict() == record.to_dict()


def test_numbers_keep_their_json_type() -> None:
    # 5 stays 5 (not 5.0): the report's text must not change on a round trip.
    data = json.loads(json.dumps(ValueRecord("count", 5, 1, None, Verdict.SUPPORTED).to_dict()))
    assert json.dumps(record_from_dict(data).to_dict()) == json.dumps(data)
    assert '"value": 5,' in json.dumps(data)


def test_no_trials_has_no_estimate_rather_than_nan() -> None:
    assert NO_TRIALS.to_dict()["estimate"] is None
    assert NO_TRIALS.estimate is None and math.isnan(NO_TRIALS.decision.estimate)


def test_the_fixed_n_interval_is_kept_only_when_undecided() -> None:
    assert "fixed_n_interval" not in sequential(None).to_dict()
    interval = sequential((0.83, 0.999)).to_dict()["fixed_n_interval"]
    assert (interval["lower"], interval["upper"]) == (0.83, 0.999)


def test_unknown_kinds_are_refused_and_make_a_report_malformed() -> None:
    with pytest.raises(ValueError, match="unknown evidence record kind 'guess'"):
        record_from_dict({"kind": "guess", "name": "x"})
    outcome = TestOutcome("t.py::test_a", Verdict.SUPPORTED).to_dict()
    outcome["evidence"] = [{"kind": "guess"}]
    node = {
        "id": "G1",
        "type": "Goal",
        "text": "t",
        "verdict": "supported",
        "tests": [outcome],
    }
    document = {"schema": "pytest-safecase/report", "schema_version": 1, "case": {}}
    document["case"] = {"root": "G1", "nodes": [node]}
    with pytest.raises(ReportError, match=r"malformed report.*guess"):
        parse_report(document)


@pytest.mark.parametrize(
    ("direction", "decisive", "margin"),
    [(Direction.AT_LEAST, 0.92, 0.02), (Direction.AT_MOST, 0.97, -0.07)],
)
def test_the_decisive_bound_is_the_side_the_claim_rests_on(
    direction: Direction, decisive: float, margin: float
) -> None:
    decision = RateDecision(95, 100, 0.95, direction, 0.9, 0.92, 0.97, Verdict.SUPPORTED, None)
    record = RateRecord("r", decision)
    assert record.decisive_bound() == decisive
    assert record.margin() == pytest.approx(margin)


def test_descriptions_are_the_failure_messages() -> None:
    evidence = Evidence()
    with pytest.raises(ClaimInconclusive) as rate:
        evidence.rate(91, 100, at_least=0.9, name="close")
    assert str(rate.value).startswith(f"inconclusive: {evidence.records[0].describe()}; about ")
    assert evidence.records[0].describe() == (
        "close: rate 0.91 (91/100), 95% interval [0.8360, 0.9581], claim >= 0.9"
    )
    with pytest.raises(ClaimRefuted, match=r"^x = 3, claim >= 4 and <= 5$"):
        evidence.value("x", 3, at_least=4, at_most=5)
    with pytest.raises(ClaimRefuted) as sequential_failure:
        evidence.rate_sequential(lambda n: [False] * n, at_least=0.9, max_trials=100)
    described = evidence.records[-1].describe()
    assert str(sequential_failure.value) == f"refuted: {described}"
    assert "10 of at most 100 trials (decided)" in described


def test_an_outcome_with_every_kind_crosses_the_xdist_boundary_unchanged() -> None:
    evidence = Evidence()
    evidence.rate(9, 10, at_least=0.5)
    evidence.rate_sequential(lambda n: [True] * n, at_most=1.0, max_trials=10, name="s")
    evidence.value("v", 2.5)
    evidence.risk("r", 0.25, lower=0.125)
    outcome = TestOutcome("t.py::test_a", Verdict.SUPPORTED, evidence=list(evidence.records))
    wire = json.loads(json.dumps(outcome.to_dict()))
    assert [record["kind"] for record in wire["evidence"]] == [
        "rate",
        "sequential-rate",
        "value",
        "risk",
    ]
    assert TestOutcome.from_dict(wire) == outcome


def test_a_ledger_holds_only_its_budget_until_added_up() -> None:
    pending = RiskLedger(0.05)
    assert pending.to_dict() == {"budget": 0.05}
    assert pending.total is None and RiskLedger.from_dict({"budget": 0.05}) == pending
    assert pending.decide() == (Verdict.UNDEVELOPED, "no risk contributions recorded below it")


@pytest.mark.parametrize(
    ("uppers", "lower", "verdict", "total"),
    [
        ((0.02, 0.01), 0.0, Verdict.SUPPORTED, 0.03),
        ((0.04, 0.03), 0.0, Verdict.INCONCLUSIVE, 0.07),
        ((0.04, 0.5), 0.2, Verdict.REFUTED, 0.54),
        ((0.7, 0.6), 0.0, Verdict.INCONCLUSIVE, 1.0),
    ],
)
def test_an_added_up_ledger_round_trips_and_decides(
    uppers: tuple[float, float], lower: float, verdict: Verdict, total: float
) -> None:
    contributions = tuple(
        RiskContribution(f"G{index}", f"t.py::test_{index}", RiskRecord(f"r{index}", upper, lower))
        for index, upper in enumerate(uppers)
    )
    ledger = RiskLedger(0.05).added_up(contributions)
    assert ledger.total == pytest.approx(total) and ledger.lower == lower
    assert ledger.decide()[0] is verdict
    data = json.loads(json.dumps(ledger.to_dict()))
    assert list(data) == ["budget", "contributions", "total", "lower"]
    assert list(data["contributions"][0]) == ["claim", "test", "kind", "name", "upper", "lower"]
    assert RiskLedger.from_dict(data) == ledger


def test_an_empty_ledger_totals_zero_as_before() -> None:
    ledger = RiskLedger(0.1).added_up(())
    assert json.dumps(ledger.to_dict()) == (
        '{"budget": 0.1, "contributions": [], "total": 0, "lower": 0.0}'
    )
