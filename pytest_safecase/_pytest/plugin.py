"""pytest hooks and options for pytest-safecase; the logic lives in plain modules.

Roles: every process collects claims and attaches a JSON-safe payload to each claim test's report.
The controller (the process without ``config.workerinput``: the only process of a serial run)
receives the claims and payloads, assembles the argument, prints it and sets the exit status.

Under xdist a worker may die at any moment, and xdist hands the controller nothing from a worker
between its start and its first test report but the collected test ids. So each local worker
writes its claims to a file the controller named, before it runs a test; the controller reads it
once the worker's collection is in, and settles crashes only when every worker is down.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import shutil
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_safecase._escape import visible
from pytest_safecase._pytest.claims import (
    MARKER,
    MARKER_HELP,
    UNCLAIMED_EVIDENCE,
    ClaimDeclarationError,
    spec_from_marker,
)
from pytest_safecase._pytest.fixtures import evidence, safety_case
from pytest_safecase._pytest.stash import CASE_KEY, EVIDENCE_KEY, SPEC_KEY
from pytest_safecase._runinfo import base_run_info, now_iso, wants_github
from pytest_safecase.case import (
    CaseError,
    CaseResult,
    ClaimSpec,
    Problem,
    TestOutcome,
    read_case,
    validate_claims,
)
from pytest_safecase.case.assemble import above_level, level_problem
from pytest_safecase.case.gather import CaseRun, phase_verdict
from pytest_safecase.evidence import ClaimInconclusive, ClaimRefuted, Evidence
from pytest_safecase.verdict import TERMINAL_MARKUP, Verdict, combine

if TYPE_CHECKING:
    from pytest_safecase._pytest.selection import Widening
    from pytest_safecase.report import Emitted

__all__ = ["evidence", "safety_case"]

CONTROLLER = "safecase-controller"
SUB_PLUGINS = ("pytest_safecase._pytest.models", "pytest_safecase._pytest.control")
"""Loaded with this plugin, under their module names (``-p no:NAME`` blocks one)."""

RUN_KEY = pytest.StashKey[CaseRun]()
WIDENING_KEY = pytest.StashKey["Widening"]()
NO_CASE_KEY = pytest.StashKey[list[Path]]()
"""The folders searched for a case file, when none was found."""
LF_COLLECTION = "lfplugin-collwrapper"
"""pytest's --lf part that leaves out, while collecting, the tests that passed last time."""
CASE_FILE_RULES = ("claim-text", "claim-supports")
"""Claim problems that a case file would resolve (a claim naming a goal of the file)."""
RESULT_KEY = pytest.StashKey[CaseResult]()
DEFAULT_REPORT_DIR = "safecase-report"
DEFAULT_CASE_FILE = "safecase.yaml"
WORKER_CLAIMS = "safecase_claims"
WORKER_PROBLEMS = "safecase_problems"
WORKER_CLAIMS_FILE = "safecase_claims_file"
CLAIM_PROBLEMS = "claims disagree with the safety case:"
MESSAGE_CHARS = 400
"""A verdict's message is cut to this many characters: the report shows it on one line."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_safecase._pytest import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """Register the sub-plugins right after this one, where ``pytest_plugins`` would: for each
    name listed there pytest reads the entry points of every installed distribution, which costs
    every run more than importing the sub-plugins does."""
    if getattr(plugin, "__name__", None) != __name__:
        return
    for name in SUB_PLUGINS:
        if not manager.is_blocked(name) and manager.get_plugin(name) is None:
            manager.register(importlib.import_module(name), name)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("safecase", "safety cases (pytest-safecase)")
    # A flag and a separate directory option, as pytest's own options are: an optional value
    # would swallow the path after it (`--safecase-report safety_tests/`).
    group.addoption(
        "--safecase-report",
        action="store_true",
        default=False,
        help="print the full argument tree after the run and write the reports "
        f"(to {DEFAULT_REPORT_DIR}/ unless --safecase-report-dir says where).",
    )
    group.addoption(
        "--safecase-report-dir",
        default=None,
        metavar="DIR",
        help="write the reports to DIR (implies --safecase-report).",
    )
    group.addoption(
        "--safecase-file",
        default=None,
        metavar="PATH",
        help="the safety-case YAML (default: safecase.yaml beside the tests given, "
        "e.g. safety_tests/safecase.yaml for `pytest safety_tests/`).",
    )
    group.addoption(
        "--safecase-gate",
        action="store_true",
        default=False,
        help="exit non-zero unless the root goal of the safety case is supported.",
    )
    group.addoption(
        "--safecase-level",
        type=int,
        default=None,
        metavar="N",
        help="evaluate only up to adoption level N: claims above it are deselected.",
    )
    parser.addini("safecase_file", "path of the safety-case YAML, relative to the rootdir")


@pytest.hookimpl(tryfirst=True)  # the case file first: sub-plugins read its x- settings
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    level = config.getoption("safecase_level")
    if level is not None and level < 1:
        raise pytest.UsageError(f"--safecase-level must be 1 or more, got {level}")
    case = None
    path, searched = _case_path(config)
    if path is not None:
        try:
            case, warnings = read_case(path)
        except CaseError as exc:
            raise pytest.UsageError(
                "invalid safety case:\n"
                + "\n".join(f"  {visible(str(problem))}" for problem in exc.problems)
            ) from None
        for problem in warnings:  # what gsn2x only warns about warns here too
            config.issue_config_time_warning(
                pytest.PytestConfigWarning(visible(str(problem))), stacklevel=2
            )
        config.stash[CASE_KEY] = case
        from pytest_safecase._pytest.selection import widen  # only runs with a case file need it

        widening = (
            None
            if config.option.pyargs
            else widen(config.args, config.invocation_params.dir, path.parent)
        )
        if widening is not None:
            config.args[:] = widening.args
            config.stash[WIDENING_KEY] = widening
    else:
        config.stash[NO_CASE_KEY] = searched
    run = CaseRun(case, level_limit=level)
    config.stash[RUN_KEY] = run
    if hasattr(config, "workerinput"):
        config.pluginmanager.register(WorkerPhases(), "safecase-worker")
    else:
        config.pluginmanager.register(Controller(config, run), CONTROLLER)


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem() -> Generator[None, Any, Any]:
    result = yield
    read = _SharedMarks()  # the cases of a parametrized test share their markers
    for item in result if isinstance(result, list) else [result]:
        # A bad claim marker, or evidence nothing can be placed in the argument under, is a
        # collection error naming the test: never a test that silently stays out of the case.
        unclaimed = isinstance(item, pytest.Function) and _claim_spec(item, read) is None
        if unclaimed and "evidence" in item.fixturenames:
            raise pytest.Collector.CollectError(f"{item.nodeid}: {UNCLAIMED_EVIDENCE}")
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[RUN_KEY]
    claim_tests: dict[str, list[tuple[pytest.Item, ClaimSpec]]] = {}
    specs = []
    for item in items:
        if (spec := _claim_spec(item)) is not None:
            claim_tests.setdefault(spec.nodeid, []).append((item, spec))
            specs.append(spec)
    widening = config.stash.get(WIDENING_KEY, None)
    problems = _problem_lines(config, validate_claims(run.case, specs))
    if (level := level_problem(run.case, specs, run.level_limit)) is not None:
        problems = (problems or [CLAIM_PROBLEMS]) + [f"  {visible(level)}"]
    if not problems and widening is not None:
        problems = _unmatched(widening, items)
    if problems and hasattr(config, "workerinput"):
        # A worker cannot stop the run with a usage error: it runs nothing and tells the controller.
        config.workeroutput[WORKER_PROBLEMS] = problems  # type: ignore[attr-defined]
        config.hook.pytest_deselected(items=list(items))
        items.clear()
        return
    if problems:
        raise pytest.UsageError("\n".join(problems))
    run.add_claims(specs)
    controller = config.pluginmanager.get_plugin(CONTROLLER)
    if controller is not None:
        controller.claim_tests = claim_tests
    if hasattr(config, "workerinput"):
        claims = [spec.to_dict() for spec in specs]
        config.workeroutput[WORKER_CLAIMS] = claims  # type: ignore[attr-defined]
        claims_file = config.workerinput.get(WORKER_CLAIMS_FILE)
        if claims_file:
            _write_atomically(Path(claims_file), json.dumps(claims))
    unwanted: list[pytest.Item] = []
    if widening is not None:
        unwanted = [item for item in items if not widening.selected(item.path, item.nodeid)]
    if run.level_limit is not None and specs:
        too_high = above_level(run.case, run.claims.values(), run.level_limit)
        unwanted += [
            item
            for item in items
            if (spec := _claim_spec(item)) is not None and spec.id in too_high
        ]
    if unwanted:
        config.hook.pytest_deselected(items=list(dict.fromkeys(unwanted)))
        dropped = {id(item) for item in unwanted}
        items[:] = [item for item in items if id(item) not in dropped]


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``--lf`` pytest would not even collect the tests that passed last time, and their
    claims would vanish: with a case file, every test is collected and those are deselected."""
    if CASE_KEY in session.config.stash:
        plugins = session.config.pluginmanager
        if plugins.get_plugin(LF_COLLECTION) is not None:
            plugins.unregister(name=LF_COLLECTION)


class WorkerPhases:
    """An xdist worker's side: each claim test phase's report carries what it tells the
    controller, as JSON (registered on workers only)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when != "call" and report.passed:
            return report  # a passing setup or teardown adds nothing to the claim
        spec = _claim_spec(item)
        if spec is not None:
            outcome = _outcome(report, call.excinfo, spec, _recorder(item, call.when))
            report.safecase = {"claim": spec.to_dict(), "outcome": outcome.to_dict()}  # type: ignore[attr-defined]
        return report


class Controller:
    """The controller's side: gathers results, prints the argument, gates the exit status.

    Claim tests this process runs itself (a serial run) are read from their reports as they are
    logged: a failed phase waits for its exception (``pytest_exception_interact``, which pytest
    calls right after logging it), since which exception failed the test decides the verdict.
    Under xdist the workers' reports carry their outcomes instead (``WorkerPhases``).
    """

    def __init__(self, config: pytest.Config, run: CaseRun) -> None:
        self.config = config
        self.run = run
        self.problems: list[str] = []
        self.started = now_iso()
        self.emitted: Emitted | None = None
        self.has_workers = False
        self.claim_tests: dict[str, list[tuple[pytest.Item, ClaimSpec]]] = {}
        """The claim tests collected here, by node id (as ``pytest_collection_modifyitems`` found
        them; several under --keep-duplicates; none under xdist, where the workers run them)."""
        self.interacted: tuple[Any, pytest.ExceptionInfo[BaseException] | None] | None = None
        """The last failed phase whose exception came before its report was logged."""
        self.failed_phase: tuple[pytest.TestReport, pytest.Item, ClaimSpec] | None = None
        """A claim test's failed phase, logged, whose exception has not come yet (and never
        will for a failure without one, such as a strict xpass)."""
        self.claims_dir: Path | None = None
        self.to_run: set[str] = set()
        self.crashes: dict[str, str] = {}
        self.crashed_workers: list[str] = []

    def run_info(self) -> dict[str, Any]:
        info = base_run_info(
            self.config.rootpath, list(self.config.invocation_params.args), self.started
        )
        for contribution in self.config.hook.pytest_safecase_run_info(config=self.config):
            info.update(contribution or {})
        return info

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.outcome == "passed":
            return  # a passing setup or teardown adds nothing to the claim
        if self.has_workers:
            self._worker_report(report)
            return
        if self.failed_phase is not None:
            self._place_failed_phase(None)
        tests = self.claim_tests.get(report.nodeid)
        if tests is None:
            return
        item, spec = tests[0]
        if len(tests) > 1 and report.when != "teardown":  # a call, or a setup that stopped it
            tests.pop(0)  # --keep-duplicates: this id's next test body is the next item's
        if report.outcome in ("passed", "skipped"):
            self._add_phase(report, item, spec, None)
        elif self.interacted is not None and self.interacted[0] is report:
            self._add_phase(report, item, spec, self.interacted[1])
            self.interacted = None
        else:
            self.failed_phase = (report, item, spec)

    @pytest.hookimpl(tryfirst=True)  # before --pdb's debugger: quitting it ends the run at once
    def pytest_exception_interact(
        self, node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
    ) -> None:
        if self.failed_phase is not None and self.failed_phase[0] is report:
            self._place_failed_phase(call.excinfo)
        elif isinstance(node, pytest.Item):
            # A plugin that logs reports itself (pytest-rerunfailures) has pytest hand over the
            # exception before the report is logged: kept for when it is.
            self.interacted = (report, call.excinfo)

    def _place_failed_phase(self, excinfo: pytest.ExceptionInfo[BaseException] | None) -> None:
        assert self.failed_phase is not None
        report, item, spec = self.failed_phase
        self.failed_phase = None
        self._add_phase(report, item, spec, excinfo)

    def _add_phase(
        self,
        report: pytest.TestReport,
        item: pytest.Item,
        spec: ClaimSpec,
        excinfo: pytest.ExceptionInfo[BaseException] | None,
    ) -> None:
        self.run.add_outcome(spec, _outcome(report, excinfo, spec, _recorder(item, report.when)))

    def _worker_report(self, report: pytest.TestReport) -> None:
        payload = getattr(report, "safecase", None)
        if payload is not None:
            self.run.add_phase(payload)
        elif report.failed:
            # No payload on a failure: the process running the test died (an xdist crash). Whether
            # the test is a claim may not be known yet, so this is settled at the end of the run.
            detail = str(report.longrepr).strip().splitlines()[-1:]
            self.crashes.setdefault(
                report.nodeid, "the test process crashed" + (f": {detail[0]}" if detail else "")
            )

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Name the file a local worker writes its claims to as soon as it has collected them."""
        self.has_workers = True
        if node.gateway.spec.popen:
            if self.claims_dir is None:
                self.claims_dir = Path(tempfile.mkdtemp(prefix="safecase-claims-"))
            path = self.claims_dir / f"{node.gateway.id}.json"
            node.workerinput[WORKER_CLAIMS_FILE] = str(path)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """The worker has written its claims file and will now be given tests to run."""
        self.to_run.update(ids)
        self._read_claims_file(node)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self._read_claims_file(node)
        output = getattr(node, "workeroutput", {})
        self.run.add_claims(output.get(WORKER_CLAIMS, []))
        self.problems = self.problems or list(output.get(WORKER_PROBLEMS, []))
        if error is not None:
            self.crashed_workers.append(str(node.gateway.id))

    def pytest_unconfigure(self) -> None:
        if self.claims_dir is not None:
            shutil.rmtree(self.claims_dir, ignore_errors=True)

    def _read_claims_file(self, node: Any) -> None:
        """Learn a local worker's claims; a remote worker's come with its clean shutdown only."""
        path = getattr(node, "workerinput", {}).get(WORKER_CLAIMS_FILE)
        try:
            claims = json.loads(Path(path).read_text(encoding="utf-8")) if path else []
        except FileNotFoundError:
            return  # written before the worker's first test: without it, the worker ran none
        self.run.add_claims(claims)

    def _settle_crashes(self) -> None:
        """Each claim test that crashed, or that a crashed worker kept from running, is an error."""
        for nodeid, message in self.crashes.items():
            if nodeid in self.run.claims:
                self.run.add_crash(nodeid, message)
        if self.crashed_workers:
            workers = ", ".join(self.crashed_workers)
            message = f"never ran: the run ended after test worker {workers} crashed"
            for nodeid in sorted(self.to_run - self.run.outcomes.keys()):
                if nodeid in self.run.claims:
                    self.run.add_crash(nodeid, message)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.problems:
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
            return
        if self.config.getoption("collectonly"):
            return  # nothing ran: no verdict to report, nothing for the gate to judge
        if self.failed_phase is not None:
            self._place_failed_phase(None)
        self._settle_crashes()
        if not self.run.claims and self.run.case is None:
            return
        usage = self.config.hook.pytest_safecase_usage_by_test(config=self.config)
        result = self.run.result(usage)
        self.config.stash[RESULT_KEY] = result
        directory = report_dir(self.config)
        if directory is not None or wants_github(os.environ):
            from pytest_safecase.report._emit import emit_reports

            self.emitted = emit_reports(result, self.run_info(), directory)
        if (
            self.config.getoption("safecase_gate")
            and result.verdict is not Verdict.SUPPORTED
            and session.exitstatus == pytest.ExitCode.OK
        ):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for index, line in enumerate(self.problems):
            terminalreporter.write_line(line if index else f"ERROR: {line}", red=True)
        result = self.config.stash.get(RESULT_KEY, None)
        if result is None:
            return
        if self.emitted is not None:
            for command in self.emitted.commands:  # GitHub reads these at the start of a line
                terminalreporter.write_line(command)
        if report_dir(self.config) is not None:
            from pytest_safecase.report.terminal import tree_lines

            terminalreporter.section("safety case", sep="=")
            wrap = self.config.getoption("verbose") > 0  # -v wraps long lines, never cuts
            width = terminalreporter._tw.fullwidth
            for text, markup in tree_lines(result, width=width, wrap=wrap):
                terminalreporter.write_line(text, **markup)
            terminalreporter.write_line("")
        summary = result.summary(gate=self.config.getoption("safecase_gate"))
        terminalreporter.write_line(visible(summary), **TERMINAL_MARKUP[result.verdict])
        searched = self.config.stash.get(NO_CASE_KEY, None)
        if searched is not None:
            terminalreporter.write_line(f"safecase: {_no_case_file(self.config, searched)}")
        if self.emitted is not None and self.emitted.files:
            folder = self.emitted.files[0].parent
            here = self.config.invocation_params.dir
            shown: Path = folder.relative_to(here) if folder.is_relative_to(here) else folder
            terminalreporter.write_line(visible(f"safecase reports: {shown}/"))


def report_dir(config: pytest.Config) -> Path | None:
    """Where the reports go (relative to the working directory), or None if not asked for."""
    option = config.getoption("safecase_report_dir")
    if option is None and not config.getoption("safecase_report"):
        return None
    return config.invocation_params.dir / (option or DEFAULT_REPORT_DIR)


def _case_path(config: pytest.Config) -> tuple[Path | None, list[Path]]:
    """The case file: the option, the ini setting, or safecase.yaml beside the tests given;
    and the folders searched for it."""
    explicit = config.getoption("safecase_file") or config.getini("safecase_file")
    if explicit:
        path = Path(explicit)
        if not path.is_absolute():
            base = config.invocation_params.dir if config.getoption("safecase_file") else None
            path = (base or config.rootpath) / path
        if not path.is_file():
            raise pytest.UsageError(f"safety-case file not found: {path}")
        return path, []
    folders = []
    for arg in config.args:
        folder = Path(arg.split("::")[0])
        folder = folder if folder.is_absolute() else config.invocation_params.dir / folder
        folders.append(folder if folder.is_dir() else folder.parent)
    folders = list(dict.fromkeys(folders))
    found = (folder / DEFAULT_CASE_FILE for folder in folders)
    return next((path for path in found if path.is_file()), None), folders


def _no_case_file(config: pytest.Config, searched: list[Path]) -> str:
    here = config.invocation_params.dir
    shown = ", ".join(
        visible(f"{folder.relative_to(here)}/" if folder.is_relative_to(here) else f"{folder}/")
        for folder in searched
    )
    return f"no {DEFAULT_CASE_FILE} found beside {shown}; claims form a flat tree"


def _problem_lines(config: pytest.Config, problems: list[Problem]) -> list[str]:
    """What is wrong with the claims, headline first; nothing if nothing is.

    Without a case file, claims that name goals only a case file defines are one message
    saying so, not one line per claim.
    """
    if not problems:
        return []
    searched = config.stash.get(NO_CASE_KEY, None)
    if searched is not None and all(p.rule in CASE_FILE_RULES for p in problems):
        ids = sorted({p.node for p in problems if p.node})
        named = visible(", ".join(ids))
        return [
            f"{_no_case_file(config, searched)}, yet {len(ids)} claim(s) ({named}) "
            f"need goals only a case file defines: run pytest on the folder holding "
            f"{DEFAULT_CASE_FILE}, or give --safecase-file PATH"
        ]
    return [CLAIM_PROBLEMS, *(f"  {visible(str(p))}" for p in problems)]


def _unmatched(widening: Widening, items: list[pytest.Item]) -> list[str]:
    """The test arguments that name no test: pytest's own "not found" error, kept."""
    missing = [
        arg
        for arg, chosen in widening.selectors.items()
        if not any(chosen.selects(item.path, item.nodeid) for item in items)
    ]
    return [f"not found: {visible(arg)}" for arg in missing]


def _write_atomically(path: Path, text: str) -> None:
    """Write whole or not at all: a reader never sees half a file, even if the writer dies."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


class _SharedMarks:
    """What the items one test function makes share while they are collected: the claim markers
    of their parent nodes, and the declaration each marker makes (by marker: the markers are
    alive while the items are). Each case of a parametrized test is then not read anew."""

    def __init__(self) -> None:
        self.parent: object = None
        self.inherited: list[pytest.Mark] = []
        self.declared: dict[int, ClaimSpec] = {}

    def markers(self, item: pytest.Item) -> list[pytest.Mark]:
        """``item.iter_markers(MARKER)``: the item's own, then its parents' (read once)."""
        if item.parent is not self.parent:
            self.parent = item.parent
            self.inherited = [] if item.parent is None else list(item.parent.iter_markers(MARKER))
        own = [mark for mark in item.own_markers if mark.name == MARKER]
        return own + self.inherited if own else self.inherited


def _claim_spec(item: pytest.Item, read: _SharedMarks | None = None) -> ClaimSpec | None:
    """The item's claim, read once from its marker; a bad marker raises a collection error."""
    if SPEC_KEY in item.stash:  # not stash.get: a miss would raise and catch a KeyError
        return item.stash[SPEC_KEY]
    if read is None:  # an item read on its own
        read = _SharedMarks()
    markers = read.markers(item)
    spec = None
    if markers:
        if len(markers) > 1:
            raise pytest.Collector.CollectError(
                f"{item.nodeid}: a test can be evidence for one claim only"
            )
        declared = read.declared.get(id(markers[0]))
        if declared is None:
            declared = read.declared[id(markers[0])] = _declared(item, markers[0])
        path, line, _ = item.location
        spec = declared.at(item.nodeid, path, None if line is None else line + 1)
    item.stash[SPEC_KEY] = spec
    return spec


def _declared(item: pytest.Item, marker: pytest.Mark) -> ClaimSpec:
    """The claim ``marker`` declares for the test function of ``item``."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None)
    try:
        return spec_from_marker(
            marker.args,
            dict(marker.kwargs),
            name=getattr(item, "originalname", item.name),
            doc=_summary(doc),
        )
    except ClaimDeclarationError as exc:
        raise pytest.Collector.CollectError(f"{item.nodeid}: {exc}") from None


def _summary(doc: str | None) -> str | None:
    """A docstring's first paragraph, or None if there is no text."""
    text = inspect.cleandoc(doc).split("\n\n")[0].strip() if doc else ""
    return text or None


def _recorder(item: pytest.Item, when: str) -> Evidence | None:
    """The test's evidence, which belongs to the phase that ran the test body."""
    return item.stash[EVIDENCE_KEY] if when == "call" and EVIDENCE_KEY in item.stash else None


def _outcome(
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    spec: ClaimSpec,
    recorder: Evidence | None,
) -> TestOutcome:
    """What one phase of a claim test tells the controller about it; ``excinfo`` is the
    exception that ended the phase, if any."""
    exc_type = excinfo.type if excinfo is not None else None
    verdict = phase_verdict(report.when, report.outcome, exc_type, hasattr(report, "wasxfail"))
    message = _message(report, excinfo, verdict)
    outcome = TestOutcome(
        spec.nodeid, verdict, report.duration, message, path=spec.path, line=spec.line
    )
    if recorder is not None:
        outcome.evidence = recorder.records
        outcome.notes = recorder.notes
        outcome.attachments = recorder.attachments
        # A test that caught its own ClaimRefuted/ClaimInconclusive still carries that evidence.
        recorded = [r.verdict for r in recorder.records if r.verdict is not None]
        worst = combine([verdict, *recorded])
        if worst is not verdict:
            outcome.verdict = worst
            failing = next(r for r in recorder.records if r.verdict is worst)
            outcome.message = f"{worst.value} evidence {failing.name or failing.kind}"
    return outcome


def _message(
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None,
    verdict: Verdict,
) -> str:
    if verdict is Verdict.SUPPORTED:
        return ""
    if report.skipped:
        reason = getattr(report, "wasxfail", "") or (
            report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        )
        reason = reason.removeprefix("Skipped: ")
        prefix = "expected failure" if hasattr(report, "wasxfail") else "skipped"
        return f"{prefix}: {reason}".rstrip(": ")
    if excinfo is None:
        return f"{report.when} failed"
    if isinstance(excinfo.value, ClaimRefuted | ClaimInconclusive):
        text = str(excinfo.value)
    else:
        text = excinfo.exconly().strip()
    where = "" if report.when == "call" else f"in {report.when}: "
    return where + (text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…")
