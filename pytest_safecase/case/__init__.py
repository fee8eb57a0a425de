"""The argument tree: GSN nodes, YAML, validation, assembly with test results, propagation."""

from pytest_safecase.case.assemble import IMPLICIT_ROOT, assemble
from pytest_safecase.case.load import load_case, parse_case
from pytest_safecase.case.model import (
    ARGUMENT_CATEGORIES,
    CaseFile,
    ClaimSpec,
    Node,
    NodeType,
)
from pytest_safecase.case.problems import CaseError, Problem, errors
from pytest_safecase.case.read import read_case
from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.case.validate import check_case, validate_case, validate_claims

__all__ = [
    "ARGUMENT_CATEGORIES",
    "IMPLICIT_ROOT",
    "CaseError",
    "CaseFile",
    "CaseResult",
    "ClaimSpec",
    "Node",
    "NodeResult",
    "NodeType",
    "Problem",
    "TestOutcome",
    "assemble",
    "check_case",
    "errors",
    "load_case",
    "parse_case",
    "read_case",
    "validate_case",
    "validate_claims",
]
