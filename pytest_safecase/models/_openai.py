"""``openai:MODEL``: chat completions through the official SDK (any OpenAI-compatible server).

Reads OPENAI_API_KEY and OPENAI_BASE_URL (e.g. a local vLLM). The SDK's own retries are off. We
send through the SDK client's generic ``post`` (auth, headers, base URL and error types are the
SDK's) with a body we build, which skips the typed-parameter transform (about 0.7 ms of CPU per
request, the bottleneck of large concurrent batches), and parse the raw body ourselves so
malformed or wrong-shape replies become ``ModelError``s that quote it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ._base import ModelError, Provider, Reply, Request, Usage
from ._defaults import OPENAI_BASE_URL_ENV as BASE_URL_ENV
from ._wire import (
    connection_failure,
    parse_json_object,
    quote,
    status_failure,
    token_count,
)

if TYPE_CHECKING:
    import openai

API_KEY_ENV = "OPENAI_API_KEY"


class OpenAIProvider(Provider):
    name = "openai"

    def __init__(self, model: str) -> None:
        super().__init__(model)
        self._client: openai.AsyncOpenAI | None = None

    @property
    def endpoint(self) -> str:
        return os.environ.get(BASE_URL_ENV, "")

    def missing_credentials(self) -> list[str]:
        return [] if os.environ.get(API_KEY_ENV) else [API_KEY_ENV]

    def _client_for_loop(self) -> openai.AsyncOpenAI:
        if self._client is None:
            import openai

            api_key = os.environ.get(API_KEY_ENV)
            if not api_key:
                raise ModelError(f"{self.spec}: {API_KEY_ENV} is not set")
            self._client = openai.AsyncOpenAI(
                api_key=api_key, base_url=os.environ.get(BASE_URL_ENV) or None, max_retries=0
            )
        return self._client

    def request_body(self, request: Request) -> dict[str, Any]:
        messages = request.messages()
        if request.system is not None:
            messages = [{"role": "system", "content": request.system}, *messages]
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        optional = {
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": request.seed,
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        return body

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        import httpx2
        import openai

        client = self._client_for_loop()
        try:
            response = await client.post(
                "/chat/completions",
                cast_to=httpx2.Response,
                body=self.request_body(request),
                options={"timeout": timeout},
            )
        except openai.APIStatusError as error:
            raise status_failure(
                self.spec, error.status_code, error.response.headers, error.body, error.message
            ) from None
        except openai.APIConnectionError as error:
            raise connection_failure(self.spec, error) from None
        return self.parse_reply(response.text)

    def parse_reply(self, text: str) -> Reply:
        data = parse_json_object(self.spec, text)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ModelError(f"{self.spec}: response has no choices: {quote(text)!r}")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            refusal = message.get("refusal") if isinstance(message, dict) else None
            reason = f"refusal {refusal!r}" if refusal else quote(text)
            raise ModelError(f"{self.spec}: response has no text content: {reason}")
        usage = data.get("usage")
        return Reply(
            text=content,
            model=str(data.get("model") or self.model),
            usage=Usage(
                token_count(usage, "prompt_tokens"), token_count(usage, "completion_tokens")
            ),
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
