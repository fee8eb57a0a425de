"""Statistics for safety claims: exact binomial bounds and the verdicts they support."""

from pytest_safecase.stats._binomial import (
    RateDecision,
    clopper_pearson,
    decide_rate,
    trials_to_settle,
)

__all__ = ["RateDecision", "clopper_pearson", "decide_rate", "trials_to_settle"]
