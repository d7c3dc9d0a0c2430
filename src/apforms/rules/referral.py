"""Checks of the referral form (Derby AP guidance section 15) and what the school must do
with it (section 8)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from apforms.model import identifiers
from apforms.model.definitions import load_definition
from apforms.rules import ERROR, WARNING, Checked, Context, Issue, rule
from apforms.rules.attendance import full_days_at_provider, hours, provider_hours, provider_name

FORM = "Derby AP guidance s15 (referral form)"
SCHOOL_DUTIES = "Derby AP guidance s8 (the placement: what schools are responsible for)"
UPN_FACTS = "DfE, Unique pupil numbers (UPN): guidance for schools and local authorities (UPN v2.0)"
EHCP = "E"  # SEN provision code for an EHC plan (schemas/codelists/sen_provision.yaml)

#: Yes/No questions below "ALL sections below MUST be completed", by section.
MUST_ANSWER = {
    "Safeguarding/risk assessment": (
        "safeguarding.eha",
        "safeguarding.violence",
        "safeguarding.harm",
        "safeguarding.substance_misuse",
        "safeguarding.risk_assessment",
    ),
    "Current academic information": ("academic.mainstream", "academic.other_ap"),
}
SEN_STATUS = ("sen.ehcp", "sen.sen_support", "sen.not_applicable", "sen.sen_provision")
#: Follow-up fields the form asks for when a question is answered a certain way.
FOLLOW_UPS = (
    ("safeguarding.violence", True, ("safeguarding.violence_to_whom", "safeguarding.violence_details")),
    ("safeguarding.harm", True, ("safeguarding.harm_details",)),
    ("academic.mainstream", False, ("academic.core_location",)),
    ("academic.other_ap", True, ("academic.other_ap_details",)),
)
TRANSPORT_FOLLOW_UPS = {
    "taxi": ("transport.taxi_company", "transport.taxi_phone"),
    "parent_carer": ("transport.parent_name", "transport.parent_phone"),
}
_NO = re.compile(r"^\s*(no|not)\b", re.IGNORECASE)


def risk_indicators() -> tuple[str, ...]:
    """Key paths of every "Other indicators of risk" row, from the definition."""
    section = next(s for s in load_definition("referral").sections if s.key == "risk_indicators")
    return tuple(f.path for f in section.fields)


def looked_after(rec: Checked) -> bool:
    return rec.get("status.lac.voluntary") is True or rec.get("status.lac.statutory") is True


def _labels(paths: tuple[str, ...]) -> str:
    definition = load_definition("referral")
    return "; ".join(f"“{definition.field_at(p).label.rstrip(':')}”" for p in paths)


# --------------------------------------------------------------------------- completeness


@rule(
    "REF-001",
    ERROR,
    "The part marked “ALL sections below MUST be completed” is answered",
    source=FORM,
    fields={"referral": (*SEN_STATUS, *[p for ps in MUST_ANSWER.values() for p in ps], *risk_indicators())},
)
def must_complete(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if not any(rec.get(p) for p in SEN_STATUS):
        yield Issue(
            "SEN/health details: state the EHCP (or assessment), tick SEN support, or tick N/A; "
            "the form says all sections from here MUST be completed.",
            SEN_STATUS[:3],
        )
    for section, questions in MUST_ANSWER.items():
        unanswered = tuple(p for p in questions if rec.get(p) is None)
        if unanswered:
            yield Issue(
                f"{section}: {len(unanswered)} Yes/No question(s) not answered. Answer each one "
                "(No where it does not apply); the form says they MUST be completed.",
                unanswered,
            )
    unmarked = tuple(p for p in risk_indicators() if rec.get(p) is None)
    if unmarked:
        yield Issue(
            f"Other indicators of risk: {len(unmarked)} of {len(risk_indicators())} not marked. "
            "Mark each Never, Occasionally or Frequently.",
            unmarked,
        )


@rule(
    "REF-009",
    WARNING,
    "Answers that ask for details (“If yes…”, “If no…”, transport) have them",
    source=FORM,
    fields={"referral": tuple(p for _, _, ps in FOLLOW_UPS for p in ps)},
)
def follow_ups(rec: Checked, ctx: Context) -> Iterator[Issue]:
    for question, answer, details in FOLLOW_UPS:
        empty = tuple(p for p in details if not rec.get(p))
        if rec.get(question) is answer and empty:
            yield Issue(
                f"“{load_definition('referral').field_at(question).label}” is answered "
                f"{'Yes' if answer else 'No'}: give {_labels(empty)}.",
                empty,
            )
    for choice, details in TRANSPORT_FOLLOW_UPS.items():
        empty = tuple(p for p in details if not rec.get(p))
        if choice in (rec.get("transport.arrangements") or []) and empty:
            yield Issue(f"Transport arrangements: give {_labels(empty)}.", empty)


# --------------------------------------------------------------------------- the pupil


@rule(
    "REF-002",
    ERROR,
    "The pupil's UPN is given (an invalid UPN is reported by VAL-000)",
    source=UPN_FACTS,
    fields={"referral": ("pupil.upn",)},
)
def upn_given(rec: Checked, ctx: Context) -> Iterator[str]:
    invalid = any(p.path == "pupil.upn" for p in rec.problems)
    if not rec.get("pupil.upn") and not invalid:
        yield (
            "No UPN: copy the pupil's 13-character Unique Pupil Number from the school's "
            "information system, so the provider and the local authority can match records."
        )


@rule(
    "REF-003",
    WARNING,
    "A temporary UPN is flagged for replacement",
    source=UPN_FACTS,
    fields={"referral": ("pupil.upn",)},
)
def temporary_upn(rec: Checked, ctx: Context) -> Iterator[str]:
    upn = rec.text("pupil.upn")
    if upn and identifiers.is_temporary_upn(upn):
        yield (
            f"{upn} is a temporary UPN (it ends in a letter): replace it with the permanent UPN "
            "as soon as it is known, and tell the provider."
        )


@rule(
    "REF-004",
    ERROR,
    "Parents/carers know about the referral and their views are recorded",
    source=f"{FORM}; {SCHOOL_DUTIES}",
    fields={"referral": ("other_info.parents_views",)},
)
def parents_views(rec: Checked, ctx: Context) -> Iterator[str]:
    views = rec.text("other_info.parents_views")
    if not views:
        yield (
            "Record whether the parents/carers know about the referral and what they think: "
            "the school must give parents clear information about the placement (why, when, "
            "where and how it will be reviewed)."
        )
    elif _NO.match(views):
        yield (
            "The parents/carers do not know about the referral yet: tell them why, when and where "
            "the placement will be and how it will be reviewed, then record their views."
        )


@rule(
    "REF-005",
    WARNING,
    "The pupil knows about the referral and their views are recorded",
    source=f"{FORM}; {SCHOOL_DUTIES}",
    fields={"referral": ("other_info.pupil_views",)},
)
def pupil_views(rec: Checked, ctx: Context) -> Iterator[str]:
    views = rec.text("other_info.pupil_views")
    if not views:
        yield "Record whether the pupil knows about the referral and what they think of it."
    elif _NO.match(views):
        yield "The pupil does not know about the referral yet: talk to them and record their views."


# --------------------------------------------------------------------------- risk and status


@rule(
    "REF-006",
    ERROR,
    "A risk indicator marked Frequently has an up-to-date risk assessment in place",
    source=FORM,
    fields={"referral": ("safeguarding.risk_assessment",)},
)
def frequent_risk(rec: Checked, ctx: Context) -> Iterator[str]:
    definition = load_definition("referral")
    frequent = [definition.field_at(p).label for p in risk_indicators() if rec.get(p) == "frequently"]
    if frequent and rec.get("safeguarding.risk_assessment") is not True:
        yield (
            f"Marked Frequently: {'; '.join(frequent)}. Put an up-to-date risk assessment in place, "
            "share it with the provider before the placement starts and answer the safeguarding "
            "questions."
        )


@rule(
    "REF-007",
    ERROR,
    "LAC or child protection ticked: the authority holding the order, date in care, CP category",
    source=FORM,
    fields={"referral": ("status.order_la", "status.date_in_care", "status.cp_category")},
)
def status_details(rec: Checked, ctx: Context) -> Iterator[Issue]:
    lac, cp = looked_after(rec), rec.get("status.child_protection") is True
    if (lac or cp) and not rec.text("status.order_la"):
        what = "looked after" if lac else "subject to child protection (section 47)"
        yield Issue(
            f"The pupil is {what}: state which local authority holds the order.", ("status.order_la",)
        )
    if lac and not rec.get("status.date_in_care"):
        yield Issue("The pupil is looked after: give the date they came into care.", ("status.date_in_care",))
    if cp and not rec.get("status.cp_category"):
        yield Issue(
            "Child protection is ticked: state the category (neglect, physical, sexual, emotional "
            "or multiple).",
            ("status.cp_category",),
        )


@rule(
    "REF-008",
    ERROR,
    "Free school meals entitlement is stated for full-day placements",
    source=f"{FORM}; {SCHOOL_DUTIES}",
    fields={"referral": ("status.fsm", "timetable")},
)
def fsm_stated(rec: Checked, ctx: Context) -> Iterator[str]:
    full_days = full_days_at_provider(rec)
    if full_days and rec.get("status.fsm") is None:
        days = ", ".join(d.title() for d in full_days)
        yield (
            f"The pupil spends full days at {provider_name(rec)} ({days}): state whether they "
            "are entitled to free school meals, so lunch can be arranged with the provider."
        )


@rule(
    "REF-010",
    WARNING,
    "A looked-after pupil or one with an EHC plan in a full-time place: tell the local authority",
    source="Derby AP guidance s18 (QA framework: length of AP) (contact: configuration la_contact)",
    fields={"referral": ("status.lac", "sen.sen_provision", "timetable")},
)
def tell_la(rec: Checked, ctx: Context) -> Iterator[str]:
    at_provider = provider_hours(rec)
    if at_provider <= ctx.config.registration.full_time_hours_over:
        return
    why = [w for w, yes in (("looked after", looked_after(rec)), ("has an EHC plan", _ehcp(rec))) if yes]
    if why:
        role = ctx.setting("la_contact", "role") or "local authority"
        email = ctx.setting("la_contact", "email")
        yield (
            f"The pupil is {' and '.join(why)} and in a full-time place at {provider_name(rec)} "
            f"({hours(at_provider)} hours a week): inform the {role}" + (f" ({email})" if email else "") + "."
        )


def _ehcp(rec: Checked) -> bool:
    return rec.text("sen.sen_provision") == EHCP
