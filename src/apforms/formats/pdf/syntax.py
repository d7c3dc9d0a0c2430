"""The few pieces of PDF syntax apforms writes: names, text strings, numbers, rectangles and
streams (and decoding a name again). The vocabulary itself is in :mod:`.names`; what an
apforms PDF says about itself is in :mod:`.protocol`.
"""

from __future__ import annotations

import re
import zlib

_NAME_REGULAR = frozenset(range(0x21, 0x7F)) - frozenset(b"#()<>[]{}/%")


_PLAIN_NAME = re.compile(r"[!-~]*")


def name(value: str) -> str:
    """``/Value`` with bytes outside the regular characters written as ``#xx``."""
    if _PLAIN_NAME.fullmatch(value) and not any(c in value for c in "#()<>[]{}/%"):
        return "/" + value
    out = []
    for b in value.encode("utf-8"):
        out.append(chr(b) if b in _NAME_REGULAR else f"#{b:02X}")
    return "/" + "".join(out)


def decode_name(raw: str) -> str:
    """The text of a PDF name written ``/A#20B`` (leading slash optional)."""
    s = raw[1:] if raw.startswith("/") else raw
    if "#" not in s:
        return s
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "#" and _is_hex(s[i + 1 : i + 3]):
            out.append(int(s[i + 1 : i + 3], 16))
            i += 3
        else:
            out += s[i].encode("utf-8")
            i += 1
    return out.decode("utf-8", errors="replace")


def _is_hex(s: str) -> bool:
    return len(s) == 2 and all(c in "0123456789abcdefABCDEF" for c in s)


_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)", "\r": "\\r", "\n": "\\n"})


_PRINTABLE = re.compile(r"[ -~\r\n]*")


def text(value: str) -> str:
    """A PDF text string: a literal for printable ASCII, else UTF-16BE with a byte-order mark."""
    if _PRINTABLE.fullmatch(value):
        return "(" + value.translate(_LITERAL_ESCAPES) + ")"
    return "<FEFF" + value.encode("utf-16-be").hex().upper() + ">"


def num(x: float) -> str:
    """A number as short as it can be written (at most 3 decimals)."""
    if x == int(x):
        return str(int(x))
    s = f"{x:.3f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def rect(r: tuple[float, float, float, float]) -> str:
    return "[" + " ".join(num(v) for v in r) + "]"


def stream(header: str, data: bytes, compress: bool | None = None) -> bytes:
    """A stream object's body; compressed with Flate when that is worth it (or when asked)."""
    if compress is None:
        compress = len(data) > 400
    if compress:
        data = zlib.compress(data, 6)
        header = f"{header} /Filter /FlateDecode"
    return f"<< {header} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"
