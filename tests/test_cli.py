"""The ``safecase`` command: validate, show, render, diff and plan, on reports from real runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import scipy.stats  # noqa: F401 - imported once, before pytester's runs (numpy loads once)
import yaml

from pytest_safecase._pytest.plugin import RESULT_KEY
from pytest_safecase.case.result import CaseResult
from pytest_safecase.cli import main
from pytest_safecase.report import SCHEMA_VERSION, render_json

VALID_CASE = """\
G0:
  nodeType: Goal
  text: The system is acceptably safe
  supportedBy: [S1]
S1:
  nodeType: Strategy
  text: Argue over each hazard
  supportedBy: [G1]
G1:
  nodeType: Goal
  text: The monitor catches attacks
"""


class _Grab:
    def __init__(self) -> None:
        self.result: CaseResult | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.result = session.config.stash.get(RESULT_KEY, None)


def _report(pytester: pytest.Pytester, name: str, rates: dict[str, tuple[int, int, float]]) -> Path:
    """Run claims with the given (successes, trials, threshold) and save the JSON report."""
    tests = ["from pytest_safecase import claim\n"]
    for claim_id, (successes, trials, threshold) in rates.items():
        tests.append(
            f"@claim('Claim {claim_id} holds', id='{claim_id}')\n"
            f"def test_{claim_id.lower()}(evidence):\n"
            f"    evidence.rate({successes}, {trials}, at_least={threshold}, name='rate')\n"
        )
    pytester.makepyfile(**{f"test_{name}": "\n".join(tests)})
    grab = _Grab()
    pytester.runpytest("-p", "no:cacheprovider", f"test_{name}.py", plugins=[grab])
    assert grab.result is not None
    path = pytester.path / f"{name}.json"
    path.write_text(render_json(grab.result, {"plugin_version": "test"}), encoding="utf-8")
    (pytester.path / f"test_{name}.py").unlink()
    return path


@pytest.fixture
def report(pytester: pytest.Pytester) -> Path:
    return _report(pytester, "base", {"G1": (190, 200, 0.9), "G2": (50, 100, 0.9)})


def test_validate_accepts_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "safecase.yaml"
    path.write_text(VALID_CASE, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out == f"{path}: valid safety case, root G0: 2 goals, 1 strategy\n"


def test_validate_lists_problems_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "safecase.yaml"
    path.write_text(VALID_CASE + "  supported_by: [G7]\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert (
        f"{path}:12: G1: unknown key 'supported_by'; did you mean 'supportedBy'? [unknown-key]"
        in out
    )
    assert out.endswith(f"{path}: 1 problem\n")
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["render", "x.json", "--to", "pdf"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    capsys.readouterr()
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps({"schema": "pytest-safecase/report", "schema_version": 99}))
    assert main(["show", str(bad)]) == 2
    assert "safecase: error:" in capsys.readouterr().err


def test_show_prints_the_tree(report: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(report)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✘ ROOT (refuted) Every safety claim tested in this run holds"
    assert "├─ ✔ G1 Claim G1 holds" in out
    assert out[-1] == "safety case ROOT: REFUTED | 2 claims: 1 supported, 1 refuted"


@pytest.mark.parametrize("fmt", ["html", "md", "gsn2x", "tea", "junit", "json"])
def test_render_every_format(
    report: Path, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / f"out.{fmt}"
    assert main(["render", str(report), "--to", fmt, "-o", str(output)]) == 0
    assert capsys.readouterr().out == f"wrote {output}\n"
    text = output.read_text(encoding="utf-8")
    parse = {
        "html": lambda t: t.startswith("<!DOCTYPE html>") or pytest.fail("not html"),
        "md": lambda t: t.startswith("# Safety case ROOT: REFUTED") or pytest.fail("not md"),
        "gsn2x": lambda t: yaml.safe_load(t)["G1"]["nodeType"] == "Goal" or pytest.fail("gsn2x"),
        "tea": lambda t: json.loads(t)["version"] == "1.0" or pytest.fail("not tea"),
        "junit": lambda t: ET.fromstring(t).tag == "testsuites" or pytest.fail("not junit"),
        "json": lambda t: json.loads(t)["schema_version"] == SCHEMA_VERSION or pytest.fail("json"),
    }
    parse[fmt](text)


def test_diff_finds_regressions(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _report(
        pytester,
        "old",
        {"G1": (190, 200, 0.9), "G2": (100, 100, 0.9), "G3": (50, 100, 0.9), "G4": (99, 100, 0.5)},
    )
    new = _report(
        pytester,
        "new",
        {"G1": (196, 200, 0.9), "G2": (99, 100, 0.9), "G3": (99, 100, 0.5), "G5": (99, 100, 0.5)},
    )
    capsys.readouterr()
    assert main(["diff", str(old), str(new)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "root ROOT: refuted -> supported"
    body = lines[2:-1]

    def row(claim: str, change: str) -> str:
        (line,) = [line for line in body if f" {claim} " in line and change in line]
        return line

    assert row("G2", "lower bound moved toward threshold 0.9").startswith("!")  # still supported
    assert row("G4", "removed").startswith("!")
    assert row("G1", "lower bound moved away from threshold").startswith(" ")
    assert row("G3", "verdict better").startswith(" ")
    assert row("G5", "added").startswith(" ")
    assert lines[-1] == "2 regressions (marked !)"

    assert main(["diff", str(new), str(new)]) == 0
    assert "no claim changed verdict or moved its bound" in capsys.readouterr().out
    assert main(["diff", str(old), str(new), "--tolerance", "0.5"]) == 1  # G4 still removed


def test_diff_verdict_worse_is_a_regression(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    old = _report(pytester, "old", {"G1": (190, 200, 0.9)})
    new = _report(pytester, "new", {"G1": (185, 200, 0.9)})
    capsys.readouterr()
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^!  G1 +supported +inconclusive +verdict worse$", out, re.MULTILINE)
    assert re.search(
        r"^   G1 +test_g1::rate +0.9100 +0.8793 +lower bound moved toward", out, re.MULTILINE
    )


def test_plan_prints_the_trials_needed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "0.9", "0.95"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("claim rate >= 0.9 at 95% confidence, true rate 0.95: supported")
    assert "fixed n (Clopper-Pearson)" in out
    assert main(["plan", "0.9", "0.95", "0.85", "--at-least"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == 4 and "refuted" in table[3]
    assert main(["plan", "0.9", "0.9"]) == 2


def test_plan_never_guesses_the_direction(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan 0.05 0.01` reads as "at most 5%", but planned "at least 5%" (to refute) before."""
    assert main(["plan", "0.05", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "true rate 0.01 is below the threshold 0.05: say --at-most" in err
    assert main(["plan", "0.05", "0.01", "--at-most"]) == 0
    assert capsys.readouterr().out.startswith("claim rate <= 0.05")
    with pytest.raises(SystemExit):
        main(["plan", "0.05", "0.01", "--at-most", "--at-least"])


def test_every_argument_has_help_text() -> None:
    from pytest_safecase.cli import build_parser

    parser = build_parser()
    (commands,) = [action for action in parser._actions if action.dest == "command"]
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.dest != "help":
                assert action.help, f"safecase {name}: {action.dest} has no help text"


def test_console_script_is_installed(report: Path) -> None:
    script = Path(sys.executable).parent / "safecase"
    done = subprocess.run(
        [str(script), "render", str(report), "--to", "md"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Safety case ROOT: REFUTED")
