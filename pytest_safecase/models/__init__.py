"""The model-access layer: one interface to OpenAI, Anthropic, built-in and plug-in models.

Answers are cached on disk per sample, retried with bounded backoff, fetched concurrently in
input order, and counted; anything that goes wrong raises ``ModelError`` (never an answer). The
provider SDKs load when a provider first needs one.
"""

from pytest_safecase._model_defaults import CACHE_MODES, CacheMode
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
