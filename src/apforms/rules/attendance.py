"""Full-time education, register codes and placement length, from the referral's timetable.

The referral's weekly timetable and placement details (apforms additions to the council's
form) say where the pupil is each session and who arranged the placement; the checks follow
Derby guidance sections 6 and 11 as updated by the School Attendance (Pupil Registration)
(England) Regulations 2024, and the 2025 government response on time limits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from apforms.model.calendar import limit_days
from apforms.model.codelists import load_codelist
from apforms.rules import (
    ERROR,
    INFO,
    WARNING,
    Checked,
    Context,
    Issue,
    normal_name,
    registered_school,
    rule,
    same_name,
    snippet,
)

FULL_TIME = "Derby AP guidance s6, definition of full-time provision"
CODES = (
    "SI 2024/208, reg 10 (the attendance codes); DfE Working together on attendance (2024), the "
    "attendance codes; Derby AP guidance s11"
)
PART_TIME = (
    "Derby AP guidance s11(c) (code C2, part-time timetables); SI 2024/208, reg 10 (code C2) and "
    "reg 11(6) (leave of absence for a part-time timetable)"
)
LENGTH = (
    "DfE AP consultation response (2025): national standards and time limits (up to 12 weeks, or "
    "up to 2 days a week alongside school)"
)

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
HALVES = {"am": "morning", "pm": "afternoon"}
# Timetable places (the options of timetable.<day>.<half>.place in schemas/referral.yaml).
HOME_SCHOOL, THIS_PROVIDER, OTHER_PROVISION, NO_EDUCATION = (
    "home_school",
    "this_provider",
    "other_provision",
    "none",
)
EDUCATION = (HOME_SCHOOL, THIS_PROVIDER, OTHER_PROVISION)
PLACE_WORDS = {HOME_SCHOOL: "school", THIS_PROVIDER: "this provider", OTHER_PROVISION: "other provision"}
#: The codes that record attendance at alternative provision (SI 2024/208 reg 10).
AP_CODES = ("K", "B", "D")
#: National curriculum key stages by year group (Education Act 2002 ss76, 82); Reception and
#: post-16 years have no full-time requirement here.
KEY_STAGES = {1: "KS1", 2: "KS1", 3: "KS2", 4: "KS2", 5: "KS2", 6: "KS2", 7: "KS3", 8: "KS3", 9: "KS3"}
KEY_STAGES |= {10: "KS4", 11: "KS4"}


@dataclass(frozen=True)
class Session:
    """One morning or afternoon of the weekly timetable."""

    day: str
    half: str
    place: str
    hours: float

    @property
    def name(self) -> str:
        return f"{self.day.title()} {HALVES[self.half]}"


def sessions(rec: Checked) -> list[Session]:
    """The timetable's sessions that have a place or hours, Monday morning first."""
    out = []
    for day in DAYS:
        for half in HALVES:
            place, hours = rec.get(f"timetable.{day}.{half}.place"), rec.get(f"timetable.{day}.{half}.hours")
            if place is not None or hours is not None:
                out.append(Session(day, half, place or "", float(hours or 0)))
    return out


def provider_sessions(rec: Checked) -> list[Session]:
    return [s for s in sessions(rec) if s.place == THIS_PROVIDER]


def provider_hours(rec: Checked) -> float:
    return sum(s.hours for s in provider_sessions(rec))


def full_days_at_provider(rec: Checked) -> list[str]:
    """Days on which both sessions are at this provider (a full-day placement)."""
    at = {(s.day, s.half) for s in provider_sessions(rec)}
    return [day for day in DAYS if all((day, half) in at for half in HALVES)]


def provider_name(rec: Checked) -> str:
    return rec.text("placement.provider") or "the provider"


def hours(value: float) -> str:
    return f"{value:g}"


def year_number(value: Any) -> int | None:
    """A national curriculum year as a number: the census code ("11", version 1.1) or the
    number (version 1.0); ``None`` for Reception, nursery, X or none."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def is_part_time(rec: Checked) -> bool:
    return rec.get("timetable.part_time") is True


# --------------------------------------------------------------------------- full-time education


@rule(
    "ATT-001",
    ERROR,
    "School and AP hours in the weekly timetable reach the school's week, unless a part-time timetable "
    "is recorded",
    source=(
        FULL_TIME + " (full time equates to what the pupil would normally have in school; its 25 hours "
        "a week in Key Stage 4 is the floor); DfE Length of the school week (2023): 32.5 hours from "
        "September 2024 (configurable per school)"
    ),
    fields={"referral": ("timetable", "timetable.part_time", "pupil.year_group", "pupil.current_school")},
)
def full_time(rec: Checked, ctx: Context) -> Iterator[Issue]:
    ks = KEY_STAGES.get(year_number(rec.get("pupil.year_group")) or -1, "")
    floor_by_ks = ctx.setting("full_time", "hours_per_week_by_key_stage")
    slots = sessions(rec)
    if is_part_time(rec) or ks not in floor_by_ks or not any(s.hours for s in slots):
        return
    floor = float(floor_by_ks[ks])
    by_school = ctx.setting("full_time", "school_week_hours_by_school") or {}
    school = normal_name(rec.get("pupil.current_school"))
    week = next(
        (float(h) for name, h in by_school.items() if normal_name(name) == school and school),
        float(ctx.setting("full_time", "school_week_hours")),
    )
    week = max(week, floor)
    total = sum(s.hours for s in slots if s.place in EDUCATION)
    if total >= week:
        return
    parts = ", ".join(
        f"{PLACE_WORDS[p]} {hours(sum(s.hours for s in slots if s.place == p))}"
        for p in EDUCATION
        if any(s.place == p for s in slots)
    )
    then = (
        "Add sessions, or, if a temporary part-time timetable has been agreed, record it with the "
        "parent's agreement and a review date."
    )
    if total < floor:
        yield Issue(
            f"The weekly timetable adds up to {hours(total)} hours ({parts}): below the guidance's "
            f"{hours(floor)} hours for Key Stage {ks[2:]}, and the school's week is {hours(week)} "
            f"hours. {then}"
        )
    else:
        yield Issue(
            f"The weekly timetable adds up to {hours(total)} hours ({parts}), less than the school's "
            f"week of {hours(week)} hours: full-time education at a provider should equate to what "
            f"the pupil would normally have in school (the guidance's floor for Key Stage {ks[2:]} is "
            f"{hours(floor)}). {then}",
            severity=WARNING,
        )


@rule(
    "ATT-002",
    ERROR,
    "A part-time timetable has the parent's agreement and an end or review date",
    source=PART_TIME,
    fields={
        "referral": (
            "timetable.part_time",
            "timetable.part_time_parent_agreement",
            "timetable.part_time_review_date",
        )
    },
)
def part_time_agreed(rec: Checked, ctx: Context) -> Iterator[str]:
    if not is_part_time(rec):
        return
    if rec.get("timetable.part_time_parent_agreement") is not True:
        yield (
            "A part-time timetable is recorded without the written agreement of a parent the "
            "pupil lives with: get and record it before the timetable starts."
        )
    if rec.date("timetable.part_time_review_date") is None:
        yield ("A part-time timetable must be temporary: record the date it ends or will be reviewed.")


@rule(
    "ATT-003",
    WARNING,
    "The part-time timetable's end or review date has not passed",
    source=PART_TIME,
    fields={"referral": ("timetable.part_time_review_date",)},
)
def part_time_review_due(rec: Checked, ctx: Context) -> Iterator[str]:
    review = rec.date("timetable.part_time_review_date")
    if is_part_time(rec) and review is not None and review < ctx.today:
        yield (
            f"The part-time timetable's end or review date ({review:%d/%m/%Y}) has passed: "
            "review it with the parent and record the new date, or return to full time."
        )


PART_TIME_SAFEGUARDS = (
    "DfE Working together on attendance (2024), part-time timetables; Derby AP guidance s11(c)"
)
#: The referral's statuses for which a part-time timetable involves the pupil's professionals.
PROFESSIONALS = {
    "status.child_in_need": "a child in need (social worker)",
    "status.child_protection": "on a child protection plan (social worker)",
    "status.lac.voluntary": "looked after (social worker and virtual school head)",
    "status.lac.statutory": "looked after (social worker and virtual school head)",
}


@rule(
    "ATT-009",
    ERROR,
    "A part-time timetable: the LA told, the pupil's professionals involved, never to manage behaviour",
    source=PART_TIME_SAFEGUARDS,
    fields={
        "referral": (
            "timetable.part_time_la_notified",
            "timetable.part_time_professionals",
            "timetable.part_time_behaviour",
        )
    },
)
def part_time_safeguards(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if not is_part_time(rec) or not rec.asks("timetable.part_time_behaviour"):
        return  # version 1.0 of the referral does not ask
    if rec.get("timetable.part_time_behaviour") is True:
        yield Issue(
            "The part-time timetable is recorded as a way of managing the pupil's behaviour: "
            "a part-time timetable must not be used for that. Address the behaviour through the "
            "school's behaviour policy and support, and keep the timetable only if it is in the "
            "pupil's best interests for another reason.",
            ("timetable.part_time_behaviour",),
        )
    if rec.get("timetable.part_time_la_notified") is not True:
        yield Issue(
            "Tell the local authority about the part-time timetable (who, why, from when and "
            "until when) and record that it was told.",
            ("timetable.part_time_la_notified",),
            severity=WARNING,
        )
    why = sorted({words for path, words in PROFESSIONALS.items() if rec.get(path) is True})
    if rec.text("sen.sen_provision") == "E":
        why.append("with an EHC plan (SEN caseworker)")
    if why and rec.get("timetable.part_time_professionals") is not True:
        yield Issue(
            f"The pupil is {'; '.join(why)}: involve them in agreeing the part-time timetable "
            "and its review, and record that they were.",
            ("timetable.part_time_professionals",),
            severity=WARNING,
        )


@rule(
    "ATT-007",
    INFO,
    "Sessions with no education on a part-time timetable are recorded with code C2",
    source=PART_TIME,
    fields={"referral": ("timetable", "timetable.part_time")},
)
def c2_advice(rec: Checked, ctx: Context) -> Iterator[str]:
    empty = [s.name for s in sessions(rec) if s.place == NO_EDUCATION]
    if is_part_time(rec) and empty:
        yield (
            f"On the part-time timetable, record the sessions with no education ({', '.join(empty)}) "
            "with code C2, not as absence; never use C2 for sessions at a provider."
        )


# --------------------------------------------------------------------------- register codes


def expected_ap_code(placement: Any) -> tuple[str | None, str]:
    """The register code for sessions at the provider, and why (SI 2024/208 reg 10)."""
    if not isinstance(placement, dict) or placement.get("supervised") is False:
        return None, "unsupervised or remote learning is not attendance"
    if placement.get("dual_registered") is True:
        return "D", "the pupil is dual-registered at the provider, another school"
    if placement.get("arranged_by") == "local_authority":
        return "K", "the local authority arranged the placement"
    if placement.get("arranged_by") == "school":
        return "B", "the school arranged and approved the placement and it is supervised"
    return None, ""


def code_label(code: str) -> str:
    return load_codelist("attendance_code").labels().get(code, code)


def code_category(code: str) -> str:
    meta = {c.code: c.meta or {} for c in load_codelist("attendance_code").codes}
    return str(meta.get(code, {}).get("category", ""))


def provider_not_a_school(rec: Checked, ctx: Context) -> bool:
    """A service level agreement given for this provider says it is not a registered school."""
    return any(
        same_name(sla.get("provider.name"), rec.get("placement.provider"))
        and sla.get("provider.registered_school") is False
        for sla in ctx.of("sla")
    )


@rule(
    "ATT-004",
    ERROR,
    "The register code for AP sessions matches who arranged the placement (K, B or D)",
    source=CODES,
    fields={
        "referral": (
            "timetable.ap_register_code",
            "placement.arranged_by",
            "placement.dual_registered",
        )
    },
)
def ap_code(rec: Checked, ctx: Context) -> Iterator[str]:
    code = rec.get("timetable.ap_register_code")
    if not code or rec.get("placement.supervised") is False:
        return  # no code: ATT-006; unsupervised: ATT-005
    expected, why = expected_ap_code(rec.get("placement"))
    where = provider_name(rec)
    if code == "D" and provider_not_a_school(rec, ctx):
        yield (
            f"D is only for another school where the pupil is also registered, and {where} is "
            "not a registered school (its service level agreement says so): use K if the local "
            "authority arranged the placement, B if the school did."
        )
    elif code == "C2":
        yield (
            f"C2 is recorded for sessions at {where}, but C2 is only for sessions with no "
            f"education on a part-time timetable; time at a provider is attendance: use "
            f"{expected or 'K, B or D'}."
        )
    elif expected and code != expected:
        yield (
            f"Sessions at {where} are recorded as {code}, but {why}: use {expected} ({code_label(expected)})."
        )
    elif not expected and code_category(code) != "attending_elsewhere":
        yield (
            f"Sessions at {where} are recorded as {code} ({code_label(code)}): time at a "
            "provider is attendance elsewhere, K if the local authority arranged it, B if the "
            "school did, D only at another school where the pupil is dual-registered."
        )


@rule(
    "ATT-005",
    ERROR,
    "Unsupervised or remote learning is never recorded as B, D or K",
    source=CODES,
    fields={"referral": ("timetable.ap_register_code", "placement.supervised")},
)
def unsupervised(rec: Checked, ctx: Context) -> Iterator[str]:
    code = rec.get("timetable.ap_register_code")
    if rec.get("placement.supervised") is False and code in AP_CODES:
        yield (
            f"Sessions at {provider_name(rec)} are not supervised (or are remote learning), so "
            f"they cannot be recorded as {code}: B, D and K certify supervised education. Arrange "
            "supervised provision, or treat the sessions as part of an agreed part-time "
            "timetable (C2)."
        )


@rule(
    "ATT-006",
    WARNING,
    "A register code is recorded for the sessions at the provider",
    source=CODES,
    fields={"referral": ("timetable.ap_register_code", "placement.arranged_by", "placement.supervised")},
)
def code_recorded(rec: Checked, ctx: Context) -> Iterator[str]:
    if rec.get("timetable.ap_register_code") or not (
        rec.text("placement.provider") or provider_sessions(rec)
    ):
        return
    expected, why = expected_ap_code(rec.get("placement"))
    where = provider_name(rec)
    if expected:
        yield f"Record the register code for sessions at {where}: {expected}, because {why}."
    elif rec.get("placement.supervised") is False:
        yield (
            f"Sessions at {where} are not supervised: they are not attendance and must never be "
            "recorded as B, D or K. Record how they will be coded (C2 if on an agreed part-time "
            "timetable)."
        )
    else:
        yield (
            f"Record who arranged the placement at {where} and its register code: K if the local "
            "authority arranged it, B if the school did (approved and supervised), D only at "
            "another school where the pupil is dual-registered."
        )


# --------------------------------------------------------------------------- placement length


@rule(
    "ATT-008",
    WARNING,
    "Placements of more than 2 days a week last at most 12 school weeks",
    source=LENGTH,
    fields={
        "referral": ("placement.start_date", "placement.end_date", "timetable", "placement.longer_reason")
    },
)
def placement_length(rec: Checked, ctx: Context) -> Iterator[Issue]:
    most_days = float(ctx.setting("placement_length", "part_time_days_per_week_at_most"))
    most_weeks = float(ctx.setting("placement_length", "full_time_weeks_at_most"))
    days = len(provider_sessions(rec)) / 2
    start, end = rec.date("placement.start_date"), rec.date("placement.end_date")
    if days <= most_days or start is None or _a_school(rec, ctx):
        return
    pattern = "full-time" if days >= len(DAYS) else f"{hours(days)} days a week"
    limits = (
        f"the national standards (government response, 2025) plan at most {hours(most_weeks)} "
        f"school weeks full-time, or longer-term placements of up to {hours(most_days)} days a week "
        "alongside school"
    )
    if end is None:
        yield Issue(
            f"The placement at {provider_name(rec)} is {pattern} with no end date: {limits}. Set one."
        )
        return
    length = ctx.config.calendar.within(start, end)
    if length.days <= limit_days(most_weeks):
        return
    said = f"The placement at {provider_name(rec)} is {pattern} for {length.weeks_text()}"
    said += f"{length.aside(f'{start:%d/%m/%Y} to {end:%d/%m/%Y}')}: {limits}."
    reason = rec.text("placement.longer_reason")
    if reason:  # the school's reason is recorded: for information (the limits are not yet law)
        yield Issue(f"{said} The reason recorded: “{snippet(reason, 80)}”.", severity=INFO)
    else:
        yield Issue(
            f"{said} Shorten it, reduce it to {hours(most_days)} days a week, or record why a longer "
            "placement is needed."
        )


def _a_school(rec: Checked, ctx: Context) -> bool:
    """The provider is a school: the pupil is dual registered there, or an SLA checked with the
    referral records it as registered. The time limits are for unregistered provision."""
    return rec.get("placement.dual_registered") is True or registered_school(
        rec.get("placement.provider"), ctx
    )
