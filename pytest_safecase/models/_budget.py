"""A per-model token budget: a request is refused before it could take the total past the budget.

Each request reserves what it may cost (its prompt at 4 characters a token, plus its
``max_tokens``, or the largest answer seen so far when it sets none) and settles to what the
provider billed. Concurrent requests therefore cannot overshoot together. The budget counts
provider calls only: cache hits are free, and what was answered before the stop stays cached.
"""

from __future__ import annotations

import json
import threading

from ._base import Request, Usage
from ._errors import BudgetExceededError


class TokenBudget:
    """The tokens (in plus out) one model may spend in this process."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"token budget must be >= 1, got {limit}")
        self.limit = limit
        self.spent = 0
        self._reserved = 0
        self._largest_answer = 0
        self._lock = threading.Lock()

    def estimate(self, request: Request) -> int:
        prompt = json.dumps([request.system, request.messages()], ensure_ascii=False)
        return len(prompt) // 4 + (request.max_tokens or self._largest_answer)

    def reserve(self, request: Request, spec: str) -> int:
        """Reserve the request's estimate, or raise ``BudgetExceededError`` (nothing is sent)."""
        needed = self.estimate(request)
        with self._lock:
            committed = self.spent + self._reserved
            if committed + needed > self.limit:
                raise BudgetExceededError(
                    f"token budget of {spec} reached: {self.spent:,} of {self.limit:,} tokens "
                    f"used ({self._reserved:,} in flight), the next request may need {needed:,}; "
                    "the answers so far are cached: raise --safecase-token-budget (or x-models "
                    "token_budget) and re-run to go on"
                )
            self._reserved += needed
        return needed

    def settle(self, reserved: int, usage: Usage | None) -> None:
        """Replace a reservation by what was billed (``None``: the call failed, nothing billed)."""
        with self._lock:
            self._reserved -= reserved
            if usage is not None:
                self.spent += usage.input_tokens + usage.output_tokens
                self._largest_answer = max(self._largest_answer, usage.output_tokens)
