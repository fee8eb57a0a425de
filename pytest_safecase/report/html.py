"""One self-contained HTML page for readers who are not engineers.

No network fetches at all: CSS and the SVG diagram are inline, there is no script, and a
Content-Security-Policy forbids scripts and remote loads as a second line of defence.

The page is rendered from the Jinja2 templates in ``templates/`` (``report.html``, ``card.html``,
``report.css``) with autoescaping on, so every string that comes from a run (texts, messages,
notes, model output) is escaped on output. The SVG diagram is built here as text, escaping each
string with :func:`_e`, and reaches the template as :class:`~markupsafe.Markup`.
"""

from __future__ import annotations

import functools
import math
import re
from html import escape
from typing import TYPE_CHECKING, Any

from pytest_safecase.case.model import NodeType
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.report._files import AttachmentFile, attachment_files
from pytest_safecase.report._layout import (
    H_GAP,
    INDENT,
    LINE_HEIGHT,
    STACK_GAP,
    Box,
    Diagram,
    layout,
)
from pytest_safecase.report._wording import (
    ACCEPTED_COLOURS,
    MODEL_COLUMNS,
    VERDICT_COLOURS,
    VERDICT_WORDS,
    accepted_without_evidence,
    attention,
    context_nodes,
    gate_words,
    headline,
    ledger_sentence,
    model_rows,
    record_sentence,
    run_facts,
)
from pytest_safecase.verdict import Verdict

if TYPE_CHECKING:
    import jinja2

ACCEPTED_CLASS = "v-accepted"
"""The class of an assumption accepted without evidence, wherever the page shows one."""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def render_html(result: CaseResult, run_info: dict[str, Any]) -> str:
    """The whole page, from ``templates/report.html`` (which includes ``card.html`` per node)."""
    from markupsafe import Markup

    anchors = _anchors(result)
    attachments = attachment_files(result)
    root = result.nodes[result.root]
    verdict = result.verdict
    template = _environment().get_template("report.html")
    return template.render(
        csp=Markup(CSP),
        root=root,
        verdict=verdict.value,
        verdict_class=_cls(verdict),
        verdict_styles=[
            *(
                {"cls": _cls(v), "fill": VERDICT_COLOURS[v][0], "stroke": VERDICT_COLOURS[v][1]}
                for v in [*Verdict, None]
            ),
            {"cls": ACCEPTED_CLASS, "fill": ACCEPTED_COLOURS[0], "stroke": ACCEPTED_COLOURS[1]},
        ],
        headline=headline(result),
        gate=gate_words(result),
        gate_class=_cls(Verdict.SUPPORTED if result.verdict is Verdict.SUPPORTED else verdict),
        level=result.level_words(),
        attention=[
            {
                "anchor": anchors[node.id],
                "cls": _cls(node.verdict),
                "id": node.id,
                "verdict": node.verdict.value if node.verdict else "",
                "reason": node.reason,
            }
            for node in attention(result)
        ],
        counts=[
            {"cls": _cls(v), "n": n, "verdict": v.value} for v, n in result.counts().items() if n
        ],
        legend=[
            {
                "fill": VERDICT_COLOURS[v][0],
                "stroke": VERDICT_COLOURS[v][1],
                "verdict": v.value,
                "words": VERDICT_WORDS[v].split(": ", 1)[1],
            }
            for v in Verdict
        ]
        + [
            {
                "fill": ACCEPTED_COLOURS[0],
                "stroke": ACCEPTED_COLOURS[1],
                "verdict": "accepted",
                "words": "an assumption taken without evidence (x-accepted); review it",
            }
        ],
        # Built as SVG text by render_svg, which escapes every string it takes from the run.
        svg=Markup(render_svg(result, anchors)),
        cards=[_card(node, result, anchors, attachments) for node in result.walk()],
        contexts=_contexts(result, anchors),
        facts=run_facts(run_info),
        model_columns=[column.replace("_", " ") for column in MODEL_COLUMNS],
        models=model_rows(run_info),
        plugin_version=run_info.get("plugin_version"),
    )


@functools.cache
def _environment() -> jinja2.Environment:
    """The template environment, made once. Every value is escaped on output as :func:`_e` would
    (``finalize`` runs before autoescaping and marks its result safe, so ``'`` becomes ``&#x27;``
    as before rather than markupsafe's ``&#39;``); only :class:`~markupsafe.Markup` passes as is."""
    import jinja2
    from markupsafe import Markup

    def escape_like_e(value: Any) -> Any:
        return value if hasattr(value, "__html__") else Markup(_e(value))

    def one_line(text: str) -> Markup:
        return Markup("".join(Markup(text).splitlines()))

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_safecase.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=escape_like_e,
    )
    env.filters["one_line"] = one_line
    return env


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
        # An elbow: down the indent gap from under the node, then across into the supporter.
        trunk = source.x + INDENT / 2
        y1 = source.y + source.height
        middle = target.y + target.height / 2
        lines.append(
            f'<path d="M{trunk:.1f},{y1:.1f} V{middle:.1f} H{target.x:.1f}" fill="none" '
            'stroke="#333" stroke-width="1.3" marker-end="url(#arrow)"/>'
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
    fill, stroke = ACCEPTED_COLOURS if box.accepted else VERDICT_COLOURS[box.verdict]
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="2"'
    if box.accepted:
        paint += ' stroke-dasharray="6 3"'
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
    cls = ACCEPTED_CLASS if box.accepted else _cls(box.verdict)
    parts = [
        f'<a href="#{anchor}" class="node {cls}">',
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


def _card(
    node: NodeResult,
    result: CaseResult,
    anchors: dict[str, str],
    attachments: list[AttachmentFile],
) -> dict[str, Any]:
    """What ``card.html`` shows of one node, as plain text for the template to escape."""
    verdict = node.verdict
    tags = [node.type.value]
    if node.argument:
        tags.append(f"{node.argument} argument")
    if node.level is not None:
        tags.append(f"level {node.level}")
    if not node.in_scope:
        tags.append("above this run's level")
    sentences = [record_sentence(record) for test in node.tests for record in test.evidence]
    if node.risk is not None:
        sentences.insert(0, ledger_sentence(node.risk))
    links = [
        (label, [{"anchor": anchors[target], "id": target} for target in ids if target in anchors])
        for label, ids in (
            ("Supported by", node.supported_by),
            ("In the context of", node.in_context_of),
        )
    ]
    return {
        "cls": ACCEPTED_CLASS if accepted_without_evidence(node) else _cls(verdict),
        "anchor": anchors[node.id],
        "id": node.id,
        "text": node.text,
        "words": VERDICT_WORDS[verdict] if verdict else "no verdict",
        "tags": " · ".join(tags),
        "reason": node.reason if node.reason and verdict is not Verdict.SUPPORTED else "",
        "sentences": sentences,
        "notes": [note for test in node.tests for note in test.notes],
        "links": [(label, targets) for label, targets in links if targets],
        "tests": [_test_row(test) for test in node.tests],
        "records": [
            (
                _short(test.nodeid),
                ", ".join(f"{key}={value}" for key, value in record.to_dict().items()),
            )
            for test in node.tests
            for record in test.evidence
        ],
        "attachments": [file.relative_path for file in attachments if file.claim_id == node.id],
        "usage": "; ".join(str(test.usage) for test in node.tests if test.usage),
    }


def _test_row(test: TestOutcome) -> dict[str, Any]:
    return {
        "where": f"{test.path}:{test.line}" if test.path and test.line else test.path,
        "name": _short(test.nodeid),
        "cls": _cls(test.verdict),
        "verdict": test.verdict.value,
        "duration": f"{test.duration:.2f} s" if math.isfinite(test.duration) else "",
        "message": test.message,
    }


def _contexts(result: CaseResult, anchors: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for node in context_nodes(result):
        status = node.verdict.value if node.verdict else ""
        accepted = accepted_without_evidence(node)
        if accepted:
            status = "accepted without evidence"
        rows.append(
            {
                "anchor": anchors[node.id],
                "cls": ACCEPTED_CLASS if accepted else _cls(node.verdict),
                "id": node.id,
                "kind": node.type.value,
                "text": node.text,
                "status": status,
            }
        )
    return rows


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
