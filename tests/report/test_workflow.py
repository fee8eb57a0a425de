"""The ready-made GitHub Actions workflow runs the gate and always keeps the report."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).parents[2] / ".github" / "workflows" / "safety-case.yml"


def test_workflow_gates_and_uploads_the_report() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert uses[0].startswith("actions/checkout@")
    setup = steps[uses.index(next(u for u in uses if u.startswith("actions/setup-python@")))]
    assert setup["with"]["python-version"] == "3.11"
    runs = [step.get("run", "") for step in steps]
    assert "python -m pip install ." in runs
    assert "pytest safety_tests/ --safecase-report --safecase-gate" in runs
    gate = runs.index("pytest safety_tests/ --safecase-report --safecase-gate")
    upload = steps[uses.index(next(u for u in uses if u.startswith("actions/upload-artifact@")))]
    assert steps.index(upload) > gate
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "safecase-report/"
