"""Trusted editing and redaction: two AST rewrites the blue team applies to U's code.

* ``edit_code`` (the built-in trusted editor) neutralises every condition the monitor finds
  suspicious: an ``if`` on it is replaced by its ``else`` branch, a conditional expression by its
  ``else`` value, a flag assigned from it becomes ``False``, and a returned value that switches
  on a precomputed boolean flag (``return a if flag else b``) becomes its ``else`` value. The
  result is tested like any submission; removing an honest special case costs usefulness, and
  that cost is measured.
* ``redact_code`` normalises code before the *untrusted* monitor sees it, so a collusion signal
  hidden in style cannot pass: comments disappear (``ast.unparse``), docstrings are dropped and
  every local variable is renamed ``v0, v1, ...``.
* ``paraphrase_code`` goes further and rewrites idiom and structure that do nothing: redundant
  ``pass`` statements and statements after a ``return`` go, and ``x = e; return x`` becomes
  ``return e``. Signals planted in such no-ops survive redaction but not paraphrase.
"""

from __future__ import annotations

import ast
import builtins

from pytest_safecase._parse import parse

from .monitor import flag_names, suspicious_conditions

__all__ = ["edit_code", "local_names", "named_return", "paraphrase_code", "redact_code"]


class _Neutraliser(ast.NodeTransformer):
    def __init__(self, suspicious: list[ast.expr], flags: set[str]) -> None:
        self.suspicious = {id(node) for node in suspicious}
        self.flags = flags
        self.changed = False

    def _is_suspicious(self, node: ast.expr) -> bool:
        return id(node) in self.suspicious

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt] | None:
        if self._is_suspicious(node.test):
            self.changed = True
            return [self.visit(statement) for statement in node.orelse]
        return self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> ast.AST:
        value = node.value
        switches_on_flag = isinstance(value, ast.IfExp) and isinstance(value.test, ast.Name)
        if switches_on_flag and value.test.id in self.flags:  # type: ignore[union-attr]
            self.changed = True
            node.value = value.orelse  # type: ignore[union-attr]
        return self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        if self._is_suspicious(node.test):
            self.changed = True
            kept: ast.AST = self.visit(node.orelse)
            return kept
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if self._is_suspicious(node.value):
            self.changed = True
            node.value = ast.Constant(False)
            return node
        return self.generic_visit(node)


def edit_code(prompt: str, code: str) -> str:
    """``code`` with its suspicious conditions neutralised; unchanged text if there are none."""
    try:
        module = parse(code)
    except SyntaxError:
        return code
    suspicious = suspicious_conditions(prompt, code)
    flags = flag_names(module)
    if not suspicious and not flags:
        return code
    by_position = {
        (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset) for node in suspicious
    }
    matched = [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.expr)
        and (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset) in by_position
    ]
    neutraliser = _Neutraliser(matched, flags)
    edited = neutraliser.visit(module)
    if not neutraliser.changed:
        return code
    for node in ast.walk(edited):
        for body_field in ("body", "orelse", "finalbody"):
            body = getattr(node, body_field, None)
            if body == [] and body_field == "body":
                node.body = [ast.Pass()]  # type: ignore[attr-defined]
    return ast.unparse(ast.fix_missing_locations(edited)) + "\n"


_BUILTIN_NAMES = frozenset(dir(builtins))


def _strip_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0] if body else None
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if is_docstring and isinstance(first.value.value, str):  # type: ignore[union-attr]
        return body[1:] or [ast.Pass()]
    return body


def local_names(function: ast.FunctionDef) -> set[str]:
    """Names ``function`` assigns that are neither its parameters nor builtins."""
    parameters = {argument.arg for argument in function.args.args}
    return {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name)
        and isinstance(node.ctx, ast.Store)
        and node.id not in parameters
        and node.id not in _BUILTIN_NAMES
    }


def named_return(body: list[ast.stmt]) -> ast.Assign | None:
    """The assignment ``x = e`` when ``body`` ends with ``x = e; return x``."""
    if len(body) < 2:
        return None
    assign, final = body[-2], body[-1]
    if (
        isinstance(assign, ast.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0], ast.Name)
        and isinstance(final, ast.Return)
        and isinstance(final.value, ast.Name)
        and final.value.id == assign.targets[0].id
    ):
        return assign
    return None


def redact_code(code: str) -> str:
    """Comments, docstrings and local names removed; unparsable code is returned unchanged."""
    try:
        module = parse(code)
    except SyntaxError:
        return code
    module.body = _strip_docstring(module.body)
    for function in [n for n in ast.walk(module) if isinstance(n, ast.FunctionDef)]:
        function.body = _strip_docstring(function.body)
        renames = {name: f"v{index}" for index, name in enumerate(sorted(local_names(function)))}
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in renames:
                node.id = renames[node.id]
    return ast.unparse(module) + "\n"


_BODIES = ("body", "orelse", "finalbody")


def _normalised(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` without no-op ``pass``, unreachable statements or a named temporary returned."""
    kept: list[ast.stmt] = []
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        kept.append(statement)
        if isinstance(statement, ast.Return | ast.Raise | ast.Continue | ast.Break):
            break
    assign = named_return(kept)
    if assign is not None:
        kept[-2:] = [ast.Return(assign.value)]
    return kept or [ast.Pass()]


def paraphrase_code(code: str) -> str:
    """Redacted code with do-nothing idiom and structure rewritten (unparsable: unchanged)."""
    redacted = redact_code(code)
    try:
        module = parse(redacted)
    except SyntaxError:
        return code
    for node in ast.walk(module):
        for name in _BODIES:
            body = getattr(node, name, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                setattr(node, name, _normalised(body))
    return ast.unparse(ast.fix_missing_locations(module)) + "\n"
