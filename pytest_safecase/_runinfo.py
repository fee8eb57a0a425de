"""Facts about a run that make a report reproducible: versions, commit, times, arguments."""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def git_commit(folder: Path) -> str | None:
    """The commit checked out in ``folder`` (with ``-dirty`` if it has changes), or None."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def base_run_info(rootdir: Path, args: list[str], started: str) -> dict[str, Any]:
    try:
        plugin_version = version("pytest-safecase")
    except PackageNotFoundError:
        plugin_version = "unknown"
    import pytest

    return {
        "plugin_version": plugin_version,
        "python": sys.version.split()[0],
        "pytest": pytest.__version__,
        "platform": platform.platform(),
        "git_commit": git_commit(rootdir),
        "started": started,
        "finished": now_iso(),
        "args": list(args),
    }


def wants_github(env: Mapping[str, str]) -> bool:
    """Whether this run is inside GitHub Actions (or asked for a step summary)."""
    return bool(env.get("GITHUB_STEP_SUMMARY")) or env.get("GITHUB_ACTIONS") == "true"
