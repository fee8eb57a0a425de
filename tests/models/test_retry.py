"""Retry-After parsing, backoff with jitter, and the bound on attempts."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from pytest_safecase.models import ModelError, RetryableError, RetryPolicy
from pytest_safecase.models._retry import call_with_retries, parse_retry_after

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": " 2.5 "}, 2.5),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
        ({"Retry-After": "inf"}, None),
        ({"retry-after-ms": "1500", "Retry-After": "9"}, 1.5),
        ({"retry-after-ms": "junk", "Retry-After": "9"}, 9.0),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_retry_after_http_date_is_relative_to_now() -> None:
    later = format_datetime(NOW + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after({"Retry-After": later}, now=NOW) == pytest.approx(42.0)


def test_retry_after_date_in_the_past_means_now() -> None:
    earlier = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert parse_retry_after({"Retry-After": earlier}, now=NOW) == 0.0


def test_server_delay_is_honoured_but_capped() -> None:
    policy = RetryPolicy(max_retry_after=5.0)
    rng = random.Random(0)
    assert policy.delay(1, 3.0, rng) == 3.0
    assert policy.delay(1, 3600.0, rng) == 5.0


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(1)
    for retry_number, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {policy.delay(retry_number, None, rng) for _ in range(50)}
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(delays) > 40, "jitter must spread retries out"


def test_invalid_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="retries"):
        RetryPolicy(retries=-1)


def run_with(policy: RetryPolicy, outcomes: list[Exception | str]) -> tuple[object, int, int]:
    attempts = 0
    retries = 0

    async def attempt() -> str:
        nonlocal attempts
        outcome = outcomes[attempts]
        attempts += 1
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def on_retry() -> None:
        nonlocal retries
        retries += 1

    try:
        result: object = asyncio.run(
            call_with_retries(attempt, policy, describe=lambda: "test call", on_retry=on_retry)
        )
    except ModelError as error:
        result = error
    return result, attempts, retries


def test_transient_failures_are_retried_until_success() -> None:
    policy = RetryPolicy(retries=3, base_delay=0.001)
    outcomes: list[Exception | str] = [RetryableError("429"), RetryableError("503"), "ok"]
    assert run_with(policy, outcomes) == ("ok", 3, 2)


def test_attempts_are_bounded_and_end_in_model_error() -> None:
    policy = RetryPolicy(retries=2, base_delay=0.001)
    outcomes: list[Exception | str] = [RetryableError(f"fail {n}") for n in range(10)]
    error, attempts, retries = run_with(policy, outcomes)
    assert isinstance(error, ModelError)
    assert "(after 3 attempts in" in str(error)
    assert "fail 2" in str(error), "the provider's last message is quoted"
    assert (attempts, retries) == (3, 2)


def test_final_errors_are_not_retried() -> None:
    policy = RetryPolicy(retries=5, base_delay=0.001)
    outcomes: list[Exception | str] = [ModelError("HTTP 401: bad key"), "never"]
    error, attempts, _ = run_with(policy, outcomes)
    assert isinstance(error, ModelError) and attempts == 1
