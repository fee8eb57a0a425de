"""The evaluation-results cache: reuse is marked in every report, ``off`` recomputes, and
``replay`` never reuses a result the response cache could no longer reproduce.

Real runs in their own processes, the models answering over HTTP from the fake server (as the
built-in models would), so their answers really go through the response cache.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.models.fakeserver import FakeLLMServer, builtin_responder

CLAIMS = """
from pytest_safecase import claim

@claim("The evaluation ran on every task")
def test_results(control_results, evidence):
    evidence.value("tasks", control_results.summary.tasks, at_least=2)
"""


@pytest.fixture
def served(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    server = FakeLLMServer(responder=builtin_responder).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-this-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.openai_url)
    pytester.makepyfile(test_claims=CLAIMS)
    yield server
    server.stop()


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "--safecase-untrusted=openai:untrusted",
        "--safecase-trusted=openai:trusted",
        "--safecase-tasks=2",
        "--safecase-report",
        *args,
    )


def reused(pytester: pytest.Pytester) -> list[dict[str, str]]:
    document = json.loads((pytester.path / "safecase-report" / "safecase.json").read_text())
    return list(document["run"].get("reused", []))


def entries(pytester: pytest.Pytester) -> list[Path]:
    return list((pytester.path / ".pytest_cache" / "d" / "safecase-control").glob("*.json"))


def test_reuse_is_marked_in_every_report_and_off_recomputes(
    pytester: pytest.Pytester, served: FakeLLMServer
) -> None:
    first = run(pytester)
    first.assert_outcomes(passed=1)
    assert reused(pytester) == []
    assert "reused from a run" not in first.stdout.str()
    (entry,) = entries(pytester)
    stored = json.loads(entry.read_text())
    assert stored["responses"], "the entry names the answers it was computed from"
    requests = served.request_count

    second = run(pytester)
    second.assert_outcomes(passed=1)
    assert served.request_count == requests  # nothing recomputed
    (mark,) = reused(pytester)
    assert mark == {
        "what": "control evaluation",
        "key": entry.stem,
        "computed_at": stored["computed_at"],
    }
    second.stdout.fnmatch_lines(
        [f"safecase: control evaluation {entry.stem} reused from a run at *--safecase-cache off*"]
    )
    report = pytester.path / "safecase-report"
    assert (
        f"| Reused evidence | control evaluation {entry.stem} computed at"
        in (report / "safecase.md").read_text()
    )
    assert f"control evaluation {entry.stem} computed at" in (report / "safecase.html").read_text()
    properties = {
        prop.get("name"): prop.get("value")
        for prop in ET.parse(report / "safecase-junit.xml").iter("property")
    }
    assert entry.stem in properties["reused_evidence"]

    workers = run(pytester, "-n", "2")  # a worker's reuse reaches the controller's report
    workers.assert_outcomes(passed=1)
    assert reused(pytester) == [mark]
    assert served.request_count == requests

    off = run(pytester, "--safecase-cache", "off")
    off.assert_outcomes(passed=1)
    assert served.request_count > requests  # asked the models again
    assert reused(pytester) == []
    assert "reused from a run" not in off.stdout.str()


def test_replay_reuses_only_what_the_response_cache_can_still_answer(
    pytester: pytest.Pytester, served: FakeLLMServer
) -> None:
    run(pytester).assert_outcomes(passed=1)
    replayed = run(pytester, "--safecase-cache", "replay")
    replayed.assert_outcomes(passed=1)
    assert len(reused(pytester)) == 1

    # The counter-example: the answers are gone, so the stored result could not be reproduced.
    for path in (pytester.path / ".safecase_cache").glob("responses.sqlite3*"):
        path.unlink()
    requests = served.request_count
    stale = run(pytester, "--safecase-cache", "replay")
    assert served.request_count == requests  # replay never asks the server
    stale.assert_outcomes(errors=1)
    assert reused(pytester) == []
    assert "reused from a run" not in stale.stdout.str()
