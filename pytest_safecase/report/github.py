"""GitHub Actions output: the Markdown summary on the job page, annotations on the claim tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_safecase._escape import visible
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.report._wording import is_open_leaf
from pytest_safecase.report.markdown import render_markdown
from pytest_safecase.verdict import Verdict

SUMMARY_LIMIT = 1024 * 1024
"""GitHub refuses a step summary over 1 MiB; a longer one is cut with a note."""

_ERRORS = (Verdict.REFUTED, Verdict.ERROR)
_WARNINGS = (Verdict.INCONCLUSIVE, Verdict.NOT_EVALUATED, Verdict.UNDEVELOPED)


def github_summary(
    result: CaseResult, run_info: dict[str, Any], env: Mapping[str, str] = os.environ
) -> Path | None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set; return the path."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    text = render_markdown(result, run_info)
    encoded = text.encode("utf-8")
    if len(encoded) > SUMMARY_LIMIT - 200:
        cut = encoded[: SUMMARY_LIMIT - 200].decode("utf-8", errors="ignore")
        text = cut + "\n\n*Summary cut to fit GitHub's limit; see safecase.md in the report.*\n"
    path = Path(target)
    with path.open("a", encoding="utf-8") as summary:
        summary.write(text + "\n")
    return path


def workflow_commands(result: CaseResult) -> list[str]:
    """``::error`` for refuted and errored claims, ``::warning`` for claims that are inconclusive
    or not evaluated and for undeveloped parts of the argument; each at the test's file and line."""
    commands = []
    for node in result.claims():
        if not node.in_scope or node.verdict not in (*_ERRORS, *_WARNINGS):
            continue
        level = "error" if node.verdict in _ERRORS else "warning"
        path, line = _location(node)
        reason = node.reason or node.verdict.value
        commands.append(
            _command(
                level, f"claim {node.id} {node.verdict.value}", f"{node.text}: {reason}", path, line
            )
        )
    for node in result.nodes.values():
        if node.in_scope and is_open_leaf(node):
            commands.append(
                _command(
                    "warning",
                    f"{node.type.value.lower()} {node.id} undeveloped",
                    f"{node.text}: {node.reason or 'not developed yet'}",
                    result.source if node.line else None,
                    node.line,
                )
            )
    return commands


def _location(node: NodeResult) -> tuple[str | None, int | None]:
    """The first test that does not support the claim (else the first test)."""
    tests = [test for test in node.tests if test.verdict is not Verdict.SUPPORTED] or node.tests
    first = tests[0]
    return (first.path or None), first.line


def _command(level: str, title: str, message: str, path: str | None, line: int | None) -> str:
    props = []
    if path:
        props.append(f"file={escape_property(path)}")
        if line:
            props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """GitHub's escaping for a command's message: %, carriage return, newline; the command is
    printed to the terminal too, so any other control character shows as an escape."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return visible(text)


def escape_property(text: str) -> str:
    """Property values also escape ':' and ',' (they separate properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
