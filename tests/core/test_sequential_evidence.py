"""Sequential evidence through the fixture: stops early, records the method, fails closed."""

from pytest_safecase.records import SequentialRateRecord
from pytest_safecase.verdict import Verdict

TESTS = """
import random
from pytest_safecase import claim

def sampler_at(rate, seed):
    rng = random.Random(seed)
    calls = []
    def sample(n):
        calls.append(n)
        return [rng.random() < rate for _ in range(n)]
    sample.calls = calls
    return sample

@claim("clear pass stops early")
def test_clear(evidence):
    sample = sampler_at(1.0, 1)
    decision = evidence.rate_sequential(sample, at_least=0.9, max_trials=2000, batch_size=20)
    assert decision.stopped_early and decision.trials < 2000
    assert sum(sample.calls) == decision.trials

@claim("clear failure is refuted")
def test_refuted(evidence):
    evidence.rate_sequential(sampler_at(0.5, 2), at_least=0.9, max_trials=2000)

@claim("too few trials is inconclusive")
def test_cap(evidence):
    evidence.rate_sequential(sampler_at(0.92, 3), at_least=0.9, max_trials=30)

@claim("async samplers work")
def test_async(evidence):
    async def sample(n):
        return [True] * n
    evidence.rate_sequential(sample, at_least=0.5, max_trials=500)

@claim("a broken sampler is an error")
def test_broken(evidence):
    evidence.rate_sequential(lambda n: ["yes"] * n, at_least=0.5, max_trials=100)
"""


def test_sequential_claims_through_the_fixture(pytester, run_case):
    pytester.makepyfile(TESTS)
    result, _ = run_case()
    verdicts = {node.id: node.verdict for node in result.claims()}
    assert verdicts == {
        "test_clear": Verdict.SUPPORTED,
        "test_refuted": Verdict.REFUTED,
        "test_cap": Verdict.INCONCLUSIVE,
        "test_async": Verdict.SUPPORTED,
        "test_broken": Verdict.ERROR,
    }
    record = result.nodes["test_clear"].tests[0].evidence[0]
    assert isinstance(record, SequentialRateRecord)
    assert record.decision.stopped_early is True and record.decision.trials < 2000
    assert record.decision.method
    cap = result.nodes["test_cap"].tests[0]
    assert "allow more trials" in cap.message and "30 of at most 30" in cap.message


def test_sequential_figures_show_in_the_tree(pytester):
    pytester.makepyfile(TESTS)
    out = pytester.runpytest("--safecase-report").stdout.str()
    assert "claim ≥ 0.9" in out
