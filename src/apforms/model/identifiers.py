"""Identifiers a form holds: UPNs (DfE UPN v2.0, check letter included), UK postcodes and
UK telephone numbers, each checked and tidied into one canonical spelling."""

from __future__ import annotations

import re

from stdnum.gb import upn as stdnum_upn

_POSTCODE = re.compile(r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$")
_PHONE_CHARS = re.compile(r"^[0-9 ()+\-]+$")


def upn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid UPN (DfE UPN v2.0, check letter included), or None."""
    v = value.strip().upper()
    if len(v) != 13:
        return "a UPN has 13 characters"
    if not stdnum_upn.is_valid(v):
        return "not a valid UPN (the check letter does not match)"
    return None


def is_temporary_upn(value: str) -> bool:
    """A temporary UPN ends in a letter and must be replaced when the real one is known."""
    return len(value) == 13 and value[-1].isalpha()


def normalise_postcode(value: str) -> str | None:
    """'de11 2aa' → 'DE1 12AA'-style canonical form with one space, or None when invalid."""
    v = re.sub(r"\s+", "", value.upper())
    if len(v) < 5 or not _POSTCODE.match(v[:-3] + " " + v[-3:]):
        return None
    return v[:-3] + " " + v[-3:]


def normalise_phone(value: str) -> str | None:
    """A UK phone number (01332 123456, +44 1332 123456, 07700 900123) tidied, or None."""
    v = value.strip()
    if not _PHONE_CHARS.match(v):
        return None
    digits = re.sub(r"\D", "", v)
    if v.startswith("+"):
        if not digits.startswith("44"):
            return None
        digits = "0" + digits[2:]
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return None
    return v
