"""Child side of the sandbox: isolate, drop privileges, run the untrusted code, report the result.

Started by ``sandbox.py`` as ``python -S -s -P -B _sandbox_runner.py CONTROL_FD JOB_FILE`` in a new
session with a scrubbed environment. This file must import only the standard library (``-S`` leaves
site-packages off ``sys.path``).

Two processes take part:

* the *runner* (this process, still root when the parent is): reads and deletes the job file, enters
  new network/mount/PID namespaces, hides directories, forks the *child* and relays its result to
  the parent over the control pipe. It never runs untrusted code, so what it writes can be trusted.
* the *child*: PID 1 of the new PID namespace. It applies resource limits, switches to the job's
  unprivileged uid, reports "ready", runs the untrusted code and reports the outcome on a pipe the
  runner reads. When it exits the kernel kills every process left in its PID namespace.

Only the first line the child writes ("ready" or a setup error) precedes the untrusted code; the
runner reads the next line as the result.
"""

from __future__ import annotations

import builtins
import ctypes
import json
import os
import resource
import signal
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm")
SOLUTION_FILE = "solution.py"
TESTS_FILE = "<tests>"
RESULT_CAP_FACTOR = 8
SCRATCH_SIZE_FACTOR = 8

_libc = ctypes.CDLL(None, use_errno=True)
_write = os.write
_dumps = json.dumps


class SetupError(Exception):
    """Isolation or privilege dropping failed before any untrusted code ran."""


def _libc_call(name: str, *args: Any) -> None:
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def _mount_tmpfs(target: str, size_bytes: int, mode: int) -> None:
    options = f"size={size_bytes},mode={mode:o}".encode()
    _libc_call("mount", b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options)


def _send(fd: int, message: dict[str, Any]) -> None:
    data = (_dumps(message) + "\n").encode("utf-8", "backslashreplace")
    while data:
        data = data[_write(fd, data) :]


def _highest_untraversable_ancestor(path: str) -> str | None:
    """The topmost directory on ``path`` that other users cannot enter (e.g. ``/root``)."""
    current = "/"
    for part in path.strip("/").split("/"):
        current = os.path.join(current, part)
        if not os.stat(current).st_mode & stat.S_IXOTH:
            return current
    return None


def _isolate(job: dict[str, Any]) -> dict[str, bool]:
    """Enter the namespaces the OS permits; return which isolation steps took effect."""
    isolation = {"network": False, "pid": False, "filesystem": False}
    if os.geteuid() != 0:
        return isolation
    os.umask(0o022)
    try:
        _libc_call("unshare", CLONE_NEWNET)
        isolation["network"] = True
    except OSError:
        pass
    try:
        _libc_call("unshare", CLONE_NEWPID)
        isolation["pid"] = True
    except OSError:
        pass
    try:
        _libc_call("unshare", CLONE_NEWNS)
    except OSError:
        return isolation
    _libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    _private_filesystem_view(job)
    isolation["filesystem"] = True
    return isolation


def _private_filesystem_view(job: dict[str, Any]) -> None:
    """Fresh scratch dirs, a size-capped work dir, and hidden project/home/site-packages dirs.

    Only this mount namespace sees these mounts (``/`` was made private first). The Python install
    is bound back if a hidden or untraversable directory contains it: the stdlib stays importable.
    """
    prefix = sys.base_prefix
    prefix_fd = os.open(prefix, os.O_RDONLY | os.O_DIRECTORY)
    try:
        blocked = _highest_untraversable_ancestor(prefix)
        hidden = [path for path in job["hide_paths"] if os.path.isdir(path)]
        covered = list(dict.fromkeys(hidden + ([blocked] if blocked else [])))
        for path in covered:
            _mount_tmpfs(path, 1 << 16, 0o755)
        if any(prefix == path or prefix.startswith(path + "/") for path in covered):
            os.makedirs(prefix, mode=0o755, exist_ok=True)
            original = f"/proc/self/fd/{prefix_fd}".encode()
            _libc_call("mount", original, prefix.encode(), None, MS_BIND | MS_REC, None)
    finally:
        os.close(prefix_fd)
    scratch_bytes = job["limits"]["file_size_bytes"] * SCRATCH_SIZE_FACTOR
    for path in SCRATCH_DIRS:
        if os.path.isdir(path):
            _mount_tmpfs(path, scratch_bytes, 0o1777)
    workdir = job["workdir"]
    if not any(workdir.startswith(path + "/") for path in SCRATCH_DIRS):
        _mount_tmpfs(workdir, scratch_bytes, 0o700)
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    os.chdir(workdir)


def _enter_sandbox(job: dict[str, Any], isolation: dict[str, bool]) -> None:
    """In the child: code file, own /proc, resource limits, unprivileged uid, no new privileges."""
    limits = job["limits"]
    with open(SOLUTION_FILE, "w", encoding="utf-8") as solution_file:
        solution_file.write(job["code"])
    if isolation["pid"] and isolation["filesystem"]:
        _libc_call("mount", b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    # Soft == hard: as PID 1 of its namespace the child ignores SIGXCPU, so the hard limit's SIGKILL
    # is what stops it; the runner recognises that case from the child's CPU usage.
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"],) * 2)
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["max_processes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    uid = job["uid"]
    if uid is not None:
        os.chown(".", uid, uid)
        os.chown(SOLUTION_FILE, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SetupError("could not switch to the sandbox uid")
    _libc_call("prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _libc_call("prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _capped(text: str, cap_bytes: int) -> str:
    """``text`` if it fits; else a prefix plus the full text's sha256, so comparisons stay exact."""
    data = text.encode("utf-8", "backslashreplace")
    if len(data) <= cap_bytes:
        return text
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    prefix = data[:cap_bytes].decode("utf-8", "ignore")
    return f"{prefix}...<truncated {len(data)} bytes, sha256 {digest}>"


def _where(exc: BaseException, tests: str = "") -> str:
    """`` at <tests>:12: assert ...`` for the innermost frame in the solution or the tests.

    Imported here, not at start-up: tracebacks are only formatted for failures, and every import
    costs each run start-up time.
    """
    import linecache
    import traceback

    linecache.cache[TESTS_FILE] = (len(tests), None, tests.splitlines(True), TESTS_FILE)
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename in (SOLUTION_FILE, TESTS_FILE)
    ]
    if not frames:
        return ""
    frame = frames[-1]
    line = (frame.line or "").strip()
    return f" at {frame.filename}:{frame.lineno}" + (f": {line[:200]}" if line else "")


def _describe(exc: BaseException, cap_bytes: int) -> str:
    message = _capped(str(exc), cap_bytes)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _run_untrusted(job: dict[str, Any]) -> dict[str, Any]:
    """Execute the job's code and tests or call; never raises (MemoryError is a crash)."""
    cap = job["limits"]["output_bytes"]
    namespace: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(job["code"], SOLUTION_FILE, "exec"), namespace)
    except MemoryError:
        return {"status": "crashed", "detail": "memory limit exceeded while loading the code"}
    except BaseException as exc:
        detail = f"the code raised {_describe(exc, 500)}{_where(exc)}"
        return {"status": "failed", "detail": detail}
    candidate = namespace.get(job["entry_point"])
    if not callable(candidate):
        return {"status": "failed", "detail": f"the code does not define {job['entry_point']}()"}
    if job["mode"] == "tests":
        return _run_tests(job["tests"], candidate, namespace)
    return _run_call(job["call_args"], candidate, cap)


def _run_tests(tests: str, candidate: Any, namespace: dict[str, Any]) -> dict[str, Any]:
    try:
        exec(compile(tests, TESTS_FILE, "exec"), namespace)
        namespace["check"](candidate)
    except MemoryError:
        return {"status": "crashed", "detail": "memory limit exceeded during the tests"}
    except AssertionError as exc:
        return {"status": "failed", "detail": f"assertion failed{_where(exc, tests)}"}
    except BaseException as exc:
        return {"status": "failed", "detail": f"{_describe(exc, 500)}{_where(exc, tests)}"}
    return {"status": "passed", "detail": "all tests passed"}


def _run_call(call_args: str, candidate: Any, cap: int) -> dict[str, Any]:
    import ast  # only calls need it; importing it costs every run start-up time

    try:
        arguments = ast.literal_eval(call_args)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        return {"status": "failed", "detail": f"call_args is not a Python literal ({exc!r:.200})"}
    if not isinstance(arguments, tuple | list):
        kind = type(arguments).__name__
        return {"status": "failed", "detail": f"call_args must be a tuple or list, not {kind}"}
    try:
        value = candidate(*arguments)
        output = _capped(repr(value), cap)
    except MemoryError:
        return {"status": "crashed", "detail": "memory limit exceeded during the call"}
    except BaseException as exc:
        output = f"raises {type(exc).__name__}: {_capped(str(exc), cap)}"  # ": " even if empty
        return {"status": "failed", "output": output, "detail": f"the call {output}{_where(exc)}"}
    return {"status": "passed", "output": output, "detail": "returned"}


def _child(job: dict[str, Any], isolation: dict[str, bool], result_fd: int) -> None:
    try:
        _enter_sandbox(job, isolation)
    except Exception as exc:
        _send(result_fd, {"setup_error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    _send(result_fd, {"ready": True})
    try:
        result = _run_untrusted(job)
    except BaseException as exc:  # the untrusted code may have broken the harness itself
        result = {"status": "failed", "detail": f"harness error after the code ran: {exc!r:.200}"}
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (contextlib would cost start-up time in every run)
            stream.flush()
        except Exception:  # the code may have replaced or closed the stream
            pass
    _send(result_fd, result)
    os._exit(0)


def _read_capped(fd: int, cap: int) -> tuple[bytes, bool]:
    """Everything until EOF, or the first ``cap`` bytes and ``True`` when there was more."""
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return b"".join(chunks)[:cap], True
    return b"".join(chunks), False


def _relay(child_pid: int, result_fd: int, cap: int) -> dict[str, Any]:
    """Wait for the child and turn what it wrote into one trustworthy ``finished`` message."""
    data, too_long = _read_capped(result_fd, cap)
    if too_long:
        os.kill(child_pid, signal.SIGKILL)
    _, wait_status, usage = os.wait4(child_pid, 0)
    first, _, rest = data.partition(b"\n")
    try:
        first_message = json.loads(first)
    except ValueError:
        first_message = {}
    if "setup_error" in first_message:
        return {"event": "setup_error", "message": str(first_message["setup_error"])}
    message: dict[str, Any] = {
        "event": "finished",
        "ready": first_message.get("ready") is True,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    if os.WIFSIGNALED(wait_status):
        message["signal"] = os.WTERMSIG(wait_status)
    else:
        message["exit_code"] = os.waitstatus_to_exitcode(wait_status)
    if too_long:
        message["result_error"] = f"result message longer than {cap} bytes"
        return message
    try:
        result = json.loads(rest.partition(b"\n")[0])
    except ValueError:
        result = None
    if isinstance(result, dict) and result.get("status") in ("passed", "failed", "crashed"):
        message["result"] = {
            "status": result["status"],
            "output": result.get("output") if isinstance(result.get("output"), str) else None,
            "detail": str(result.get("detail", ""))[:1000],
        }
    return message


def main() -> None:
    control_fd = int(sys.argv[1])
    try:
        with open(sys.argv[2], encoding="utf-8") as job_file:
            job = json.load(job_file)
        os.unlink(sys.argv[2])
        isolation = _isolate(job)
        result_read, result_write = os.pipe()
        child_pid = os.fork()
    except Exception as exc:
        _send(control_fd, {"event": "setup_error", "message": f"{type(exc).__name__}: {exc}"})
        os._exit(2)
    if child_pid == 0:
        os.close(control_fd)
        os.close(result_read)
        _child(job, isolation, result_write)
    os.close(result_write)
    _send(control_fd, {"event": "started", "child_pid": child_pid, "isolation": isolation})
    cap = job["limits"]["output_bytes"] * RESULT_CAP_FACTOR + 65536
    _send(control_fd, _relay(child_pid, result_read, cap))
    os._exit(0)


if __name__ == "__main__":
    main()
