"""Bounded retries with exponential backoff, jitter and Retry-After, done here, not in the SDKs.

The SDKs' own retries are switched off so that every attempt is counted, the bound is ours, and a
request that finally fails becomes a ``ModelError`` (an error verdict, never evidence of safety).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from ._errors import ModelError, RetryableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a transient failure."""

    retries: int = 4
    """Extra attempts after the first one (0 = try once)."""
    base_delay: float = 0.5
    """Backoff before the first retry; doubles with every further retry."""
    max_delay: float = 30.0
    """Upper bound of the exponential backoff."""
    max_retry_after: float = 60.0
    """Cap on a server's Retry-After, so a hostile or broken header cannot stall the run."""

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must be >= 0")

    def delay(self, retry_number: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based).

        A server's Retry-After wins (capped); otherwise "equal jitter" backoff: half of the
        exponential step fixed, half random, so concurrent clients spread out but never hammer.
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        step = min(self.max_delay, self.base_delay * 2 ** (retry_number - 1))
        return float(step / 2 + rng.uniform(0, step / 2))


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (delta-seconds or HTTP-date).

    Unparseable or non-finite values count as absent; dates in the past mean "now".
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    milliseconds = lowered.get("retry-after-ms")
    if milliseconds is not None:
        seconds = _finite_float(milliseconds)
        if seconds is not None:
            return max(seconds / 1000, 0.0)
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _finite_float(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max((when - current).total_seconds(), 0.0)


def _finite_float(text: str) -> float | None:
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    describe: Callable[[], str],
    on_retry: Callable[[], None],
    rng: random.Random | None = None,
) -> T:
    """Run ``attempt`` until it succeeds, retrying a ``RetryableError`` ``policy.retries`` times.

    ``on_retry`` is called once per retry (for accounting). The final failure is a ``ModelError``
    that quotes the provider's last message, then the number of attempts and the request
    (``describe()``, formatted only then).
    """
    random_source = rng
    started = time.monotonic()
    retries_done = 0
    while True:
        try:
            return await attempt()
        except RetryableError as error:
            if retries_done >= policy.retries:
                elapsed = time.monotonic() - started
                attempts = retries_done + 1
                raise ModelError(
                    f"{error} (after {attempts} attempt{'s' if attempts > 1 else ''} "
                    f"in {elapsed:.1f}s; {describe()})"
                ) from None
            retries_done += 1
            on_retry()
            random_source = random_source or random.Random()  # seeded only when a retry needs it
            import asyncio  # loaded with the first retry, not with the plugin

            await asyncio.sleep(policy.delay(retries_done, error.retry_after, random_source))
