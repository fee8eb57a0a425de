"""The report directory: every format, attachments by type, unique safe names, no secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report import REPORT_FILES, load_report, write_reports
from pytest_safecase.report._files import safe_file_name
from pytest_safecase.report._write import _write


def test_writes_every_format_and_attachment(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    directory = tmp_path / "nested" / "report"
    written = write_reports(rich_result, run_info, directory, env={})
    names = sorted(path.relative_to(directory).as_posix() for path in written)
    assert names == sorted(
        [
            *REPORT_FILES.values(),
            "attachments/attempts.jsonl",
            "attachments/attempts-2.jsonl",
            "attachments/summary.json",
        ]
    )
    lines = (directory / "attachments/attempts.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"attempt": 1, "caught": True},
        {"attempt": 2, "caught": False},
    ]
    assert (directory / "attachments/attempts-2.jsonl").read_text(encoding="utf-8") == (
        "a second file with the same name"
    )
    assert json.loads((directory / "attachments/summary.json").read_text(encoding="utf-8")) == {
        "solved": 90
    }
    loaded, info = load_report(directory / "safecase.json")
    assert loaded.to_dict() == rich_result.to_dict() and info == run_info


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../escape.txt", "___escape.txt"),
        ("/etc/passwd", "_etc_passwd"),
        ("..", "attachment"),
        (".hidden", "hidden"),
        ("a\\b\x00c.json", "a_b_c.json"),
        ("fine-name_1.jsonl", "fine-name_1.jsonl"),
    ],
)
def test_attachment_names_are_reduced_to_plain_file_names(name: str, expected: str) -> None:
    assert safe_file_name(name) == expected


def test_traversal_from_a_handed_in_report_stays_inside(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    rich_result.nodes["G1"].tests[0].attachments = [
        {"name": "../../outside.txt", "data": "x"},
        {"name": "../../outside.txt", "data": "y"},
    ]
    directory = tmp_path / "report"
    written = write_reports(rich_result, run_info, directory, env={})
    assert not list(tmp_path.glob("outside*"))
    assert all(path.resolve().is_relative_to(directory.resolve()) for path in written)
    assert (directory / "attachments/___outside.txt").read_text(encoding="utf-8") == "x"
    assert (directory / "attachments/___outside-2.txt").read_text(encoding="utf-8") == "y"


def test_the_writer_refuses_paths_outside(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside the report directory"):
        _write(tmp_path / "report", "../elsewhere.txt", "nope")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "attachments").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside the report directory"):
        _write(tmp_path / "report", "attachments/x.txt", "nope")


def test_secret_values_from_the_environment_are_redacted(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    secret = "sk-test-SECRET-0123456789abcdef"
    rich_result.nodes["G4"].tests[0].message = f"401 from server, key {secret} rejected"
    rich_result.nodes["G4"].tests[0].notes.append(f"Authorization: Bearer {secret}")
    rich_result.nodes["G1"].tests[0].attachments[0]["data"][0]["header"] = secret
    run_info["args"] = ["--api-key", secret]
    env = {"OPENAI_API_KEY": secret, "HOME": "/root", "SHORT_TOKEN": "abc"}
    written = write_reports(rich_result, run_info, tmp_path, env=env)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert secret not in text, path
    assert "[redacted]" in (tmp_path / "safecase.json").read_text(encoding="utf-8")
    assert "[redacted]" in (tmp_path / "attachments/attempts.jsonl").read_text(encoding="utf-8")
