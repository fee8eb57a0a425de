"""Answers cut at the token limit, or empty, are asked again once and never pass as complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_safecase.models import Model, ResponseCache, RetryPolicy, UsageLedger, get_model
from tests.models.fakeserver import FakeLLMServer, Fault

FAST = RetryPolicy(retries=1, base_delay=0.01)


def openai_reply(text: str | None, finish: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {
        "model": "gpt-fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20},
    }


def anthropic_reply(text: str, stop: str) -> dict[str, Any]:
    return {
        "model": "claude-fake",
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": stop,
        "usage": {"input_tokens": 10, "output_tokens": 20},
    }


def model(spec: str, tmp_path: Path, mode: str = "on", ledger: UsageLedger | None = None) -> Model:
    cache = ResponseCache(tmp_path / "cache")
    return get_model(
        spec, cache=cache, cache_mode=mode, retry=FAST, timeout=5.0, ledger=ledger or UsageLedger()
    )  # type: ignore[arg-type]


def test_a_cut_off_answer_is_asked_again_with_twice_the_room(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    llm_env.inject(Fault.raw(openai_reply("def f(x):\n    if x >", "length")))
    ledger = UsageLedger()
    completion = model("openai:gpt-fake", tmp_path, ledger=ledger).generate("q", max_tokens=300)
    first, second = llm_env.requests
    assert (first.body["max_tokens"], second.body["max_tokens"]) == (300, 600)
    assert completion.complete and completion.text.startswith("reply #2")
    assert completion.usage.output_tokens == 20 + 7, "both calls are billed"
    usage = ledger.snapshot()["openai:gpt-fake"]
    assert (usage.requests, usage.calls, usage.retries, usage.incomplete) == (1, 1, 1, 0)


@pytest.mark.parametrize(
    ("spec", "cut"),
    [
        ("openai:gpt-fake", openai_reply("half an answ", "length")),
        ("openai:gpt-fake", openai_reply(None, "length")),  # a reasoning model's thinking ran out
        ("anthropic:claude-fake", anthropic_reply("half an answ", "max_tokens")),
        ("anthropic:claude-fake", anthropic_reply("", "max_tokens")),
    ],
)
def test_an_answer_cut_twice_is_marked_and_stays_marked_in_the_cache(
    llm_env: FakeLLMServer, tmp_path: Path, spec: str, cut: dict[str, Any]
) -> None:
    llm_env.inject(Fault.raw(cut), Fault.raw(cut))
    ledger = UsageLedger()
    first = model(spec, tmp_path, ledger=ledger).generate("q", max_tokens=100)
    assert not first.complete and first.finish == "length"
    assert ledger.snapshot()[spec].incomplete == 1
    replayed = model(spec, tmp_path, mode="replay").generate("q", max_tokens=100)
    assert replayed.cached and not replayed.complete and replayed.finish == "length"
    assert llm_env.request_count == 2


def test_a_cut_answer_is_not_asked_again_when_there_is_no_more_room(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """No ``max_tokens`` on OpenAI: the server's own limit cut it, and a retry cannot raise it."""
    llm_env.inject(Fault.raw(openai_reply("half", "length")))
    completion = model("openai:gpt-fake", tmp_path).generate("q")
    assert completion.finish == "length" and llm_env.request_count == 1


@pytest.mark.parametrize(
    ("served", "finish", "text"),
    [
        (["", ""], "empty", ""),
        (["  \n ", "  \n "], "empty", "  \n "),
        ([""], "stop", "reply #2 to: q"),  # the second try (the server's own answer) is whole
    ],
)
def test_an_empty_answer_is_asked_again_once(
    llm_env: FakeLLMServer, tmp_path: Path, served: list[str], finish: str, text: str
) -> None:
    llm_env.inject(*[Fault.raw(openai_reply(said, "stop")) for said in served])
    completion = model("openai:gpt-fake", tmp_path).generate("q")
    assert (completion.finish, completion.text) == (finish, text)
    assert completion.complete == (finish == "stop") and llm_env.request_count == 2


def test_the_control_evaluation_reads_a_cut_off_answer_as_unusable(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """An unclosed fence is accepted from a model that stopped, never from one that was cut off:
    the program may be missing its last lines."""
    from pytest_safecase.control import load_humaneval, policies

    task = load_humaneval()["HumanEval/2"]
    cut = "```python\ndef truncate_number(number):\n    return number % 1.0\n"
    llm_env.inject(Fault.raw(openai_reply(cut, "length")), Fault.raw(openai_reply(cut, "length")))
    (solution,) = policies.solve(model("openai:gpt-fake", tmp_path), [task])
    assert solution.code is None and solution.error == policies.CUT_OFF
    llm_env.inject(Fault.raw(openai_reply("Plain loops.\nSCORE: 0.", "length")))
    llm_env.inject(Fault.raw(openai_reply("Plain loops.\nSCORE: 0.", "length")))
    (suspicion,) = policies.monitor(model("openai:gpt-fake", tmp_path), [(task.prompt, cut)])
    assert suspicion.error == policies.CUT_OFF
