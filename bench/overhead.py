"""Overhead of the plugin, two figures, each the best of several interleaved runs in fresh
subprocesses:

1. 1,000 trivial claim tests with the plugin and with ``-p no:safecase`` (target: ratio <= 1.05);
2. 1,000 claims that each record one ``evidence.value``, against 1,000 plain passing tests
   without the plugin (target: ratio <= 1.25).

The runs use compiled bytecode as every installed package does: PYTHONDONTWRITEBYTECODE is
removed from their environment and one untimed run per variant writes the ``.pyc`` files first.
Otherwise an editable install recompiles the plugin's sources from scratch on every run, which
measures the compiler rather than the plugin.

Wall time on a shared machine drifts from run to run. ``--instructions`` adds a figure that does
not: the instructions each variant executes, counted once under valgrind's callgrind (slow, about
a minute; needs valgrind).

    /work/venv/bin/python bench/overhead.py [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 1_000
REPEATS = 7
RUN_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

TEST_FILE = '''
import pytest

def claim(*args, **kwargs):
    """Without the plugin the import is absent; the marker alone keeps the file identical."""
    return pytest.mark.claim(*args, **kwargs)

@claim("Trivial claim", argument="control")
@pytest.mark.parametrize("i", range({n}))
def test_claim(i):
    assert i >= 0
'''


EVIDENCE_FILE = """
import pytest
from pytest_safecase import claim

@claim("Measured claim", argument="control")
@pytest.mark.parametrize("i", range({n}))
def test_claim(i, evidence):
    evidence.value("measure", i, at_least=0)
"""

PLAIN_FILE = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_plain(i):
    assert i >= 0
"""


def pytest_command(folder: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-W",
        "ignore::pytest.PytestUnknownMarkWarning",
        *extra,
        str(folder),
    ]


def instructions(folder: Path, *extra: str) -> int:
    """Instructions one pytest run executes, counted by callgrind."""
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    result = subprocess.run(
        [*valgrind, *pytest_command(folder, *extra)],
        capture_output=True,
        text=True,
        cwd=folder,
        env=RUN_ENV,
        check=True,
    )
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def run_once(folder: Path, *extra: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        pytest_command(folder, *extra),
        check=True,
        capture_output=True,
        cwd=folder,
        env=RUN_ENV,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def interleaved_runs(
    with_folder: Path, without_folder: Path
) -> dict[str, list[tuple[float, float]]]:
    """Wall and CPU time of REPEATS runs per variant, interleaved so that the load of a shared
    machine affects both alike."""
    run_once(with_folder)  # warm-up: writes the bytecode caches
    run_once(without_folder, "-p", "no:safecase")
    runs: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    for _ in range(REPEATS):
        runs["with"].append(run_once(with_folder))
        runs["without"].append(run_once(without_folder, "-p", "no:safecase"))
    return runs


def report(title: str, runs: dict[str, list[tuple[float, float]]], target: float) -> None:
    best = {
        name: (min(wall for wall, _ in times), min(cpu for _, cpu in times))
        for name, times in runs.items()
    }
    print(f"{title}, best of {REPEATS} interleaved runs each")
    print(f"{'':24}{'wall':>9}{'CPU':>9}")
    for label, key in (("with pytest-safecase", "with"), ("without the plugin", "without")):
        wall, cpu = best[key]
        print(f"  {label:22}{wall:8.2f}s{cpu:8.2f}s")
    for index, measure in enumerate(("wall", "CPU")):
        ratio = best["with"][index] / best["without"][index]
        verdict = "met" if ratio <= target else "NOT met"
        print(f"  ratio ({measure}):{'':10}{ratio:6.3f}  (target <= {target:.2f}: {verdict})")
    # Each pair ran back to back, so its ratio is least affected by a host whose speed drifts.
    paired = sorted(w[0] / wo[0] for w, wo in zip(runs["with"], runs["without"], strict=True))
    print(
        f"  paired wall ratios:     median {statistics.median(paired):.3f}, "
        f"range {paired[0]:.3f}-{paired[-1]:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: Path(tmp, name) for name in ("claims", "evidence", "plain")}
        for folder in folders.values():
            folder.mkdir()
        (folders["claims"] / "test_overhead.py").write_text(TEST_FILE.format(n=TESTS))
        (folders["evidence"] / "test_evidence.py").write_text(EVIDENCE_FILE.format(n=TESTS))
        (folders["plain"] / "test_plain.py").write_text(PLAIN_FILE.format(n=TESTS))
        trivial = interleaved_runs(folders["claims"], folders["claims"])
        with_evidence = interleaved_runs(folders["evidence"], folders["plain"])
        counts = (
            {
                "trivial claims": (
                    instructions(folders["claims"]),
                    instructions(folders["claims"], "-p", "no:safecase"),
                ),
                "claims with evidence": (
                    instructions(folders["evidence"]),
                    instructions(folders["plain"], "-p", "no:safecase"),
                ),
            }
            if args.instructions
            else None
        )
    report(f"{TESTS} trivial claim tests (the same file without the plugin)", trivial, 1.05)
    print()
    report(f"{TESTS} claims with one evidence.value each (vs plain tests)", with_evidence, 1.25)
    for label, (with_plugin, without_plugin) in (counts or {}).items():
        print(
            f"  instructions, {label}: {with_plugin / 1e9:.3f} G with, "
            f"{without_plugin / 1e9:.3f} G without, ratio {with_plugin / without_plugin:.3f}"
        )


if __name__ == "__main__":
    main()
