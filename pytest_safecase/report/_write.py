"""Writing the report directory: every format, every attachment, no secrets, nothing outside it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytest_safecase._secrets import redact, secret_values
from pytest_safecase.case.result import CaseResult
from pytest_safecase.report._files import attachment_files
from pytest_safecase.report._json import render_json, report_document
from pytest_safecase.report.gsn2x import render_gsn2x
from pytest_safecase.report.html import render_html
from pytest_safecase.report.junit import render_junit
from pytest_safecase.report.markdown import render_markdown
from pytest_safecase.report.tea import render_tea

Renderer = Callable[[CaseResult, dict[str, Any]], str]

RENDERERS: dict[str, Renderer] = {
    "json": render_json,
    "md": render_markdown,
    "html": render_html,
    "junit": render_junit,
    "gsn2x": render_gsn2x,
    "tea": render_tea,
}
"""Every format by the name ``safecase render --to`` takes."""

REPORT_FILES: dict[str, str] = {
    "json": "safecase.json",
    "md": "safecase.md",
    "html": "safecase.html",
    "junit": "safecase-junit.xml",
    "gsn2x": "safecase.gsn.yaml",
    "tea": "safecase.tea.json",
}


def scrubbed(
    result: CaseResult, run_info: dict[str, Any], env: Mapping[str, str]
) -> tuple[CaseResult, dict[str, Any]]:
    """Copies of the result and run facts with secrets from ``env`` removed (and JSON-safe)."""
    document = redact(report_document(result, run_info), secret_values(env))
    return CaseResult.from_dict(document["case"]), document["run"]


def write_reports(
    result: CaseResult,
    run_info: dict[str, Any],
    directory: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write every format and every attachment into ``directory``; return the files written.

    Secret values found in ``env`` (default: the process environment) are redacted from all of
    them, from the data before rendering and again from each file's text.
    """
    env = os.environ if env is None else env
    secrets = secret_values(env)
    clean_result, clean_info = scrubbed(result, run_info, env)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt, name in REPORT_FILES.items():
        text = RENDERERS[fmt](clean_result, clean_info)
        written.append(_write(directory, name, redact(text, secrets)))
    for attachment in attachment_files(clean_result):
        written.append(
            _write(directory, attachment.relative_path, redact(attachment.content(), secrets))
        )
    return written


def _write(directory: Path, relative: str, text: str) -> Path:
    """Write ``text`` at ``directory/relative``, refusing any path that resolves outside it."""
    base = directory.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise ValueError(f"refusing to write {relative!r} outside the report directory {base}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return directory / relative
