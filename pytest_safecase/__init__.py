"""pytest-safecase: AI safety cases as pytest tests.

Claims are tests (``@claim(...)``), evidence is decided on exact confidence bounds (the ``evidence``
fixture), and the results form a GSN argument tree printed after the run.
"""

from pytest_safecase._pytest.claims import claim
from pytest_safecase.case import CaseResult, ClaimSpec, NodeType, load_case
from pytest_safecase.evidence import ClaimInconclusive, ClaimRefuted, Evidence, EvidenceError
from pytest_safecase.verdict import Verdict

__all__ = [
    "CaseResult",
    "ClaimInconclusive",
    "ClaimRefuted",
    "ClaimSpec",
    "Evidence",
    "EvidenceError",
    "NodeType",
    "Verdict",
    "claim",
    "load_case",
]
