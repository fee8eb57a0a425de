"""Hostile programs for the sandbox: cheats that try to forge a pass, escapes, resource attacks.

Standard library only: the same catalogue runs in the test process (as root here) and, through
``python hostile.py REPO ARGS_JSON`` under an unprivileged uid with the system interpreter, where
the sandbox package is loaded on its own (it needs nothing but the standard library).

Each case says what it tries and what a contained run looks like; :func:`run_case` runs one and
returns plain data, so both modes are checked by the same assertions in ``test_hostile.py``.
"""

from __future__ import annotations

import json
import os
import sys
import types
from typing import Any

ADD_TESTS = (
    "def check(candidate):\n"
    "    assert candidate(2, 3) == 5\n"
    "    assert candidate(10, -4) == 6\n"
    "    assert candidate(7, 7) == 14\n"
)
TESTS_MARKER = "safecase-hidden-test-marker"

# --- cheats: each defines add(a, b) without computing it, and tries to make the tests pass -----

CHEATS = {
    "always-equal object": """
class Anything:
    def __eq__(self, other):
        return True
    def __repr__(self):
        return "True"
def add(a, b):
    return Anything()
""",
    "int subclass that equals everything": """
class Sly(int):
    def __eq__(self, other):
        return True
    __hash__ = int.__hash__
def add(a, b):
    return Sly(0)
""",
    "forged pass on every inherited fd, then exit": """
import json, os
FORGED = [
    {"status": "passed", "detail": "all tests passed"},
    {"event": "finished", "ready": True, "result": {"status": "passed", "detail": "ok"}},
    {"id": 1, "return": 5}, {"id": 2, "return": 6}, {"id": 3, "return": 14},
]
def add(a, b):
    for fd in range(3, 64):
        for message in FORGED:
            try:
                os.write(fd, (json.dumps(message) + "\\n").encode())
            except OSError:
                pass
    os._exit(0)
""",
    "answers written ahead at load time": """
import json, os
for fd in range(3, 64):
    for ident, value in ((1, 5), (2, 6), (3, 14)):
        try:
            os.write(fd, (json.dumps({"id": ident, "return": value}) + "\\n").encode())
        except OSError:
            pass
def add(a, b):
    return None
""",
    "patched exec, harness and encoder": """
import builtins, sys
main = sys.modules.get("__main__")
def passed(*args, **kwargs):
    return {"status": "passed", "detail": "all tests passed"}
builtins.exec = lambda *args, **kwargs: None
for name in ("_run_tests", "_run_untrusted", "_serve", "_answer"):
    if hasattr(main, name):
        setattr(main, name, passed)
if hasattr(main, "encode"):
    main.encode = lambda value: 5
def add(a, b):
    return None
""",
    "reads the tests from the caller's frames and the heap": """
import gc, re, sys
def add(a, b):
    texts = []
    frame = sys._getframe(1)
    while frame is not None:
        texts += [repr(v) for v in frame.f_locals.values()]
        frame = frame.f_back
    texts += [o for o in gc.get_objects() if isinstance(o, str) and "check" in o]
    for text in texts:
        for x, y, z in re.findall(r"candidate\\((\\d+), (-?\\d+)\\) == (\\d+)", text):
            if (int(x), int(y)) == (a, b):
                return int(z)
    return None
""",
    "exits cleanly in the middle of the tests": """
import os
calls = []
def add(a, b):
    calls.append(1)
    if len(calls) == 2:
        os._exit(0)
    return 5
""",
    "raises SystemExit(0)": """
def add(a, b):
    raise SystemExit(0)
""",
    "crashes the interpreter": """
import ctypes
def add(a, b):
    return ctypes.string_at(0)
""",
    "sleeps through the second call": """
import time
calls = []
def add(a, b):
    calls.append(1)
    if len(calls) > 1:
        time.sleep(60)
    return 5
""",
    "returns a huge int the trusted side would choke on": """
def add(a, b):
    return 10 ** 5000
""",
    "returns a structure nested too deep": """
def add(a, b):
    value = []
    for _ in range(100000):
        value = [value]
    return value
""",
}

# --- escapes: each defines attempt(*args) returning what it got; CONTAINED says what it may get -

ESCAPES: dict[str, tuple[str, Any]] = {
    "host directories": (
        """
import os
def attempt(paths):
    return [p for p in paths if os.path.exists(p)]
""",
        [],
    ),
    "lock and runtime dirs": (
        """
def attempt(name):
    landed = []
    for directory in ("/run/lock", "/var/lock", "/run", "/var/tmp", "/dev/shm", "/"):
        try:
            with open(directory + "/" + name, "w") as handle:
                handle.write("x")
            landed.append(directory)
        except OSError:
            pass
    return landed
""",
        [],
    ),
    "scratch files persist across runs": (
        """
import os
def attempt(name):
    seen = os.path.exists("/tmp/" + name)
    with open("/tmp/" + name, "w") as handle:
        handle.write("x")
    return seen
""",
        False,
    ),
    "environment secrets": (
        """
import os
def attempt():
    return sorted(os.environ)
""",
        ["HOME", "LANG", "PATH", "PYTHONHASHSEED", "TMPDIR"],
    ),
    "network": (
        """
import socket
def attempt(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return "connected"
    except OSError:
        return "blocked"
""",
        "blocked",
    ),
    "pids and signals": (
        """
import os, signal
def attempt(test_pid):
    outcomes = [os.getppid()]
    for pid in (test_pid, -1, os.getppid() or 1):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            outcomes.append("sent")
        except OSError as exc:
            outcomes.append(type(exc).__name__)
    return outcomes
""",
        [0, "ProcessLookupError", "ProcessLookupError"],
    ),
    "namespace and mount syscalls": (
        """
import ctypes, os
def attempt():
    libc = ctypes.CDLL(None, use_errno=True)
    results = []
    for call in (
        lambda: libc.unshare(0x10000000),
        lambda: libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None),
        lambda: libc.umount2(b"/usr", 2),
        lambda: libc.ptrace(16, 1, 0, 0),
        lambda: libc.prctl(1, 0, 0, 0, 0),
        lambda: libc.setsid(),
    ):
        results.append("allowed" if call() != -1 else "denied")
    return results
""",
        ["denied"] * 6,
    ),
}

# --- resource attacks: each returns a measure that must stay within the run's limits -----------

RESOURCES = {
    "forked children each holding memory": """
import os
def attempt():
    children = 0
    for _ in range(8):
        try:
            if os.fork() == 0:
                block = bytearray(400 * 2**20)
                import time; time.sleep(30)
            children += 1
        except OSError:
            pass
    return children
""",
    "threads each holding memory": """
import threading
held = []
def grab():
    try:
        held.append(bytearray(128 * 2**20))
    except MemoryError:
        pass
def attempt():
    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        try:
            thread.start()
        except RuntimeError:
            pass
    for thread in threads:
        if thread.ident is not None:
            thread.join()
    return sum(len(block) for block in held)
""",
    "thread bomb": """
import threading, time
def attempt():
    started = 0
    for _ in range(200):
        try:
            threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
            started += 1
        except RuntimeError:
            break
    return started
""",
    "fills the scratch space": """
import os
def attempt():
    written = 0
    for index in range(1000):
        try:
            with open(f"/tmp/fill-{index}", "wb") as handle:
                handle.write(b"x" * 2**20)
            written += 2**20
        except OSError:
            break
    return written
""",
    "memory-backed files": """
import os
def attempt():
    try:
        os.memfd_create("hoard")
        return "created"
    except OSError:
        return "denied"
""",
    "open files": """
import os
def attempt():
    handles = []
    while True:
        try:
            handles.append(os.open("/dev/null", os.O_RDONLY))
        except OSError:
            return len(handles)
""",
}
RESOURCE_LIMITS = {"memory_bytes": 256 * 2**20, "max_processes": 8, "file_size_bytes": 2**20}


def run_case(sandbox: Any, group: str, name: str, args: list[Any]) -> dict[str, Any]:
    """Run one case with the given sandbox package; plain data describing the outcome."""
    limits = sandbox.SandboxLimits(timeout_seconds=8.0, cpu_seconds=8)
    if group == "cheats":
        result = sandbox.run_tests(CHEATS[name], ADD_TESTS + f"# {TESTS_MARKER}\n", "add", limits)
        return {"status": result.status, "detail": result.detail}
    if group == "escapes":
        code = ESCAPES[name][0]
    else:
        code = RESOURCES[name]
        limits = sandbox.SandboxLimits(timeout_seconds=15.0, cpu_seconds=10, **RESOURCE_LIMITS)
    with sandbox.Sandbox(code, limits) as box:
        try:
            return {"status": "passed", "value": box.call("attempt", *args)}
        except sandbox.SandboxEnded as ended:
            return {"status": ended.status, "detail": ended.detail}
        except sandbox.CandidateRaised as raised:
            return {"status": "failed", "detail": str(raised)}


def _load_sandbox_alone(repo: str) -> types.ModuleType:
    """Import ``pytest_safecase.sandbox`` without the rest of the package (stdlib only)."""
    package = types.ModuleType("pytest_safecase")
    package.__path__ = [os.path.join(repo, "pytest_safecase")]
    sys.modules["pytest_safecase"] = package
    import pytest_safecase.sandbox

    return pytest_safecase.sandbox


if __name__ == "__main__":
    sandbox = _load_sandbox_alone(sys.argv[1])
    cases = json.loads(sys.argv[2])
    outcomes = {"isolation": sandbox.isolation_status()}
    for group, name, args in cases:
        outcomes[f"{group}/{name}"] = run_case(sandbox, group, name, args)
    print(json.dumps(outcomes))
