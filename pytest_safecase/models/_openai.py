"""``openai:MODEL``: chat completions through the official SDK (any OpenAI-compatible server).

Reads OPENAI_API_KEY and OPENAI_BASE_URL (e.g. a local vLLM). How the SDK is called is shared
with the Anthropic provider (``_sdk``); here are the body we send and how the reply is read.
Reasoning models (the o-series and gpt-5) take ``max_completion_tokens`` and no ``temperature``:
they are sent that way from the start; any other model that rejects a parameter is adapted by
``_sdk`` on its first 400.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pytest_safecase._model_defaults import OPENAI_BASE_URL_ENV

from ._base import FINISH_LENGTH, FINISH_STOP, Reply, Request, Usage
from ._errors import ModelError
from ._sdk import SdkProvider
from ._wire import parse_json_object, quote, token_count

API_KEY_ENV = "OPENAI_API_KEY"
REASONING_MODELS = re.compile(r"^(o\d|gpt-5)", re.IGNORECASE)
"""Model names (after any ``vendor/`` prefix) of the families that reason before answering."""


def is_reasoning_model(model: str) -> bool:
    return bool(REASONING_MODELS.match(model.rpartition("/")[2]))


class OpenAIProvider(SdkProvider):
    name = "openai"
    sdk = "openai"
    client_class = "AsyncOpenAI"
    api_key_env = API_KEY_ENV
    base_url_env = OPENAI_BASE_URL_ENV
    path = "/chat/completions"
    models_path = "/models"
    renamed_parameters: ClassVar[dict[str, str]] = {"max_tokens": "max_completion_tokens"}

    def request_body(self, request: Request) -> dict[str, Any]:
        messages = request.messages()
        if request.system is not None:
            messages = [{"role": "system", "content": request.system}, *messages]
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        reasoning = is_reasoning_model(self.model)
        optional = {
            "temperature": None if reasoning else request.temperature,
            "max_completion_tokens" if reasoning else "max_tokens": request.max_tokens,
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
        truncated = choices[0].get("finish_reason") == "length"
        if content is None and truncated:  # a reasoning model spent every token thinking
            content = ""
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
            finish=FINISH_LENGTH if truncated else FINISH_STOP,
        )
