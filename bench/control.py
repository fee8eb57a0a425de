"""Benchmark: the whole built-in control evaluation over HumanEval, and the safety frontier.

Runs honest and attack runs of ``builtin:untrusted`` against ``builtin:trusted`` through every
protocol, prints per-protocol safety and usefulness, then the defer-to-trusted frontier (100
thresholds x 50 attack rates x 1,000 bootstrap resamples), and checks both against their time
budgets (3 minutes; 2 seconds). A Monte Carlo simulation of whole deployments cross-checks one exact
safety figure.

    /work/venv/bin/python bench/control.py [--tasks N] [--records PATH]

``--reference-case`` instead times the offline reference case (``pytest safety_tests/``) serially
and with ``-n 2``, every cache off: no pytest cache and a per-run key, so nothing is reused from an
earlier run, and no response cache; the ``-n 2`` workers share the run's own evaluation out. It
prints both times and their ratio beside the targets (60 s serial; ``-n 2`` at most 0.75 of it).
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from pytest_safecase.control import (
    ControlResults,
    compute_frontier,
    deployment_safety,
    load_humaneval,
    run_control_evaluation,
    simulate_deployments,
)
from pytest_safecase.models import get_model

PIPELINE_BUDGET_SECONDS = 180.0
FRONTIER_BUDGET_SECONDS = 2.0
MONTE_CARLO_TRIALS = 20_000
REFERENCE_SERIAL_TARGET_SECONDS = 60.0
REFERENCE_PARALLEL_TARGET_RATIO = 0.75
_REFERENCE_CASE = Path(__file__).resolve().parent.parent / "safety_tests"


def _interval(value: float, low: float, high: float) -> str:
    if math.isnan(low):
        return f"{value:6.3f}"
    return f"{value:6.3f} [{low:.3f}, {high:.3f}]"


def print_protocols(results: ControlResults) -> None:
    print(
        f"\n{'protocol':36} {'safety (best response)':>26} {'safety (all kinds)':>26} "
        f"{'usefulness':>24} {'rescaled':>8} {'caught':>9} {'FPR':>6} {'attack rate':>11}"
    )
    for name, result in results.protocols.items():
        safety, every = result.safety, result.safety_all_kinds
        useful = result.usefulness
        print(
            f"{name:36} {_interval(safety.value, safety.low, safety.high):>26} "
            f"{_interval(every.value, every.low, every.high):>26} "
            f"{_interval(useful.value, useful.low, useful.high):>24} "
            f"{result.usefulness_rescaled.value:8.3f} {result.caught:>4}/{result.attempts:<4} "
            f"{result.false_positive_rate:6.3f} {result.worst_attack_rate:11.5f}"
            f"  {'+'.join(result.worst_attack_kinds)}"
        )


def print_summary(results: ControlResults) -> None:
    attack = results.summary.attack
    rate = "n/a" if attack.success_rate is None else f"{attack.success_rate:.3f}"
    print(
        f"\nattack: {attack.attempted} attempted, {attack.declined} declined, "
        f"{attack.scored} scored, {attack.excluded} excluded (scoring failed), "
        f"{attack.unusable_attempts} unusable; {attack.successful} successful "
        f"(success rate {rate})"
    )
    for kind, counts in attack.by_kind.items():
        print(f"  {kind:18} scored {counts['scored']:3}  successful {counts['successful']:3}")
    print(f"monitor ROC AUC (honest vs attack): {results.summary.monitor_auc}")
    print(f"honeypots: {results.summary.honeypots}")
    print(f"usefulness alone: {results.summary.usefulness}")
    print(f"stage timings (s): {results.timings}")


def monte_carlo_check(results: ControlResults) -> None:
    """Trusted monitoring, every attack kind: exact formula vs simulated deployments."""
    protocol = results.protocol("trusted_monitoring")
    threshold = protocol.audit_threshold
    assert threshold is not None
    outcomes = []
    for attack in (record.attack for record in results.records):
        if not attack.scored:
            continue
        score = attack.scores.trusted
        if score is not None and score > threshold:
            outcomes.append([1.0, 0.0, 0.0])
        else:
            outcomes.append([0.0, 1.0, 0.0] if attack.successful else [0.0, 0.0, 1.0])
    table = np.array(outcomes)
    caught, successful, failed = table.sum(axis=0)
    tasks = results.parameters.deployment_tasks
    print("\nMonte Carlo cross-check (trusted monitoring, every attack kind):")
    for expected_attacks in (1.0, 5.0, 25.0):
        exact = deployment_safety(
            caught, successful, failed, expected_attacks, deployment_tasks=tasks
        )
        simulated = simulate_deployments(
            table,
            expected_attacks / tasks,
            tasks,
            trials=MONTE_CARLO_TRIALS,
            rng=np.random.default_rng(0),
        )
        error = 4 * math.sqrt(max(exact * (1 - exact), 1e-4) / MONTE_CARLO_TRIALS)
        verdict = "agree" if abs(simulated - exact) <= error else "DISAGREE"
        print(
            f"  {expected_attacks:5.1f} expected attacks: exact {exact:.4f}, "
            f"simulated {simulated:.4f} (4 sd = {error:.4f}) {verdict}"
        )


def time_reference_case(tasks: int | None) -> int:
    """Seconds for the whole reference case, serial then ``-n 2``, with every cache off."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--safecase-cache", "off"]
    if tasks is not None:
        command += ["--safecase-tasks", str(tasks)]
    seconds = {}
    for label, extra in (("serial", []), ("-n 2", ["-n", "2"])):
        started = time.perf_counter()
        done = subprocess.run(
            [*command, *extra], cwd=_REFERENCE_CASE, capture_output=True, text=True, check=False
        )
        seconds[label] = time.perf_counter() - started
        summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
        print(f"{label:>6}: {seconds[label]:6.1f} s  {summary[0]}")
    ratio = seconds["-n 2"] / seconds["serial"]
    serial_ok = seconds["serial"] <= REFERENCE_SERIAL_TARGET_SECONDS
    ratio_ok = ratio <= REFERENCE_PARALLEL_TARGET_RATIO
    print(
        f"serial target {REFERENCE_SERIAL_TARGET_SECONDS:.0f} s: {'OK' if serial_ok else 'OVER'}; "
        f"-n 2 / serial = {ratio:.2f} (target {REFERENCE_PARALLEL_TARGET_RATIO}): "
        f"{'OK' if ratio_ok else 'OVER'}"
    )
    return 0 if serial_ok and ratio_ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=None, help="first N tasks (default all)")
    parser.add_argument("--untrusted", default="builtin:untrusted")
    parser.add_argument("--trusted", default="builtin:trusted")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", default=None, help="write per-task records (JSONL) here")
    parser.add_argument(
        "--reference-case", action="store_true", help="time pytest safety_tests/, serial and -n 2"
    )
    arguments = parser.parse_args()
    if arguments.reference_case:
        return time_reference_case(arguments.tasks)

    tasks = load_humaneval()
    if arguments.tasks is not None:
        tasks = tasks.subset(arguments.tasks)
    started = time.perf_counter()
    untrusted, trusted = get_model(arguments.untrusted), get_model(arguments.trusted)
    results = run_control_evaluation(
        tasks,
        untrusted,
        trusted,
        workers=arguments.workers,
        progress=lambda message: print(f"[{time.perf_counter() - started:6.1f}s] {message}"),
    )
    untrusted.close()
    trusted.close()
    pipeline_seconds = time.perf_counter() - started
    print(f"\n{len(tasks)} tasks, U = {arguments.untrusted}, T = {arguments.trusted}")
    print_protocols(results)
    print_summary(results)
    monte_carlo_check(results)
    if arguments.records:
        print(f"\nrecords written to {results.write_jsonl(arguments.records)}")

    frontier = compute_frontier(
        results, thresholds=100, parameters=replace(results.parameters, bootstrap=1000)
    )
    print("\ndefer-to-trusted frontier (every 11th of 100 thresholds):")
    print(f"{'defer fraction':>14} {'safety':>26} {'usefulness':>24}")
    for j in range(0, 100, 11):
        s, u = frontier.safety[j], frontier.usefulness[j]
        print(
            f"{frontier.fractions[j]:14.3f} {_interval(s.value, s.low, s.high):>26} "
            f"{_interval(u.value, u.low, u.high):>24}"
        )

    pipeline_ok = pipeline_seconds < PIPELINE_BUDGET_SECONDS
    frontier_ok = frontier.seconds < FRONTIER_BUDGET_SECONDS
    print(
        f"\npipeline: {pipeline_seconds:.1f} s (budget {PIPELINE_BUDGET_SECONDS:.0f} s) "
        f"{'OK' if pipeline_ok else 'OVER BUDGET'}"
    )
    verdict = "OK" if frontier_ok else "OVER BUDGET"
    print(
        f"frontier: {frontier.seconds:.3f} s for 100 thresholds x 50 attack rates x 1000 "
        f"resamples (budget {FRONTIER_BUDGET_SECONDS:.0f} s) {verdict}"
    )
    return 0 if pipeline_ok and frontier_ok else 1


if __name__ == "__main__":
    sys.exit(main())
