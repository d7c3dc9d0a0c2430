"""Bulk SLAs: placements grouped into one agreement per (school, provider), then rendered.

The SLA goes to the provider, so it carries counts and sessions, never pupils' names or
UPNs. Providers that the registration check flags get no SLA unless the caller allows it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from apforms.bulk.inputs import RowProblem, Table, read_table
from apforms.errors import BulkInputError
from apforms.model import records
from apforms.model.config import RegistrationThresholds
from apforms.model.definitions import load_definition
from apforms.rules.registration import Attendance, RegistrationFlag, registration_flags
from apforms.safe import quote

# Names Windows refuses as file names, whatever the extension.
_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}


@dataclass
class Pair:
    """One SLA to produce: a school, a provider and the placements between them."""

    school: dict[str, Any]
    provider: dict[str, Any]
    placements: list[dict[str, Any]]
    stem: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    flag: RegistrationFlag | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, str]:
        return self.school["name"], self.provider["name"]


@dataclass
class Plan:
    """Everything read and worked out from the inputs, before anything is written."""

    pairs: list[Pair]
    tables: list[Table]
    problems: list[RowProblem]
    warnings: list[RowProblem]
    flags: dict[str, RegistrationFlag]


def plan_slas(
    placements: str | Path, providers: str | Path, schools: str | Path, thresholds: RegistrationThresholds
) -> Plan:
    """Read the three inputs, report bad rows, group the good ones and run the registration check."""
    tables = [
        read_table("providers", providers),
        read_table("schools", schools),
        read_table("placements", placements),
    ]
    prov_t, school_t, place_t = tables
    problems = [p for t in tables for p in t.problems]
    warnings = [w for t in tables for w in t.warnings]
    provs = _by_name(prov_t, "Name of provider", problems)
    schools_by = _by_name(school_t, "Name of school", problems)
    good = _check_placements(place_t, provs, schools_by, problems)

    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in good:
        groups[(_key(p["school"]), _key(p["provider"]))].append(p)
    pairs = [Pair(schools_by[s], provs[pv], rows) for (s, pv), rows in sorted(groups.items())]
    registered = {pv: bool(row.get("registered_school")) for pv, row in provs.items()}
    attendances = [
        Attendance(
            _key(p["provider"]),
            p["upn"],
            float(p["hours_per_week"]),
            school=_key(p["school"]),
            looked_after=bool(p.get("looked_after")),
            ehcp=bool(p.get("ehcp")),
            sen=bool(p.get("sen")),
        )
        for p in good
    ]
    flags = registration_flags(attendances, registered, thresholds)
    for pair in pairs:
        pair.flag = flags.get(_key(pair.provider["name"]))
        result = sla_data(pair.school, pair.provider, pair.placements)
        pair.data, pair.problems = result.data, [str(p) for p in result.problems]
    _assign_stems(pairs)
    for k, flag in flags.items():
        flag.provider = provs[k]["name"]  # as spelt in the providers file, for the report
    return Plan(pairs, tables, problems, warnings, {f.provider: f for f in flags.values()})


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _by_name(table: Table, column: str, problems: list[RowProblem]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    first_row: dict[str, int] = {}
    for row_no, row in table.rows:
        k = _key(row["name"])
        if k in out:
            problems.append(
                RowProblem(
                    table.file, row_no, column, f"the same name as row {first_row[k]}; this row is ignored"
                )
            )
            continue
        out[k], first_row[k] = row, row_no
    return out


def _check_placements(
    table: Table,
    provs: dict[str, dict[str, Any]],
    schools: dict[str, dict[str, Any]],
    problems: list[RowProblem],
) -> list[dict[str, Any]]:
    """Rows that refer to known schools and providers, with sane dates, no duplicates (in
    time linear in the rows: each duplicate names a few of the others, and how many more)."""
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row_no, p in table.rows:
        seen[(p["upn"], _key(p["provider"]))].append(row_no)
    good = []
    for row_no, p in table.rows:
        bad = []
        if _key(p["school"]) not in schools:
            bad.append(("School", f"unknown school {quote(p['school'])} (not in the schools file)"))
        if _key(p["provider"]) not in provs:
            bad.append(("Provider", f"unknown provider {quote(p['provider'])} (not in the providers file)"))
        if p["end_date"] < p["start_date"]:
            bad.append(("End date", f"ends ({_uk(p['end_date'])}) before it starts ({_uk(p['start_date'])})"))
        rows = seen[(p["upn"], _key(p["provider"]))]
        if len(rows) > 1:
            bad.append(("UPN", f"the same pupil is placed at this provider again in {_others(rows, row_no)}"))
        problems.extend(RowProblem(table.file, row_no, col, msg) for col, msg in bad)
        if not bad:
            good.append(p)
    return good


#: How many of the other rows a duplicate row names.
_SHOWN = 3


def _others(rows: list[int], row_no: int) -> str:
    """``row 8``, ``rows 3, 4 and 5``, ``rows 3, 4, 5 and 15,996 more``: the rows of ``rows``
    other than ``row_no``, a few of them by number."""
    shown = [str(r) for r in rows[: _SHOWN + 1] if r != row_no][:_SHOWN]
    more = len(rows) - 1 - len(shown)
    if more:
        return f"rows {', '.join(shown)} and {more:,} more"
    if len(shown) == 1:
        return f"row {shown[0]}"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}"


def _uk(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def sla_data(
    school: dict[str, Any], provider: dict[str, Any], placements: list[dict[str, Any]]
) -> records.ValidationResult:
    """The SLA record for one pair: dates, counts, sessions and costs; no pupil identities."""
    rows = sorted(
        placements,
        key=lambda p: (p["start_date"], p["end_date"], p["days_sessions"], p["hours_per_week"], p["upn"]),
    )
    start = min(p["start_date"] for p in rows)
    end = max(p["end_date"] for p in rows)
    total_hours = sum((Decimal(str(p["hours_per_week"])) for p in rows), Decimal(0))
    lines = [
        f"Pupil {i}: {p['days_sessions']} ({_num(p['hours_per_week'])} h a week, "
        f"{_uk(p['start_date'])} to {_uk(p['end_date'])})"
        for i, p in enumerate(rows, start=1)
    ]
    lines.append(f"In total: {_num(total_hours)} hours a week for {len(rows)} pupil(s).")
    by_rate: dict[Decimal, list[dict[str, Any]]] = defaultdict(list)
    for p in rows:
        by_rate[Decimal(str(p["rate_per_session"]))].append(p)
    costings = []
    total = Decimal(0)
    for rate, group in sorted(by_rate.items()):
        sessions = sum(int(p["sessions"]) for p in group)
        amount = (rate * sessions).quantize(Decimal("0.01"))
        total += amount
        costings.append(
            {
                "item": f"{len(group)} pupil(s) at £{rate:.2f} a session",
                "sessions": sessions,
                "rate": _money(rate),
                "amount": _money(amount),
            }
        )
    provider_data = {k: v for k, v in provider.items()}
    data = {
        "agreement": {
            "reference": f"SLA-{start.replace('-', '')}-{safe_name(school['name'], 20)}-"
            f"{safe_name(provider['name'], 20)}"
        },
        "provider": provider_data,
        "school": dict(school),
        "provision": {
            "dates": {"start": start, "end": end},
            "hours_per_week": _money(total_hours),
            "days_sessions": "\n".join(lines),
            "pupils": len(rows),
            "costings": costings,
            "total_cost": _money(total),
        },
    }
    return records.validate(load_definition("sla"), data, partial=True)


def _num(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def _money(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def safe_name(text: str, limit: int = 50) -> str:
    """A file-name part that cannot climb out of a folder or upset Windows: a-z, 0-9 and '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:limit].strip("-")
    if not s:
        s = "unnamed"
    if s.split("-")[0].upper() in _RESERVED:
        s = "x-" + s
    return s


#: Between a pair's name and the hash that tells it from another pair of the same name.
#: ``safe_name`` never writes ``_``, so a name with a hash is never a name without one.
_HASH_SEP = "__"


def _assign_stems(pairs: Iterable[Pair]) -> None:
    """``school__provider``; pairs whose names are the same once made safe (``Riverside Farm``
    and ``Riverside-Farm``) each get a hash of their names, ``school__provider__1a2b3c4d``,
    longer where two hashes' beginnings agree. No two stems are the same, or the same but for
    case, before anything is written."""
    pairs = list(pairs)
    stems: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        stems[f"{safe_name(pair.names[0])}__{safe_name(pair.names[1])}"].append(pair)
    for stem, group in stems.items():
        if len(group) == 1:
            group[0].stem = stem
            continue
        digests = {id(p): hashlib.sha256("\0".join(p.names).encode()).hexdigest() for p in group}
        length = 8
        while len({digests[id(p)][:length] for p in group}) < len(group):
            length *= 2  # two beginnings agree (or, at 64, two pairs share their names)
            if length > 64:
                raise BulkInputError(f"two pairs share their names: {stem}")
        for pair in group:
            pair.stem = f"{stem}{_HASH_SEP}{digests[id(pair)][:length]}"
    if len({p.stem.casefold() for p in pairs}) < len(pairs):  # cannot happen: said, not written over
        raise BulkInputError("two SLAs would have the same file name; nothing was written")
