"""Provider lookup by spec string (``PROVIDER:MODEL``), extensible by entry points.

A third-party package adds a provider with an entry point in the ``pytest_safecase.providers``
group whose name is the spec prefix and whose object is a callable ``factory(model) -> Provider``
(typically a ``Provider`` subclass). ``register_provider`` does the same at run time.

All of this is the state of one owner, a ``ModelRegistry``; the module-level functions act on
``DEFAULT_REGISTRY``. Tests that register stand-ins do so inside ``DEFAULT_REGISTRY.scoped()``,
which undoes them, so no test has to reset module state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from pytest_safecase._model_defaults import DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, CacheMode
from pytest_safecase._model_use import model_built

from ._accounting import UsageLedger
from ._base import Provider
from ._builtin import Brief, BuiltinProvider, Respond, check_builtin, import_builtin_modules
from ._errors import ModelError

if TYPE_CHECKING:  # the model runtime (sqlite3, HTTP helpers) loads when a model is built
    from ._budget import TokenBudget
    from ._cache import ResponseCache
    from ._model import Model
    from ._progress import ProgressFactory
    from ._retry import RetryPolicy

ENTRY_POINT_GROUP = "pytest_safecase.providers"
_PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_\-]*$")

ProviderFactory = Callable[[str], Provider]


class ModelRegistry:
    """The provider factories and built-in models that specs are resolved against.

    The modules of the ``pytest_safecase.builtins`` entry points (the project's own stand-ins
    among them) are imported before any built-in is
    registered or looked up, so a user's registration of the same name (e.g. a test's stand-in
    for ``builtin:untrusted``) replaces them rather than being replaced. Those modules register
    in ``DEFAULT_REGISTRY``; a new ``ModelRegistry()`` starts with no built-ins.
    """

    ledger: UsageLedger
    """Where models built without ``ledger=`` record; the pytest plugin counts the run's usage
    from this one (and gives it to the models it builds), so a test's own ``get_model`` calls
    count in the usage summary too."""

    def __init__(self) -> None:
        self._factories: dict[str, ProviderFactory] = {
            "openai": _openai_provider,
            "anthropic": _anthropic_provider,
            "builtin": self._builtin_provider,
        }
        self._builtins: dict[str, tuple[Respond, Brief | None]] = {}
        self.ledger = UsageLedger()

    def register_provider(self, name: str, factory: ProviderFactory) -> None:
        """Make ``NAME:MODEL`` specs build their provider with ``factory(MODEL)``."""
        if not _PREFIX_PATTERN.match(name):
            raise ValueError(f"provider name {name!r} must match {_PREFIX_PATTERN.pattern}")
        self._factories[name] = factory

    def provider_names(self) -> list[str]:
        names = set(self._factories)
        names.update(entry.name for entry in entry_points(group=ENTRY_POINT_GROUP))
        return sorted(names)

    def register_builtin(self, name: str, respond: Respond, brief: Brief | None = None) -> None:
        """Make ``builtin:NAME`` answer every request with ``respond(request)`` (a pure one);
        ``brief``, if given, is told the problems of an evaluation first (``Provider.brief``)."""
        check_builtin(name, respond)
        import_builtin_modules()
        self._builtins[name] = (respond, brief)

    def builtin_names(self) -> list[str]:
        import_builtin_modules()
        return sorted(self._builtins)

    @contextmanager
    def scoped(self) -> Iterator[ModelRegistry]:
        """This registry, restored on exit to what it held on entry (for tests' stand-ins).

        The project's built-ins are imported first: imported inside the block, they would be
        undone on exit and, their module being imported already, never registered again.
        """
        import_builtin_modules()
        factories, builtins, ledger = dict(self._factories), dict(self._builtins), self.ledger
        try:
            yield self
        finally:
            self._factories, self._builtins, self.ledger = factories, builtins, ledger

    def make_provider(self, spec: str) -> Provider:
        """The provider for ``PROVIDER:MODEL``; a bad spec is a ``ModelError`` naming known ones."""
        prefix, separator, model = spec.partition(":")
        if not separator or not prefix or not model:
            raise ModelError(
                f"model spec {spec!r} is not of the form PROVIDER:MODEL (e.g. openai:gpt-4o)"
            )
        provider = self._factory_for(prefix.strip())(model.strip())
        if not isinstance(provider, Provider):
            raise ModelError(f"provider {prefix!r} built {provider!r}, which is not a Provider")
        provider.name = prefix.strip()
        return provider

    def get_model(
        self,
        spec: str,
        *,
        cache: ResponseCache | None = None,
        cache_mode: CacheMode = "on",
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        ledger: UsageLedger | None = None,
        progress: ProgressFactory | None = None,
        budget: TokenBudget | None = None,
    ) -> Model:
        """A ``Model`` for ``PROVIDER:MODEL`` with caching, retries and accounting set up."""
        from ._model import Model

        if ledger is None:  # it records into this registry's ledger: a pytest run counts it
            model_built()
        return Model(
            self.make_provider(spec),
            cache=cache,
            cache_mode=cache_mode,
            retry=retry,
            max_concurrency=max_concurrency,
            timeout=timeout,
            ledger=ledger if ledger is not None else self.ledger,
            progress=progress,
            budget=budget,
        )

    def _factory_for(self, prefix: str) -> ProviderFactory:
        if prefix in self._factories:
            return self._factories[prefix]
        for entry in entry_points(group=ENTRY_POINT_GROUP, name=prefix):
            try:
                factory = entry.load()
            except Exception as error:
                raise ModelError(
                    f"provider {prefix!r} from entry point {entry.value!r} failed to load: {error}"
                ) from error
            loaded: ProviderFactory = factory
            self._factories[prefix] = loaded
            return loaded
        known = ", ".join(self.provider_names())
        raise ModelError(f"unknown model provider {prefix!r}; known providers: {known}")

    def _builtin_provider(self, model: str) -> Provider:
        names = self.builtin_names()
        if model not in self._builtins:
            known = ", ".join(f"builtin:{name}" for name in names) or "none"
            raise ModelError(f"unknown built-in model 'builtin:{model}'; registered: {known}")
        return BuiltinProvider(model, *self._builtins[model])


def _openai_provider(model: str) -> Provider:
    from ._openai import OpenAIProvider

    return OpenAIProvider(model)


def _anthropic_provider(model: str) -> Provider:
    from ._anthropic import AnthropicProvider

    return AnthropicProvider(model)


DEFAULT_REGISTRY = ModelRegistry()
"""The registry behind ``get_model``, ``register_builtin`` and ``register_provider``."""

register_provider = DEFAULT_REGISTRY.register_provider
provider_names = DEFAULT_REGISTRY.provider_names
register_builtin = DEFAULT_REGISTRY.register_builtin
builtin_names = DEFAULT_REGISTRY.builtin_names
make_provider = DEFAULT_REGISTRY.make_provider
get_model = DEFAULT_REGISTRY.get_model
