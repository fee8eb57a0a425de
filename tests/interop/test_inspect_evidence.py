"""``evidence.from_inspect``: every rule, each with a real log that breaks it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai", reason="needs the inspect extra: pip install '.[inspect]'")

from inspect_ai.log import ProvenanceData, invalidate_samples
from inspect_logs import MakeLog, interrupted_log, rewrite

from pytest_safecase.evidence import (
    ClaimInconclusive,
    ClaimRefuted,
    Evidence,
    EvidenceError,
)
from pytest_safecase.verdict import Verdict


@pytest.fixture(scope="module")
def clean(make_log: MakeLog):
    return make_log(10)


def test_an_honest_log_supports_the_claim_and_records_provenance(clean):
    evidence = Evidence()
    decision = evidence.from_inspect(clean.location, at_least=0.6)
    assert (decision.successes, decision.trials) == (10, 10)
    assert decision.verdict is Verdict.SUPPORTED
    (record,) = (r.to_dict() for r in evidence.records)
    source = record["provenance"]
    assert source["task"] == "tiny_honest" and source["model"] == "mockllm/model"
    assert source["log_sha256"] == hashlib.sha256(Path(clean.location).read_bytes()).hexdigest()
    assert "inspect_ai" in source["packages"] and source["run_id"] == clean.eval.run_id
    assert record["metric_check"] == {"checked": True, "metric": "accuracy", "value": 1.0}
    assert record["evaluated_at"] == clean.stats.completed_at


def test_an_evallog_object_is_accepted_but_gets_no_file_hash(clean):
    evidence = Evidence()
    evidence.from_inspect(clean, at_least=0.6)
    assert evidence.records[0].to_dict()["provenance"]["log_sha256"] is None


def test_a_wrong_answer_is_a_failure_and_can_refute(make_log: MakeLog):
    log = make_log(10, fail={i: {1} for i in range(1, 6)})
    with pytest.raises(ClaimRefuted, match=r"5/10"):
        Evidence().from_inspect(log.location, at_least=0.9)


def test_an_errored_sample_counts_against_the_claim(make_log: MakeLog):
    log = make_log(10, error={3: {1}})
    evidence = Evidence()
    decision = evidence.from_inspect(log.location, at_least=0.5)
    assert (decision.successes, decision.trials) == (9, 10)
    assert evidence.records[0].to_dict()["errors"] == 1


def test_an_errored_sample_is_dropped_only_when_the_claim_opts_out(make_log: MakeLog):
    log = make_log(10, error={3: {1}})
    evidence = Evidence()
    decision = evidence.from_inspect(log.location, at_least=0.5, count_errors=False)
    assert (decision.successes, decision.trials) == (9, 9)
    assert evidence.records[0].to_dict()["dropped"] == ["3"]


def test_an_errored_sample_counts_as_the_bad_event_for_an_at_most_claim(make_log: MakeLog):
    log = make_log(10, error={3: {1}})
    decision = Evidence().from_inspect(log.location, value="I", at_most=0.9)
    assert (decision.successes, decision.trials) == (1, 10)


def test_a_sample_that_hit_a_limit_counts_against_the_claim(make_log: MakeLog):
    log = make_log(8, message_limit=1)
    assert all(sample.limit is not None for sample in log.samples)
    with pytest.raises(ClaimRefuted, match=r"0/8"):
        Evidence().from_inspect(log.location, at_least=0.5)
    evidence = Evidence()
    with pytest.raises(ClaimInconclusive, match=r"0/0"):
        evidence.from_inspect(log.location, at_least=0.5, count_limits=False)
    assert evidence.records[0].to_dict()["limits"] == 8


def test_epochs_are_one_trial_per_sample_and_one_bad_epoch_fails_it(make_log: MakeLog):
    log = make_log(6, epochs=3, fail={2: {3}})
    assert len(log.samples) == 18
    evidence = Evidence()
    decision = evidence.from_inspect(log.location, at_least=0.1)
    assert (decision.successes, decision.trials) == (5, 6)
    assert evidence.records[0].to_dict()["epochs"] == 3
    # For an at-most claim on the bad answer, the same sample counts as the bad event.
    decision = Evidence().from_inspect(log.location, value="I", at_most=0.9)
    assert (decision.successes, decision.trials) == (1, 6)


def test_an_error_in_one_epoch_fails_the_whole_sample(make_log: MakeLog):
    log = make_log(6, epochs=2, error={4: {2}})
    decision = Evidence().from_inspect(log.location, at_least=0.1)
    assert (decision.successes, decision.trials) == (5, 6)


def test_invalidated_samples_are_dropped_and_counted(make_log: MakeLog, tmp_path: Path):
    log = make_log(10, fail={1: {1}})
    wrong = next(sample.uuid for sample in log.samples if sample.id == 1)
    invalid = invalidate_samples(log, [wrong], ProvenanceData(author="test", reason="bad item"))
    path = rewrite(invalid, tmp_path)
    evidence = Evidence()
    decision = evidence.from_inspect(path, at_least=0.5)
    assert (decision.successes, decision.trials) == (9, 9)
    record = evidence.records[0].to_dict()
    assert (record["invalidated"], record["dropped"]) == (1, ["1"])


@pytest.mark.parametrize("status", ["cancelled", "started", "error"])
def test_a_log_that_did_not_succeed_is_never_evidence(clean, tmp_path: Path, status: str):
    path = rewrite(clean, tmp_path, status=status)
    evidence = Evidence()
    with pytest.raises(EvidenceError, match=f"status is '{status}', not 'success'"):
        evidence.from_inspect(path, at_least=0.1)
    assert evidence.records == []


def test_an_interrupted_run_leaves_a_started_log_that_is_refused(tmp_path: Path):
    log = interrupted_log(tmp_path)
    assert log.status == "started"
    with pytest.raises(EvidenceError, match="still running or its process died"):
        Evidence().from_inspect(log.location, at_least=0.1)


def test_a_failed_run_gives_an_error_log_that_is_refused(make_log: MakeLog):
    log = make_log(3, error={2: {1}}, fail_on_error=True)
    assert log.status == "error"
    with pytest.raises(EvidenceError, match="the evaluation failed"):
        Evidence().from_inspect(log.location, at_least=0.1)


def test_a_count_that_disagrees_with_the_logs_own_metric_is_refused(clean, tmp_path: Path):
    samples = [sample.model_copy(deep=True) for sample in clean.samples]
    samples[0].scores["includes"].value = "I"  # edited after scoring: accuracy still says 1.0
    path = rewrite(clean, tmp_path, samples=samples)
    with pytest.raises(EvidenceError, match=r"accuracy .* is 1 but its samples give 0\.9"):
        Evidence().from_inspect(path, at_least=0.1)


def test_a_log_missing_samples_is_refused(clean, tmp_path: Path):
    path = rewrite(clean, tmp_path, samples=clean.samples[:-1])
    with pytest.raises(EvidenceError, match="reports 10 samples but holds 9"):
        Evidence().from_inspect(path, at_least=0.1)


def test_an_unscored_sample_counts_against_the_claim_with_no_opt_out(clean, tmp_path: Path):
    samples = [sample.model_copy(deep=True) for sample in clean.samples]
    samples[0].scores = {}
    results = clean.results.model_copy(deep=True)
    results.scores[0].metrics["accuracy"].value = 1.0  # the other nine are still correct
    path = rewrite(clean, tmp_path, samples=samples, results=results)
    evidence = Evidence()
    decision = evidence.from_inspect(path, at_least=0.1, count_errors=False, count_limits=False)
    assert (decision.successes, decision.trials) == (9, 10)
    assert evidence.records[0].to_dict()["unscored"] == 1


def test_value_may_be_a_callable_but_must_match_the_scores_kind(clean):
    decision = Evidence().from_inspect(clean.location, value=lambda v: v == "C", at_least=0.5)
    assert decision.successes == 10
    with pytest.raises(EvidenceError, match="cannot be compared with value=1"):
        Evidence().from_inspect(clean.location, value=1, at_least=0.5)
    with pytest.raises(EvidenceError, match="returned str"):
        Evidence().from_inspect(clean.location, value=lambda v: v, at_least=0.5)


def test_an_unknown_scorer_and_bad_bounds_are_bad_input(clean):
    with pytest.raises(EvidenceError, match="no scores from scorer 'nope'"):
        Evidence().from_inspect(clean.location, scorer="nope", at_least=0.5)
    with pytest.raises(EvidenceError, match="exactly one of"):
        Evidence().from_inspect(clean.location)
    with pytest.raises(EvidenceError, match="cannot read"):
        Evidence().from_inspect("/nonexistent/log.eval", at_least=0.5)


def test_old_evidence_is_stale_and_never_supports(clean, tmp_path: Path):
    stats = clean.stats.model_copy(update={"completed_at": "2020-01-01T00:00:00+00:00"})
    path = rewrite(clean, tmp_path, stats=stats)
    evidence = Evidence()
    with pytest.raises(ClaimInconclusive, match="stale: evidence from 2020-01-01, valid for 30d"):
        evidence.from_inspect(path, at_least=0.5, valid_for="30d")
    record = evidence.records[0].to_dict()
    assert record["verdict"] == "inconclusive" and record["name"].startswith("STALE")
    # The same log with no window, or a window long enough, is fresh.
    Evidence().from_inspect(path, at_least=0.5)
    Evidence().from_inspect(path, at_least=0.5, valid_for="36500d")


def test_a_bad_window_is_bad_input(clean):
    with pytest.raises(EvidenceError, match="duration such as 30d"):
        Evidence().from_inspect(clean.location, at_least=0.5, valid_for="30")


def test_without_inspect_the_error_names_the_extra(clean, monkeypatch: pytest.MonkeyPatch):
    import sys

    monkeypatch.setitem(sys.modules, "inspect_ai.log", None)
    with pytest.raises(ImportError, match=r"pytest-safecase\[inspect\]"):
        Evidence().from_inspect(clean.location, at_least=0.5)
