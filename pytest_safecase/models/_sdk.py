"""What the two official-SDK providers share: the client, its transport, and the call itself.

Requests go through the SDK client's generic ``post`` (auth, headers, base URL and error types
are the SDK's) with a body the provider builds, which skips the typed-parameter transform (about
0.7 ms of CPU per request, the bottleneck of large concurrent batches); the provider parses the
raw body itself, so malformed or wrong-shape replies become ``ModelError``s that quote it. The
SDK's own retries are off: ours count and honour Retry-After.

A 400 that names a sampling parameter the model does not take (``temperature`` for reasoning
models, ``max_tokens`` where ``max_completion_tokens`` is wanted) is answered by sending the
request again without it, or renamed; the provider remembers it for every later request.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ._base import Provider, Reply, Request
from ._errors import ModelError
from ._wire import (
    connection_failure,
    parse_json_object,
    redact_url,
    rejected_parameter,
    served_identity,
    status_failure,
)


class SdkProvider(Provider):
    """A provider backed by an official SDK module (``openai`` or ``anthropic``)."""

    sdk: ClassVar[str]
    """The SDK's module name."""
    client_class: ClassVar[str]
    """Its async client class."""
    api_key_env: ClassVar[str]
    base_url_env: ClassVar[str]
    path: ClassVar[str]
    """The endpoint, relative to the base URL."""
    models_path: ClassVar[str]
    """The model listing, relative to the base URL (asked once, see ``served_model``)."""
    renamed_parameters: ClassVar[dict[str, str]] = {}
    """A rejected parameter that is sent again under another name instead of dropped."""

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._client: Any = None
        self._client_timeout: float | None = None
        self._sdk: Any = None
        self._where = ""
        """The client's base URL without credentials, for error messages."""
        self._rejected: dict[str, str | None] = {}
        """Parameters this model rejected, and the name each is sent under now (None: dropped)."""

    @property
    def endpoint(self) -> str:
        return os.environ.get(self.base_url_env, "")

    def missing_credentials(self) -> list[str]:
        return [] if os.environ.get(self.api_key_env) else [self.api_key_env]

    def configuration_error(self) -> str | None:
        """A base URL carrying user info or a query is refused: the SDKs would mangle it (the
        query ends up before the endpoint path, user info replaces the API key's auth header)
        and every message quoting the URL would carry the credential."""
        base_url = os.environ.get(self.base_url_env, "")
        try:
            parts = urlsplit(base_url)
            shown = redact_url(base_url)
        except ValueError:
            return f"{self.base_url_env} is not a valid URL"
        if parts.username or parts.password or parts.query:
            return (
                f"{self.base_url_env} ({shown} plus user info or a query) must not carry "
                f"credentials; put the key in {self.api_key_env}"
            )
        return None

    def request_body(self, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    def parse_reply(self, text: str) -> Reply:
        raise NotImplementedError

    def sdk_client(self, timeout: float) -> Any:
        """The SDK client, made on first use (on the loop that will use it) with aiohttp as its
        transport (the SDK's own option for heavy concurrency: about a third less CPU per
        request than its default)."""
        if self._client is None:
            api_key = os.environ.get(self.api_key_env)
            if not api_key:
                raise ModelError(f"{self.api_key_env} is not set")
            problem = self.configuration_error()
            if problem:
                raise ModelError(problem)
            sdk = self._sdk = importlib.import_module(self.sdk)
            self._client = getattr(sdk, self.client_class)(
                api_key=api_key,
                base_url=os.environ.get(self.base_url_env) or None,
                max_retries=0,
                timeout=timeout,
                http_client=sdk.DefaultAioHttpClient(),
            )
            self._client_timeout = timeout
            self._where = redact_url(str(self._client.base_url)).rstrip("/")
        return self._client

    async def prepare(self, *, timeout: float) -> None:
        self.sdk_client(timeout)

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        import httpx2

        client = self.sdk_client(timeout)
        sdk = self._sdk
        # Per-request options cost the SDK a deep copy; send them only for a different timeout.
        options = {} if timeout == self._client_timeout else {"timeout": timeout}
        body = self._adapted(self.request_body(request))
        while True:
            try:
                response = await client.post(
                    self.path, cast_to=httpx2.Response, body=body, options=options
                )
            except sdk.APIStatusError as error:
                rejected = rejected_parameter(error.status_code, error.body, body)
                if rejected is not None:  # each round removes one parameter: bounded
                    self._rejected[rejected] = self.renamed_parameters.get(rejected)
                    body = self._adapted(body)
                    continue
                status, headers = error.status_code, error.response.headers
                raise status_failure(
                    status, headers, error.body, error.message, self._where
                ) from None
            except sdk.APIConnectionError as error:
                raise connection_failure(error, self._where) from None
            return self.parse_reply(response.text)

    def _adapted(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body without the parameters this model rejected (or with them renamed)."""
        for name, replacement in self._rejected.items():
            if name in body:
                value = body.pop(name)
                if replacement is not None and replacement not in self._rejected:
                    body[replacement] = value
        return body

    async def served_model(self, *, timeout: float) -> str | None:
        """The entry of the endpoint's model listing for this model name (see
        ``served_identity``); ``None`` if there is no listing or no entry says which it is.
        An endpoint that cannot be reached raises ``RetryableError``."""
        import httpx2

        client = self.sdk_client(timeout)
        sdk = self._sdk
        try:
            response = await client.get(self.models_path, cast_to=httpx2.Response)
            listing = parse_json_object(response.text)
        except (sdk.APIStatusError, ModelError):
            return None
        except sdk.APIConnectionError as error:
            raise connection_failure(error, self._where) from None
        return served_identity(listing, self.model)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
