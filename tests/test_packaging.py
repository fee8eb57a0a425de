"""The sdist carries the licence, the tests and the reference case, to check a release with."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_sdist_carries_the_tests_and_the_reference_case(tmp_path: Path) -> None:
    build = (
        "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", build, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    archive = tmp_path / done.stdout.strip().splitlines()[-1]
    with tarfile.open(archive) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
        metadata = sdist.extractfile(next(n for n in sdist.getnames() if n.endswith("/PKG-INFO")))
        assert metadata is not None
        info = metadata.read().decode()
    for wanted in (
        "LICENSE",
        "conftest.py",
        "tests/core/test_selection.py",
        "tests/report/data/v1/safecase.json",
        "tests/models/fakeserver.py",
        "safety_tests/safecase.yaml",
        "safety_tests/conftest.py",
        "pytest_safecase/report/templates/report.html",
        ".ci/run",
    ):
        assert wanted in names, wanted
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "License-Expression: MIT" in info and "License-File: LICENSE" in info
    assert "pytest-safecase contributors" in (ROOT / "LICENSE").read_text(encoding="utf-8")
