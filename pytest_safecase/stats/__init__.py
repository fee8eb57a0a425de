"""Statistics for safety claims: exact binomial bounds, sequential tests and sample planning.

scipy takes about a second to import: the plugin imports this package inside the evidence methods
that decide a rate, never at start-up.
"""

from pytest_safecase.decision import RateDecision, SequentialDecision
from pytest_safecase.stats._binomial import clopper_pearson, decide_rate, trials_to_settle
from pytest_safecase.stats._plan import (
    OperatingCharacteristics,
    Plan,
    operating_characteristics,
    plan,
    plan_table,
)
from pytest_safecase.stats._sequential import asequential_rate, sequential_rate

__all__ = [
    "OperatingCharacteristics",
    "Plan",
    "RateDecision",
    "SequentialDecision",
    "asequential_rate",
    "clopper_pearson",
    "decide_rate",
    "operating_characteristics",
    "plan",
    "plan_table",
    "sequential_rate",
    "trials_to_settle",
]
