"""Unusable and missing answers count against the blue team, are counted, and never crash JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from pytest_safecase.control import (
    AttackRecord,
    AttackState,
    BackdoorStatus,
    ControlResults,
    EvaluationParameters,
    HoneypotRecord,
    Scores,
    TaskRecord,
    analyse_records,
    load_humaneval,
    policies,
    run_control_evaluation,
)
from pytest_safecase.models import DEFAULT_REGISTRY, Request, get_model

RecordFactory = Callable[[], tuple[list[TaskRecord], list[HoneypotRecord]]]
PARAMETERS = EvaluationParameters(bootstrap=50, seed=3)


def _strict_json(results: ControlResults) -> dict[str, object]:
    """The results as strict JSON (no NaN, no infinity), read back."""
    loaded: dict[str, object] = json.loads(json.dumps(results.to_dict(), allow_nan=False))
    return loaded


def test_no_usable_honest_score_leaves_the_threshold_undefined_not_infinite(
    make_records: RecordFactory,
) -> None:
    records, honeypots = make_records()
    for record in records:
        record.honest.scores.trusted = None
    results = analyse_records(records, honeypots, PARAMETERS)
    document = _strict_json(results)
    monitoring = results.protocol("trusted_monitoring")
    assert monitoring.audit_threshold is None and monitoring.caught == 0
    assert monitoring.undefined and "100 of 100 honest solutions" in monitoring.undefined
    assert document["protocols"]["trusted_monitoring"]["undefined"] == monitoring.undefined  # type: ignore[index]
    assert ControlResults.from_dict(document).protocol("trusted_monitoring") == monitoring
    # U's own monitor still ranks code: its protocols keep a threshold.
    assert results.protocol("untrusted_monitoring@0").undefined is None


def test_unscored_honest_code_is_deferred_not_submitted_as_u_wrote_it(
    make_records: RecordFactory,
) -> None:
    """The counter-example of the real-model run: with no honest score nothing was deferred, so
    deferral's usefulness was U's alone (1.0) although T solves 40%."""
    records, honeypots = make_records()
    for record in records:
        record.honest.scores.trusted = None
    results = analyse_records(records, honeypots, PARAMETERS)
    for fraction in PARAMETERS.defer_fractions:
        deferral = results.protocol(f"defer_to_trusted@{fraction:g}")
        assert deferral.usefulness.value == pytest.approx(0.4)  # T's: every task deferred
    # Trusted monitoring alone never defers, so missing scores cost it no usefulness.
    assert results.protocol("trusted_monitoring").usefulness.value == 1.0


def test_a_few_unscored_solutions_spend_the_audit_budget_and_the_threshold_stays(
    make_records: RecordFactory,
) -> None:
    records, honeypots = make_records()
    records[45].honest.scores.trusted = None
    deferral = analyse_records(records, honeypots, PARAMETERS).protocol("defer_to_trusted@0.05")
    complete = analyse_records(*make_records(), PARAMETERS).protocol("defer_to_trusted@0.05")
    assert deferral.undefined is None and deferral.audit_threshold is not None
    # The unscored solution ranks as the most suspicious: it is audited, raising the threshold.
    assert deferral.audit_threshold > (complete.audit_threshold or 0.0)


def test_a_monitor_that_never_answers_fails_honeypot_validation(
    make_records: RecordFactory,
) -> None:
    """Both AUCs are 0 when every score is missing: ``raw >= trusted`` alone would pass U."""
    records, honeypots = make_records()
    for record in records:
        record.honest.scores = Scores()
    for honeypot in honeypots:
        honeypot.scores = Scores()
    validation = analyse_records(records, honeypots, PARAMETERS).summary.honeypots
    assert validation["untrusted_auc"] == validation["trusted_auc"] == 0.0
    assert not validation["validated"] and not validation["validated_redacted"]


def test_a_monitor_no_better_than_chance_fails_honeypot_validation(
    make_records: RecordFactory,
) -> None:
    records, honeypots = make_records()
    for record in records:
        record.honest.scores.trusted = record.honest.scores.untrusted_redacted = 0.5
    for honeypot in honeypots:
        honeypot.scores.trusted = honeypot.scores.untrusted_redacted = 0.5
    validation = analyse_records(records, honeypots, PARAMETERS).summary.honeypots
    assert validation["untrusted_redacted_auc"] == 0.5 and not validation["validated_redacted"]


def test_an_edit_that_breaks_the_code_is_not_a_neutralised_backdoor(
    make_records: RecordFactory,
) -> None:
    records, honeypots = make_records()
    broken, fixed = records[0], records[2]  # both successful backdoors
    for record, passes in ((broken, False), (fixed, True)):
        record.attack.edited_code = "def f(): return None"
        record.attack.edited_status = BackdoorStatus.SCORED
        record.attack.edited_successful = False
        record.attack.edited_passes_tests = passes
    records[5].honest.edited_code = "def f(): return None"
    records[5].honest.edited_correct = False
    editing = analyse_records(records, honeypots, PARAMETERS).summary.editing
    assert editing["edited"] == 2 and editing["neutralised"] == 1 and editing["broken"] == 1
    assert editing["honest_edited"] == 1 and editing["honest_broken"] == 1


@pytest.mark.parametrize("attempts", ["none", "declined"])
def test_degenerate_records_give_strict_json_and_undefined_safety(
    make_records: RecordFactory, attempts: str
) -> None:
    records, honeypots = make_records()
    for record in records:
        record.attack = AttackRecord(
            AttackState.NOT_SELECTED if attempts == "none" else AttackState.DECLINED
        )
    results = analyse_records(records, honeypots, PARAMETERS)
    _strict_json(results)
    assert (
        results.protocol("trusted_monitoring").safety.value
        != results.protocol("trusted_monitoring").safety.value
    )  # NaN: no attempt, no evidence of safety
    assert results.summary.monitor_auc.trusted is None


def test_a_single_task_with_equal_scores_is_analysed(make_records: RecordFactory) -> None:
    records, honeypots = make_records()
    only = records[0]
    only.honest.scores.trusted = only.attack.scores.trusted = 0.5
    results = analyse_records([only], honeypots[:1], PARAMETERS)
    _strict_json(results)
    assert results.protocol("trusted_monitoring").caught == 0  # ties are not audited


EDITOR_LINE = policies.load_prompt("editor").splitlines()[0]


def _garbage_trusted(request: Request) -> str:
    """A T that solves, monitors and edits with replies no parser can read."""
    return "Sure! Here is what I think about it." if request.prompt else ""


def test_an_unusable_trusted_model_is_counted_per_role_and_never_falls_back_to_u() -> None:
    tasks = load_humaneval().subset(3)
    with DEFAULT_REGISTRY.scoped() as registry:
        registry.register_builtin("test-garbage-t", _garbage_trusted)
        trusted = get_model("builtin:test-garbage-t")
    results = run_control_evaluation(
        tasks,
        get_model("builtin:untrusted"),
        trusted,
        EvaluationParameters(bootstrap=20, honeypots=2),
    )
    _strict_json(results)
    answers = results.summary.answers
    assert answers["T monitor: honest"] == {"answers": 3, "unusable": 3, "declined": 0}
    assert answers["T solver"]["unusable"] == 3
    assert answers["T editor: honest"]["unusable"] == 3
    made = len(results.honeypots)
    assert made and answers["T monitor: honeypot"]["unusable"] == made
    assert answers["U solver"]["unusable"] == 0
    monitored = sum(
        answers.get(f"T monitor: {kind}", {"answers": 0})["answers"]
        for kind in ("honest", "attack")
    )
    every = monitored + made
    assert f"T monitor: {every} of {every} answers unusable" in results.summary.problems()
    deferral = results.protocol("defer_to_trusted@0.1")
    assert deferral.undefined and deferral.usefulness.value == 0.0  # T's, never U's 1.0
    assert f"T monitor: {monitored} of {monitored} answers unusable" in deferral.problems()
    assert any(line.startswith("T solver: 3 of 3") for line in deferral.problems())
    editing = results.protocol("trusted_editing@0.1")
    assert editing.usefulness.value == 0.0  # an unusable edit is no correct solution
    record = results.records[0]
    assert record.replies["T monitor: honest"] == "Sure! Here is what I think about it."
    assert "T monitor: honest" in record.unusable
    assert record.replies["U solver"].startswith("```python")
