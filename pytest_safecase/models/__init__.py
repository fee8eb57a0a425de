"""The model-access layer: one interface to OpenAI, Anthropic, built-in and plug-in models.

Answers are cached on disk per sample, retried with bounded backoff, fetched concurrently in
input order, and counted; anything that goes wrong raises ``ModelError`` (never an answer).
"""

from ._accounting import LEDGER, ModelUsage, UsageLedger
from ._base import (
    CacheMissError,
    Completion,
    Message,
    ModelError,
    Provider,
    Reply,
    Request,
    RetryableError,
    Usage,
)
from ._builtin import builtin_names, register_builtin
from ._cache import CACHE_MODES, CacheCorruptWarning, CacheMode, ResponseCache, cache_key
from ._model import DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, Model
from ._progress import ProgressFactory
from ._registry import (
    ENTRY_POINT_GROUP,
    get_model,
    make_provider,
    provider_names,
    register_provider,
)
from ._retry import RetryPolicy, parse_retry_after

__all__ = [
    "CACHE_MODES",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "ENTRY_POINT_GROUP",
    "LEDGER",
    "CacheCorruptWarning",
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
