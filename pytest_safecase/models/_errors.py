"""The model layer's errors: kept apart from the value types so that pytest can load the
plugin, which only needs to recognise a ``ModelError``, without them."""

from __future__ import annotations


class ModelError(Exception):
    """A model call that did not produce a usable answer; the claim's verdict must be error.

    The message quotes the provider's own words where there are any, so the cause is visible
    in the test report.
    """


class CacheMissError(ModelError):
    """``--safecase-cache replay`` found no stored answer; replay never uses the network."""


class RetryableError(Exception):
    """Raised by a provider for a transient failure (429, 5xx, timeout, dropped connection).

    The model layer retries these with backoff; once attempts run out it raises ``ModelError``.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (already parsed from Retry-After), if it said."""


class BudgetExceededError(ModelError):
    """A request would have taken the model past its token budget; it was not sent, and the run
    stops (what was answered stays cached)."""
