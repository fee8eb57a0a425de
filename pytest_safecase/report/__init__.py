"""Reports of an evaluated safety case: JSON, Markdown, HTML, JUnit XML, gsn2x and TEA exports,
and GitHub Actions output. Every renderer takes ``(CaseResult, run_info)`` and returns text."""

from pytest_safecase.report._emit import Emitted, emit_reports
from pytest_safecase.report._json import (
    SCHEMA_VERSION,
    ReportError,
    load_report,
    render_json,
    report_document,
)
from pytest_safecase.report._write import RENDERERS, REPORT_FILES, write_reports
from pytest_safecase.report.github import github_summary, workflow_commands
from pytest_safecase.report.gsn2x import render_gsn2x
from pytest_safecase.report.html import render_html
from pytest_safecase.report.junit import render_junit
from pytest_safecase.report.markdown import render_markdown
from pytest_safecase.report.tea import render_tea

__all__ = [
    "RENDERERS",
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "Emitted",
    "ReportError",
    "emit_reports",
    "github_summary",
    "load_report",
    "render_gsn2x",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_tea",
    "report_document",
    "workflow_commands",
    "write_reports",
]
