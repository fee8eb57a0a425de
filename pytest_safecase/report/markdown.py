"""The Markdown summary: headline, a Mermaid diagram GitHub renders, claim and assumption tables."""

from __future__ import annotations

import html
from typing import Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult
from pytest_safecase.report._wording import (
    ACCEPTED_COLOURS,
    MODEL_COLUMNS,
    VERDICT_COLOURS,
    accepted_without_evidence,
    attention,
    context_nodes,
    figure_rows,
    gate_words,
    headline,
    model_rows,
    run_facts,
)
from pytest_safecase.verdict import Verdict

MAX_LABEL = 90
_MERMAID_ESCAPES = {ch: f"#{ord(ch)};" for ch in '"#<>[](){}|`&;'}
_SHAPES = {
    NodeType.GOAL: ('["', '"]'),
    NodeType.STRATEGY: ('[/"', '"/]'),
    NodeType.SOLUTION: ('(("', '"))'),
    NodeType.CONTEXT: ('("', '")'),
    NodeType.ASSUMPTION: ('(["', '"])'),
    NodeType.JUSTIFICATION: ('(["', '"])'),
}


def render_markdown(result: CaseResult, run_info: dict[str, Any]) -> str:
    """The whole summary as GitHub-flavoured Markdown."""
    root = result.nodes[result.root]
    lines = [
        f"# Safety case {cell(root.id)}: {result.verdict.value.upper()}",
        "",
        f"**{cell(headline(result))}**",
        "",
        f"Release gate: **{gate_words(result)}**"
        + (f" · {result.level_words()}" if result.levels else ""),
        "",
        f"> {cell(root.text)}",
        "",
        "```mermaid",
        *mermaid(result),
        "```",
        "",
        "## Claims",
        "",
        *claim_table(result),
    ]
    notes = [
        f"- **{cell(node.id)}** {cell(note)}"
        for node in result.claims()
        for test in node.tests
        for note in test.notes
    ]
    if notes:
        lines += ["", "## Notes", "", *notes]
    attention_items = needs_attention(result)
    if attention_items:
        lines += ["", "## Needs attention", "", *attention_items]
    contexts = context_nodes(result)
    if contexts:
        lines += ["", "## Assumptions and context", "", "| Id | Kind | Text | Status |"]
        lines.append("|---|---|---|---|")
        for node in contexts:
            status = _context_status(node)
            lines.append(f"| {cell(node.id)} | {node.type.value} | {cell(node.text)} | {status} |")
    facts = run_facts(run_info)
    if facts:
        lines += ["", "## Run", "", "| | |", "|---|---|"]
        lines += [f"| {label} | {cell(value)} |" for label, value in facts]
    models = model_rows(run_info)
    if models:
        header = " | ".join(column.replace("_", " ") for column in MODEL_COLUMNS)
        lines += ["", "## Models", "", f"| Role | Model | {header} |"]
        lines.append("|---" * (len(MODEL_COLUMNS) + 2) + "|")
        for role, spec, figures in models:
            lines.append(f"| {cell(role)} | {cell(spec)} | {' | '.join(figures)} |")
    return "\n".join(lines) + "\n"


def claim_table(result: CaseResult) -> list[str]:
    rows = figure_rows(result)
    if not rows:
        return ["No claims were collected."]
    lines = [
        "| Claim | Statement | Verdict | Estimate | Interval | n | Threshold |",
        "|---|---|---|---|---|---|---|",
    ]
    previous: str | None = None
    for row in rows:
        node = row.node
        first = node.id != previous
        previous = node.id
        verdict = node.verdict.value if node.verdict else ""
        if not node.in_scope:
            verdict += " (out of scope)"
        name = f"{cell(row.record.name)}: " if row.record and row.record.name else ""
        statement = cell(node.text) if first else "″"
        mark = f"{node.verdict.mark} " if node.verdict and first else ""
        lines.append(
            f"| {cell(node.id) if first else ''} | {statement} | {mark}{verdict if first else ''} "
            f"| {name}{row.estimate} | {row.interval} | {row.trials} | {row.threshold} |"
        )
    return lines


def needs_attention(result: CaseResult) -> list[str]:
    """A bullet per claim that is not supported and per undeveloped part, with the reason."""
    items = []
    for node in attention(result):
        assert node.verdict is not None
        reason = f": {cell(node.reason)}" if node.reason else ""
        items.append(f"- **{cell(node.id)}** {node.verdict.value}{reason}")
    return items


def mermaid(result: CaseResult) -> list[str]:
    """A ``graph TD`` of the argument: safe generated ids, escaped labels, a class per verdict."""
    order = [node.id for node in result.walk()]
    order += [ctx.id for ctx in context_nodes(result) if ctx.id not in order]
    ids = {node_id: f"n{index}" for index, node_id in enumerate(order)}
    lines = ["graph TD"]
    for node_id in order:
        node = result.nodes[node_id]
        opening, closing = _SHAPES[node.type]
        label = mermaid_label(f"{node.id}: {node.text}")
        css = f":::{_css_class(node.verdict)}" if node.verdict else ":::context"
        if accepted_without_evidence(node):
            css = ":::accepted"
        lines.append(f"  {ids[node_id]}{opening}{label}{closing}{css}")
    for node_id in order:
        node = result.nodes[node_id]
        lines += [f"  {ids[node_id]} --> {ids[child]}" for child in node.supported_by]
        lines += [f"  {ids[node_id]} -.- {ids[ctx]}" for ctx in node.in_context_of if ctx in ids]
    for verdict in Verdict:
        fill, stroke = VERDICT_COLOURS[verdict]
        lines.append(f"  classDef {_css_class(verdict)} fill:{fill},stroke:{stroke},color:#111")
    fill, stroke = VERDICT_COLOURS[None]
    lines.append(f"  classDef context fill:{fill},stroke:{stroke},color:#111")
    fill, stroke = ACCEPTED_COLOURS
    lines.append(f"  classDef accepted fill:{fill},stroke:{stroke},stroke-dasharray:5 3,color:#111")
    return lines


def mermaid_label(text: str) -> str:
    """Label text with Mermaid's own entity codes, so quotes and brackets cannot end the label."""
    text = " ".join(text.split())
    if len(text) > MAX_LABEL:
        text = text[: MAX_LABEL - 1] + "…"
    return "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text)


def cell(text: str) -> str:
    """Text for a table cell or paragraph: one line, no pipes, no live HTML."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def _css_class(verdict: Verdict | None) -> str:
    return verdict.value.replace("-", "_") if verdict else "context"


def _context_status(node: NodeResult) -> str:
    if node.verdict is None:
        return ""
    if accepted_without_evidence(node):
        return "accepted without evidence"
    return node.verdict.value
