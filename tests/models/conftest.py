"""Fixtures for the model-layer tests: a fake LLM server and the environment pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_safecase.models import DEFAULT_REGISTRY, ModelRegistry
from tests.models.fakeserver import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, FakeLLMServer


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    """A fresh fake server on 127.0.0.1 and a random port, stopped after the test."""
    server = FakeLLMServer().start()
    yield server
    server.stop()


@pytest.fixture
def llm_env(fake_llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> FakeLLMServer:
    """Both SDKs pointed at the fake server, with planted fake keys (to prove they never leak)."""
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.openai_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_ANTHROPIC_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_llm.root_url)
    for name in ("SAFECASE_UNTRUSTED", "SAFECASE_TRUSTED"):
        monkeypatch.delenv(name, raising=False)
    return fake_llm


@pytest.fixture
def model_registry() -> Iterator[ModelRegistry]:
    """The default registry; what the test registers (also in in-process runs) is undone after."""
    with DEFAULT_REGISTRY.scoped() as registry:
        yield registry
