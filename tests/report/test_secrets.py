"""API keys planted in the environment reach the model server but no file the run writes.

A real evaluation, in its own process: a claim test calls an ``openai:`` model served by the fake LLM server (the key
travels in the Authorization header), records evidence, notes and attachments, and one test even
tries to attach its request headers. Then every file under the project (reports, attachments,
the response cache, the GitHub summary) is searched for the keys.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from tests.models.fakeserver import FakeLLMServer

OPENAI_SECRET = "sk-test-SECRET-openai-5b0f7c2e91d4"
ANTHROPIC_SECRET = "sk-ant-test-SECRET-anthropic-a83e11"
HF_SECRET = "hf_test_SECRET_token_77de03"

EVALUATION = """
import os
from pytest_safecase import claim
from pytest_safecase.models import Request


@claim("The model answers every prompt", id="G1", argument="control")
def test_answers(untrusted_model, evidence):
    replies = untrusted_model.generate_many([Request("task", sample=n) for n in range(6)])
    answered = sum(reply.text.startswith("reply #") for reply in replies)
    evidence.note("first reply: " + replies[0].text)
    evidence.attach("replies.jsonl", [{"text": reply.text} for reply in replies])
    evidence.rate(answered, len(replies), at_least=0.5, name="answered")


@claim("Request headers are recorded for audit", id="G2")
def test_careless_author(untrusted_model, evidence):
    # What a careless test author might do: keep the headers of the request it sent.
    headers = {"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]}
    evidence.attach("request-headers.json", headers)
    evidence.note("sent with " + headers["Authorization"])
    untrusted_model.generate("one more")
    evidence.value("requests", 1, at_least=1)
"""


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    yield server
    server.stop()


def test_no_secret_in_any_written_file(
    pytester: pytest.Pytester, fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_SECRET)
    monkeypatch.setenv("HF_TOKEN", HF_SECRET)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(pytester.path / "step-summary.md"))
    pytester.makepyfile(test_eval=textwrap.dedent(EVALUATION))
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--safecase-untrusted=openai:gpt-fake",
        "--safecase-cache-dir=.safecase_cache",
        "--safecase-report-dir=safecase-report",
    )
    result.assert_outcomes(passed=2)

    sent = [
        value
        for request in fake_llm.requests
        for name, value in request.headers.items()
        if name.lower() == "authorization"
    ]
    assert len(sent) == 7 and all(header == f"Bearer {OPENAI_SECRET}" for header in sent)

    files = [path for path in pytester.path.rglob("*") if path.is_file()]
    names = {path.relative_to(pytester.path).as_posix() for path in files}
    assert {"safecase-report/safecase.json", "safecase-report/safecase.html"} <= names
    assert "safecase-report/attachments/request-headers.json" in names
    assert any(name.startswith(".safecase_cache/") for name in names), names
    assert "step-summary.md" in names
    leaks: list[tuple[str, str]] = []
    for path in files:
        content = path.read_bytes()
        for secret in (OPENAI_SECRET, ANTHROPIC_SECRET, HF_SECRET):
            if secret.encode() in content:
                leaks.append((path.relative_to(pytester.path).as_posix(), secret))
    assert leaks == []
    printed = result.stdout.str() + result.stderr.str()
    assert not [
        secret for secret in (OPENAI_SECRET, ANTHROPIC_SECRET, HF_SECRET) if secret in printed
    ]
    headers = (pytester.path / "safecase-report/attachments/request-headers.json").read_text()
    assert "Bearer [redacted]" in headers
