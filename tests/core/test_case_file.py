"""Loading and validating the safety-case YAML: every GSN rule, with file, line, node and rule."""

import textwrap

import pytest

from pytest_safecase.case import ClaimSpec, NodeType, parse_case, validate_case, validate_claims

VALID = """
module:
  name: demo
G1:
  nodeType: Goal
  text: The system is acceptably safe
  supportedBy: [S1]
  inContextOf: [C1, A1]
S1:
  nodeType: Strategy
  text: Argue over each protocol
  supportedBy: [G2, G3]
G2:
  nodeType: Goal
  text: The monitor catches backdoors
  x-level: 1
  x-argument: control
G3:
  nodeType: Goal
  text: Later work
  undeveloped: true
C1:
  nodeType: Context
  text: Deployment of 5000 tasks
A1:
  nodeType: Assumption
  text: Audits are perfect
  x-accepted: true
x-models:
  untrusted: builtin:untrusted
"""


def problems_of(text):
    case, problems = parse_case(textwrap.dedent(text))
    return problems or validate_case(case)


def only_rule(text):
    problems = problems_of(text)
    assert problems, "expected a problem"
    return {problem.rule for problem in problems}, problems


def test_a_valid_case_loads_with_metadata_and_lines():
    case, problems = parse_case(VALID)
    assert problems == []
    assert validate_case(case) == []
    assert list(case.nodes) == ["G1", "S1", "G2", "G3", "C1", "A1"]
    assert case.nodes["G1"].in_context_of == ["C1", "A1"]
    assert case.nodes["G2"].level == 1 and case.nodes["G2"].argument == "control"
    assert case.nodes["A1"].accepted and case.nodes["G3"].undeveloped
    assert case.nodes["S1"].line == 9
    assert case.module == {"name": "demo"}
    assert case.metadata == {"x-models": {"untrusted": "builtin:untrusted"}}
    assert case.nodes["S1"].type is NodeType.STRATEGY


def test_in_context_of_accepts_a_single_string():
    case, problems = parse_case(VALID.replace("inContextOf: [C1, A1]", "inContextOf: C1"))
    assert not problems
    assert case.nodes["G1"].in_context_of == ["C1"]


def test_duplicate_ids_are_found_although_yaml_keeps_only_the_last():
    rules, problems = only_rule(VALID + "G2:\n  nodeType: Goal\n  text: again\n")
    assert "duplicate-id" in rules
    problem = next(p for p in problems if p.rule == "duplicate-id")
    assert problem.node == "G2" and problem.line == VALID.count("\n") + 1


def test_unknown_reference():
    rules, problems = only_rule(VALID.replace("[G2, G3]", "[G2, G3, G9]"))
    assert rules == {"unknown-reference"}
    assert "G9" in str(problems[0]) and problems[0].node == "S1"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("supportedBy: [S1]", "supportedBy: [S1, C1]", "cannot be supportedBy a Context"),
        (
            "supportedBy: [G2, G3]",
            "supportedBy: [G2, G3, S1x]\nS1x:\n  nodeType: Strategy\n  text: x",
            "cannot be supportedBy a Strategy",
        ),
        ("inContextOf: [C1, A1]", "inContextOf: [C1, A1, G2]", "not from a Goal to a Goal"),
    ],
)
def test_illegal_relations(old, new, fragment):
    rules, problems = only_rule(VALID.replace(old, new))
    assert "illegal-relation" in rules
    assert any(fragment in p.message for p in problems)


def test_cycles_are_reported_with_the_loop():
    text = VALID.replace("  x-level: 1\n", "  x-level: 1\n  supportedBy: [S1]\n")
    rules, problems = only_rule(text)
    assert "cycle" in rules
    assert any("S1 -> G2 -> S1" in p.message or "G2 -> S1" in p.message for p in problems)


def test_exactly_one_root_goal():
    rules, _ = only_rule(VALID + "G9:\n  nodeType: Goal\n  text: a second top goal\n")
    assert rules == {"root"}


def test_unreachable_nodes():
    text = VALID + "C9:\n  nodeType: Context\n  text: an orphan\n"
    rules, problems = only_rule(text)
    assert rules == {"unreachable"}
    assert problems[0].node == "C9"


@pytest.mark.parametrize(
    ("old", "new", "rule", "fragment"),
    [
        ("nodeType: Strategy", "nodeType: Tactic", "node-type", "must be one of"),
        ("text: Argue over each protocol", "text: ''", "text", "non-empty"),
        (
            "supportedBy: [G2, G3]",
            "supported_by: [G2, G3]",
            "unknown-key",
            "did you mean 'supportedBy'",
        ),
        ("x-level: 1", "x-level: 0", "level", "whole number"),
        ("x-argument: control", "x-argument: vibes", "argument", "inability"),
        ("undeveloped: true", "undeveloped: maybe", "undeveloped", "true or false"),
        ("  nodeType: Context\n", "  nodeType: Context\n  colour: [red]\n", "unknown-key", "'x-'"),
    ],
)
def test_node_field_rules(old, new, rule, fragment):
    text = VALID.replace(old, new, 1)
    assert text != VALID
    rules, problems = only_rule(text)
    assert rule in rules
    assert any(fragment in p.message for p in problems if p.rule == rule)


def test_yaml_syntax_error_names_the_line():
    rules, problems = only_rule("G1:\n  nodeType: Goal\n  text: [unclosed\n")
    assert rules == {"yaml"}
    assert problems[0].line is not None


def test_problem_text_names_file_line_node_and_rule(tmp_path):
    path = tmp_path / "safecase.yaml"
    case, _ = parse_case(VALID.replace("[G2, G3]", "[G2, G3, G9]"), path)
    (problem,) = validate_case(case)
    assert (
        str(problem)
        == f"{path}:9: S1: supportedBy names 'G9', which is not a node in this file [unknown-reference]"
    )


def spec(**kwargs):
    base = {"id": "G2", "statement": None, "nodeid": "t.py::test_x", "path": "t.py", "line": 3}
    return ClaimSpec(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("claim", "rule"),
    [
        (spec(id="S1"), "claim-kind"),
        (spec(id="C1"), "claim-kind"),
        (spec(id="G7", statement="new", supports="G99"), "claim-supports"),
        (spec(id="G7", statement="new", supports="C1"), "claim-supports"),
        (spec(statement="A different wording"), "claim-text"),
        (spec(id="G7"), "claim-text"),
        (spec(level=3), "claim-level"),
    ],
)
def test_claims_are_checked_against_the_file(claim, rule):
    case, _ = parse_case(VALID)
    problems = validate_claims(case, [claim])
    assert [p.rule for p in problems] == [rule]
    assert (
        problems[0].file == "t.py"
        and problems[0].line == 3
        and "t.py::test_x" in problems[0].message
    )


def test_claims_that_fit_the_file_pass():
    case, _ = parse_case(VALID)
    good = [
        spec(),
        spec(statement="The monitor catches backdoors", level=1),
        spec(id="G7", statement="new claim", supports="S1"),
        spec(id="A1", statement=None),
    ]
    assert validate_claims(case, good) == []


def test_conflicting_declarations_of_one_claim():
    problems = validate_claims(
        None,
        [spec(id="X", statement="one", nodeid="a"), spec(id="X", statement="two", nodeid="b")],
    )
    assert [p.rule for p in problems] == ["claim-conflict"]
