"""A real small language model's answers, recorded once and replayed in CI with no server.

``tests/fixtures/real_model_cache`` holds the response cache of a run of the reference case with
SmolLM2-135M-Instruct (llama-cpp-python's OpenAI-compatible server, one slot) as both U and T on
the first two HumanEval tasks, adopting levels 1-3 (``bench/record_transcripts.py`` records it
and says how to re-record). Replayed, every claim must end in a verdict other than error, every
unusable answer must be counted where the claims and the report show it, no claim may be supported
on answers nobody could use, and not one request may leave the machine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "real_model_cache"
RECORDED = {"tasks": 2, "level": 3, "base_url": "http://127.0.0.1:8765/v1", "model": "local"}
"""What the recording ran with: the cache key holds the endpoint, so the replay must match."""


def _replay(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    shutil.copytree(ROOT / "safety_tests", pytester.path / "safety_tests")
    cache = pytester.path / "responses"
    shutil.copytree(FIXTURE, cache)
    monkeypatch.setenv("OPENAI_BASE_URL", str(RECORDED["base_url"]))  # nothing listens there
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = f"openai:{RECORDED['model']}"
    result = pytester.runpytest_subprocess(
        "safety_tests", "-p", "no:cacheprovider",
        "--safecase-untrusted", model, "--safecase-trusted", model,
        "--safecase-tasks", str(RECORDED["tasks"]), "--safecase-level", str(RECORDED["level"]),
        "--safecase-cache", "replay", "--safecase-cache-dir", str(cache),
        "--safecase-report",
    )  # fmt: skip
    output = result.stdout.str()
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), output[-3000:]
    folder = pytester.path / "safecase-report"
    report: dict[str, Any] = json.loads((folder / "safecase.json").read_text())
    records = (folder / "attachments" / "control-records.jsonl").read_text().splitlines()
    report["_records"] = [json.loads(line) for line in records]
    report["_output"] = output
    return report


@pytest.mark.slow
def test_the_recorded_real_model_run_replays_with_every_unusable_answer_counted(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (FIXTURE / "responses.sqlite3").is_file(), "the recorded transcripts are missing"
    report = _replay(pytester, monkeypatch)
    output = report["_output"]
    usage = report["run"]["models"]
    assert all(figures.get("calls", 0) == 0 for figures in usage.values()), usage
    assert sum(figures.get("cache_hits", 0) for figures in usage.values()) > 0, usage

    nodes = {node["id"]: node for node in report["case"]["nodes"]}
    errors = {i: n["reason"] for i, n in nodes.items() if n["verdict"] == "error"}
    assert errors == {}, output[-3000:]

    # Every reply is kept, and every one the evaluation could not use is counted per stage.
    rows = report["_records"]
    assert len(rows) == RECORDED["tasks"]
    assert all(row["replies"] for row in rows)
    unusable = sum(len(row["unusable"]) for row in rows)
    assert unusable > 0, "a 135M model answers some prompts unusably: the fixture shows it"
    figures = [
        (node["id"], node["verdict"], record["name"], record.get("value"))
        for node in report["case"]["nodes"]
        for test in node["tests"]
        for record in test["evidence"]
        if "unusable answers" in (record.get("name") or "")
    ]
    assert figures, "the claims resting on unusable answers must show their count"
    for claim_id, verdict, name, value in figures:
        assert not (verdict == "supported" and value), (claim_id, name, value)
    # T's inability is never shown by answers T did not give.
    assert nodes["A-T"]["verdict"] != "supported", nodes["A-T"]["reason"]
