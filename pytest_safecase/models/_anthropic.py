"""``anthropic:MODEL``: the messages API through the official SDK.

Reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL. The API requires ``max_tokens``, so requests
without one get ``DEFAULT_MAX_TOKENS``. The current messages API (SDK 2.x) takes neither
``temperature`` nor ``seed``: they are not sent, and only keep requests apart in the cache.
System-role chat messages are moved to the ``system`` parameter, as the API expects. As for
OpenAI, requests go through the SDK client's generic ``post`` and the raw body is parsed here.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._base import ModelError, Provider, Reply, Request, Usage
from ._defaults import ANTHROPIC_BASE_URL_ENV as BASE_URL_ENV
from ._wire import (
    connection_failure,
    parse_json_object,
    quote,
    status_failure,
    token_count,
)

if TYPE_CHECKING:
    import anthropic

API_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024


class AnthropicProvider(Provider):
    name = "anthropic"

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._client: anthropic.AsyncAnthropic | None = None

    @property
    def endpoint(self) -> str:
        return os.environ.get(BASE_URL_ENV, "")

    def missing_credentials(self) -> list[str]:
        return [] if os.environ.get(API_KEY_ENV) else [API_KEY_ENV]

    def _client_for_loop(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            import anthropic

            api_key = os.environ.get(API_KEY_ENV)
            if not api_key:
                raise ModelError(f"{self.spec}: {API_KEY_ENV} is not set")
            self._client = anthropic.AsyncAnthropic(
                api_key=api_key, base_url=os.environ.get(BASE_URL_ENV) or None, max_retries=0
            )
        return self._client

    def request_body(self, request: Request) -> dict[str, Any]:
        system_parts = [] if request.system is None else [request.system]
        messages = []
        for message in request.messages():
            if message["role"] == "system":
                system_parts.append(message["content"])
            else:
                messages.append(message)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        }
        if system_parts:
            body["system"] = "\n\n".join(system_parts)
        return body

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        import anthropic
        import httpx2

        client = self._client_for_loop()
        try:
            response = await client.post(
                "/v1/messages",
                cast_to=httpx2.Response,
                body=self.request_body(request),
                options={"timeout": timeout},
            )
        except anthropic.APIStatusError as error:
            raise status_failure(
                self.spec, error.status_code, error.response.headers, error.body, error.message
            ) from None
        except anthropic.APIConnectionError as error:
            raise connection_failure(self.spec, error) from None
        return self.parse_reply(response.text)

    def parse_reply(self, text: str) -> Reply:
        data = parse_json_object(self.spec, text)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise ModelError(f"{self.spec}: response has no content list: {quote(text)!r}")
        texts = [
            block["text"]
            for block in blocks
            if isinstance(block, dict)
            and block.get("type") == "text"
            and isinstance(block.get("text"), str)
        ]
        if not texts:
            reason = data.get("stop_reason")
            raise ModelError(
                f"{self.spec}: response has no text content (stop_reason {reason!r}): "
                f"{quote(text)!r}"
            )
        usage = data.get("usage")
        return Reply(
            text="".join(texts),
            model=str(data.get("model") or self.model),
            usage=Usage(token_count(usage, "input_tokens"), token_count(usage, "output_tokens")),
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
