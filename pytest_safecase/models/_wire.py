"""What the HTTP providers share: turning SDK failures and raw bodies into our error types.

Both SDKs raise ``APIStatusError`` (with ``status_code``, ``response`` and ``body``) and
``APIConnectionError`` (timeouts included); the classification of what is worth retrying lives
here once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._errors import ModelError, RetryableError
from ._retry import parse_retry_after

_QUOTE_LIMIT = 300
RETRYABLE_STATUSES = frozenset({408, 429})
"""Besides every 5xx: request timeout and rate limiting."""
ADJUSTABLE_PARAMETERS = ("temperature", "max_tokens", "max_completion_tokens", "seed")
"""Parameters a request can do without when a model rejects them (never model or messages)."""
_REJECTION = re.compile(r"unsupported|not supported|does not support|extra inputs|unrecognized")
VOLATILE_LISTING_FIELDS = frozenset({"created", "permission", "permissions"})
"""Fields of a model listing's entry that change between calls (vLLM stamps the time and a
random permission id), so they cannot identify what is served."""


def provider_message(body: object, fallback: str = "") -> str:
    """The provider's own error text: ``{"error": {"message": ...}}`` if present, else the body."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        if isinstance(body.get("message"), str):
            return str(body["message"])
    text = fallback if body is None else (body if isinstance(body, str) else json.dumps(body))
    return quote(text)


def quote(text: str) -> str:
    """A body excerpt short enough for a test report."""
    return text if len(text) <= _QUOTE_LIMIT else text[:_QUOTE_LIMIT] + "..."


def status_failure(
    status: int, headers: Mapping[str, str], body: object, message: str, where: str
) -> Exception:
    """A retryable error for 408, 429 and 5xx, a final ``ModelError`` for any other status."""
    said = provider_message(body, fallback=message)
    try:
        phrase = f" {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = ""
    text = f"HTTP {status}{phrase} from {where}: {said}"
    if status in RETRYABLE_STATUSES or status >= 500:
        return RetryableError(text, retry_after=parse_retry_after(headers))
    return ModelError(text)


def connection_failure(error: Exception, where: str) -> RetryableError:
    cause = error.__cause__ or error.__context__
    detail = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
    return RetryableError(f"{str(error).rstrip('.')} talking to {where}{detail}")


def parse_json_object(text: str) -> dict[str, Any]:
    """The body as a JSON object; anything else is a ``ModelError`` quoting the body."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelError(f"malformed response, not JSON ({error}): {quote(text)!r}") from None
    if not isinstance(data, dict):
        raise ModelError(f"malformed response, not a JSON object: {quote(text)!r}")
    if data.get("error") is not None or data.get("type") == "error":
        raise ModelError(f"provider error: {provider_message(data)}")
    return data


def token_count(usage: object, name: str) -> int:
    value = usage.get(name) if isinstance(usage, Mapping) else None
    return value if isinstance(value, int) and value >= 0 else 0


def redact_url(url: str) -> str:
    """The URL without user info or query, so no credential embedded in it is ever shown."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def rejected_parameter(status: int, body: object, sent: Mapping[str, object]) -> str | None:
    """The adjustable parameter a 400 says the model does not take, if it names one we sent."""
    if status != 400:
        return None
    error = body.get("error") if isinstance(body, Mapping) else None
    param = error.get("param") if isinstance(error, Mapping) else None
    if isinstance(param, str) and param in ADJUSTABLE_PARAMETERS and param in sent:
        return param
    message = provider_message(body).lower()
    if not _REJECTION.search(message):
        return None
    for name in ADJUSTABLE_PARAMETERS:
        if name in sent and re.search(rf"\b{name}\b", message):
            return name
    return None


def served_identity(listing: Mapping[str, object], model: str) -> str | None:
    """What a model listing (``{"data": [{"id": ...}, ...]}``) says is served as ``model``: its
    entry with that id, or the only entry of a one-model server (llama.cpp, vLLM serve one),
    without the volatile fields, as compact sorted JSON (vLLM's ``root`` names the weights,
    llama.cpp's ``meta`` their size and shape). ``None`` when no entry says."""
    data = listing.get("data")
    listed = data if isinstance(data, list) else []
    entries = [entry for entry in listed if isinstance(entry, Mapping)]
    named = [entry for entry in entries if entry.get("id") == model]
    chosen = named if named else entries
    if len(chosen) != 1:
        return None
    stable = {key: value for key, value in chosen[0].items() if key not in VOLATILE_LISTING_FIELDS}
    return json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
