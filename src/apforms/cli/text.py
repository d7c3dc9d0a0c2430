"""Text read from files (a PDF's fields, a file name), made safe to print on a terminal."""

from __future__ import annotations

import re

#: C0 and C1 controls and DEL (terminal escape sequences start with them), line and paragraph
#: separators, and the bidirectional embeddings, overrides and isolates (which reorder a line).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(value: object) -> str:
    """``value`` as text with every control character shown as an escape (``\\x1b``,
    ``\\u202e``) instead of sent to the terminal."""
    return _UNSAFE.sub(_escape, str(value))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


__all__ = ["safe_text"]
