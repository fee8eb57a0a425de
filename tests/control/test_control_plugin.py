"""The pytest glue: options, session fixtures, and computing the evaluation once per run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_safecase._pytest.control import share_units, shared_results
from pytest_safecase.control import HoneypotRecord, TaskRecord, analyse_records
from pytest_safecase.control.evaluation import EvaluationParameters

RecordFactory = Callable[[], tuple[list[TaskRecord], list[HoneypotRecord]]]
"""The ``make_records`` fixture of conftest.py."""

CLAIMS = """
def test_tasks(control_tasks):
    assert len(control_tasks) == 3

def test_results(control_results):
    assert control_results.summary.tasks == 3
    assert "trusted_monitoring" in control_results.protocols
    assert control_results.untrusted_model == "builtin:untrusted"
"""


def test_fixtures_compute_once_and_reuse_the_cache(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_claims=CLAIMS)
    arguments = ["-p", "pytest_safecase._pytest.control", "--safecase-tasks", "3", "-q"]
    first = pytester.runpytest(*arguments)
    first.assert_outcomes(passed=2)
    cached = list((pytester.path / ".pytest_cache" / "d" / "safecase-control").glob("*.json"))
    assert len(cached) == 1
    stored = json.loads(cached[0].read_text())
    stored["results"]["summary"]["tasks"] = 3  # unchanged; the file really is what is read:
    stored["results"]["untrusted_model"] = "builtin:untrusted"
    cached[0].write_text(json.dumps(stored))
    second = pytester.runpytest(*arguments)
    second.assert_outcomes(passed=2)
    assert len(list(cached[0].parent.glob("*.json"))) == 1
    other_seed = pytester.runpytest(*arguments, "--safecase-seed", "1")
    other_seed.assert_outcomes(passed=2)
    assert len(list(cached[0].parent.glob("*.json"))) == 2


def test_bad_task_limit_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_claims=CLAIMS)
    result = pytester.runpytest("-p", "pytest_safecase._pytest.control", "--safecase-tasks", "0")
    assert result.ret != 0


def test_concurrent_processes_compute_once(make_records: RecordFactory, tmp_path: Path) -> None:
    records, honeypots = make_records()
    calls: list[int] = []
    started = threading.Event()

    def compute():  # type: ignore[no-untyped-def]
        calls.append(1)
        started.set()
        return analyse_records(records, honeypots, EvaluationParameters(bootstrap=10)), []

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(shared_results(tmp_path, "k", compute, run="r")[0])
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 3
    assert all(r.protocols == results[0].protocols for r in results)
    assert not list(tmp_path.glob("*.tmp"))


def test_task_file_option_replaces_humaneval(pytester: pytest.Pytester) -> None:
    row = {
        "task_id": "mine/add",
        "prompt": 'def add(a, b):\n    """Sum.\n    >>> add(1, 2)\n    3\n    """\n',
        "entry_point": "add",
        "canonical_solution": "    return a + b\n",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
    }
    (pytester.path / "tasks.jsonl").write_text(json.dumps(row) + "\n")
    pytester.makepyfile(
        "def test_tasks(control_tasks):\n    assert [t.task_id for t in control_tasks] == ['mine/add']\n"
    )
    result = pytester.runpytest(
        "-p", "pytest_safecase._pytest.control", "--safecase-task-file", "tasks.jsonl"
    )
    result.assert_outcomes(passed=1)


def test_workers_share_out_units_and_each_is_computed_once(tmp_path: Path) -> None:
    """Two processes' worth of callers, starting at different units: every unit is computed by
    exactly one of them, and both end with every result."""
    units = [f"u{n}" for n in range(6)]
    computed: list[str] = []
    lock = threading.Lock()

    def compute(unit: str) -> tuple[dict[str, str], list[str]]:
        with lock:
            computed.append(unit)
        time.sleep(0.05)  # long enough for the other caller to find the unit taken
        return {"unit": unit}, [f"digest-{unit}"]

    found: list[tuple[dict[str, object], set[str]]] = []
    callers = [
        threading.Thread(
            target=lambda first=first: found.append(
                share_units(tmp_path, "key", units, compute, first=first)
            )
        )
        for first in (0, 3)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert sorted(computed) == units
    for results, digests in found:
        assert results == {unit: {"unit": unit} for unit in units}
        assert digests == {f"digest-{unit}" for unit in units}


def test_a_stored_unit_is_read_not_computed_again(tmp_path: Path) -> None:
    def compute(unit: str) -> tuple[int, list[str]]:
        raise AssertionError(f"{unit} was computed again")

    share_units(tmp_path, "key", ["a"], lambda unit: (1, []))
    assert share_units(tmp_path, "key", ["a"], compute) == ({"a": 1}, set())


def test_workers_share_an_evaluation_and_leave_no_units_behind(pytester: pytest.Pytester) -> None:
    """Under ``-n 2`` both workers get the same results; the units of work they shared out are
    removed by the controller once both are done, not by the first worker to finish."""
    pytester.makepyfile(
        test_a=CLAIMS,
        test_b="def test_same(control_results):\n    assert control_results.summary.tasks == 3\n",
    )
    result = pytester.runpytest_subprocess(
        "-p", "pytest_safecase._pytest.control", "--safecase-tasks", "3", "-n", "2", "-q"
    )
    result.assert_outcomes(passed=3)
    control = pytester.path / ".pytest_cache" / "d" / "safecase-control"
    assert len(list(control.glob("*.json"))) == 1  # one stored evaluation
    assert not any((control / "units").iterdir())
