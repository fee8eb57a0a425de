"""The JSON report: versioned, complete, strict JSON, and enough to re-render every format."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_safecase.case.result import CaseResult
from pytest_safecase.records import ValueRecord
from pytest_safecase.report import (
    RENDERERS,
    SCHEMA_VERSION,
    ReportError,
    load_report,
    render_json,
    report_document,
)


def _strict_loads(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_document_holds_verdicts_evidence_tests_and_run_facts(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    document = _strict_loads(render_json(rich_result, run_info))
    assert document["schema"] == "pytest-safecase/report"
    assert document["schema_version"] == SCHEMA_VERSION
    assert document["run"] == run_info  # unknown keys kept as given
    nodes = {node["id"]: node for node in document["case"]["nodes"]}
    assert nodes["G4"]["verdict"] == "refuted"
    assert "refusal rate" in nodes["G4"]["reason"]
    assert nodes["C1"]["verdict"] is None
    (test,) = nodes["G4"]["tests"]
    assert test["nodeid"] == "test_case.py::test_refusal"
    assert test["duration"] >= 0
    (record,) = test["evidence"]
    assert (record["successes"], record["trials"], record["threshold"]) == (70, 100, 0.9)
    assert record["lower"] < record["estimate"] < record["upper"]
    assert record["confidence"] == 0.95
    assert document["case"]["counts"]["error"] == 1


def test_round_trip_renders_every_format_identically(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "safecase.json"
    path.write_text(render_json(rich_result, run_info), encoding="utf-8")
    loaded, loaded_info = load_report(path)
    assert loaded.to_dict() == rich_result.to_dict()
    assert loaded_info == run_info
    for fmt, render in RENDERERS.items():
        assert render(loaded, loaded_info) == render(rich_result, run_info), fmt


def test_non_finite_numbers_become_strict_json(rich_result: CaseResult) -> None:
    evidence = rich_result.nodes["G11"].tests[0].evidence
    assert isinstance(evidence[0], ValueRecord)
    evidence[0] = replace(evidence[0], value=float("inf"))
    document = _strict_loads(render_json(rich_result, {"seed": float("nan")}))
    assert document["run"]["seed"] == "nan"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not a JSON file"),
        ('{"hello": 1}', "not a pytest-safecase report"),
        ('{"schema": "pytest-safecase/report", "schema_version": "1"}', "bad schema_version"),
        ('{"schema": "pytest-safecase/report", "schema_version": 1, "case": {}}', "malformed"),
    ],
)
def test_bad_files_are_refused_with_a_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=message):
        load_report(path)


def test_newer_schema_asks_for_an_upgrade(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    document = report_document(rich_result, run_info)
    document["schema_version"] = SCHEMA_VERSION + 1
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        ReportError, match=rf"version {SCHEMA_VERSION + 1}.*upgrade pytest-safecase"
    ):
        load_report(path)


def test_missing_file_is_a_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read"):
        load_report(tmp_path / "absent.json")
