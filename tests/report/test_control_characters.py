"""Control characters from user and model strings never reach the terminal raw or break the XML.

Claim ids and texts, notes, exception messages and evidence names are the author's (or a
model's) strings; an escape sequence among them could recolour or rewrite the terminal, and most
C0 characters are not allowed in XML 1.0 at all. Every such character shows as a visible escape.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pytest_safecase._escape import visible

# Every control character but newline, with DEL and the C1 range (\x9b starts a CSI sequence).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")

TESTS = r"""
import pytest
from pytest_safecase import claim

@claim("red \x1b[31mstatement\x1b[0m bell\x07", id="G\x1b]0;title\x07-id")
def test_text(evidence):
    evidence.note("note with NUL \x00 VT \x0b ESC \x1b[2J and CSI \x9b1m")

@claim("value")
def test_value(evidence):
    evidence.value("name\x1b[1m\r", 3, at_most=1)

@claim("raises")
def test_raises():
    raise RuntimeError("model said \x1b[41mboom\x1b[0m\x08\x08")
"""

CASE = 'ROOT:\n  nodeType: Goal\n  text: "Root with \\e[5m blink \\0 and \\v"\n'


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.RunResult:
    pytester.makepyfile(test_ctrl=TESTS)
    pytester.makefile(".yaml", safecase=CASE)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "summary.md"))
    # Without tracebacks pytest itself prints no exception text; the rest is this plugin's.
    return pytester.runpytest_subprocess(
        "--safecase-report", "--color=no", "--tb=no", "-rN", "-p", "no:cacheprovider"
    )


def test_junit_parses_and_keeps_the_text_visible(run: pytest.RunResult, pytester) -> None:
    tree = ET.parse(pytester.path / "safecase-report" / "safecase-junit.xml")
    text = ET.tostring(tree.getroot(), encoding="unicode")
    assert not RAW_CONTROL.search(text)
    assert r"red \x1b[31mstatement\x1b[0m bell\x07" in text
    assert r"NUL \x00 VT \x0b ESC \x1b[2J and CSI \x9b1m" in text
    assert r"model said \x1b[41mboom" in text


def test_terminal_shows_escapes_not_control_bytes(run: pytest.RunResult) -> None:
    output = run.stdout.str() + run.stderr.str()
    assert "= safety case =" in output
    assert not RAW_CONTROL.search(output), RAW_CONTROL.findall(output)
    assert r"G\x1b]0;title\x07-id" in output
    assert r"model said \x1b[41mboom\x1b[0m\x08\x08" in output
    assert r"name\x1b[1m\x0d = 3" in output


def test_visible_keeps_newlines_and_printable_text() -> None:
    assert visible("a\nb\tc é ✔") == "a\nb\\x09c é ✔"
    assert visible("\x1b[31m\x00\x7f\x9b\ud800") == "\\x1b[31m\\x00\\x7f\\x9b\\ud800"


def test_a_model_spec_in_a_usage_error_shows_as_escapes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_model="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess(
        "--safecase-untrusted", "evil\x1b[2J:model", "--color=no", "-p", "no:cacheprovider"
    )
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert not RAW_CONTROL.search(output), RAW_CONTROL.findall(output)
    assert r"evil\x1b[2J:model" in output
