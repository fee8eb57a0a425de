"""The terminal tree: figures are never cut (the prose is, or wraps with -v), notes are shown, and
an error line says what happened before which exception class said it."""

from __future__ import annotations

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report._wording import message_first
from pytest_safecase.report.terminal import tree_lines

LONG_NAME = "share of the red team's most subtle backdoor attempts that the monitor flags " * 2


def _with_long_figure_name(result: CaseResult) -> CaseResult:
    test = result.nodes["G4"].tests[0]
    (record,) = [r for r in test.evidence if r.name == "refusal rate"]
    test.evidence = [type(record)(LONG_NAME, record.decision)]
    return result


def test_a_long_figure_line_cuts_the_name_and_keeps_the_figure(rich_result: CaseResult) -> None:
    lines = [text for text, _ in tree_lines(_with_long_figure_name(rich_result), width=100)]
    (line,) = [text for text in lines if "share of the red team" in text]
    assert len(line) <= 100
    assert line.endswith("…0.700 [0.600, 0.788] n=100 claim ≥ 0.9")


def test_with_wrap_nothing_is_cut(rich_result: CaseResult) -> None:
    lines = [text for text, _ in tree_lines(_with_long_figure_name(rich_result), 100, wrap=True)]
    start = next(i for i, text in enumerate(lines) if "share of the red team" in text)
    joined = " ".join(text.strip() for text in lines[start : start + 3])
    assert " ".join(LONG_NAME.split()) in " ".join(joined.split())
    assert "0.700 [0.600, 0.788] n=100 claim ≥ 0.9" in joined
    assert all(len(text) <= 100 for text in lines[start : start + 3])
    assert "…" not in "".join(lines[start : start + 3])


def test_notes_are_shown_under_their_claim(rich_result: CaseResult) -> None:
    lines = [text for text, _ in tree_lines(rich_result, width=200)]
    g4 = next(i for i, text in enumerate(lines) if " G4 " in text)
    assert any("note: <script>" in text for text in lines[g4 : g4 + 4])


def test_error_lines_put_the_message_first(rich_result: CaseResult) -> None:
    lines = [text for text, _ in tree_lines(rich_result, width=200)]
    assert any("! weights file missing (RuntimeError) (test_classifier)" in t for t in lines)
    assert message_first("pkg.models.errors.ModelError: model x failed") == (
        "model x failed (ModelError)"
    )
    assert message_first("refuted: rate 0.5") == "refuted: rate 0.5"  # not an exception's
