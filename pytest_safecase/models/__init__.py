"""The model-access layer: one interface to OpenAI, Anthropic, built-in and plug-in models.

Answers are cached on disk per sample, retried with bounded backoff, fetched concurrently in
input order, and counted; anything that goes wrong raises ``ModelError`` (never an answer). The
provider SDKs load when a provider first needs one.

The names below load their submodule on first use (PEP 562): the pytest plugin reads its
settings and usage types at every start, and a run that builds no model should not pay for
sqlite3, the HTTP helpers and the model runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_safecase.models._accounting import ModelUsage, UsageLedger
    from pytest_safecase.models._base import (
        FINISH_EMPTY,
        FINISH_LENGTH,
        FINISH_STOP,
        Completion,
        Message,
        Provider,
        Reply,
        Request,
        Usage,
    )
    from pytest_safecase.models._budget import TokenBudget
    from pytest_safecase.models._cache import CacheCorruptWarning, ResponseCache
    from pytest_safecase.models._defaults import CACHE_MODES, CacheMode
    from pytest_safecase.models._errors import (
        BudgetExceededError,
        CacheMissError,
        ModelError,
        RetryableError,
    )
    from pytest_safecase.models._model import Model
    from pytest_safecase.models._registry import (
        DEFAULT_REGISTRY,
        ENTRY_POINT_GROUP,
        ModelRegistry,
        builtin_names,
        get_model,
        provider_names,
        register_builtin,
        register_provider,
    )
    from pytest_safecase.models._retry import RetryPolicy

_SUBMODULES = (
    "_accounting",
    "_base",
    "_budget",
    "_cache",
    "_defaults",
    "_errors",
    "_model",
    "_registry",
    "_retry",
)
"""The submodules that define the public names, searched in this order on first use."""

__all__ = [
    "CACHE_MODES",
    "DEFAULT_REGISTRY",
    "ENTRY_POINT_GROUP",
    "FINISH_EMPTY",
    "FINISH_LENGTH",
    "FINISH_STOP",
    "BudgetExceededError",
    "CacheCorruptWarning",
    "CacheMissError",
    "CacheMode",
    "Completion",
    "Message",
    "Model",
    "ModelError",
    "ModelRegistry",
    "ModelUsage",
    "Provider",
    "Reply",
    "Request",
    "ResponseCache",
    "RetryPolicy",
    "RetryableError",
    "TokenBudget",
    "Usage",
    "UsageLedger",
    "builtin_names",
    "get_model",
    "provider_names",
    "register_builtin",
    "register_provider",
]


def __getattr__(name: str) -> Any:
    """A public name, its submodule imported now; kept, so this runs once per name."""
    if name in __all__:
        for home in _SUBMODULES:
            module = importlib.import_module(f"{__name__}.{home}")
            if hasattr(module, name):
                value = getattr(module, name)
                globals()[name] = value
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
