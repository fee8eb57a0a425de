"""AI-control evaluations in the backdoor setting of Greenblatt et al. 2023.

Tasks and the sandbox score code; policies ask U and T (LLMs or the offline ``builtin:`` models)
to solve, attack, monitor and edit; protocols turn suspicion scores into decisions; metrics turn
outcomes into deployment safety and usefulness with confidence intervals.

Names load on first use (PEP 562): pytest loads this package's plugin in every run, and
numpy, the attack library and the evaluation are only needed by runs that evaluate.
"""

from __future__ import annotations

from pytest_safecase._lazy import lazy_exports

_HOMES = {
    "STRATEGIES": "attacks",
    "Backdoor": "attacks",
    "craft_backdoor": "attacks",
    "BackdoorCheck": "backdoor",
    "check_backdoor": "backdoor",
    "check_many": "backdoor",
    "edit_code": "editing",
    "redact_code": "editing",
    "DEFAULT_AUDIT_BUDGET": "evaluation",
    "DEFAULT_DEFER_FRACTIONS": "evaluation",
    "ControlResults": "evaluation",
    "EvaluationParameters": "evaluation",
    "Frontier": "evaluation",
    "HoneypotRecord": "evaluation",
    "ProtocolResult": "evaluation",
    "TaskRecord": "evaluation",
    "analyse_records": "evaluation",
    "compute_frontier": "evaluation",
    "run_control_evaluation": "evaluation",
    "DEFAULT_DEPLOYMENT_TASKS": "metrics",
    "Estimate": "metrics",
    "audit_threshold": "metrics",
    "deployment_safety": "metrics",
    "roc_auc": "metrics",
    "simulate_deployments": "metrics",
    "upfront_red_win_probability": "metrics",
    "MonitorReport": "monitor",
    "analyse": "monitor",
    "PROTOCOL_KINDS": "protocols",
    "ProtocolSpec": "protocols",
    "decide": "protocols",
    "default_protocols": "protocols",
    "Task": "tasks",
    "TaskFormatError": "tasks",
    "TaskSet": "tasks",
    "load_humaneval": "tasks",
    "load_jsonl": "tasks",
    "parse_visible_examples": "tasks",
}

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
    "Frontier",
    "HoneypotRecord",
    "MonitorReport",
    "ProtocolResult",
    "ProtocolSpec",
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
    "load_humaneval",
    "load_jsonl",
    "parse_visible_examples",
    "redact_code",
    "roc_auc",
    "run_control_evaluation",
    "simulate_deployments",
    "upfront_red_win_probability",
]

__getattr__ = lazy_exports(__name__, _HOMES)
