"""Inspect AI eval logs as trials of a rate claim, read only through ``inspect_ai.log``.

Inspect's maintainers call the log format versioned but not frozen, so nothing here opens the file
itself: the log is read with ``read_eval_log`` and only documented fields are used. The rules are
conservative, because a log is evidence only if nothing in it could flatter the claim:

* the log's status must be ``success`` (a started, cancelled or errored run proves nothing);
* one trial per sample id: epochs are repeated measurements of one item, not independent trials,
  so a sample id counts in the claim's favour only if every one of its epochs does;
* a sample with an error, a limit hit or no score counts against the claim (errors and limits can
  be dropped by opting out; unscored samples cannot: a silent scorer is not a pass);
* invalidated samples are dropped, and counted;
* the log's own metric for the scorer is recomputed from its samples and must agree.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from pytest_safecase.interop.freshness import parse_valid_for, staleness

if TYPE_CHECKING:
    from pytest_safecase.records import RateRecord
    from pytest_safecase.stats import RateDecision

INSPECT_EXTRA = "pip install 'pytest-safecase[inspect]'"
_CHECKED_METRICS = ("accuracy", "mean")
_TOLERANCE = 1e-9


class LogNotEvidence(ValueError):
    """The log cannot be evidence at all: not a finished run, missing samples, or inconsistent."""


def inspect_log_module() -> ModuleType:
    """``inspect_ai.log``, or an ImportError that names the extra to install."""
    try:
        import inspect_ai.log as log_module
    except ImportError as exc:
        raise ImportError(
            f"reading Inspect AI logs needs the inspect_ai package: {INSPECT_EXTRA}"
        ) from exc
    return log_module


@dataclass
class LogTally:
    """A log reduced to one trial per sample id, with everything left out said out loud."""

    successes: int
    """Sample ids where the rate's event held (under the conservative epoch rule)."""
    trials: int
    scorer: str
    epochs: int
    errors: int = 0
    """Sample ids with an error in some epoch (counted against the claim unless dropped)."""
    limits: int = 0
    unscored: int = 0
    invalidated: int = 0
    """Sample epochs dropped because the log marks them invalidated."""
    dropped: list[str] = field(default_factory=list)
    """Sample ids with no epoch left to count (invalidated, or errors/limits opted out)."""
    metric: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    evaluated_at: str | None = None


Judge = Callable[[Any], bool]


def read_log(log: Any) -> tuple[Any, str | None]:
    """The EvalLog with its samples, and the sha256 of the file it was read from (if a path).

    An EvalLog object is used as given: its bytes on disk may differ from it, so it gets no hash;
    nor does a remote log (``s3://``), which Inspect reads without this code seeing its bytes.
    """
    log_module = inspect_log_module()
    if (
        isinstance(log, str)
        and re.match(r"[a-z][a-z0-9+.-]+://", log)
        and not log.startswith("file:")
    ):
        return log_module.read_eval_log(log), None  # remote (s3://...): Inspect reads it, no hash
    if isinstance(log, str | Path) or hasattr(log, "__fspath__"):
        text = str(log)
        path = Path(url2pathname(urlparse(text).path)) if text.startswith("file:") else Path(log)
        digest = _sha256(path)
        read = log_module.read_eval_log(str(path))
        if _sha256(path) != digest:
            raise LogNotEvidence(f"the Inspect log {path} changed while it was being read")
        return read, digest
    if not isinstance(log, log_module.EvalLog):
        raise TypeError(f"log must be a path or an inspect_ai EvalLog, got {type(log).__name__}")
    if log.samples is None and log.location:
        return log_module.read_eval_log(log.location), None  # a header-only read: fetch samples
    return log, None


def _sha256(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError as exc:
        raise LogNotEvidence(f"cannot read the Inspect log {path}: {exc.strerror}") from None


def tally_log(
    log: Any,
    *,
    scorer: str | None,
    value: Any,
    direction: str,
    count_errors: bool = True,
    count_limits: bool = True,
    digest: str | None = None,
) -> LogTally:
    """Reduce a read EvalLog to successes out of trials for a claim in ``direction``.

    ``value`` says which score is the rate's event: a callable given the score's value, or a value
    the score must equal (``"C"`` for Inspect's CORRECT). For an ``at_most`` claim the event is the
    bad outcome, so a sample counts against the claim when any epoch shows it.
    """
    _require_success(log)
    samples = log.samples
    if not samples:
        raise LogNotEvidence("the log holds no samples (was it written with log_samples=False?)")
    expected = getattr(log.results, "total_samples", None)
    if expected is not None and expected != len(samples):
        raise LogNotEvidence(
            f"the log reports {expected} samples but holds {len(samples)}: it is incomplete"
        )
    name = _scorer_name(samples, scorer)
    judge = _judge(value)
    favourable: dict[Any, list[bool]] = {}
    tally = LogTally(successes=0, trials=0, scorer=name, epochs=1)
    errored, limited, unscored = set(), set(), set()
    for sample in samples:
        favourable.setdefault(sample.id, [])
        tally.epochs = max(tally.epochs, sample.epoch)
        if sample.invalidation is not None:
            tally.invalidated += 1
            continue
        if sample.error is not None:
            errored.add(sample.id)
            if count_errors:
                favourable[sample.id].append(False)
            continue
        if sample.limit is not None:
            limited.add(sample.id)
            if count_limits:
                favourable[sample.id].append(False)
            continue
        score = (sample.scores or {}).get(name)
        if score is None:
            unscored.add(sample.id)
            favourable[sample.id].append(False)
            continue
        event = _decide(judge, score.value, sample.id)
        favourable[sample.id].append(event if direction == "at_least" else not event)
    tally.errors, tally.limits, tally.unscored = len(errored), len(limited), len(unscored)
    counted = {sid: marks for sid, marks in favourable.items() if marks}
    tally.dropped = sorted((str(sid) for sid in favourable if sid not in counted), key=str)
    tally.trials = len(counted)
    kept = sum(all(marks) for marks in counted.values())
    tally.successes = kept if direction == "at_least" else tally.trials - kept
    tally.metric = _cross_check(log, name)
    tally.provenance = provenance(log, digest)
    tally.evaluated_at = log.stats.completed_at or log.eval.created or None
    return tally


def _require_success(log: Any) -> None:
    status = log.status
    if status == "success":
        return
    why = {
        "started": "it is still running or its process died before finishing",
        "cancelled": "it was cancelled before every sample ran",
        "error": "the evaluation failed",
    }.get(status, "its status is not one Inspect documents")
    error = getattr(log.error, "message", None)
    detail = f" ({error})" if error else ""
    raise LogNotEvidence(f"the log's status is {status!r}, not 'success': {why}{detail}")


def _scorer_name(samples: list[Any], scorer: str | None) -> str:
    names: list[str] = sorted({key for sample in samples for key in (sample.scores or {})})
    if scorer is not None:
        if scorer not in names and names:
            raise LogNotEvidence(f"no scores from scorer {scorer!r} in the log; it has {names}")
        return scorer
    if len(names) == 1:
        return names[0]
    if not names:
        raise LogNotEvidence("no sample in the log was scored; name the scorer= to count them")
    raise LogNotEvidence(f"the log has several scorers {names}: choose one with scorer=")


def _judge(value: Any) -> Judge:
    if callable(value):
        judge: Judge = value
        return judge
    if isinstance(value, dict | list | tuple | set) or value is None:
        raise TypeError(f"value must be a scalar score value or a callable, got {value!r}")

    def equals(score_value: Any) -> bool:
        if isinstance(score_value, dict | list):
            raise TypeError(
                f"score value {score_value!r} is not a scalar: pass value= a callable to read it"
            )
        if _kind(score_value) != _kind(value):
            raise TypeError(
                f"score value {score_value!r} cannot be compared with value={value!r}: "
                "pass a value of the same kind, or a callable"
            )
        return bool(score_value == value)

    return equals


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, numbers.Real) else type(value).__name__


def _decide(judge: Judge, score_value: Any, sample_id: Any) -> bool:
    verdict = judge(score_value)
    if not isinstance(verdict, bool):
        verdict_type = type(verdict).__name__
        raise TypeError(f"value= returned {verdict_type} for sample {sample_id!r}, not a bool")
    return verdict


def _cross_check(log: Any, name: str) -> dict[str, Any]:
    """Recompute the log's own mean-style metric for ``name`` from its samples; raise on a mismatch.

    Inspect scores each sample id by the mean over its scored epochs (the default reducer) and the
    metric by the mean over ids. Invalidation does not rewrite metrics, so invalidated samples stay
    in the recomputation. A metric this cannot recompute is reported as unchecked, not trusted.
    """
    scores = [
        entry
        for entry in getattr(log.results, "scores", None) or []
        if name in (entry.scorer, entry.name)
    ]
    per_id: dict[Any, list[Any]] = {}
    for sample in log.samples:
        score = (sample.scores or {}).get(name)
        if sample.error is None and score is not None:
            per_id.setdefault(sample.id, []).append(score.value)
    if not scores:
        if per_id:
            raise LogNotEvidence(f"the log has scores from {name!r} but no metric for them")
        return {"checked": False, "why": "no sample was scored, so the log has no metric"}
    entry = scores[0]
    metric = next((entry.metrics[key] for key in _CHECKED_METRICS if key in entry.metrics), None)
    if metric is None:
        return {"checked": False, "why": f"no {' or '.join(_CHECKED_METRICS)} metric to check"}
    if entry.reducer not in (None, "mean"):
        return {"checked": False, "why": f"epochs reduced by {entry.reducer!r}, not the mean"}
    values = [value for values in per_id.values() for value in values]
    if any(isinstance(value, dict | list) for value in values):
        return {"checked": False, "why": "score values are not scalars"}
    from inspect_ai.scorer import value_to_float

    to_float = value_to_float()
    means = [sum(map(to_float, values)) / len(values) for values in per_id.values()]
    recomputed = sum(means) / len(means) if means else math.nan
    logged = float(metric.value)
    if not math.isclose(recomputed, logged, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE):
        raise LogNotEvidence(
            f"the log's own {metric.name} for {name!r} is {logged:.6g} but its samples give "
            f"{recomputed:.6g}: the log was edited or truncated after scoring"
        )
    return {"checked": True, "metric": metric.name, "value": logged}


def provenance(log: Any, digest: str | None) -> dict[str, Any]:
    """Who and what produced the log: task, model, code revision, packages, the file's hash."""
    spec = log.eval
    revision = spec.revision
    return {
        "source": "inspect_ai",
        "task": spec.task,
        "task_version": spec.task_version,
        "model": spec.model,
        "run_id": spec.run_id,
        "eval_id": spec.eval_id,
        "created": spec.created,
        "dataset": {"name": spec.dataset.name, "samples": spec.dataset.samples},
        "completed": log.stats.completed_at or None,
        "revision": None
        if revision is None
        else {"origin": revision.origin, "commit": revision.commit, "dirty": revision.dirty},
        "packages": dict(spec.packages),
        "log_file": log.location or None,
        "log_sha256": digest,
        "log_format_version": log.version,
    }


def decide_inspect_log(
    log: Any,
    *,
    scorer: str | None,
    value: Any,
    at_least: float | None,
    at_most: float | None,
    confidence: float,
    name: str | None,
    count_errors: bool,
    count_limits: bool,
    valid_for: Any,
) -> tuple[RateDecision, RateRecord, str | None]:
    """The decision, its report record, and why it is stale (None when fresh).

    A stale record keeps its figures but its verdict is inconclusive, and its name says stale, so
    every report that shows the figure shows that it no longer counts.
    """
    from pytest_safecase.records import RateRecord
    from pytest_safecase.stats import decide_rate
    from pytest_safecase.stats._binomial import check_threshold

    window = None if valid_for is None else parse_valid_for(valid_for)
    direction, _ = check_threshold(at_least, at_most)  # bad bounds fail before the log is read
    eval_log, digest = read_log(log)
    tally = tally_log(
        eval_log,
        scorer=scorer,
        value=value,
        direction=direction,
        count_errors=count_errors,
        count_limits=count_limits,
        digest=digest,
    )
    decision = decide_rate(
        tally.successes, tally.trials, at_least=at_least, at_most=at_most, confidence=confidence
    )
    imported = {
        "source": "inspect",
        "scorer": tally.scorer,
        "epochs": tally.epochs,
        "epoch_rule": "an id counts for the claim only if every epoch does",
        "errors": tally.errors,
        "errors_counted": count_errors,
        "limits": tally.limits,
        "limits_counted": count_limits,
        "unscored": tally.unscored,
        "invalidated": tally.invalidated,
        "dropped": tally.dropped,
        "metric_check": tally.metric,
        "provenance": tally.provenance,
        "evaluated_at": tally.evaluated_at,
    }
    label = name or f"{eval_log.eval.task} ({tally.scorer})"
    stale = staleness(tally.evaluated_at, window)
    if stale:
        label = f"STALE ({stale.removeprefix('stale: ')}): {label}"
    record = RateRecord(label, decision, imported, stale)
    return decision, record, stale
