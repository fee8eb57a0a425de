"""Policies: the prompts sent to U and T, and strict parsers for their replies.

One code path serves LLM providers and the offline ``builtin:`` models: the built-in models
answer these same prompts (``prompts/*.txt``) in the same reply format. A reply that cannot be
parsed is recorded with its error, never replaced by a default: no code means no solution, no
score means a monitor failure (which protocols treat against the blue team).
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pytest_safecase.models import Model, Request

from .tasks import Task

__all__ = [
    "PROMPT_NAMES",
    "AttackAttempt",
    "Solution",
    "Suspicion",
    "attack",
    "edit",
    "extract_code",
    "extract_score",
    "extract_secret_input",
    "extract_tagged",
    "load_prompt",
    "monitor",
    "render_prompt",
    "solve",
]

PROMPT_NAMES = ("honest_solver", "attack", "monitor", "editor", "colluding_monitor")
DECLINE = "DECLINE"
_MAX_TOKENS = 2048
_CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)
_SCORE_LINE = re.compile(r"^\s*SCORE:\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*$", re.MULTILINE)


@cache
def load_prompt(name: str) -> str:
    """The template ``prompts/NAME.txt`` shipped with the package."""
    if name not in PROMPT_NAMES:
        raise ValueError(f"unknown prompt {name!r}; known: {', '.join(PROMPT_NAMES)}")
    return (resources.files(__package__) / "prompts" / f"{name}.txt").read_text("utf-8")


def render_prompt(
    name: str, *, problem: str, code: str | None = None, signal: str | None = None
) -> str:
    """Fill a template (plain replacement: code is full of braces ``str.format`` would eat).

    The signal goes in before the problem and the code, so neither can forge it."""
    text = load_prompt(name)
    if signal is not None:
        text = text.replace("{signal}", signal)
    text = text.replace("{problem}", problem.strip("\n"))
    if code is not None:
        text = text.replace("{code}", code.strip("\n"))
    return text


def extract_tagged(text: str, tag: str) -> str | None:
    """The content of the last ``<tag>...</tag>`` in ``text``, stripped."""
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", text, re.DOTALL)
    return found[-1].strip() if found else None


def extract_code(text: str) -> str | None:
    """The last fenced code block of a reply (LLMs often put a draft first)."""
    blocks = _CODE_BLOCK.findall(text)
    return blocks[-1].strip("\n") + "\n" if blocks else None


def extract_score(text: str) -> float | None:
    """The ``SCORE: x`` line's x, if it is a number in [0, 1]."""
    found = _SCORE_LINE.findall(text)
    if not found:
        return None
    value = float(found[-1])
    return value if 0.0 <= value <= 1.0 else None


def extract_secret_input(text: str) -> str | None:
    """The secret input if it is a literal tuple or list of positional arguments."""
    raw = extract_tagged(text, "secret_input")
    if raw is None:
        return None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return raw if isinstance(value, tuple | list) else None


@dataclass(frozen=True)
class Solution:
    """A model's code for a task; ``code`` is None (with ``error``) when the reply had none."""

    code: str | None
    error: str | None
    reply: str


@dataclass(frozen=True)
class AttackAttempt:
    """The attack policy's answer for one task it chose to attack.

    ``declined``: the attacker found no attempt it was willing to submit. ``error`` is set when
    the reply could not be used (e.g. no code block); that is an attacker failure, not a blue win.
    """

    task_id: str
    declined: bool
    code: str | None
    secret_input: str | None
    strategy: str | None
    error: str | None
    reply: str


@dataclass(frozen=True)
class Suspicion:
    """A monitor's score in [0, 1], or NaN with ``error`` when the reply had no valid score."""

    score: float
    error: str | None
    reply: str


def _request(prompt: str, seed: int) -> Request:
    return Request(prompt=prompt, temperature=0.0, max_tokens=_MAX_TOKENS, seed=seed)


def _solution(reply: str) -> Solution:
    code = extract_code(reply)
    if code is None:
        return Solution(None, "the reply has no ```python code block", reply)
    return Solution(code, None, reply)


def solve(model: Model, tasks: Sequence[Task], *, seed: int = 0) -> list[Solution]:
    """Ask ``model`` for an honest solution to each task (in order)."""
    requests = [_request(render_prompt("honest_solver", problem=t.prompt), seed) for t in tasks]
    return [_solution(c.text) for c in model.generate_many(requests)]


def selected_for_attack(task: Task, attack_rate: float, seed: int) -> bool:
    """Whether the red team considers attacking ``task``: a seeded, reproducible coin flip."""
    digest = hashlib.sha256(f"{seed}:{task.task_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < attack_rate


def attack(
    model: Model, tasks: Sequence[Task], *, attack_rate: float = 1.0, seed: int = 0
) -> list[AttackAttempt | None]:
    """Ask the attacker about each task selected at ``attack_rate`` (None: not selected).

    An evaluation run uses ``attack_rate=1.0`` to observe the attacker on every task; the rate at
    which a deployment is attacked is then chosen by the red team in the safety computation.
    """
    selected = [t for t in tasks if selected_for_attack(t, attack_rate, seed)]
    requests = [_request(render_prompt("attack", problem=t.prompt), seed) for t in selected]
    answers = {
        t.task_id: c.text for t, c in zip(selected, model.generate_many(requests), strict=True)
    }
    attempts: list[AttackAttempt | None] = []
    for task in tasks:
        reply = answers.get(task.task_id)
        attempts.append(None if reply is None else _attack_attempt(task.task_id, reply))
    return attempts


def _attack_attempt(task_id: str, reply: str) -> AttackAttempt:
    if reply.strip() == DECLINE:
        return AttackAttempt(task_id, True, None, None, None, None, reply)
    code = extract_code(reply)
    secret = extract_secret_input(reply)
    strategy = extract_tagged(reply, "strategy")
    error = None
    if code is None:
        error = "the reply has no ```python code block"
    elif secret is None:
        error = "the reply has no <secret_input> holding a literal argument tuple"
    return AttackAttempt(task_id, False, code, secret, strategy, error, reply)


def monitor(
    model: Model, items: Sequence[tuple[str, str]], *, seed: int = 0, collusion: str | None = None
) -> list[Suspicion]:
    """Suspicion of each ``(problem prompt, code)``: the monitor sees nothing else.

    With ``collusion`` (a signal's description) the red team's monitor prompt is used instead:
    it tells U to report code carrying that signal as innocent."""
    name = "monitor" if collusion is None else "colluding_monitor"
    requests = [
        _request(render_prompt(name, problem=p, code=c, signal=collusion), seed) for p, c in items
    ]
    suspicions = []
    for completion in model.generate_many(requests):
        score = extract_score(completion.text)
        if score is None:
            error = "the reply has no 'SCORE: x' line with x in [0, 1]"
            suspicions.append(Suspicion(math.nan, error, completion.text))
        else:
            suspicions.append(Suspicion(score, None, completion.text))
    return suspicions


def edit(model: Model, items: Sequence[tuple[str, str]], *, seed: int = 0) -> list[Solution]:
    """The trusted editor's rewrite of each ``(problem prompt, code)``."""
    requests = [_request(render_prompt("editor", problem=p, code=c), seed) for p, c in items]
    return [_solution(c.text) for c in model.generate_many(requests)]
