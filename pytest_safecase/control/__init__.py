"""AI-control evaluations in an adaptation of the APPS backdoor setting of Greenblatt et al. 2023.

Tasks and the sandbox score code; policies ask U and T (LLMs or the offline ``builtin:`` models)
to solve, attack, monitor and edit; protocols turn suspicion scores into decisions; metrics turn
outcomes into deployment safety and usefulness with confidence intervals.

Importing this package loads numpy and the evaluation: the pytest adapter imports it only inside
the fixtures that evaluate.
"""

from pytest_safecase.control.attacks import (
    STRATEGIES,
    Backdoor,
    craft_backdoor,
)
from pytest_safecase.control.backdoor import (
    BackdoorCheck,
    BackdoorStatus,
    check_backdoor,
    check_many,
)
from pytest_safecase.control.editing import (
    edit_code,
    redact_code,
)
from pytest_safecase.control.evaluation import (
    DEFAULT_AUDIT_BUDGET,
    DEFAULT_DEFER_FRACTIONS,
    AttackRecord,
    AttackState,
    ControlResults,
    EvaluationParameters,
    Frontier,
    HonestRecord,
    HoneypotRecord,
    ProtocolResult,
    Scores,
    TaskRecord,
    analyse_records,
    compute_frontier,
    run_control_evaluation,
)
from pytest_safecase.control.metrics import (
    DEFAULT_DEPLOYMENT_TASKS,
    Estimate,
    audit_threshold,
    deployment_safety,
    roc_auc,
    simulate_deployments,
    upfront_red_win_probability,
)
from pytest_safecase.control.monitor import (
    MonitorReport,
    analyse,
)
from pytest_safecase.control.protocols import (
    PROTOCOL_KINDS,
    ProtocolSpec,
    default_protocols,
)
from pytest_safecase.control.tasks import (
    Task,
    TaskFormatError,
    TaskSet,
    load_humaneval,
    load_jsonl,
    parse_visible_examples,
)

__all__ = [
    "DEFAULT_AUDIT_BUDGET",
    "DEFAULT_DEFER_FRACTIONS",
    "DEFAULT_DEPLOYMENT_TASKS",
    "PROTOCOL_KINDS",
    "STRATEGIES",
    "AttackRecord",
    "AttackState",
    "Backdoor",
    "BackdoorCheck",
    "BackdoorStatus",
    "ControlResults",
    "Estimate",
    "EvaluationParameters",
    "Frontier",
    "HonestRecord",
    "HoneypotRecord",
    "MonitorReport",
    "ProtocolResult",
    "ProtocolSpec",
    "Scores",
    "Task",
    "TaskFormatError",
    "TaskRecord",
    "TaskSet",
    "analyse",
    "analyse_records",
    "audit_threshold",
    "check_backdoor",
    "check_many",
    "compute_frontier",
    "craft_backdoor",
    "default_protocols",
    "deployment_safety",
    "edit_code",
    "load_humaneval",
    "load_jsonl",
    "parse_visible_examples",
    "redact_code",
    "roc_auc",
    "run_control_evaluation",
    "simulate_deployments",
    "upfront_red_win_probability",
]
