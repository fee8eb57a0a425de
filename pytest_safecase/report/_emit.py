"""What a finished run emits: report files, the GitHub step summary, workflow commands."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_safecase._runinfo import wants_github
from pytest_safecase.case.result import CaseResult


@dataclass
class Emitted:
    """What :func:`emit_reports` did, and the workflow command lines the caller must print."""

    files: list[Path] = field(default_factory=list)
    summary: Path | None = None
    commands: list[str] = field(default_factory=list)


def emit_reports(
    result: CaseResult,
    run_info: dict[str, Any],
    directory: Path | None,
    env: Mapping[str, str] = os.environ,
) -> Emitted:
    """Everything a finished run produces, for the controller to call once.

    Writes the report directory when ``directory`` is given; under GitHub Actions appends the
    summary to ``$GITHUB_STEP_SUMMARY`` and returns ``::error``/``::warning`` lines to print.
    """
    emitted = Emitted()
    if directory is None and not wants_github(env):
        return emitted
    # The renderers load only when something is to be written.
    from pytest_safecase.report._write import scrubbed, write_reports
    from pytest_safecase.report.github import github_summary, workflow_commands

    if directory is not None:
        emitted.files = write_reports(result, run_info, directory, env=env)
    if wants_github(env):
        clean_result, clean_info = scrubbed(result, run_info, env)
        emitted.summary = github_summary(clean_result, clean_info, env)
        if env.get("GITHUB_ACTIONS") == "true":
            emitted.commands = workflow_commands(clean_result)
    return emitted
