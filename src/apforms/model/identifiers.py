"""Identifiers a form holds: UPNs (DfE UPN v2.0, check letter and LA number included), UK
postcodes and UK telephone numbers, each checked and tidied into one canonical spelling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from apforms.model.codelists import load_codelist

#: The letters a UPN's check letter (and a temporary UPN's last character) is one of, in the
#: order that gives each its value (DfE, Unique pupil numbers (UPN), UPN v2.0): no I, O or S.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

_POSTCODE = re.compile(r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$")
_PHONE_CHARS = re.compile(r"^[0-9 ()+\-]+$")

#: The code list of LA numbers a UPN may carry (``schemas/codelists/la_number.yaml``, dated,
#: with its sources): every English and Welsh LA number, retired ones included.
LA_NUMBERS = "la_number"


@dataclass(frozen=True)
class LocalAuthority:
    """An LA number a UPN may carry: the LA's name, its country (england, wales, other) and,
    for a number retired by a reorganisation, the last day it was in use (ISO)."""

    number: str
    name: str
    country: str
    retired: str | None = None


@cache
def local_authorities() -> dict[str, LocalAuthority]:
    """Every LA number in the dated table, by number."""
    out = {}
    for c in load_codelist(LA_NUMBERS).codes:
        meta = c.meta or {}
        retired = meta.get("retired")
        country = str(meta.get("country", ""))
        out[c.code] = LocalAuthority(c.code, c.label, country, str(retired) if retired else None)
    return out


def upn_la(upn: str) -> LocalAuthority | None:
    """The LA whose number a UPN carries (characters 2 to 4), or None if the table lacks it."""
    return local_authorities().get(upn.strip()[1:4])


def la_name(upn: str) -> str | None:
    """The name of the LA that issued a UPN ('Derby' for V831200024001), or None."""
    la = upn_la(upn)
    return la.name if la else None


def upn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid UPN (DfE UPN v2.0), naming the part that is wrong, or None.

    13 characters: a check letter, 11 digits (the LA number, the establishment number, the
    year, a serial), and a 12th digit (permanent) or a letter (temporary). The check letter is
    the weighted sum of characters 2–13 (weights 2 to 13, a letter by its place in
    :data:`UPN_LETTERS`) modulo 23, as a letter. The LA number (characters 2–4) is not a
    reason to refuse a UPN: a table may lack a number DfE uses, and a pupil's record must not be
    blocked for it (see :func:`unknown_la_number`, which the checks report)."""
    v = value.strip().upper()
    if len(v) != 13:
        return f"not a valid UPN (a UPN has 13 characters, not {len(v)})"
    if v[0] not in UPN_LETTERS:
        return "not a valid UPN (the first character of a UPN is its check letter: A to Z but I, O and S)"
    if not v[1:12].isdigit():
        return (
            "not a valid UPN (characters 2 to 12 of a UPN are digits: LA number, establishment, year, serial)"
        )
    if not (v[12].isdigit() or v[12] in UPN_LETTERS):
        return (
            "not a valid UPN (the last character of a UPN is a digit, or a letter but I, O and S "
            "for a temporary one)"
        )
    expected = upn_check_letter(v[1:])
    if v[0] != expected:
        return (
            f"not a valid UPN (the check letter does not match the rest: it should be {expected}, not {v[0]})"
        )
    return None


def unknown_la_number(value: str) -> str | None:
    """The LA number of a well-formed UPN when it is in none of DfE's lists read into
    ``schemas/codelists/la_number.yaml`` (retired numbers, kept by a UPN for life, are in it)."""
    v = value.strip().upper()
    if upn_problem(v) is None and v[1:4] not in local_authorities():
        return v[1:4]
    return None


def upn_check_letter(rest: str) -> str:
    """The check letter of a UPN's characters 2 to 13."""
    values = [int(c) if c.isdigit() else UPN_LETTERS.index(c) for c in rest]
    total = sum(w * v for w, v in zip(range(2, 14), values, strict=True))
    return UPN_LETTERS[total % 23]


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
