"""The versioned JSON report: everything needed to re-render every other format without a re-run."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pytest_safecase.case.result import CaseResult

SCHEMA = "pytest-safecase/report"
SCHEMA_VERSION = 1
"""Bump when a reader of the previous version would misread the document."""


class ReportError(ValueError):
    """A report file that cannot be read: not JSON, not ours, too new, or malformed."""


def report_document(result: CaseResult, run_info: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe document: schema header, the run's facts as given, and the evaluated case."""
    return _json_safe(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "run": dict(run_info),
            "case": result.to_dict(),
        }
    )


def render_json(result: CaseResult, run_info: dict[str, Any]) -> str:
    return json.dumps(report_document(result, run_info), indent=2, ensure_ascii=False) + "\n"


def load_report(path: Path | str) -> tuple[CaseResult, dict[str, Any]]:
    """Read a ``safecase.json``; raise :class:`ReportError` saying what is wrong with it."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not a JSON file: {exc}") from None
    return parse_report(document, str(path))


def parse_report(document: Any, where: str = "<report>") -> tuple[CaseResult, dict[str, Any]]:
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ReportError(f'{where}: not a pytest-safecase report (no \'"schema": "{SCHEMA}"\')')
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ReportError(f"{where}: bad schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ReportError(
            f"{where}: written with report schema version {version}, but this pytest-safecase "
            f"reads up to version {SCHEMA_VERSION}; upgrade pytest-safecase to read it"
        )
    run_info = document.get("run") or {}
    try:
        result = CaseResult.from_dict(document["case"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReportError(f"{where}: malformed report: {type(exc).__name__}: {exc}") from None
    if result.root not in result.nodes or result.nodes[result.root].verdict is None:
        raise ReportError(f"{where}: malformed report: the root {result.root!r} has no verdict")
    if not isinstance(run_info, dict):
        raise ReportError(f"{where}: malformed report: 'run' must be an object")
    return result, run_info


def _json_safe(value: Any) -> Any:
    """Plain JSON: non-finite floats become strings (strict parsers reject NaN), the rest str()."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
