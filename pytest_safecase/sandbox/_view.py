"""What of the host the sandbox shows: the Python installation and the libraries it loads.

The view is computed once per process. A probe interpreter, started exactly as the sandbox runner
is, imports every extension module of the standard library and lists the shared objects it mapped;
their directories, the standard library's own directories and the dynamic loader's cache are bound
read-only. Every ``site-packages``/``dist-packages`` directory inside them is covered (installed
packages, HumanEval's ground truth among them, are not the standard library).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import sysconfig
from typing import Any

from ._launcher import SANDBOX_ENV

__all__ = ["filesystem_view"]

DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
LOADER_FILES = ("/etc/ld.so.cache",)
TOP_LEVEL_LINKS = ("/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin")

_PROBE = r"""
import json, os, sys, importlib, sysconfig
dynload = os.path.join(sysconfig.get_path("platstdlib"), "lib-dynload")
for name in sorted(os.listdir(dynload) if os.path.isdir(dynload) else []):
    module = name.split(".", 1)[0]
    try:
        importlib.import_module(module)
    except BaseException:
        pass
paths = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[5].startswith("/"):
            paths.add(parts[5].strip())
print(json.dumps(sorted(paths)))
"""


@functools.cache
def filesystem_view() -> dict[str, Any]:
    """``{"binds": [...], "hidden": [...], "links": [[path, target], ...]}`` for the runner."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    stdlib = {
        os.path.realpath(sysconfig.get_path(key, vars=base)) for key in ("stdlib", "platstdlib")
    }
    mapped = _mapped_files()
    library_dirs = {os.path.dirname(os.path.realpath(path)) for path in mapped}
    binds = _outermost(stdlib | library_dirs)
    binds += [path for path in (*LOADER_FILES, *DEVICES) if os.path.exists(path)]
    links = [[path, os.readlink(path)] for path in TOP_LEVEL_LINKS if os.path.islink(path)]
    return {"binds": binds, "hidden": _package_dirs(binds), "links": links}


def _mapped_files() -> list[str]:
    """Files a sandbox-like interpreter maps once every standard extension module is loaded."""
    try:
        probe = subprocess.run(
            [sys.executable, "-S", "-s", "-P", "-B", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            env=SANDBOX_ENV,
            check=True,
        )
        paths = json.loads(probe.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    return [path for path in paths if isinstance(path, str) and ".so" in os.path.basename(path)]


def _outermost(paths: set[str]) -> list[str]:
    """``paths`` without those inside another one of them, sorted."""
    ordered = sorted(paths)
    return [p for p in ordered if not any(p.startswith(other + "/") for other in ordered)]


def _package_dirs(binds: list[str]) -> list[str]:
    """Installed-package directories that a bind would show."""
    candidates = set()
    for key in ("purelib", "platlib"):
        candidates.add(sysconfig.get_path(key))
        candidates.add(sysconfig.get_path(key, vars={"base": sys.base_prefix}))
    candidates.update(path for path in sys.path if path.endswith("-packages"))
    for bind in binds:
        if not os.path.isdir(bind):
            continue
        for entry in os.scandir(bind):
            if entry.name.endswith("-packages"):
                candidates.add(entry.path)
            elif entry.name.startswith("python") and entry.is_dir():
                candidates.update(
                    os.path.join(entry.path, name) for name in ("site-packages", "dist-packages")
                )
    hidden = {os.path.realpath(path) for path in candidates if path and os.path.isdir(path)}
    inside = [path for path in hidden if any(path == b or path.startswith(b + "/") for b in binds)]
    return sorted(inside)
