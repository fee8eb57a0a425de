"""Fuzzing the case-file reader: whatever bytes a case file holds, reading and validating it ends
in the project's own CaseError naming the file (and the line where there is one) or in a valid
case, quickly; never in another exception, a hang or a traceback from a pytest run."""

from __future__ import annotations

import contextlib
import json
import random
import re
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_safecase.case import CaseError, CaseFile, Problem, assemble, read_case
from pytest_safecase.case.load import MAX_ALIAS_NODES, MAX_DEPTH

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "safety_tests" / "safecase.yaml"
GSN2X_EXAMPLES = REPO.parent / "shared" / "gsn2x-examples"
"""gsn2x's example files, when a checkout of them sits beside the repository: extra mutation
bases, on top of (never instead of) the fixed ones below."""

SEED = 20250611
MUTANTS = {"SMALL": 650, "safecase.yaml": 250, "gsn2x": 20}
"""Mutants per base: more of the small file, whose mutants are quicker to read (the count reaches
1,000 without the gsn2x examples)."""
HANG_SECONDS = 30.0
"""A file still being read after this long is a hang (the slowest takes well under a second on
an idle machine; the margin is for a loaded CI host, not for slow code)."""

SMALL = b"""\
module:
  name: fuzz
  brief: A small case in the gsn2x shape
G1:
  nodeType: Goal
  text: The system is acceptably safe
  supportedBy: [S1]
  inContextOf: [C1, A1]
S1:
  nodeType: Strategy
  text: Argue over each hazard
  supportedBy: [G2, G3]
  inContextOf: [J1]
G2:
  nodeType: Goal
  text: Hazard one is mitigated
  supportedBy: [Sn1]
  x-level: 1
  x-argument: control
G3:
  nodeType: Goal
  text: Hazard two is mitigated
  undeveloped: true
Sn1:
  nodeType: Solution
  text: Test report
  url: https://example.org/report
C1:
  nodeType: Context
  text: Deployment of 5000 tasks
A1:
  nodeType: Assumption
  text: Audits are perfect
  x-accepted: true
J1:
  nodeType: Justification
  text: The hazards were listed by a review
  classes: [reviewed]
x-deployment:
  tasks: 5000
  protocol_by_level: {1: upfront_auditing, 2: trusted_monitoring}
"""

GOAL = "G{i}:\n  nodeType: Goal\n  text: Step {i}\n"


@dataclass(frozen=True)
class Sample:
    family: str
    data: bytes
    invalid: bool
    """True when the file is known to be invalid: the validator must reject it."""


@dataclass
class Outcome:
    sample: Sample
    path: Path
    seconds: float
    problems: list[Problem]
    case: CaseFile | None


# ---- mutations of real files ----


def _flip(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    byte = rng.choice([0x00, 0x0A, 0x20, 0x22, 0x26, 0x2A, 0x3A, 0x5B, 0x7B, 0x80, 0xC3, 0xFF])
    return data[:at] + bytes([rng.choice([byte, rng.randrange(256)])]) + data[at + 1 :]


def _delete(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    return data[:at] + data[at + rng.randint(1, 40) :]


def _duplicate(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    span = data[at : at + rng.randint(1, 200)]
    to = rng.randrange(len(data))
    return data[:to] + span * rng.randint(1, 3) + data[to:]


def _shuffle_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    at = rng.randrange(len(lines))
    window = lines[at : at + rng.randint(2, 8)]
    rng.shuffle(window)
    return b"\n".join([*lines[:at], *window, *lines[at + len(window) :]])


def _indent(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    at = rng.randrange(len(lines))
    lines[at] = rng.choice([b" ", b"   ", b"\t", b""]) + lines[at].lstrip(b" ")
    return b"\n".join(lines)


VALUES = [
    b"[]",
    b"{}",
    b"~",
    b"true",
    b"3",
    b"-1.5",
    b".nan",
    b"1e400",
    b"0b_",
    b"._",
    b"2024-13-45",
    b"2024-05-01",
    b"!!int x",
    b"!!int 2",
    b"!!float ''",
    b"!!bool maybe",
    b"!!str [a]",
    b"!!map [a]",
    b"!!binary aGk=",
    b"!!set {a}",
    b"!local x",
    b"[a, [b, {c: d}]]",
    b"{a: 1, a: 2}",
    b"&anchor value",
    b"*anchor",
    b"*undefined",
    b'"G1"',
    b"[G1]",
    b"[G2, G2]",
    b"'S1'",
    b"|\n  block\n",
    b"? [a]\n  : b",
    b"1" * 5000,
]
KEYS = [
    b"nodeType",
    b"text",
    b"supportedBy",
    b"inContextOf",
    b"undeveloped",
    b"x-level",
    b"x-argument",
    b"x-accepted",
    b"x-risk-budget",
    b"module",
    b"G1",
    b"1",
    b"true",
    b"~",
    b"[k]",
    b"supported_by",
    b"<<",
]
_KEY_VALUE = re.compile(rb"^(\s*)([^\s:#][^:\n]*):([ \t]+)(\S.*)?$", re.M)


def _swap_value(data: bytes, rng: random.Random) -> bytes:
    matches = list(_KEY_VALUE.finditer(data))
    if not matches:
        return _flip(data, rng)
    match = rng.choice(matches)
    line = match.group(1) + match.group(2) + b": " + rng.choice(VALUES)
    return data[: match.start()] + line + data[match.end() :]


def _swap_key(data: bytes, rng: random.Random) -> bytes:
    matches = list(_KEY_VALUE.finditer(data))
    if not matches:
        return _flip(data, rng)
    match = rng.choice(matches)
    line = match.group(1) + rng.choice(KEYS) + b": " + (match.group(4) or b"")
    return data[: match.start()] + line + data[match.end() :]


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    _flip,
    _delete,
    _duplicate,
    _shuffle_lines,
    _indent,
    _swap_value,
    _swap_value,
    _swap_key,
]


def mutants(name: str, base: bytes, rng: random.Random, count: int) -> Iterator[Sample]:
    for _ in range(count):
        data = base
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(MUTATIONS)(data, rng) or b"\n"
        yield Sample(f"mutant of {name}", data, invalid=False)


# ---- hostile files, each known to be invalid ----


def _node_body_insert(base: bytes, line: bytes, rng: random.Random) -> bytes:
    """``line`` added to the body of a random node of ``base``."""
    starts = [m.end() for m in re.finditer(rb"^(?:G|S|Sn|C|A|J)\w*:\n", base, re.M)]
    at = rng.choice(starts)
    return base[:at] + b"  " + line + b"\n" + base[at:]


def hostile(rng: random.Random) -> Iterator[Sample]:
    text = SMALL.decode()
    # Encodings: the file must be UTF-8.
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"):
        yield Sample("bad encoding", text.encode(encoding), invalid=True)
    for _ in range(30):
        at = rng.randrange(len(SMALL))
        bad = rng.choice([b"\xff", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe9t\xe9", b"\xf8"])
        yield Sample("bad encoding", SMALL[:at] + bad + SMALL[at:], invalid=True)
    yield Sample("bad encoding", text.replace("Audits", "Audits café").encode("latin-1"), True)
    # NUL bytes and other control characters, anywhere (comments included).
    for _ in range(40):
        at = rng.randrange(len(SMALL) + 1)
        char = rng.choice([b"\x00", b"\x00", b"\x01", b"\x07", b"\x1b", b"\x7f"])
        yield Sample("NUL or control byte", SMALL[:at] + char + SMALL[at:], invalid=True)
    # Keys: non-string keys in a node, non-string node ids, unhashable keys anywhere.
    for key in (b"1", b"true", b"~", b"1.5", b"2024-01-01", b"!!int 3", b"0x1f"):
        yield Sample("non-string key", _node_body_insert(SMALL, key + b": x", rng), True)
        yield Sample("non-string key", SMALL + key + b":\n  nodeType: Goal\n  text: t\n", True)
    for snippet in (
        b"? [a, b]\n: c\n",
        b"? {a: 1}\n: c\n",
        b"x-map: {[a]: 1}\n",
        b"x-map: {{a: 1}: 1}\n",
        b"x-list: &l [a]\nx-map: {*l : 1}\n",
        b"x-deep:\n  a:\n    ? [x]\n    : y\n",
    ):
        yield Sample("unhashable key", SMALL + snippet, invalid=True)
        yield Sample("unhashable key", snippet + SMALL, invalid=True)
    yield Sample("unhashable key", _node_body_insert(SMALL, b"? [a]\n  : b", rng), True)
    # Tags: a bad !!int (or kin), or a tag no case file needs.
    for key, tagged in (
        (b"x-level", b"!!int two"),
        (b"x-level", b"!!int ''"),
        (b"x-level", b"!!int 0x"),
        (b"text", b"!!int 5"),
        (b"nodeType", b"!!int 1"),
        (b"x-risk-budget", b"!!float half"),
        (b"undeveloped", b"!!bool maybe"),
        (b"text", b"!!binary aGVsbG8="),
        (b"text", b"!!python/object/apply:os.system [echo]"),
        (b"text", b"!!python/name:os.system"),
        (b"supportedBy", b"!!set {G2}"),
        (b"supportedBy", b"!!omap [a: 1]"),
        (b"text", b"!!timestamp 2024-01-01"),
        (b"text", b"!custom x"),
        (b"text", b"!<tag:example.org,2024:x> y"),
        (b"x-level", b"!!map [1]"),
    ):
        yield Sample("tag", _node_body_insert(SMALL, key + b": " + tagged, rng), invalid=True)
    # Recursive aliases.
    for snippet in (
        b"x-a: &a [*a]\n",
        b"x-a: &a {b: *a}\n",
        b"x-a: &a [1, [2, [3, *a]]]\n",
        b"x-a: &a {b: [c, {d: *a}]}\n",
        b"G9: &g\n  nodeType: Goal\n  text: *g\n",
        b"x-a: &a {*a : 1}\n",
    ):
        yield Sample("recursive alias", SMALL + snippet, invalid=True)
    yield Sample("recursive alias", b"x-undefined: *nowhere\n" + SMALL, invalid=True)
    # Nesting far deeper than any case file needs.
    for depth in (MAX_DEPTH + 1, 1000, 5000):
        for opener, closer in ((b"[", b"]"), (b"{a: ", b"}"), (b"[{a: ", b"}]")):
            deep = b"x-deep: " + opener * depth + b"1" + closer * depth + b"\n"
            yield Sample("deep nesting", SMALL + deep, invalid=True)
        yield Sample("deep nesting", SMALL + b"x-deep: " + b"- " * depth + b"x\n", True)
        yield Sample("deep nesting", SMALL + b"x-deep: " + b"[" * depth + b"\n", True)
    # Long argument chains that loop or end nowhere (a plain long chain is valid: see below).
    for length in (1200,):
        chain = _chain(length)
        yield Sample("long chain", chain + f"  supportedBy: [G{length - 1}]\n".encode(), True)
        yield Sample("long chain", chain.replace(b"[G1]", b"[G1, G0]"), True)
        yield Sample("long chain", chain + f"  supportedBy: [G{length}]\n".encode(), True)
    # Billion laughs: each alias level multiplies the size.
    for width, levels in ((9, 9), (10, 6), (3, 20), (2, 40)):
        yield Sample("alias bomb", _laughs(width, levels, mapping=False), invalid=True)
        yield Sample("alias bomb", _laughs(width, levels, mapping=True), invalid=True)
    big = b"x-big: &big [" + b",".join(b"v%d" % i for i in range(2000)) + b"]\n"
    many = b"x-many: [" + b", ".join([b"*big"] * 50) + b"]\n"
    yield Sample("alias bomb", SMALL + big + many, invalid=True)


def _chain(length: int) -> bytes:
    """A case with goals G0 -> G1 -> ... -> G(length-1) -> solution; the last goal has no link
    yet, so what the caller appends to the file becomes its supportedBy."""
    parts = [GOAL.format(i=i) + f"  supportedBy: [G{i + 1}]\n" for i in range(length - 1)]
    parts[-1] = parts[-1].replace(f"[G{length - 1}]", f"[G{length - 1}, Sn]")
    parts.append("Sn:\n  nodeType: Solution\n  text: Evidence\n")
    parts.append(GOAL.format(i=length - 1))
    return "".join(parts).encode()


def _laughs(width: int, levels: int, *, mapping: bool) -> bytes:
    lines = [b"x-lol0: &lol0 lol"]
    for level in range(1, levels + 1):
        aliases = [b"*lol%d" % (level - 1)] * width
        if mapping:
            body = b"{" + b", ".join(b"k%d: %s" % (i, a) for i, a in enumerate(aliases)) + b"}"
        else:
            body = b"[" + b", ".join(aliases) + b"]"
        lines.append(b"x-lol%d: &lol%d %s" % (level, level, body))
    lines.append(b"x-all: *lol%d\nG1:\n  nodeType: Goal\n  text: Laughs" % levels)
    return b"\n".join(lines) + b"\n"


def known_valid() -> Iterator[Sample]:
    """Files the validator must accept: the fuzzing means nothing if it rejects everything."""
    yield Sample("valid", SMALL, invalid=False)
    yield Sample("valid", SHIPPED.read_bytes(), invalid=False)
    yield Sample("valid", b"\xef\xbb\xbf" + SMALL, invalid=False)
    yield Sample("valid", SMALL.replace(b"x-level: 1", b"x-level: !!int 1"), invalid=False)
    anchors = SMALL.replace(b"text: Hazard one", b"text: &hazard Hazard one") + (
        b"x-notes: [*hazard, *hazard]\n"
    )
    yield Sample("valid", anchors, invalid=False)
    dates = b"x-dates: {2024-05-01: launch, review: 2024-06-01T10:00:00Z}\n"
    yield Sample(
        "valid",
        SMALL.replace(b"x-accepted: true", b"x-accepted: true\n  x-on: 2024-05-01") + dates,
        False,
    )
    for length in (1200, 2000):
        yield Sample("valid", _chain(length), invalid=False)
    nested = b"x-nested: " + b"[" * (MAX_DEPTH - 1) + b"1" + b"]" * (MAX_DEPTH - 1) + b"\n"
    yield Sample("valid", SMALL + nested, invalid=False)
    width = 9
    levels = 1
    while width ** (levels + 1) < MAX_ALIAS_NODES // 2:
        levels += 1
    yield Sample("valid", _laughs(width, levels, mapping=False), invalid=False)


def samples() -> list[Sample]:
    rng = random.Random(SEED)
    bases = {"SMALL": SMALL, SHIPPED.name: SHIPPED.read_bytes()}
    found = [*known_valid(), *hostile(rng)]
    for name, base in bases.items():
        found.extend(mutants(name, base, rng, MUTANTS[name]))
    for path in sorted(GSN2X_EXAMPLES.rglob("*.yaml")) if GSN2X_EXAMPLES.is_dir() else []:
        found.extend(mutants(path.name, path.read_bytes(), rng, MUTANTS["gsn2x"]))
    return found


# ---- running the validator ----


class Hang(Exception):
    """Raised by the alarm when one file takes far too long."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt a hang (where the platform has SIGALRM); the measured time is checked anyway."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(sample: Sample, path: Path) -> Outcome:
    path.write_bytes(sample.data)
    start = time.perf_counter()
    with deadline(HANG_SECONDS):
        try:
            case: CaseFile | None = read_case(path)[0]
            problems: list[Problem] = []
        except CaseError as exc:
            case, problems = None, exc.problems
    return Outcome(sample, path, time.perf_counter() - start, problems, case)


def test_fuzzed_case_files_end_in_a_case_error_or_a_valid_case(tmp_path: Path) -> None:
    found = samples()
    assert len(found) >= 1000
    start = time.perf_counter()
    outcomes = [run(sample, tmp_path / f"case{i}.yaml") for i, sample in enumerate(found)]
    total = time.perf_counter() - start
    accepted_invalid = [o.sample for o in outcomes if o.sample.invalid and not o.problems]
    assert not accepted_invalid
    rejected_valid = [
        [str(p) for p in o.problems] for o in outcomes if o.sample.family == "valid" and o.problems
    ]
    assert not rejected_valid
    for outcome in outcomes:
        for problem in outcome.problems:
            assert problem.file == str(outcome.path)
            assert str(problem).startswith(str(outcome.path))
        if outcome.sample.invalid:
            assert outcome.problems[0].line is not None, outcome.problems[0]
        if outcome.case is not None:  # a case that passes must also evaluate and serialise
            result = assemble(outcome.case, [], {})
            assert result.walk(with_context=True)[0].id == result.root
            json.dumps(result.to_dict())

    families = Counter(o.sample.family for o in outcomes)
    rejected = Counter(o.sample.family for o in outcomes if o.problems)
    print(
        f"\n{len(outcomes)} files in {total:.2f}s (slowest {max(o.seconds for o in outcomes):.3f}s);"
        f" rejected {sum(rejected.values())}:"
    )
    for family, count in sorted(families.items()):
        print(f"  {family}: {rejected[family]}/{count} rejected")
    mutated = sum(n for family, n in families.items() if family.startswith("mutant"))
    assert 0 < sum(n for f, n in rejected.items() if f.startswith("mutant")) < mutated


def line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


END = SMALL.count(b"\n") + 1
"""The line of anything appended to SMALL."""
LOOP = _chain(1200) + b"  supportedBy: [G0]\n"


@pytest.mark.parametrize(
    ("name", "data", "line", "fragment"),
    [
        ("nul", SMALL.replace(b"Test report", b"Test\x00report"), line_of(SMALL, b"Test r"), "NUL"),
        ("utf16", SMALL.decode().encode("utf-16"), 1, "UTF-16"),
        (
            "int-key",
            SMALL.replace(b"x-accepted", b"1"),
            line_of(SMALL, b"x-acc"),
            "must be strings",
        ),
        ("unhashable", SMALL + b"? [a]\n: b\n", END, "plain value"),
        ("bad-int", SMALL.replace(b"x-level: 1", b"x-level: !!int one"), 18, "'one' as int"),
        ("python-tag", SMALL + b"x-a: !!python/name:os.system\n", END, "!!python/name"),
        ("recursive", SMALL + b"x-a: &a [x, *a]\n", END, "*a is recursive"),
        ("deep", SMALL + b"x-a: " + b"[" * 5000 + b"]" * 5000 + b"\n", END, "nest"),
        ("laughs", _laughs(9, 9, mapping=False), 6, "alias bomb"),
        ("loop", LOOP, line_of(LOOP, b"G1199:"), "G1198 -> G1199 -> G0"),
    ],
)
def test_hostile_files_name_the_file_the_line_and_the_reason(
    tmp_path: Path, name: str, data: bytes, line: int, fragment: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with deadline(HANG_SECONDS), pytest.raises(CaseError) as caught:
        read_case(path)
    first = caught.value.problems[0]
    assert (first.file, first.line) == (str(path), line)
    assert fragment in str(caught.value)


HOSTILE_RUNS = {
    "alias-bomb": (_laughs(9, 9, mapping=False), 6, "alias bomb"),
    "deep": (SMALL + b"x-a: " + b"{a: " * 5000 + b"1" + b"}" * 5000 + b"\n", END, "nest"),
    "nul": (SMALL.replace(b"Test report", b"Test\x00report"), line_of(SMALL, b"Test r"), "NUL"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RUNS))
def test_a_hostile_case_file_is_a_usage_error_in_a_pytest_run(
    pytester: pytest.Pytester, name: str
) -> None:
    data, line, fragment = HOSTILE_RUNS[name]
    (pytester.path / "safecase.yaml").write_bytes(data)
    pytester.makepyfile("def test_x():\n    pass\n")
    if name == "deep":  # a fresh interpreter: its own stack, the way a user runs pytest
        result = pytester.runpytest_subprocess(timeout=60)
    else:
        with deadline(60):
            result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert f"safecase.yaml:{line}:" in output
    assert fragment in output
    assert "Traceback" not in output and "INTERNALERROR" not in output
