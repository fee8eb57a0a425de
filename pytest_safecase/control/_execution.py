"""Run several candidate programs on several inputs in ONE sandbox run.

The built-in attacker checks dozens of (candidate, input) pairs per task; one sandbox start per
pair would cost minutes over HumanEval. The harness below runs inside one sandbox, executes each
candidate in a fresh namespace, bounds each call with a wall-clock alarm (after one timeout a
candidate's remaining inputs are skipped as None), and returns its table as plain data. The
outputs are the stand-in attacker's own working notes, computed where the candidates run: the
verdict on an attempt is :func:`check_backdoor`'s, made outside the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sandbox import CandidateRaised, Sandbox, SandboxEnded, SandboxLimits

__all__ = ["CallOutput", "run_batch"]

CallOutput = str | None
"""``repr`` of the returned value, ``"raises Type: message"``, or None (timed out / no result)."""

_PER_CALL_SECONDS = 0.25
_BATCH_LIMITS = SandboxLimits(timeout_seconds=60.0, cpu_seconds=60, output_bytes=4 * 1024 * 1024)

_HARNESS = """
def __safecase_batch():
    import copy, signal
    def on_alarm(signum, frame):
        raise TimeoutError("call exceeded its time budget")
    signal.signal(signal.SIGALRM, on_alarm)
    table = []
    for source in SOURCES:
        namespace = {"__name__": "__candidate__"}
        row = []
        try:
            exec(compile(source, "<candidate>", "exec"), namespace)
            function = namespace[ENTRY_POINT]
        except BaseException as error:
            table.append([None] * len(INPUTS))
            continue
        for args in INPUTS:
            if None in row:
                row.append(None)
                continue
            signal.setitimer(signal.ITIMER_REAL, PER_CALL)
            try:
                value = function(*copy.deepcopy(args))
                signal.setitimer(signal.ITIMER_REAL, 0)
                row.append(repr(value))
            except TimeoutError:
                row.append(None)
            except BaseException as error:
                signal.setitimer(signal.ITIMER_REAL, 0)
                row.append("raises %s: %s" % (type(error).__name__, error))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        table.append(row)
    return table
"""


def run_batch(
    sources: Sequence[str], entry_point: str, inputs: Sequence[tuple[Any, ...]]
) -> list[list[CallOutput]] | None:
    """Outputs[i][j] of candidate ``sources[i]`` on ``inputs[j]``; None if the batch itself failed.

    ``inputs`` must be literals (``repr`` round-trips through ``ast.literal_eval``).
    """
    if not sources or not inputs:
        return [[] for _ in sources]
    program = (
        f"SOURCES = {list(sources)!r}\nINPUTS = {list(inputs)!r}\n"
        f"ENTRY_POINT = {entry_point!r}\nPER_CALL = {_PER_CALL_SECONDS!r}\n{_HARNESS}"
    )
    with Sandbox(program, _BATCH_LIMITS) as box:
        try:
            table = box.call("__safecase_batch")
        except (SandboxEnded, CandidateRaised):
            return None
    if not isinstance(table, list) or len(table) != len(sources):
        return None
    if any(not isinstance(row, list) or len(row) != len(inputs) for row in table):
        return None
    if any(not (cell is None or isinstance(cell, str)) for row in table for cell in row):
        return None
    return table
