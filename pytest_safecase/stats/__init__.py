"""Statistics for safety claims: exact binomial bounds, sequential tests and sample planning.

Names load on first use (PEP 562): scipy takes about a second to import, and a pytest run that
never decides a rate should not pay for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_safecase._lazy import lazy_exports

_HOMES = {
    "RateDecision": "_binomial",
    "clopper_pearson": "_binomial",
    "decide_rate": "_binomial",
    "trials_to_settle": "_binomial",
    "OperatingCharacteristics": "_plan",
    "Plan": "_plan",
    "operating_characteristics": "_plan",
    "plan": "_plan",
    "plan_table": "_plan",
    "SequentialDecision": "_sequential",
    "asequential_rate": "_sequential",
    "sequential_rate": "_sequential",
}

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

if TYPE_CHECKING:
    from pytest_safecase.stats._binomial import (
        RateDecision,
        clopper_pearson,
        decide_rate,
        trials_to_settle,
    )
    from pytest_safecase.stats._plan import (
        OperatingCharacteristics,
        Plan,
        operating_characteristics,
        plan,
        plan_table,
    )
    from pytest_safecase.stats._sequential import (
        SequentialDecision,
        asequential_rate,
        sequential_rate,
    )

__getattr__ = lazy_exports(__name__, _HOMES)
