"""The HTML report: self-contained, GSN shapes coloured by verdict, inert results, real Chromium."""

from __future__ import annotations

import html
import itertools
import json
import re
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_safecase.case.result import CaseResult
from pytest_safecase.report import render_html, render_markdown
from pytest_safecase.report._json import parse_report
from pytest_safecase.report._layout import layout
from pytest_safecase.report._wording import VERDICT_COLOURS
from pytest_safecase.verdict import Verdict
from tests.report.conftest import run_and_grab

V1 = Path(__file__).parent / "data" / "v1"
SCRIPT_NOTE = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">'


def test_page_fetches_nothing(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    page = render_html(rich_result, run_info)
    assert "http://" not in page and "https://" not in page and "@import" not in page
    tags = " ".join(re.findall(r"<[^>]+>", page)).lower()  # results' text is escaped, not tags
    for forbidden in ("<script", "<link", "<img", "<iframe", "<object", "<embed", " src="):
        assert forbidden not in tags, forbidden
    assert set(re.findall(r"url\((.)", page)) <= {"#"}  # only the SVG's own arrow markers
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(href.startswith(("#", "attachments/")) for href in hrefs)
    assert "default-src 'none'" in page


def test_every_result_string_is_escaped(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    rich_result.nodes["G5"].text = 'quote " and <b>bold</b> & amp'
    page = render_html(rich_result, run_info)
    assert html.escape(SCRIPT_NOTE) in page
    assert "onerror=" not in page.replace("onerror=&quot;", "")
    assert "quote &quot; and &lt;b&gt;bold&lt;/b&gt; &amp; amp" in page
    assert "<b>bold" not in page


def test_gsn_shapes_and_verdict_colours(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    page = render_html(rich_result, run_info)
    svg = page[page.index("<svg") : page.index("</svg>")]
    groups = dict(
        re.findall(
            r'<a href="#node-\d+-(\w+)" class="node v-[\w-]+"><title>[^<]*</title><(\w+)', svg
        )
    )
    assert groups["G0"] == "rect"
    assert groups["S1"] == "polygon"  # parallelogram
    assert groups["C1"] == "rect" and 'rx="16"' in svg
    assert groups["A1"] == "ellipse" and groups["J1"] == "ellipse"
    assert ">A</text>" in svg and ">J</text>" in svg
    assert svg.count("<circle") == len(rich_result.claims())  # an evidence circle per claim
    fill, stroke = VERDICT_COLOURS[Verdict.REFUTED]
    assert re.search(
        rf'class="node v-refuted"><title>G4: [^<]*</title><rect [^>]*fill="{fill}" stroke="{stroke}"',
        svg,
    )
    assert re.search(r'class="node v-undeveloped"><title>G2: .*?<polygon points=', svg)  # diamond
    legend = page[page.index('<ul class="legend">') :]
    for verdict in Verdict:
        assert f"<b>{verdict.value}</b>" in legend


def test_headline_cards_and_details(rich_result: CaseResult, run_info: dict[str, Any]) -> None:
    page = render_html(rich_result, run_info)
    assert (
        '<p class="headline" id="headline">The safety case is NOT supported: 1 claim refuted'
        in page
    )
    assert page.count('<article class="card') == len(rich_result.walk())
    assert page.count("<details>") == len(rich_result.claims())
    assert (
        "refusal rate: 70 of 100 trials succeeded (70.0%). With 95% confidence the true rate is "
        "between 60.0% and 78.8%; the claim needs at least 90%."
    ) in page
    assert '<a href="attachments/attempts-2.jsonl">' in page
    assert "openai:gpt-4o-mini" in page and "0123456789abcdef" in page


def test_layout_is_deterministic_and_boxes_never_overlap(rich_result: CaseResult) -> None:
    first, second = layout(rich_result), layout(rich_result)
    assert [(b.key, b.x, b.y) for b in first.boxes.values()] == [
        (b.key, b.x, b.y) for b in second.boxes.values()
    ]
    boxes = list(first.boxes.values())
    assert {box.node_id for box in boxes} == set(rich_result.nodes)
    for a, b in itertools.combinations(boxes, 2):
        apart = (
            a.x + a.width <= b.x
            or b.x + b.width <= a.x
            or a.y + a.height <= b.y
            or b.y + b.height <= a.y
        )
        assert apart, (a.key, b.key)
        assert a.x >= 0 and a.x + a.width <= first.width and a.y + a.height <= first.height
    parent, child = first.boxes["S1"], first.boxes["G3"]
    assert child.y > parent.y + parent.height  # supporters sit below


# --- in a real browser -------------------------------------------------------------------------


def _chromium(binary: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    return subprocess.run([binary, *flags, *args], capture_output=True, timeout=60, check=True)


def test_model_output_with_script_stays_inert_in_chromium(
    chromium: str, rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    """Even with the Content-Security-Policy removed, the escaped script must not run."""
    page = render_html(rich_result, run_info)
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    path = tmp_path / "safecase.html"
    path.write_text(page, encoding="utf-8")
    dom = _chromium(chromium, tmp_path, "--dump-dom", path.as_uri()).stdout.decode()
    assert "<title>Safety case G0: refuted</title>" in dom
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom).group(1)
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert html.escape(SCRIPT_NOTE, quote=False) in dom  # shown as text


def test_screenshot_shows_the_verdict_colours(
    chromium: str, rich_result: CaseResult, run_info: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "safecase.html"
    path.write_text(render_html(rich_result, run_info), encoding="utf-8")
    shot = tmp_path / "shot.png"
    # Tall enough for the whole diagram: a fallback font that wraps the text above it
    # differently must not push boxes out of the picture.
    _chromium(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", path.as_uri())
    width, height, pixels = _read_png(shot.read_bytes())
    assert (width, height) == (1200, 2000)
    colours = _colour_counts(pixels)
    refuted_fill = _rgb(VERDICT_COLOURS[Verdict.REFUTED][0])
    assert pixels[5][600] == refuted_fill  # the banner says refuted
    assert colours[refuted_fill] > 50_000
    for verdict in (Verdict.SUPPORTED, Verdict.INCONCLUSIVE, Verdict.ERROR, Verdict.UNDEVELOPED):
        assert colours[_rgb(VERDICT_COLOURS[verdict][0])] > 1_000, verdict  # diagram boxes
    assert len(colours) > 50  # text and lines were drawn, not a blank page


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _colour_counts(pixels: list[list[tuple[int, int, int]]]) -> dict[tuple[int, int, int], int]:
    counts: dict[tuple[int, int, int], int] = {}
    for row in pixels:
        for pixel in row:
            counts[pixel] = counts.get(pixel, 0) + 1
    return counts


def _read_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) without an imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour_type not in (2, 6):
        pytest.fail(f"unexpected PNG format: depth {depth}, colour type {colour_type}")
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        rows.append([tuple(line[x : x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows  # type: ignore[return-value]


def _unfilter(kind: int, line: bytearray, previous: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            upper_left = previous[i - bpp] if i >= bpp else 0
            estimate = left + up - upper_left
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
            predictor = left if pa <= pb and pa <= pc else up if pb <= pc else upper_left
            line[i] = (line[i] + predictor) & 0xFF


HOSTILE = '<script>alert(1)</script>"onmouseover="alert(2)'


def test_hostile_claim_note_and_evidence_name_are_escaped() -> None:
    """Claim text, a note, an evidence name and a test message all reach the page escaped."""
    document = json.loads((V1 / "safecase.json").read_text(encoding="utf-8"))
    node = next(node for node in document["case"]["nodes"] if node["id"] == "G3")
    node["text"] = f"claim {HOSTILE}"
    node["argument"] = f"argument {HOSTILE}"
    test = node["tests"][0]
    test["notes"].append(f"note {HOSTILE}")
    test["evidence"][0]["name"] = f"name {HOSTILE}"
    test["message"] = f"message {HOSTILE}"
    result, run_info = parse_report(document)
    page = render_html(result, run_info)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=&quot;alert(2)"
    for where in ("claim", "argument", "note", "name", "message"):
        assert f"{where} {escaped}" in page, where
    assert "<script" not in page and '"onmouseover=' not in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert f"<title>G3: claim {escaped}</title>" in svg  # the diagram escapes its own text


REFERENCE_CASE = Path(__file__).parents[2] / "safety_tests" / "safecase.yaml"


def reference_shaped_result(pytester: pytest.Pytester) -> CaseResult:
    """The reference case's argument, each of its claims decided by a trivial test: the shape
    the release manager read, without the 150 s evaluation."""
    text = REFERENCE_CASE.read_text(encoding="utf-8")
    nodes = yaml.safe_load(text)
    claims = [
        node_id
        for node_id, body in nodes.items()
        if isinstance(body, dict)
        and body.get("nodeType") in ("Goal", "Assumption")
        and not body.get("supportedBy")
        and not body.get("x-accepted")
    ]
    pytester.makefile(".yaml", safecase=text)
    tests = ["from pytest_safecase import claim"]
    for index, node_id in enumerate(claims):
        tests += [f"@claim(id={node_id!r})", f"def test_{index}(evidence):"]
        tests += ["    evidence.rate(190, 200, at_least=0.9)"]
    pytester.makepyfile(test_reference="\n".join(tests) + "\n")
    return run_and_grab(pytester)


MEASURE = """<script>
const svg = document.querySelector("svg.gsn");
const box = svg.getBoundingClientRect();
const label = svg.querySelector(".label").getBoundingClientRect();
document.title = ["measured", box.right, box.width / svg.viewBox.baseVal.width,
                  document.documentElement.scrollWidth].join(" ");
</script></body>"""


def test_the_reference_diagram_is_readable_at_1400_px(
    chromium: str, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """At 1,400 px the whole diagram is on screen at full size (12 px labels): no sideways
    scrolling and no shrinking. The layered layout it replaces was 2,788 px wide."""
    result = reference_shaped_result(pytester)
    assert len(result.claims()) >= 14
    page = render_html(result, {})
    # Every claim holds, yet the gate blocks: the budget is unargued, and the list says so first.
    attention = page[page.index('id="attention"') : page.index('id="argument"')]
    assert "<b>G0</b>" in attention and "no claim below it recorded a risk" in attention
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)
    path = tmp_path / "safecase.html"
    path.write_text(page.replace("</body>", MEASURE), encoding="utf-8")
    dom = _chromium(chromium, tmp_path, "--window-size=1400,1000", "--dump-dom", path.as_uri())
    title = re.search(r"<title>measured (\S+) (\S+) (\S+)</title>", dom.stdout.decode())
    assert title, dom.stdout.decode()[:500]
    right, scale, page_width = (float(value) for value in title.groups())
    assert right <= 1400 and page_width <= 1400
    assert scale >= 0.999  # drawn at full size: labels stay 12 px


def test_accepted_assumptions_do_not_share_the_supported_green(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    """A1 is accepted without evidence: it counts as supported, but is drawn in its own colour
    with a dashed outline, in the diagram, the context table, its card and the Mermaid chart."""
    assert rich_result.nodes["A1"].verdict is Verdict.SUPPORTED
    page = render_html(rich_result, run_info)
    green = VERDICT_COLOURS[Verdict.SUPPORTED][0]
    a1 = re.search(r'class="node ([\w-]+)"><title>A1: [^<]*</title><ellipse ([^>]*)>', page)
    assert a1 and a1.group(1) == "v-accepted"
    assert green not in a1.group(2) and 'stroke-dasharray="6 3"' in a1.group(2)
    assert re.search(r'<tr id="node-\d+-A1" class="v-accepted">', page)
    assert "<b>accepted</b>" in page  # in the legend
    mermaid = render_markdown(rich_result, run_info)
    assert re.search(r"\(\[\"A1: [^\n]*\"\]\):::accepted", mermaid)
    assert "classDef accepted fill:#fbf6e3" in mermaid


def test_gate_level_and_needs_attention_come_first(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    page = render_html(rich_result, run_info)
    assert "Release gate: BLOCKED: the root goal is refuted" in page
    assert "level reached: 1 of 1" in page
    attention = page[page.index('<section id="attention">') : page.index('<section id="argument">')]
    ids = re.findall(r'<a href="#node-\d+-[\w-]+"><b>([\w-]+)</b></a>', attention)
    assert ids == ["G2", "G4", "G5", "G6", "G10"]
    assert "weights file missing" in attention  # the reason, without a click
    assert page.index('id="attention"') < page.index('id="argument"') < page.index('id="claims"')
