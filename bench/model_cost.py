"""What a real-model run of the reference safety case costs: calls and tokens per model.

Starts the local fake server (tests/models/fakeserver.py) answering as the built-in models, points
the real ``openai`` SDK at it, and runs ``pytest safety_tests/`` with ``openai:untrusted`` and
``openai:trusted``: every request a real deployment would send crosses HTTP and is counted. Token
counts are the server's 4-characters-a-token estimate of the real prompts; replies are the
built-in models' (code-sized), so output tokens of a real model will differ. The collusion exercise
is skipped for non-built-in models, as it would be for yours.

    python bench/model_cost.py [--tasks N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=164, help="HumanEval tasks to run (max 164)")
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "models" / "fakeserver.py"), "--builtin"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        with tempfile.TemporaryDirectory() as folder:
            env = {
                **os.environ,
                "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
                "OPENAI_API_KEY": "sk-fake-cost-benchmark",
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
                    "openai:untrusted",
                    "--safecase-trusted",
                    "openai:trusted",
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
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)
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


if __name__ == "__main__":
    main()
