"""``anthropic:MODEL``: the messages API through the official SDK.

Reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL. The API requires ``max_tokens``, so requests
without one get ``DEFAULT_MAX_TOKENS``. The current messages API (SDK 2.x) takes neither
``temperature`` nor ``seed``: they are not sent, and only keep requests apart in the cache.
System-role chat messages are moved to the ``system`` parameter, as the API expects. How the SDK
is called is shared with the OpenAI provider (``_sdk``).
"""

from __future__ import annotations

from typing import Any

from pytest_safecase._model_defaults import ANTHROPIC_BASE_URL_ENV

from ._base import FINISH_LENGTH, FINISH_STOP, Reply, Request, Usage
from ._errors import ModelError
from ._sdk import SdkProvider
from ._wire import parse_json_object, quote, token_count

API_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024


class AnthropicProvider(SdkProvider):
    name = "anthropic"
    sdk = "anthropic"
    client_class = "AsyncAnthropic"
    api_key_env = API_KEY_ENV
    base_url_env = ANTHROPIC_BASE_URL_ENV
    path = "/v1/messages"
    models_path = "/v1/models"
    default_max_tokens = DEFAULT_MAX_TOKENS

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
            "max_tokens": request.max_tokens or self.default_max_tokens,
        }
        if system_parts:
            body["system"] = "\n\n".join(system_parts)
        return body

    def parse_reply(self, text: str) -> Reply:
        data = parse_json_object(text)
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise ModelError(f"response has no content list: {quote(text)!r}")
        texts = [
            block["text"]
            for block in blocks
            if isinstance(block, dict)
            and block.get("type") == "text"
            and isinstance(block.get("text"), str)
        ]
        truncated = data.get("stop_reason") == "max_tokens"
        if not texts and not truncated:
            reason = data.get("stop_reason")
            raise ModelError(
                f"response has no text content (stop_reason {reason!r}): {quote(text)!r}"
            )
        usage = data.get("usage")
        return Reply(
            text="".join(texts),
            model=str(data.get("model") or self.model),
            usage=Usage(token_count(usage, "input_tokens"), token_count(usage, "output_tokens")),
            finish=FINISH_LENGTH if truncated else FINISH_STOP,
        )
