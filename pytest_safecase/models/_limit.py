"""An adaptive concurrency limit (AIMD): halve on a transient failure, grow by one per window of
successes, never above the configured ceiling.

A single-slot local server queues what it cannot serve; requests then time out while it keeps
generating the abandoned ones, and retrying them at the same width only lengthens its queue.
Backing off the way TCP does lets such a server drain, while a fast API keeps the full width.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio


class AdaptiveLimit:
    """At most ``limit`` attempts in flight; ``limit`` moves between 1 and ``ceiling``.

    Failures of attempts sent before the last decrease do not halve the limit again: one
    overload shows up as many simultaneous timeouts, and should cost one halving, not many.
    """

    def __init__(self, ceiling: int) -> None:
        if ceiling < 1:
            raise ValueError(f"ceiling must be >= 1, got {ceiling}")
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        """The smallest limit reached so far (shown when a run had to back off)."""
        self._in_flight = 0
        self._successes = 0
        self._epoch = 0
        self._waiters: list[asyncio.Future[None]] = []

    async def acquire(self) -> int:
        """Wait for a free slot; returns the epoch the attempt was sent in (for ``failed``).

        Every waiter is woken when a slot may have come free and checks again: a cancelled
        waiter can then never swallow the wake-up another one needed.
        """
        import asyncio

        while self._in_flight >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)
        self._in_flight += 1
        return self._epoch

    def release(self) -> None:
        """Free a slot: synchronous, so a cancelled attempt cannot leak its slot."""
        self._in_flight -= 1
        self._wake()

    def succeeded(self) -> None:
        """Additive increase: one more slot after ``limit`` successes in a row."""
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.ceiling:
            self._successes = 0
            self.limit += 1
            self._wake()

    def failed(self, epoch: int) -> None:
        """Multiplicative decrease, once per epoch (see the class docstring)."""
        if epoch != self._epoch:
            return
        self._epoch += 1
        self._successes = 0
        self.limit = max(1, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
