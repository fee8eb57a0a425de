"""Control characters made visible before any user, case or model string is shown or written."""

from __future__ import annotations

import re

_INVISIBLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Control characters but newline (C0, DEL, C1: ``\\x9b`` opens an ANSI sequence too), lone
surrogates and the two non-characters XML 1.0 forbids."""


def visible(text: str) -> str:
    """``text`` with every control character but newline written as an escape (``\\x1b``).

    Run, model and case strings reach the terminal and XML through this: a raw escape sequence
    could rewrite what a reviewer sees, and most control characters make XML unreadable.
    """
    return _INVISIBLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
