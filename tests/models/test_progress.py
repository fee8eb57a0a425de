"""Progress of long batches: a status line on a terminal, rate-limited plain lines elsewhere."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_safecase.models._progress import LineProgress, PlainProgress

SCRIPT = textwrap.dedent(
    """
    import time
    from pytest_safecase.models import Request, get_model, register_builtin
    from pytest_safecase.models._accounting import UsageLedger

    def slow(request):
        time.sleep(0.01)
        return "ok"

    register_builtin("slow-progress", slow)
    model = get_model("builtin:slow-progress", ledger=UsageLedger())
    answers = model.generate_many([Request(str(n)) for n in range(40)], max_concurrency=4)
    assert len(answers) == 40
    print("finished")
    """
)


def run_script(stderr_is_tty: bool) -> tuple[str, str]:
    if not stderr_is_tty:
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout, done.stderr
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=terminal, text=True
    )
    os.close(terminal)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return stdout, b"".join(chunks).decode()


def test_progress_shows_on_a_terminal() -> None:
    stdout, terminal = run_script(stderr_is_tty=True)
    assert "finished" in stdout
    assert "[safecase] builtin:slow-progress: 40/40 (0 cached" in terminal
    assert terminal.count("\r") >= 2, "the line is rewritten as the batch advances"


def test_a_quick_batch_prints_no_plain_lines_when_stderr_is_not_a_terminal() -> None:
    stdout, stderr = run_script(stderr_is_tty=False)
    assert "finished" in stdout and "[safecase]" not in stderr


def test_plain_progress_prints_a_line_per_interval_and_a_last_one() -> None:
    lines: list[str] = []
    now = [0.0]
    progress = PlainProgress(lines.append, "m", total=100, interval=10.0, clock=lambda: now[0])
    for done in range(50):
        now[0] += 0.5  # 25 s in all
        progress.update(done, 3)
    assert len(lines) == 2, "one line per 10 s, however often it is updated"
    progress.finish(100, 3)
    assert lines[-1] == "[safecase] m: 100/100 answers (3 cached) after 25s"
    assert not any("\r" in line or "\x1b" in line for line in lines), "plain text for logs"


def test_line_progress_is_rate_limited() -> None:
    lines: list[str] = []
    now = [100.0]
    progress = LineProgress(lines.append, "m", total=1000, interval=0.05, clock=lambda: now[0])
    for done in range(200):
        progress.update(done, 0)
    assert len(lines) == 1
    now[0] += 0.06
    progress.update(200, 10)
    progress.finish(1000, 10)
    assert len(lines) == 3
    assert "200/1000 (10 cached, 3333.3/s)" in lines[1] and lines[2].endswith("\n")


PYTEST_PROJECT_CONFTEST = """
import threading
import time
from pytest_safecase.models import register_builtin

one_at_a_time = threading.Lock()  # stand-ins answer in threads: 40 answers take 0.4 s anywhere

def slow(request):
    with one_at_a_time:
        time.sleep(0.01)
    return "ok"

register_builtin("untrusted", slow)
"""

PYTEST_PROJECT_TEST = """
from pytest_safecase.models import Request

def test_batch(untrusted_model):
    answers = untrusted_model.generate_many([Request(str(n)) for n in range(40)])
    assert [a.text for a in answers] == ["ok"] * 40
"""


def run_pytest(project: Path, on_terminal: bool) -> str:
    command = [sys.executable, "-m", "pytest", "-p", "pytest_safecase._pytest.models", "-q"]
    if not on_terminal:
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr
    controller, terminal = pty.openpty()
    process = subprocess.Popen(command, cwd=project, stdout=terminal, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=60) == 0
    return b"".join(chunks).decode()


def test_pytest_shows_a_status_line_on_a_terminal_and_plain_lines_in_a_log(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(PYTEST_PROJECT_CONFTEST)
    pytester.makepyfile(test_batch=PYTEST_PROJECT_TEST)
    interactive = run_pytest(pytester.path, on_terminal=True)
    assert "[safecase] builtin:untrusted: 40/40 (0 cached" in interactive
    assert "1 passed" in interactive
    piped = run_pytest(pytester.path, on_terminal=False)
    assert "1 passed" in piped and "[safecase]" not in piped, "a quick batch stays quiet"
    pytester.makeconftest(  # a slow local model, in a log: lines every (shortened) interval
        PYTEST_PROJECT_CONFTEST
        + "import pytest_safecase.models._progress as progress\nprogress.PLAIN_INTERVAL = 0.05\n"
    )
    logged = run_pytest(pytester.path, on_terminal=False)
    lines = [line for line in logged.splitlines() if line.startswith("[safecase]")]
    assert len(lines) >= 2 and "\r" not in logged
    assert lines[-1].startswith("[safecase] builtin:untrusted: 40/40 answers (0 cached)")
