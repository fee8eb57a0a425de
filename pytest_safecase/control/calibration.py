"""Held-out calibration: thresholds fitted on some honest outputs, judged on the others.

A threshold fitted on the same honest outputs it is then judged on flags at most the budget of
them by construction, so the in-sample false-positive rate says nothing about the rate in
deployment. K-fold cross-fitting instead fits each task's audit and defer thresholds on the honest
outputs of the other folds; the task's honest output (false positives, usefulness) and its attack
attempt (caught or not) are then judged against thresholds that never saw it.

Folds belong to tasks, so a bootstrap resample that draws a task twice keeps both copies in one
fold, and each resample draws a split of its own: the calibration step, split included, is inside
every resample and the intervals include its variance.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["assign_folds", "cross_fitted_thresholds", "resampled_folds"]

_FOLD_STREAM = 0xF01D
"""Mixed into the seed, so folds are not drawn from the bootstrap's random stream."""


def assign_folds(tasks: int, folds: int, seed: int, replicate: int = 0) -> NDArray[np.intp]:
    """A seeded fold number per task, fold sizes differing by at most one (``folds`` >= 2).

    ``replicate`` numbers independent splits under one seed (one per bootstrap resample).
    """
    if folds < 2 or folds > tasks:
        raise ValueError(f"cross-fitting needs 2 <= folds <= tasks ({tasks}), got {folds}")
    order = np.random.default_rng([seed, _FOLD_STREAM, replicate]).permutation(tasks)
    assigned = np.empty(tasks, dtype=np.intp)
    assigned[order] = np.arange(tasks) % folds
    return assigned


def resampled_folds(index: NDArray[np.intp], folds: int, seed: int) -> NDArray[np.intp]:
    """(B, n) fold of each task of each resample ``index`` (B, n) draws from ``n`` tasks.

    Row ``b`` uses split ``b`` of the tasks, so row 0 (the data itself) is ``assign_folds(n,
    folds, seed)`` and every bootstrap resample re-draws the split as well as the tasks.
    """
    tasks = index.shape[1]
    splits = np.stack([assign_folds(tasks, folds, seed, b) for b in range(index.shape[0])])
    return np.take_along_axis(splits, index, axis=1)


def cross_fitted_thresholds(
    scores: NDArray[np.float64], fold_rows: NDArray[np.intp], folds: int, fractions: ArrayLike
) -> NDArray[np.float64]:
    """Each task's thresholds, fitted on the other folds' honest scores: (B, F, n).

    ``scores`` and ``fold_rows`` are (B, n): each resample's honest scores and their tasks' folds.
    Every threshold follows ``metrics.audit_threshold`` (flag iff greater; the score at rank
    ``floor(fraction * m)`` of the ``m`` calibration scores, ties against the blue team).
    """
    fractions = np.atleast_1d(np.asarray(fractions, dtype=float))
    resamples = scores.shape[0]
    fitted = np.empty((resamples, folds, fractions.size))
    rows = np.arange(resamples)[:, None]
    for fold in range(folds):
        calibration = fold_rows != fold
        sizes = calibration.sum(axis=1)  # (B,)
        ordered = -np.sort(-np.where(calibration, scores, -np.inf), axis=1)
        padded = np.concatenate([ordered, np.full((resamples, 1), -np.inf)], axis=1)
        ranks = np.floor(fractions[None, :] * sizes[:, None] + 1e-9).astype(int)  # (B, F)
        fitted[:, fold, :] = padded[rows, np.minimum(ranks, sizes[:, None])]
    per_task = fitted[rows, fold_rows]  # (B, n, F): each task gets its own fold's thresholds
    return np.ascontiguousarray(per_task.transpose(0, 2, 1))
