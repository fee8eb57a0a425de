"""The real openai and anthropic SDKs driven at the local fake server, faults included."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from pytest_safecase.models import (
    CacheMissError,
    Model,
    ModelError,
    Request,
    ResponseCache,
    RetryPolicy,
    UsageLedger,
    get_model,
)
from tests.models.fakeserver import ANTHROPIC_PATH, OPENAI_PATH, FakeLLMServer, Fault

SPECS = ["openai:gpt-fake", "anthropic:claude-fake"]
FAST_RETRY = RetryPolicy(retries=2, base_delay=0.01, max_retry_after=5.0)


def fast_model(spec: str, **options: object) -> Model:
    settings: dict[str, object] = {"retry": FAST_RETRY, "timeout": 5.0, "ledger": UsageLedger()}
    settings.update(options)
    return get_model(spec, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", SPECS)
def test_generate_returns_text_usage_and_latency(llm_env: FakeLLMServer, spec: str) -> None:
    model = fast_model(spec)
    started = time.monotonic()
    completion = model.generate("hello there")
    elapsed = time.monotonic() - started
    assert completion.text == "reply #1 to: hello there"
    assert completion.model.endswith("-fake")
    assert completion.usage.input_tokens > 0 and completion.usage.output_tokens > 0
    assert not completion.usage.estimated and not completion.cached
    assert 0 < completion.latency <= elapsed
    model.close()


def test_openai_request_body_carries_every_parameter(llm_env: FakeLLMServer) -> None:
    model = fast_model("openai:gpt-fake")
    model.generate("q", system="be brief", temperature=0.3, max_tokens=50, seed=7)
    (seen,) = llm_env.requests
    assert seen.path == OPENAI_PATH
    assert seen.body["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "q"},
    ]
    assert (seen.body["temperature"], seen.body["max_tokens"], seen.body["seed"]) == (0.3, 50, 7)
    assert seen.headers["x-stainless-retry-count"] == "0", "the SDK's own retries are off"
    model.close()


def test_anthropic_moves_system_messages_and_fills_max_tokens(llm_env: FakeLLMServer) -> None:
    model = fast_model("anthropic:claude-fake")
    transcript = [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "again"},
    ]
    completion = model.generate(transcript, system="top", temperature=0.0)
    (seen,) = llm_env.requests
    assert seen.path == ANTHROPIC_PATH
    assert seen.body["system"] == "top\n\nrules"
    assert [m["role"] for m in seen.body["messages"]] == ["user", "assistant", "user"]
    assert seen.body["max_tokens"] == 1024
    assert "temperature" not in seen.body, "the messages API no longer takes it"
    assert completion.text.endswith("to: again")
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_rate_limit_waits_for_retry_after_seconds(llm_env: FakeLLMServer, spec: str) -> None:
    llm_env.inject(Fault.rate_limited(retry_after="0.6"))
    ledger = UsageLedger()
    model = fast_model(spec, ledger=ledger)
    completion = model.generate("patience")
    first, second = llm_env.requests
    assert second.received_at - first.received_at >= 0.6
    assert completion.text.startswith("reply #2")
    assert ledger.snapshot()[spec].retries == 1
    model.close()


def test_rate_limit_retry_after_http_date(llm_env: FakeLLMServer) -> None:
    # HTTP dates have one-second resolution: ask for ~2 s so the wait is visibly > 0.
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    llm_env.inject(Fault.rate_limited(retry_after=when))
    model = fast_model("openai:gpt-fake")
    model.generate("dated")
    first, second = llm_env.requests
    assert 0.9 <= second.received_at - first.received_at <= 3.5
    model.close()


def test_huge_retry_after_is_capped(llm_env: FakeLLMServer) -> None:
    llm_env.inject(Fault.rate_limited(retry_after="3600"))
    model = fast_model("openai:gpt-fake", retry=RetryPolicy(retries=1, max_retry_after=0.2))
    started = time.monotonic()
    model.generate("cap")
    assert time.monotonic() - started < 2
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_server_errors_are_retried_then_succeed(llm_env: FakeLLMServer, spec: str) -> None:
    llm_env.inject(Fault.server_error(500), Fault.server_error(503))
    model = fast_model(spec)
    assert model.generate("flaky").text.startswith("reply #3")
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_persistent_failure_is_a_bounded_model_error(llm_env: FakeLLMServer, spec: str) -> None:
    llm_env.inject(*[Fault.server_error(502)] * 10)
    ledger = UsageLedger()
    model = fast_model(spec, ledger=ledger)
    failure = r"^model .+ failed: HTTP 502 Bad Gateway from http://127\.0\.0\.1:\d+(/v1)?: "
    with pytest.raises(ModelError, match=failure + r"fake internal failure \(after 3 attempts"):
        model.generate("doomed")
    assert llm_env.request_count == 3
    usage = ledger.snapshot()[spec]
    assert (usage.requests, usage.calls, usage.retries, usage.errors) == (1, 0, 2, 1)
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_dropped_connections_are_retried(llm_env: FakeLLMServer, spec: str) -> None:
    llm_env.inject(Fault.dropped(), Fault.dropped())
    model = fast_model(spec)
    assert model.generate("reconnect").text.startswith("reply #3")
    model.close()


def test_slow_reply_times_out_and_is_retried(llm_env: FakeLLMServer) -> None:
    llm_env.inject(Fault.slow(2.0))
    model = fast_model("openai:gpt-fake", timeout=0.3)
    started = time.monotonic()
    assert model.generate("tortoise").text.startswith("reply #2")
    assert time.monotonic() - started < 1.5
    model.close()


def test_timeouts_to_the_end_are_a_model_error(llm_env: FakeLLMServer) -> None:
    llm_env.inject(*[Fault.slow(1.0)] * 3)
    model = fast_model("anthropic:claude-fake", timeout=0.2, retry=RetryPolicy(1, 0.01))
    # Whichever fires first, the SDK's read timeout or the deadline, the attempt timed out.
    timed_out = r"(timed out talking to \S+|no complete answer within 0\.2s \(time queued[^)]*\))"
    with pytest.raises(ModelError, match=timed_out + r" \(after 2 attempts"):
        model.generate("never in time")
    model.close()


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize(
    ("fault", "quoted"),
    [
        (Fault.malformed_json(), "this is not json"),
        (Fault.raw({"unexpected": "shape"}), "unexpected"),
        (Fault.raw({"error": {"message": "model overloaded today"}}), "model overloaded today"),
    ],
)
def test_malformed_replies_are_model_errors_that_quote_the_body(
    llm_env: FakeLLMServer, spec: str, fault: Fault, quoted: str
) -> None:
    llm_env.inject(fault)
    model = fast_model(spec)
    with pytest.raises(ModelError, match=quoted):
        model.generate("shape")
    assert llm_env.request_count == 1, "a malformed reply is final, not retried"
    model.close()


@pytest.mark.parametrize(
    ("spec", "payload"),
    [
        ("openai:gpt-fake", {"choices": [{"message": {"role": "assistant", "content": None}}]}),
        ("openai:gpt-fake", {"choices": []}),
        ("anthropic:claude-fake", {"content": [], "stop_reason": "end_turn"}),
    ],
)
def test_replies_without_content_are_model_errors(
    llm_env: FakeLLMServer, spec: str, payload: dict[str, object]
) -> None:
    llm_env.inject(Fault.raw(payload))
    model = fast_model(spec)
    with pytest.raises(ModelError, match=r"no (choices|text content)"):
        model.generate("empty")
    model.close()


def test_client_errors_are_not_retried(llm_env: FakeLLMServer) -> None:
    llm_env.inject(Fault.raw({"error": {"message": "invalid api key"}}, status=401))
    model = fast_model("openai:gpt-fake")
    with pytest.raises(
        ModelError, match=r"HTTP 401 Unauthorized from http://\S+/v1: invalid api key"
    ):
        model.generate("who am i")
    assert llm_env.request_count == 1
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_cache_keys_samples_apart_and_replays_them(
    llm_env: FakeLLMServer, spec: str, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path)
    model = fast_model(spec, cache=cache)
    draws = [model.generate("same prompt", temperature=1.0, sample=n) for n in range(3)]
    assert len({draw.text for draw in draws}) == 3, "each sample is its own answer"
    again = [model.generate("same prompt", temperature=1.0, sample=n) for n in range(3)]
    assert [a.text for a in again] == [d.text for d in draws]
    assert all(a.cached for a in again) and llm_env.request_count == 3
    model.close()

    replay = fast_model(spec, cache=ResponseCache(tmp_path), cache_mode="replay")
    assert replay.generate("same prompt", temperature=1.0, sample=2).text == draws[2].text
    with pytest.raises(CacheMissError, match="replay never calls the provider"):
        replay.generate("same prompt", temperature=1.0, sample=3)
    assert llm_env.request_count == 3
    replay.close()


def test_replay_never_opens_a_connection(llm_env: FakeLLMServer, tmp_path: Path) -> None:
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path), cache_mode="replay")
    with pytest.raises(CacheMissError):
        model.generate("not recorded")
    with pytest.raises(CacheMissError, match="batch item 0"):
        model.generate_many([Request("a"), Request("b")])
    assert llm_env.request_count == 0 and llm_env.connections == 0


def test_cache_off_always_calls_the_provider(llm_env: FakeLLMServer, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    model = fast_model("openai:gpt-fake", cache=cache, cache_mode="off")
    assert model.generate("x").text != model.generate("x").text
    assert llm_env.request_count == 2 and len(cache) == 0
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_generate_many_keeps_input_order_within_concurrency(
    llm_env: FakeLLMServer, spec: str
) -> None:
    llm_env.latency = 0.02
    model = fast_model(spec)
    requests = [Request(f"question {n}") for n in range(40)]
    completions = model.generate_many(requests, max_concurrency=5)
    assert [c.text.split("to: ")[1] for c in completions] == [f"question {n}" for n in range(40)]
    assert 2 <= llm_env.max_in_flight <= 5
    model.close()


def test_generate_many_serves_stored_and_repeated_requests_from_the_cache(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path))
    stored = model.generate("stored")
    batch = [Request("stored"), Request("new"), Request("new"), Request("new", sample=1)]
    completions = model.generate_many(batch, max_concurrency=1)
    assert [c.cached for c in completions] == [True, False, True, False]
    assert completions[0].text == stored.text and completions[1].text == completions[2].text
    assert completions[3].text != completions[1].text, "another sample is another answer"
    assert llm_env.request_count == 3
    model.close()


def test_repeats_in_a_batch_get_one_answer_across_cache_flushes(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path))
    batch = [Request("repeat"), *(Request(f"filler {n}") for n in range(70)), Request("repeat")]
    completions = model.generate_many(batch, max_concurrency=1)
    assert completions[0].text == completions[-1].text and completions[-1].cached
    assert llm_env.request_count == 71, "more answers than the cache queues between the repeats"
    model.close()


def test_repeats_running_at_once_are_one_call(llm_env: FakeLLMServer, tmp_path: Path) -> None:
    llm_env.latency = 0.02
    ledger = UsageLedger()
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path), ledger=ledger)
    completions = model.generate_many([Request("same")] * 8, max_concurrency=8)
    assert len({c.text for c in completions}) == 1 and llm_env.request_count == 1
    usage = ledger.snapshot()["openai:gpt-fake"]
    assert (usage.requests, usage.calls, usage.cache_hits) == (8, 1, 7)
    model.close()


def test_a_failed_batch_keeps_its_answers_and_counts_what_ended(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    ledger = UsageLedger()
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path), ledger=ledger)
    llm_env.inject(Fault(), Fault(), Fault.raw({"error": {"message": "poisoned"}}, status=400))
    batch = [Request(f"q{n}") for n in range(10)]
    with pytest.raises(ModelError, match=r"batch item 2: .*poisoned"):
        model.generate_many(batch, max_concurrency=1)
    usage = ledger.snapshot()["openai:gpt-fake"]
    assert (usage.requests, usage.calls, usage.errors) == (3, 2, 1)
    assert usage.requests == usage.calls + usage.cache_hits + usage.errors
    model.close()

    again = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path))
    assert [c.cached for c in again.generate_many(batch, max_concurrency=1)] == [True] * 2 + [
        False
    ] * 8
    again.close()


def test_requests_cancelled_by_a_failure_are_not_counted(llm_env: FakeLLMServer) -> None:
    ledger = UsageLedger()
    model = fast_model("openai:gpt-fake", ledger=ledger)
    llm_env.inject(Fault.raw({"error": {"message": "poisoned"}}, status=400))
    llm_env.inject(*[Fault.slow(2.0)] * 4)
    started = time.monotonic()
    with pytest.raises(ModelError, match="poisoned"):
        model.generate_many([Request(f"q{n}") for n in range(5)], max_concurrency=5)
    assert time.monotonic() - started < 1.5, "the slow requests were cancelled, not awaited"
    usage = ledger.snapshot()["openai:gpt-fake"]
    assert (usage.requests, usage.calls, usage.errors) == (1, 0, 1)
    model.close()


def test_generate_many_fails_closed_on_the_first_error(llm_env: FakeLLMServer) -> None:
    llm_env.inject(Fault.raw({"error": {"message": "poisoned"}}, status=400))
    model = fast_model("openai:gpt-fake")
    with pytest.raises(ModelError, match=r"batch item \d+: .*poisoned"):
        model.generate_many([Request(f"q{n}") for n in range(10)], max_concurrency=2)
    model.close()


def test_async_api_from_a_caller_event_loop(llm_env: FakeLLMServer) -> None:
    model = fast_model("anthropic:claude-fake")

    async def main() -> list[str]:
        one = await model.agenerate("solo")
        many = await model.agenerate_many([Request("a"), Request("b")], max_concurrency=2)
        return [one.text, *(c.text for c in many)]

    texts = asyncio.run(main())
    assert [t.split("to: ")[1] for t in texts] == ["solo", "a", "b"]
    # The same model keeps working from the sync API and from a second, new loop.
    assert model.generate("after").text.endswith("after")
    assert asyncio.run(model.agenerate("again")).text.endswith("again")
    model.close()


def test_accounting_counts_calls_tokens_hits_and_retries(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    ledger = UsageLedger()
    model = fast_model("openai:gpt-fake", cache=ResponseCache(tmp_path), ledger=ledger)
    llm_env.inject(Fault.rate_limited(retry_after="0"))
    model.generate("a")
    model.generate("a")
    model.generate("b")
    usage = ledger.snapshot()["openai:gpt-fake"]
    assert (usage.requests, usage.calls, usage.cache_hits, usage.retries) == (3, 2, 1, 1)
    assert (usage.input_tokens, usage.output_tokens) == (22, 14)
    model.close()


@pytest.mark.parametrize("spec", SPECS)
def test_a_dripping_reply_cannot_hold_a_request_past_the_timeout(
    llm_env: FakeLLMServer, spec: str
) -> None:
    # A byte every 0.5 s keeps every read within the SDK's own 1.5 s timeout: only a deadline
    # on the whole attempt stops it (without one, each attempt lasts the drip's 20 s).
    model = fast_model(spec, timeout=1.5, retry=RetryPolicy(retries=1, base_delay=0.01))
    model.generate("warm up")  # the SDK import and the client are no part of what is timed
    llm_env.inject(*[Fault.dripping(interval=0.5, limit=20.0)] * 2)
    started = time.monotonic()
    with pytest.raises(
        ModelError, match=r"no complete answer within 1\.5s \(time queued.*\) \(after 2 attempts"
    ):
        model.generate("drip")
    elapsed = time.monotonic() - started
    assert 3.0 <= elapsed < 10, f"two attempts at timeout 1.5 s took {elapsed:.1f} s"
    model.close()


def test_a_dripping_reply_is_retried_and_never_an_answer(llm_env: FakeLLMServer) -> None:
    model = fast_model("openai:gpt-fake", timeout=1.5)
    model.generate("warm up")
    llm_env.inject(Fault.dripping(interval=0.5, limit=20.0))
    started = time.monotonic()
    assert model.generate("drip once").text == "reply #3 to: drip once"
    assert time.monotonic() - started < 8
    model.close()


@pytest.mark.parametrize(
    ("spec", "env_name", "url"),
    [
        ("openai:gpt-fake", "OPENAI_BASE_URL", "http://proxy:hunter2@127.0.0.1:{port}/v1"),
        ("anthropic:claude-fake", "ANTHROPIC_BASE_URL", "http://127.0.0.1:{port}/?key=hunter2"),
    ],
)
def test_a_base_url_carrying_credentials_is_refused(
    llm_env: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, spec: str, env_name: str, url: str
) -> None:
    monkeypatch.setenv(env_name, url.format(port=llm_env.port))
    model = fast_model(spec)
    with pytest.raises(ModelError, match="must not carry credentials") as raised:
        model.generate("hello")
    assert "hunter2" not in str(raised.value)
    assert llm_env.request_count == 0
    model.close()
