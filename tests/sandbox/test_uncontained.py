"""Where isolation is missing, the sandbox refuses; opted in, it runs but A-sandbox is not supported.

A machine without namespaces is made here by running a child process under a seccomp filter that
refuses ``unshare`` (the filter outlives ``exec``), so the runner cannot enter any namespace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_safecase.sandbox import ALLOW_UNCONTAINED_ENV, _runner

REPO = Path(__file__).resolve().parents[2]
WITHOUT_NAMESPACES = f"""
import os, sys
sys.path.insert(0, {str(REPO / "pytest_safecase" / "sandbox")!r})
import _runner
libc = _runner.load_libc()
libc.prctl(_runner.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
filter = _runner.seccomp_filter(os.uname().machine, ("unshare",), threads_only=False)
_runner.install_seccomp(libc, filter)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""
PROBE = """
import json
from pytest_safecase.sandbox import SandboxUnavailable, isolation_status, run_call
try:
    result = run_call("import os\\ndef f():\\n    return os.path.exists('/proc')", "f", "()")
    outcome = {"status": result.status, "output": result.output}
except SandboxUnavailable as exc:
    outcome = {"refused": str(exc)}
print(json.dumps({"outcome": outcome, "isolation": isolation_status()}))
"""


def run_without_namespaces(
    args: list[str], opt_in: bool, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    if os.uname().machine not in _runner._SYSCALLS:
        pytest.skip("no seccomp syscall table for this machine")
    env = {k: v for k, v in os.environ.items() if k != ALLOW_UNCONTAINED_ENV}
    if opt_in:
        env[ALLOW_UNCONTAINED_ENV] = "1"
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_NAMESPACES, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or REPO,
        timeout=600,
        check=False,
    )


def test_without_isolation_model_code_is_refused_with_a_clear_message() -> None:
    completed = run_without_namespaces(["-c", PROBE], opt_in=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    message = report["outcome"]["refused"]
    assert message.startswith("model code cannot be contained here: no ")
    assert "network" in message and f"{ALLOW_UNCONTAINED_ENV}=1" in message
    assert report["isolation"]["network"] is False and report["isolation"]["pid"] is False


def test_opted_in_it_runs_and_says_what_is_missing() -> None:
    completed = run_without_namespaces(["-c", PROBE], opt_in=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    assert report["outcome"] == {"status": "passed", "output": "True"}  # the host's /proc shows
    missing = {layer for layer, present in report["isolation"].items() if not present}
    assert {"network", "pid", "filesystem"} <= missing
    assert report["isolation"]["seccomp"] is True  # still one process per run


def test_opted_in_the_containment_claim_is_not_supported(tmp_path: Path) -> None:
    shutil.copytree(REPO / "safety_tests", tmp_path / "safety_tests")
    args = ["-m", "pytest", "safety_tests/test_sandbox.py", "-p", "no:cacheprovider",
            "-p", "no:xdist", "--safecase-report", "--safecase-cache", "off"]  # fmt: skip
    completed = run_without_namespaces(args, opt_in=True, cwd=tmp_path)
    report = json.loads((tmp_path / "safecase-report" / "safecase.json").read_text())
    verdicts = {node["id"]: node["verdict"] for node in report["case"]["nodes"]}
    assert verdicts["A-sandbox"] == "refuted", completed.stdout[-3000:]
    assert completed.returncode != 0
