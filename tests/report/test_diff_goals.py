"""`safecase diff` also catches a goal that got worse without any claim changing verdict."""

from pytest_safecase.case import ClaimSpec, TestOutcome, assemble, parse_case
from pytest_safecase.compare import diff_results
from pytest_safecase.records import RiskRecord
from pytest_safecase.verdict import Verdict

CASE = """
G0:
  nodeType: Goal
  text: Risk within budget
  x-risk-budget: 0.05
  supportedBy: [G1]
G1:
  nodeType: Goal
  text: The protocol's risk is bounded
"""


def result_with_risk(upper):
    case, _ = parse_case(CASE)
    spec = ClaimSpec(id="G1", statement=None, nodeid="t.py::test_g1", path="t.py", line=1)
    record = RiskRecord("protocol", upper, 0.0)
    outcome = TestOutcome("t.py::test_g1", Verdict.SUPPORTED, evidence=[record])
    return assemble(case, [spec], {"t.py::test_g1": outcome})


def test_a_worse_root_from_the_risk_ledger_is_a_regression():
    old, new = result_with_risk(0.01), result_with_risk(0.2)
    assert (old.verdict, new.verdict) == (Verdict.SUPPORTED, Verdict.INCONCLUSIVE)
    changes = diff_results(old, new)
    assert [(c.claim, c.regression) for c in changes] == [("G0", True)]
