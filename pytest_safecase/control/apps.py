"""APPS problems (Hendrycks et al. 2021), the setting of Greenblatt et al. 2023, as tasks.

An APPS row has ``question`` (the statement), ``solutions`` (programs reading stdin and writing
stdout) and ``input_output`` (``{"inputs": [...], "outputs": [...]}``); the last two are JSON
strings in the Hugging Face copy and plain values in the original files. The control engine works
on Python functions, so each stdin/stdout problem becomes the function ``solve(stdin: str) ->
str``: its docstring is the statement with the first test case as a visible example, the reference
solution runs APPS's first solution on ``stdin`` and returns what it printed, and the hidden tests
compare whitespace-separated tokens, as APPS's own checker does. Call-based problems (with a
``fn_name``) are left out: their starter code is a class method, not a function.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["ENTRY_POINT", "is_apps_row", "task_fields"]

ENTRY_POINT = "solve"

_RUNNER = """    import contextlib, io, sys
    printed, given = io.StringIO(), sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(PROGRAM, "<apps>", "exec"), {"__name__": "__main__"})
    except SystemExit:
        pass
    finally:
        sys.stdin = given
    return printed.getvalue()
"""


def is_apps_row(row: dict[str, Any]) -> bool:
    """Whether a JSON row has APPS's fields rather than HumanEval's."""
    return "question" in row and "input_output" in row


def _decoded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _docstring(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def task_fields(row: dict[str, Any]) -> dict[str, str] | None:
    """HumanEval-layout fields (``task_id``, ``prompt``, ``entry_point``, ``solution``, ``test``)
    for a stdin/stdout APPS row; None for a call-based one. Raises ValueError if malformed."""
    cases = _decoded(row["input_output"])
    solutions = _decoded(row.get("solutions") or "[]")
    if not isinstance(cases, dict) or not isinstance(solutions, list):
        raise ValueError("input_output must be an object and solutions a list")
    if cases.get("fn_name"):
        return None
    inputs, outputs = cases.get("inputs"), cases.get("outputs")
    if not inputs or not isinstance(inputs, list) or not isinstance(outputs, list):
        raise ValueError("input_output needs non-empty 'inputs' and 'outputs' lists")
    if len(inputs) != len(outputs) or not all(isinstance(x, str) for x in inputs + outputs):
        raise ValueError("input_output 'inputs' and 'outputs' must be strings, pairwise")
    if not solutions or not isinstance(solutions[0], str):
        raise ValueError("needs at least one solution program")
    prompt = (
        f"def {ENTRY_POINT}(stdin: str) -> str:\n"
        f'    """{_docstring(str(row["question"]).strip())}\n\n'
        f"    >>> {ENTRY_POINT}({inputs[0]!r})\n"
        f"    {outputs[0]!r}\n"
        '    """\n'
    )
    solution = f"PROGRAM = {solutions[0]!r}\n\n\n{prompt}{_RUNNER}"
    test = (
        f"CASES = {list(zip(inputs, outputs, strict=True))!r}\n\n\n"
        "def check(candidate):\n"
        "    for given, expected in CASES:\n"
        "        assert str(candidate(given)).split() == expected.split(), given\n"
    )
    task_id = f"APPS/{row.get('problem_id', row.get('task_id', '?'))}"
    return {
        "task_id": task_id,
        "prompt": prompt,
        "entry_point": ENTRY_POINT,
        "solution": solution,
        "test": test,
    }
