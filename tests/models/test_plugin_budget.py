"""The pytest side of the token budget and of cut-off answers: a run that would exceed a model's
budget stops with one line and keeps what was answered; incomplete answers are counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_safecase.models import ModelRegistry
from tests.models.fakeserver import FakeLLMServer, Fault
from tests.models.test_plugin import PLUGIN
from tests.models.test_truncation import openai_reply

TESTS = """
def test_a(untrusted_model):
    assert untrusted_model.generate("alpha", max_tokens=20).text

def test_b(untrusted_model):
    assert untrusted_model.generate("beta", max_tokens=20).text

def test_c(untrusted_model):
    assert untrusted_model.generate("gamma", max_tokens=20).text
"""

BUDGET_CASE = """
G1:
  nodeType: Goal
  text: The deployment is acceptably safe
  undeveloped: true
x-models:
  untrusted: openai:gpt-fake
  token_budget:
    untrusted: 40
"""


@pytest.fixture
def budget_project(
    pytester: pytest.Pytester, llm_env: FakeLLMServer, model_registry: ModelRegistry
) -> pytest.Pytester:
    pytester.makepyfile(test_budget=TESTS)
    return pytester


def run(project: pytest.Pytester, tmp_path: Path, *more: str) -> pytest.RunResult:
    return project.runpytest(
        *PLUGIN, "--safecase-untrusted=openai:gpt-fake", f"--safecase-cache-dir={tmp_path}", *more
    )


def test_a_run_over_its_token_budget_stops_with_one_line_and_loses_nothing(
    budget_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    """Each call reserves its prompt plus 20 tokens and bills 18: after the first answer a
    budget of 40 cannot cover the second request, which is refused before it is sent."""
    result = run(budget_project, tmp_path, "--safecase-token-budget=40")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "safecase token budget: untrusted 40, trusted 40 tokens",
            "test_budget.py:5: BudgetExceededError: model openai:gpt-fake failed: token budget "
            "of openai:gpt-fake reached: 18 of 40 tokens used (0 in flight), the next request "
            "may need *; the answers so far are cached*",
            "*Interrupted: safecase: model openai:gpt-fake failed: token budget*",
        ]
    )
    assert "test_c" not in result.stdout.str(), "the run stopped"
    assert llm_env.request_count == 1
    again = run(budget_project, tmp_path, "--safecase-token-budget=1000")
    again.assert_outcomes(passed=3)
    assert llm_env.request_count == 3, "the first answer came from the cache"


def test_the_budget_can_be_declared_per_role_in_x_models(
    budget_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    budget_project.makefile(".yaml", safecase=BUDGET_CASE)
    result = budget_project.runpytest(
        *PLUGIN, "--safecase-file=safecase.yaml", f"--safecase-cache-dir={tmp_path}"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["safecase token budget: untrusted 40 tokens"])


def test_a_bad_x_models_budget_is_a_usage_error(
    budget_project: pytest.Pytester, tmp_path: Path
) -> None:
    budget_project.makefile(".yaml", safecase=BUDGET_CASE.replace("40", "lots"))
    result = budget_project.runpytest(*PLUGIN, "--safecase-file=safecase.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*x-models token_budget must be a whole number >= 1*'lots'*"])


def test_incomplete_answers_are_counted_in_the_usage_table(
    budget_project: pytest.Pytester, llm_env: FakeLLMServer, tmp_path: Path
) -> None:
    cut = Fault.raw(openai_reply("half", "length"))
    llm_env.inject(cut, cut)
    result = run(budget_project, tmp_path, "-k", "test_a")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "model * requests * calls * cache hits * retries * errors * incomplete * tokens in*",
            "openai:gpt-fake * 1 * 1 * 0 * 1 * 0 * 1 * *",
        ]
    )
