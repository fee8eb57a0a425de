"""Long argument chains report like any other: every renderer walks with an explicit stack.

A real run of a chain three times Python's recursion limit writes every report file, and
``safecase show`` and ``safecase render`` read it back. The stack-based walks are checked against
the recursive walks they replaced (kept here as the reference), node for node, on the shared
report fixture and on random arguments with shared supporters and contexts.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_safecase.case import (
    CaseFile,
    CaseResult,
    ClaimSpec,
    Node,
    NodeResult,
    NodeType,
    TestOutcome,
    assemble,
    validate_case,
)
from pytest_safecase.cli import main
from pytest_safecase.records import Record, ValueRecord
from pytest_safecase.report import REPORT_FILES, load_report, tea, terminal
from pytest_safecase.report import _layout as lay
from pytest_safecase.report._json import deep_json
from pytest_safecase.verdict import Verdict

LENGTH = max(3000, 3 * sys.getrecursionlimit())
TRACEBACKS = ("RecursionError", "INTERNALERROR", "Traceback")


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    """json.loads itself recurses per level: only the test's reading of the TEA tree needs this."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def chain_yaml(length: int) -> str:
    lines = ["module:", "  name: long chain"]
    for i in range(length):
        lines += [f"G{i}:", "  nodeType: Goal", f"  text: Step {i} of the argument"]
        if i + 1 < length:
            lines.append(f"  supportedBy: [G{i + 1}]")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
def test_a_long_chain_runs_and_writes_every_report(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    last = f"G{LENGTH - 1}"
    pytester.makefile(".yaml", safecase=chain_yaml(LENGTH))
    pytester.makepyfile(
        test_chain=textwrap.dedent(
            f"""
            from pytest_safecase import claim

            @claim(id="{last}")
            def test_the_last_step(evidence):
                evidence.rate(95, 100, at_least=0.8, name="success")
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--safecase-report")
    output = result.stdout.str() + result.stderr.str()
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), output
    assert not [word for word in TRACEBACKS if word in output], output
    result.stdout.fnmatch_lines(["*= safety case =*", "safety case G0: SUPPORTED | 1 claim*"])

    directory = pytester.path / "safecase-report"
    for name in REPORT_FILES.values():
        assert (directory / name).stat().st_size > 0, name
    report, _ = load_report(directory / "safecase.json")
    assert [node.id for node in report.walk()] == [f"G{i}" for i in range(LENGTH)]
    assert report.nodes[last].verdict is Verdict.SUPPORTED
    assert report.verdict is Verdict.SUPPORTED

    tea_text = (directory / REPORT_FILES["tea"]).read_text(encoding="utf-8")
    assert len(tea_text) < 2000 * LENGTH, "the TEA tree's indentation grew with its depth"
    with recursion_limit(10 * LENGTH):
        element = json.loads(tea_text)["tree"]
    names = []
    while element:
        names.append(element["name"])
        claims = [child for child in element["children"] if child["type"] != "EVIDENCE"]
        element = claims[0] if claims else None
    assert names == [f"G{i}" for i in range(LENGTH)]

    html = (directory / REPORT_FILES["html"]).read_text(encoding="utf-8")
    assert html.count('class="node ') == LENGTH + 1  # every goal and the evidence circle
    markdown = (directory / REPORT_FILES["md"]).read_text(encoding="utf-8")
    assert f"  n{LENGTH - 2} --> n{LENGTH - 1}" in markdown

    capsys.readouterr()
    assert main(["show", str(directory / "safecase.json")]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert len(shown) == LENGTH + 2 and shown[-1].startswith("safety case G0: SUPPORTED")
    for fmt, name in REPORT_FILES.items():
        target = pytester.path / f"rendered-{name}"
        assert (
            main(["render", str(directory / "safecase.json"), "--to", fmt, "-o", str(target)]) == 0
        )
        assert target.read_text(encoding="utf-8") == (directory / name).read_text(encoding="utf-8")
    out = capsys.readouterr()
    assert not [word for word in TRACEBACKS if word in out.out + out.err]


# The recursive walks the explicit stacks replaced, as they were: the reference for order.


def recursive_layout(result: CaseResult) -> lay.Diagram:
    diagram = lay.Diagram({}, [])

    def build(node_id: str, depth: int) -> lay._Slot:
        node = result.nodes[node_id]
        slot = lay._Slot(lay._box(node), depth=depth)
        diagram.boxes[node_id] = slot.box
        for ctx_id in node.in_context_of:
            diagram.edges.append(lay.Edge(node_id, ctx_id, context=True))
            if ctx_id not in diagram.boxes:
                ctx_box = lay._box(result.nodes[ctx_id])
                diagram.boxes[ctx_id] = ctx_box
                slot.contexts.append(ctx_box)
        for child_id in node.supported_by:
            diagram.edges.append(lay.Edge(node_id, child_id, context=False))
            if child_id not in diagram.boxes:
                slot.children.append(build(child_id, depth + 1))
        if node.tests and node.type in (NodeType.GOAL, NodeType.STRATEGY):
            evidence = lay._evidence_box(node)
            diagram.boxes[evidence.key] = evidence
            diagram.edges.append(lay.Edge(node_id, evidence.key, context=False))
            slot.children.append(lay._Slot(evidence, depth=depth + 1))
        return slot

    tops = {"y": lay.MARGIN, "right": 0.0}

    def place(slot: lay._Slot) -> None:
        tops["y"] = lay._place(slot, tops["y"])
        tops["right"] = max(tops["right"], slot.box.x + slot.block_width)
        for child in slot.children:
            place(child)

    place(build(result.root, 0))
    diagram.width = tops["right"] + lay.MARGIN
    diagram.height = tops["y"] - lay.V_GAP + lay.MARGIN
    return diagram


def recursive_tree_lines(result: CaseResult, width: int) -> list[terminal.Line]:
    width = min(width, terminal.MAX_WIDTH)
    lines: list[terminal.Line] = []
    shown: set[str] = set()

    def fit(indent: str, prose: str, figure: str) -> list[str]:
        return terminal._fit(indent, prose, figure, width, False)

    def visit(node: NodeResult, prefix: str, branch: str, last: bool) -> None:
        markup = terminal.TERMINAL_MARKUP.get(node.verdict, {}) if node.verdict else {}
        if node.id in shown:
            shown_above = f"↑ {node.id} (shown above)"
            lines.extend((text, {}) for text in fit(prefix + branch, shown_above, ""))
            return
        shown.add(node.id)
        headline = terminal._headline(node)
        lines.extend((text, markup) for text in fit(prefix + branch, headline, ""))
        inner = prefix + ("" if not branch else "   " if last else "│  ")
        for prose, figure in terminal._details(node, result):
            lines.extend((text, {}) for text in fit(inner + "   ", prose, figure))
        children = [result.nodes[child] for child in node.supported_by]
        for index, child in enumerate(children):
            is_last = index == len(children) - 1
            visit(child, inner, "└─ " if is_last else "├─ ", is_last)

    visit(result.nodes[result.root], "", "", True)
    return lines


def recursive_tea_element(
    result: CaseResult, node: NodeResult, depth: int, path: tuple[str, ...]
) -> dict[str, Any]:
    path = (*path, node.id)
    element = tea._shell(result, node, depth, path)
    for child_id in node.supported_by:
        if child_id not in path:
            child = result.nodes[child_id]
            element["children"].append(recursive_tea_element(result, child, depth + 1, path))
    if element["type"] != "EVIDENCE":
        element["children"] += [tea._evidence(test, path) for test in node.tests]
    return element


def random_result(seed: int) -> CaseResult:
    """A valid argument with strategies, shared supporters and contexts, and random verdicts."""
    rng = random.Random(seed)
    kinds = [NodeType.GOAL] * 5 + [NodeType.STRATEGY] * 2 + [NodeType.SOLUTION]
    order = [Node("G0", NodeType.GOAL, "The system is safe", line=1)]
    for i in range(1, rng.randint(2, 30)):
        kind = rng.choice(kinds)
        words = rng.choices(
            ["the", "monitor", "flags", "<b>", '"x"', "y" * 30], k=rng.randint(0, 12)
        )
        node = Node(f"{kind.value[0]}{i}", kind, " ".join(words), line=i + 1)
        node.undeveloped = kind is not NodeType.SOLUTION and rng.random() < 0.15
        node.level = rng.choice([None, None, 1, 2, 3])
        legal = [
            parent
            for parent in order
            if parent.type is NodeType.GOAL
            or (parent.type is NodeType.STRATEGY and kind is NodeType.GOAL)
        ]
        for parent in rng.sample(legal, min(len(legal), rng.choice([1, 1, 2, 3]))):
            parent.supported_by.append(node.id)
        order.append(node)
    for node in order:  # gsn2x: a node with supporters is developed (V03)
        node.undeveloped = node.undeveloped and not node.supported_by
    owners = [node for node in order if node.type is not NodeType.SOLUTION]
    for j in range(rng.randint(0, 8)):
        kind = rng.choice([NodeType.CONTEXT, NodeType.ASSUMPTION, NodeType.JUSTIFICATION])
        context = Node(f"{kind.value[0]}x{j}", kind, f"given {j} " * rng.randint(1, 6))
        context.accepted = kind is NodeType.ASSUMPTION and rng.random() < 0.5
        for owner in rng.sample(owners, min(len(owners), rng.choice([1, 1, 2, 3]))):
            owner.in_context_of.append(context.id)
        order.append(context)
    case = CaseFile(Path("case.yaml"), {node.id: node for node in order})
    assert validate_case(case) == []
    leaves = [node for node in order if not node.supported_by and node.type is not NodeType.CONTEXT]
    claims, outcomes = [], {}
    for target in rng.sample(leaves, rng.randint(0, len(leaves))):
        for k in range(rng.choice([1, 1, 2])):
            spec = ClaimSpec(target.id, None, nodeid=f"t.py::test_{target.id}_{k}", path="t.py")
            verdict = rng.choice(list(Verdict))
            evidence: list[Record] = [ValueRecord("v", 1.5, None, 2.0, Verdict.SUPPORTED)]
            claims.append(spec)
            outcomes[spec.nodeid] = TestOutcome(
                spec.nodeid, verdict, message="m", evidence=evidence if rng.random() < 0.5 else []
            )
    return assemble(case, claims, outcomes, level_limit=rng.choice([None, 1, 2]))


def results(rich: CaseResult) -> Iterator[CaseResult]:
    yield rich
    reference = Path(__file__).resolve().parents[2] / "safety_tests" / "safecase.yaml"
    from pytest_safecase.case import load_case

    case, problems = load_case(reference)
    assert problems == []
    yield assemble(case, [], {}, level_limit=2)
    for seed in range(150):
        yield random_result(seed)


def test_the_stack_walks_match_the_recursive_walks_they_replace(
    rich_result: CaseResult, run_info: dict[str, Any]
) -> None:
    shared = 0
    for result in results(rich_result):
        assert repr(lay.layout(result)) == repr(recursive_layout(result))
        for width in (100, 40):
            assert terminal.tree_lines(result, width) == recursive_tree_lines(result, width)
        shared += any("(shown above)" in text for text, _ in terminal.tree_lines(result))
        document = tea.tea_document(result, run_info)
        assert document["tree"] == recursive_tea_element(result, result.nodes[result.root], 0, ())
        expected = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        assert tea.render_tea(result, run_info) == expected
    assert shared > 50, "the random arguments hardly ever share a supporter"


def random_value(rng: random.Random, depth: int = 0) -> Any:
    scalars: list[Any] = [None, True, False, 0, -7, 2**70, 1.5, -0.0, 1e300, math.inf, math.nan]
    scalars += ["", "plain", 'quote " back \\ slash', "ünï\u2028code\x1b\n\t", "\ud800"]
    roll = rng.random()
    if depth > 5 or roll < 0.4:
        return rng.choice(scalars)
    members = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.65:
        return members if rng.random() < 0.8 else tuple(members)
    keys: list[Any] = ["a", "ü", 'k"q', 3, 2.5, True, None, ""]
    return {rng.choice(keys): member for member in members}


@pytest.mark.parametrize("indent", [2, 4, 0])
def test_deep_json_writes_what_json_dumps_writes(indent: int) -> None:
    rng = random.Random(indent)
    for _ in range(300):
        value = random_value(rng)
        expected = json.dumps(value, indent=indent, ensure_ascii=False)
        assert deep_json(value, indent) == expected
        assert deep_json(value, indent, max_level=99) == expected


def test_deep_json_has_no_depth_limit_and_can_stop_indenting() -> None:
    value: Any = "bottom"
    for i in range(3 * sys.getrecursionlimit()):
        value = {"level": i, "children": [value]}
    text = deep_json(value, max_level=8)
    assert max(len(line) - len(line.lstrip(" ")) for line in text.splitlines()) == 16
    with recursion_limit(10 * sys.getrecursionlimit()):
        assert json.loads(text) == value
