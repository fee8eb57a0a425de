"""The ``claim`` decorator: a thin, validated spelling of ``@pytest.mark.claim``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

import pytest

from pytest_safecase.case.model import ARGUMENT_CATEGORIES, ClaimSpec

MARKER = "claim"
MARKER_HELP = (
    "claim(statement=None, *, id=None, supports=None, argument=None, level=None): "
    "this test is evidence for a safety claim (pytest-safecase)."
)


UNCLAIMED_EVIDENCE = (
    "uses the evidence fixture but is not a claim: mark it @claim(...) so its evidence "
    "joins the safety case"
)
TestFunction = TypeVar("TestFunction", bound=Callable[..., object])


class ClaimDeclarationError(ValueError):
    """A claim marker with bad arguments."""


@overload
def claim(statement: TestFunction, /) -> TestFunction: ...


@overload
def claim(
    statement: str | None = None,
    *,
    id: str | None = None,
    supports: str | None = None,
    argument: str | None = None,
    level: int | None = None,
) -> pytest.MarkDecorator: ...


def claim(
    statement: Any = None,
    *,
    id: str | None = None,
    supports: str | None = None,
    argument: str | None = None,
    level: int | None = None,
) -> Any:
    """Mark a test as evidence for a safety claim.

    ``id`` names the claim (a goal of the case file, or a new goal placed under ``supports``);
    ``argument`` is one of inability, control, trustworthiness, deference; ``level`` the adoption
    level the claim belongs to. Bare ``@claim`` (no parentheses) is ``@claim()``: without this,
    Python would hand the test to ``claim`` as its statement and the test would vanish.
    """
    if callable(statement) and (id, supports, argument, level) == (None, None, None, None):
        return pytest.mark.claim(statement)  # a mark applied to a callable returns the callable
    return pytest.mark.claim(statement, id=id, supports=supports, argument=argument, level=level)


def spec_from_marker(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    name: str,
    doc: str | None = None,
) -> ClaimSpec:
    """Read and check a claim marker's arguments; ``name`` is the default id (the test's name).
    The spec names no test yet (``ClaimSpec.at`` places it).

    A claim given neither statement nor id (bare ``@claim``) states ``doc``, the test's
    docstring: it is a new goal, and a goal needs a text.
    """
    unknown = set(kwargs) - {"statement", "id", "supports", "argument", "level"}
    if unknown:
        raise ClaimDeclarationError(f"unknown claim argument(s): {', '.join(sorted(unknown))}")
    if len(args) > 1 or (args and "statement" in kwargs):
        raise ClaimDeclarationError("claim takes one positional argument, the statement")
    statement = args[0] if args else kwargs.get("statement")
    if statement is None and kwargs.get("id") is None:
        statement = doc
    claim_id = kwargs.get("id") or name
    supports, argument, level = kwargs.get("supports"), kwargs.get("argument"), kwargs.get("level")
    for label, value in (("statement", statement), ("id", claim_id), ("supports", supports)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ClaimDeclarationError(f"claim {label} must be a non-empty string, got {value!r}")
    if argument is not None and argument not in ARGUMENT_CATEGORIES:
        raise ClaimDeclarationError(
            f"claim argument={argument!r} is not one of {', '.join(ARGUMENT_CATEGORIES)}"
        )
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 1):
        raise ClaimDeclarationError(f"claim level must be a whole number >= 1, got {level!r}")
    return ClaimSpec(
        id=claim_id,
        statement=" ".join(statement.split()) if statement else None,
        supports=supports,
        argument=argument,
        level=level,
    )
