"""Evidence records and the risk ledger, as types: what a test recorded and what a goal added up.

Everything that reads evidence (propagation, the reports, ``safecase diff``) works on these; they
become dicts only on the way to another process (xdist) or into the JSON report, through
``to_dict`` and :func:`record_from_dict`, whose output is the report's documented shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR
from typing import Any, ClassVar

from pytest_safecase._escape import visible
from pytest_safecase.decision import (
    DecidedRate,
    Direction,
    RateDecision,
    SequentialDecision,
    shown_exactly,
    shown_number,
)
from pytest_safecase.verdict import Verdict

CLOPPER_PEARSON = "clopper-pearson"
_FIXED_N_NOTE = "reference only: not valid after sequential stopping, does not decide"


class _DecidedRateFigure:
    """What every rate record reads off its decision."""

    decision: DecidedRate

    @property
    def estimate(self) -> float | None:
        """The observed rate; None (JSON has no NaN) when there were no trials."""
        return _estimate(self.decision)

    def decisive_bound(self) -> float:
        return self.decision.decisive_bound()

    def margin(self) -> float:
        return self.decision.margin()


@dataclass(frozen=True)
class RateRecord(_DecidedRateFigure):
    """A rate decided on a fixed number of trials.

    Evidence imported from elsewhere (an Inspect AI log) carries what identifies its source in
    ``imported`` (written beside the standard keys), and ``stale`` says why it no longer counts:
    a stale rate is inconclusive, whatever its figures say.
    """

    kind: ClassVar[str] = "rate"
    name: str | None
    decision: RateDecision
    imported: Mapping[str, Any] | None = None
    stale: str | None = None

    @property
    def verdict(self) -> Verdict:
        return Verdict.INCONCLUSIVE if self.stale else self.decision.verdict

    def describe(self) -> str:
        """One line for a failure message: estimate, interval, n and threshold."""
        return _describe_rate(self.name, self.decision)

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "kind": self.kind,
            "name": self.name,
            "successes": decision.successes,
            "trials": decision.trials,
            "estimate": _estimate(decision),
            "lower": decision.lower,
            "upper": decision.upper,
            "confidence": decision.confidence,
            "direction": decision.direction.value,
            "threshold": decision.threshold,
            "verdict": self.verdict.value,
            "method": CLOPPER_PEARSON,
            "trials_to_settle": decision.trials_to_settle,
            **(self.imported or {}),
            **({"stale": self.stale} if self.stale else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateRecord:
        decision = RateDecision(
            **_decided_rate_fields(data), trials_to_settle=data.get("trials_to_settle")
        )
        imported = {key: value for key, value in data.items() if key not in _RATE_KEYS}
        return cls(data.get("name"), decision, imported or None, data.get("stale"))


@dataclass(frozen=True)
class SequentialRateRecord(_DecidedRateFigure):
    """A rate decided by sampling until an anytime-valid test decided it (or trials ran out)."""

    kind: ClassVar[str] = "sequential-rate"
    name: str | None
    decision: SequentialDecision

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    def describe(self) -> str:
        """One line for a failure message: the rate, then how sampling stopped."""
        decision = self.decision
        return (
            f"{_describe_rate(self.name, decision)}; {decision.method}, {decision.trials} of at "
            f"most {decision.max_trials} trials ({decision.stop_reason})"
        )

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        data: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "successes": decision.successes,
            "trials": decision.trials,
            "estimate": _estimate(decision),
            "confidence": decision.confidence,
            "direction": decision.direction.value,
            "threshold": decision.threshold,
            "lower": decision.lower,
            "upper": decision.upper,
            "verdict": decision.verdict.value,
            "method": decision.method,
            "stopped_early": decision.stopped_early,
            "stop_reason": decision.stop_reason,
            "max_trials": decision.max_trials,
            "batches": decision.batches,
        }
        if decision.fixed_n_interval is not None:
            data["fixed_n_interval"] = {
                "method": "Clopper-Pearson",
                "lower": decision.fixed_n_interval[0],
                "upper": decision.fixed_n_interval[1],
                "note": _FIXED_N_NOTE,
            }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequentialRateRecord:
        fixed = data.get("fixed_n_interval")
        decision = SequentialDecision(
            **_decided_rate_fields(data),
            method=data["method"],
            stopped_early=data["stopped_early"],
            max_trials=data["max_trials"],
            batches=data["batches"],
            stop_reason=data["stop_reason"],
            fixed_n_interval=None if fixed is None else (fixed["lower"], fixed["upper"]),
        )
        return cls(data.get("name"), decision)


@dataclass(frozen=True)
class ValueRecord:
    """A plain measurement, with the bounds (if any) that decide it."""

    kind: ClassVar[str] = "value"
    name: str
    value: float
    at_least: float | None
    at_most: float | None
    verdict: Verdict | None
    """None when there is no bound: the measurement decides nothing."""

    def bounds(self) -> list[tuple[Direction, float]]:
        """The bounds that were given, lower first."""
        given = ((Direction.AT_LEAST, self.at_least), (Direction.AT_MOST, self.at_most))
        return [(direction, bound) for direction, bound in given if bound is not None]

    def shown_value(self, digits: int = 4) -> str:
        """The value as displayed, without trailing zeros: on the same side of each bound as the
        value itself."""
        shown = shown_number(self.value, [bound for _, bound in self.bounds()], digits=digits)
        return shown.rstrip("0").rstrip(".") if "." in shown else shown

    def describe(self) -> str:
        """One line for a failure message: the value and the bounds it had to meet."""
        bounds = " and ".join(
            f"{direction.sign} {shown_exactly(bound)}" for direction, bound in self.bounds()
        )
        return f"{visible(self.name)} = {self.shown_value()}, claim {bounds}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "value": self.value,
            "at_least": self.at_least,
            "at_most": self.at_most,
            "verdict": self.verdict.value if self.verdict else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueRecord:
        verdict = data.get("verdict")
        return cls(
            name=data["name"],
            value=data["value"],
            at_least=data.get("at_least"),
            at_most=data.get("at_most"),
            verdict=Verdict(verdict) if verdict else None,
        )


@dataclass(frozen=True)
class RiskRecord:
    """A claim's bound on the probability of the unacceptable outcome through its subsystem."""

    kind: ClassVar[str] = "risk"
    name: str
    upper: float
    lower: float

    @property
    def verdict(self) -> None:
        """A risk decides nothing by itself: the goal whose budget it counts against does."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "upper": self.upper, "lower": self.lower}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskRecord:
        return cls(name=data["name"], upper=data["upper"], lower=data["lower"])


RateFigure = RateRecord | SequentialRateRecord
Record = RateRecord | SequentialRateRecord | ValueRecord | RiskRecord
RATE_KINDS = (RateRecord.kind, SequentialRateRecord.kind)
"""The kinds whose report form has an interval and a direction."""

_KINDS: dict[str, type[Record]] = {
    kind.kind: kind for kind in (RateRecord, SequentialRateRecord, ValueRecord, RiskRecord)
}


def record_from_dict(data: Mapping[str, Any]) -> Record:
    """The record a dict from :meth:`to_dict` (another process, or a report file) describes."""
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"unknown evidence record kind {kind!r}")
    return _KINDS[kind].from_dict(data)


@dataclass(frozen=True)
class RiskContribution:
    """One risk record counted in a goal's ledger, with the claim and test that recorded it and
    the claim's adoption level (0: the core of the argument, in force at every level)."""

    claim: str
    test: str
    risk: RiskRecord
    level: int = 0

    def to_dict(self) -> dict[str, Any]:
        level = {"level": self.level} if self.level else {}
        return {"claim": self.claim, "test": self.test, **self.risk.to_dict(), **level}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskContribution:
        return cls(data["claim"], data["test"], RiskRecord.from_dict(data), data.get("level", 0))


@dataclass(frozen=True)
class RiskLedger:
    """A goal's ``x-risk-budget`` against the risks recorded beneath it.

    The probability of the unacceptable outcome through any subsystem is at most the sum of the
    subsystems' upper bounds (Boole / Frechet), whatever their dependence, and at least the largest
    lower bound. Until propagation adds them up (it never does for a goal above the run's level)
    the ledger holds only its budget.

    With ``per_level`` (``x-risk-per-level: true``) each adoption level's risk claims bound the
    whole deployment as that level deploys it, so a level supersedes the ones below it: the ledger
    counts the core's contributions (level 0) and those of the highest level in force only.
    """

    budget: float
    contributions: tuple[RiskContribution, ...] | None = None
    """None until added up."""
    per_level: bool = False
    unrecorded: str = ""
    """With nothing to add up: why nothing below the goal recorded a risk in this run."""

    @property
    def total(self) -> float | None:
        """The union bound on the risk: the upper bounds' sum, at most 1."""
        if self.contributions is None:
            return None
        return min(1.0, sum(item.risk.upper for item in self.contributions))

    @property
    def lower(self) -> float | None:
        """The largest lower bound: the risk is at least this."""
        if self.contributions is None:
            return None
        return max((item.risk.lower for item in self.contributions), default=0.0)

    def added_up(
        self, contributions: tuple[RiskContribution, ...], level_in_force: int = 0, why: str = ""
    ) -> RiskLedger:
        """The ledger over ``contributions`` (every in-scope risk below the goal); per level,
        only the core's and ``level_in_force``'s count. ``why`` explains an empty ledger."""
        if self.per_level and contributions:
            contributions = tuple(
                item for item in contributions if item.level in (0, level_in_force)
            )
            if not contributions:
                why = (
                    f"no claim of the core or of level {level_in_force} (the level in force) "
                    "recorded a risk; lower levels' risks are superseded (x-risk-per-level)"
                )
        return RiskLedger(self.budget, contributions, self.per_level, "" if contributions else why)

    def decide(self) -> tuple[Verdict, str]:
        """The ledger's verdict on its goal, and why."""
        budget, total, lower = self.budget, self.total, self.lower
        if not self.contributions or total is None or lower is None:
            return Verdict.UNDEVELOPED, self.unrecorded or "no risk contributions recorded below it"
        shown_budget = shown_exactly(budget)
        if lower > budget:
            return Verdict.REFUTED, f"risk is at least {self.shown_lower()} > budget {shown_budget}"
        if total > budget:
            return (
                Verdict.INCONCLUSIVE,
                f"risk bound {self.shown_total()} exceeds budget {shown_budget}",
            )
        return Verdict.SUPPORTED, f"risk bound {self.shown_total()} within budget {shown_budget}"

    def shown_total(self, digits: int = 4) -> str:
        """The union bound as displayed: rounded up, on the budget's side as the total is."""
        return shown_number(self.total, [self.budget], ROUND_CEILING, digits)

    def shown_lower(self, digits: int = 4) -> str:
        return shown_number(self.lower, [self.budget], ROUND_FLOOR, digits)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"budget": self.budget}
        if self.per_level:
            data["per_level"] = True
        if self.contributions is not None:
            data["contributions"] = [item.to_dict() for item in self.contributions]
            data["total"] = self.total
            data["lower"] = self.lower
        if self.unrecorded:
            data["unrecorded"] = self.unrecorded
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskLedger:
        items = data.get("contributions")
        contributions = (
            None if items is None else tuple(RiskContribution.from_dict(item) for item in items)
        )
        per_level = bool(data.get("per_level", False))
        return cls(data["budget"], contributions, per_level, data.get("unrecorded", ""))


_RATE_KEYS = frozenset(
    {
        *("kind", "name", "successes", "trials", "estimate", "lower", "upper", "confidence"),
        *("direction", "threshold", "verdict", "method", "trials_to_settle", "stale"),
    }
)


def _decided_rate_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields every decided rate shares, read from its dict."""
    return {
        "successes": data["successes"],
        "trials": data["trials"],
        "confidence": data["confidence"],
        "direction": Direction(data["direction"]),
        "threshold": data["threshold"],
        "lower": data["lower"],
        "upper": data["upper"],
        "verdict": Verdict(data["verdict"]),
    }


def _estimate(decision: DecidedRate) -> float | None:
    """The observed rate, or None (not NaN, which JSON lacks) when nothing was observed."""
    estimate = decision.estimate
    return None if math.isnan(estimate) else estimate


def _shown_estimate(decision: DecidedRate) -> str:
    """The observed rate, to four significant figures: it decides nothing, so it is not one of
    the bounds kept on their side of the threshold."""
    estimate = _estimate(decision)
    return "n/a" if estimate is None else f"{estimate:.4g}"


def _describe_rate(name: str | None, decision: DecidedRate) -> str:
    prefix = f"{visible(name)}: " if name else ""
    lower, upper = decision.shown_bounds(4)
    return (
        f"{prefix}rate {_shown_estimate(decision)} "
        f"({decision.successes}/{decision.trials}), "
        f"{decision.confidence:.0%} interval [{lower}, {upper}], "
        f"claim {decision.direction.sign} {decision.shown_threshold()}"
    )
