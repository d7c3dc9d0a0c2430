"""Checks of the service level agreement (Derby AP guidance section 17), its consistency with
the placements it covers, and the provider registration test over every record given."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from apforms.rules import ERROR, INFO, WARNING, Checked, Context, Issue, normal_name, rule, same_name
from apforms.rules.attendance import hours, provider_hours
from apforms.rules.referral import EHCP, looked_after
from apforms.rules.registration import SOURCE as REGISTRATION_LAW
from apforms.rules.registration import Attendance, RegistrationFlag, registration_flags

FORM = "Derby AP guidance s17 (service level agreement)"
DERBY_EXPECTATIONS = f"{FORM}; Derby AP guidance s13 (what alternative providers are responsible for)"
REGISTRATION = f"{REGISTRATION_LAW}; Derby AP guidance s5 and s7"

_MINUTES = re.compile(r"(\d+)\s*(?:minutes?|mins?)\b", re.IGNORECASE)
_ABSENCE = re.compile(r"absen|attend|arriv", re.IGNORECASE)
_INCIDENTS = re.compile(r"(\d+|one|two|three|four|five|six)\s+incidents?", re.IGNORECASE)
_PUPIL_HOURS = re.compile(r"^Pupil \d+: .*\((\d+(?:\.\d+)?) h a week", re.MULTILINE)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
SIGNERS = {"provider": "the alternative provider", "school": "the school"}


def obligations(rec: Checked) -> list[str]:
    return [o for o in rec.get("terms.provider_obligations") or [] if isinstance(o, str)]


# --------------------------------------------------------------------------- obligations


def _absence_minutes(text: str) -> int | None:
    if "half an hour" in text.casefold():
        return 30
    found = _MINUTES.search(text)
    return int(found.group(1)) if found else None


@rule(
    "SLA-001",
    WARNING,
    "The provider reports absence within 30 minutes (Derby; configurable)",
    source=DERBY_EXPECTATIONS,
    fields={"sla": ("terms.provider_obligations",)},
)
def absence_reporting(rec: Checked, ctx: Context) -> Iterator[str]:
    most = int(ctx.setting("provider_expectations", "absence_report_minutes"))
    times = [m for o in obligations(rec) if _ABSENCE.search(o) and (m := _absence_minutes(o)) is not None]
    if not times:
        yield (
            f"The provider's obligations do not say how soon absence is reported: add “Monitor "
            f"attendance daily and report to the school within {most} minutes if a pupil has not "
            "arrived.”"
        )
    elif min(times) > most:
        yield (
            f"The provider reports absence within {min(times)} minutes; the expectation is {most} "
            "minutes, so a missing pupil is followed up the same morning. Agree the shorter time."
        )


@rule(
    "SLA-002",
    WARNING,
    "An emergency review is called after 3 incidents (Derby; configurable)",
    source=DERBY_EXPECTATIONS,
    fields={"sla": ("terms.provider_obligations",)},
)
def emergency_review(rec: Checked, ctx: Context) -> Iterator[str]:
    most = int(ctx.setting("provider_expectations", "emergency_review_after_incidents"))
    counts = [
        int(n) if n.isdigit() else _NUMBER_WORDS[n.casefold()]
        for o in obligations(rec)
        if "emergency review" in o.casefold()
        for n in _INCIDENTS.findall(o)
    ]
    if not counts:
        yield (
            "The provider's obligations do not say when an emergency review is called: add "
            f"“Immediately notify the parent and school of any poor behaviour, and after {most} "
            "incidents call an emergency review of the placement.”"
        )
    elif min(counts) > most:
        yield (
            f"An emergency review is called only after {min(counts)} incidents; the expectation "
            f"is after {most}. Agree the lower number."
        )


# --------------------------------------------------------------------------- signatures


@rule(
    "SLA-003",
    WARNING,
    "Both parties have signed (name, signature and date) before the provision starts",
    source=FORM,
    fields={"sla": ("signatures.provider", "signatures.school")},
)
def signed(rec: Checked, ctx: Context) -> Iterator[Issue]:
    """Information while the agreement is a draft (bulk writes them ready to sign); a warning
    from two weeks before its start date, when it has no start date, and after it started."""
    start = rec.date("provision.dates.start")
    days = ctx.setting("sla", "signed_days_before_start")
    draft = start is not None and (start - ctx.today).days > int(days)
    for key, who in SIGNERS.items():
        empty = [p for p in ("name", "signature", "date") if not rec.get(f"signatures.{key}.{p}")]
        if not empty:
            continue
        if draft and start is not None:
            when = f"a draft: sign it before the provision starts on {start:%d/%m/%Y}"
        elif start is not None and start <= ctx.today:
            when = f"the provision started on {start:%d/%m/%Y} without it: sign it now"
        elif start is not None:
            when = f"the provision starts on {start:%d/%m/%Y}: sign it before then"
        else:
            when = "the agreement needs both signatures before the provision starts"
        yield Issue(
            f"Not signed on behalf of {who} ({', '.join(empty)} missing); {when}.",
            tuple(f"signatures.{key}.{p}" for p in empty),
            severity=INFO if draft else None,
        )


@rule(
    "SLA-004",
    WARNING,
    "Both parties signed on or before the start date",
    source=FORM,
    fields={"sla": ("signatures.provider.date", "signatures.school.date", "provision.dates.start")},
)
def signed_before_start(rec: Checked, ctx: Context) -> Iterator[Issue]:
    start = rec.date("provision.dates.start")
    for key, who in SIGNERS.items():
        when = rec.date(f"signatures.{key}.date")
        if start and when and when > start:
            yield Issue(
                f"Signed on behalf of {who} on {when:%d/%m/%Y}, after the provision started "
                f"({start:%d/%m/%Y}): agreements must be in place before the first session.",
                (f"signatures.{key}.date", "provision.dates.start"),
            )


# --------------------------------------------------------------------------- covered placements


@dataclass(frozen=True)
class Placement:
    """A pupil's placement, from a referral or commissioning agreement, that an SLA covers."""

    pupil: str
    file: str
    start: date | None
    end: date | None
    hours: float


def covered(sla: Checked, ctx: Context) -> list[Placement]:
    """Placements given at this SLA's provider from this SLA's school."""
    provider, school = sla.get("provider.name"), sla.get("school.name")
    out = [
        Placement(
            ref.text("pupil.legal_name") or ref.source,
            ref.source,
            ref.date("placement.start_date"),
            ref.date("placement.end_date"),
            provider_hours(ref),
        )
        for ref in ctx.of("referral")
        if same_name(ref.get("placement.provider"), provider)
        and same_name(ref.get("pupil.current_school"), school)
    ]
    out += [
        Placement(
            com.text("pupil.name") or com.source, com.source, com.date("pupil.placement_start"), None, 0
        )
        for com in ctx.of("commissioning")
        if same_name(com.get("pupil.provider") or com.get("pupil.new_school"), provider)
        and same_name(com.get("pupil.original_school"), school)
    ]
    return out


@rule(
    "SLA-005",
    WARNING,
    "The agreement's dates are in order and cover the placements given",
    source=FORM,
    fields={"sla": ("provision.dates.start", "provision.dates.end")},
)
def dates_consistent(rec: Checked, ctx: Context) -> Iterator[str]:
    start, end = rec.date("provision.dates.start"), rec.date("provision.dates.end")
    if start and end and end < start:
        yield f"The provision ends ({end:%d/%m/%Y}) before it starts ({start:%d/%m/%Y}): correct the dates."
        return
    for p in covered(rec, ctx):
        if start and p.start and p.start < start:
            yield (
                f"{p.pupil}'s placement ({p.file}) starts on {p.start:%d/%m/%Y}, before this "
                f"agreement ({start:%d/%m/%Y}): align the dates."
            )
        if end and p.end and p.end > end:
            yield (
                f"{p.pupil}'s placement ({p.file}) ends on {p.end:%d/%m/%Y}, after this agreement "
                f"({end:%d/%m/%Y}): extend the agreement or end the placement sooner."
            )


@rule(
    "SLA-006",
    WARNING,
    "Hours a week agree with the timetables of the placements given",
    source=FORM,
    fields={"sla": ("provision.hours_per_week",)},
)
def hours_consistent(rec: Checked, ctx: Context) -> Iterator[str]:
    agreed = rec.get("provision.hours_per_week")
    if agreed is None:
        return
    for p in covered(rec, ctx):
        if p.hours > agreed:
            yield (
                f"{p.pupil}'s timetable ({p.file}) has {hours(p.hours)} hours a week at the "
                f"provider, more than the {hours(agreed)} agreed: change the agreement or the timetable."
            )


@rule(
    "SLA-007",
    WARNING,
    "The number of pupils covers the placements given",
    source=FORM,
    fields={"sla": ("provision.pupils",)},
)
def pupils_consistent(rec: Checked, ctx: Context) -> Iterator[str]:
    agreed = rec.get("provision.pupils")
    pupils = {normal_name(p.pupil) for p in covered(rec, ctx)}
    if agreed is not None and len(pupils) > agreed:
        yield (
            f"{len(pupils)} pupils from this school are placed at this provider in the records "
            f"given, but the agreement is for {agreed}: update the number of pupils and costings."
        )


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class _Registration:
    flags: dict[str, RegistrationFlag]
    #: Providers an SLA records as not registered (normalised names).
    unregistered: frozenset[str]
    names: dict[str, str]


def pupil_hours(sla: Checked) -> list[float]:
    """Each pupil's hours a week under an SLA, largest last.

    A bulk SLA lists every pupil's hours in "Days/sessions" ("Pupil 1: … (12.5 h a week, …)")
    and gives the total as the hours a week; otherwise the total (the definition's meaning of
    "Number of hours per week") is shared equally between the pupils.
    """
    listed = [float(h) for h in _PUPIL_HOURS.findall(sla.text("provision.days_sessions"))]
    if listed:
        return sorted(listed)
    pupils = int(sla.get("provision.pupils") or 0)
    total = float(sla.get("provision.hours_per_week") or 0)
    return [total / pupils] * pupils if pupils else []


def _registration(ctx: Context) -> _Registration:
    """The registration test (rules/registration.py) over every referral and SLA given.

    A referral gives its pupil's hours at the provider; an SLA whose provider is not recorded
    as registered adds its other pupils (those without a referral given) at its hours a week.
    """
    rows: list[Attendance] = []
    names: dict[str, str] = {}
    for ref in ctx.of("referral"):
        provider, at = normal_name(ref.get("placement.provider")), provider_hours(ref)
        if provider and at:
            names.setdefault(provider, ref.text("placement.provider"))
            sen = ref.get("sen.sen_provision")
            rows.append(
                Attendance(
                    provider,
                    ref.text("pupil.upn") or normal_name(ref.get("pupil.legal_name")) or ref.source,
                    at,
                    school=normal_name(ref.get("pupil.current_school")),
                    looked_after=looked_after(ref),
                    ehcp=sen == EHCP,
                    sen=sen in (EHCP, "K"),
                )
            )
    registered: dict[str, bool] = {}
    for sla in ctx.of("sla"):
        provider, status = normal_name(sla.get("provider.name")), sla.get("provider.registered_school")
        if not provider:
            continue
        names.setdefault(provider, sla.text("provider.name"))
        registered[provider] = registered.get(provider, False) or status is True
        if status is not True:
            each = pupil_hours(sla)
            for p in covered(sla, ctx):
                if p.hours and each:  # counted from its referral; if unmatched, drop the fewest hours
                    each.remove(p.hours if p.hours in each else each[0])
            rows += [Attendance(provider, f"{sla.source}#{i + 1}", h) for i, h in enumerate(each)]
    unregistered = frozenset(
        normal_name(s.get("provider.name"))
        for s in ctx.of("sla")
        if s.get("provider.registered_school") is False
    )
    flags = registration_flags(rows, registered, ctx.config.registration)
    return _Registration(flags, unregistered - {p for p, yes in registered.items() if yes}, names)


def _flag_for(rec: Checked, ctx: Context) -> tuple[_Registration, str, RegistrationFlag] | None:
    reg: _Registration = ctx.memo("registration", lambda: _registration(ctx))
    path = "placement.provider" if rec.document == "referral" else "provider.name"
    provider = normal_name(rec.get(path))
    flag = reg.flags.get(provider)
    return (reg, provider, flag) if flag else None


def _registration_message(name: str, flag: RegistrationFlag, ctx: Context) -> str:
    limit = hours(ctx.config.registration.full_time_hours_over)
    return (
        f"on the records checked, {name} gives full-time education to {'; '.join(flag.reasons)}. "
        "Only a registered independent school may do this (operating an unregistered school is "
        "an offence: Education Act 1996 s463, s96 of the Education and Skills Act 2008). "
        f"{limit} hours a week is DfE's indicator, not a line to stay under: whether education is "
        "full-time also depends on the hours with breaks, the weeks a year, the time of day and "
        "whether it leaves room for education elsewhere, and the Children's Wellbeing and "
        "Schools Act 2026 (s43) extends the test to a single looked-after pupil or one with SEN. "
        "Place the pupils with a registered school or provider for this time, or ask the "
        "provider to register, and tell the local authority."
    )


_REG_FIELDS: dict[str, Any] = {
    "referral": ("placement.provider", "timetable"),
    "sla": ("provider.name", "provider.registered_school", "provision.hours_per_week", "provision.pupils"),
}


@rule(
    "REG-001",
    ERROR,
    "A provider recorded as not registered does not meet the test for registering as a school",
    source=REGISTRATION,
    fields=_REG_FIELDS,
)
def must_register(rec: Checked, ctx: Context) -> Iterator[str]:
    found = _flag_for(rec, ctx)
    if found and found[1] in found[0].unregistered:
        reg, provider, flag = found
        name = reg.names.get(provider, provider)
        yield f"{name} is not registered as a school, but " + _registration_message(name, flag, ctx)


@rule(
    "REG-002",
    WARNING,
    "A provider whose registration is not recorded would need to be registered",
    source=REGISTRATION,
    fields=_REG_FIELDS,
)
def check_registration(rec: Checked, ctx: Context) -> Iterator[str]:
    found = _flag_for(rec, ctx)
    if found and found[1] not in found[0].unregistered:
        reg, provider, flag = found
        name = reg.names.get(provider, provider)
        yield (
            f"Check that {name} is a registered school and record it in its service level "
            f"agreement (“Registered as an independent school”): " + _registration_message(name, flag, ctx)
        )
