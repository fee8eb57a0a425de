"""What the HTTP providers share: turning SDK failures and raw bodies into our error types.

Both SDKs raise ``APIStatusError`` (with ``status_code``, ``response`` and ``body``) and
``APIConnectionError`` (timeouts included); the classification of what is worth retrying lives
here once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._errors import ModelError, RetryableError
from ._retry import parse_retry_after

_QUOTE_LIMIT = 300
RETRYABLE_STATUSES = frozenset({408, 429})
"""Besides every 5xx: request timeout and rate limiting."""


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
