"""gsn2x's own example files (copied verbatim, MIT) are read, validated and exported again; every
gsn2x rule this reader checks has a file that breaks it, named by file and line."""

from __future__ import annotations

import filecmp
import textwrap
from pathlib import Path

import pytest

from pytest_safecase.case import (
    IMPLICIT_ROOT,
    NodeType,
    Problem,
    assemble,
    check_case,
    errors,
    parse_case,
    validate_case,
)
from pytest_safecase.cli import FAILED, OK, main
from pytest_safecase.report import render_json

EXAMPLES = Path(__file__).parent / "gsn2x_examples"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "gsn2x-examples"
"""gsn2x's examples as the project keeps them beside the repository (absent in some checkouts)."""

INDEXES = {
    "bullet_lists.gsn.yaml": set(),
    "confidence.gsn.yaml": set(),
    "dialectic/first.gsn.yaml": {"text"},
    "dialectic/second.gsn.yaml": {"text"},
    "entangled.gsn.yaml": {"root"},
    "example.gsn.yaml": set(),
    "minimalcss/min.gsn.yaml": set(),
    "modular/index.gsn.yaml": set(),
    "modular/sub2.gsn.yaml": set(),
    "template/instance.gsn.yaml": set(),
    "template/template.gsn.yaml": set(),
}
"""Every file a case is read from, with the rules of the warnings it draws."""
PARTS = {"modular/sub1.gsn.yaml", "modular/sub3.gsn.yaml"}
"""Modules that only make sense through the index that uses them."""


def test_the_copies_are_the_shared_examples_verbatim() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not checked out beside the repository")
    compared = filecmp.dircmp(SHARED, EXAMPLES)
    pending = [compared]
    while pending:
        current = pending.pop()
        assert not current.left_only and not current.right_only, current.report()
        _, mismatch, failed = filecmp.cmpfiles(
            current.left, current.right, current.common_files, shallow=False
        )
        assert not mismatch and not failed
        pending.extend(current.subdirs.values())


def test_every_example_is_accounted_for() -> None:
    found = {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.rglob("*.yaml")}
    assert found == set(INDEXES) | PARTS
    assert (EXAMPLES / "LICENSE.md").is_file()


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_each_example_validates_with_only_the_warnings_gsn2x_gives(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, problems = check_case(EXAMPLES / name)
    assert errors(problems) == [], [str(p) for p in problems]
    assert {problem.rule for problem in problems} == INDEXES[name]
    assert main(["validate", str(EXAMPLES / name)]) == OK
    assert "valid safety case" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(PARTS))
def test_a_module_alone_misses_what_its_index_provides(name: str) -> None:
    _, problems = check_case(EXAMPLES / name)
    assert errors(problems)
    assert all(problem.file == str(EXAMPLES / name) and problem.line for problem in problems)


def test_node_types_come_from_id_prefixes_and_gsn2x_keys_are_kept() -> None:
    case, _ = check_case(EXAMPLES / "example.gsn.yaml")
    types = {node_id: node.type for node_id, node in case.nodes.items()}
    assert types["G1"] is NodeType.GOAL and types["S1"] is NodeType.STRATEGY
    assert types["Sn1"] is NodeType.SOLUTION and types["C1"] is NodeType.CONTEXT
    assert types["A1"] is NodeType.ASSUMPTION and types["J1"] is NodeType.JUSTIFICATION
    assert case.nodes["Sn1"].extra == {"url": "https://github.com/jonasthewolf/gsn2x"}
    assert case.nodes["Sn2"].extra == {
        "layer1": "Additional information on layer 1",
        "layer2": "Additional information on layer 2",
    }
    assert case.nodes["S2"].extra == {"rankIncrement": 1, "horizontalIndex": {"relative": -1}}
    assert case.nodes["A2"].extra == {"classes": ["mycssclass", "anotherclass"]}
    assert case.nodes["G7"].undeveloped
    assert case.nodes["C2"].extra["text"] == "Context 2\nMultiline\n"

    dialectic, _ = check_case(EXAMPLES / "dialectic" / "second.gsn.yaml")
    assert dialectic.nodes["CG1"].type is NodeType.COUNTER_GOAL
    assert dialectic.nodes["CSn1"].type is NodeType.COUNTER_SOLUTION
    assert dialectic.nodes["CCSn1"].type is NodeType.COUNTER_SOLUTION  # nodeType beats the prefix
    assert dialectic.nodes["CCSn1"].challenges == ["G2 -> CG1"]
    assert dialectic.nodes["CSn2"].defeated
    assert dialectic.nodes["CSn2"].extra["defeatedRelation"] == "G5"


def test_modules_are_merged_through_the_index() -> None:
    case, problems = check_case(EXAMPLES / "modular" / "index.gsn.yaml")
    assert problems == []
    assert [path.name for path in case.files] == [
        "index.gsn.yaml",
        "sub1.gsn.yaml",
        "sub3.gsn.yaml",
    ]
    assert case.nodes["G3"].source == EXAMPLES / "modular" / "sub1.gsn.yaml"
    assert case.root_goals() == ["G1"]

    instance, problems = check_case(EXAMPLES / "template" / "instance.gsn.yaml")
    assert problems == []
    assert instance.root_goals() == ["G0"]
    assert instance.nodes["G1"].supported_by == ["G2"] and not instance.nodes["G1"].undeveloped


def exported(source: Path, tmp_path: Path) -> Path:
    """``source`` assembled without tests, saved as a JSON report and rendered by the CLI."""
    case, _ = check_case(source)
    report = tmp_path / "safecase.json"
    report.write_text(render_json(assemble(case, [], {}), {}), encoding="utf-8")
    out = tmp_path / "out.gsn.yaml"
    assert main(["render", str(report), "--to", "gsn2x", "-o", str(out)]) == OK
    return out


@pytest.mark.parametrize("name", sorted(INDEXES))
def test_each_example_round_trips_through_render_to_gsn2x(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original, _ = check_case(EXAMPLES / name)
    out = exported(EXAMPLES / name, tmp_path)
    again, problems = check_case(out)
    assert errors(problems) == [], [str(p) for p in problems]
    added = set(again.nodes) - set(original.nodes)
    assert added == ({IMPLICIT_ROOT} if len(original.root_goals()) > 1 else set())
    for node_id, node in original.nodes.items():
        back = again.nodes[node_id]
        assert (back.type, back.text, back.supported_by, back.in_context_of) == (
            node.type,
            node.text,
            node.supported_by,
            node.in_context_of,
        )
        assert (back.challenges, back.defeated, back.undeveloped) == (
            node.challenges,
            node.defeated,
            node.undeveloped,
        )
        kept = {k: v for k, v in back.extra.items() if k not in ("classes", "x-reason")}
        assert kept == {k: v for k, v in node.extra.items() if k != "classes"}
        assert set(node.extra.get("classes", [])) <= set(back.extra.get("classes", []))
    second = tmp_path / "second"
    second.mkdir()
    assert exported(out, second).read_text() == out.read_text()  # nothing piles up


def case_text(body: str) -> str:
    return textwrap.dedent(body)


def problems_in(body: str) -> list[Problem]:
    case, problems = parse_case(case_text(body), Path("case.gsn.yaml"))
    return problems if errors(problems) else problems + validate_case(case)


BASE = """
G1:
  text: Top
  supportedBy: [S1]
S1:
  text: Over hazards
  supportedBy: [G2]
G2:
  text: Hazard mitigated
  supportedBy: [Sn1]
Sn1:
  text: Test report
"""


def test_the_base_case_is_clean() -> None:
    assert problems_in(BASE) == []


@pytest.mark.parametrize(
    ("extra", "rule", "severity", "fragment"),
    [
        ("X1:\n  text: What am I\n", "node-type", "error", "prefixes"),
        ("Sn2:\n  text: t\n  owner: [a, b]\n", "unknown-key", "error", "a layer holds text"),
        ("Sn2:\n  text: t\n  supported_by: G1\n", "unknown-key", "error", "supportedBy"),
        ("G9:\n  text: Another top goal\n  undeveloped: true\n", "root", "warning", "implicit"),
        ("C9:\n  text: An orphan\n", "unreachable", "warning", "not reachable"),
        ("G9:\n  text: t\n  challenges: G2\n  undeveloped: true\n", "challenge", "error", "V12"),
        ("CG1:\n  text: t\n  challenges: CG1\n", "challenge", "error", "C13"),
        ("CG1:\n  text: t\n  challenges: G42\n", "challenge", "error", "C14"),
        ("CG1:\n  text: t\n  challenges: G2 -> Sn42\n", "challenge", "error", "C12"),
        ("CG1:\n  text: t\n  challenges: G2 -> G2\n", "challenge", "error", "C15"),
        ("CG1:\n  text: t\n  challenges: G1 -> Sn1\n", "challenge", "error", "C16"),
        (
            "CSn1:\n  text: t\n  challenges: G2\n  defeatedRelation: G1\n",
            "defeated",
            "error",
            "V13",
        ),
        ("Sn2:\n  text: t\n  defeated: true\n", "defeated", "warning", "V10"),
        ("Sn2:\n  text: t\n  defeated: maybe\n", "defeated", "error", "true or false"),
        ("Sn2:\n  text: t\n  rankIncrement: high\n", "layout", "error", "whole number"),
        ("Sn2:\n  text: t\n  horizontalIndex: {absolute: first}\n", "layout", "error", "last"),
        ("Sn2:\n  text: t\n  acp: [ACP1]\n", "acp", "error", "claim point"),
        ("Sn2:\n  text: t\n  acp: {ACP1: G1}\n", "acp", "error", "V09"),
        ("Sn2: {}\n", "text", "warning", "Sn2 has no text"),
    ],
)
def test_each_gsn2x_rule_has_a_breaking_file(
    extra: str, rule: str, severity: str, fragment: str
) -> None:
    problems = [p for p in problems_in(BASE + extra) if p.rule == rule]
    assert problems, f"expected a {rule} problem"
    (problem,) = problems
    assert problem.severity == severity and fragment in problem.message
    assert problem.file == "case.gsn.yaml" and problem.line is not None


def test_undeveloped_with_support_is_an_error() -> None:
    problems = problems_in(
        BASE.replace("  supportedBy: [Sn1]\n", "  supportedBy: [Sn1]\n  undeveloped: true\n")
    )
    assert [(p.rule, p.node) for p in problems] == [("undeveloped", "G2")]
    assert "V03" in problems[0].message


def test_a_layer_is_any_other_text_key_and_is_kept() -> None:
    case, problems = parse_case(case_text(BASE + "Sn2:\n  text: t\n  owner: safety team\n"))
    assert errors(problems) == []
    assert case.nodes["Sn2"].extra == {"owner": "safety team"}


def test_a_case_without_any_top_level_goal_is_an_error() -> None:
    problems = problems_in("S1:\n  text: Over hazards\n  supportedBy: [G2]\nG2:\n  text: g\n")
    assert [(p.rule, p.severity) for p in problems] == [("root", "error")]


def test_several_top_level_goals_run_under_the_implicit_root() -> None:
    case, problems = parse_case(case_text(BASE + "G9:\n  text: Second\n  undeveloped: true\n"))
    assert errors(problems + validate_case(case)) == []
    result = assemble(case, [], {})
    assert result.root == IMPLICIT_ROOT
    assert result.nodes[IMPLICIT_ROOT].supported_by == ["G1", "G9"]


# ---- modules across files ----


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(case_text(text), encoding="utf-8")
    return tmp_path / next(iter(files))


INDEX = """
module:
  name: main
  uses: [sub.gsn.yaml]
G1:
  text: Top
  supportedBy: [G2]
"""
SUB = """
module:
  name: sub
G2:
  text: Below
  undeveloped: true
"""


def test_uses_pulls_in_a_module(tmp_path: Path) -> None:
    case, problems = check_case(write(tmp_path, {"index.gsn.yaml": INDEX, "sub.gsn.yaml": SUB}))
    assert problems == [] and set(case.nodes) == {"G1", "G2"}


@pytest.mark.parametrize(
    ("files", "rule", "where", "fragment"),
    [
        ({"index.gsn.yaml": INDEX}, "module", "index.gsn.yaml:4", "cannot be read"),
        (
            {"index.gsn.yaml": INDEX, "sub.gsn.yaml": SUB + "  x: [1]\nJ1:\n  text: j\n"},
            "unknown-key",
            "sub.gsn.yaml:7",
            "unknown key",
        ),
        (
            {
                "index.gsn.yaml": INDEX,
                "sub.gsn.yaml": SUB.replace("name: sub", "name: sub\n  uses: [index.gsn.yaml]"),
            },
            "module-cycle",
            "sub.gsn.yaml:4",
            "index.gsn.yaml -> sub.gsn.yaml -> index.gsn.yaml",
        ),
        (
            {
                "index.gsn.yaml": INDEX.replace("[sub.gsn.yaml]", "[sub.gsn.yaml, b.gsn.yaml]"),
                "sub.gsn.yaml": SUB.replace("name: sub", "name: sub\n  uses: [c.gsn.yaml]"),
                "b.gsn.yaml": "module:\n  name: b\n  uses: [c.gsn.yaml]\n",
                "c.gsn.yaml": "module:\n  name: c\n",
            },
            "module-reused",
            "b.gsn.yaml:3",
            "sub.gsn.yaml:4 already uses",
        ),
        (
            {"index.gsn.yaml": INDEX, "sub.gsn.yaml": SUB + "G1:\n  text: Again\n"},
            "duplicate-id",
            "sub.gsn.yaml:7",
            "index.gsn.yaml:5",
        ),
        (
            {"index.gsn.yaml": INDEX, "sub.gsn.yaml": SUB.replace("name: sub", "name: main")},
            "module-name",
            "sub.gsn.yaml:2",
            "C06",
        ),
        (
            {
                "index.gsn.yaml": INDEX.replace(
                    "uses: [sub.gsn.yaml]", "extends: [{module: gone}]"
                ),
            },
            "module-missing",
            "index.gsn.yaml:4",
            "C09",
        ),
        (
            {
                "index.gsn.yaml": INDEX.replace(
                    "uses: [sub.gsn.yaml]", "extends: [{module: sub, develops: {G1: [G1]}}]"
                ),
                "sub.gsn.yaml": SUB,
            },
            "module-extends",
            "index.gsn.yaml:4",
            "C10",
        ),
    ],
)
def test_cross_module_rules_name_file_and_line(
    tmp_path: Path, files: dict[str, str], rule: str, where: str, fragment: str
) -> None:
    _, problems = check_case(write(tmp_path, files))
    found = [p for p in problems if p.rule == rule]
    assert found, [str(p) for p in problems]
    assert str(found[0]).startswith(str(tmp_path / where)), str(found[0])
    assert fragment in found[0].message


def test_safecase_validate_reports_a_module_cycle_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = SUB.replace("name: sub", "name: sub\n  uses: [index.gsn.yaml]")
    index = write(tmp_path, {"index.gsn.yaml": INDEX, "sub.gsn.yaml": sub})
    assert main(["validate", str(index)]) == FAILED
    assert f"{tmp_path / 'sub.gsn.yaml'}:4: modules use each other" in capsys.readouterr().out
