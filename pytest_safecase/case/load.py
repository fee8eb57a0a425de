"""Read a safety-case YAML file in the shape gsn2x reads, keeping line numbers for messages.

A case file may come from anywhere, so reading it must fail with a :class:`Problem` naming the
file and line, never with an exception: bytes are decoded here, and the YAML event stream is
screened (nesting depth, alias expansion, recursive aliases, tags) before anything is built.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime
import functools
import re
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

from pytest_safecase.case.model import (
    ARGUMENT_CATEGORIES,
    ID_PREFIXES,
    CaseFile,
    Node,
    NodeType,
    type_from_id,
)
from pytest_safecase.case.problems import WARNING, Problem, errors

OWN_KEYS = {"x-level", "x-argument", "x-accepted", "x-risk-budget", "x-risk-per-level"}
GSN2X_KEYS = {
    "url",
    "classes",
    "rankIncrement",
    "horizontalIndex",
    "charWrap",
    "acp",
    "defeatedRelation",
}
"""gsn2x keys with no meaning for the verdicts: kept as written and exported again."""
NODE_KEYS = {
    "text",
    "nodeType",
    "supportedBy",
    "inContextOf",
    "undeveloped",
    "challenges",
    "defeated",
    *GSN2X_KEYS,
}
MODULE_FILE_SUFFIXES = (".gsn.yaml", ".yaml")
"""Where ``extends: [{module: NAME}]`` looks for a module no ``uses`` loaded: NAME.gsn.yaml or
NAME.yaml beside the file that extends it."""
_SNAKE_HINTS = {
    "supported_by": "supportedBy",
    "in_context_of": "inContextOf",
    "node_type": "nodeType",
    "type": "nodeType",
}

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings a case file may have (gsn2x files need 3). PyYAML builds
nested values recursively, so the bound keeps it far from Python's recursion limit."""

MAX_ALIAS_NODES = 10_000
"""How many YAML nodes aliases may add on top of those written out: ordinary anchors stay usable,
an alias bomb (a billion laughs) is refused before it is expanded."""

_CORE = "tag:yaml.org,2002:"
_PLAIN_KINDS = ("str", "int", "float", "bool", "null", "seq", "map")
_PLAIN_TAGS = {"!"} | {_CORE + kind for kind in _PLAIN_KINDS}
"""Explicit tags a case file may use: those that name a plain JSON-like value. Others (!!binary,
!!set, !!timestamp, !!python/..., local !tags) build values no case file needs or no report can
serialise."""


@functools.cache
def _non_printable() -> re.Pattern[str]:
    """Characters YAML does not allow in a stream (the same set PyYAML's reader checks).

    Compiled on first use: its wide ranges take re's compiler about as long as importing the
    rest of the case package, and a run without a case file never needs it.
    """
    return re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class _KeyLines(dict[str, Any]):
    """A mapping that remembers the line of each key and every duplicate key it met."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []
        """(key, line of this definition, line of the one before it)."""


@functools.cache
def _yaml() -> tuple[type[Any], type[Exception]]:
    """A safe loader that records key lines and duplicate keys, and the error class of the same
    yaml module (built on first use: yaml is slow to import and a run without a case file never
    needs it; kept together so a re-imported yaml cannot let a parse error escape).

    It is libyaml's CSafeLoader when yaml was built with it (8 times faster), else SafeLoader;
    either builds nested values recursively, which :func:`_screen` bounds beforehand.
    """
    import yaml

    error = yaml.constructor.ConstructorError

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep=deep)
            except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
                # SafeConstructor reads a scalar such as `!!int x`, `0b_` or `2024-02-30` with
                # int(), float() or date() and lets their errors through without a line.
                if not isinstance(node, yaml.ScalarNode):
                    raise
                kind = node.tag.removeprefix(_CORE)
                value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
                reason = str(exc) if len(str(exc)) <= 80 else type(exc).__name__
                raise error(
                    None, None, f"cannot read {value!r} as {kind} ({reason})", node.start_mark
                ) from None

        def construct_mapping(self, node: yaml.Node, deep: bool = False) -> _KeyLines:
            if not isinstance(node, yaml.MappingNode):
                kind = type(node).__name__.removesuffix("Node").lower()
                raise error(None, None, f"expected a mapping, found a {kind}", node.start_mark)
            mapping = _KeyLines()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise error(
                        None,
                        None,
                        "a mapping key must be a plain value, not a list or a mapping",
                        key_node.start_mark,
                    )
                key = self.construct_object(key_node, deep=deep)
                line = key_node.start_mark.line + 1
                if key in mapping:
                    mapping.duplicates.append((str(key), line, mapping.lines[str(key)]))
                mapping[key] = self.construct_object(value_node, deep=deep)
                mapping.lines[str(key)] = line
            return mapping

    Loader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
        Loader.construct_mapping,
    )
    return Loader, yaml.YAMLError


def load_case(path: Path | str) -> tuple[CaseFile, list[Problem]]:
    """Parse ``path`` and every module it uses into one :class:`CaseFile`, with the problems
    (errors and warnings) met while reading them.

    ``module: {uses: [...]}`` names further files relative to the file naming them; they are read
    depth first, each once (a module used twice or a cycle of uses is an error, as in gsn2x), and
    ``extends`` develops undeveloped goals of another module.
    """
    path = Path(path)
    case, problems = _read(path)
    if errors(problems):
        return case, problems
    case.files = [path]
    _Modules(case, problems).load()
    return case, problems


def _read(path: Path) -> tuple[CaseFile, list[Problem]]:
    """One file into a :class:`CaseFile`, its modules not followed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return CaseFile(path, {}), [Problem(str(path), None, None, "file", f"cannot read: {exc}")]
    text = decode_case(data, str(path))
    if isinstance(text, Problem):
        return CaseFile(path, {}), [text]
    return parse_case(text, path)


def decode_case(data: bytes, where: str) -> str | Problem:
    """The text of a case file, which must be UTF-8 (a byte order mark is allowed, as YAML does),
    or the problem saying where it is not."""
    for bom, name in _FOREIGN_BOMS:
        if data.startswith(bom):
            return Problem(where, 1, None, "encoding", f"the file is {name}; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        return Problem(
            where,
            line,
            None,
            "encoding",
            f"not valid UTF-8: byte 0x{data[offset]:02x} at column {column}; save it as UTF-8",
        )


def parse_case(text: str, path: Path | None = None) -> tuple[CaseFile, list[Problem]]:
    """Parse the text of a case file; every way it can be wrong comes back as a problem."""
    where = str(path) if path else "<string>"
    case = CaseFile(path, {})
    text = text.removeprefix("\ufeff")
    bad = _non_printable().search(text)
    if bad is not None:
        return case, [_bad_character(text, bad.start(), where)]
    loader_class, yaml_error = _yaml()
    loader = None
    try:
        with contextlib.closing(_events(loader_class, text)) as events:
            refused = _screen(events, where)
        if refused is not None:
            return case, [refused]
        loader = loader_class(text)
        document = loader.get_single_data()
    except yaml_error as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return case, [Problem(where, line, None, "yaml", f"not valid YAML: {reason}")]
    finally:
        if loader is not None:
            loader.dispose()
    if document is None:
        return case, [Problem(where, None, None, "root", "the file defines no nodes")]
    if not isinstance(document, _KeyLines):
        return case, [
            Problem(where, 1, None, "yaml", "the top level must be a mapping of node ids")
        ]

    problems = [
        Problem(
            where,
            line,
            key,
            "duplicate-id",
            f"'{key}' is defined more than once: at lines {before} and {line}",
        )
        for key, line, before in document.duplicates
    ]
    for key, value in document.items():
        line = document.lines.get(str(key))
        if not isinstance(key, str):
            problems.append(Problem(where, line, str(key), "node-id", "node ids must be strings"))
        elif key == "module":
            if not isinstance(value, dict):
                problems.append(Problem(where, line, key, "module", "'module' must be a mapping"))
            else:
                case.module = _plain(value)
                case.module_lines = {str(k): n for k, n in getattr(value, "lines", {}).items()}
                case.module_lines["module"] = line or 1
        elif key.startswith("x-"):
            case.metadata[key] = _plain(value)
        else:
            node = _parse_node(key, value, line, where, problems)
            if node is not None:
                node.source = path
                case.nodes[key] = node
    wrong = {problem.node for problem in problems if problem.rule == "text"}
    blank = [node for node in case.nodes.values() if not node.text and node.id not in wrong]
    if blank:
        problems.append(
            Problem(
                where,
                blank[0].line,
                None,
                "text",
                f"{', '.join(node.id for node in blank)} "
                f"{'has' if len(blank) == 1 else 'have'} no text; give each a non-empty 'text'",
                WARNING,
            )
        )
    return case, problems


def _bad_character(text: str, offset: int, where: str) -> Problem:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    char = text[offset]
    name = "a NUL byte" if char == "\0" else f"the control character U+{ord(char):04X}"
    hint = " (a UTF-16 file? save it as UTF-8)" if char == "\0" else ""
    return Problem(
        where,
        line,
        None,
        "encoding",
        f"the file contains {name} at column {column}, which YAML does not allow{hint}",
    )


def _events(loader_class: type[Any], text: str) -> Generator[Any, None, None]:
    """The YAML event stream of ``text``: parsing alone builds nothing, so it is safe to read
    however hostile the file."""
    loader = loader_class(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def _screen(events: Iterable[Any], where: str) -> Problem | None:
    """The first reason to refuse building the document from ``events``: nesting deeper than
    :data:`MAX_DEPTH`, an alias to an undefined or enclosing anchor (a recursive alias), aliases
    that add more than :data:`MAX_ALIAS_NODES` nodes, or a tag outside :data:`_PLAIN_TAGS`.

    One pass, no recursion: ``sizes`` holds the expanded node count of every open list or
    mapping, ``anchors`` the expanded size of every anchor (None while it is still open).
    """
    from yaml import events as ev

    def refuse(event: Any, rule: str, message: str) -> Problem:
        return Problem(where, event.start_mark.line + 1, None, rule, message)

    sizes = [0]
    opened: list[str | None] = []
    anchors: dict[str, int | None] = {}
    added = 0
    for event in events:
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            shown = "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
            return refuse(
                event, "yaml", f"the tag {shown} is not allowed in a case file; write a plain value"
            )
        if isinstance(event, ev.DocumentStartEvent):
            sizes, opened, anchors = [0], [], {}
        elif isinstance(event, ev.ScalarEvent):
            sizes[-1] += 1
            if event.anchor is not None:
                anchors[event.anchor] = 1
        elif isinstance(event, ev.CollectionStartEvent):
            if len(sizes) > MAX_DEPTH:
                return refuse(
                    event, "yaml", f"lists and mappings nest more than {MAX_DEPTH} levels deep"
                )
            if event.anchor is not None:
                anchors[event.anchor] = None
            sizes.append(1)
            opened.append(event.anchor)
        elif isinstance(event, ev.CollectionEndEvent):
            size = sizes.pop()
            sizes[-1] += size
            anchor = opened.pop()
            if anchor is not None:
                anchors[anchor] = size
        elif isinstance(event, ev.AliasEvent):
            if event.anchor not in anchors:
                return refuse(event, "yaml", f"the alias *{event.anchor} names no anchor before it")
            expanded = anchors[event.anchor]
            if expanded is None:
                return refuse(
                    event,
                    "yaml",
                    f"the alias *{event.anchor} is recursive: it stands inside the &{event.anchor} "
                    "it names",
                )
            added += expanded
            if added > MAX_ALIAS_NODES:
                return refuse(
                    event,
                    "yaml",
                    f"aliases would expand the file by more than {MAX_ALIAS_NODES} values "
                    "(an alias bomb?); write the values out or use fewer aliases",
                )
            sizes[-1] += expanded
    return None


def _parse_node(
    node_id: str, body: Any, line: int | None, where: str, problems: list[Problem]
) -> Node | None:
    def problem(rule: str, message: str, at: str | None = None, severity: str = "error") -> None:
        at_line = body.lines.get(at, line) if at and isinstance(body, _KeyLines) else line
        problems.append(Problem(where, at_line, node_id, rule, message, severity))

    if not isinstance(body, dict):
        problem("node", "a node must be a mapping with at least its text")
        return None
    for key, key_line, before in getattr(body, "duplicates", []):
        repeated = f"'{key}' is repeated: at lines {before} and {key_line}"
        problems.append(Problem(where, key_line, node_id, "duplicate-key", repeated))
    key_lines: dict[str, int] = getattr(body, "lines", {})
    layers: dict[str, str] = {}
    for key, value in body.items():
        if not isinstance(key, str):
            at_line = key_lines.get(str(key), line)
            problems.append(Problem(where, at_line, node_id, "key", "keys must be strings"))
            continue
        if key in NODE_KEYS or key.startswith("x-"):
            continue
        hint = _SNAKE_HINTS.get(key)
        if hint is None and isinstance(value, str):
            layers[key] = value  # gsn2x shows any other text-valued key as a layer
            continue
        suffix = (
            f"; did you mean '{hint}'?"
            if hint
            else " (a layer holds text; other extra keys must start with 'x-')"
        )
        problem("unknown-key", f"unknown key '{key}'{suffix}", key)

    raw_type = body.get("nodeType")
    if raw_type is None:  # a misspelt nodeType has its error already: read it, not a second one
        misspelt = [key for key, hint in _SNAKE_HINTS.items() if hint == "nodeType"]
        raw_type = next((body[key] for key in misspelt if key in body), None)
    node_type = _node_type(node_id, raw_type, problem)
    if node_type is None:
        return None
    text = body.get("text")
    if text is None:
        text = ""  # gsn2x draws it empty; parse_case warns once for the whole file
    elif not isinstance(text, str):
        problem("text", "every node needs a non-empty 'text'", "text")
        text = ""

    node = Node(id=node_id, type=node_type, text=" ".join(text.split()), line=line)
    node.supported_by = _id_list(body, "supportedBy", problem)
    node.in_context_of = _id_list(body, "inContextOf", problem)
    node.challenges = _id_list(body, "challenges", problem)
    node.undeveloped = _flag(body, "undeveloped", problem)
    node.defeated = _flag(body, "defeated", problem)
    _check_layout(body, problem)
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
    node.risk_per_level = _flag(body, "x-risk-per-level", problem)
    if node.risk_per_level and node.risk_budget is None:
        problem(
            "risk-budget",
            "x-risk-per-level says how a risk budget adds up: it needs an x-risk-budget beside it",
            "x-risk-per-level",
        )
    node.accepted = _flag(body, "x-accepted", problem)
    node.extra = {
        key: _plain(value)
        for key, value in body.items()
        if isinstance(key, str)
        and (key in GSN2X_KEYS or (key.startswith("x-") and key not in OWN_KEYS))
    }
    node.extra.update(layers)
    if "\n" in text.strip():
        node.extra["text"] = text  # verbatim, so an export keeps gsn2x's lists and line breaks
    return node


def _node_type(node_id: str, raw_type: Any, problem: Any) -> NodeType | None:
    """``nodeType`` as written, else the type gsn2x reads from the id's prefix."""
    if raw_type is None:
        node_type = type_from_id(node_id)
        if node_type is None:
            prefixes = ", ".join(prefix for prefix, _ in ID_PREFIXES)
            problem(
                "node-type",
                f"no nodeType, and the id starts with none of gsn2x's prefixes ({prefixes})",
            )
        return node_type
    try:
        return NodeType(raw_type)
    except ValueError:
        allowed = ", ".join(t.value for t in NodeType)
        problem("node-type", f"nodeType must be one of {allowed}, got {raw_type!r}", "nodeType")
        return None


def _flag(body: dict[str, Any], key: str, problem: Any) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        problem(key.removeprefix("x-"), f"'{key}' must be true or false", key)
    return value is True


def _check_layout(body: dict[str, Any], problem: Any) -> None:
    """The shapes gsn2x accepts for its layout, confidence and dialectic keys, which it would
    otherwise reject when the export is drawn."""

    def whole(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def ids(value: Any) -> bool:
        items = [value] if isinstance(value, str) else value
        return isinstance(items, list) and all(isinstance(item, str) for item in items)

    if "rankIncrement" in body and not whole(body["rankIncrement"]):
        problem("layout", "'rankIncrement' must be a whole number", "rankIncrement")
    if "charWrap" in body and not (whole(body["charWrap"]) and body["charWrap"] > 0):
        problem("layout", "'charWrap' must be a whole number above 0", "charWrap")
    index = body.get("horizontalIndex")
    if index is not None and not (
        isinstance(index, dict)
        and len(index) == 1
        and (
            whole(index.get("relative"))
            or whole(index.get("absolute"))
            or index.get("absolute") == "last"
        )
    ):
        problem(
            "layout",
            "'horizontalIndex' must be {relative: N} or {absolute: N or last}",
            "horizontalIndex",
        )
    acp = body.get("acp")
    if acp is not None and not (
        isinstance(acp, dict) and all(isinstance(k, str) and ids(v) for k, v in acp.items())
    ):
        problem("acp", "'acp' maps each claim point's name to a node id or a list of ids", "acp")
    if "defeatedRelation" in body and not ids(body["defeatedRelation"]):
        problem(
            "defeated",
            "'defeatedRelation' must be a node id or a list of node ids",
            "defeatedRelation",
        )


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
    """Turn loader mappings back into plain dicts, and dates (YAML reads 2024-05-01 as one) into
    ISO strings, so metadata can go into a JSON report. Recursive: :func:`_screen` bounds depth."""
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class _Modules:
    """Reads the modules an index file uses and extends into it, checking gsn2x's rules across
    files: each module read once, no cycle of uses, unique module names (C06) and ids (C07),
    extended modules present (C09) and extended goals undeveloped (C10)."""

    def __init__(self, index: CaseFile, problems: list[Problem]) -> None:
        assert index.path is not None
        self.index = index
        self.problems = problems
        self.loaded: list[CaseFile] = []
        self.used_at: dict[Path, str] = {}
        self.names: dict[str, CaseFile] = {}

    def load(self) -> None:
        self._take(self.index, "the command line")
        self._uses(self.index, (self.index.path.resolve(),))  # type: ignore[union-attr]
        position = 0
        while position < len(self.loaded):  # extends may read a further module
            self._extends(self.loaded[position])
            position += 1

    def _take(self, module: CaseFile, used_at: str) -> None:
        assert module.path is not None
        self.loaded.append(module)
        self.used_at[module.path.resolve()] = used_at
        name = module.module.get("name")
        if isinstance(name, str):
            first = self.names.setdefault(name, module)
            if first is not module:
                self._error(
                    module,
                    "module",
                    "module-name",
                    f"the module name '{name}' is also the name of {first.path}; "
                    "module names are unique (gsn2x C06)",
                )

    def _error(self, module: CaseFile, key: str, rule: str, message: str) -> None:
        line = module.module_lines.get(key) or module.module_lines.get("module")
        self.problems.append(Problem(str(module.path), line, None, rule, message))

    def _uses(self, module: CaseFile, chain: tuple[Path, ...]) -> None:
        assert module.path is not None
        uses = module.module.get("uses", [])
        uses = [uses] if isinstance(uses, str) else uses
        if not isinstance(uses, list) or not all(isinstance(item, str) for item in uses):
            self._error(module, "uses", "module", "'uses' must be a file name or a list of them")
            return
        for name in uses:
            target = (module.path.parent / name).resolve()
            if target in chain:
                loop = " -> ".join(path.name for path in (*chain[chain.index(target) :], target))
                self._error(module, "uses", "module-cycle", f"modules use each other: {loop}")
            elif target in self.used_at:
                self._error(
                    module,
                    "uses",
                    "module-reused",
                    f"uses {name}, which {self.used_at[target]} already uses; "
                    "each module is used once",
                )
            else:
                sub = self._read(module, "uses", module.path.parent / name)
                if sub is not None:
                    self._take(sub, f"{module.path}:{module.module_lines.get('uses')}")
                    self._uses(sub, (*chain, target))

    def _read(self, module: CaseFile, key: str, path: Path) -> CaseFile | None:
        """Read a module file and merge its nodes; None when it cannot be used."""
        sub, problems = _read(path)
        if any(problem.rule == "file" for problem in problems):
            self._error(module, key, "module", f"{key} {path.name}, which cannot be read")
            return None
        self.problems.extend(problems)
        if errors(problems):
            return None
        for node_id, node in sub.nodes.items():
            first = self.index.nodes.setdefault(node_id, node)
            if first is not node:
                self.problems.append(
                    Problem(
                        str(path),
                        node.line,
                        node_id,
                        "duplicate-id",
                        f"'{node_id}' is also defined at {first.source}:{first.line}; "
                        "ids are unique across modules (gsn2x C07)",
                    )
                )
        for key_name, value in sub.metadata.items():
            self.index.metadata.setdefault(key_name, value)
        self.index.files.append(path)
        return sub

    def _extends(self, module: CaseFile) -> None:
        assert module.path is not None
        extends = module.module.get("extends", [])
        if not isinstance(extends, list):
            self._error(module, "extends", "module", "'extends' must be a list")
            return
        for entry in extends:
            name = entry.get("module") if isinstance(entry, dict) else None
            develops = entry.get("develops", {}) if isinstance(entry, dict) else None
            if not isinstance(name, str) or not isinstance(develops, dict):
                self._error(
                    module,
                    "extends",
                    "module",
                    "each 'extends' entry is {module: NAME, develops: {GOAL: [IDS]}}",
                )
                continue
            other = self.names.get(name) or self._beside(module, name)
            if other is None:
                self._error(
                    module,
                    "extends",
                    "module-missing",
                    f"extends module '{name}', which is not loaded: add its file to 'uses' or "
                    f"name it {name}.gsn.yaml beside this file (gsn2x C09)",
                )
                continue
            for goal_id, local_ids in develops.items():
                self._develop(module, other, str(goal_id), local_ids)

    def _beside(self, module: CaseFile, name: str) -> CaseFile | None:
        """The module ``name`` read from NAME.gsn.yaml (or NAME.yaml) beside ``module``."""
        assert module.path is not None
        for suffix in MODULE_FILE_SUFFIXES:
            path = module.path.parent / f"{name}{suffix}"
            if path.is_file() and path.resolve() not in self.used_at:
                sub = self._read(module, "extends", path)
                if sub is None:
                    return None
                self._take(sub, f"{module.path}:{module.module_lines.get('extends')}")
                self._uses(sub, (path.resolve(),))
                return self.names.get(name)
        return None

    def _develop(self, module: CaseFile, other: CaseFile, goal_id: str, local_ids: Any) -> None:
        """``goal_id`` of ``other``, undeveloped there, is supported by ``local_ids`` here."""
        local_ids = [local_ids] if isinstance(local_ids, str) else local_ids
        goal = other.nodes.get(goal_id)
        if goal is None or not goal.undeveloped:
            state = "is not a node of it" if goal is None else "is not marked undeveloped there"
            self._error(
                module,
                "extends",
                "module-extends",
                f"develops {goal_id} of module '{other.module.get('name')}', which {state} "
                "(gsn2x C10)",
            )
            return
        if not isinstance(local_ids, list) or not all(
            isinstance(item, str) and item in module.nodes for item in local_ids
        ):
            self._error(
                module,
                "extends",
                "module-extends",
                f"develops {goal_id} with {local_ids!r}: list ids of this module (gsn2x V07)",
            )
            return
        goal.undeveloped = False
        goal.supported_by.extend(local_ids)
