"""A narrowed run still collects the whole case, so unselected claims show as not evaluated.

``pytest safety_tests/test_a.py::test_x`` (or ``--lf``) would otherwise collect only part of the
folder the case file sits in: the claims of the other tests would vanish from the argument, and
the goals they support would look undeveloped. So the tests given inside the case's folder are
collected as the whole folder, and what was given selects among them: the rest is deselected,
which the argument shows as not evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Selector:
    """One test argument: a file or folder, and the ``::`` parts after it (class, test name)."""

    path: Path
    parts: tuple[str, ...]

    def selects(self, path: Path, nodeid: str) -> bool:
        """Whether the test at ``path`` with ``nodeid`` is one this argument names."""
        if path != self.path and not path.is_relative_to(self.path):
            return False
        names = nodeid.split("::")[1:]
        if len(names) < len(self.parts):
            return False
        last = len(self.parts) - 1
        return all(
            name == part or (index == last and name.split("[")[0] == part)
            for index, (name, part) in enumerate(zip(names, self.parts, strict=False))
        )


@dataclass(frozen=True)
class Widening:
    """The arguments to collect instead, and what the ones given select among their tests."""

    args: list[str]
    selectors: dict[str, Selector]
    """Each argument given, by its text."""

    def selected(self, path: Path, nodeid: str) -> bool:
        return any(s.selects(path, nodeid) for s in self.selectors.values())


def selector(arg: str, base: Path) -> Selector:
    path, *parts = arg.split("::")
    folder = Path(path)
    return Selector((folder if folder.is_absolute() else base / folder).resolve(), tuple(parts))


def widen(args: Sequence[str], base: Path, case_folder: Path) -> Widening | None:
    """The whole of ``case_folder`` to collect if an argument names only part of it, else None.

    ``base`` is the directory relative arguments start from. Arguments outside the folder stay
    as they are; a path that does not exist leaves everything as it is, for pytest to report.
    """
    folder = case_folder.resolve()
    selectors = {arg: selector(arg, base) for arg in args}
    inside = [s for s in selectors.values() if s.path.is_relative_to(folder)]
    if not any(s.path != folder or s.parts for s in inside):
        return None
    if not all(s.path.exists() for s in inside):
        return None
    outside = [arg for arg, s in selectors.items() if not s.path.is_relative_to(folder)]
    return Widening([*outside, str(folder)], selectors)
