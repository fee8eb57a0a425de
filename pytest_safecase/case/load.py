"""Read a safety-case YAML file in the shape gsn2x reads, keeping line numbers for messages."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from pytest_safecase.case.model import ARGUMENT_CATEGORIES, CaseFile, Node, NodeType
from pytest_safecase.case.problems import Problem

OWN_KEYS = {"x-level", "x-argument", "x-accepted", "x-risk-budget"}
NODE_KEYS = {"text", "nodeType", "supportedBy", "inContextOf", "undeveloped", "url", "classes"}
_SNAKE_HINTS = {
    "supported_by": "supportedBy",
    "in_context_of": "inContextOf",
    "node_type": "nodeType",
    "type": "nodeType",
}


class _KeyLines(dict[str, Any]):
    """A mapping that remembers the line of each key and every duplicate key it met."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int]] = []


@functools.cache
def _yaml() -> tuple[type[Any], type[Exception]]:
    """A SafeLoader that records key lines and duplicate keys, and the error class of the same
    yaml module (built on first use: yaml is slow to import and a run without a case file never
    needs it; kept together so a re-imported yaml cannot let a parse error escape)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _KeyLines:  # type: ignore[override]
            mapping = _KeyLines()
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                if key in mapping:
                    mapping.duplicates.append((str(key), line))
                mapping[key] = self.construct_object(value_node, deep=deep)
                mapping.lines[str(key)] = line
            return mapping

    Loader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
        Loader.construct_mapping,  # type: ignore[arg-type]
    )
    return Loader, yaml.YAMLError


def load_case(path: Path | str) -> tuple[CaseFile, list[Problem]]:
    """Parse ``path`` into a :class:`CaseFile` and the problems met while reading it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return CaseFile(path, {}), [Problem(str(path), None, None, "file", f"cannot read: {exc}")]
    return parse_case(text, path)


def parse_case(text: str, path: Path | None = None) -> tuple[CaseFile, list[Problem]]:
    where = str(path) if path else "<string>"
    case = CaseFile(path, {})
    loader_class, yaml_error = _yaml()
    loader = loader_class(text)
    try:
        document = loader.get_single_data()
    except yaml_error as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return case, [Problem(where, line, None, "yaml", f"not valid YAML: {reason}")]
    finally:
        loader.dispose()
    if document is None:
        return case, [Problem(where, None, None, "root", "the file defines no nodes")]
    if not isinstance(document, _KeyLines):
        return case, [
            Problem(where, 1, None, "yaml", "the top level must be a mapping of node ids")
        ]

    problems = [
        Problem(where, line, key, "duplicate-id", f"'{key}' is defined more than once")
        for key, line in document.duplicates
    ]
    for key, value in document.items():
        line = document.lines.get(str(key))
        if not isinstance(key, str):
            problems.append(Problem(where, line, str(key), "node-id", "node ids must be strings"))
        elif key == "module":
            if not isinstance(value, dict):
                problems.append(Problem(where, line, key, "module", "'module' must be a mapping"))
            else:
                case.module = dict(value)
        elif key.startswith("x-"):
            case.metadata[key] = _plain(value)
        else:
            node = _parse_node(key, value, line, where, problems)
            if node is not None:
                case.nodes[key] = node
    return case, problems


def _parse_node(
    node_id: str, body: Any, line: int | None, where: str, problems: list[Problem]
) -> Node | None:
    def problem(rule: str, message: str, at: str | None = None) -> None:
        at_line = body.lines.get(at, line) if at and isinstance(body, _KeyLines) else line
        problems.append(Problem(where, at_line, node_id, rule, message))

    if not isinstance(body, dict):
        problem("node", "a node must be a mapping with at least nodeType and text")
        return None
    for key, key_line in getattr(body, "duplicates", []):
        problems.append(Problem(where, key_line, node_id, "duplicate-key", f"'{key}' is repeated"))
    for key in body:
        if key in NODE_KEYS or (isinstance(key, str) and key.startswith("x-")):
            continue
        hint = _SNAKE_HINTS.get(key)
        suffix = f"; did you mean '{hint}'?" if hint else " (extra keys must start with 'x-')"
        problem("unknown-key", f"unknown key '{key}'{suffix}", key)

    raw_type = body.get("nodeType")
    try:
        node_type = NodeType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in NodeType)
        problem("node-type", f"nodeType must be one of {allowed}, got {raw_type!r}", "nodeType")
        return None
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        problem("text", "every node needs a non-empty 'text'", "text")
        text = ""

    node = Node(id=node_id, type=node_type, text=" ".join(text.split()), line=line)
    node.supported_by = _id_list(body, "supportedBy", problem)
    node.in_context_of = _id_list(body, "inContextOf", problem)
    undeveloped = body.get("undeveloped", False)
    if not isinstance(undeveloped, bool):
        problem("undeveloped", "'undeveloped' must be true or false", "undeveloped")
    node.undeveloped = undeveloped is True
    level = body.get("x-level")
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            problem("level", f"x-level must be a whole number >= 1, got {level!r}", "x-level")
        else:
            node.level = level
    argument = body.get("x-argument")
    if argument is not None:
        if argument not in ARGUMENT_CATEGORIES:
            allowed = ", ".join(ARGUMENT_CATEGORIES)
            problem(
                "argument", f"x-argument must be one of {allowed}, got {argument!r}", "x-argument"
            )
        else:
            node.argument = argument
    budget = body.get("x-risk-budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not 0 <= budget <= 1:
            problem(
                "risk-budget",
                f"x-risk-budget must be a probability in [0, 1], got {budget!r}",
                "x-risk-budget",
            )
        elif node_type is not NodeType.GOAL:
            problem("risk-budget", "only a goal can carry an x-risk-budget", "x-risk-budget")
        else:
            node.risk_budget = float(budget)
    accepted = body.get("x-accepted", False)
    if not isinstance(accepted, bool):
        problem("accepted", "'x-accepted' must be true or false", "x-accepted")
    node.accepted = accepted is True
    node.extra = {
        key: _plain(value)
        for key, value in body.items()
        if key in {"url", "classes"} or (key.startswith("x-") and key not in OWN_KEYS)
    }
    return node


def _id_list(body: dict[str, Any], key: str, problem: Any) -> list[str]:
    value = body.get(key)
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        problem("reference", f"'{key}' must be a node id or a list of node ids", key)
        return []
    return list(items)


def _plain(value: Any) -> Any:
    """Turn loader mappings back into plain dicts."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
