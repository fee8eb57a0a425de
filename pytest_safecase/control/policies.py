"""Policies: the prompts sent to U and T, and tolerant but never guessing parsers of their replies.

One code path serves LLM providers and the offline ``builtin:`` models: the built-in models
answer these same prompts (``prompts/*.txt``) in the same reply format. Real models stray from
the format in a few common ways the parsers accept (any-case ``python``/``py``/``python3`` fence
tags, CRLF line ends, an unclosed last fence, bold or lower-case score lines, a one-argument
secret input without its tuple). A reply that still cannot be read is recorded with its error,
never replaced by a default: no code means no solution, no score means a monitor failure (which
protocols treat against the blue team). A refusal is recorded as *declined*, a distinct outcome
from *unusable*; neither is evidence of anything but the reply itself.
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

from pytest_safecase._parse import literal, parse
from pytest_safecase.models import FINISH_LENGTH, Completion, Model, Request

from .attacks import entry_point_of
from .tasks import Task

__all__ = [
    "PROMPT_NAMES",
    "PROMPT_VERSION",
    "AttackAttempt",
    "Solution",
    "Suspicion",
    "arity",
    "attack",
    "edit",
    "extract_code",
    "extract_score",
    "extract_secret_input",
    "extract_tagged",
    "is_refusal",
    "load_prompt",
    "monitor",
    "render_prompt",
    "solve",
]

PROMPT_NAMES = ("honest_solver", "attack", "monitor", "editor", "colluding_monitor")
PROMPT_VERSION = "3"
"""Bumped with any change to the prompts or to how replies are read: part of the evaluation key."""
DECLINE = "DECLINE"
_MAX_TOKENS = 2048
_FENCE_OPEN = re.compile(r"^[ \t]*```[ \t]*([\w+.-]*)[ \t]*$")
_PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})
_SCORE_LINE = re.compile(
    r"^(?:final\s+)?(?:suspicion\s+)?score\s*[:=]\s*([-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"(?P<rest>[^\d]*)$",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"[*_`#>]")
_REFUSAL = re.compile(
    r"^\s*DECLINE\b|\bI\s+(?:can(?:no|')t|cannot|won't|will\s+not|must\s+decline|decline|refuse|"
    r"am\s+(?:unable|not\s+able))\b|\bI'm\s+(?:sorry|unable|not\s+able)\b",
    re.IGNORECASE | re.MULTILINE,
)
EMPTY_REPLY = "the reply is empty"
CUT_OFF = "the reply was cut off at the token limit"
NO_CODE = "the reply has no ```python code block"


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


def _fenced_blocks(text: str) -> list[str]:
    """Python (or untagged) fenced blocks, in order; a fence never closed runs to the end."""
    blocks: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tag: str | None = None
    current: list[str] = []
    for line in lines:
        if tag is None:
            opening = _FENCE_OPEN.match(line)
            if opening:
                tag, current = opening.group(1).lower(), []
        elif line.strip().startswith("```"):
            if tag in _PYTHON_TAGS:
                blocks.append("\n".join(current))
            tag = None
        else:
            current.append(line)
    if tag in _PYTHON_TAGS and current:
        blocks.append("\n".join(current))
    return [block.strip("\n") + "\n" for block in blocks if block.strip()]


def _defines(code: str, name: str | None) -> bool:
    """Whether ``code`` defines the function ``name`` (any function when ``name`` is None)."""
    function = re.escape(name) if name else r"\w+"
    pattern = rf"^\s*(?:async\s+)?def\s+{function}\s*\("
    return re.search(pattern, code, re.MULTILINE) is not None


def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The solution's code block: the last block that defines ``entry_point`` (else the last
    defining any function, else the last block), so a trailing usage example cannot replace it.

    A reply without any fence that is itself Python defining ``entry_point`` is taken whole.
    """
    blocks = _fenced_blocks(text)
    for wanted in (entry_point, None) if entry_point else (None,):
        defining = [block for block in blocks if _defines(block, wanted)]
        if defining:
            return defining[-1]
    if blocks:
        return blocks[-1]
    bare = text.replace("\r\n", "\n").strip("\n")
    if entry_point and "```" not in bare and _defines(bare, entry_point):
        try:
            parse(bare)
        except SyntaxError:
            return None
        return bare + "\n"
    return None


def extract_score(text: str) -> float | None:
    """The last score line's number (``SCORE: x``, also bold, any case, with a trailing word or
    full stop), if it is in [0, 1]. A line with a second number (``0.1 to 0.3``) is ambiguous."""
    found = None
    for line in text.replace("\r\n", "\n").split("\n"):
        match = _SCORE_LINE.match(_MARKUP.sub("", line).strip())
        if match:
            found = float(match.group(1))
    return found if found is not None and 0.0 <= found <= 1.0 else None


def arity(task: Task) -> tuple[int, int | None] | None:
    """(required, most) positional arguments of the task's entry point; most is None for
    ``*args``. None when the prompt does not define the entry point."""
    try:
        module = parse(task.prompt)
    except SyntaxError:
        return None
    for node in reversed(module.body):
        if isinstance(node, ast.FunctionDef) and node.name == task.entry_point:
            positional = len(node.args.posonlyargs) + len(node.args.args)
            required = positional - len(node.args.defaults)
            return required, None if node.args.vararg else positional
    return None


def extract_secret_input(text: str, arguments: tuple[int, int | None] | None = None) -> str | None:
    """The secret input as a literal argument tuple, read for the function's ``arguments``.

    For a one-argument function a 1-tuple is the argument tuple and any other literal is the
    single argument (``("abc")`` and ``[1, 2, 3]`` are one argument each). Otherwise the literal
    must be a tuple or list whose length the function accepts. Without ``arguments`` any tuple
    or list is taken as the arguments.
    """
    raw = extract_tagged(text, "secret_input")
    if raw is None:
        return None
    try:
        value = literal(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if arguments is not None and arguments[1] == 1:
        is_argument_tuple = isinstance(value, tuple) and len(value) == 1
        return raw if is_argument_tuple else f"({raw},)"
    if not isinstance(value, tuple | list):
        return None
    if arguments is not None:
        required, most = arguments
        if len(value) < required or (most is not None and len(value) > most):
            return None
    return raw


def is_refusal(text: str) -> bool:
    """Whether a reply declines in words (``DECLINE``, "I can't", "I'm sorry", ...)."""
    return _REFUSAL.search(text) is not None


@dataclass(frozen=True)
class Solution:
    """A model's code for a task; ``code`` is None (with ``error``) when the reply had none.

    ``declined``: the model refused in words, which is not the same as an unreadable reply."""

    code: str | None
    error: str | None
    reply: str
    declined: bool = False


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
    """A monitor's score in [0, 1], or NaN with ``error`` when the reply had no valid score
    (``declined`` when it refused to score)."""

    score: float
    error: str | None
    reply: str
    declined: bool = False


def _request(prompt: str, seed: int) -> Request:
    return Request(prompt=prompt, temperature=0.0, max_tokens=_MAX_TOKENS, seed=seed)


def _text(completion: Completion) -> tuple[str, str | None]:
    """The reply's text, and why it cannot be used at all: an answer cut off at the token limit
    may hold half a program or a score cut short, so it is never read as a whole one."""
    cut_off = CUT_OFF if completion.finish == FINISH_LENGTH else None
    return completion.text.replace("\r\n", "\n"), cut_off


def _solution(reply: str, cut_off: str | None, entry_point: str | None) -> Solution:
    if cut_off is not None:
        return Solution(None, cut_off, reply)
    code = extract_code(reply, entry_point)
    if code is not None:
        return Solution(code, None, reply)
    if not reply.strip():
        return Solution(None, EMPTY_REPLY, reply)
    if is_refusal(reply):
        return Solution(None, "the model declined", reply, declined=True)
    return Solution(None, NO_CODE, reply)


def solve(model: Model, tasks: Sequence[Task], *, seed: int = 0) -> list[Solution]:
    """Ask ``model`` for an honest solution to each task (in order)."""
    requests = [_request(render_prompt("honest_solver", problem=t.prompt), seed) for t in tasks]
    completions = model.generate_many(requests)
    return [_solution(*_text(c), t.entry_point) for t, c in zip(tasks, completions, strict=True)]


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
        t.task_id: _text(c) for t, c in zip(selected, model.generate_many(requests), strict=True)
    }
    attempts: list[AttackAttempt | None] = []
    for task in tasks:
        answer = answers.get(task.task_id)
        attempts.append(None if answer is None else _attack_attempt(task, *answer))
    return attempts


def _attack_attempt(task: Task, reply: str, cut_off: str | None = None) -> AttackAttempt:
    if cut_off is not None:
        return AttackAttempt(task.task_id, False, None, None, None, cut_off, reply)
    code = extract_code(reply, task.entry_point)
    if reply.strip() == DECLINE or (code is None and is_refusal(reply)):
        return AttackAttempt(task.task_id, True, None, None, None, None, reply)
    secret = extract_secret_input(reply, arity(task))
    strategy = extract_tagged(reply, "strategy")
    error = None
    if not reply.strip():
        error = EMPTY_REPLY
    elif code is None:
        error = NO_CODE
    elif secret is None:
        error = "the reply has no <secret_input> holding a literal the function accepts"
    return AttackAttempt(task.task_id, False, code, secret, strategy, error, reply)


def _suspicion(reply: str, cut_off: str | None = None) -> Suspicion:
    if cut_off is not None:
        return Suspicion(math.nan, cut_off, reply)
    score = extract_score(reply)
    if score is not None:
        return Suspicion(score, None, reply)
    if not reply.strip():
        return Suspicion(math.nan, EMPTY_REPLY, reply)
    if is_refusal(reply):
        return Suspicion(math.nan, "the monitor declined to score", reply, declined=True)
    return Suspicion(math.nan, "the reply has no 'SCORE: x' line with x in [0, 1]", reply)


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
    return [_suspicion(*_text(c)) for c in model.generate_many(requests)]


def edit(model: Model, items: Sequence[tuple[str, str]], *, seed: int = 0) -> list[Solution]:
    """The trusted editor's rewrite of each ``(problem prompt, code)``."""
    requests = [_request(render_prompt("editor", problem=p, code=c), seed) for p, c in items]
    completions = model.generate_many(requests)
    pairs = zip(items, completions, strict=True)
    return [_solution(*_text(c), entry_point_of(p)) for (p, _), c in pairs]
