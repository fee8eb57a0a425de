"""One self-contained HTML page for readers who are not engineers.

No network fetches at all: CSS and the SVG diagram are inline, there is no script, and a
Content-Security-Policy forbids scripts and remote loads as a second line of defence. Every string
that comes from a run (texts, messages, notes, model output) goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
import re
from html import escape
from typing import Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.report._files import AttachmentFile, attachment_files
from pytest_safecase.report._layout import (
    H_GAP,
    LINE_HEIGHT,
    STACK_GAP,
    V_GAP,
    Box,
    Diagram,
    layout,
)
from pytest_safecase.report._wording import (
    MODEL_COLUMNS,
    VERDICT_COLOURS,
    VERDICT_WORDS,
    context_nodes,
    headline,
    ledger_sentence,
    model_rows,
    record_sentence,
    run_facts,
)
from pytest_safecase.verdict import Verdict

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def render_html(result: CaseResult, run_info: dict[str, Any]) -> str:
    """The whole page."""
    anchors = _anchors(result)
    attachments = attachment_files(result)
    root = result.nodes[result.root]
    verdict = result.verdict
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Safety case {_e(root.id)}: {_e(verdict.value)}</title>",
        f"<style>{_css()}</style>",
        "</head>",
        "<body>",
        f'<header class="banner {_cls(verdict)}">',
        f"<h1>Safety case {_e(root.id)}: {_e(root.text)}</h1>",
        f'<p class="headline" id="headline">{_e(headline(result))}</p>',
        _counts(result),
        "</header>",
        "<main>",
        '<section id="argument"><h2>The argument</h2>',
        "<p>Each box is a claim or a step of the argument; arrows point from a claim to what "
        "supports it. Click a box to read its evidence.</p>",
        _legend(),
        '<div class="diagram">',
        render_svg(result, anchors),
        "</div></section>",
        '<section id="claims"><h2>Claims and evidence</h2>',
        *(_card(node, result, anchors, attachments) for node in result.walk()),
        "</section>",
        _contexts(result, anchors),
        _run(run_info),
        "</main>",
        "<footer>Written by pytest-safecase"
        + (f" {_e(run_info['plugin_version'])}" if run_info.get("plugin_version") else "")
        + ".</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


MIN_DIAGRAM_SCALE = 0.6


def render_svg(result: CaseResult, anchors: dict[str, str]) -> str:
    """The argument as inline SVG: GSN shapes, fill and outline by verdict, links to the cards."""
    diagram = layout(result)
    out = [
        f'<svg role="img" class="gsn" '
        f'width="{diagram.width:.0f}" height="{diagram.height:.0f}" '
        f'viewBox="0 0 {diagram.width:.0f} {diagram.height:.0f}" '
        # Shrink a wide argument to the page, but no further than text stays legible.
        f'style="min-width:{diagram.width * MIN_DIAGRAM_SCALE:.0f}px">',
        "<title>Argument diagram (Goal Structuring Notation)</title>",
        "<defs>",
        '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#333"/></marker>',
        '<marker id="hollow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#fff" stroke="#333"/></marker>',
        "</defs>",
    ]
    out += _edges(diagram)
    for box in diagram.boxes.values():
        out.append(_shape(box, anchors.get(box.node_id, "")))
    out.append("</svg>")
    return "\n".join(out)


def _edges(diagram: Diagram) -> list[str]:
    lines = []
    for edge in diagram.edges:
        source, target = diagram.boxes[edge.source], diagram.boxes[edge.target]
        if edge.context:
            lines.append(_context_edge(source, target))
            continue
        # An elbow: down from the node, across in the gap above the supporters' row, down.
        y1 = source.y + source.height + (14 if source.undeveloped else 0)
        elbow = max(target.y - V_GAP / 2, y1)
        lines.append(
            f'<path d="M{source.centre_x:.1f},{y1:.1f} V{elbow:.1f} H{target.centre_x:.1f} '
            f'V{target.y:.1f}" fill="none" stroke="#333" stroke-width="1.3" '
            'marker-end="url(#arrow)"/>'
        )
    return lines


def _context_edge(source: Box, target: Box) -> str:
    """Dashed InContextOf link: along a trunk beside the node to a context in its grid; over
    the boxes in between to a context placed beside another node."""
    style = 'fill="none" stroke="#333" stroke-width="1.3" stroke-dasharray="5 4"'
    right = source.x + source.width
    if target.x >= right:
        trunk, above = right + H_GAP / 2, target.y - STACK_GAP / 2
        d = (
            f"M{right:.1f},{source.y + source.height / 2:.1f} H{trunk:.1f} V{above:.1f} "
            f"H{target.centre_x:.1f} V{target.y:.1f}"
        )
    else:
        over = min(source.y, target.y) - STACK_GAP / 2
        d = (
            f"M{source.centre_x + 10:.1f},{source.y:.1f} V{over:.1f} "
            f"H{target.centre_x:.1f} V{target.y:.1f}"
        )
    return f'<path d="{d}" {style} marker-end="url(#hollow)"/>'


def _shape(box: Box, anchor: str) -> str:
    fill, stroke = VERDICT_COLOURS[box.verdict]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="2"'
    x, y, w, h = box.x, box.y, box.width, box.height
    if box.type is NodeType.STRATEGY:
        skew = 14.0
        points = f"{x + skew:.1f},{y:.1f} {x + w:.1f},{y:.1f} {x + w - skew:.1f},{y + h:.1f} "
        points += f"{x:.1f},{y + h:.1f}"
        outline = f'<polygon points="{points}" {paint}/>'
    elif box.type is NodeType.SOLUTION:
        outline = f'<circle cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" r="{w / 2:.1f}" {paint}/>'
    elif box.type is NodeType.CONTEXT:
        outline = (
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="16" {paint}/>'
        )
    elif box.type in (NodeType.ASSUMPTION, NodeType.JUSTIFICATION):
        outline = (
            f'<ellipse cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" rx="{w / 2:.1f}" '
            f'ry="{h / 2:.1f}" {paint}/>'
        )
    else:
        outline = f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" {paint}/>'
    parts = [
        f'<a href="#{anchor}" class="node {_cls(box.verdict)}">',
        f"<title>{_e(box.title)}</title>",
    ]
    parts.append(outline)
    parts.append(_text(box))
    if box.type in (NodeType.ASSUMPTION, NodeType.JUSTIFICATION):
        letter = "A" if box.type is NodeType.ASSUMPTION else "J"
        parts.append(
            f'<text x="{x + w - 6:.1f}" y="{y + h - 2:.1f}" class="letter">{letter}</text>'
        )
    if box.undeveloped:
        cx, top = x + w / 2, y + h
        parts.append(
            f'<polygon points="{cx:.1f},{top:.1f} {cx + 7:.1f},{top + 7:.1f} '
            f'{cx:.1f},{top + 14:.1f} {cx - 7:.1f},{top + 7:.1f}" fill="#fff" stroke="#333"/>'
        )
    parts.append("</a>")
    return "".join(parts)


def _text(box: Box) -> str:
    lines = [box.label, *box.lines]
    block = LINE_HEIGHT * len(lines)
    top = box.y + (box.height - block) / 2 + LINE_HEIGHT - 3
    spans = []
    for index, line in enumerate(lines):
        weight = ' font-weight="bold"' if index == 0 else ""
        spans.append(
            f'<tspan x="{box.centre_x:.1f}" y="{top + index * LINE_HEIGHT:.1f}"{weight}>'
            f"{_e(line)}</tspan>"
        )
    return f'<text text-anchor="middle" class="label">{"".join(spans)}</text>'


def _legend() -> str:
    items = []
    for verdict in Verdict:
        fill, stroke = VERDICT_COLOURS[verdict]
        items.append(
            f'<li><span class="swatch" style="background:{fill};border-color:{stroke}"></span>'
            f"<b>{_e(verdict.value)}</b> — {_e(VERDICT_WORDS[verdict].split(': ', 1)[1])}</li>"
        )
    shapes = (
        "Rectangles are goals (claims), slanted boxes are strategies (how a claim is argued), "
        "circles are evidence, rounded boxes are context, ovals marked A are assumptions and J "
        "justifications; a diamond under a box means that part is not developed yet."
    )
    return f'<ul class="legend">{"".join(items)}</ul><p class="shapes">{shapes}</p>'


def _counts(result: CaseResult) -> str:
    chips = [
        f'<span class="chip {_cls(verdict)}">{n} {_e(verdict.value)}</span>'
        for verdict, n in result.counts().items()
        if n
    ]
    return f'<p class="counts">{"".join(chips)}</p>' if chips else ""


def _card(
    node: NodeResult,
    result: CaseResult,
    anchors: dict[str, str],
    attachments: list[AttachmentFile],
) -> str:
    verdict = node.verdict
    words = VERDICT_WORDS[verdict] if verdict else "no verdict"
    tags = [node.type.value]
    if node.argument:
        tags.append(f"{node.argument} argument")
    if node.level is not None:
        tags.append(f"level {node.level}")
    if not node.in_scope:
        tags.append("above this run's level")
    parts = [
        f'<article class="card {_cls(verdict)}" id="{anchors[node.id]}">',
        f'<h3><span class="id">{_e(node.id)}</span> {_e(node.text)}</h3>',
        f'<p class="verdict"><span class="badge {_cls(verdict)}">{_e(words)}</span> '
        f'<span class="tags">{_e(" · ".join(tags))}</span></p>',
    ]
    if node.reason and verdict is not Verdict.SUPPORTED:
        parts.append(f'<p class="reason">Why: {_e(node.reason)}</p>')
    sentences = [record_sentence(record) for test in node.tests for record in test.evidence]
    if node.risk is not None:
        sentences.insert(0, ledger_sentence(node.risk))
    if sentences:
        parts.append(
            '<ul class="figures">' + "".join(f"<li>{_e(s)}</li>" for s in sentences) + "</ul>"
        )
    notes = [note for test in node.tests for note in test.notes]
    if notes:
        parts.append('<ul class="notes">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>")
    links = _links(node, result, anchors)
    if links:
        parts.append(f'<p class="links">{links}</p>')
    if node.tests:
        parts.append(_evidence_details(node, attachments))
    parts.append("</article>")
    return "\n".join(parts)


def _links(node: NodeResult, result: CaseResult, anchors: dict[str, str]) -> str:
    groups = []
    for label, ids in (
        ("Supported by", node.supported_by),
        ("In the context of", node.in_context_of),
    ):
        targets = [
            f'<a href="#{anchors[target]}">{_e(target)}</a>' for target in ids if target in anchors
        ]
        if targets:
            groups.append(f"{label}: " + ", ".join(targets))
    return " · ".join(groups)


def _evidence_details(node: NodeResult, attachments: list[AttachmentFile]) -> str:
    count = len(node.tests)
    rows = "".join(_test_row(test) for test in node.tests)
    parts = [
        "<details>",
        f"<summary>Evidence details: {count} test{'s' if count != 1 else ''}</summary>",
        '<table class="tests"><thead><tr><th>Test</th><th>Outcome</th><th>Duration</th>'
        "<th>Message</th></tr></thead>",
        f"<tbody>{rows}</tbody></table>",
    ]
    records = [(test, record) for test in node.tests for record in test.evidence]
    if records:
        parts.append(
            '<table class="records"><thead><tr><th>Test</th><th>Figure</th></tr></thead><tbody>'
        )
        for test, record in records:
            fields = ", ".join(f"{key}={value}" for key, value in record.to_dict().items())
            parts.append(
                f"<tr><td>{_e(_short(test.nodeid))}</td><td><code>{_e(fields)}</code></td></tr>"
            )
        parts.append("</tbody></table>")
    mine = [file for file in attachments if file.claim_id == node.id]
    if mine:
        parts.append(
            '<p class="attachments">Attached files: '
            + ", ".join(
                f'<a href="{_e(file.relative_path)}">{_e(file.relative_path)}</a>' for file in mine
            )
            + "</p>"
        )
    usage = [test.usage for test in node.tests if test.usage]
    if usage:
        parts.append("<p>Model usage: " + _e("; ".join(map(str, usage))) + "</p>")
    parts.append("</details>")
    return "\n".join(parts)


def _test_row(test: TestOutcome) -> str:
    where = f"{test.path}:{test.line}" if test.path and test.line else test.path
    duration = f"{test.duration:.2f} s" if math.isfinite(test.duration) else ""
    return (
        f'<tr><td title="{_e(where)}">{_e(_short(test.nodeid))}</td>'
        f'<td><span class="badge {_cls(test.verdict)}">{_e(test.verdict.value)}</span></td>'
        f'<td>{duration}</td><td class="message">{_e(test.message)}</td></tr>'
    )


def _contexts(result: CaseResult, anchors: dict[str, str]) -> str:
    nodes = context_nodes(result)
    if not nodes:
        return ""
    rows = []
    for node in nodes:
        status = node.verdict.value if node.verdict else ""
        if node.type is NodeType.ASSUMPTION and node.accepted and not node.tests:
            status = "accepted without evidence"
        rows.append(
            f'<tr id="{anchors[node.id]}" class="{_cls(node.verdict)}"><td>{_e(node.id)}</td>'
            f"<td>{_e(node.type.value)}</td><td>{_e(node.text)}</td><td>{_e(status)}</td></tr>"
        )
    return (
        '<section id="context"><h2>Assumptions and context</h2>'
        "<p>What the argument takes as given. Assumptions without evidence should be reviewed.</p>"
        "<table><thead><tr><th>Id</th><th>Kind</th><th>Text</th><th>Status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _run(run_info: dict[str, Any]) -> str:
    facts = run_facts(run_info)
    models = model_rows(run_info)
    if not facts and not models:
        return ""
    parts = ['<section id="run"><h2>About this run</h2>']
    if facts:
        parts.append(
            '<table class="facts"><tbody>'
            + "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)
            + "</tbody></table>"
        )
    if models:
        head = "".join(f"<th>{_e(column.replace('_', ' '))}</th>" for column in MODEL_COLUMNS)
        body = "".join(
            f"<tr><td>{_e(role)}</td><td>{_e(spec)}</td>"
            + "".join(f"<td>{_e(figure)}</td>" for figure in figures)
            + "</tr>"
            for role, spec, figures in models
        )
        parts.append(
            f"<h3>Models</h3><table><thead><tr><th>Role</th><th>Model</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def _anchors(result: CaseResult) -> dict[str, str]:
    """A unique, attribute-safe element id per node."""
    anchors: dict[str, str] = {}
    for index, node_id in enumerate(result.nodes):
        anchors[node_id] = f"node-{index}-{_ANCHOR_UNSAFE.sub('_', node_id)[:40]}"
    return anchors


def _short(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1]


def _cls(verdict: Verdict | None) -> str:
    return f"v-{verdict.value}" if verdict else "v-none"


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _css() -> str:
    rules = [
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
        "color:#1a1a1a;background:#fafafa;line-height:1.45}",
        "main{max-width:1200px;margin:0 auto;padding:0 1.2rem 2rem}",
        "header.banner{padding:1.2rem 1.6rem;border-bottom:4px solid}",
        "header h1{margin:0 0 .4rem;font-size:1.4rem}",
        ".headline{font-size:1.25rem;font-weight:600;margin:.2rem 0}",
        ".chip,.badge{display:inline-block;padding:.05rem .55rem;border-radius:1rem;"
        "border:1px solid;margin-right:.4rem;font-size:.9rem}",
        ".diagram{overflow:auto;background:#fff;border:1px solid #ddd;padding:.5rem;"
        "width:calc(100vw - 3rem);margin-left:calc(50% - 50vw + 1.5rem);box-sizing:border-box}",
        "svg.gsn{max-width:100%;height:auto}",
        "svg.gsn .label{font-size:12px;fill:#111}svg.gsn .letter{font-size:13px;"
        "font-weight:bold;fill:#333}svg.gsn a:hover>rect,svg.gsn a:hover>circle,"
        "svg.gsn a:hover>polygon,svg.gsn a:hover>ellipse{stroke-width:3.5}",
        ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem}",
        ".swatch{display:inline-block;width:1rem;height:1rem;border:2px solid;"
        "vertical-align:-.2rem;margin-right:.35rem}",
        ".shapes{color:#444;font-size:.92rem}",
        ".card{background:#fff;border:1px solid #ddd;border-left:8px solid;padding:.6rem 1rem;"
        "margin:.8rem 0;border-radius:4px}",
        ".card h3{margin:.2rem 0;font-size:1.05rem}.card .id{color:#555;margin-right:.3rem}",
        ".tags{color:#555;font-size:.88rem}.reason{font-style:italic}",
        ".notes li,.message{white-space:pre-wrap}",
        "table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;"
        "padding:.25rem .5rem;text-align:left;vertical-align:top}",
        "code{font-size:.85rem;word-break:break-all}",
        "details summary{cursor:pointer;font-weight:600;margin:.3rem 0}",
        "footer{text-align:center;color:#666;padding:1rem;font-size:.85rem}",
    ]
    for verdict in [*Verdict, None]:
        fill, stroke = VERDICT_COLOURS[verdict]
        cls = _cls(verdict)
        rules.append(
            f".banner.{cls},.chip.{cls},.badge.{cls}{{background:{fill};border-color:{stroke}}}"
            f".card.{cls}{{border-left-color:{stroke}}}"
        )
    return "".join(rules)
