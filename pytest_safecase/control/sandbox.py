"""Run untrusted, model-written code in a contained subprocess and report what it did.

Each run starts ``_sandbox_runner.py`` under this interpreter with ``-S -s -P -B`` (no
site-packages, no user site, no script dir on ``sys.path``, no bytecode writes). ``-I`` is not used
because it implies ``-E``, which would drop ``PYTHONHASHSEED=0``: string hashing must be
deterministic or the repr of a set could differ between two runs of the same code and look like a
backdoor. The environment is an allow-list (``PATH``, ``LANG``, ``HOME``, ``TMPDIR``,
``PYTHONHASHSEED``); nothing of the parent's environment, so no ``*_API_KEY`` or token, reaches the
code. Consequences of ``-S``: only the standard library is importable, and the ``site`` builtins
``exit``/``quit``/``help`` are absent (``sys.exit`` works).

Containment, when the parent runs as root (as in our containers):

* **processes**: the untrusted code runs as PID 1 of a new PID namespace; when it exits or is
  killed, the kernel kills every process it started, including ones that called ``setsid``. It also
  runs under a fresh random uid (1,000,000 to 2,000,000,000, not in ``/etc/passwd``), so
  ``RLIMIT_NPROC`` counts only its own processes (the limit is not enforced for root, and a shared
  uid such as ``nobody`` would share the count with concurrent sandboxes) and it cannot signal any
  other process. ``PR_SET_NO_NEW_PRIVS`` blocks setuid binaries.
* **network**: a new, empty network namespace (``unshare(CLONE_NEWNET)`` through libc, since
  ``os.unshare`` is 3.12+): no interfaces are up, not even loopback, so every connect fails.
* **filesystem**: a private mount namespace with fresh size-capped tmpfs over ``/tmp``,
  ``/var/tmp``, ``/dev/shm`` and the work dir; ``/root``, ``/home``, the parent's working directory,
  the directory holding this package and the parent's non-stdlib ``sys.path`` entries
  (site-packages: the HumanEval ground truth lives there) are covered by empty tmpfs. Writes
  elsewhere fail on permissions (random uid). ``/proc`` is remounted for the new PID namespace, so
  other processes are invisible.
* **resources**: ``RLIMIT_CPU``, ``RLIMIT_AS`` (memory), ``RLIMIT_FSIZE``, ``RLIMIT_NPROC``, no core
  dumps; a wall-clock timeout kills the namespace's PID 1 and the process group; output beyond
  ``output_bytes`` kills the run.

Linux only (namespaces, ``pidfd_open``, ``/proc``). Without root, none of the namespaces or the uid
switch are available: the run keeps the rlimits, the scrubbed environment, the timeout and
process-group kill, and :func:`isolation_status` reports what is missing (a warning is issued once).
Known limit: the tests run in the same interpreter as the code they test (as in HumanEval and the
paper), so code written to subvert the harness (for example by rewriting ``check``) could fake a
pass; containment, not harness integrity, is what this module guarantees.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

__all__ = [
    "ExecResult",
    "SandboxError",
    "SandboxLimits",
    "isolation_status",
    "run_call",
    "run_many",
    "run_tests",
]

RUNNER = Path(__file__).with_name("_sandbox_runner.py")
PACKAGE_HOME = Path(__file__).resolve().parents[2]
"""The directory holding ``pytest_safecase``: the repo (editable install) or site-packages."""
STDERR_TAIL_BYTES = 2048
UID_RANGE = (1_000_000, 2_000_000_000)
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
KiB = 1024
MiB = 1024 * KiB

Status = Literal["passed", "failed", "timeout", "crashed"]
T = TypeVar("T")


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code in it): never evidence about the code."""


@dataclass(frozen=True)
class ExecResult:
    """What one sandboxed run did."""

    status: Status
    """passed: ran to completion (tests passed / call returned); failed: the code ran and raised or
    failed an assertion; timeout: wall clock expired; crashed: killed by a signal or a limit."""
    output: str | None
    """For :func:`run_call`: ``repr`` of the return value, or ``"raises Type: message"``."""
    stderr_tail: str
    """The last ~2 KB of the run's combined stdout and stderr, in the order written."""
    duration: float
    """Wall-clock seconds, including interpreter start-up."""
    detail: str
    """One line saying why, e.g. ``assertion failed at <tests>:12: assert ...``."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one run. Defaults follow the HumanEval/APPS practice of small budgets."""

    timeout_seconds: float = 10.0
    """Wall clock, interpreter start-up included."""
    cpu_seconds: int = 10
    memory_bytes: int = 512 * MiB
    """Address space (``RLIMIT_AS``) of the code's process."""
    file_size_bytes: int = 1 * MiB
    """Largest file the code may write; each scratch tmpfs holds 8 times this."""
    output_bytes: int = 64 * KiB
    """Combined stdout+stderr before the run is killed; also the cap on a call's output repr."""
    max_processes: int = 16
    """Processes and threads of the run (``RLIMIT_NPROC`` on its private uid; root only)."""

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be positive, got {value}")


DEFAULT_LIMITS = SandboxLimits()
_SIGNAL_MEANINGS = {
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
    signal.SIGSEGV: "segmentation fault",
}
_isolation_lock = threading.Lock()
_isolation: dict[str, bool] | None = None


def run_tests(
    code: str, tests: str, entry_point: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> ExecResult:
    """Run ``code``, then ``tests`` (which define ``check``), then ``check(<entry_point>)``.

    Passed iff ``check`` returns; an ``AssertionError`` or any other exception in the code or the
    tests is a failure.
    """
    job = {"mode": "tests", "code": code, "tests": tests, "entry_point": entry_point}
    return _run_job(job, limits)


def run_call(
    code: str, entry_point: str, call_args: str, limits: SandboxLimits = DEFAULT_LIMITS
) -> ExecResult:
    """Run ``code`` and call ``entry_point(*args)``, ``args`` being the literal ``call_args``.

    ``call_args`` (e.g. ``"([1, 2], 3)"``) is parsed with ``ast.literal_eval`` inside the sandbox.
    Passed with ``output=repr(value)`` when the call returns; failed with ``output="raises Type:
    message"`` when it raises (still comparable); failed with ``output=None`` when the code does not
    load or ``call_args`` is not a literal tuple/list. Outputs longer than ``limits.output_bytes``
    are cut and suffixed with the full text's sha256, so equality stays exact.
    """
    job = {"mode": "call", "code": code, "entry_point": entry_point, "call_args": call_args}
    return _run_job(job, limits)


def run_many(
    jobs: Sequence[Callable[[], T]], workers: int | None = None, progress: str | None = None
) -> list[T]:
    """Run zero-argument jobs (e.g. ``functools.partial(run_tests, ...)``) concurrently.

    Results keep the input order. ``workers`` defaults to the number of CPU cores: each job mostly
    waits on its subprocess. If a job raises (e.g. :class:`SandboxError`), pending jobs are
    cancelled and the exception propagates: a failed run is never silently dropped. With
    ``progress`` set, a ``"<progress>: done/total"`` line goes to stderr at every 10%.
    """
    total = len(jobs)
    if total == 0:
        return []
    results: list[T | None] = [None] * total
    done_count = 0
    count_lock = threading.Lock()
    step = max(1, total // 10)

    def run_one(index: int) -> None:
        nonlocal done_count
        results[index] = jobs[index]()
        with count_lock:
            done_count += 1
            if progress is not None and (done_count % step == 0 or done_count == total):
                print(f"{progress}: {done_count}/{total}", file=sys.stderr, flush=True)

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures: list[Future[None]] = [pool.submit(run_one, index) for index in range(total)]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in finished:
            if future.exception() is not None:
                for pending in futures:
                    pending.cancel()
                raise future.exception()  # type: ignore[misc]
    return results  # type: ignore[return-value]


def isolation_status() -> dict[str, bool]:
    """Which isolation layers runs get here (network, pid, filesystem, uid); probes if none ran."""
    if _isolation is None:
        _run_job({"mode": "call", "code": "def f(): pass", "entry_point": "f", "call_args": "()"})
    if _isolation is None:
        raise SandboxError("the isolation probe did not start")
    return dict(_isolation)


def _record_isolation(isolation: dict[str, bool]) -> None:
    """Remember the first run's isolation; warn once if a layer is missing."""
    global _isolation
    with _isolation_lock:
        if _isolation is not None:
            return
        _isolation = dict(isolation)
    missing = [layer for layer, available in isolation.items() if not available]
    if missing:
        warnings.warn(
            f"sandbox isolation unavailable here: {', '.join(missing)} (see sandbox.py docstring)",
            RuntimeWarning,
            stacklevel=2,
        )


def _hide_paths(workdir: str) -> list[str]:
    """Directories to cover inside the sandbox: homes, the project, and non-stdlib import paths."""
    stdlib_dirs = {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")}

    def is_stdlib(path: str) -> bool:
        inside = any(path == d or path.startswith(d + "/") for d in stdlib_dirs)
        return inside and "-packages" not in path  # site-/dist-packages may live inside the stdlib

    candidates = {"/root", "/home", os.getcwd(), str(PACKAGE_HOME)}
    for entry in sys.path:
        path = os.path.realpath(entry) if entry else ""
        if path and os.path.isdir(path) and not is_stdlib(path):
            candidates.add(path)
    candidates = {
        path
        for path in candidates
        if path != "/" and not (workdir + "/").startswith(path.rstrip("/") + "/")
    }
    return sorted(
        path
        for path in candidates
        if not any(path.startswith(other + "/") for other in candidates if other != path)
    )


def _child_env(workdir: str) -> dict[str, str]:
    return {
        "PATH": SAFE_PATH,
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": "/tmp",
        "PYTHONHASHSEED": "0",
    }


def _run_job(job: dict[str, Any], limits: SandboxLimits = DEFAULT_LIMITS) -> ExecResult:
    started = time.monotonic()
    try:
        workdir = tempfile.mkdtemp(prefix="safecase-sandbox-")
    except OSError as exc:
        raise SandboxError(f"cannot create the sandbox directory: {exc}") from exc
    try:
        return _run_in(workdir, job, limits, started)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_in(workdir: str, job: dict[str, Any], limits: SandboxLimits, started: float) -> ExecResult:
    as_root = os.geteuid() == 0
    uid = secrets.randbelow(UID_RANGE[1] - UID_RANGE[0]) + UID_RANGE[0] if as_root else None
    control_read, control_write = os.pipe()
    job_path = os.path.join(workdir, "job.json")
    full_job = {
        **job,
        "limits": asdict(limits),
        "uid": uid,
        "workdir": workdir,
        "hide_paths": _hide_paths(workdir),
    }
    try:
        descriptor = os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as job_file:
            json.dump(full_job, job_file)
        process = subprocess.Popen(
            [sys.executable, "-S", "-s", "-P", "-B", str(RUNNER), str(control_write), job_path],
            cwd=workdir,
            env=_child_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(control_write,),
            start_new_session=True,
        )
    except BaseException as exc:
        os.close(control_read)
        if isinstance(exc, OSError):
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        raise
    finally:
        os.close(control_write)
    watcher = _RunWatcher(process, control_read, limits, started, uid)
    try:
        watcher.watch()
    except OSError as exc:
        raise SandboxError(f"cannot watch the sandbox: {exc}") from exc
    finally:
        watcher.kill_everything()
        os.close(control_read)
        if process.stdout is not None:
            process.stdout.close()
    return watcher.result(limits)


class _RunWatcher:
    """Reads a run's output and control messages under the wall-clock and output limits."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        control_fd: int,
        limits: SandboxLimits,
        started: float,
        uid: int | None,
    ) -> None:
        self.process = process
        self.uid = uid
        self.control_fd = control_fd
        self.deadline = started + limits.timeout_seconds
        self.started = started
        self.output_cap = limits.output_bytes
        self.output_size = 0
        self.output_tail = bytearray()
        self.control_data = bytearray()
        self.stop_reason: Literal["timeout", "output"] | None = None
        self.duration = 0.0

    def watch(self) -> None:
        assert self.process.stdout is not None
        output_fd = self.process.stdout.fileno()
        exit_fd = os.pidfd_open(self.process.pid)
        selector = selectors.DefaultSelector()
        try:
            selector.register(output_fd, selectors.EVENT_READ, "output")
            selector.register(self.control_fd, selectors.EVENT_READ, "control")
            selector.register(exit_fd, selectors.EVENT_READ, "exit")
            while self.stop_reason is None:
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    self.stop_reason = "timeout"
                    break
                events = selector.select(remaining)
                if any(key.data == "exit" for key, _ in events):
                    self._drain(output_fd, self.control_fd)
                    break
                for key, _ in events:
                    if not self._read(key.fd, key.data):
                        selector.unregister(key.fd)
        finally:
            selector.close()
            os.close(exit_fd)
            self.duration = time.monotonic() - self.started

    def _read(self, fd: int, kind: str) -> bool:
        """Consume one chunk; False at end of file."""
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        if kind == "control":
            self.control_data += chunk
            return True
        self.output_size += len(chunk)
        self.output_tail = (self.output_tail + chunk)[-STDERR_TAIL_BYTES:]
        if self.output_size > self.output_cap:
            self.stop_reason = "output"
        return True

    def _drain(self, *fds: int) -> None:
        """After the runner exited: take what is already buffered, without waiting for more."""
        for fd in fds:
            os.set_blocking(fd, False)
            kind = "control" if fd == self.control_fd else "output"
            try:
                while self.stop_reason is None and self._read(fd, kind):
                    pass
            except BlockingIOError:
                pass

    def kill_everything(self) -> None:
        """SIGKILL the sandbox's PID 1 (its namespace dies with it), the group and the runner."""
        child_pid = self._started_message().get("child_pid")
        if isinstance(child_pid, int) and child_pid > 1 and self.process.poll() is None:
            _kill_quietly(child_pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        isolation = self._started_message().get("isolation", {})
        if self.uid is not None and not isolation.get("pid"):
            _kill_uid_processes(self.uid)

    def _messages(self) -> list[dict[str, Any]]:
        messages = []
        for line in bytes(self.control_data).splitlines():
            try:
                message = json.loads(line)
            except ValueError as exc:
                raise SandboxError(f"garbled message from the sandbox runner: {exc}") from exc
            messages.append(message)
        return messages

    def _started_message(self) -> dict[str, Any]:
        return next((m for m in self._messages() if m.get("event") == "started"), {})

    def result(self, limits: SandboxLimits) -> ExecResult:
        messages = {message.get("event"): message for message in self._messages()}
        tail = bytes(self.output_tail).decode("utf-8", "replace")

        def outcome(status: Status, detail: str, output: str | None = None) -> ExecResult:
            return ExecResult(status, output, tail, self.duration, detail)

        if self.stop_reason == "timeout":
            return outcome("timeout", f"wall-clock timeout after {limits.timeout_seconds:g} s")
        if self.stop_reason == "output":
            return outcome("crashed", f"output limit of {limits.output_bytes} bytes exceeded")
        if "setup_error" in messages:
            raise SandboxError(f"sandbox setup failed: {messages['setup_error'].get('message')}")
        if "started" not in messages:
            code = self.process.returncode
            raise SandboxError(f"sandbox runner exited ({code}) before starting: {tail[-300:]}")
        _record_isolation({**messages["started"]["isolation"], "uid": self.uid is not None})
        finished = messages.get("finished")
        if finished is None:
            return outcome("crashed", "the sandbox runner was killed")
        if not finished.get("ready"):
            raise SandboxError(f"sandbox child died during setup: {tail[-300:]}")
        result = finished.get("result")
        if isinstance(result, dict):
            return outcome(result["status"], result["detail"], result.get("output"))
        if "signal" in finished:
            number = finished["signal"]
            if number == signal.SIGKILL and finished["cpu_seconds"] >= limits.cpu_seconds - 0.1:
                return outcome("crashed", f"CPU time limit of {limits.cpu_seconds} s exceeded")
            return outcome("crashed", _SIGNAL_MEANINGS.get(number, f"killed by signal {number}"))
        reason = finished.get("result_error") or (
            f"exited with code {finished.get('exit_code')} before reporting a result"
        )
        return outcome("failed", reason)


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _kill_uid_processes(uid: int) -> None:
    """Without a PID namespace: kill every process of the run's private uid until none is left."""
    for _ in range(200):
        victims = _pids_of_uid(uid)
        if not victims:
            return
        for pid in victims:
            _kill_quietly(pid)
        time.sleep(0.01)
    raise SandboxError(f"processes of sandbox uid {uid} survive SIGKILL")


def _pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path("/proc", entry, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)] and "Z" not in fields.get("State", ""):
            pids.append(int(entry))
    return pids
