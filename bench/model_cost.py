"""What a real-model run of the reference safety case costs: calls, tokens and unusable answers.

Starts the local fake server (tests/models/fakeserver.py) answering as the built-in models, points
the real ``openai`` SDK at it, and runs ``pytest safety_tests/`` with ``openai:untrusted`` and
``openai:trusted``: every request a real deployment would send crosses HTTP and is counted. Token
counts are the server's 4-characters-a-token estimate of the real prompts; replies are the
built-in models' (code-sized), so output tokens of a real model will differ. The collusion exercise
is skipped for non-built-in models, as it would be for yours.

With ``--base-url`` it measures a real OpenAI-compatible server instead (llama.cpp, vLLM, Ollama):
``--untrusted`` and ``--trusted`` name the served models. Besides requests and tokens per model it
prints, per role of the evaluation (U solver, T monitor, ...), how many answers were unusable or
declined, read from the run's control records.

    python bench/model_cost.py [--tasks N] [--base-url URL --untrusted NAME --trusted NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytest_safecase.control.evaluation import TaskRecord, answer_counts, by_role

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=164, help="HumanEval tasks to run (max 164)")
    parser.add_argument("--base-url", help="a real OpenAI-compatible server (default: the fake)")
    parser.add_argument("--untrusted", default="untrusted", help="U's model name on the server")
    parser.add_argument("--trusted", default="trusted", help="T's model name on the server")
    args = parser.parse_args()
    with _server(args.base_url) as base_url, tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": base_url,
            "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "sk-fake-cost-benchmark"),
        }
        report = Path(folder) / "report"
        start = time.perf_counter()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(ROOT / "safety_tests"),
                "-q",
                "-p",
                "no:cacheprovider",
                "--safecase-cache",
                "off",
                "--safecase-untrusted",
                f"openai:{args.untrusted}",
                "--safecase-trusted",
                f"openai:{args.trusted}",
                "--safecase-tasks",
                str(args.tasks),
                f"--safecase-report-dir={report}",
            ],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        document = json.loads((report / "safecase.json").read_text())
        records = report / "attachments" / "control-records.jsonl"
        rows = [json.loads(line) for line in records.read_text().splitlines()]
    models = document["run"].get("models", {})
    print(
        f"reference safety case on {args.tasks} tasks through the openai SDK: {seconds:.0f} s, "
        f"pytest exit {run.returncode}, verdict {document['case']['verdict']}"
    )
    header = ("role", "model", "requests", "calls", "tokens in", "tokens out")
    print("{:10} {:18} {:>9} {:>7} {:>11} {:>11}".format(*header))
    for role, usage in models.items():
        spec = usage["spec"].split(" at ")[0]  # the description may name the server's URL
        counts = [usage.get(key, 0) for key in ("requests", "calls")]
        tokens = [usage.get(key, 0) for key in ("input_tokens", "output_tokens")]
        print(f"{role:10} {spec:18} {counts[0]:9} {counts[1]:7} {tokens[0]:11,} {tokens[1]:11,}")
    print()
    print(
        "{:22} {:>8} {:>9} {:>9} {:>16}".format(
            "role", "answers", "unusable", "declined", "unusable rate"
        )
    )
    for name, tally in by_role(answer_counts([TaskRecord(**row) for row in rows])).items():
        rate = tally["unusable"] / tally["answers"] if tally["answers"] else 0.0
        print(
            f"{name:22} {tally['answers']:8} {tally['unusable']:9} {tally['declined']:9} "
            f"{rate:16.1%}"
        )


@contextmanager
def _server(base_url: str | None) -> Iterator[str]:
    """``base_url`` itself, or the fake server answering as the built-in models while in use."""
    if base_url:
        yield base_url
        return
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "models" / "fakeserver.py"), "--builtin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
