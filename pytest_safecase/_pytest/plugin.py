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
    TestOutcome,
    read_case,
    validate_claims,
)
from pytest_safecase.case.assemble import above_level, level_problem
from pytest_safecase.case.gather import CaseRun, phase_verdict
from pytest_safecase.evidence import ClaimInconclusive, ClaimRefuted, Evidence
from pytest_safecase.verdict import Verdict, combine

if TYPE_CHECKING:
    from pytest_safecase.report import Emitted

__all__ = ["evidence", "safety_case"]

pytest_plugins = ["pytest_safecase._pytest.models", "pytest_safecase._pytest.control"]

RUN_KEY = pytest.StashKey[CaseRun]()
RESULT_KEY = pytest.StashKey[CaseResult]()
DEFAULT_REPORT_DIR = "safecase-report"
DEFAULT_CASE_FILE = "safecase.yaml"
WORKER_CLAIMS = "safecase_claims"
WORKER_PROBLEMS = "safecase_problems"
WORKER_CLAIMS_FILE = "safecase_claims_file"
CLAIM_PROBLEMS = "claims disagree with the safety case:"
MESSAGE_CHARS = 400
"""A verdict's message is cut to this many characters: the report shows it on one line."""
_UNREAD = object()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_safecase._pytest import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("safecase", "safety cases (pytest-safecase)")
    group.addoption(
        "--safecase-report",
        nargs="?",
        const=DEFAULT_REPORT_DIR,
        default=None,
        metavar="DIR",
        help="print the full argument tree after the run and write the reports to DIR "
        f"(default {DEFAULT_REPORT_DIR}/).",
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
    path = _case_path(config)
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
    run = CaseRun(case, level_limit=level)
    config.stash[RUN_KEY] = run
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Controller(config, run), "safecase-controller")


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem() -> Generator[None, Any, Any]:
    result = yield
    for item in result if isinstance(result, list) else [result]:
        if isinstance(item, pytest.Function):
            _claim_spec(item)  # a bad claim marker is a collection error naming the test
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run = config.stash[RUN_KEY]
    specs = [spec for item in items if (spec := _claim_spec(item)) is not None]
    problems = [str(problem) for problem in validate_claims(run.case, specs)]
    problems += filter(None, [level_problem(run.case, specs, run.level_limit)])
    if problems and hasattr(config, "workerinput"):
        # A worker cannot stop the run with a usage error: it runs nothing and tells the controller.
        config.workeroutput[WORKER_PROBLEMS] = problems  # type: ignore[attr-defined]
        config.hook.pytest_deselected(items=list(items))
        items.clear()
        return
    if problems:
        raise pytest.UsageError(
            CLAIM_PROBLEMS + "\n" + "\n".join(f"  {visible(p)}" for p in problems)
        )
    run.add_claims(specs)
    if hasattr(config, "workerinput"):
        claims = [spec.to_dict() for spec in specs]
        config.workeroutput[WORKER_CLAIMS] = claims  # type: ignore[attr-defined]
        claims_file = config.workerinput.get(WORKER_CLAIMS_FILE)
        if claims_file:
            _write_atomically(Path(claims_file), json.dumps(claims))
    if run.level_limit is not None and specs:
        too_high = above_level(run.case, run.claims.values(), run.level_limit)
        above = [
            item
            for item in items
            if (spec := _claim_spec(item)) is not None and spec.id in too_high
        ]
        if above:
            config.hook.pytest_deselected(items=above)
            items[:] = [item for item in items if item not in above]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when != "call" and report.outcome == "passed":
        return report  # a passing setup or teardown adds nothing to the claim
    spec = _claim_spec(item)
    if spec is not None:
        recorder = item.stash.get(EVIDENCE_KEY, None) if call.when == "call" else None
        outcome = _outcome(report, call, spec, recorder)
        if hasattr(item.config, "workerinput"):  # it travels to the controller as JSON
            payload: Any = {"claim": spec.to_dict(), "outcome": outcome.to_dict()}
        else:  # the controller is this process: no need to go through dicts
            payload = (spec, outcome)
        report.safecase = payload  # type: ignore[attr-defined]
    return report


class Controller:
    """The controller's side: gathers results, prints the argument, gates the exit status."""

    def __init__(self, config: pytest.Config, run: CaseRun) -> None:
        self.config = config
        self.run = run
        self.problems: list[str] = []
        self.started = now_iso()
        self.emitted: Emitted | None = None
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
        payload = getattr(report, "safecase", None)
        if isinstance(payload, tuple):
            self.run.add_outcome(*payload)
        elif payload is not None:
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
        self.problems += [p for p in output.get(WORKER_PROBLEMS, []) if p not in self.problems]
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
        self._settle_crashes()
        if not self.run.claims and self.run.case is None:
            return
        usage = self.config.hook.pytest_safecase_usage_by_test(config=self.config)
        result = self.run.result(usage)
        self.config.stash[RESULT_KEY] = result
        option = self.config.getoption("safecase_report")
        directory = None if option is None else self.config.invocation_params.dir / option
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
        from pytest_safecase.report.terminal import summary_line, tree_lines

        for line in ([f"ERROR: {CLAIM_PROBLEMS}"] if self.problems else []) + self.problems:
            text = line if line.startswith("ERROR") else f"  {visible(line)}"
            terminalreporter.write_line(text, red=True)
        result = self.config.stash.get(RESULT_KEY, None)
        if result is None:
            return
        if self.emitted is not None:
            for command in self.emitted.commands:  # GitHub reads these at the start of a line
                terminalreporter.write_line(command)
        if self.config.getoption("safecase_report") is not None:
            terminalreporter.section("safety case", sep="=")
            wrap = self.config.getoption("verbose") > 0  # -v wraps long lines, never cuts
            width = terminalreporter._tw.fullwidth
            for text, markup in tree_lines(result, width=width, wrap=wrap):
                terminalreporter.write_line(text, **markup)
            terminalreporter.write_line("")
        text, markup = summary_line(result, gate=self.config.getoption("safecase_gate"))
        terminalreporter.write_line(text, **markup)
        if self.emitted is not None and self.emitted.files:
            folder = self.emitted.files[0].parent
            here = self.config.invocation_params.dir
            shown: Path = folder.relative_to(here) if folder.is_relative_to(here) else folder
            terminalreporter.write_line(visible(f"safecase reports: {shown}/"))


def _case_path(config: pytest.Config) -> Path | None:
    """The case file: the option, the ini setting, or safecase.yaml beside the tests given."""
    explicit = config.getoption("safecase_file") or config.getini("safecase_file")
    if explicit:
        path = Path(explicit)
        if not path.is_absolute():
            base = config.invocation_params.dir if config.getoption("safecase_file") else None
            path = (base or config.rootpath) / path
        if not path.is_file():
            raise pytest.UsageError(f"safety-case file not found: {path}")
        return path
    candidates = []
    for arg in config.args:
        folder = Path(arg.split("::")[0])
        folder = folder if folder.is_absolute() else config.invocation_params.dir / folder
        candidates.append((folder if folder.is_dir() else folder.parent) / DEFAULT_CASE_FILE)
    return next((path for path in candidates if path.is_file()), None)


def _write_atomically(path: Path, text: str) -> None:
    """Write whole or not at all: a reader never sees half a file, even if the writer dies."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _claim_spec(item: pytest.Item) -> ClaimSpec | None:
    """The item's claim, read once from its marker; a bad marker raises a collection error."""
    known = item.stash.get(SPEC_KEY, _UNREAD)
    if known is not _UNREAD:
        return known  # type: ignore[return-value]
    markers = list(item.iter_markers(MARKER))
    spec = None
    if markers:
        path, line, _ = item.location
        try:
            if len(markers) > 1:
                raise ClaimDeclarationError("a test can be evidence for one claim only")
            spec = spec_from_marker(
                markers[0].args,
                dict(markers[0].kwargs),
                nodeid=item.nodeid,
                name=getattr(item, "originalname", item.name),
                path=path,
                line=None if line is None else line + 1,
            )
        except ClaimDeclarationError as exc:
            raise pytest.Collector.CollectError(f"{item.nodeid}: {exc}") from None
    item.stash[SPEC_KEY] = spec
    return spec


def _outcome(
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    spec: ClaimSpec,
    recorder: Evidence | None,
) -> TestOutcome:
    """What one phase of a claim test tells the controller about it."""
    exc_type = call.excinfo.type if call.excinfo is not None else None
    verdict = phase_verdict(call.when, report.outcome, exc_type, hasattr(report, "wasxfail"))
    outcome = TestOutcome(
        nodeid=report.nodeid,
        verdict=verdict,
        duration=report.duration,
        message=_message(report, call, verdict),
        path=spec.path,
        line=spec.line,
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


def _message(report: pytest.TestReport, call: pytest.CallInfo[None], verdict: Verdict) -> str:
    if verdict is Verdict.SUPPORTED:
        return ""
    if report.skipped:
        reason = getattr(report, "wasxfail", "") or (
            report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        )
        reason = reason.removeprefix("Skipped: ")
        prefix = "expected failure" if hasattr(report, "wasxfail") else "skipped"
        return f"{prefix}: {reason}".rstrip(": ")
    if call.excinfo is None:
        return f"{call.when} failed"
    if isinstance(call.excinfo.value, ClaimRefuted | ClaimInconclusive):
        text = str(call.excinfo.value)
    else:
        text = call.excinfo.exconly().strip()
    where = "" if call.when == "call" else f"in {call.when}: "
    return where + (text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…")
