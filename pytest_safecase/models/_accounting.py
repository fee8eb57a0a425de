"""Per-model counters of requests, provider calls, tokens, cache hits, retries and errors.

A model records into the ledger it was given (its own when given none). The pytest plugin gives
the models it builds the run's ledger, attributes the difference between two snapshots to a test
phase, and sums those per test and per run (also across xdist workers).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class ModelUsage:
    """What one model cost. Tokens count provider answers only (cache hits are free)."""

    requests: int = 0
    """Answers asked for, cached or not."""
    calls: int = 0
    """Answers the provider produced (billed)."""
    cache_hits: int = 0
    retries: int = 0
    errors: int = 0
    """Requests that finally failed (each one makes its test an error)."""
    incomplete: int = 0
    """Answers cut at the token limit or empty even after one more try: callers count them as
    unusable, never as evidence."""
    input_tokens: int = 0
    output_tokens: int = 0
    estimated_tokens: bool = False
    """True when token counts are estimates (built-in models count characters, not tokens)."""

    def add(self, other: ModelUsage) -> None:
        for field in fields(self):
            if field.name == "estimated_tokens":
                self.estimated_tokens = self.estimated_tokens or other.estimated_tokens
            else:
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def minus(self, earlier: ModelUsage) -> ModelUsage:
        counts = {
            field.name: getattr(self, field.name) - getattr(earlier, field.name)
            for field in fields(self)
            if field.name != "estimated_tokens"
        }
        return ModelUsage(**counts, estimated_tokens=self.estimated_tokens)

    def is_empty(self) -> bool:
        return not any(
            getattr(self, field.name) for field in fields(self) if field.name != "estimated_tokens"
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelUsage:
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


UsageBySpec = dict[str, ModelUsage]


class UsageLedger:
    """Thread-safe running totals per model spec."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals: UsageBySpec = {}
        self.version = 0
        """Counts the records so far: equal versions mean equal totals (a cheap check per test)."""

    def record(self, spec: str, *, estimated_tokens: bool = False, **counts: int) -> None:
        with self._lock:
            self.version += 1
            usage = self._totals.setdefault(spec, ModelUsage())
            usage.estimated_tokens = usage.estimated_tokens or estimated_tokens
            for name, amount in counts.items():
                setattr(usage, name, getattr(usage, name) + amount)

    def snapshot(self) -> UsageBySpec:
        return self.versioned_snapshot()[1]

    def versioned_snapshot(self) -> tuple[int, UsageBySpec]:
        """The totals and the version they belong to, read together."""
        with self._lock:
            totals = {spec: ModelUsage(**asdict(usage)) for spec, usage in self._totals.items()}
            return self.version, totals


def usage_since(current: UsageBySpec, earlier: UsageBySpec) -> UsageBySpec:
    """The non-empty per-model differences between two snapshots."""
    difference = {}
    for spec, usage in current.items():
        delta = usage.minus(earlier.get(spec, ModelUsage()))
        if not delta.is_empty():
            difference[spec] = delta
    return difference


def merge_usage(into: UsageBySpec, more: UsageBySpec) -> None:
    for spec, usage in more.items():
        into.setdefault(spec, ModelUsage()).add(usage)
