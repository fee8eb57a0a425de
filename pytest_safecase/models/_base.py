"""The model interface's value types and the provider contract that every backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import ModelError

Message = Mapping[str, str]
"""One chat message: ``{"role": "user" | "assistant" | "system", "content": "..."}``."""


@dataclass(frozen=True)
class Request:
    """Everything that determines one model answer; also the cache key (with provider and model).

    ``sample`` numbers repeated draws of the same prompt so each draw is its own cache entry.
    """

    prompt: str | Sequence[Message]
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None
    sample: int = 0

    def messages(self) -> list[dict[str, str]]:
        """The prompt as a chat transcript (a bare string becomes one user message)."""
        if isinstance(self.prompt, str):
            return [{"role": "user", "content": self.prompt}]
        messages = []
        for message in self.prompt:
            if not isinstance(message, Mapping) or not {"role", "content"} <= message.keys():
                raise ModelError(f"a chat message needs 'role' and 'content', got {message!r}")
            role, content = message["role"], message["content"]
            if not isinstance(role, str) or not isinstance(content, str):
                raise ModelError(f"chat message role and content must be text, got {message!r}")
            messages.append({"role": role, "content": content})
        return messages

    def canonical(self) -> dict[str, Any]:
        """A JSON-safe, order-stable description of the request (the body of the cache key)."""
        return {
            "messages": self.messages(),
            "system": self.system,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "sample": self.sample,
        }


@dataclass(frozen=True)
class Usage:
    """Tokens billed for one answer; ``estimated`` when nobody counted them (built-in models)."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False


FINISH_STOP = "stop"
"""The model ended its answer itself: the only finish that makes an answer complete."""
FINISH_LENGTH = "length"
"""The answer was cut at the token limit (OpenAI ``finish_reason`` "length", Anthropic
``stop_reason`` "max_tokens"): what text there is may be half a program."""
FINISH_EMPTY = "empty"
"""The model said nothing (or only whitespace)."""


@dataclass(frozen=True)
class Reply:
    """What a provider returns for one request, before caching and timing are added.

    ``model`` is the model the server says answered (its own ``model`` field), which may name a
    snapshot or a file rather than the alias asked for; ``finish`` says whether the answer is
    whole (``FINISH_STOP``) or cut short (``FINISH_LENGTH``, ``FINISH_EMPTY``).
    """

    text: str
    model: str
    usage: Usage
    finish: str = FINISH_STOP

    @property
    def complete(self) -> bool:
        return self.finish == FINISH_STOP


@dataclass(frozen=True)
class Completion:
    """One answer as tests see it: where it came from, what it cost and how long it took."""

    text: str
    model: str
    usage: Usage
    cached: bool
    latency: float
    """Seconds spent producing this answer (a cache hit takes almost none)."""
    finish: str = FINISH_STOP
    """``FINISH_STOP`` for a whole answer; ``FINISH_LENGTH`` (cut at the token limit even after
    a retry with more room) or ``FINISH_EMPTY`` (nothing said, twice) otherwise. Callers count an
    incomplete answer as unusable: it is never evidence."""

    @property
    def complete(self) -> bool:
        return self.finish == FINISH_STOP


class Provider:
    """A backend that turns a ``Request`` into a ``Reply``: subclass this to add a provider.

    ``complete`` raises ``RetryableError`` for transient failures and ``ModelError`` for final
    ones; retries, caching, concurrency and accounting are the model layer's job, not this one's.
    """

    name: str = "provider"
    """The spec prefix, e.g. ``openai``."""
    cacheable: bool = True
    """Whether answers are worth storing (offline deterministic models are not)."""
    uses_network: bool = True
    """Whether ``complete`` may open a connection (``replay`` mode forbids that)."""
    default_max_tokens: int | None = None
    """The answer length the provider asks for when a request sets none (``None``: the
    server's own limit, which a retry of a cut-off answer cannot raise)."""

    @property
    def endpoint(self) -> str:
        """Where requests go, when it can vary (a base URL): part of the cache key, so the same
        model name on another server is never answered from this one's cache."""
        return ""

    def __init__(self, model: str) -> None:
        self.model = model

    @property
    def spec(self) -> str:
        return f"{self.name}:{self.model}"

    def missing_credentials(self) -> list[str]:
        """Names of environment variables this provider needs but finds unset."""
        return []

    def configuration_error(self) -> str | None:
        """Why this provider cannot be used as configured (checked at session start, so a bad
        setting is one usage error rather than a failure per test); ``None`` when it can."""
        return None

    def brief(self, problems: Sequence[Any]) -> None:
        """Told the problems an evaluation will pose before it asks (its task objects). Offline
        stand-ins use it to know them, as a capable model knows a problem it has seen; a model
        behind an API has nothing to do with it (the default)."""

    async def prepare(self, *, timeout: float) -> None:
        """One-off setup (importing an SDK, making a client), awaited before each attempt's
        deadline starts: slow setup is no reason to time a request out. The default has none."""

    async def served_model(self, *, timeout: float) -> str | None:
        """What identifies the model the endpoint serves under this name (stored with each cached
        answer, so a model swapped behind the same URL and name is not answered from the old
        one's cache); ``None`` when the endpoint cannot say (the default), ``RetryableError`` when
        it cannot be reached."""
        return None

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        """The answer to ``request``; the model layer cancels it after ``timeout`` seconds."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release network clients; the default has nothing to release."""
