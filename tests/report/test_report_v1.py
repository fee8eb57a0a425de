"""A report written before evidence records were typed still loads and renders byte for byte.

``data/v1`` holds a ``safecase.json`` with every record kind (fixed-n and sequential rates in both
directions, with and without names or trials, bounded and plain values, risks, an added-up and an
empty risk ledger) and what each renderer made of it then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_safecase.report import RENDERERS, load_report, workflow_commands
from pytest_safecase.report.terminal import summary_line, tree_lines

DATA = Path(__file__).parent / "data" / "v1"
REPORT = DATA / "safecase.json"


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_renders_as_it_did(fmt: str) -> None:
    result, run_info = load_report(REPORT)
    expected = DATA / f"expected.{fmt}" if fmt != "json" else REPORT
    rendered = RENDERERS[fmt](result, run_info)
    if fmt == "json":  # later versions add gsn2x's dialectic fields, each node's at its default
        rendered = re.sub(r'\n *"challenges": \[\],\n *"defeated": false,', "", rendered)
    assert rendered == expected.read_text(encoding="utf-8")


def test_terminal_tree_and_annotations_render_as_they_did() -> None:
    result, _ = load_report(REPORT)
    tree = [text for text, _ in tree_lines(result)] + [summary_line(result, gate=True)[0]]
    assert "\n".join(tree) + "\n" == (DATA / "expected.tree").read_text(encoding="utf-8")
    workflow = "\n".join(workflow_commands(result)) + "\n"
    assert workflow == (DATA / "expected.workflow").read_text(encoding="utf-8")
