"""Trusted side of one sandbox: start the contained process, ask it calls, read plain answers.

One :class:`Sandbox` is one process holding one piece of untrusted code. Every call goes over a
pipe as a request; the answer comes back as JSON and is decoded here into plain data (None, bool,
int, float, str, list, tuple, dict). Nothing the process says is believed beyond "this call
returned that value" or "this call raised an exception of that name": a malformed, oversized or
unexpected message ends the run as a crash. The wall clock, the output cap and the process's
exit are watched for the whole life of the sandbox, so one deadline covers loading and every call.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import selectors
import shutil
import signal
import tempfile
import time
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Literal

from . import _runner
from ._launcher import Runner, launch
from ._view import filesystem_view

__all__ = [
    "ALLOW_UNCONTAINED_ENV",
    "DEFAULT_LIMITS",
    "CandidateRaised",
    "Sandbox",
    "SandboxEnded",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
]

ALLOW_UNCONTAINED_ENV = "SAFECASE_ALLOW_UNCONTAINED"
"""Set to ``1`` to run model code where isolation is unavailable (never a containment claim)."""
TAIL_BYTES = 2048
UID_RANGE = (1_000_000, 2_000_000_000)
ANSWER_SLACK_BYTES = 65536
"""An answer may exceed ``output_bytes`` by this much (its JSON framing and the call's id)."""
KiB = 1024
MiB = 1024 * KiB

EndStatus = Literal["failed", "timeout", "crashed"]
_SIGNAL_MEANINGS = {
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGSYS: "a forbidden system call",
}


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code in it): never evidence about the code."""


class SandboxUnavailable(SandboxError):
    """Full isolation is not available here and the user did not opt in to running without it."""


class SandboxEnded(BaseException):
    """The run is over (timeout, crash, exit): raised through the tests so none can swallow it.

    A ``BaseException``, so a test's ``except Exception`` around a call cannot turn a dead
    sandbox into a pass.
    """

    def __init__(self, status: EndStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class CandidateRaised(Exception):
    """The candidate raised; only the exception's type name and message crossed the boundary."""

    def __init__(self, type_name: str, message: str, where: str = "") -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.where = where


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one sandbox (its loading plus every call)."""

    timeout_seconds: float = 10.0
    """Wall clock for the sandbox's whole life, interpreter start-up included."""
    cpu_seconds: int = 10
    memory_bytes: int = 512 * MiB
    """Address space of the run. The run is one process (new processes are refused), so this
    bounds the whole run's memory, together with the /tmp cap."""
    file_size_bytes: int = 1 * MiB
    """Largest file the code may write; the private /tmp holds 8 times this."""
    output_bytes: int = 64 * KiB
    """Printed output before the run is killed; also the cap on one answer's size."""
    max_processes: int = 16
    """Threads of the run (the run itself is one process: it may not start others)."""

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0:
                raise ValueError(f"SandboxLimits.{name} must be positive, got {value}")


DEFAULT_LIMITS = SandboxLimits()


def uncontained_allowed() -> bool:
    return os.environ.get(ALLOW_UNCONTAINED_ENV, "") == "1"


class Sandbox:
    """One contained process holding ``code``; :meth:`call` runs its functions.

    Use as a context manager: the process and everything it started are killed on exit.
    """

    def __init__(
        self,
        code: str,
        limits: SandboxLimits = DEFAULT_LIMITS,
        *,
        require_contained: bool | None = None,
    ) -> None:
        self.code = code
        self.limits = limits
        self.require_contained = (
            not uncontained_allowed() if require_contained is None else require_contained
        )
        self.isolation: dict[str, bool] = {}
        self.load_error: str | None = None
        """Why the code did not load (``"ValueError: no at solution.py:1"``), else None."""
        self.ended: SandboxEnded | None = None
        self._started = time.monotonic()
        self._deadline = self._started + limits.timeout_seconds
        self._answer_cap = limits.output_bytes + ANSWER_SLACK_BYTES
        self._output_size = 0
        self._output_tail = bytearray()
        self._responses = bytearray()
        self._control = bytearray()
        self._open: dict[int, str] = {}
        self._next_id = 0
        self._runner: Runner | None = None
        self._child_pid: int | None = None
        self._workdir: str | None = None
        self._request_fd: int | None = None
        self._finished: dict[str, Any] | None = None
        self._duration: float | None = None

    # --- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def duration(self) -> float:
        """Seconds from start to the end of the run (or to now, while it runs)."""
        return self._duration if self._duration is not None else time.monotonic() - self._started

    @property
    def output_tail(self) -> str:
        """The last ~2 KB of what the code printed (stdout and stderr, in order)."""
        return bytes(self._output_tail).decode("utf-8", "replace")

    def _start(self) -> None:
        try:
            self._workdir = tempfile.mkdtemp(prefix="safecase-sandbox-")
        except OSError as exc:
            raise SandboxError(f"cannot create the sandbox directory: {exc}") from exc
        root = os.path.join(self._workdir, "root")
        os.mkdir(root, 0o755)
        os.chmod(self._workdir, 0o711)
        output_read, output_write = os.pipe()
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        control_read, control_write = os.pipe()
        as_root = os.geteuid() == 0
        job = {
            "code": self.code,
            "limits": asdict(self.limits),
            "uid": secrets.randbelow(UID_RANGE[1] - UID_RANGE[0]) + UID_RANGE[0]
            if as_root
            else None,
            "root": root,
            "view": filesystem_view(),
            "require_contained": self.require_contained,
        }
        job_path = os.path.join(self._workdir, "job.json")
        runner_fds = (output_write, request_read, response_write, control_write)  # _runner.PIPES
        try:
            descriptor = os.open(job_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as job_file:
                json.dump(job, job_file)
            self._runner = launch(job_path, runner_fds)
        except OSError as exc:
            for fd in (output_read, request_write, response_read, control_read):
                os.close(fd)
            raise SandboxError(f"cannot start the sandbox: {exc}") from exc
        finally:
            for fd in runner_fds:
                os.close(fd)
        self._request_fd = request_write
        self._open = {output_read: "output", response_read: "response", control_read: "control"}
        self._exit_fd = self._runner.pidfd
        ready = self._next_message("starting")
        if ready is None:
            return
        if "setup_error" in ready:
            isolation = ready.get("isolation", {})
            if self.require_contained and not all(isolation.values()):
                raise self._unavailable(isolation)
            raise SandboxError(f"sandbox setup failed: {ready['setup_error']}")
        if ready.get("ready") is not True or not isinstance(ready.get("isolation"), dict):
            raise SandboxError(f"unexpected first message from the sandbox: {ready!r:.200}")
        self.isolation = {str(k): v is True for k, v in ready["isolation"].items()}
        loaded = self._next_message("loading the code")
        if loaded is None:
            return
        if "load_error" in loaded and isinstance(loaded["load_error"], str):
            self.load_error = loaded["load_error"][:1000]
            self._end("failed", f"the code raised {self.load_error}")
        elif loaded.get("crash") and isinstance(loaded["crash"], str):
            self._end("crashed", loaded["crash"][:300])
        elif loaded != {"loaded": True}:
            self._end("crashed", f"malformed message while loading: {loaded!r:.200}")

    def close(self) -> None:
        """Kill the run and everything in it, and remove its directory; safe to call twice."""
        if self._duration is None:
            self._duration = time.monotonic() - self._started
        if self._request_fd is not None:
            os.close(self._request_fd)
            self._request_fd = None
        if self._runner is not None:
            if self._child_pid is None:
                with contextlib.suppress(SandboxError):
                    self._read_control()
            if self._child_pid is not None and not self._runner_exited():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._child_pid, signal.SIGKILL)
            if not self._runner_exited():
                # Alive, so not yet reaped by the fork server: its pid is still its group's id.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._runner.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):  # before its setsid, the group is not
                signal.pidfd_send_signal(self._exit_fd, signal.SIGKILL)  # its own yet
            self._runner_exited(wait=True)
            for fd in list(self._open):
                self._forget(fd)
            os.close(self._exit_fd)
            self._runner = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- calls --------------------------------------------------------------------------------

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)`` inside the sandbox; its return value as plain data.

        Raises :class:`CandidateRaised` when the function raised, and :class:`SandboxEnded` when
        the run is over (timeout, crash, exit, a missing function, a malformed answer) - then
        every later call raises it too.
        """
        if self.ended is not None:
            raise self.ended
        self._next_id += 1
        ident = self._next_id
        try:
            request = {
                "id": ident,
                "function": function,
                "args": _runner.encode(list(args)),
                "kwargs": _runner.encode(dict(kwargs)),
            }
        except TypeError as exc:
            raise SandboxError(f"the tests passed a non-plain argument: {exc}") from None
        self._send((json.dumps(request) + "\n").encode())
        answer = self._next_message(f"the call of {function}()")
        if answer is None:
            raise self._ended()
        if answer.get("id") != ident:
            self._end("crashed", f"answer for another call: {answer!r:.200}")
            raise self._ended()
        return self._read_answer(function, answer)

    def _send(self, data: bytes) -> None:
        """Write a request without blocking past the deadline (the code may not be reading)."""
        assert self._request_fd is not None
        os.set_blocking(self._request_fd, False)
        with selectors.DefaultSelector() as selector:
            selector.register(self._request_fd, selectors.EVENT_WRITE)
            while data:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return  # the deadline ends the run when the answer is awaited
                try:
                    data = data[os.write(self._request_fd, data) :]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    return  # the process is gone: the next message says how

    def _read_answer(self, function: str, answer: dict[str, Any]) -> Any:
        keys = set(answer) - {"id"}
        if keys == {"return"}:
            try:
                return _runner.decode(answer["return"])
            except (ValueError, RecursionError) as exc:
                self._end("crashed", f"{function}() answered malformed data ({exc})")
        elif keys == {"raise", "where"} and _is_pair_of_str(answer["raise"]):
            type_name, message = answer["raise"]
            where = answer["where"] if isinstance(answer["where"], str) else ""
            raise CandidateRaised(type_name[:100], message[:500], where[:300])
        elif keys == {"missing"}:
            self._end("failed", f"the code does not define {function}()")
        elif keys == {"unplain"} and isinstance(answer["unplain"], str):
            self._end("crashed", f"{function}() returned {answer['unplain'][:200]}")
        elif keys == {"crash"} and isinstance(answer["crash"], str):
            self._end("crashed", answer["crash"][:300])
        else:
            self._end("crashed", f"malformed answer from {function}(): {answer!r:.200}")
        raise self._ended()

    def _ended(self) -> SandboxEnded:
        assert self.ended is not None
        return self.ended

    def _end(self, status: EndStatus, detail: str) -> None:
        if self.ended is None:
            self.ended = SandboxEnded(status, detail)
            self._duration = time.monotonic() - self._started

    # --- reading ------------------------------------------------------------------------------

    def _next_message(self, during: str) -> dict[str, Any] | None:
        """The next line the child writes on the response pipe; None once the run has ended."""
        while self.ended is None:
            line, newline, rest = self._responses.partition(b"\n")
            if newline:
                self._responses = bytearray(rest)
                try:
                    message = json.loads(line)
                except (ValueError, RecursionError):
                    message = None
                if isinstance(message, dict):
                    return message
                self._end("crashed", f"malformed message during {during}")
                return None
            if len(self._responses) > self._answer_cap:
                self._end("crashed", f"answer longer than {self._answer_cap} bytes")
                return None
            if not self._pump(during):
                return None
        return None

    def _pump(self, during: str) -> bool:
        """Wait for and read one batch of events; False once the run has ended."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            self._end("timeout", f"wall-clock timeout after {self.limits.timeout_seconds:g} s")
            return False
        with selectors.DefaultSelector() as selector:
            for fd, kind in self._open.items():
                selector.register(fd, selectors.EVENT_READ, kind)
            selector.register(self._exit_fd, selectors.EVENT_READ, "exit")
            events = selector.select(remaining)
        for key, _ in events:
            if key.data == "exit":
                continue
            chunk = os.read(key.fd, 65536)
            if not chunk:
                if key.data == "response":
                    return self._child_gone(during)
                self._forget(key.fd)
                continue
            self._take(key.data, chunk)
        if any(key.data == "exit" for key, _ in events) and "response" in self._open.values():
            self._drain()
            if self.ended is None and b"\n" not in self._responses:
                return self._child_gone(during)
        return self.ended is None

    def _forget(self, fd: int) -> None:
        """Stop reading ``fd`` and close it."""
        del self._open[fd]
        os.close(fd)

    def _runner_exited(self, wait: bool = False) -> bool:
        """Whether the runner has exited (its pidfd is readable then); ``wait`` blocks until so."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._exit_fd, selectors.EVENT_READ)
            return bool(selector.select(None if wait else 0))

    def _take(self, kind: str, chunk: bytes) -> None:
        if kind == "response":
            self._responses += chunk
        elif kind == "control":
            self._control += chunk
            self._read_control()
        else:
            self._output_size += len(chunk)
            self._output_tail = (self._output_tail + chunk)[-TAIL_BYTES:]
            if self._output_size > self.limits.output_bytes:
                self._end("crashed", f"output limit of {self.limits.output_bytes} bytes exceeded")

    def _drain(self) -> None:
        """After the runner exited: take what is already buffered, without waiting for more."""
        for fd, kind in list(self._open.items()):
            os.set_blocking(fd, False)
            with contextlib.suppress(BlockingIOError):
                while chunk := os.read(fd, 65536):
                    self._take(kind, chunk)

    def _read_control(self) -> None:
        """The runner's messages (trusted: it runs no model code); a setup failure raises."""
        lines = bytes(self._control).split(b"\n")
        self._control = bytearray(lines.pop())  # an unfinished last line waits for the rest
        for line in lines:
            try:
                message = json.loads(line)
            except ValueError as exc:
                raise SandboxError(f"garbled message from the sandbox runner: {exc}") from exc
            event = message.get("event")
            if event == "started":
                self._child_pid = int(message["child_pid"])
            elif event == "finished":
                self._finished = message
            elif event == "unavailable":
                raise self._unavailable(message.get("isolation", {}))
            elif event == "setup_error":
                raise SandboxError(f"sandbox setup failed: {message.get('message')}")

    def _unavailable(self, isolation: dict[str, Any]) -> SandboxUnavailable:
        missing = [str(layer) for layer, present in isolation.items() if present is not True]
        return SandboxUnavailable(
            f"model code cannot be contained here: no {', '.join(missing)} isolation "
            f"({_why_unavailable()}). Set {ALLOW_UNCONTAINED_ENV}=1 to run it anyway, "
            "uncontained: then no containment claim can be supported."
        )

    def _child_gone(self, during: str) -> bool:
        """The child closed its answer pipe: it exited or was killed. Say which, then end."""
        if self.ended is not None:
            return False
        while self._finished is None and self._runner is not None:
            if self._runner_exited():
                self._drain()
                break
            if not self._wait_control():
                break
        self._read_control()
        finished = self._finished or {}
        if "signal" in finished:
            number = finished["signal"]
            cpu = float(finished.get("cpu_seconds", 0.0))
            if number == signal.SIGKILL and cpu >= self.limits.cpu_seconds - 0.1:
                self._end("crashed", f"CPU time limit of {self.limits.cpu_seconds} s exceeded")
            else:
                meaning = _SIGNAL_MEANINGS.get(number, f"killed by signal {number}")
                self._end("crashed", f"{meaning} during {during}")
        elif "exit_code" in finished:
            self._end("failed", f"exited with code {finished['exit_code']} during {during}")
        else:
            self._end("crashed", f"the sandbox process died during {during}")
        return False

    def _wait_control(self) -> bool:
        """Read the control pipe once, until the deadline; False if nothing more will come."""
        control = [fd for fd, kind in self._open.items() if kind == "control"]
        remaining = self._deadline - time.monotonic()
        if not control or remaining <= 0:
            return False
        with selectors.DefaultSelector() as selector:
            selector.register(control[0], selectors.EVENT_READ)
            if not selector.select(remaining):
                return False
        chunk = os.read(control[0], 65536)
        if not chunk:
            self._forget(control[0])
            return False
        self._take("control", chunk)
        return True


def _is_pair_of_str(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


def _why_unavailable() -> str:
    if os.geteuid() == 0:
        return "the kernel refused a namespace or seccomp to root"
    return "not root, and the kernel refuses unprivileged user namespaces or seccomp"
