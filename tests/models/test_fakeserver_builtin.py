"""The fake server can answer as a built-in model, so benchmarks drive real SDKs through the
exact conversation of an offline run."""

from pytest_safecase.models import get_model
from tests.models.fakeserver import FakeLLMServer, builtin_responder


def test_server_answers_as_the_builtin_model_over_the_real_sdk(monkeypatch):
    server = FakeLLMServer(responder=builtin_responder).start()
    try:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-this-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
        prompt = "<role>nothing</role> hello"
        over_http_model = get_model("openai:trusted")
        over_http = over_http_model.generate(prompt)
        over_http_model.close()
        offline = get_model("builtin:trusted").generate(prompt)
        assert over_http.text == offline.text
        assert over_http.usage.input_tokens > 0
        assert server.requests[-1].body["model"] == "trusted"
    finally:
        server.stop()
