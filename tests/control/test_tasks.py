"""Tasks: the bundled HumanEval set, visible-example parsing and user JSONL files."""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path

import pytest

from pytest_safecase.control.tasks import (
    TaskFormatError,
    TaskSet,
    load_humaneval,
    load_jsonl,
    parse_visible_examples,
)
from pytest_safecase.sandbox import run_tests

ADD_ROW = {
    "task_id": "mine/add",
    "prompt": 'def add(a: int, b: int) -> int:\n    """Sum.\n    >>> add(1, 2)\n    3\n    """\n',
    "entry_point": "add",
    "canonical_solution": "    return a + b\n",
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n",
}
NEGATE_ROW = {
    "task_id": "mine/negate",
    "prompt": "def negate(x):\n    pass\n",
    "entry_point": "negate",
    "solution": "def negate(x):\n    return -x\n",
    "test": "def check(candidate):\n    assert candidate(1) == -1\n",
}


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_humaneval_has_164_tasks_with_runnable_ground_truth() -> None:
    tasks = load_humaneval()
    assert len(tasks) == 164
    assert tasks.name == "HumanEval"
    assert len({task.task_id for task in tasks}) == 164
    for task in tasks:
        assert task.reference_solution.startswith(task.prompt)
        module = ast.parse(task.reference_solution)
        defined = {node.name for node in module.body if isinstance(node, ast.FunctionDef)}
        assert task.entry_point in defined, task.task_id
        assert "def check(candidate)" in task.tests, task.task_id


def test_content_hash_is_stable_and_tracks_content() -> None:
    tasks = load_humaneval()
    rebuilt = TaskSet(name="another name", tasks=tasks.tasks)
    assert len(tasks.content_hash) == 64
    assert rebuilt.content_hash == tasks.content_hash
    assert tasks.subset(10).content_hash != tasks.content_hash
    assert tasks.subset(10).content_hash == tasks.subset(10).content_hash


def test_lookup_by_id_and_index_and_stable_subset() -> None:
    tasks = load_humaneval()
    assert tasks["HumanEval/3"] is tasks[3]
    assert tasks[-1].task_id == "HumanEval/163"
    assert [task.task_id for task in tasks.subset(3)] == [f"HumanEval/{i}" for i in range(3)]
    assert len(tasks.subset(0)) == 0
    with pytest.raises(KeyError, match="HumanEval/999"):
        tasks["HumanEval/999"]
    with pytest.raises(ValueError, match="subset size"):
        tasks.subset(165)


def test_visible_examples_of_humaneval() -> None:
    tasks = load_humaneval()
    assert tasks["HumanEval/0"].visible_examples == (
        "has_close_elements([1.0, 2.0, 3.0], 0.5)",
        "has_close_elements([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3)",
    )
    # round(find_zero(...), 2) yields the inner call; helper is_palindrome's examples are not calls
    # of the entry point make_palindrome.
    assert tasks["HumanEval/32"].visible_examples == (
        "find_zero([1, 2])",
        "find_zero([-6, 11, -6, 1])",
    )
    assert all(e.startswith("make_palindrome(") for e in tasks["HumanEval/10"].visible_examples)
    # Prose examples such as "will_it_fly([1, 2], 5) ➞ False".
    assert tasks["HumanEval/72"].visible_examples[0] == "will_it_fly([1, 2], 5)"
    with_examples = [task for task in tasks if task.visible_examples]
    assert len(with_examples) >= 130
    for task in with_examples:
        for example in task.visible_examples:
            call = ast.parse(example, mode="eval").body
            assert isinstance(call, ast.Call) and call.func.id == task.entry_point  # type: ignore[attr-defined]


def test_visible_examples_join_continuation_lines_and_skip_other_statements() -> None:
    prompt = '''def pairs(items, size):
    """Chunk a list.
    >>> import math
    >>> helper(3)
    >>> pairs([1, 2,
    ...        3, 4], 2)
    [[1, 2], [3, 4]]
    >>> pairs([], 1) == []
    True
    >>> pairs([1], 1
    >>> x = pairs([1], 1)
    """
'''
    assert parse_visible_examples(prompt, "pairs") == (
        "pairs([1, 2,\n       3, 4], 2)",
        "pairs([], 1)",
    )


def test_load_jsonl_accepts_body_or_complete_solution(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", [ADD_ROW, NEGATE_ROW])
    tasks = load_jsonl(path)
    assert tasks.name == "mine.jsonl"
    assert tasks["mine/add"].reference_solution == ADD_ROW["prompt"] + ADD_ROW["canonical_solution"]
    assert tasks["mine/add"].visible_examples == ("add(1, 2)",)
    assert tasks["mine/negate"].reference_solution == NEGATE_ROW["solution"]
    gz_path = tmp_path / "mine.jsonl.gz"
    gz_path.write_bytes(gzip.compress(path.read_bytes()))
    assert load_jsonl(gz_path, name="zipped").content_hash == tasks.content_hash


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [ADD_ROW, {k: v for k, v in NEGATE_ROW.items() if k != "prompt"}],
            r":2: field 'prompt' is missing",
        ),
        ([ADD_ROW, {**NEGATE_ROW, "entry_point": ""}], r":2: field 'entry_point'"),
        (
            [{k: v for k, v in ADD_ROW.items() if k != "canonical_solution"}],
            r":1: needs a 'solution'",
        ),
        (
            [{**NEGATE_ROW, "solution": "def negate(x:\n"}],
            r":1: reference solution has a syntax error",
        ),
        ([{**NEGATE_ROW, "entry_point": "other"}], r":1: reference solution does not define other"),
        ([{**NEGATE_ROW, "test": "assert True\n"}], r":1: test does not define check"),
        ([ADD_ROW, ADD_ROW], r"duplicate task_id 'mine/add'"),
        ([["not", "an", "object"]], r":1: expected a JSON object"),
    ],
)
def test_load_jsonl_names_the_bad_row(tmp_path: Path, rows: list[object], message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(TaskFormatError, match=message) as raised:
        load_jsonl(path)
    assert str(path) in str(raised.value)


def test_load_jsonl_reports_invalid_json_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text(json.dumps(ADD_ROW) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(TaskFormatError, match=rf"{path}:3: invalid JSON"):
        load_jsonl(path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(TaskFormatError, match="no tasks"):
        load_jsonl(empty)


APPS_ROW = {
    "problem_id": 7,
    "question": 'Print the sum of two integers a and b.\nQuotes """ and a \\ stay text.',
    "solutions": json.dumps(["a, b = map(int, input().split())\nprint(a + b)\n"]),
    "input_output": json.dumps({"inputs": ["1 2\n", "10 -3\n"], "outputs": ["3\n", "7\n"]}),
}


def test_load_jsonl_reads_apps_rows_as_stdin_functions(tmp_path: Path) -> None:
    call_based = {**APPS_ROW, "input_output": json.dumps({"fn_name": "f", "inputs": [[1]]})}
    path = tmp_path / "apps.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in (APPS_ROW, call_based)))
    tasks = load_jsonl(path)
    assert len(tasks) == 1 and "1 call-based APPS problems skipped" in tasks.name
    task = tasks["APPS/7"]
    assert task.entry_point == "solve" and task.visible_examples == ("solve('1 2\\n')",)
    assert 'Quotes """ and a \\ stay text.' in ast.get_docstring(ast.parse(task.prompt).body[0])
    assert (
        run_tests(task.reference_solution, task.tests, "solve", prelude=task.prompt).status
        == "passed"
    )
    wrong = task.prompt + "    return '3'\n"  # right on the visible example only
    assert run_tests(wrong, task.tests, "solve", prelude=task.prompt).status == "failed"


def test_an_apps_row_without_solutions_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "apps.jsonl"
    path.write_text(json.dumps({**APPS_ROW, "solutions": "[]"}))
    with pytest.raises(TaskFormatError, match="APPS row: needs at least one solution"):
        load_jsonl(path)
