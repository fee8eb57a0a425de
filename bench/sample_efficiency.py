"""Sample efficiency of sequential evidence against the fixed-n design with the same guarantees.

For each simulated claim "rate >= 0.95" at 95% confidence, run ``sequential_rate`` on simulated
Bernoulli trials (fixed seed) with ``max_trials`` = 3 x the fixed-n design at 80% power, and
compare its mean trials with the fixed-n Clopper-Pearson design that has the same error
guarantees and the same power. Simulated figures are checked against the exact dynamic
programme. A last row runs at the threshold itself, where the error guarantee binds.

Run: /work/venv/bin/python bench/sample_efficiency.py [--runs 1000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from pytest_safecase.stats._plan import operating_characteristics, plan
from pytest_safecase.stats._sequential import sequential_rate
from pytest_safecase.verdict import Verdict

THRESHOLD = 0.95
CONFIDENCE = 0.95
NOMINAL_ERROR = (1 - CONFIDENCE) / 2
CASES = (0.99, 0.97, 0.90)
BOUNDARY_MAX_TRIALS = 1500


@dataclass(frozen=True)
class Simulation:
    mean_trials: float
    supported: float
    refuted: float


def simulate(
    true_rate: float, max_trials: int, runs: int, batch_size: int, seed: int
) -> Simulation:
    """Run the real sequential test ``runs`` times on independent simulated trials."""
    rng = np.random.default_rng(seed)
    trials, verdicts = [], []
    for _ in range(runs):
        decision = sequential_rate(
            lambda n: (rng.random(n) < true_rate).tolist(),
            at_least=THRESHOLD,
            confidence=CONFIDENCE,
            max_trials=max_trials,
            batch_size=batch_size,
        )
        trials.append(decision.trials)
        verdicts.append(decision.verdict)
    return Simulation(
        mean_trials=float(np.mean(trials)),
        supported=verdicts.count(Verdict.SUPPORTED) / runs,
        refuted=verdicts.count(Verdict.REFUTED) / runs,
    )


def matched_power_table(runs: int, batch_size: int, seed: int) -> list[str]:
    rows = [
        f"{'true rate':>9} {'cap':>5} {'seq mean':>9} {'(exact)':>8} {'P(right)':>9}"
        f" {'fixed n, same P':>15} {'saving':>7} {'fixed n @0.8':>12} {'ratio':>6}"
        f" {'errors':>7} {'(exact)':>9} {'nominal':>8}"
    ]
    for offset, true_rate in enumerate(CASES):
        design = plan(THRESHOLD, true_rate, confidence=CONFIDENCE, power=0.8)
        cap = 3 * design.fixed_trials
        simulated = simulate(true_rate, cap, runs, batch_size, seed + offset)
        exact = operating_characteristics(
            THRESHOLD, true_rate, confidence=CONFIDENCE, batch_size=batch_size, max_trials=cap
        )
        right, wrong = (
            (exact.supported, exact.refuted)
            if design.goal is Verdict.SUPPORTED
            else (exact.refuted, exact.supported)
        )
        observed_wrong = (
            simulated.refuted if design.goal is Verdict.SUPPORTED else simulated.supported
        )
        # The fixed-n design that decides correctly as often as the sequential test did.
        same_power = plan(THRESHOLD, true_rate, confidence=CONFIDENCE, power=right)
        saving = 1 - simulated.mean_trials / same_power.fixed_trials
        rows.append(
            f"{true_rate:>9} {cap:>5} {simulated.mean_trials:>9.1f} {exact.expected_trials:>8.1f}"
            f" {right:>9.4f} {same_power.fixed_trials:>15} {saving:>7.0%}"
            f" {design.fixed_trials:>12} {simulated.mean_trials / design.fixed_trials:>6.2f}"
            f" {observed_wrong:>7.4f} {wrong:>9.2e} {NOMINAL_ERROR:>8.3f}"
        )
    return rows


def equal_power_table(batch_size: int) -> list[str]:
    rows = [
        f"{'true rate':>9} {'power':>6} {'fixed n':>8} {'seq max_trials':>14} {'seq mean':>9}"
        f" {'saving':>7}"
    ]
    for true_rate in CASES:
        for power in (0.8, 0.9, 0.99):
            design = plan(
                THRESHOLD, true_rate, confidence=CONFIDENCE, power=power, batch_size=batch_size
            )
            rows.append(
                f"{true_rate:>9} {power:>6} {design.fixed_trials:>8}"
                f" {design.sequential_max_trials:>14} {design.expected_sequential_trials:>9.1f}"
                f" {design.saving:>7.0%}"
            )
    return rows


def boundary_rows(runs: int, batch_size: int, seed: int) -> list[str]:
    simulated = simulate(THRESHOLD, BOUNDARY_MAX_TRIALS, runs, batch_size, seed)
    exact = operating_characteristics(
        THRESHOLD,
        THRESHOLD,
        confidence=CONFIDENCE,
        batch_size=batch_size,
        max_trials=BOUNDARY_MAX_TRIALS,
    )
    spread = 2 * math.sqrt(NOMINAL_ERROR * (1 - NOMINAL_ERROR) / runs)
    return [
        f"true rate = threshold = {THRESHOLD}, max_trials {BOUNDARY_MAX_TRIALS}, {runs} runs:",
        f"  P(refuted)   simulated {simulated.refuted:.4f}  exact {exact.refuted:.4f}"
        f"  (an error: the claim holds) nominal <= {NOMINAL_ERROR:.3f}",
        f"  P(supported) simulated {simulated.supported:.4f}  exact {exact.supported:.4f}"
        f"  (the limit of the error for rates just below {THRESHOLD})"
        f" nominal <= {NOMINAL_ERROR:.3f}",
        f"  (2 standard errors of a simulated rate at the nominal value: {spread:.4f})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch-size", type=int, default=10)
    options = parser.parse_args()
    started = time.perf_counter()
    print(
        f"claim rate >= {THRESHOLD} at {CONFIDENCE:.0%} confidence; sequential test in batches of"
        f" {options.batch_size}; {options.runs} simulated runs per case, seed {options.seed}\n"
    )
    print("Sequential (max_trials = 3 x fixed n at 80% power) vs fixed n with the same power:")
    print("\n".join(matched_power_table(options.runs, options.batch_size, options.seed)))
    print("\nAt equal power, exact (dynamic programme, no simulation):")
    print("\n".join(equal_power_table(options.batch_size)))
    print("\nThe error guarantee at the threshold (optional stopping after every batch):")
    print("\n".join(boundary_rows(options.runs, options.batch_size, options.seed + 99)))
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
