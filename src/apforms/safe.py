"""Text made safe for where it goes: a spreadsheet cell, a terminal, a message kept on disk.

Values come from spreadsheets, returned forms and record files, so they may hold anything: a
formula a spreadsheet would run (``=HYPERLINK(…)``), control characters a terminal obeys
(``ESC [2J``, a right-to-left override), a pupil's UPN, or 50 MB of text. A base module
(like ``errors``): every layer may use it, and it uses nothing of apforms.
"""

from __future__ import annotations

import json
import re
import reprlib
from typing import Any

#: How a cell starts when a spreadsheet would read it as a formula (OWASP, "CSV Injection"):
#: = + - @, and tab or carriage return (which some spreadsheets skip before the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs: text starting with one of
    :data:`FORMULA_STARTS` gets a leading ``'`` (as OWASP recommends; write the file with
    every cell quoted, ``csv.QUOTE_ALL``). Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every cell of a ``csv.DictWriter`` row passed through :func:`csv_cell`."""
    return {k: csv_cell(v) for k, v in row.items()}


# C0 and C1 controls and DEL; the bidirectional embeddings, overrides, isolates and marks that
# reorder what a terminal shows (Trojan Source); line and paragraph separators; lone
# surrogates (undecodable bytes of a file name). Joiners (ZWJ, ZWNJ) are left: Indic and
# Persian scripts need them.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def visible(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``, ``\\u202e``,
    ``\\n``), so that printing it can neither move a terminal's cursor nor start a line that
    looks like another message."""
    return _INVISIBLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What json.dumps(ensure_ascii=False) leaves raw that a terminal obeys or a text view reorders
# (it escapes C0 itself): as _INVISIBLE, less C0 (JSON's own whitespace between tokens).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(value: Any, indent: int | None = 2, sort_keys: bool = False) -> str:
    """JSON of ``value`` for a file or a terminal: names in their own letters (not ``\\u``
    escapes), but DEL, C1 controls, bidi controls, line separators and lone surrogates (C0
    too, as JSON does) written as ``\\uXXXX``: the same value when parsed, safe to print."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, sort_keys=sort_keys)
    return _JSON_UNSAFE.sub(_json_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


#: The most of a value a message quotes.
QUOTE_LIMIT = 40

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = QUOTE_LIMIT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 2


def quote(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` for a message, of at most ``limit`` characters of it: a longer text is
    quoted as a prefix and its length (``'abcd'… (52,428,800 characters)``)."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    return _REPR.repr(value)


def clip(text: str, limit: int = 200) -> str:
    """Plain text (another library's message, which may quote a value) cut to ``limit``
    characters, with ``…`` where it was cut."""
    return text if len(text) <= limit else text[:limit] + "…"


#: A value as :func:`quote` (or ``repr``) writes it, either quote mark, with its length if cut.
QUOTED = re.compile(
    r"""(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*")(?:… \([\d,]+ characters\))?""", re.DOTALL
)


def without_values(message: str, replacement: str = "the value") -> str:
    """``message`` with every quoted value replaced (for a field whose value is not to be kept,
    such as a UPN or a date of birth)."""
    return QUOTED.sub(replacement, message)


#: A UPN, or what looks like one: a letter, 11 digits, a digit or letter (DfE UPN v2.0), in
#: any case, with single spaces or hyphens between the characters, wherever it is.
UPN_LIKE = re.compile(r"[A-Za-z](?:[ -]?[0-9]){11}[ -]?[0-9A-Za-z]")
UPN_REDACTED = "[UPN]"


def redact_upns(text: str) -> str:
    """``text`` with everything that looks like a UPN replaced by ``[UPN]``, wherever it is
    (inside quotes, a longer word or a file name)."""
    return UPN_LIKE.sub(UPN_REDACTED, text)
