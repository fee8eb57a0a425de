"""Model code runs with its own semantics, not the sandbox runner's.

The runner module starts with ``from __future__ import annotations``; code compiled inside it would
inherit that flag and keep annotations as unevaluated strings. The candidate is compiled with
``dont_inherit=True``, so an annotation is evaluated when its ``def`` runs, as in a plain module.
"""

from __future__ import annotations

from pytest_safecase.sandbox import run_call

ANNOTATED = """
def f(x: int) -> int:
    return x

def kind():
    return type(f.__annotations__["x"]).__name__
"""


def test_annotations_in_model_code_are_evaluated_eagerly() -> None:
    result = run_call(ANNOTATED, "kind", "()")
    assert (result.status, result.output) == ("passed", "'type'")  # 'str' if the flag leaked


def test_an_annotation_naming_nothing_stops_the_code_loading() -> None:
    result = run_call("def f(x: Undefined) -> int:\n    return x\n", "f", "(1,)")
    assert result.status != "passed"
    assert "NameError" in result.detail
