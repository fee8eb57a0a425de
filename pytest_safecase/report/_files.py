"""Where each attachment goes in the report directory: one rule shared by the writer and the HTML.

Names come from test code or from a JSON file someone hands us, so they are reduced to a plain
file name (no separators, no leading dot) and clashes get a numbered suffix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pytest_safecase.case.result import CaseResult

ATTACHMENTS_DIR = "attachments"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class AttachmentFile:
    relative_path: str
    """POSIX path relative to the report directory, always under ``attachments/``."""
    nodeid: str
    claim_id: str
    name: str
    data: Any

    def content(self) -> str:
        """A list of objects as JSON Lines, text as is, anything else as JSON."""
        if isinstance(self.data, str):
            return self.data
        if (
            isinstance(self.data, list)
            and self.data
            and all(isinstance(x, dict) for x in self.data)
        ):
            return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in self.data)
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


def safe_file_name(name: Any) -> str:
    """A plain, non-hidden file name built from whatever was given."""
    cleaned = _UNSAFE.sub("_", str(name)).lstrip(".")
    cleaned = cleaned.replace("..", "_")
    return cleaned[:120] or "attachment"


def attachment_files(result: CaseResult) -> list[AttachmentFile]:
    """Every test's attachments in tree order, each with its own unique file name."""
    taken: set[str] = set()
    files: list[AttachmentFile] = []
    for node in result.claims():
        for test in node.tests:
            for attachment in test.attachments:
                if not isinstance(attachment, dict):
                    continue
                name = safe_file_name(attachment.get("name", ""))
                unique = _unique(name, taken)
                taken.add(unique.lower())
                files.append(
                    AttachmentFile(
                        f"{ATTACHMENTS_DIR}/{unique}",
                        test.nodeid,
                        node.id,
                        str(attachment.get("name", "")),
                        attachment.get("data"),
                    )
                )
    return files


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``...; compared case-blind for macOS/Windows."""
    if name.lower() not in taken:
        return name
    path = PurePosixPath(name)
    suffix = "".join(path.suffixes)
    stem = name[: len(name) - len(suffix)] if suffix else name
    number = 2
    while f"{stem}-{number}{suffix}".lower() in taken:
        number += 1
    return f"{stem}-{number}{suffix}"
