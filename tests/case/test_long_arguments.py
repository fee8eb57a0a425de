"""Long argument chains are valid: checking and evaluating them walks the graph with explicit
stacks, so a chain far longer than Python's recursion limit neither overflows nor hangs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_safecase.case import (
    CaseFile,
    ClaimSpec,
    Node,
    NodeType,
    TestOutcome,
    assemble,
    parse_case,
    validate_case,
)
from pytest_safecase.cli import FAILED, main
from pytest_safecase.verdict import Verdict

LENGTH = 3 * sys.getrecursionlimit()


def chain(length: int, *, level_from: int | None = None) -> CaseFile:
    """Goals G0 -> G1 -> ... -> G(length-1); from ``level_from`` on they carry x-level 2."""
    nodes = {}
    for i in range(length):
        node = Node(f"G{i}", NodeType.GOAL, f"Step {i}", line=i + 1)
        if i + 1 < length:
            node.supported_by = [f"G{i + 1}"]
        if level_from is not None:
            node.level = 2 if i >= level_from else 1
        nodes[node.id] = node
    return CaseFile(None, nodes)


def claim_on(node_id: str, verdict: Verdict) -> tuple[list[ClaimSpec], dict[str, TestOutcome]]:
    spec = ClaimSpec(node_id, None, nodeid="t.py::test_x", path="t.py", line=1)
    return [spec], {spec.nodeid: TestOutcome(spec.nodeid, verdict)}


@pytest.mark.parametrize("verdict", [Verdict.SUPPORTED, Verdict.REFUTED])
def test_a_verdict_at_the_bottom_of_a_long_chain_reaches_the_root(verdict: Verdict) -> None:
    case = chain(LENGTH)
    assert validate_case(case) == []
    claims, outcomes = claim_on(f"G{LENGTH - 1}", verdict)
    result = assemble(case, claims, outcomes)
    assert result.root == "G0"
    assert result.verdict is verdict
    assert [node.id for node in result.walk()] == [f"G{i}" for i in range(LENGTH)]
    assert result.counts()[verdict] == 1


def test_a_level_limit_cuts_a_long_chain_where_the_level_rises() -> None:
    case = chain(LENGTH, level_from=LENGTH // 2)
    claims, outcomes = claim_on(f"G{LENGTH - 1}", Verdict.SUPPORTED)
    result = assemble(case, claims, outcomes, level_limit=1)
    cut = LENGTH // 2
    assert result.nodes[f"G{cut - 1}"].in_scope and not result.nodes[f"G{cut}"].in_scope
    assert result.nodes[f"G{cut}"].verdict is Verdict.NOT_EVALUATED
    assert result.nodes[f"G{cut - 1}"].verdict is Verdict.UNDEVELOPED
    assert result.levels == [1, 2] and result.level_reached == 0


def test_a_long_loop_is_reported_with_its_ids_and_the_line_closing_it() -> None:
    case = chain(LENGTH)
    last = case.nodes[f"G{LENGTH - 1}"]
    last.supported_by = ["G1"]
    problems = validate_case(case)
    assert [problem.rule for problem in problems] == ["cycle"]
    (loop,) = problems
    assert loop.node == last.id and loop.line == LENGTH
    assert loop.message.startswith("the argument loops: G1 -> G2 -> ")
    assert loop.message.endswith(f"G{LENGTH - 1} -> G1")


def test_cycles_in_a_diamond_are_found_once_per_closing_link() -> None:
    text = "".join(
        f"{node}:\n  nodeType: Goal\n  text: {node}\n  supportedBy: [{targets}]\n"
        for node, targets in (("A", "B, C"), ("B", "D"), ("C", "D"), ("D", "B"))
    )
    case, problems = parse_case(text)
    assert problems == []
    messages = [problem.message for problem in validate_case(case)]
    assert messages == ["the argument loops: B -> D -> B"]


def test_safecase_validate_reports_a_hostile_file_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.yaml"
    lines = ["x-l0: &l0 [" + ", ".join(["lol"] * 10) + "]"]
    lines += [f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) == FAILED
    out = capsys.readouterr().out
    assert f"{path}:4: aliases would expand the file" in out
    assert "Traceback" not in out
