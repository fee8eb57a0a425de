"""Sandbox side: isolate, drop every privilege, load the untrusted code, answer calls as plain data.

Started once per trusted process by ``_launcher.py`` as ``python -S -s -P -B _runner.py --serve FD``
in a new session with a scrubbed environment: the *fork server*. It imports only the standard
library (``-S`` leaves site-packages off ``sys.path``), all of it up front, and then forks one
runner per sandbox, so no run pays for an interpreter's start-up. The trusted side also imports
this module, for :func:`encode` and :func:`decode`: keep its import free of side effects.

Three processes take part, none of which but the last runs untrusted code:

* the *fork server* (trusted): receives a job file's path and four pipe ends over a Unix socket,
  forks a runner, and answers with a pidfd of it. It never reads a job, so no run's code passes
  through the memory every later runner is forked from.
* the *runner*: starts a new session, reads and deletes the job file, enters new user (when not
  root), network, PID and mount namespaces, builds the minimal read-only filesystem view and
  pivots into it, forks the *child*, and reports the child's exit on the control pipe. It never
  runs untrusted code, so what it writes on the control pipe can be trusted.
* the *child*: PID 1 of the new PID namespace. It applies resource limits, switches to a private
  uid (as root) or drops every capability (in a user namespace), forbids new processes and
  namespace tricks with a seccomp filter, says "ready", loads the untrusted code and then answers
  call requests until the request pipe closes.

Only the child's first message ("ready" or a setup error) precedes the untrusted code. Everything
after it may be forged by that code, so the trusted side reads it as nothing but the answer to the
call it asked: a value of plain data, a raised exception's type and message, or a malformed
message (a crash). Tests and comparisons never run here.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

CLONE_THREAD = 0x00010000
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000
MNT_DETACH = 0x2
ST_RELATIME = 0x1000
PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
OLD_ROOT = "/.old-root"
SOLUTION_FILE = "solution.py"
MAX_THREADS_FLOOR = 2
OPEN_FILES = 64

# Syscalls the untrusted code may not make. New processes: one process per run is what makes the
# memory and process limits hold per run, in total. Leaving the process group or clearing the
# parent-death signal would let it outlive the run. The rest: namespaces, mounts, tracing, kernel
# keyrings, BPF, io_uring and memory-backed files that would escape RLIMIT_AS.
_DENIED = (
    *("fork", "vfork", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "ptrace"),
    *("bpf", "keyctl", "add_key", "request_key", "userfaultfd", "perf_event_open"),
    *("memfd_create", "io_uring_setup", "io_uring_enter", "io_uring_register", "kexec_load"),
    *("init_module", "finit_module", "personality", "process_vm_readv", "process_vm_writev"),
    *("setsid", "setpgid", "prctl"),
)
_SYSCALLS: dict[str, tuple[int, dict[str, int]]] = {
    # machine: (AUDIT_ARCH_*, syscall numbers)
    "x86_64": (
        0xC000003E,
        dict(
            fork=57,
            vfork=58,
            clone=56,
            clone3=435,
            unshare=272,
            setns=308,
            mount=165,
            umount2=166,
            pivot_root=155,
            chroot=161,
            ptrace=101,
            bpf=321,
            keyctl=250,
            add_key=248,
            request_key=249,
            userfaultfd=323,
            perf_event_open=298,
            memfd_create=319,
            io_uring_setup=425,
            io_uring_enter=426,
            io_uring_register=427,
            kexec_load=246,
            init_module=175,
            finit_module=313,
            personality=135,
            process_vm_readv=310,
            process_vm_writev=311,
            setsid=112,
            setpgid=109,
            prctl=157,
        ),
    ),
    "aarch64": (
        0xC00000B7,
        dict(
            clone=220,
            clone3=435,
            unshare=97,
            setns=268,
            mount=40,
            umount2=39,
            pivot_root=41,
            chroot=51,
            ptrace=117,
            bpf=280,
            keyctl=219,
            add_key=217,
            request_key=218,
            userfaultfd=282,
            perf_event_open=241,
            memfd_create=279,
            io_uring_setup=425,
            io_uring_enter=426,
            io_uring_register=427,
            kexec_load=104,
            init_module=105,
            finit_module=273,
            personality=92,
            process_vm_readv=270,
            process_vm_writev=271,
            setsid=157,
            setpgid=154,
            prctl=167,
        ),
    ),
}


# --- plain data: the only thing that crosses the boundary ---------------------------------------


def encode(value: Any) -> Any:
    """Plain data as JSON-ready structure: tuples and dicts tagged, everything else native.

    Exact types only (a subclass of ``int`` or ``str`` could carry its own ``__eq__``); anything
    else raises ``TypeError`` naming the type.
    """
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode(item) for item in value]
    if kind is tuple:
        return {"tuple": [encode(item) for item in value]}
    if kind is dict:
        return {"dict": [[encode(key), encode(item)] for key, item in value.items()]}
    raise TypeError(f"{kind.__name__} is not plain data")


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`; ``ValueError`` on anything :func:`encode` cannot produce."""
    kind = type(data)
    if data is None or kind in (bool, int, float, str):
        return data
    if kind is list:
        return [decode(item) for item in data]
    if kind is dict and len(data) == 1:
        if type(data.get("tuple")) is list:
            return tuple(decode(item) for item in data["tuple"])
        pairs = data.get("dict")
        if type(pairs) is list and all(type(p) is list and len(p) == 2 for p in pairs):
            try:
                return {decode(key): decode(item) for key, item in pairs}
            except TypeError as exc:  # an unhashable key
                raise ValueError(f"bad dict key: {exc}") from None
    raise ValueError(f"not encoded plain data: {type(data).__name__}")


def _send(fd: int, message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode("utf-8", "surrogatepass")
    while data:
        data = data[os.write(fd, data) :]


# --- the runner: namespaces and the filesystem view ---------------------------------------------


def load_libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _call(libc: Any, name: str, *args: Any) -> int:
    import ctypes

    result = getattr(libc, name)(*args)
    if result == -1 or (name != "syscall" and result != 0):
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")
    return int(result)


def _mount(libc: Any, source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:  # fmt: skip
    def raw(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _call(libc, "mount", raw(source), raw(target), raw(fstype), flags, raw(data))


def _enter_namespaces(libc: Any) -> dict[str, bool]:
    """New user (when not root), network, PID and mount namespaces; which ones took effect."""
    layers = {"user": False, "network": False, "pid": False, "filesystem": False}
    uid, gid = os.getuid(), os.getgid()
    if os.geteuid() == 0:
        layers["user"] = True  # the child switches to a private uid
    else:
        try:
            _call(libc, "unshare", CLONE_NEWUSER)
        except OSError:
            return layers
        for path, text in (
            ("/proc/self/setgroups", "deny"),
            ("/proc/self/uid_map", f"0 {uid} 1"),
            ("/proc/self/gid_map", f"0 {gid} 1"),
        ):
            with open(path, "w") as handle:
                handle.write(text)
        layers["user"] = True
    for layer, flag in (("network", CLONE_NEWNET), ("pid", CLONE_NEWPID)):
        try:
            _call(libc, "unshare", flag)
            layers[layer] = True
        except OSError:
            pass
    return layers


def _read_only_flags(path: str) -> int:
    """The flags a read-only remount of a bind of ``path`` needs: its own locked flags kept.

    Device nodes (``/dev/null``) keep working: their binds are not marked ``nodev``.
    """
    import stat

    own = os.statvfs(path).f_flag
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
    if not stat.S_ISCHR(os.stat(path).st_mode) or own & MS_NODEV:
        flags |= MS_NODEV
    for st_flag, ms_flag in (
        (MS_NOEXEC, MS_NOEXEC),
        (MS_NOATIME, MS_NOATIME),
        (MS_NODIRATIME, MS_NODIRATIME),
        (ST_RELATIME, MS_RELATIME),
    ):
        if own & st_flag:
            flags |= ms_flag
    return flags


def _bind_read_only(libc: Any, root: str, source: str) -> None:
    target = root + source
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "a"):
            pass
    _mount(libc, source, target, None, MS_BIND | MS_REC)
    _mount(libc, None, target, None, _read_only_flags(source))


def _build_view(libc: Any, job: dict[str, Any]) -> None:
    """Pivot into a fresh root holding only the read-only binds and a private writable /tmp.

    Symlinks of the host's layout (``/lib -> usr/lib``) are copied as links, so the dynamic
    loader's paths resolve the same way inside.
    """
    _call(libc, "unshare", CLONE_NEWNS)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    root = job["root"]
    _mount(libc, "tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for link, target in job["view"]["links"]:
        os.makedirs(os.path.dirname(root + link), exist_ok=True)
        os.symlink(target, root + link)
    for source in job["view"]["binds"]:
        _bind_read_only(libc, root, source)
    for hidden in job["view"]["hidden"]:
        if os.path.isdir(root + hidden):
            _mount(libc, "tmpfs", root + hidden, "tmpfs",
                   MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755")  # fmt: skip
    scratch = job["limits"]["file_size_bytes"] * 8
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount(libc, "tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={scratch},mode=1777")  # fmt: skip
    os.makedirs(root + OLD_ROOT, exist_ok=True)
    machine = os.uname().machine
    pivot_root = {"x86_64": 155, "aarch64": 41}.get(machine)
    if pivot_root is None:
        raise OSError(f"pivot_root: unknown syscall number on {machine}")
    _call(libc, "syscall", pivot_root, root.encode(), (root + OLD_ROOT).encode())
    os.chdir("/")
    _call(libc, "umount2", OLD_ROOT.encode(), MNT_DETACH)
    os.rmdir(OLD_ROOT)
    _mount(libc, None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir("/tmp")


# --- the child: limits, privileges, seccomp -----------------------------------------------------


def seccomp_filter(
    machine: str, denied: tuple[str, ...] = _DENIED, threads_only: bool = True
) -> bytes:
    """A classic-BPF program: kill on a foreign ABI, EPERM on ``denied``, clone for threads only."""
    import struct

    arch, numbers = _SYSCALLS[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    program = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill), (ld, 0, 0, 0)]
    if machine == "x86_64":  # the x32 ABI reuses numbers with bit 30 set
        program += [(jge, 0, 1, 0x40000000), (ret, 0, 0, kill)]
    for name in denied:
        if name in numbers:
            program += [(jeq, 0, 1, numbers[name]), (ret, 0, 0, eperm)]
    if not threads_only:
        return b"".join(struct.pack("=HBBI", *op) for op in [*program, (ret, 0, 0, allow)])
    program += [(jeq, 0, 1, numbers["clone3"]), (ret, 0, 0, enosys)]  # libc falls back to clone
    program += [
        (jeq, 0, 4, numbers["clone"]),
        (ld, 0, 0, 16),  # low half of clone's flags
        (jset, 0, 1, CLONE_THREAD),
        (ret, 0, 0, allow),
        (ret, 0, 0, eperm),
        (ret, 0, 0, allow),
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


def install_seccomp(libc: Any, program: bytes | None = None) -> None:
    """Install ``program`` (default: the sandbox's own filter) on this thread; irreversible."""
    import ctypes

    machine = os.uname().machine
    if machine not in _SYSCALLS:
        raise OSError(f"seccomp: no syscall table for {machine}")
    program = program if program is not None else seccomp_filter(machine)
    buffer = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program) // 8, ctypes.addressof(buffer))
    _call(libc, "prctl", PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)


def _drop_capabilities(libc: Any) -> None:
    """Inside a user namespace the child is uid 0 of it: clear every capability set."""
    import ctypes

    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable × 2 words, all zero
    _call(libc, "capset", header, data)


def _enter_sandbox(libc: Any, job: dict[str, Any], layers: dict[str, bool]) -> None:
    import resource
    import signal

    limits = job["limits"]
    # Soft == hard: as PID 1 of its namespace the child ignores SIGXCPU, so the hard limit's
    # SIGKILL stops it; the trusted side recognises that case from the child's CPU usage.
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"],) * 2)
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    threads = max(MAX_THREADS_FLOOR, limits["max_processes"])
    resource.setrlimit(resource.RLIMIT_NPROC, (threads, threads))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    uid = job["uid"]
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("could not switch to the sandbox uid")
    elif layers["user"]:
        _drop_capabilities(libc)
    _call(libc, "prctl", PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    _call(libc, "prctl", PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        install_seccomp(libc)
        layers["seccomp"] = True
    except OSError:
        layers["seccomp"] = False


def describe(exc: BaseException) -> str:
    """``Type: message`` (message cut to 500 characters), for one-line outcomes on both sides."""
    message = str(exc)[:500]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _where(exc: BaseException) -> str:
    """`` at solution.py:12: line`` for the innermost frame in the solution, if any."""
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == SOLUTION_FILE]
    if not frames:
        return ""
    frame = frames[-1]
    line = (frame.line or "").strip()
    return f" at {SOLUTION_FILE}:{frame.lineno}" + (f": {line[:200]}" if line else "")


def _serve(job: dict[str, Any], request_fd: int, response_fd: int) -> None:
    """Load the code, then answer each request line with exactly one response line."""
    import builtins
    import linecache

    code = job["code"]
    linecache.cache[SOLUTION_FILE] = (len(code), None, code.splitlines(True), SOLUTION_FILE)
    namespace: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(code, SOLUTION_FILE, "exec", dont_inherit=True), namespace)
        _send(response_fd, {"loaded": True})
    except MemoryError:
        _send(response_fd, {"crash": "memory limit exceeded while loading the code"})
        return
    except BaseException as exc:
        _flush_output()
        _send(response_fd, {"load_error": f"{describe(exc)}{_where(exc)}"})
        return
    _flush_output()
    for line in _lines(request_fd):
        answer = _answer(namespace, json.loads(line))
        _flush_output()
        _send(response_fd, answer)


def _flush_output() -> None:
    """Printed output reaches the trusted side before the answer (the run may be killed next)."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (no contextlib: every import costs each run's start-up)
            stream.flush()
        except Exception:  # the code may have replaced or closed the stream
            pass


def _lines(fd: int) -> Any:
    """Each newline-terminated line read from ``fd``, until end of file."""
    buffer = b""
    while True:
        while b"\n" not in buffer:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buffer += chunk
        line, _, buffer = buffer.partition(b"\n")
        yield line


def _answer(namespace: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    ident = request["id"]
    function = namespace.get(request["function"])
    if not callable(function):
        return {"id": ident, "missing": request["function"]}
    try:
        arguments = decode(request["args"])
        keywords = decode(request["kwargs"])
        value = function(*arguments, **keywords)
    except MemoryError:
        return {"id": ident, "crash": "memory limit exceeded during the call"}
    except RecursionError as exc:
        return {"id": ident, "raise": ["RecursionError", str(exc)[:500]], "where": _where(exc)}
    except BaseException as exc:
        return {"id": ident, "raise": [type(exc).__name__, str(exc)[:500]], "where": _where(exc)}
    try:
        return {"id": ident, "return": encode(value)}
    except (TypeError, RecursionError) as exc:
        return {"id": ident, "unplain": str(exc)[:200]}


def _child(libc: Any, job: dict[str, Any], layers: dict[str, bool], fds: dict[str, int]) -> None:
    try:
        _enter_sandbox(libc, job, layers)
        missing = [layer for layer, present in layers.items() if not present]
        if missing and job["require_contained"]:
            raise OSError(f"isolation unavailable here: {', '.join(missing)}")
    except Exception as exc:
        _send(fds["response"], {"setup_error": describe(exc), "isolation": layers})
        os._exit(1)
    _send(fds["response"], {"ready": True, "isolation": layers})
    try:
        _serve(job, fds["request"], fds["response"])
    except BaseException:  # the code broke the loop itself (or the answer would not encode)
        import traceback

        traceback.print_exc()
        _flush_output()
        os._exit(3)
    os._exit(0)


PIPES = ("output", "request", "response", "control")
"""The pipe ends a runner receives, in this order: the child's stdout and stderr, the requests it
reads, the answers it writes, and the runner's own trusted reports."""
REAP_SECONDS = 0.2
"""How often the fork server collects its exited runners."""


def run(job_path: str, fds: dict[str, int]) -> None:
    """The runner (see the module docstring); never returns."""
    try:
        with open(job_path, encoding="utf-8") as job_file:
            job = json.load(job_file)
        os.unlink(job_path)
    except (OSError, ValueError) as exc:
        _send(fds["control"], {"event": "setup_error", "message": describe(exc)})
        os._exit(2)
    try:
        library = load_libc()
        layers = _enter_namespaces(library)
        if layers["user"]:
            try:
                _build_view(library, job)
                layers["filesystem"] = True
            except OSError as exc:
                sys.stderr.write(f"no filesystem view: {exc}\n")
        if job["require_contained"] and not all(layers.values()):
            _send(fds["control"], {"event": "unavailable", "isolation": layers})
            os._exit(2)
        child_pid = os.fork()
    except Exception as exc:
        _send(fds["control"], {"event": "setup_error", "message": describe(exc)})
        os._exit(2)
    if child_pid == 0:
        os.close(fds["control"])
        _child(library, job, layers, fds)
    os.close(fds["request"])
    os.close(fds["response"])
    _send(fds["control"], {"event": "started", "child_pid": child_pid})
    _, wait_status, usage = os.wait4(child_pid, 0)
    message: dict[str, Any] = {"event": "finished", "cpu_seconds": usage.ru_utime + usage.ru_stime}
    if os.WIFSIGNALED(wait_status):
        message["signal"] = os.WTERMSIG(wait_status)
    else:
        message["exit_code"] = os.waitstatus_to_exitcode(wait_status)
    _send(fds["control"], message)
    os._exit(0)


def _start_runner(job_path: str, received: list[int]) -> None:
    """In a freshly forked runner: its own session, the pipes on their places, then :func:`run`."""
    try:
        os.setsid()
        fds = dict(zip(PIPES, received, strict=True))
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.dup2(fds["output"], 1)
        os.dup2(fds["output"], 2)
        for fd in (stdin, fds.pop("output")):
            os.close(fd)
        os.chdir(os.path.dirname(job_path))
    except BaseException:
        os._exit(2)
    run(job_path, fds)


def serve(socket_fd: int) -> None:
    """The fork server's loop: one runner per request, until the trusted side hangs up."""
    # Besides what the loop needs: everything a runner or child may import, imported once here.
    import builtins  # noqa: F401
    import ctypes  # noqa: F401
    import linecache  # noqa: F401
    import resource  # noqa: F401
    import select
    import signal  # noqa: F401
    import socket
    import stat  # noqa: F401
    import struct  # noqa: F401
    import traceback  # noqa: F401

    link = socket.socket(fileno=socket_fd)
    while True:
        readable, _, _ = select.select([link], [], [], REAP_SECONDS)
        _reap()
        if not readable:
            continue
        try:
            data, received, _, _ = socket.recv_fds(link, 4096, len(PIPES))
        except OSError:
            return
        if not data:
            return  # the trusted side is gone
        if len(received) != len(PIPES):
            for fd in received:
                os.close(fd)
            link.send(b"0")
            continue
        pid = os.fork()
        if pid == 0:
            link.close()
            _start_runner(data.decode("utf-8", "surrogateescape"), received)
        for fd in received:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        try:
            socket.send_fds(link, [str(pid).encode()], [pidfd])
        except OSError:
            return
        finally:
            os.close(pidfd)


def _reap() -> None:
    """Collect every runner that has exited (the trusted side watches each through its pidfd)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


if __name__ == "__main__":
    if sys.argv[1:2] != ["--serve"] or len(sys.argv) != 3:
        sys.exit("usage: _runner.py --serve SOCKET_FD")
    serve(int(sys.argv[2]))
