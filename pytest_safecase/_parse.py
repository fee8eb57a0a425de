"""``ast.parse`` and ``ast.literal_eval`` that are safe to call from several threads at once.

CPython 3.11 counts the depth of the tree it is converting in one counter per interpreter, not per
thread (gh-95185, gh-106905): two threads converting at once can make either fail with
``SystemError: AST constructor recursion depth mismatch``. The built-in stand-ins and the sandbox
harness parse from several threads, so every parse in the package goes through the lock here.
Only the conversion is serialised; walking and rewriting the trees stay concurrent.
"""

from __future__ import annotations

import ast
import threading
from typing import Any, Literal

__all__ = ["literal", "parse"]

_CONVERSION = threading.Lock()


def parse(source: str, mode: Literal["exec", "eval"] = "exec") -> Any:
    """``ast.parse(source, mode=mode)``: an ``ast.Module``, or an ``ast.Expression`` for eval."""
    with _CONVERSION:
        return ast.parse(source, mode=mode)


def literal(text: str) -> Any:
    """``ast.literal_eval(text)``, with the same errors."""
    return ast.literal_eval(parse(text.lstrip(" \t"), mode="eval"))
