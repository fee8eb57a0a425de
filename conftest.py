"""Project-wide test setup: pytester drives real pytest runs in the plugin's own tests."""

import pytest

# pytester's in-process runs forget the modules first imported during them, and a compiled module
# cannot be imported twice in one process (numpy's core refuses; libyaml's keeps the classes of the
# first yaml, so a re-imported yaml resolves every tag to None): load what the plugin imports
# lazily up front.
import scipy.special
import scipy.stats  # noqa: F401
import yaml  # noqa: F401

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _quiet_inner_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs import the already-imported plugin; its rewrite warning is only noise."""
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts
        monkeypatch.setenv("PYTEST_ADDOPTS", "-W ignore::pytest.PytestAssertRewriteWarning")
