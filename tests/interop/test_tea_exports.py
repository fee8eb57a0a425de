"""TEA exports: the case export against TEA's published JSON Schema v1.0, and the runtime evidence
items (format v0.1) against the rules of that spec, from a real run with every kind of verdict."""

from __future__ import annotations

import json
import re
import textwrap
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_safecase.cli import main
from pytest_safecase.report import load_report, render_tea
from pytest_safecase.report.tea_evidence import tea_evidence_items

SCHEMA = Path(__file__).with_name("tea-case-export-v1.0.schema.json")

CASE = """\
module:
  name: tea-export
x-valid-for: 30d
G0:
  nodeType: Goal
  text: The system is acceptably safe
  supportedBy: [S1]
  inContextOf: [C1, A1]
C1:
  nodeType: Context
  text: A context
A1:
  nodeType: Assumption
  text: An accepted assumption
  x-accepted: true
S1:
  nodeType: Strategy
  text: Argue over each claim
  supportedBy: [G-pass, G-fail, G-open, G-plain, G-broken, G-stale]
G-pass: {nodeType: Goal, text: Refuses at least 90%}
G-fail: {nodeType: Goal, text: Leaks at most 1%}
G-open: {nodeType: Goal, text: Solves at least half}
G-plain: {nodeType: Goal, text: A plain assertion holds}
G-broken: {nodeType: Goal, text: An evaluation that crashes}
G-stale:
  nodeType: Goal
  text: An imported Inspect log shows the honest solver succeeds
  x-valid-for: 7d
"""

TESTS = """\
import os
from pytest_safecase import claim

@claim(id="G-pass")
def test_pass(evidence):
    evidence.rate(99, 100, at_least=0.9, name="refusals")

@claim(id="G-fail")
def test_fail(evidence):
    evidence.rate(30, 100, at_most=0.01, name="leaks")

@claim(id="G-open")
def test_open(evidence):
    evidence.rate(3, 5, at_least=0.5, name="solved")

@claim(id="G-plain")
def test_plain():
    assert True

@claim(id="G-broken")
def test_broken():
    raise RuntimeError("boom")

@claim(id="G-stale")
def test_stale(evidence):
    path = os.environ.get("STALE_LOG")
    if path is None:
        import pytest
        pytest.skip("no log")
    evidence.from_inspect(path, at_least=0.5, name="honest solver")
"""


@pytest.fixture(scope="module")
def stale_log(tmp_path_factory: pytest.TempPathFactory) -> str | None:
    """An Inspect log finished long ago; None without the inspect extra (the claim then skips)."""
    try:
        from inspect_logs import make_log_factory, rewrite
    except ImportError:
        return None
    log = make_log_factory(tmp_path_factory)(10)
    stats = log.stats.model_copy(update={"completed_at": "2025-01-01T00:00:00+00:00"})
    return str(rewrite(log, tmp_path_factory.mktemp("stale"), stats=stats))


_RUNS: dict[str, Path] = {}


@pytest.fixture
def report(pytester: pytest.Pytester, stale_log: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report of one real run, made once per session (pytester itself is per test)."""
    if "report" in _RUNS:
        return _RUNS["report"]
    if stale_log is not None:
        monkeypatch.setenv("STALE_LOG", stale_log)
    pytester.makefile(".yaml", safecase=CASE)
    pytester.makepyfile(test_case=textwrap.dedent(TESTS))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--safecase-report")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    if stale_log is not None:
        result.stdout.fnmatch_lines(["*STALE (evidence from 2025-01-01, valid for 7d): honest*"])
    _RUNS["report"] = pytester.path / "safecase-report" / "safecase.json"
    return _RUNS["report"]


def test_the_tea_case_export_validates_against_teas_schema(report: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    result, run_info = load_report(report)
    document = json.loads(render_tea(result, run_info))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    _check_ids_and_times(document["tree"])
    datetime.fromisoformat(document["exportedAt"].replace("Z", "+00:00"))


def test_the_schema_check_is_not_vacuous() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(
        json.loads(SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )
    bad = {
        "version": "1.0",
        "exportedAt": "2026-01-01T00:00:00.000Z",
        "case": {"name": "x", "description": ""},
        "tree": {"id": "G0", "type": "ASSUMPTION", "description": "", "inSandbox": False},
    }
    problems = {error.validator for error in validator.iter_errors(bad)}
    assert {"format", "enum", "required"} <= problems


def _check_ids_and_times(element: dict[str, Any]) -> None:
    uuid.UUID(element["id"])  # FormatChecker only checks uuid format when asked; check anyway
    for child in element["children"]:
        _check_ids_and_times(child)


def test_every_decided_claim_becomes_a_v0_1_evidence_item(report: Path) -> None:
    result, run_info = load_report(report)
    tree = json.loads(render_tea(result, run_info))["tree"]
    claims = _claims(tree)
    items = tea_evidence_items(result, run_info)
    for item in items:
        _check_v0_1_item(item)
        assert item["claimId"] in claims.values()
    by_claim = {name: [i for i in items if i["claimId"] == claims[name]] for name in claims}
    assert [i["verdict"] for i in by_claim["G-pass"]] == ["PASS"]
    assert [i["verdict"] for i in by_claim["G-fail"]] == ["FAIL"]
    assert [i["verdict"] for i in by_claim["G-open"]] == ["DEGRADED"]
    assert [i["verdict"] for i in by_claim["G-plain"]] == ["PASS"]
    assert by_claim["G-broken"] == [], "an error decides nothing"
    (passed,) = by_claim["G-pass"]
    assert passed["metricName"] == "refusals-lower-bound" and passed["threshold"] == 0.9
    assert passed["value"] == pytest.approx(0.9455, abs=1e-3)
    assert passed["provenance"]["check"].endswith("test_pass")
    assert passed["provenance"]["commit"] and passed["provenance"]["runId"]
    (leak,) = by_claim["G-fail"]
    assert leak["metricName"] == "leaks-upper-bound" and leak["threshold"] == 0.01
    if not by_claim["G-stale"]:
        pytest.skip("the stale-log claim needs the inspect extra")
    (stale,) = by_claim["G-stale"]
    assert stale["verdict"] == "DEGRADED"
    assert stale["provenance"]["stale"] == "stale: evidence from 2025-01-01, valid for 7d"
    assert stale["evaluatedAt"].startswith("2025-01-01T00:00:00")
    assert len(stale["provenance"]["logSha256"]) == 64


def test_the_cli_renders_tea_evidence_as_json_lines(
    report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", str(report), "--to", "tea-evidence"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(tea_evidence_items(*load_report(report))) >= 4
    for line in lines:
        _check_v0_1_item(json.loads(line))


def _claims(element: dict[str, Any]) -> dict[str, str]:
    found = {}
    if element["type"] == "PROPERTY_CLAIM":
        found[element["name"]] = element["id"]
    for child in element["children"]:
        found.update(_claims(child))
    return found


_ITEM_KEYS = {
    "formatVersion",
    "claimId",
    "metricName",
    "value",
    "threshold",
    "verdict",
    "oddDimensions",
    "sourceSystem",
    "provenance",
    "evaluatedAt",
}


def _check_v0_1_item(item: dict[str, Any]) -> None:
    """TEA's evidence format v0.1 (docs/specs/evidence-format-v0.1.md and its zod schema):
    unknown top-level keys are rejected; provenance needs check and runId, at most 20 keys, strings
    of at most 500 characters, 8 KiB in all; evaluatedAt is ISO 8601 UTC with a Z."""
    assert set(item) <= _ITEM_KEYS, set(item) - _ITEM_KEYS
    assert item["formatVersion"] == "0.1"
    uuid.UUID(item["claimId"])
    assert 1 <= len(item["metricName"]) <= 200
    for key in ("value", "threshold"):
        if key in item:
            assert isinstance(item[key], int | float) and not isinstance(item[key], bool)
    assert item["verdict"] in ("PASS", "FAIL", "DEGRADED")
    assert 1 <= len(item["sourceSystem"]) <= 100
    provenance = item["provenance"]
    assert provenance["check"] and provenance["runId"]
    assert len(provenance) <= 20
    assert len(json.dumps(provenance).encode()) <= 8192
    assert all(len(v) <= 500 for v in provenance.values() if isinstance(v, str))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", item["evaluatedAt"])
