"""Reports of an evaluated safety case: JSON, Markdown, HTML, JUnit XML, gsn2x and TEA exports,
and GitHub Actions output. Every renderer takes ``(CaseResult, run_info)`` and returns text.

Names load on first use (PEP 562), so the terminal summary the plugin imports at start-up does not
pull in every renderer.
"""

from __future__ import annotations

from pytest_safecase._lazy import lazy_exports

_HOMES = {
    "SCHEMA_VERSION": "_json",
    "ReportError": "_json",
    "load_report": "_json",
    "render_json": "_json",
    "report_document": "_json",
    "RENDERERS": "_write",
    "REPORT_FILES": "_write",
    "redact": "_write",
    "scrubbed": "_write",
    "secret_values": "_write",
    "write_reports": "_write",
    "github_summary": "github",
    "workflow_commands": "github",
    "render_gsn2x": "gsn2x",
    "render_html": "html",
    "render_junit": "junit",
    "render_markdown": "markdown",
    "render_tea": "tea",
    "Emitted": "_emit",
    "emit_reports": "_emit",
}

__all__ = [
    "RENDERERS",
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "Emitted",
    "ReportError",
    "emit_reports",
    "github_summary",
    "load_report",
    "redact",
    "render_gsn2x",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_tea",
    "report_document",
    "scrubbed",
    "secret_values",
    "workflow_commands",
    "write_reports",
]

__getattr__ = lazy_exports(__name__, _HOMES)
