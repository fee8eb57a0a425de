"""``builtin:NAME``: offline deterministic models made from plain functions of the request.

Modules that register built-ins are named by the ``pytest_safecase.builtins`` entry point group:
the project's own stand-ins (``builtin:untrusted`` and ``builtin:trusted``, in
``pytest_safecase.control._builtin_models``) come in that way like any plug-in's, imported the
first time a built-in is looked up, so the control engine's imports are paid only when used.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any

from ._base import Provider, Reply, Request, Usage
from ._errors import ModelError

BUILTIN_ENTRY_POINT_GROUP = "pytest_safecase.builtins"
"""Entry points naming modules that register built-in models when imported."""
_CHARS_PER_TOKEN = 4
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

Respond = Callable[[Request], str]
Brief = Callable[[Sequence[Any]], None]
"""Told the problems an evaluation will pose, before it asks (see ``Provider.brief``)."""


def check_builtin(name: str, respond: Respond) -> None:
    """Reject a name unfit for a ``builtin:NAME`` spec, or a ``respond`` that is not callable."""
    if not _NAME_PATTERN.match(name):
        raise ValueError(f"built-in model name {name!r} must match {_NAME_PATTERN.pattern}")
    if not callable(respond):
        raise TypeError(f"respond for builtin:{name} must be callable, got {respond!r}")


def import_builtin_modules() -> None:
    """Import the modules the entry point group names (each registers its models)."""
    for entry in entry_points(group=BUILTIN_ENTRY_POINT_GROUP):
        module = entry.value
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            # Only a missing registering module is tolerated; a broken import inside it is not.
            if error.name is None or not module.startswith(error.name):
                raise


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


class BuiltinProvider(Provider):
    """Calls the registered function; nothing to cache, no network, token counts estimated."""

    name = "builtin"
    cacheable = False
    uses_network = False

    def __init__(self, model: str, respond: Respond, brief: Brief | None = None) -> None:
        super().__init__(model)
        self._respond = respond
        self._brief = brief

    def brief(self, problems: Sequence[Any]) -> None:
        if self._brief is not None:
            self._brief(problems)

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        import asyncio  # loads with the first call, not with the plugin

        # Off the event loop: a stand-in may wait on a sandbox, and concurrent ones then overlap.
        # Their parsing is safe in threads (``pytest_safecase._parse``).
        text = await asyncio.to_thread(self._respond, request)
        if not isinstance(text, str):
            raise ModelError(f"answered {type(text).__name__}, not str: {text!r}")
        prompt_text = (request.system or "") + "".join(m["content"] for m in request.messages())
        usage = Usage(estimate_tokens(prompt_text), estimate_tokens(text), estimated=True)
        return Reply(text=text, model=self.spec, usage=usage)
