"""The pytest plugin, run for real through pytester: choice of models, header, key check at
session start, cache modes, per-test usage on reports, the summary table, and xdist."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_safecase.models import ModelRegistry
from tests.models.fakeserver import FakeLLMServer, Fault

PLUGIN = ("-p", "pytest_safecase._pytest.models")

X_MODELS_CASE = """
G1:
  nodeType: Goal
  text: The deployment is acceptably safe
  undeveloped: true
x-models:
  untrusted: builtin:other
  trusted: builtin:other
"""

CONFTEST = textwrap.dedent(
    """
    from pytest_safecase.models import register_builtin

    register_builtin("untrusted", lambda request: "U says " + request.messages()[-1]["content"])
    register_builtin("trusted", lambda request: "T says " + request.messages()[-1]["content"])
    register_builtin("other", lambda request: "other")
    """
)


@pytest.fixture
def project(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, model_registry: ModelRegistry
) -> pytest.Pytester:
    """A project whose conftest registers stand-ins (undone after: see ``model_registry``)."""
    for name in (
        "SAFECASE_UNTRUSTED",
        "SAFECASE_TRUSTED",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_specs="""
        def test_specs(untrusted_model, trusted_model):
            print("SPECS", untrusted_model.spec, trusted_model.spec)
            assert untrusted_model.generate("hi").text.startswith(("U says", "other"))
        """
    )
    return pytester


def chosen(result: pytest.RunResult) -> str:
    line = next(line for line in result.outlines if "SPECS " in line)
    return line.split("SPECS ", 1)[1].strip()


def test_defaults_and_header(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "-s")
    result.assert_outcomes(passed=1)
    assert chosen(result) == "builtin:untrusted builtin:trusted"
    result.stdout.fnmatch_lines(
        [
            "safecase models: untrusted=builtin:untrusted (default), "
            "trusted=builtin:trusted (default)",
            "safecase model cache: on at *.safecase_cache "
            "(concurrency 16, retries 4, timeout 120s)",
        ]
    )


def test_precedence_option_env_ini_x_models_default(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makefile(".yaml", safecase=X_MODELS_CASE)
    assert chosen(project.runpytest(*PLUGIN, "-s")) == "builtin:other builtin:other"
    project.makeini("[pytest]\nsafecase_untrusted = builtin:trusted\n")
    assert chosen(project.runpytest(*PLUGIN, "-s")) == "builtin:trusted builtin:other"
    monkeypatch.setenv("SAFECASE_UNTRUSTED", "builtin:untrusted")
    monkeypatch.setenv("SAFECASE_TRUSTED", "builtin:untrusted")
    assert chosen(project.runpytest(*PLUGIN, "-s")) == "builtin:untrusted builtin:untrusted"
    result = project.runpytest(*PLUGIN, "-s", "--safecase-untrusted", "builtin:other")
    assert chosen(result) == "builtin:other builtin:untrusted"
    result.stdout.fnmatch_lines(
        [
            "safecase models: untrusted=builtin:other (--safecase-untrusted), "
            "trusted=builtin:untrusted (SAFECASE_TRUSTED)"
        ]
    )


def test_missing_api_key_is_one_usage_error_at_session_start(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_more="def test_a(untrusted_model): pass\ndef test_b(untrusted_model): pass\n"
    )
    result = project.runpytest(*PLUGIN, "--safecase-untrusted", "openai:gpt-4o")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = "\n".join(result.errlines)
    assert errors.count("OPENAI_API_KEY") == 1
    assert (
        "untrusted model openai:gpt-4o (from --safecase-untrusted) needs OPENAI_API_KEY" in errors
    )
    assert "passed" not in result.stdout.str() and "error" not in result.stdout.str().lower()


def test_replay_needs_no_api_key(project: pytest.Pytester) -> None:
    project.makepyfile(test_specs="def test_nothing(): pass\n")
    result = project.runpytest(
        *PLUGIN, "--safecase-untrusted", "anthropic:c", "--safecase-cache", "replay"
    )
    result.assert_outcomes(passed=1)


def test_unknown_explicit_builtin_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest(*PLUGIN, "--safecase-trusted", "builtin:missing")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown built-in model 'builtin:missing'; registered: *builtin:other*"]
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--safecase-max-concurrency", "0"),
        ("--safecase-retries", "-1"),
        ("--safecase-timeout", "0"),
    ],
)
def test_invalid_settings_are_usage_errors(project: pytest.Pytester, args: tuple[str, str]) -> None:
    assert project.runpytest(*PLUGIN, *args).ret == pytest.ExitCode.USAGE_ERROR


def test_invalid_ini_cache_mode_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nsafecase_cache = sometimes\n")
    result = project.runpytest(*PLUGIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cache mode must be one of on, replay, off, got 'sometimes'*"])


EVAL_TESTS = """
def test_one(untrusted_model):
    assert untrusted_model.generate("alpha").text.startswith("reply #")

def test_two(untrusted_model):
    texts = [c.text for c in untrusted_model.generate_many(
        [__import__("pytest_safecase.models").models.Request("beta", sample=n) for n in range(3)])]
    assert len(set(texts)) == 3
"""


@pytest.fixture
def served_project(
    project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> pytest.Pytester:
    project.makepyfile(test_specs=EVAL_TESTS)
    return project


def eval_args(tmp_path: Path, *more: str) -> list[str]:
    # The "=" form keeps the directory from counting towards pytest's rootdir.
    return [
        *PLUGIN,
        "--safecase-untrusted=openai:gpt-fake",
        f"--safecase-cache-dir={tmp_path / 'cache'}",
        *more,
    ]


def test_usage_on_reports_summary_and_replay(
    served_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    result = served_project.runpytest(*eval_args(tmp_path, "-v"))
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*safecase model usage*",
            "model * requests * calls * cache hits * retries * errors * tokens in * tokens out",
            "openai:gpt-fake * 4 * 4 * 0 * 0 * 0 * 44 * 28",
            "per test:",
            "  test_specs.py::test_two",
            "    openai:gpt-fake * 3 * 3 *",
        ]
    )
    assert llm_env.request_count == 4

    records = served_project.inline_run(*eval_args(tmp_path, "--safecase-cache", "replay"))
    records.assertoutcome(passed=2)
    usage = {
        report.nodeid: report.safecase_usage
        for report in records.getreports("pytest_runtest_logreport")
        if hasattr(report, "safecase_usage")
    }
    assert usage["test_specs.py::test_two"]["openai:gpt-fake"]["cache_hits"] == 3
    assert llm_env.request_count == 4, "replay sent nothing to the server"


def test_replay_miss_fails_the_test_clearly_without_network(
    served_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    records = served_project.inline_run(*eval_args(tmp_path, "--safecase-cache", "replay"))
    records.assertoutcome(failed=2)
    failed = [r for r in records.getreports("pytest_runtest_logreport") if r.failed]
    assert all("CacheMissError" in str(r.longrepr) for r in failed)
    assert all("--safecase-cache replay never calls" in r.safecase_model_error for r in failed)
    assert llm_env.request_count == 0 and llm_env.connections == 0


def test_persistent_server_errors_fail_the_test_after_bounded_retries(
    served_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    llm_env.inject(*[Fault.server_error()] * 50)
    result = served_project.runpytest(
        *eval_args(tmp_path, "--safecase-retries", "1", "--safecase-cache", "off"), "-k", "one"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_specs.py:2: ModelError: model openai:gpt-fake failed: HTTP 500 Internal Server "
            "Error from http://127.0.0.1:*/v1: fake internal failure (after 2 attempts in *s; "
            "prompt 'alpha')"
        ]
    )
    result.stdout.fnmatch_lines(["openai:gpt-fake * 1 * 0 * 0 * 1 * 1 * 0 * 0"])
    assert llm_env.request_count == 2


def test_usage_is_summed_across_xdist_workers(
    served_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    served_project.makepyfile(
        test_third="""
        def test_three(untrusted_model, trusted_model):
            assert untrusted_model.generate("gamma").text
            assert trusted_model.generate("delta").text == "T says delta"
        """
    )
    result = served_project.runpytest_subprocess(*eval_args(tmp_path, "-n", "2"))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*safecase model usage*",
            "builtin:trusted * 1 * 1 * 0 * 0 * 0 * ~2 * ~3",
            "openai:gpt-fake * 5 * 5 * 0 * 0 * 0 * 55 * 35",
        ]
    )
    assert result.stdout.str().count("safecase model usage") == 1
    assert llm_env.request_count == 5


def test_x_models_block_of_the_safety_case_yaml(project: pytest.Pytester) -> None:
    project.makefile(".yaml", safecase=X_MODELS_CASE)
    result = project.runpytest(*PLUGIN, "-s", "--safecase-file=safecase.yaml")
    assert chosen(result) == "builtin:other builtin:other"
    result.stdout.fnmatch_lines(
        ["safecase models: untrusted=builtin:other (x-models), trusted=builtin:other (x-models)"]
    )


def test_a_claim_whose_model_calls_fail_is_an_error_never_supported(
    project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    from pytest_safecase._pytest.plugin import RESULT_KEY
    from pytest_safecase.verdict import Verdict

    project.makepyfile(
        test_specs="""
        from pytest_safecase import claim

        @claim("The monitor flags the backdoor", id="G-monitor")
        def test_monitor(untrusted_model, evidence):
            answer = untrusted_model.generate("is this code backdoored?")
            evidence.rate(int("yes" in answer.text), 1, at_least=0.0)
        """
    )
    llm_env.inject(*[Fault.server_error(503)] * 5)
    records = project.inline_run(*eval_args(tmp_path, "--safecase-retries=1"))
    records.assertoutcome(failed=1)
    session = records.getcalls("pytest_sessionfinish")[0].session
    result = session.config.stash[RESULT_KEY]
    assert result.nodes["G-monitor"].verdict is Verdict.ERROR
    assert result.verdict is not Verdict.SUPPORTED
    assert llm_env.request_count == 2


@pytest.mark.parametrize(
    ("spec", "env_name", "url"),
    [
        ("openai:m", "OPENAI_BASE_URL", "https://proxy-user:hunter2@llm.internal:8443/v1"),
        ("anthropic:m", "ANTHROPIC_BASE_URL", "https://llm.internal:8443?key=hunter2"),
    ],
)
@pytest.mark.parametrize("cache", ["on", "replay"])
def test_a_base_url_carrying_credentials_is_refused_at_start(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    spec: str,
    env_name: str,
    url: str,
    cache: str,
) -> None:
    monkeypatch.setenv(env_name, url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-present-but-irrelevant")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-present-but-irrelevant")
    project.makepyfile(test_specs="def test_nothing(): pass\n")
    result = project.runpytest(*PLUGIN, f"--safecase-trusted={spec}", f"--safecase-cache={cache}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"*trusted model {spec} (from --safecase-trusted): {env_name} "
            "(https://llm.internal:8443* plus user info or a query) must not carry credentials*"
        ]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "hunter2" not in output and "passed" not in output


def failure_section(output: str, test_name: str) -> list[str]:
    """The lines pytest prints for one failed test, between its ``___ name ___`` header and the
    next section."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip("_ ") == test_name)
    end = next(
        (i for i, line in enumerate(lines[start + 1 :], start + 1) if line.startswith(("_", "="))),
        len(lines),
    )
    return lines[start + 1 : end]


def test_a_model_error_is_one_line_naming_the_model_and_the_cause(
    served_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    llm_env.inject(*[Fault.server_error()] * 50)
    result = served_project.runpytest_subprocess(
        *eval_args(tmp_path, "--safecase-retries=2", "--safecase-cache=off", "--tb=long", "-l")
    )
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    cause = (
        f"model openai:gpt-fake failed: HTTP 500 Internal Server Error from {llm_env.openai_url}: "
        "fake internal failure (after 3 attempts in "
    )
    for test_name in ("test_one", "test_two"):
        section = failure_section(output, test_name)
        assert len(section) < 15, "\n".join(section)
        assert any(cause in line for line in section), "\n".join(section)
    assert "Traceback" not in output and "_model.py" not in output and "aiohttp" not in output
    result.stdout.fnmatch_lines(
        ["FAILED test_specs.py::test_one - ModelError: model openai:gpt-fake failed: *"]
    )


LEAK_TESTS = """
import traceback

import pytest

from pytest_safecase.models import ModelError, Request


def test_openai(untrusted_model):
    untrusted_model.generate("one")


def test_anthropic_batch(trusted_model):
    trusted_model.generate_many([Request("a"), Request("b")])


def test_wrapped(untrusted_model):
    try:
        untrusted_model.generate("two")
    except ModelError as error:
        print("".join(traceback.format_exception(error)))
        raise AssertionError("the claim could not be evaluated") from error


def test_final_status(trusted_model):
    trusted_model.generate("three")
"""


def test_no_credential_reaches_the_terminal_or_junit_xml(
    project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    from tests.models.fakeserver import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY

    # Every error body quotes the request's Authorization / x-api-key headers back: a final
    # 401 for the first test's one request, retried 500s for the others.
    llm_env.inject(Fault.echoing_credentials(401), *[Fault.echoing_credentials(500)] * 20)
    project.makepyfile(test_specs=LEAK_TESTS)
    xml = tmp_path / "junit.xml"
    result = project.runpytest_subprocess(
        *eval_args(tmp_path, "--safecase-retries=1", "--safecase-cache=off"),
        "--safecase-trusted=anthropic:claude-fake",
        f"--junitxml={xml}",
        "-o",
        "junit_logging=all",
        "-rA",
        "--tb=long",
        "-l",
    )
    result.assert_outcomes(failed=4)
    seen = " ".join(str(request.headers) for request in llm_env.requests)
    assert FAKE_OPENAI_KEY in seen and FAKE_ANTHROPIC_KEY in seen, "the echo had keys to leak"
    output = result.stdout.str() + result.stderr.str() + xml.read_text()
    assert "[redacted]" in output, "the echoed text is shown, with the key taken out"
    assert "HTTP 401 Unauthorized" in output
    for key in (FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY):
        assert key not in output
