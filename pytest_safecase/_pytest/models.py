"""The pytest side of the model layer: options, the two model fixtures, header and usage summary.

Loaded by the core plugin (``SUB_PLUGINS``) or on its own with
``-p pytest_safecase._pytest.models``. Per-test usage travels on each test report as the JSON-safe
attribute ``report.safecase_usage`` (``{spec: ModelUsage fields}``), so totals are correct under
pytest-xdist too; a test that died of a ``ModelError`` carries ``report.safecase_model_error``
and shows it as one line (where the test called the model, and why it failed), not a traceback
through the model layer and the SDK.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import pytest
from _pytest._code.code import ReprEntryNative, ReprExceptionInfo, ReprFileLocation, ReprTraceback

from pytest_safecase import _model_use
from pytest_safecase._escape import visible
from pytest_safecase._model_defaults import (
    BASE_URL_ENVS,
    CACHE_MODES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
    CacheMode,
)
from pytest_safecase._pytest.stash import case_metadata
from pytest_safecase._pytest.terminal import log_writer, progress_writer

if TYPE_CHECKING:  # the model layer loads when a run first builds (or may build) a model
    from pytest_safecase.models._accounting import UsageBySpec, UsageLedger
    from pytest_safecase.models._budget import TokenBudget
    from pytest_safecase.models._cache import ResponseCache
    from pytest_safecase.models._model import Model
    from pytest_safecase.models._progress import ProgressFactory

Role = Literal["untrusted", "trusted"]
ROLES: tuple[Role, ...] = ("untrusted", "trusted")
DEFAULT_SPECS: dict[Role, str] = {"untrusted": "builtin:untrusted", "trusted": "builtin:trusted"}
DEFAULT_RETRIES = 4
DEFAULT_CACHE_DIR = ".safecase_cache"


class ModelChoice(NamedTuple):
    """Which spec plays a role, and where that choice came from (shown in the header).

    Value types here are named tuples: pytest loads this module in every run, and a frozen
    dataclass costs several times more to define (under Python 3.11)."""

    role: Role
    spec: str
    source: str

    @property
    def is_default(self) -> bool:
        return self.source == "default"


class ModelSettings(NamedTuple):
    """The run-wide knobs of the model layer, after validation."""

    cache_mode: CacheMode
    cache_dir: Path
    max_concurrency: int
    retries: int
    timeout: float
    token_budget: int | None = None
    """Tokens (in plus out) each model may spend in this run (option or ini); ``x-models``
    ``token_budget`` can set it per role."""


class _RunState:
    """The model layer's state for one run (a plain class, as cheap to define as it gets)."""

    def __init__(self, settings: ModelSettings, choices: dict[Role, ModelChoice]) -> None:
        self.settings = settings
        self.choices = choices
        self.cache: ResponseCache | None = None
        self.ledger: UsageLedger | None = None
        """Where this run's models record: the default registry's, read from when the run
        first may use a model (``_track_usage``)."""
        self.totals: UsageBySpec = {}
        self.per_test: dict[str, UsageBySpec] = {}
        self.budgets: dict[str, TokenBudget] = {}
        """One budget per model spec, shared by the roles that use it."""
        self.listener: Callable[[], object] | None = None
        """Told when a registry builds a model on its default ledger (``_model_use``)."""


_STATE = pytest.StashKey[_RunState]()
_SNAPSHOT = pytest.StashKey["tuple[int, UsageBySpec]"]()
_TRACKER_NAME = "safecase-model-usage-per-test"
_COLLECTOR_NAME = "safecase-model-usage"
MODEL_LAYER = "pytest_safecase.models"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("safecase")
    for role in ROLES:
        group.addoption(
            f"--safecase-{role}",
            metavar="SPEC",
            default=None,
            help=f"{role} model, e.g. openai:gpt-4o, anthropic:MODEL, builtin:NAME "
            f"(else env SAFECASE_{role.upper()}, ini, x-models; default {DEFAULT_SPECS[role]})",
        )
        parser.addini(f"safecase_{role}", f"{role} model spec", default=None)
    group.addoption(
        "--safecase-cache",
        choices=CACHE_MODES,
        default=None,
        help="response cache: on (read+write), replay (cache only, a miss fails the test, "
        "never touches the network), off. Default: on",
    )
    group.addoption(
        "--safecase-cache-dir",
        metavar="DIR",
        default=None,
        help=f"response cache directory (default: <rootdir>/{DEFAULT_CACHE_DIR})",
    )
    group.addoption(
        "--safecase-max-concurrency",
        metavar="N",
        type=int,
        default=None,
        help=f"concurrent model requests per model (default {DEFAULT_MAX_CONCURRENCY})",
    )
    group.addoption(
        "--safecase-retries",
        metavar="N",
        type=int,
        default=None,
        help=f"retries of a transient model failure before it is an error (default "
        f"{DEFAULT_RETRIES})",
    )
    group.addoption(
        "--safecase-timeout",
        metavar="SECONDS",
        type=float,
        default=None,
        help=f"deadline of one model request attempt, from sending to the whole answer "
        f"(default {DEFAULT_TIMEOUT:g})",
    )
    group.addoption(
        "--safecase-token-budget",
        metavar="TOKENS",
        type=int,
        default=None,
        help="tokens (in + out) each model may spend; the run stops before a request could "
        "exceed it, keeping what was answered cached (default: no limit)",
    )
    parser.addini("safecase_cache", "response cache mode: on, replay or off", default=None)
    parser.addini("safecase_cache_dir", "response cache directory", default=None)
    parser.addini("safecase_max_concurrency", "concurrent model requests", default=None)
    parser.addini("safecase_retries", "retries of a transient model failure", default=None)
    parser.addini("safecase_timeout", "deadline of one model request attempt", default=None)
    parser.addini("safecase_token_budget", "tokens each model may spend", default=None)


def _option_or_ini(config: pytest.Config, name: str) -> tuple[object, str] | None:
    value = config.getoption(f"safecase_{name}")
    if value is not None:
        return value, "option"
    ini_value = config.getini(f"safecase_{name}")
    if ini_value not in (None, ""):
        return ini_value, "ini"
    return None


def _number(
    config: pytest.Config, name: str, kind: type[int] | type[float], default: float
) -> float:
    found = _option_or_ini(config, name)
    if found is None:
        return default
    try:
        value = kind(str(found[0]).strip())
    except ValueError:
        raise pytest.UsageError(f"safecase_{name} must be a number, got {found[0]!r}") from None
    return value


def read_settings(config: pytest.Config) -> ModelSettings:
    """Options over ini over defaults; an invalid value is a usage error, not a guess."""
    mode_found = _option_or_ini(config, "cache")
    cache_mode = str(mode_found[0]).strip() if mode_found else "on"
    if cache_mode not in CACHE_MODES:
        raise pytest.UsageError(
            f"safecase cache mode must be one of {', '.join(CACHE_MODES)}, got {cache_mode!r}"
        )
    dir_found = _option_or_ini(config, "cache_dir")
    if dir_found is None:
        cache_dir = config.rootpath / DEFAULT_CACHE_DIR
    elif dir_found[1] == "option":
        cache_dir = Path(str(dir_found[0])).absolute()
    else:
        cache_dir = config.rootpath / str(dir_found[0])
    max_concurrency = int(_number(config, "max_concurrency", int, DEFAULT_MAX_CONCURRENCY))
    retries = int(_number(config, "retries", int, DEFAULT_RETRIES))
    timeout = float(_number(config, "timeout", float, DEFAULT_TIMEOUT))
    if max_concurrency < 1 or retries < 0 or timeout <= 0:
        raise pytest.UsageError(
            "safecase: max concurrency must be >= 1, retries >= 0 and timeout > 0 "
            f"(got {max_concurrency}, {retries}, {timeout})"
        )
    budget = int(_number(config, "token_budget", int, 0)) or None
    if budget is not None and budget < 1:
        raise pytest.UsageError(f"safecase: token budget must be >= 1, got {budget}")
    return ModelSettings(cache_mode, cache_dir, max_concurrency, retries, timeout, budget)  # type: ignore[arg-type]


def token_budget(config: pytest.Config, role: Role) -> int | None:
    """The role's budget: the option or ini, else ``x-models`` ``token_budget`` (one number
    for every role, or a number per role)."""
    settings = _state(config).settings
    if settings.token_budget is not None:
        return settings.token_budget
    declared = (case_metadata(config).get("x-models") or {}).get("token_budget")
    value = declared.get(role) if isinstance(declared, dict) else declared
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise pytest.UsageError(f"x-models token_budget must be a whole number >= 1, got {value!r}")
    return value


def choose_model(config: pytest.Config, role: Role) -> ModelChoice:
    """Command line, then environment, then ini, then the case's ``x-models``, then the default."""
    option = config.getoption(f"safecase_{role}")
    if option:
        return ModelChoice(role, option, f"--safecase-{role}")
    env_name = f"SAFECASE_{role.upper()}"
    if os.environ.get(env_name):
        return ModelChoice(role, os.environ[env_name], env_name)
    ini_value = config.getini(f"safecase_{role}")
    if ini_value:
        return ModelChoice(role, str(ini_value).strip(), f"ini safecase_{role}")
    declared = case_metadata(config).get("x-models") or {}
    if isinstance(declared, dict) and declared.get(role):
        return ModelChoice(role, str(declared[role]), "x-models")
    return ModelChoice(role, DEFAULT_SPECS[role], "default")


def _is_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput")


def _state(config: pytest.Config) -> _RunState:
    return config.stash[_STATE]


def run_settings(config: pytest.Config) -> ModelSettings:
    """This run's model settings, as validated at configure time."""
    return _state(config).settings


@pytest.hookimpl(trylast=True)  # after the core plugin loaded the case file and its x-models
def pytest_configure(config: pytest.Config) -> None:
    state = _RunState(
        settings=read_settings(config),
        choices={role: choose_model(config, role) for role in ROLES},
    )
    config.stash[_STATE] = state
    if MODEL_LAYER in sys.modules:  # a conftest may have built models with get_model() already
        _track_usage(config)
    else:  # a test, fixture or test module may build one with get_model(): count from then on
        state.listener = functools.partial(_track_usage, config)
        _model_use.listen(state.listener)


def _track_usage(config: pytest.Config) -> UsageLedger:
    """The ledger this run's models record into, counted per test from now on: until a run
    builds a model (or a conftest loads the model layer), it pays nothing per test.

    It is the default registry's, so models a test builds itself with get_model() count as the
    fixtures' do; what the ledger held before (an outer run in this process) is not this run's.
    """
    state = _state(config)
    if state.ledger is None:
        from pytest_safecase.models._registry import DEFAULT_REGISTRY

        state.ledger = DEFAULT_REGISTRY.ledger
        config.pluginmanager.register(_UsageTracker(state.ledger), _TRACKER_NAME)
        if _is_controller(config):
            _collect_usage(config)
    return state.ledger


def _collect_usage(config: pytest.Config) -> None:
    """Sum the usage the reports carry, on the process that sees every report: the only one of
    a serial run, the controller under xdist."""
    if config.pluginmanager.get_plugin(_COLLECTOR_NAME) is None:
        config.pluginmanager.register(_UsageCollector(_state(config)), _COLLECTOR_NAME)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """The xdist controller: its workers' reports may carry usage."""
    _collect_usage(node.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.listener is not None:
        _model_use.forget(state.listener)
    if state is not None and state.cache is not None:
        state.cache.close()
    for name in (_TRACKER_NAME, _COLLECTOR_NAME):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check explicitly chosen models once, so a missing key or a bad setting (a base URL
    carrying credentials) is one error, not one per test.

    ``replay`` needs no keys: it never calls a provider. Defaults are checked when first used.
    """
    state = _state(session.config)
    if all(choice.is_default for choice in state.choices.values()):
        return
    from pytest_safecase.models._errors import ModelError
    from pytest_safecase.models._registry import make_provider

    problems = []
    for choice in state.choices.values():
        if choice.is_default:
            continue
        try:
            provider = make_provider(choice.spec)
        except ModelError as error:
            problems.append(f"{choice.role} model {choice.spec} (from {choice.source}): {error}")
            continue
        problem = provider.configuration_error()
        if problem:
            problems.append(f"{choice.role} model {choice.spec} (from {choice.source}): {problem}")
            continue
        if state.settings.cache_mode == "replay" or not provider.uses_network:
            continue
        for env_name in provider.missing_credentials():
            problems.append(
                f"{choice.role} model {choice.spec} (from {choice.source}) needs {env_name}, "
                "which is not set (or run with --safecase-cache replay on a recorded cache)"
            )
    if problems:
        raise pytest.UsageError(visible("safecase models:\n  " + "\n  ".join(problems)))


def _describe(spec: str) -> str:
    """The spec plus, for HTTP providers, the base URL in use (credentials stripped)."""
    prefix = spec.partition(":")[0]
    base_url = os.environ.get(BASE_URL_ENVS.get(prefix, ""), "")
    if not base_url:
        return spec
    from pytest_safecase.models._wire import redact_url

    return f"{spec} at {redact_url(base_url)}"


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = _state(config)
    models = ", ".join(
        f"{choice.role}={_describe(choice.spec)} ({choice.source})"
        for choice in state.choices.values()
    )
    settings = state.settings
    budgets = [
        f"{role} {token_budget(config, role):,}" for role in ROLES if token_budget(config, role)
    ]
    return [
        visible(f"safecase models: {models}"),
        f"safecase model cache: {settings.cache_mode} at {settings.cache_dir} "
        f"(concurrency {settings.max_concurrency}, retries {settings.retries}, "
        f"timeout {settings.timeout:g}s)",
        *([f"safecase token budget: {', '.join(budgets)} tokens"] if budgets else []),
    ]


def _shared_cache(state: _RunState) -> ResponseCache | None:
    if state.settings.cache_mode == "off":
        return None
    if state.cache is None:
        from pytest_safecase.models._cache import ResponseCache

        state.cache = ResponseCache(state.settings.cache_dir)
    return state.cache


def _terminal_progress(config: pytest.Config) -> ProgressFactory:
    """Progress through pytest's terminal (capture suspended): a status line on an interactive
    terminal, plain lines in a log (CI); none from xdist workers, whose output is not shown."""
    from pytest_safecase.models._progress import (
        MIN_BATCH_FOR_PROGRESS,
        LineProgress,
        PlainProgress,
        Progress,
    )

    def factory(label: str, total: int) -> Progress | None:
        if total < MIN_BATCH_FOR_PROGRESS:
            return None
        write = progress_writer(config)
        if write is not None:
            return LineProgress(write, label, total)
        write_line = log_writer(config)
        return None if write_line is None else PlainProgress(write_line, label, total)

    return factory


def build_model(config: pytest.Config, role: Role) -> Model:
    """The model chosen for ``role``, wired to this run's cache, retries and progress."""
    from pytest_safecase.models._registry import get_model
    from pytest_safecase.models._retry import RetryPolicy

    state = _state(config)
    settings = state.settings
    spec = state.choices[role].spec
    return get_model(
        spec,
        cache=_shared_cache(state),
        cache_mode=settings.cache_mode,
        retry=RetryPolicy(retries=settings.retries),
        max_concurrency=settings.max_concurrency,
        timeout=settings.timeout,
        ledger=_track_usage(config),
        progress=_terminal_progress(config),
        budget=_budget(state, spec, token_budget(config, role)),
    )


def _budget(state: _RunState, spec: str, limit: int | None) -> TokenBudget | None:
    """The spec's budget, shared by the roles that use the same model (the lower limit wins)."""
    from pytest_safecase.models._budget import TokenBudget

    if limit is None:
        return None
    budget = state.budgets.setdefault(spec, TokenBudget(limit))
    budget.limit = min(budget.limit, limit)
    return budget


@pytest.fixture(scope="session")
def untrusted_model(pytestconfig: pytest.Config) -> Iterator[Model]:
    """U: the capable model whose safety is in question (``--safecase-untrusted``)."""
    model = build_model(pytestconfig, "untrusted")
    yield model
    model.close()


@pytest.fixture(scope="session")
def trusted_model(pytestconfig: pytest.Config) -> Iterator[Model]:
    """T: the weaker model trusted not to collude (``--safecase-trusted``)."""
    model = build_model(pytestconfig, "trusted")
    yield model
    model.close()


class _UsageTracker:
    """Attaches each test phase's model usage (and any ModelError) to its report, JSON-safe.

    Registered once the run may use a model (``_track_usage``): a run without models pays
    nothing per test."""

    def __init__(self, ledger: UsageLedger) -> None:
        self._ledger = ledger
        self._start = ledger.versioned_snapshot()
        """Where counting starts: what the ledger held before, this run's tests did not use."""
        self._baseline = self._start
        """The ledger as the last test found it (tests only read it: deltas are new dicts)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        if self._baseline[0] != self._ledger.version:  # reused while no model is called between
            self._baseline = self._ledger.versioned_snapshot()
        item.stash[_SNAPSHOT] = self._baseline

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        from pytest_safecase.models._accounting import usage_since
        from pytest_safecase.models._errors import BudgetExceededError, ModelError

        report = yield
        version, earlier = item.stash.get(_SNAPSHOT, self._start)
        delta: UsageBySpec = {}
        if version != self._ledger.version:  # no model call since the last phase: nothing to count
            current_version, current = self._ledger.versioned_snapshot()
            delta = usage_since(current, earlier)
            item.stash[_SNAPSHOT] = (current_version, current)
        if delta:
            report.safecase_usage = {spec: usage.to_json() for spec, usage in delta.items()}  # type: ignore[attr-defined]
        if call.excinfo is not None and call.excinfo.errisinstance(ModelError):
            report.safecase_model_error = str(call.excinfo.value)  # type: ignore[attr-defined]
            if report.failed:
                report.longrepr = _one_line(item, call.excinfo)
            if call.excinfo.errisinstance(BudgetExceededError):
                item.session.shouldstop = f"safecase: {call.excinfo.value}"
        return report


def _one_line(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> ReprExceptionInfo:
    """A model failure as ``file:line: ModelError: model SPEC failed: cause``: the cause is all
    there is to see (the traceback runs through our internals and the SDK's), the line is the
    test's last call into the model layer, and no chained exception (with its request headers)
    is shown. Made of pytest's own report types, so it travels between xdist workers, appears
    in the short summary and becomes the junit failure message."""
    path, lineno, _ = item.location
    calls = [entry.lineno for entry in excinfo.traceback if entry.path == item.path]
    line = calls[-1] if calls else lineno or 0
    message = f"{excinfo.typename}: {excinfo.value}"
    location = ReprFileLocation(path, line + 1, message)
    entry = ReprEntryNative([f"{path}:{line + 1}: {message}\n"])
    return ReprExceptionInfo(ReprTraceback([entry], None, "native"), location)


class _UsageCollector:
    """Sums per-test usage from reports; registered on the controller (or serial process) only."""

    def __init__(self, state: _RunState) -> None:
        self._state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        usage = getattr(report, "safecase_usage", None)
        if not usage:
            return
        from pytest_safecase.models._accounting import ModelUsage, merge_usage

        delta = {spec: ModelUsage.from_json(data) for spec, data in usage.items()}
        merge_usage(self._state.totals, delta)
        merge_usage(self._state.per_test.setdefault(report.nodeid, {}), delta)

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, config: pytest.Config
    ) -> None:
        if not self._state.totals:
            return
        terminalreporter.write_sep("=", "safecase model usage")
        for line in usage_table(self._state.totals):
            terminalreporter.write_line(visible(line))
        if config.get_verbosity() > 0:
            terminalreporter.write_line("")
            terminalreporter.write_line("per test:")
            for nodeid, usage in self._state.per_test.items():
                terminalreporter.write_line(visible(f"  {nodeid}"))
                for line in usage_table(usage, indent="    ", header=False):
                    terminalreporter.write_line(visible(line))


_COLUMNS = (
    "requests",
    "calls",
    "cache hits",
    "retries",
    "errors",
    "incomplete",
    "tokens in",
    "tokens out",
)


def usage_table(usage: UsageBySpec, indent: str = "", header: bool = True) -> list[str]:
    """Aligned rows per model; estimated token counts are marked with a leading ~."""
    rows = []
    for spec, counts in sorted(usage.items()):
        mark = "~" if counts.estimated_tokens else ""
        rows.append(
            (
                spec,
                str(counts.requests),
                str(counts.calls),
                str(counts.cache_hits),
                str(counts.retries),
                str(counts.errors),
                str(counts.incomplete),
                f"{mark}{counts.input_tokens}",
                f"{mark}{counts.output_tokens}",
            )
        )
    titles = ("model", *_COLUMNS)
    widths = [max(len(row[i]) for row in [titles, *rows]) for i in range(len(titles))]

    def render(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)
        ]
        return indent + "  ".join(cells)

    return ([render(titles)] if header else []) + [render(row) for row in rows]


@pytest.hookimpl(optionalhook=True)
def pytest_safecase_usage_by_test(config: pytest.Config) -> dict[str, dict[str, Any]] | None:
    """This run's per-test model usage, for the safety-case report."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    return {
        nodeid: {spec: usage.to_json() for spec, usage in by_spec.items()}
        for nodeid, by_spec in state.per_test.items()
    }


@pytest.hookimpl(optionalhook=True)
def pytest_safecase_run_info(config: pytest.Config) -> dict[str, Any] | None:
    """The models each role used, where the choice came from, and their usage, for the report."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    models = {}
    for role, choice in state.choices.items():
        usage = state.totals.get(choice.spec)
        models[role] = {
            "spec": _describe(choice.spec),
            "source": choice.source,
            **(usage.to_json() if usage else {}),
        }
    return {"models": models}
