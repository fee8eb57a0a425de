"""``x-valid-for``: parsing windows, and when evidence is stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pytest_safecase.interop.freshness import (
    describe_window,
    parse_valid_for,
    staleness,
    valid_for_setting,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("45m", timedelta(minutes=45)),
        (" 1.5D ", timedelta(days=1.5)),
    ],
)
def test_windows_are_durations_with_a_unit(text: str, window: timedelta) -> None:
    assert parse_valid_for(text) == window


@pytest.mark.parametrize("bad", ["30", 30, "0d", "-1d", "a month", None, "30 days"])
def test_a_window_without_a_unit_or_not_positive_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="x-valid-for"):
        parse_valid_for(bad)


def test_evidence_older_than_the_window_is_stale_and_newer_is_not() -> None:
    window = parse_valid_for("30d")
    assert staleness("2026-01-15T00:00:00+00:00", window, NOW) == (
        "stale: evidence from 2026-01-15, valid for 30d"
    )
    assert staleness("2026-02-15T00:00:00Z", window, NOW) is None
    assert staleness("2026-01-15T00:00:00+00:00", None, NOW) is None


def test_evidence_with_no_time_or_from_the_future_is_stale_under_a_window() -> None:
    window = parse_valid_for("30d")
    assert (
        staleness(None, window, NOW) == "stale: evidence has no time of production, valid for 30d"
    )
    assert "in the future" in (staleness("2026-03-02T12:00:00Z", window, NOW) or "")


def test_a_claims_own_window_wins_over_the_cases() -> None:
    assert valid_for_setting({"x-valid-for": "7d"}, {"x-valid-for": "30d"}) == "7d"
    assert valid_for_setting({}, {"x-valid-for": "30d"}) == "30d"
    assert valid_for_setting(None, None) is None
    assert describe_window(timedelta(hours=36)) == "36h"
