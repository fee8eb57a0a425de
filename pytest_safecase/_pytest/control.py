"""pytest glue for control evaluations: options and the session fixtures claims use.

Loaded by the core plugin (``SUB_PLUGINS``) or alone with ``-p pytest_safecase._pytest.control``
(next to ``-p pytest_safecase._pytest.models``, which provides ``untrusted_model`` and
``trusted_model``). The evaluation is expensive, and under pytest-xdist every worker would build
its own session fixture; so the result is stored in the pytest cache directory under a key made
of everything it depends on (task-set hash, model specs, parameters, package version), and a
file lock (``filelock``) makes one process store it while the others wait and read it. Before
that, the workers share out the work itself: the evaluation is cut into units (the honeypots, and
the tasks in groups of ``TASKS_PER_UNIT``), each computed by the first worker to take its lock and
read by the rest, so ``-n 2`` evaluates with both workers instead of one computing while the other
waits. Units are kept for one run only (their keys hold the run's token).

A later run reuses the stored result (unless ``--safecase-cache off``), and says so in every
report: when it was computed, and its key. Under ``--safecase-cache replay`` it is reused only
if the response cache still holds every answer it was computed from, so replay never vouches
for a result the cache could not reproduce.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from pytest_safecase._model_defaults import BASE_URL_ENVS
from pytest_safecase._pytest.terminal import progress_writer
from pytest_safecase._runinfo import now_iso

if TYPE_CHECKING:  # the engine (numpy and all) loads only when a fixture asks for it
    from pytest_safecase.control.collusion import CollusionGame
    from pytest_safecase.control.evaluation import ControlResults, EvaluationParameters, Progress
    from pytest_safecase.control.tasks import TaskSet
    from pytest_safecase.models import Model

CACHE_SUBDIR = "safecase-control"
RESULTS_FORMAT = 3
"""Entries hold the result, when and by which run it was computed, and the response-cache
digests it depends on; entries of another format are computed again (3: the results' records
nest their honest and attack parts, ``RECORDS_FORMAT`` 2)."""
RUN_TOKEN = pytest.StashKey[str]()
PENDING_REUSE = pytest.StashKey[list[dict[str, str]]]()
"""Results this process took from an earlier run."""
WORKER_REUSED = "safecase_reused"
UNITS_DIR = pytest.StashKey[Path]()
WORKER_UNITS = "safecase_units"
TASKS_PER_UNIT = 16
"""Tasks per unit of work the xdist workers share out (164 tasks: 11 units and the honeypots)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("safecase")
    group.addoption(
        "--safecase-tasks",
        type=int,
        default=None,
        metavar="N",
        help="control evaluations: use only the first N tasks (default: all).",
    )
    group.addoption(
        "--safecase-task-file",
        default=None,
        metavar="PATH",
        help="control evaluations: tasks from a JSONL file in HumanEval or APPS shape "
        "(default: the bundled HumanEval).",
    )
    group.addoption(
        "--safecase-seed",
        type=int,
        default=0,
        metavar="SEED",
        help="control evaluations: seed for model requests, attack selection and bootstrap.",
    )


def pytest_configure(config: pytest.Config) -> None:
    limit = config.getoption("safecase_tasks")
    if limit is not None and limit < 1:
        raise pytest.UsageError(f"--safecase-tasks must be at least 1, got {limit}")
    # One token per run, the same in every xdist worker: shares an evaluation within a run only.
    workerinput = getattr(config, "workerinput", None)
    config.stash[RUN_TOKEN] = workerinput["testrunuid"] if workerinput else uuid.uuid4().hex
    config.stash[PENDING_REUSE] = []
    if workerinput is None:
        config.pluginmanager.register(ReusedResults(config), "safecase-reused-results")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands the results it reused to the controller once, with its other output
    (xdist sends ``workeroutput`` after this hook), not on every test's report, and names the
    units of work it shared out: only the controller removes them, once every worker is done
    (a worker that finished early must not pull them from under one still computing). A run
    without workers removes its own."""
    config = session.config
    units = config.stash.get(UNITS_DIR, None)
    if hasattr(config, "workeroutput"):
        reused: list[dict[str, str]] = config.stash.get(PENDING_REUSE, [])
        config.workeroutput[WORKER_REUSED] = reused
        config.workeroutput[WORKER_UNITS] = None if units is None else str(units)
    elif units is not None:
        shutil.rmtree(units, ignore_errors=True)


class ReusedResults:
    """The controller's list of results reused from earlier runs, its own and its workers': in
    the run's report, and a line in the terminal summary. It also removes the units of work the
    workers shared out, when the session ends (after every worker has)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.from_workers: list[dict[str, str]] = []
        self.units: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self.from_workers += output.get(WORKER_REUSED, [])
        if output.get(WORKER_UNITS):
            self.units.add(output[WORKER_UNITS])

    def pytest_sessionfinish(self) -> None:
        for units in self.units:
            shutil.rmtree(units, ignore_errors=True)

    def reused(self) -> list[dict[str, str]]:
        unique: dict[str, dict[str, str]] = {}
        for reuse in [*self.config.stash.get(PENDING_REUSE, []), *self.from_workers]:
            unique.setdefault(reuse["key"], reuse)
        return list(unique.values())

    def pytest_safecase_run_info(self) -> dict[str, Any] | None:
        reused = self.reused()
        return {"reused": reused} if reused else None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for reuse in self.reused():
            terminalreporter.write_line(
                f"safecase: {reuse['what']} {reuse['key']} reused from a run at "
                f"{reuse['computed_at']} (--safecase-cache off recomputes)",
                yellow=True,
            )


def _freshness(config: pytest.Config) -> str:
    """Reuse evaluations across runs only while model answers may be reused (cache on/replay)."""
    from pytest_safecase._pytest.models import run_settings

    return config.stash[RUN_TOKEN] if run_settings(config).cache_mode == "off" else ""


def _package_version() -> str:
    try:
        return version("pytest-safecase")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def _engine_digest() -> str:
    """A digest of the engine's own source (code and prompts): a changed monitor, attacker or
    sandbox must never be answered with results cached by the old one."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    paths = [package / "_model_defaults.py"]
    for folder in ("control", "models"):
        paths += sorted((package / folder).rglob("*"))
    for path in paths:
        if path.suffix in (".py", ".txt") and path.is_file():
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def results_key(
    tasks: TaskSet,
    untrusted: str,
    trusted: str,
    parameters: EvaluationParameters,
    freshness: str = "",
) -> str:
    """A digest of everything the evaluation's result depends on.

    Besides the inputs: the providers' endpoints (the same model name on another server is another
    model), the prompts' version, and ``freshness``, a per-run token when answers must not be
    reused across runs.
    """
    from pytest_safecase.control.policies import PROMPT_VERSION

    material = {
        "tasks": tasks.content_hash,
        "untrusted": untrusted,
        "trusted": trusted,
        "parameters": parameters.to_dict(),
        "version": _package_version(),
        "engine": _engine_digest(),
        "prompts": PROMPT_VERSION,
        "endpoints": {name: os.environ.get(name, "") for name in BASE_URL_ENVS.values()},
        "freshness": freshness,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def _cache_dir(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir(CACHE_SUBDIR))
    directory = config.rootpath / ".pytest_cache" / "d" / CACHE_SUBDIR
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Reuse(NamedTuple):
    """A result an earlier run computed, handed to this one: shown in every report."""

    key: str
    computed_at: str

    def to_dict(self) -> dict[str, str]:
        return {"what": "control evaluation", "key": self.key, "computed_at": self.computed_at}


def shared_results(
    directory: Path,
    key: str,
    compute: Callable[[], tuple[ControlResults, Iterable[str]]],
    *,
    run: str = "",
    reproducible: Callable[[list[str]], bool] = lambda responses: True,
) -> tuple[ControlResults, Reuse | None]:
    """The cached result for ``key``, computing it under an exclusive lock if it is missing.

    ``compute`` returns the result and the response-cache digests it looked up; an entry is
    reused only while ``reproducible`` says the response cache can still give every one of them.
    The second value says when an earlier run than ``run`` computed what is returned.
    """
    from filelock import FileLock

    from pytest_safecase.control.evaluation import ControlResults

    target = directory / f"{key}.json"
    with FileLock(directory / f"{key}.lock"):
        entry = _read_entry(target)
        if entry is not None and reproducible(entry["responses"]):
            reuse = None if entry["run"] == run else Reuse(key, str(entry["computed_at"]))
            return ControlResults.from_dict(entry["results"]), reuse
        results, responses = compute()
        entry = {
            "format": RESULTS_FORMAT,
            "computed_at": now_iso(),
            "run": run,
            "responses": sorted(set(responses)),
            "results": results.to_dict(),
        }
        _write_json(target, entry)
        return results, None


def _read_entry(path: Path) -> dict[str, Any] | None:
    """A stored entry, or None when there is none this version can trust (then: recompute)."""
    try:
        entry = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != RESULTS_FORMAT:
        return None
    if not isinstance(entry.get("responses"), list) or not isinstance(entry.get("results"), dict):
        return None
    return entry


def share_units(
    directory: Path,
    key: str,
    units: Sequence[str],
    compute: Callable[[str], tuple[Any, Iterable[str]]],
    *,
    first: int = 0,
) -> tuple[dict[str, Any], set[str]]:
    """Every unit's result (plain JSON data), each computed by exactly one process.

    Units are tried from ``first`` on; one another process holds is skipped and read once that
    process is done (or computed here, if it died: its lock dies with it). Returns the results
    by unit and the response-cache digests they were computed from.
    """
    from filelock import FileLock, Timeout

    def take(unit: str, lock: FileLock) -> None:
        try:
            path = directory / f"{key}.{unit}.json"
            try:
                entry = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                value, responses = compute(unit)
                entry = {"responses": sorted(set(responses)), "result": value}
                _write_json(path, entry)
            done[unit] = entry["result"]
            seen.update(entry["responses"])
        finally:
            lock.release()

    done: dict[str, Any] = {}
    seen: set[str] = set()
    later = []
    for unit in [*units[first:], *units[:first]]:
        lock = FileLock(directory / f"{key}.{unit}.lock")
        try:
            lock.acquire(timeout=0)
        except Timeout:
            later.append((unit, lock))
            continue
        take(unit, lock)
    for unit, lock in later:
        lock.acquire()
        take(unit, lock)
    return done, seen


def _write_json(path: Path, entry: dict[str, Any]) -> None:
    """Write ``entry`` so no reader ever sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(entry, allow_nan=False))
    os.replace(temporary, path)


def _units_dir(config: pytest.Config) -> Path:
    """Where this run's workers share out units of work (removed when the run ends)."""
    directory = _cache_dir(config) / "units" / config.stash[RUN_TOKEN]
    directory.mkdir(parents=True, exist_ok=True)
    config.stash[UNITS_DIR] = directory
    return directory


def _worker_share(config: pytest.Config, units: int) -> int:
    """Where this xdist worker starts among ``units`` (0 without xdist): spread, not all at 0."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput:
        return 0
    index = int(str(workerinput["workerid"]).removeprefix("gw") or 0)
    return index * units // max(int(workerinput.get("workercount", 1)), 1) % max(units, 1)


def _stage_printer(config: pytest.Config) -> Progress | None:
    """Stage messages through the terminal the model progress uses (past pytest's capture)."""
    write = progress_writer(config)
    if write is None:
        return None
    return lambda message: write(f"[safecase] control: {message}\n")


@pytest.fixture(scope="session")
def control_tasks(pytestconfig: pytest.Config) -> TaskSet:
    """The task set of the control evaluation: ``--safecase-task-file`` or HumanEval, cut to
    ``--safecase-tasks`` if given."""
    from pytest_safecase.control.tasks import load_humaneval, load_jsonl

    path = pytestconfig.getoption("safecase_task_file")
    tasks = load_humaneval() if path is None else load_jsonl(path)
    limit = pytestconfig.getoption("safecase_tasks")
    if limit is None:
        return tasks
    return tasks.subset(min(limit, len(tasks)))


ControlEvaluation = Callable[..., "ControlResults"]


@pytest.fixture(scope="session")
def control_evaluation(pytestconfig: pytest.Config) -> ControlEvaluation:
    """``control_evaluation(tasks, untrusted, trusted, **parameters)``: a control evaluation
    computed once for its inputs and shared by every test and xdist worker that asks for it.

    ``parameters`` are those of :class:`EvaluationParameters`; ``seed`` defaults to
    ``--safecase-seed``.
    """

    def evaluate(
        tasks: TaskSet, untrusted: Model, trusted: Model, **overrides: Any
    ) -> ControlResults:
        from pytest_safecase.control import evaluation as engine

        overrides.setdefault("seed", pytestconfig.getoption("safecase_seed"))
        parameters = engine.EvaluationParameters(**overrides)
        key = results_key(tasks, untrusted.spec, trusted.spec, parameters, _freshness(pytestconfig))
        caches = list(
            {id(m.cache): m.cache for m in (untrusted, trusted) if m.cache is not None}.values()
        )
        directory, run = _cache_dir(pytestconfig), pytestconfig.stash[RUN_TOKEN]
        say = _stage_printer(pytestconfig)
        timings: dict[str, float] = {}  # every unit's and the analysis's seconds, by stage
        task_list = list(tasks)
        units = ["honeypots"] + [
            f"tasks-{start}" for start in range(0, len(task_list), TASKS_PER_UNIT)
        ]

        def unit_result(unit: str) -> tuple[list[dict[str, Any]], set[str]]:
            if unit == "honeypots":
                label, part = unit, []
            else:
                start = int(unit.removeprefix("tasks-"))
                part = task_list[start : start + TASKS_PER_UNIT]
                label = f"tasks {start + 1}-{start + len(part)} of {len(task_list)}"
            # Progress names the unit; the seconds add up in the run's own timings.
            unit_stages = engine.Stages(
                None if say is None else lambda line: say(f"{label}: {line}"), timings
            )
            with contextlib.ExitStack() as stack:
                seen = [stack.enter_context(cache.tracking()) for cache in caches]
                found: Sequence[Any] = (
                    engine.evaluate_tasks(part, untrusted, trusted, parameters, None, unit_stages)
                    if part
                    else engine.evaluate_honeypots(
                        tasks, untrusted, trusted, parameters, stages=unit_stages
                    )
                )
            return [record.to_dict() for record in found], set().union(*seen)

        @functools.cache  # the units the first share gathered also serve the computation
        def share() -> tuple[dict[str, Any], set[str]]:
            engine.prepare_models(tasks, untrusted, trusted)
            first = _worker_share(pytestconfig, len(units))
            shared = _units_dir(pytestconfig)
            return share_units(shared, key, units, unit_result, first=first)

        def compute() -> tuple[ControlResults, set[str]]:
            done, responses = share()
            analysis = engine.Stages(None, timings)  # the units timed themselves before
            records = [engine.TaskRecord.from_dict(row) for unit in units[1:] for row in done[unit]]
            honeypots = [engine.HoneypotRecord.from_dict(row) for row in done["honeypots"]]
            results = engine.results_of(
                tasks, untrusted, trusted, parameters, records, honeypots, analysis
            )
            return results, responses

        def reproducible(responses: list[str]) -> bool:
            """Under replay, only what the response cache can still answer in full."""
            if untrusted.cache_mode != "replay" and trusted.cache_mode != "replay":
                return True
            if not responses:
                return True
            return len(caches) == 1 and caches[0].has_all(responses)  # a run has one cache

        stored = _read_entry(directory / f"{key}.json")
        if stored is None or not reproducible(stored["responses"]):
            share()  # with the other workers, before one of us takes the result's lock
        results, reuse = shared_results(directory, key, compute, run=run, reproducible=reproducible)
        if reuse is not None:
            pytestconfig.stash[PENDING_REUSE].append(reuse.to_dict())
        if say is not None:
            for line in results.summary.problems():
                say(line)  # e.g. "T monitor: 56 of 56 answers unusable"
        return results

    return evaluate


CollusionEvaluation = Callable[..., "CollusionGame"]


@pytest.fixture(scope="session")
def collusion_evaluation(pytestconfig: pytest.Config) -> CollusionEvaluation:
    """``collusion_evaluation(results, tasks, untrusted, defer_fraction=F)``: the collusion game
    of :func:`pytest_safecase.control.collusion.play` on ``results``, with its countermeasures
    shared out across xdist workers (each computed by one of them) and the cells put together.
    """

    def evaluate(
        results: ControlResults, tasks: TaskSet, untrusted: Model, *, defer_fraction: float
    ) -> CollusionGame:
        from pytest_safecase.control import collusion
        from pytest_safecase.control.policies import PROMPT_VERSION

        material = {
            "results": hashlib.sha256(
                json.dumps(results.to_dict(), sort_keys=True).encode()
            ).hexdigest(),
            "tasks": tasks.content_hash,
            "untrusted": untrusted.spec,
            "defer_fraction": defer_fraction,
            "engine": _engine_digest(),
            "prompts": PROMPT_VERSION,
            "endpoints": {name: os.environ.get(name, "") for name in BASE_URL_ENVS.values()},
        }
        key = (
            "collusion-"
            + hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]
        )
        countermeasures = list(collusion.COUNTERMEASURES)

        def unit_result(countermeasure: str) -> tuple[dict[str, Any], set[str]]:
            game = collusion.play(
                results,
                tasks,
                untrusted,
                defer_fraction=defer_fraction,
                countermeasures=(countermeasure,),
                seed=results.parameters.seed,
            )
            return game.to_dict(), set()

        first = _worker_share(pytestconfig, len(countermeasures))
        done, _ = share_units(
            _units_dir(pytestconfig), key, countermeasures, unit_result, first=first
        )
        games = [collusion.CollusionGame.from_dict(done[c]) for c in countermeasures]
        return dataclasses.replace(
            games[0], cells=tuple(cell for game in games for cell in game.cells)
        )

    return evaluate


@pytest.fixture(scope="session")
def control_results(
    control_evaluation: ControlEvaluation,
    control_tasks: TaskSet,
    untrusted_model: Model,
    trusted_model: Model,
) -> ControlResults:
    """The full control evaluation with default parameters, computed once and shared."""
    return control_evaluation(control_tasks, untrusted_model, trusted_model)
