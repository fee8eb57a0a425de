"""AI-control evaluations in the backdoor setting of Greenblatt et al. 2023.

Tasks and the sandbox score code; policies ask U and T (LLMs or the offline ``builtin:`` models)
to solve, attack, monitor and edit; protocols turn suspicion scores into decisions; metrics turn
outcomes into deployment safety and usefulness with confidence intervals.
"""

from .attacks import STRATEGIES, Backdoor, craft_backdoor
from .backdoor import BackdoorCheck, check_backdoor, check_many
from .editing import edit_code, redact_code
from .evaluation import (
    DEFAULT_AUDIT_BUDGET,
    DEFAULT_DEFER_FRACTIONS,
    ControlResults,
    EvaluationParameters,
    Frontier,
    HoneypotRecord,
    ProtocolResult,
    TaskRecord,
    analyse_records,
    compute_frontier,
    run_control_evaluation,
)
from .metrics import (
    DEFAULT_DEPLOYMENT_TASKS,
    Estimate,
    audit_threshold,
    deployment_safety,
    roc_auc,
    simulate_deployments,
    upfront_red_win_probability,
)
from .monitor import MonitorReport, analyse
from .protocols import PROTOCOL_KINDS, ProtocolSpec, decide, default_protocols
from .sandbox import (
    ExecResult,
    SandboxError,
    SandboxLimits,
    isolation_status,
    run_call,
    run_many,
    run_tests,
)
from .tasks import (
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
    "Backdoor",
    "BackdoorCheck",
    "ControlResults",
    "Estimate",
    "EvaluationParameters",
    "ExecResult",
    "Frontier",
    "HoneypotRecord",
    "MonitorReport",
    "ProtocolResult",
    "ProtocolSpec",
    "SandboxError",
    "SandboxLimits",
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
    "decide",
    "default_protocols",
    "deployment_safety",
    "edit_code",
    "isolation_status",
    "load_humaneval",
    "load_jsonl",
    "parse_visible_examples",
    "redact_code",
    "roc_auc",
    "run_call",
    "run_control_evaluation",
    "run_many",
    "run_tests",
    "simulate_deployments",
    "upfront_red_win_probability",
]
