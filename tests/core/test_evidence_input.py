"""Evidence input: numpy numbers count, impossible numbers and bounds are bad input, and a
sampler's own exception is reported as itself, not blamed on the input."""

from __future__ import annotations

import asyncio
import json
import math

import numpy as np
import pytest

from pytest_safecase.evidence import ClaimRefuted, Evidence, EvidenceError
from pytest_safecase.verdict import Verdict


@pytest.mark.parametrize(
    "value", [np.int64(3), np.int32(3), np.float32(3.0), np.float64(3.0), np.uint8(3)]
)
def test_value_accepts_numpy_numbers_and_records_plain_json(value) -> None:
    evidence = Evidence()
    assert evidence.value("latency", value, at_least=np.float32(1), at_most=np.int64(5)) == 3
    record = evidence.records[0].to_dict()
    assert json.loads(json.dumps(record)) == record
    assert record["value"] == 3 and record["verdict"] == "supported"
    with pytest.raises(ClaimRefuted, match="latency = 3, claim <= 2"):
        evidence.value("latency", value, at_most=np.float64(2))


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, np.float64("inf"), np.nan])
def test_value_rejects_non_finite_numbers(value) -> None:
    with pytest.raises(EvidenceError, match="'score' must be a finite number"):
        Evidence().value("score", value)


@pytest.mark.parametrize("bound", [math.inf, math.nan, np.float32("nan"), "1", True])
def test_value_rejects_bounds_that_are_not_finite_numbers(bound) -> None:
    with pytest.raises(EvidenceError, match="bound at_most for 'score' must be a finite number"):
        Evidence().value("score", 1.0, at_most=bound)


@pytest.mark.parametrize("value", [True, np.bool_(True), "3", None])
def test_value_rejects_what_is_not_a_number(value) -> None:
    with pytest.raises(EvidenceError, match="'score' must be a finite number"):
        Evidence().value("score", value)


def test_contradictory_value_bounds_are_bad_input_not_a_refutation() -> None:
    evidence = Evidence("test_x")
    with pytest.raises(EvidenceError, match=r"test_x: .*at_least 5 exceeds at_most 2"):
        evidence.value("score", 3, at_least=5, at_most=2)
    assert evidence.records == []
    # Equal bounds are a point claim, not a contradiction.
    assert evidence.value("score", 2, at_least=2, at_most=2) == 2


def test_contradictory_risk_bounds_are_bad_input() -> None:
    with pytest.raises(EvidenceError, match=r"risk lower bound 0\.5 exceeds upper 0\.1"):
        Evidence().risk("r", 0.1, lower=0.5)
    Evidence().risk("r", np.float32(0.25), lower=np.float64(0.0))


SAMPLER_TESTS = """
from pytest_safecase import claim

def fetch(n):
    raise ValueError("the model server said 503")

@claim("callable")
def test_callable(evidence):
    evidence.rate_sequential(fetch, at_least=0.5, max_trials=100)

def stream():
    yield True
    raise TypeError("stream broke")

@claim("iterable")
def test_iterable(evidence):
    evidence.rate_sequential(stream(), at_least=0.5, max_trials=100)

@claim("async callable")
def test_async(evidence):
    async def sample(n):
        raise ValueError("async sampler broke")
    evidence.rate_sequential(sample, at_least=0.5, max_trials=100)

@claim("async iterable")
def test_async_stream(evidence):
    async def outcomes():
        yield True
        raise KeyError("async stream broke")
    evidence.rate_sequential(outcomes(), at_least=0.5, max_trials=100)

@claim("still bad input")
def test_bad(evidence):
    evidence.rate_sequential(lambda n: ["yes"] * n, at_least=0.5, max_trials=100)
"""


def test_a_sampler_exception_is_reported_as_itself_with_its_traceback(pytester, run_case) -> None:
    pytester.makepyfile(test_samplers=SAMPLER_TESTS)
    result, recorder = run_case()
    tests = {test.nodeid.split("::")[-1]: test for node in result.claims() for test in node.tests}
    messages = {name: test.message for name, test in tests.items()}
    assert messages == {
        "test_callable": "ValueError: the model server said 503",
        "test_iterable": "TypeError: stream broke",
        "test_async": "ValueError: async sampler broke",
        "test_async_stream": "KeyError: 'async stream broke'",
        "test_bad": messages["test_bad"],
    }
    assert "bad evidence input" in messages["test_bad"]
    assert all(tests[name].verdict is Verdict.ERROR for name in messages)
    reports = {r.nodeid.split("::")[-1]: r for r in recorder.getreports() if r.when == "call"}
    for name, line in [
        ("test_callable", 'raise ValueError("the model server said 503")'),
        ("test_iterable", 'raise TypeError("stream broke")'),
        ("test_async", 'raise ValueError("async sampler broke")'),
    ]:
        assert line in str(reports[name].longrepr), name


def test_arate_sequential_reraises_the_sampler_error_itself() -> None:
    async def sample(n: int) -> list[bool]:
        raise ValueError("rate limited")

    evidence = Evidence()
    with pytest.raises(ValueError, match="rate limited") as excinfo:
        asyncio.run(evidence.arate_sequential(sample, at_least=0.5, max_trials=10))
    assert type(excinfo.value) is ValueError  # not EvidenceError, a ValueError too
    assert excinfo.traceback[-1].name == "sample"
    assert evidence.records == []


def test_failure_messages_show_control_characters_in_names_as_escapes() -> None:
    # pytest prints these messages as they are, so an escape sequence in a name must not be raw.
    evidence = Evidence()
    with pytest.raises(ClaimRefuted) as refuted:
        evidence.value("x\x1b[2J", 3, at_most=1)
    with pytest.raises(ClaimRefuted) as rate:
        evidence.rate(1, 10, at_least=0.9, name="r\x1b]0;t\x07")
    assert str(refuted.value) == r"x\x1b[2J = 3, claim <= 1"
    assert str(rate.value).startswith(r"refuted: r\x1b]0;t\x07: rate 0.1 (1/10)")
    assert evidence.records[0].name == "x\x1b[2J"  # the record keeps the name as given
