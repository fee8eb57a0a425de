"""The Markdown summary: headline, a Mermaid diagram that cannot be broken by texts, tables."""

from __future__ import annotations

import re
from typing import Any

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report.markdown import mermaid, mermaid_label, render_markdown


def test_headline_names_every_kind_of_problem(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    text = render_markdown(rich_result, run_info)
    assert text.startswith("# Safety case G0: REFUTED\n")
    assert (
        "**The safety case is NOT supported: 1 claim refuted, 1 claim could not be evaluated "
        "(error), 1 claim inconclusive, 1 claim not evaluated, 1 part of the argument "
        "undeveloped (2 of 6 claims supported).**"
    ) in text


def test_mermaid_has_every_node_edge_and_verdict_class(rich_result: CaseResult) -> None:
    lines = mermaid(rich_result)
    assert lines[0] == "graph TD"
    declared = {
        m.group(1): m.group(2)
        for line in lines
        if (m := re.match(r"  (n\d+)[\[(].*:::(\w+)$", line))
    }
    assert len(declared) == len(rich_result.nodes)  # contexts included
    labels = "\n".join(lines)
    assert 'n0["G0: The untrusted model' in labels
    assert '[/"S1: Argue' in labels  # strategy as a parallelogram
    assert '(["A1: The red team' in labels
    assert "  n0 -.- " in labels  # context link
    assert sorted(set(declared.values())) == sorted(
        {"refuted", "supported", "error", "inconclusive", "not_evaluated", "undeveloped", "context"}
        | {"accepted"}  # A1, accepted without evidence: not the supported green
    )
    for verdict in ("supported", "refuted", "not_evaluated", "context"):
        assert any(line.startswith(f"  classDef {verdict} fill:#") for line in lines)


def test_labels_cannot_close_their_node() -> None:
    label = mermaid_label('say "hi" [now] (ok) {x} | a<b> #1; `code` & more')
    assert not set('"[](){}|<>`') & set(label.replace("#", "").replace(";", ""))
    assert label.startswith("say #34;hi#34; #91;now#93;")
    assert "#35;1#59;" in label
    assert mermaid_label("x" * 200).endswith("…")


def test_claim_table_and_sections(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    text = render_markdown(rich_result, run_info)
    assert "| Claim | Statement | Verdict | Estimate | Interval | n | Threshold |" in text
    assert (
        "| G4 | Refusal holds on the red-team prompts | ✘ refuted | refusal rate: 0.700 "
        "| [0.600, 0.788] (95%) | 70/100 | ≥ 0.9 |"
    ) in text
    assert (
        "| G11 | Every transcript is logged | ✔ supported | lost transcripts: 0 |  |  | ≤ 0 |"
        in text
    )
    assert (
        "| A1 | Assumption | The red team's attacks upper-bound the model's capabilities | accepted without evidence |"
        in text
    )
    assert (
        "- **G6** error: test_case.py::test_classifier: RuntimeError: weights file missing" in text
    )
    assert "- **G2** undeveloped: marked undeveloped in the case file" in text
    assert "| Git commit | 0123456789abcdef0123456789abcdef01234567 |" in text
    assert "| untrusted | openai:gpt-4o-mini | 300 | 120000 | 45000 | 12 | 1 |" in text


def test_text_from_results_is_inert_and_keeps_tables_whole(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    rich_result.nodes["G4"].text = "pipes | and <script>alert(1)</script>\nnewline"
    text = render_markdown(rich_result, run_info)
    assert "<script>" not in text
    assert "pipes \\| and &lt;script&gt;alert(1)&lt;/script&gt; newline" in text


def test_notes_gate_and_level_are_shown(rich_result: CaseResult) -> None:
    text = render_markdown(rich_result, {})
    assert "Release gate: **BLOCKED: the root goal is refuted** · level reached: 1 of 1" in text
    notes = text[text.index("## Notes") :]
    assert "- **G4** &lt;script&gt;" in notes  # evidence.note text, escaped
