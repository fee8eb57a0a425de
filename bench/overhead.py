"""Overhead of the plugin: 1,000 trivial claim tests with the plugin and with ``-p no:safecase``.

Prints both wall times (best of several interleaved runs, each in a fresh subprocess) and their
ratio.
Target: ratio <= 1.10.

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


def interleaved_runs(folder: Path) -> dict[str, list[tuple[float, float]]]:
    """Wall and CPU time of REPEATS runs per variant, interleaved so that the load of a shared
    machine affects both alike."""
    run_once(folder)  # warm-up: writes the bytecode caches
    run_once(folder, "-p", "no:safecase")
    runs: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    for _ in range(REPEATS):
        runs["with"].append(run_once(folder))
        runs["without"].append(run_once(folder, "-p", "no:safecase"))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instructions", action="store_true", help="also count instructions")
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_overhead.py").write_text(TEST_FILE.format(n=TESTS))
        runs = interleaved_runs(folder)
        counts = (
            (instructions(folder), instructions(folder, "-p", "no:safecase"))
            if args.instructions
            else None
        )
    best = {
        name: (min(wall for wall, _ in times), min(cpu for _, cpu in times))
        for name, times in runs.items()
    }
    print(f"{TESTS} trivial claim tests, best of {REPEATS} interleaved runs each")
    print(f"{'':24}{'wall':>9}{'CPU':>9}")
    for label, key in (("with pytest-safecase", "with"), ("with -p no:safecase", "without")):
        wall, cpu = best[key]
        print(f"  {label:22}{wall:8.2f}s{cpu:8.2f}s")
    for index, measure in enumerate(("wall", "CPU")):
        ratio = best["with"][index] / best["without"][index]
        verdict = "met" if ratio <= 1.10 else "NOT met"
        print(f"  ratio ({measure}):{'':10}{ratio:6.3f}  (target <= 1.10: {verdict})")
    # Each pair ran back to back, so its ratio is least affected by a host whose speed drifts.
    paired = sorted(w[0] / wo[0] for w, wo in zip(runs["with"], runs["without"], strict=True))
    print(
        f"  paired wall ratios:     median {statistics.median(paired):.3f}, "
        f"range {paired[0]:.3f}-{paired[-1]:.3f}"
    )
    if counts is not None:
        with_plugin, without_plugin = counts
        print(
            f"  instructions:           {with_plugin / 1e9:.3f} G with, "
            f"{without_plugin / 1e9:.3f} G without, ratio {with_plugin / without_plugin:.3f}"
        )


if __name__ == "__main__":
    main()
