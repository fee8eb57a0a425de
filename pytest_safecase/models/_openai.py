"""``openai:MODEL``: chat completions through the official SDK (any OpenAI-compatible server).

Reads OPENAI_API_KEY and OPENAI_BASE_URL (e.g. a local vLLM). How the SDK is called is shared
with the Anthropic provider (``_sdk``); here are the body we send and how the reply is read.
"""

from __future__ import annotations

from typing import Any

from ._base import Reply, Request, Usage
from ._defaults import OPENAI_BASE_URL_ENV
from ._errors import ModelError
from ._sdk import SdkProvider
from ._wire import parse_json_object, quote, token_count

API_KEY_ENV = "OPENAI_API_KEY"


class OpenAIProvider(SdkProvider):
    name = "openai"
    sdk = "openai"
    client_class = "AsyncOpenAI"
    api_key_env = API_KEY_ENV
    base_url_env = OPENAI_BASE_URL_ENV
    path = "/chat/completions"

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

    def parse_reply(self, text: str) -> Reply:
        data = parse_json_object(text)
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ModelError(f"response has no choices: {quote(text)!r}")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            refusal = message.get("refusal") if isinstance(message, dict) else None
            reason = f"refusal {refusal!r}" if refusal else quote(text)
            raise ModelError(f"response has no text content: {reason}")
        usage = data.get("usage")
        return Reply(
            text=content,
            model=str(data.get("model") or self.model),
            usage=Usage(
                token_count(usage, "prompt_tokens"), token_count(usage, "completion_tokens")
            ),
        )
