"""An Inspect AI eval log as evidence: the pattern for importing evaluations run elsewhere.

The task runs here, offline, on Inspect's mock model, and its log is read back through
``evidence.from_inspect`` like any imported log: status, epochs, errors, the log's own metric and
its age (``x-valid-for``) all checked. Without the ``inspect`` extra the claim is not evaluated.
"""

import re

import pytest

from pytest_safecase import claim

SUMS = [(a, b) for a in range(1, 6) for b in range(1, 5)]  # 20 small additions


def honest_outputs(messages, tools, tool_choice, config):
    """The mock model as an honest solver: it works the sum out and answers it."""
    from inspect_ai.model import ModelOutput, ModelUsage

    a, b = map(int, re.findall(r"\d+", messages[-1].text))
    output = ModelOutput.from_content("mockllm/model", str(a + b))
    # Usage set here: otherwise the mock counts tokens with tiktoken, which needs the internet.
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


@claim(id="G-valid.harness")
def test_an_inspect_log_decides_the_honest_solver_claim(evidence, tmp_path):
    pytest.importorskip("inspect_ai", reason="needs the inspect extra: pip install '.[inspect]'")
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    task = Task(
        dataset=[
            Sample(id=f"{a}+{b}", input=f"What is {a} + {b}?", target=str(a + b)) for a, b in SUMS
        ],
        solver=generate(),
        scorer=match(),
        name="honest_sums",
    )
    (log,) = eval(
        task,
        model="mockllm/model",
        model_args={"custom_outputs": honest_outputs},
        log_dir=str(tmp_path),
        display="none",
    )
    evidence.from_inspect(log.location, at_least=0.8, name="honest solver solves")
