"""The response cache is keyed to the model an endpoint serves, not only to its URL and name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_safecase.models import (
    Model,
    ModelError,
    ResponseCache,
    RetryPolicy,
    UsageLedger,
    get_model,
)
from pytest_safecase.models._wire import served_identity
from tests.models.fakeserver import FakeLLMServer


def model(tmp_path: Path, mode: str = "on", spec: str = "openai:local") -> Model:
    cache = ResponseCache(tmp_path / "cache")
    return get_model(spec, cache=cache, cache_mode=mode, timeout=5.0, ledger=UsageLedger())  # type: ignore[arg-type]


@pytest.mark.parametrize("spec", ["openai:local", "anthropic:local"])
def test_a_model_swapped_behind_the_same_url_and_name_is_not_answered_from_the_cache(
    llm_env: FakeLLMServer, tmp_path: Path, spec: str
) -> None:
    llm_env.models = [{"id": "local", "object": "model", "root": "/weights/a.gguf"}]
    assert model(tmp_path, spec=spec).generate("q").text == "reply #1 to: q"
    assert model(tmp_path, spec=spec).generate("q").cached, "same model: the cache answers"
    llm_env.models = [{"id": "local", "object": "model", "root": "/weights/b.gguf"}]
    swapped = model(tmp_path, spec=spec).generate("q")
    assert not swapped.cached and swapped.text == "reply #2 to: q"
    again = model(tmp_path, spec=spec).generate("q")
    assert again.text == "reply #2 to: q", "the new answer replaced it"


def test_without_a_listing_the_answers_model_field_tells_the_swap(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """No ``/v1/models``: stored answers of another ``model`` field stop being served once the
    run has seen a fresh answer from the model served now."""
    llm_env.served_as = "weights-a"
    first = model(tmp_path)
    first.generate("q")
    llm_env.served_as = "weights-b"
    second = model(tmp_path)
    assert second.generate("other").text == "reply #2 to: other"
    stale = second.generate("q")
    assert not stale.cached and stale.model == "weights-b"


def test_replay_serves_what_was_recorded_without_asking_the_endpoint(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    llm_env.models = [{"id": "local", "root": "/weights/a.gguf"}]
    model(tmp_path).generate("q")
    llm_env.models = [{"id": "local", "root": "/weights/b.gguf"}]
    replayed = model(tmp_path, mode="replay").generate("q")
    assert replayed.cached and replayed.text == "reply #1 to: q"
    assert llm_env.request_count == 1


def test_the_identity_is_the_named_entry_without_volatile_fields() -> None:
    vllm = {"id": "m", "root": "/w/a", "created": 1, "permission": [{"id": "x"}]}
    listing = {"data": [vllm, {"id": "other"}]}
    assert served_identity(listing, "m") == '{"id":"m","root":"/w/a"}'
    later = {"data": [{**vllm, "created": 2, "permission": [{"id": "y"}]}, {"id": "other"}]}
    assert served_identity(later, "m") == served_identity(listing, "m")
    assert served_identity({"data": [{"id": "only"}]}, "alias") == '{"id":"only"}'
    assert served_identity(listing, "absent") is None, "several models, none named: unknown"
    assert served_identity({"data": "junk"}, "m") is None


def test_with_the_server_down_the_cache_serves_what_it_recorded(
    llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """Nothing can be served by an endpoint that cannot be reached: the recorded answers are
    served as replay would serve them, and what they lack fails as it would anyway."""
    llm_env.models = [{"id": "local", "root": "/weights/a.gguf"}]
    model(tmp_path).generate("q")
    llm_env.stop()
    down = model(tmp_path)
    down.retry = RetryPolicy(retries=0)
    assert down.generate("q").cached
    with pytest.raises(ModelError, match="talking to"):
        down.generate("never asked")
