"""How long evidence stays valid: ``x-valid-for: 30d`` on a claim or on the whole case.

Evidence that was produced earlier than the run (an imported eval log, a reused cached evaluation)
says what the system did then, not now. Past its window it is stale: it supports nothing, and the
claim is inconclusive until the evidence is produced again.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

VALID_FOR_KEY = "x-valid-for"
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_valid_for(value: Any) -> timedelta:
    """``30d``, ``12h``, ``2w`` (or a timedelta) as a timedelta; anything else is a ValueError.

    Plain numbers are refused: a bare 30 could mean days or seconds, and guessing wrong would
    keep stale evidence alive.
    """
    if isinstance(value, timedelta):
        window = value
    else:
        match = _DURATION.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(
                f"{VALID_FOR_KEY} must be a duration such as 30d, 12h or 2w, got {value!r}"
            )
        window = timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    if window <= timedelta(0):
        raise ValueError(f"{VALID_FOR_KEY} must be positive, got {value!r}")
    return window


def describe_window(window: timedelta) -> str:
    """A window as written in case files (30d, 12h), for messages."""
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def as_utc(moment: datetime | str) -> datetime:
    """An aware UTC datetime from a datetime or an ISO 8601 string (naive means UTC)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def staleness(
    produced: datetime | str | None, window: timedelta | None, now: datetime | None = None
) -> str | None:
    """Why evidence produced at ``produced`` is stale under ``window``, or None if it is fresh.

    Evidence with no known time is stale whenever a window applies: its age cannot be shown.
    Evidence from the future (a clock skew or an edited log) is refused too.
    """
    if window is None:
        return None
    shown = describe_window(window)
    if produced is None:
        return f"stale: evidence has no time of production, valid for {shown}"
    moment = as_utc(produced)
    now = as_utc(now or datetime.now(UTC))
    if moment > now + timedelta(minutes=5):
        return f"stale: evidence dated {moment:%Y-%m-%d %H:%M}Z is in the future"
    if now - moment > window:
        return f"stale: evidence from {moment:%Y-%m-%d}, valid for {shown}"
    return None


def valid_for_setting(
    node_extra: dict[str, Any] | None, case_metadata: dict[str, Any] | None
) -> Any:
    """The window that applies to a claim: its own ``x-valid-for``, else the case's, else None."""
    for source in (node_extra or {}, case_metadata or {}):
        if source.get(VALID_FOR_KEY) is not None:
            return source[VALID_FOR_KEY]
    return None
