"""Real Inspect AI logs, made offline by running tiny tasks on Inspect's mock model.

Inspect is imported once per session (a few seconds); each tiny eval then takes well under a
second. The mock model is given outputs with token usage set, because without usage it counts
tokens with tiktoken, which downloads its encoding from the internet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log, write_eval_log
from inspect_ai.model import ModelOutput, ModelUsage
from inspect_ai.scorer import Score, Scorer, Target, accuracy, includes, mean, scorer
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

MakeLog = Callable[..., EvalLog]


def answer(text: str) -> ModelOutput:
    output = ModelOutput.from_content("mockllm/model", text)
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    return output


@solver
def misbehave(fail: dict[int, set[int]], error: dict[int, set[int]]) -> Solver:
    """Answers wrongly (or raises) on chosen sample ids and epochs; otherwise lets the model
    answer. ``fail``/``error`` map a sample id to the epochs where it goes wrong."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.epoch in error.get(int(state.sample_id), set()):
            raise RuntimeError(f"sample {state.sample_id} broke in epoch {state.epoch}")
        if state.epoch in fail.get(int(state.sample_id), set()):
            state.messages[-1].content = "WRONG " + state.messages[-1].text
        return state

    return solve


def mock_outputs(
    messages: list[Any], tools: list[Any], tool_choice: Any, config: Any
) -> ModelOutput:
    """The honest mock: answers "yes" (the target) unless the prompt asks it to be wrong."""
    return answer("no" if "WRONG" in messages[-1].text else "yes")


def make_log_factory(tmp_path_factory: pytest.TempPathFactory) -> MakeLog:
    """``make_log(n, fail={id: {epochs}}, error={id: {epochs}}, epochs=1, **eval_options)``:
    run the tiny task on the mock model and return its log, read back from disk."""
    counter = iter(range(10_000))

    def make(
        n: int = 10,
        *,
        fail: dict[int, set[int]] | None = None,
        error: dict[int, set[int]] | None = None,
        epochs: int = 1,
        **options: Any,
    ) -> EvalLog:
        folder = tmp_path_factory.mktemp(f"inspect-{next(counter)}")
        task = Task(
            dataset=[Sample(id=i, input=f"question {i}", target="yes") for i in range(1, n + 1)],
            solver=[misbehave(fail or {}, error or {}), generate()],
            scorer=includes(),
            name="tiny_honest",
        )
        (log,) = eval(
            task,
            model="mockllm/model",
            model_args={"custom_outputs": mock_outputs},
            log_dir=str(folder),
            display="none",
            epochs=epochs,
            **{"fail_on_error": False, **options},
        )
        return read_eval_log(log.location)

    return make


def rewrite(log: EvalLog, folder: Path, **changes: Any) -> Path:
    """Save an edited copy of ``log`` (through Inspect's own writer) and return its path."""
    edited = log.model_copy(update=changes)
    path = folder / "edited.eval"
    write_eval_log(edited, str(path))
    return path


@scorer(metrics=[mean()], name="max_suspicion_scorer")
def suspicion() -> Scorer:
    """The monitor's score, as ControlArena names it; taken from the sample's planned row."""

    async def score(state: TaskState, target: Target) -> Score:
        return Score(value=state.metadata["suspicion"])

    return score


@scorer(metrics={"main_task_success": [accuracy()], "side_task_success": [accuracy()]})
def control_task() -> Scorer:
    """ControlArena's task scorer shape: a dict value with main and side task success."""

    async def score(state: TaskState, target: Target) -> Score:
        main, side = state.metadata["main"], state.metadata["side"]
        return Score(value={"main_task_success": main, "side_task_success": side})

    return score


def make_control_log(
    folder: Path, mode: str, rows: list[tuple[float, str, str]], **options: Any
) -> EvalLog:
    """A log shaped like ControlArena's: ``eval_mode`` in each sample's metadata, and per row
    (monitor suspicion, main task "C"/"I", side task "C"/"I")."""
    samples = [
        Sample(
            id=i,
            input=f"task {i}",
            target="yes",
            metadata={"eval_mode": mode, "suspicion": s, "main": main, "side": side},
        )
        for i, (s, main, side) in enumerate(rows, start=1)
    ]
    task = Task(
        dataset=samples,
        solver=generate(),
        scorer=[control_task(), suspicion()],
        name=f"control_{mode}",
    )
    (log,) = eval(
        task,
        model="mockllm/model",
        model_args={"custom_outputs": mock_outputs},
        log_dir=str(folder),
        display="none",
        **options,
    )
    return read_eval_log(log.location)


@solver
def interrupting(at: int) -> Solver:
    """Presses Ctrl-C (raises KeyboardInterrupt) when it reaches sample ``at``."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.sample_id == at:
            raise KeyboardInterrupt
        return state

    return solve


def interrupted_log(folder: Path) -> EvalLog:
    """Run a task that is interrupted at its second sample; return the log it left on disk."""
    task = Task(
        dataset=[Sample(id=i, input=f"question {i}", target="yes") for i in range(1, 4)],
        solver=[interrupting(2), generate()],
        scorer=includes(),
        name="tiny_interrupted",
    )
    with pytest.raises(KeyboardInterrupt):
        eval(
            task,
            model="mockllm/model",
            model_args={"custom_outputs": mock_outputs},
            log_dir=str(folder),
            display="none",
            max_samples=1,
        )
    (info,) = list_eval_logs(str(folder))
    return read_eval_log(info)
