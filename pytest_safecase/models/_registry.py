"""Provider lookup by spec string (``PROVIDER:MODEL``), extensible by entry points.

A third-party package adds a provider with an entry point in the ``pytest_safecase.providers``
group whose name is the spec prefix and whose object is a callable ``factory(model) -> Provider``
(typically a ``Provider`` subclass). ``register_provider`` does the same at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import entry_points

from ._accounting import LEDGER, UsageLedger
from ._anthropic import AnthropicProvider
from ._base import Provider
from ._builtin import BuiltinProvider
from ._cache import ResponseCache
from ._defaults import DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, CacheMode
from ._errors import ModelError
from ._model import Model
from ._openai import OpenAIProvider
from ._progress import ProgressFactory
from ._retry import RetryPolicy

ENTRY_POINT_GROUP = "pytest_safecase.providers"
_PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_\-]*$")

ProviderFactory = Callable[[str], Provider]

_factories: dict[str, ProviderFactory] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "builtin": BuiltinProvider,
}


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``NAME:MODEL`` specs build their provider with ``factory(MODEL)``."""
    if not _PREFIX_PATTERN.match(name):
        raise ValueError(f"provider name {name!r} must match {_PREFIX_PATTERN.pattern}")
    _factories[name] = factory


def provider_names() -> list[str]:
    names = set(_factories)
    names.update(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


def _factory_for(prefix: str) -> ProviderFactory:
    if prefix in _factories:
        return _factories[prefix]
    for entry in entry_points(group=ENTRY_POINT_GROUP, name=prefix):
        try:
            factory = entry.load()
        except Exception as error:
            raise ModelError(
                f"provider {prefix!r} from entry point {entry.value!r} failed to load: {error}"
            ) from error
        loaded: ProviderFactory = factory
        _factories[prefix] = loaded
        return loaded
    raise ModelError(
        f"unknown model provider {prefix!r}; known providers: {', '.join(provider_names())}"
    )


def make_provider(spec: str) -> Provider:
    """The provider for ``PROVIDER:MODEL``; a bad spec is a ``ModelError`` naming known ones."""
    prefix, separator, model = spec.partition(":")
    if not separator or not prefix or not model:
        raise ModelError(
            f"model spec {spec!r} is not of the form PROVIDER:MODEL (e.g. openai:gpt-4o)"
        )
    provider = _factory_for(prefix.strip())(model.strip())
    if not isinstance(provider, Provider):
        raise ModelError(f"provider {prefix!r} built {provider!r}, which is not a Provider")
    provider.name = prefix.strip()
    return provider


def get_model(
    spec: str,
    *,
    cache: ResponseCache | None = None,
    cache_mode: CacheMode = "on",
    retry: RetryPolicy | None = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    ledger: UsageLedger = LEDGER,
    progress: ProgressFactory | None = None,
) -> Model:
    """A ``Model`` for ``PROVIDER:MODEL`` with caching, retries and accounting set up."""
    return Model(
        make_provider(spec),
        cache=cache,
        cache_mode=cache_mode,
        retry=retry,
        max_concurrency=max_concurrency,
        timeout=timeout,
        ledger=ledger,
        progress=progress,
    )
