"""The README's recipe for a local model server, run as written against the fake server playing
llama.cpp's server: one generation slot, a model listing naming the weights file, any model name
accepted. What it checks is that the recipe's command line works end to end, not a verdict."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.models.fakeserver import FakeLLMServer

ROOT = Path(__file__).resolve().parents[2]
RECIPE_MARK = "<!-- recipe: local-server -->"


def recipe() -> tuple[dict[str, str], list[str]]:
    """The recipe's exported variables and its pytest command, read from the README."""
    text = (ROOT / "README.md").read_text()
    block = text.split(RECIPE_MARK, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    joined = block.replace("\\\n", " ")
    exports = dict(re.findall(r"(\w+)=(\S+)", joined.split("export ", 1)[1].splitlines()[0]))
    command = next(line for line in joined.splitlines() if line.startswith("pytest "))
    return exports, shlex.split(command)


def answer_as_untrusted(body: dict[str, Any]) -> str:
    from pytest_safecase.models import Request, UsageLedger, get_model

    request = Request(prompt=body.get("messages") or [])
    return get_model("builtin:untrusted", ledger=UsageLedger()).generate(request.prompt).text


def test_the_readme_recipe_for_a_local_server_runs_against_a_llama_cpp_like_server(
    tmp_path: Path,
) -> None:
    exports, command = recipe()
    assert exports["OPENAI_BASE_URL"].endswith("/v1") and "OPENAI_API_KEY" in exports
    assert command[:2] == ["pytest", "safety_tests/"] and "--safecase-max-concurrency" in command
    server = FakeLLMServer(responder=answer_as_untrusted, slots=1).start()
    server.models = [{"id": "/models/SmolLM2-135M-Instruct.Q4_1.gguf", "owned_by": "me"}]
    try:
        env = {**os.environ, **exports, "OPENAI_BASE_URL": server.openai_url}
        ours = ["-p", "no:cacheprovider", "-q", f"--safecase-cache-dir={tmp_path}"]
        run = subprocess.run(
            [sys.executable, "-m", *command, *ours, "--safecase-tasks=2"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = run.stdout + run.stderr
        assert run.returncode in (0, 1), output  # claims may be refuted; never a usage error
        assert server.request_count > 0 and server.max_in_flight <= 2, output
        assert re.search(r"openai:local\s+\d+\s+\d+", output), output
        assert "ModelError" not in output, output
    finally:
        server.stop()
