"""Local and reasoning models: an adaptive concurrency limit against a single-slot server,
parameters a model rejects, and a token budget that stops a run with nothing lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_safecase.models import (
    BudgetExceededError,
    Model,
    ModelError,
    Request,
    ResponseCache,
    RetryPolicy,
    TokenBudget,
    UsageLedger,
    get_model,
)
from pytest_safecase.models._limit import AdaptiveLimit
from tests.models.fakeserver import FakeLLMServer


def test_the_limit_halves_once_per_overload_and_grows_back_by_one() -> None:
    limit = AdaptiveLimit(8)
    limit.failed(0)
    limit.failed(0)  # sent before the decrease: the same overload
    assert limit.limit == 4
    limit.failed(1)
    assert (limit.limit, limit.lowest) == (2, 2)
    for _ in range(2):
        limit.succeeded()
    assert limit.limit == 3
    for _ in range(100):
        limit.succeeded()
    assert limit.limit == 8, "never above the ceiling"


def test_a_single_slot_server_is_served_by_backing_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """16 requests at width 8 to a server that generates one answer at a time (0.3 s each) and
    keeps generating abandoned ones: at a fixed width of 8 all but the first few time out on
    every round; backing off lets its queue drain."""
    server = FakeLLMServer(latency=0.3, slots=1).start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-local")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        model = get_model(
            "openai:local",
            retry=RetryPolicy(retries=6, base_delay=0.05, max_delay=0.2),
            max_concurrency=8,
            timeout=1.0,
            ledger=UsageLedger(),
        )
        answers = model.generate_many([Request(f"q{n}") for n in range(16)])
        assert [answer.text.split(" to: ")[1] for answer in answers] == [f"q{n}" for n in range(16)]
        assert model.limit.lowest <= 2, "it backed off"
        assert server.request_count < 16 * 3, "no retry storm"
        model.close()
    finally:
        server.stop()


def test_reasoning_models_get_max_completion_tokens_and_no_temperature(
    llm_env: FakeLLMServer,
) -> None:
    for name in ("o3-mini", "gpt-5", "openrouter/o4-mini", "gpt-4o"):
        model = get_model(f"openai:{name}", ledger=UsageLedger())
        model.generate("q", temperature=0.0, max_tokens=64)
        model.close()
    *reasoning, ordinary = llm_env.requests
    assert ordinary.body["max_tokens"] == 64 and ordinary.body["temperature"] == 0.0
    for seen in reasoning:
        assert seen.body["max_completion_tokens"] == 64
        assert "max_tokens" not in seen.body and "temperature" not in seen.body


def test_a_rejected_parameter_is_dropped_or_renamed_and_remembered(
    llm_env: FakeLLMServer,
) -> None:
    llm_env.rejected_parameters = {"temperature", "max_tokens"}
    model = get_model("openai:new-family", ledger=UsageLedger())
    assert model.generate("q", temperature=0.0, max_tokens=64).complete
    sent = [sorted(set(seen.body) - {"model", "messages"}) for seen in llm_env.requests]
    assert sent[-1] == ["max_completion_tokens"]
    assert len(sent) == 3, "one 400 per rejected parameter, then the answer"
    model.generate("again", temperature=0.0, max_tokens=64)
    assert len(llm_env.requests) == 4, "remembered: no second 400"
    model.close()


def test_a_400_about_something_else_is_still_an_error(llm_env: FakeLLMServer) -> None:
    """The counter-example: only parameters we can do without are adapted, never the prompt."""
    llm_env.rejected_parameters = {"messages"}
    model = get_model("openai:m", ledger=UsageLedger())
    with pytest.raises(ModelError, match=r"HTTP 400.*'messages' is not supported"):
        model.generate("q")
    assert llm_env.request_count == 1
    model.close()


def budgeted(tmp_path: Path, limit: int) -> Model:
    return get_model(
        "openai:m",
        cache=ResponseCache(tmp_path / "cache"),
        budget=TokenBudget(limit),
        ledger=UsageLedger(),
    )


def test_a_token_budget_stops_before_it_is_exceeded_and_keeps_what_was_answered(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """Each request reserves ~4 prompt tokens + 20; each answer bills 18 (11 in, 7 out)."""
    model = budgeted(tmp_path, limit=70)
    requests = [Request(f"q{n}", max_tokens=20) for n in range(10)]
    with pytest.raises(BudgetExceededError, match=r"token budget of openai:m reached: .* of 70"):
        for request in requests:
            model.generate(request.prompt, max_tokens=20)
    answered = llm_env.request_count
    assert 1 <= answered < 10 and model.budget is not None and model.budget.spent <= 70
    again = budgeted(tmp_path, limit=70)
    for request in requests[:answered]:
        assert again.generate(request.prompt, max_tokens=20).cached, "nothing lost"
    assert llm_env.request_count == answered
    model.close()


def test_a_batch_over_budget_sends_nothing_past_it(llm_env: FakeLLMServer, tmp_path: Path) -> None:
    model = budgeted(tmp_path, limit=100)
    with pytest.raises(BudgetExceededError):
        model.generate_many([Request(f"q{n}", max_tokens=20) for n in range(20)])
    assert model.budget is not None and model.budget.spent <= 100
    assert llm_env.request_count <= 100 // 18
    model.close()


def test_a_cancelled_attempt_gives_its_slot_back() -> None:
    """A batch that fails cancels its other requests: their slots must come back, or the
    model's later batches would run narrower, or hang at width 0."""
    import asyncio

    async def scenario() -> int:
        limit = AdaptiveLimit(1)
        await limit.acquire()
        waiting = asyncio.ensure_future(limit.acquire())
        cancelled = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        cancelled.cancel()
        limit.release()
        await asyncio.wait_for(waiting, timeout=1)
        limit.release()
        return await asyncio.wait_for(limit.acquire(), timeout=1)

    assert asyncio.run(scenario()) == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "whatever", "param": "temperature"}}, "temperature"),
        (
            {"type": "error", "error": {"message": "temperature: Extra inputs are not permitted"}},
            "temperature",
        ),
        (
            {"error": {"message": "Unsupported value: 'temperature' does not support 0"}},
            "temperature",
        ),
        # About a value, not the parameter: dropping max_tokens would hide a real mistake.
        ({"error": {"message": "max_tokens is too large: 100000, at most 4096"}}, None),
        ({"error": {"message": "'messages' is not supported", "param": "messages"}}, None),
    ],
)
def test_which_400s_name_a_parameter_to_drop(body: dict[str, object], expected: str | None) -> None:
    from pytest_safecase.models._wire import rejected_parameter

    sent = {"model": "m", "messages": [], "temperature": 0.0, "max_tokens": 100000}
    assert rejected_parameter(400, body, sent) == expected
    assert rejected_parameter(500, body, sent) is None, "only a 400 says the request was wrong"
