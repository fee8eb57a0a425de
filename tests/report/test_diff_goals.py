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
    # The total's move is listed; the worse verdict is what counts.
    assert [(c.claim, c.figure, c.regression) for c in changes] == [
        ("G0", "risk ledger", False),
        ("G0", "", True),
    ]


VALUE_CASE = """
G0:
  nodeType: Goal
  text: Safe
  supportedBy: [S0]
S0:
  nodeType: Strategy
  text: Over each measure
  supportedBy: [G1, G2]
G1:
  nodeType: Goal
  text: Few transcripts are lost
G2:
  nodeType: Goal
  text: The monitor catches attacks
"""


def result_with(lost: float, caught: int, trials: int = 1000):
    from pytest_safecase.records import RateRecord, ValueRecord
    from pytest_safecase.stats import decide_rate

    case, _ = parse_case(VALUE_CASE)
    specs = [
        ClaimSpec(id=claim, statement=None, nodeid=f"t.py::test_{claim}", path="t.py", line=1)
        for claim in ("G1", "G2")
    ]
    value = ValueRecord(
        "lost", lost, None, 0.1, Verdict.SUPPORTED if lost <= 0.1 else Verdict.REFUTED
    )
    rate = RateRecord("caught", decide_rate(caught, trials, at_least=0.9))
    outcomes = {
        "t.py::test_G1": TestOutcome("t.py::test_G1", value.verdict, evidence=[value]),
        "t.py::test_G2": TestOutcome("t.py::test_G2", rate.verdict, evidence=[rate]),
    }
    return assemble(case, specs, outcomes)


def test_a_value_creeping_toward_its_bound_is_flagged():
    changes = diff_results(result_with(0.02, 980), result_with(0.08, 980))
    assert [(c.claim, c.what, c.regression) for c in changes] == [
        ("G1", "value moved toward its bound", True)
    ]
    assert not diff_results(result_with(0.08, 980), result_with(0.02, 980))[0].regression
    assert diff_results(result_with(0.02, 980), result_with(0.08, 980), tolerance=0.1) == []


def test_a_ledger_total_creeping_toward_its_budget_is_flagged():
    changes = diff_results(result_with_risk(0.01), result_with_risk(0.04))
    assert [(c.claim, c.figure, c.what, c.regression) for c in changes] == [
        ("G0", "risk ledger", "risk total moved toward budget 0.05", True)
    ]


def test_within_noise_lets_a_sampled_rate_wobble_but_not_fall():
    old, wobble, fall = result_with(0.02, 980), result_with(0.02, 975), result_with(0.02, 950)
    assert fall.nodes["G2"].verdict is Verdict.SUPPORTED  # still supported, bound much lower
    (change,) = diff_results(old, wobble)
    assert change.regression  # off by default: any move toward the threshold counts
    (change,) = diff_results(old, wobble, within_noise=True)
    assert not change.regression and "within sampling noise" in change.what
    (change,) = diff_results(old, fall, within_noise=True)
    assert change.regression  # 196/200 and 186/200 are not one rate's noise


def test_only_root_causes_are_counted():
    """G2 refuted makes S0 and G0 worse; they are listed as following from G2, not counted."""
    changes = diff_results(result_with(0.02, 980), result_with(0.02, 800))
    counted = [c.claim for c in changes if c.regression]
    assert counted == ["G2"]
    follows = {c.claim: c.what for c in changes if "follows from" in c.what}
    assert follows == {
        "G0": "verdict worse, follows from G2",
        "S0": "verdict worse, follows from G2",
    }
