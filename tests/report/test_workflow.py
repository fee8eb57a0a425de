"""The shipped GitHub Actions workflows: valid, pinned, and doing what the README says they do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
SAFETY_CASE = ROOT / ".github" / "workflows" / "safety-case.yml"
TESTS = ROOT / ".github" / "workflows" / "tests.yml"
CI_SCRIPT = ROOT / ".ci" / "run"
# check-jsonschema ships GitHub's workflow schema: the check needs no network.
CHECK_WORKFLOW = (
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.github-workflows",
)


def load(path: Path) -> dict[Any, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8")))


def steps(path: Path) -> list[dict[str, Any]]:
    (job,) = load(path)["jobs"].values()
    return list(job["steps"])


def step_using(path: Path, action: str) -> dict[str, Any]:
    return next(s for s in steps(path) if s.get("uses", "").startswith(f"{action}@"))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_workflow_is_valid_for_github(path: Path) -> None:
    result = subprocess.run(
        [*CHECK_WORKFLOW, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_actions_are_pinned_to_a_commit_and_runs_do_not_pile_up(path: Path) -> None:
    uses = [s["uses"] for s in steps(path) if "uses" in s]
    assert uses
    text = path.read_text(encoding="utf-8")
    for use in uses:
        assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", use), use
        assert re.search(re.escape(use) + r" # v\d+\.\d+\.\d+\n", text), f"{use} names no release"
    assert load(path)["concurrency"]["group"].endswith("${{ github.ref }}")
    assert load(path)["permissions"] == {"contents": "read"}


def gate_command(tmp_path: Path, case_file: str, **env: str) -> list[str]:
    """The pytest command line the gate step runs, for the case file and variables given."""
    (step,) = [s for s in steps(SAFETY_CASE) if "--safecase-report" in s.get("run", "")]
    (tmp_path / "safety_tests").mkdir(exist_ok=True)
    (tmp_path / "safety_tests" / "safecase.yaml").write_text(case_file, encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    recorder = bin_dir / "pytest"
    recorder.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$PWD/args"\n', encoding="utf-8")
    recorder.chmod(0o755)
    variables = {"SAFECASE_UNTRUSTED": "", "SAFECASE_TRUSTED": "", "GATE_LEVEL": "", **env}
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", **variables},
        capture_output=True,
        text=True,
        check=True,
    )
    assert ("gate off" in done.stdout) == ("--safecase-gate" not in (tmp_path / "args").read_text())
    return (tmp_path / "args").read_text().split()


def test_the_gate_is_on_whenever_models_are_chosen(tmp_path: Path) -> None:
    case = "G0:\n  nodeType: Goal\n  text: safe\n"
    base = ["safety_tests/", "-n", "auto", "--safecase-report"]
    assert gate_command(tmp_path, case) == base  # the stand-ins: report only, said so
    chosen = gate_command(tmp_path, case, SAFECASE_UNTRUSTED="openai:gpt-4o")
    assert chosen == [*base, "--safecase-gate"]
    in_file = "x-models:\n  untrusted: openai:gpt-4o\n" + case
    assert gate_command(tmp_path, in_file) == [*base, "--safecase-gate"]
    levelled = gate_command(tmp_path, in_file, GATE_LEVEL="2")
    assert levelled == [*base, "--safecase-gate", "--safecase-level", "2"]


def test_safety_case_keeps_the_report_whatever_the_gate_says() -> None:
    order = steps(SAFETY_CASE)
    gate = next(s for s in order if "--safecase-gate" in s.get("run", ""))
    upload = step_using(SAFETY_CASE, "actions/upload-artifact")
    assert order.index(upload) > order.index(gate)
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "safecase-report/"
    assert upload["with"]["retention-days"] >= 30


def test_response_cache_is_kept_between_runs_even_when_the_gate_blocks() -> None:
    restore = step_using(SAFETY_CASE, "actions/cache/restore")
    save = step_using(SAFETY_CASE, "actions/cache/save")
    order = steps(SAFETY_CASE)
    gate = next(s for s in order if "--safecase-gate" in s.get("run", ""))
    assert order.index(restore) < order.index(gate) < order.index(save)
    assert save["if"] == "always()"
    cached = set(restore["with"]["path"].split())
    assert cached == set(save["with"]["path"].split())
    assert cached == {".safecase_cache", ".pytest_cache/d/safecase-control"}
    key = restore["with"]["key"]
    assert key == save["with"]["key"]
    for part in (
        "SAFECASE_UNTRUSTED",
        "SAFECASE_TRUSTED",
        "hashFiles('safety_tests/safecase.yaml')",
    ):
        assert part in key
    for fallback in restore["with"]["restore-keys"].splitlines():
        assert key.startswith(fallback)


def test_tests_workflow_runs_what_ci_runs() -> None:
    script = CI_SCRIPT.read_text(encoding="utf-8")
    ci_commands = [
        "ruff check .",
        "ruff format --check .",
        "mypy",
        "pytest tests/ -n 2 -q -p no:cacheprovider",
    ]
    runs = [s.get("run", "") for s in steps(TESTS)]
    assert 'python -m pip install -e ".[dev]"' in runs
    for command in ci_commands:
        assert re.search(rf"^{re.escape(command)}$", script, re.MULTILINE), command
        assert command in runs, command
