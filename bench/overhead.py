"""Overhead of the plugin: 1,000 trivial claim tests with the plugin and with ``-p no:safecase``.

Prints both wall times (best of several runs, each in a fresh subprocess) and their ratio.
Target: ratio <= 1.10.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 1_000
REPEATS = 5

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


def best_time(folder: Path, *extra: str) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(
            [
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
            ],
            check=True,
            capture_output=True,
            cwd=folder,
        )
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_overhead.py").write_text(TEST_FILE.format(n=TESTS))
        with_plugin = best_time(folder)
        without = best_time(folder, "-p", "no:safecase")
    print(f"{TESTS} trivial claim tests, best of {REPEATS} runs each")
    print(f"  with pytest-safecase:    {with_plugin:6.2f} s")
    print(f"  with -p no:safecase:     {without:6.2f} s")
    ratio = with_plugin / without
    verdict = "met" if ratio <= 1.10 else "NOT met"
    print(f"  ratio:                   {ratio:6.3f}  (target <= 1.10: {verdict})")


if __name__ == "__main__":
    main()
