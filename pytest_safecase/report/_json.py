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
    document: dict[str, Any] = _json_safe(
        {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "run": dict(run_info),
            "case": result.to_dict(),
        }
    )
    return document


def render_json(result: CaseResult, run_info: dict[str, Any]) -> str:
    return json.dumps(report_document(result, run_info), indent=2, ensure_ascii=False) + "\n"


def deep_json(value: Any, indent: int = 2, *, max_level: int | None = None) -> str:
    """``json.dumps(value, indent=indent, ensure_ascii=False)``, for data of any depth.

    The standard library's indenting encoder recurses once per level of nesting, so a document
    as deep as a long argument chain (the TEA export nests every element in its parent) raises
    RecursionError there. This writes the same text with an explicit stack; scalars, keys and
    empty containers still go through :func:`json.dumps`, so their spelling is the library's.

    With ``max_level``, lines nested deeper are indented as at that level: the same JSON, and the
    same text for anything shallower, but a chain thousands of levels deep no longer grows its
    file with the square of its length.
    """
    parts: list[str] = []
    # Text to write as is, or a (value, level) to encode; popped from the end.
    stack: list[str | tuple[Any, int]] = [(value, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        value, level = item
        inner, close = _newline(level + 1, indent, max_level), _newline(level, indent, max_level)
        todo: list[str | tuple[Any, int]]
        if isinstance(value, dict) and value:
            todo = ["{"]
            for index, (key, member) in enumerate(value.items()):
                name = key if isinstance(key, str) else json.dumps(key)
                todo.append(("," if index else "") + inner + _scalar(name) + ": ")
                todo.append((member, level + 1))
            todo.append(close + "}")
        elif isinstance(value, list | tuple) and value:
            todo = ["["]
            for index, member in enumerate(value):
                todo.append(("," if index else "") + inner)
                todo.append((member, level + 1))
            todo.append(close + "]")
        else:
            parts.append(_scalar(value))
            continue
        stack.extend(reversed(todo))
    return "".join(parts)


def _newline(level: int, indent: int, max_level: int | None) -> str:
    return "\n" + " " * (indent * (level if max_level is None else min(level, max_level)))


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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
