"""The model layer loads, and per-test usage tracking starts, only when a run may use a model;
models a test module or conftest builds with get_model() still count in the run's usage."""

from __future__ import annotations

import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import sys

    def pytest_sessionfinish(session):
        plugins = session.config.pluginmanager
        tracked = plugins.get_plugin("safecase-model-usage-per-test") is not None
        print("LAYER", "pytest_safecase.models" in sys.modules, "TRACKED", tracked)
    """
)

BUILD_AT_IMPORT = textwrap.dedent(
    """
    from pytest_safecase.models import get_model, register_builtin

    register_builtin("echo-lazy", lambda request: "echo " + request.messages()[-1]["content"])
    MODEL = get_model("builtin:echo-lazy", cache_mode="off")
    """
)


def probe(result: pytest.RunResult) -> str:
    line = next(line for line in result.outlines if "LAYER " in line)
    return line[line.index("LAYER ") :]


def test_a_run_without_models_loads_no_model_layer_and_tracks_nothing(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(PROBE)
    pytester.makepyfile("from pytest_safecase import claim\n@claim('c')\ndef test_x(): pass\n")
    result = pytester.runpytest_subprocess("-s", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert probe(result) == "LAYER False TRACKED False"


def test_a_model_fixture_starts_tracking_its_usage(pytester: pytest.Pytester) -> None:
    """The counter-example: the same run with a model fixture loads the layer and counts."""
    pytester.makeconftest(PROBE)
    pytester.makepyfile(
        "def test_x(trusted_model):\n    assert trusted_model.generate('2 + 2').text\n"
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:randomly", "--safecase-cache", "off")
    result.assert_outcomes(passed=1)
    assert probe(result) == "LAYER True TRACKED True"
    assert "safecase model usage" in result.stdout.str()


@pytest.mark.parametrize("where", ["test module", "conftest", "test body"])
def test_models_built_with_get_model_count_in_the_run(
    pytester: pytest.Pytester, where: str
) -> None:
    """Whether a conftest (before the run), a test module (during collection) or the test itself
    loads the model layer and builds the model, its calls count in the run's usage, under the
    test that made them."""
    test = "def test_echo():\n    assert MODEL.generate('hi').text == 'echo hi'\n"
    if where == "conftest":
        pytester.makeconftest(PROBE + BUILD_AT_IMPORT)
        pytester.makepyfile("from conftest import MODEL\n" + test)
    elif where == "test body":  # the model layer loads only inside the test
        pytester.makeconftest(PROBE)
        body = textwrap.indent(BUILD_AT_IMPORT, "    ")
        pytester.makepyfile(
            "def test_echo():\n" + body + "    assert MODEL.generate('hi').text == 'echo hi'\n"
        )
    else:
        pytester.makeconftest(PROBE)
        pytester.makepyfile(BUILD_AT_IMPORT + test)
    result = pytester.runpytest_subprocess("-s", "-v", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    assert probe(result) == "LAYER True TRACKED True"
    text = result.stdout.str()
    usage = text[text.index("safecase model usage") :]
    row = next(line for line in usage.splitlines() if line.startswith("builtin:echo-lazy"))
    assert row.split()[1:3] == ["1", "1"]  # one request, one call
    assert "test_echo" in usage.split("per test:", 1)[1]
