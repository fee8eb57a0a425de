"""GitHub Actions: the step summary and the annotations, with GitHub's escaping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report import emit_reports, github_summary, workflow_commands
from pytest_safecase.report.github import escape_data, escape_property


def test_errors_for_refuted_and_errored_warnings_for_the_rest(rich_result: CaseResult) -> None:
    commands = workflow_commands(rich_result)
    by_title = {command.split("title=")[1].split("::")[0]: command for command in commands}
    assert set(by_title) == {
        "claim G4 refuted",
        "claim G6 error",
        "claim G5 inconclusive",
        "claim G10 not-evaluated",
        "goal G2 undeveloped",
    }
    assert by_title["claim G4 refuted"].startswith("::error file=test_case.py,line=")
    assert by_title["claim G6 error"].startswith("::error ")
    for title in ("claim G5 inconclusive", "claim G10 not-evaluated", "goal G2 undeveloped"):
        assert by_title[title].startswith("::warning ")
    assert (
        "file=" in by_title["goal G2 undeveloped"]
        and "safecase.yaml" in by_title["goal G2 undeveloped"]
    )
    assert by_title["claim G6 error"].endswith(
        "::The refusal classifier loads: test_case.py::test_classifier: RuntimeError: weights file missing"
    )


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_commands_escape_paths_and_messages(rich_result: CaseResult) -> None:
    rich_result.nodes["G4"].tests[0].path = "dir,with:odd/test.py"
    rich_result.nodes["G4"].reason = "line one\nline two 5%"
    (command,) = [c for c in workflow_commands(rich_result) if "G4" in c]
    assert command.startswith("::error file=dir%2Cwith%3Aodd/test.py,line=")
    assert command.endswith("::Refusal holds on the red-team prompts: line one%0Aline two 5%25")
    assert "\n" not in command


def test_summary_appends_markdown_only_when_asked(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    assert github_summary(rich_result, run_info, env={}) is None
    assert (
        github_summary(rich_result, run_info, env={"GITHUB_STEP_SUMMARY": str(summary)}) == summary
    )
    github_summary(rich_result, run_info, env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n# Safety case G0: REFUTED")
    assert text.count("```mermaid") == 2


def test_emit_reports_does_everything_in_one_call(
    rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    emitted = emit_reports(rich_result, run_info, tmp_path / "report", env)
    assert (tmp_path / "report" / "safecase.html") in emitted.files
    assert emitted.summary == summary and summary.read_text(encoding="utf-8")
    assert emitted.commands == workflow_commands(rich_result)

    local = emit_reports(rich_result, run_info, None, env={})
    assert (local.files, local.summary, local.commands) == ([], None, [])
