"""A sandbox for untrusted, model-written code, and a harness that judges it from outside.

Each :class:`Sandbox` is one contained process holding one piece of code: new user (or a private
uid, as root), network, PID and mount namespaces; a read-only view of the Python installation and
the libraries it loads, plus a private /tmp; one process per run (new processes are refused by a
seccomp filter), so the memory and thread limits hold for the whole run. Calls go in as requests
and come back as plain data; :func:`run_tests` runs a task's tests in the caller's interpreter
against a proxy, so no verdict is ever computed where the code could forge it.

Where full isolation is unavailable, a sandbox refuses to start (:class:`SandboxUnavailable`)
unless the environment variable ``SAFECASE_ALLOW_UNCONTAINED=1`` opts in; :func:`isolation_status`
says which layers this machine gives.
"""

from ._harness import ExecResult, isolation_status, run_call, run_many, run_tests
from ._session import (
    ALLOW_UNCONTAINED_ENV,
    DEFAULT_LIMITS,
    CandidateRaised,
    Sandbox,
    SandboxEnded,
    SandboxError,
    SandboxLimits,
    SandboxUnavailable,
)

__all__ = [
    "ALLOW_UNCONTAINED_ENV",
    "DEFAULT_LIMITS",
    "CandidateRaised",
    "ExecResult",
    "Sandbox",
    "SandboxEnded",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
    "isolation_status",
    "run_call",
    "run_many",
    "run_tests",
]
