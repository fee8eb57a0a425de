"""The model-access layer: one interface to OpenAI, Anthropic, built-in and plug-in models.

Answers are cached on disk per sample, retried with bounded backoff, fetched concurrently in
input order, and counted; anything that goes wrong raises ``ModelError`` (never an answer).

Names load on first use (PEP 562): pytest imports this package in every run, and asyncio, SQLite
and the provider SDKs should load only when a model is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_safecase._lazy import lazy_exports

_HOMES = {
    "LEDGER": "_accounting",
    "ModelUsage": "_accounting",
    "UsageLedger": "_accounting",
    "CacheMissError": "_errors",
    "Completion": "_base",
    "Message": "_base",
    "ModelError": "_errors",
    "Provider": "_base",
    "Reply": "_base",
    "Request": "_base",
    "RetryableError": "_errors",
    "Usage": "_base",
    "builtin_names": "_builtin",
    "register_builtin": "_builtin",
    "CacheCorruptWarning": "_cache",
    "CacheKey": "_cache",
    "ResponseCache": "_cache",
    "cache_key": "_cache",
    "CACHE_MODES": "_defaults",
    "DEFAULT_MAX_CONCURRENCY": "_defaults",
    "DEFAULT_TIMEOUT": "_defaults",
    "CacheMode": "_defaults",
    "Model": "_model",
    "ProgressFactory": "_progress",
    "ENTRY_POINT_GROUP": "_registry",
    "get_model": "_registry",
    "make_provider": "_registry",
    "provider_names": "_registry",
    "register_provider": "_registry",
    "RetryPolicy": "_retry",
    "parse_retry_after": "_retry",
}

__all__ = [
    "CACHE_MODES",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "LEDGER",
    "CacheCorruptWarning",
    "CacheKey",
    "CacheMissError",
    "CacheMode",
    "Completion",
    "Message",
    "Model",
    "ModelError",
    "ModelUsage",
    "ProgressFactory",
    "Provider",
    "Reply",
    "Request",
    "ResponseCache",
    "RetryPolicy",
    "RetryableError",
    "Usage",
    "UsageLedger",
    "builtin_names",
    "cache_key",
    "get_model",
    "make_provider",
    "parse_retry_after",
    "provider_names",
    "register_builtin",
    "register_provider",
]

if TYPE_CHECKING:
    from ._accounting import LEDGER, ModelUsage, UsageLedger
    from ._base import Completion, Message, Provider, Reply, Request, Usage
    from ._builtin import builtin_names, register_builtin
    from ._cache import CacheCorruptWarning, CacheKey, ResponseCache, cache_key
    from ._defaults import CACHE_MODES, DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, CacheMode
    from ._errors import CacheMissError, ModelError, RetryableError
    from ._model import Model
    from ._progress import ProgressFactory
    from ._registry import (
        ENTRY_POINT_GROUP,
        get_model,
        make_provider,
        provider_names,
        register_provider,
    )
    from ._retry import RetryPolicy, parse_retry_after

__getattr__ = lazy_exports(__name__, _HOMES)
