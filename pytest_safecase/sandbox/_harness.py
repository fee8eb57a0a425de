"""Judge untrusted code from the trusted side: tests and calls whose verdicts the code cannot forge.

The tests (``check(candidate)``) run here, in the caller's interpreter, never in the sandbox.
``candidate`` is a proxy: each call goes to the sandboxed process and comes back as decoded plain
data, so ``==``, ``repr`` and ``isinstance`` in the tests act on values this process built. The
task's prompt (its helper functions, e.g. HumanEval's ``encode_cyclic``) is executed here too, from
the task's own text: the tests may use it, and the sandbox never holds the tests or the reference.
"""

from __future__ import annotations

import functools
import os
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pytest_safecase._parse import literal

from ._runner import describe
from ._session import (
    DEFAULT_LIMITS,
    CandidateRaised,
    Sandbox,
    SandboxEnded,
    SandboxError,
    SandboxLimits,
)

__all__ = ["ExecResult", "isolation_status", "run_call", "run_many", "run_tests"]

TESTS_FILE = "<tests>"
PRELUDE_FILE = "<prompt>"
Status = Literal["passed", "failed", "timeout", "crashed"]
T = TypeVar("T")


@dataclass(frozen=True)
class ExecResult:
    """What one sandboxed run did."""

    status: Status
    """passed: the tests passed / the call returned plain data; failed: the code raised, failed
    an assertion, exited or lacks the function; timeout: wall clock expired; crashed: killed by a
    limit or a signal, or it answered something that is not plain data."""
    output: str | None
    """For :func:`run_call`: ``repr`` of the decoded return value, or ``"raises Type: message"``."""
    stderr_tail: str
    """The last ~2 KB of the run's printed output (stdout and stderr, in order)."""
    duration: float
    """Wall-clock seconds, interpreter start-up included."""
    detail: str
    """One line saying why, e.g. ``assertion failed at <tests>:12: assert ...``."""


def run_tests(
    code: str,
    tests: str,
    entry_point: str,
    limits: SandboxLimits = DEFAULT_LIMITS,
    *,
    prelude: str = "",
) -> ExecResult:
    """Load ``code`` in a sandbox, then run ``tests``' ``check(candidate)`` here against it.

    Passed iff ``check`` returns and the sandbox is still alive; an ``AssertionError`` or any
    exception in the tests, or a raise in the candidate, is a failure. ``prelude`` (the task's
    prompt) is executed before the tests, in their namespace, when it is valid Python.
    """
    with Sandbox(code, limits) as box:
        if box.ended is not None:
            return _result(box, box.ended.status, box.ended.detail)
        namespace = _trusted_namespace(prelude)
        candidate = _proxy(box, entry_point)
        namespace[entry_point] = candidate
        try:
            exec(_compiled(tests, TESTS_FILE), namespace)
            namespace["check"](candidate)
        except SandboxEnded as ended:
            return _result(box, ended.status, ended.detail)
        except AssertionError as exc:
            return _result(box, "failed", f"assertion failed{_where(exc, tests)}")
        except CandidateRaised as exc:
            called = _where(exc, tests)
            detail = f"{exc}{exc.where}" + (f" (called{called})" if called else "")
            return _result(box, "failed", detail)
        except Exception as exc:
            return _result(box, "failed", f"{describe(exc)}{_where(exc, tests)}")
        if box.ended is not None:  # the tests swallowed the end of the run
            return _result(box, box.ended.status, box.ended.detail)
        return _result(box, "passed", "all tests passed")


def run_call(
    code: str, entry_point: str, call_args: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> ExecResult:
    """Load ``code`` in a sandbox and call ``entry_point(*args)``, ``args`` being ``call_args``.

    ``call_args`` (e.g. ``"([1, 2], 3)"``) is parsed here with ``ast.literal_eval``. Passed with
    ``output=repr(value)`` when the call returns plain data; failed with ``output="raises Type:
    message"`` when it raises (still comparable); failed with ``output=None`` when the code does
    not load or ``call_args`` is not a literal tuple/list.
    """
    started = time.monotonic()
    try:
        arguments = literal(call_args)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        detail = f"call_args is not a Python literal ({exc!r:.200})"
        return ExecResult("failed", None, "", time.monotonic() - started, detail)
    if not isinstance(arguments, tuple | list):
        detail = f"call_args must be a tuple or list, not {type(arguments).__name__}"
        return ExecResult("failed", None, "", time.monotonic() - started, detail)
    with Sandbox(code, limits) as box:
        if box.ended is not None:
            return _result(box, box.ended.status, box.ended.detail)
        try:
            value = box.call(entry_point, *arguments)
        except SandboxEnded as ended:
            return _result(box, ended.status, ended.detail)
        except CandidateRaised as exc:
            output = f"raises {exc.type_name}: {exc.message}"  # ": " even if empty
            return _result(box, "failed", f"the call {output}{exc.where}", output)
        return _result(box, "passed", "returned", repr(value))


def run_many(jobs: Sequence[Callable[[], T]], workers: int | None = None) -> list[T]:
    """Run zero-argument jobs (e.g. ``functools.partial(run_tests, ...)``) concurrently.

    Results keep the input order. ``workers`` defaults to the number of CPU cores: each job mostly
    waits on its subprocess. If a job raises (e.g. :class:`SandboxError`), pending jobs are
    cancelled and the exception propagates: a failed run is never silently dropped.
    """
    total = len(jobs)
    results: list[Any] = [None] * total

    def run_one(index: int) -> None:
        results[index] = jobs[index]()

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures: list[Future[None]] = [pool.submit(run_one, index) for index in range(total)]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            error = future.exception()
            if error is not None:
                for pending in futures:
                    pending.cancel()
                raise error
    return results


@functools.cache
def isolation_status() -> dict[str, bool]:
    """Which isolation layers sandboxes get here: user, network, pid, filesystem, seccomp.

    Probed once per process with a trivial program, without requiring containment, so a missing
    layer is reported rather than refused. The cache is kept on purpose: it memoises a fact about
    the machine and kernel, which no test or run can change, so there is nothing to reset.
    """
    with Sandbox("", require_contained=False) as box:
        if not box.isolation:
            reason = box.ended.detail if box.ended else "no isolation report"
            raise SandboxError(f"the isolation probe did not start: {reason}")
        return dict(box.isolation)


def _result(box: Sandbox, status: Status, detail: str, output: str | None = None) -> ExecResult:
    return ExecResult(status, output, box.output_tail, box.duration, detail)


def _proxy(box: Sandbox, function: str) -> Callable[..., Any]:
    def candidate(*args: Any, **kwargs: Any) -> Any:
        return box.call(function, *args, **kwargs)

    candidate.__name__ = candidate.__qualname__ = function
    return candidate


@functools.lru_cache(maxsize=1024)
def _compiled(source: str, filename: str) -> Any:
    return compile(source, filename, "exec", dont_inherit=True)


def _trusted_namespace(prelude: str) -> dict[str, Any]:
    """A fresh namespace holding the prompt's definitions, when the prompt is Python."""
    namespace: dict[str, Any] = {"__name__": "safecase_tests"}
    if prelude:
        try:
            exec(_compiled(prelude, PRELUDE_FILE), namespace)
        except Exception:  # a prose prompt (APPS) defines nothing: the tests stand alone
            namespace = {"__name__": "safecase_tests"}
    return namespace


def _where(exc: BaseException, tests: str) -> str:
    """`` at <tests>:12: assert ...`` for the innermost frame in the tests, if any."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == TESTS_FILE]
    if not frames:
        return ""
    frame = frames[-1]
    lines = tests.splitlines()
    line = lines[frame.lineno - 1].strip() if frame.lineno and frame.lineno <= len(lines) else ""
    return f" at {TESTS_FILE}:{frame.lineno}" + (f": {line[:200]}" if line else "")
