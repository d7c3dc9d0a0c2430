"""Checks of the referral form (Derby AP guidance section 15) and what the school must do
with it (section 8)."""

from __future__ import annotations

from collections.abc import Iterator

from apforms.model import identifiers
from apforms.model.definitions import load_definition
from apforms.rules import ERROR, WARNING, Checked, Context, Issue, normal_name, rule, same_name
from apforms.rules.attendance import full_days_at_provider, hours, provider_hours, provider_name

FORM = "Derby AP guidance s15 (referral form)"
SCHOOL_DUTIES = "Derby AP guidance s8 (the placement: what schools are responsible for)"
UPN_GIVEN = "DfE UPN guide (2019), section 4.1 (state-funded schools allocate every pupil a UPN)"
UPN_TEMPORARY = (
    "DfE UPN guide (2019), sections 6.1 and 6.3 (a temporary UPN is replaced by the pupil's "
    "permanent UPN and kept as the former UPN)"
)
UPN_LA = (
    "DfE UPN guide (2019), annex A (the national UPN formula: characters 2 to 4 are the LA number); "
    "DfE LA codes (GIAS) (table in schemas/codelists/la_number.yaml, dated, with its sources)"
)
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
    source=UPN_GIVEN,
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
    source=UPN_TEMPORARY,
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
    "REF-013",
    WARNING,
    "The UPN's LA number is one DfE lists",
    source=UPN_LA,
    fields={"referral": ("pupil.upn",)},
)
def upn_la_known(rec: Checked, ctx: Context) -> Iterator[str]:
    number = identifiers.unknown_la_number(rec.text("pupil.upn"))
    if number:
        yield (
            f"Unknown LA number {number} in the UPN {rec.text('pupil.upn')}: characters 2 to 4 are the "
            "number of the LA that issued it, and this one is in none of DfE's lists of English and "
            "Welsh LA numbers. Its check letter is right: check the UPN with the pupil's previous "
            "school or the LA."
        )


@rule(
    "REF-004",
    ERROR,
    "Parents/carers know about the referral and their views are recorded",
    source=f"{FORM}; {SCHOOL_DUTIES}",
    fields={"referral": ("other_info.parents_aware", "other_info.parents_views")},
)
def parents_views(rec: Checked, ctx: Context) -> Iterator[Issue]:
    yield from _aware(
        rec,
        "parents",
        who="the parents/carers",
        why=(
            "the school must give parents clear information about the placement (why, when, "
            "where and how it will be reviewed)"
        ),
        tell="tell them why, when and where the placement will be and how it will be reviewed",
    )


@rule(
    "REF-005",
    WARNING,
    "The pupil knows about the referral and their views are recorded",
    source=f"{FORM}; {SCHOOL_DUTIES}",
    fields={"referral": ("other_info.pupil_aware", "other_info.pupil_views")},
)
def pupil_views(rec: Checked, ctx: Context) -> Iterator[Issue]:
    yield from _aware(
        rec,
        "pupil",
        who="the pupil",
        why="the school seeks the pupil's views of the placement",
        tell="talk to them about it",
    )


def _aware(rec: Checked, whose: str, *, who: str, why: str, tell: str) -> Iterator[Issue]:
    """Awareness is read from the yes/no answer, never from the wording of the views ("No
    objections – Mum and Dad both support it" is not a no). A record of version 1.0, which has
    no yes/no, is only asked for views when there are none."""
    aware_path, views_path = f"other_info.{whose}_aware", f"other_info.{whose}_views"
    aware, views = rec.get(aware_path), rec.text(views_path)
    asked = rec.asks(aware_path)
    do, be, think = ("do", "are", "think") if whose == "parents" else ("does", "is", "thinks")
    if aware is False:
        yield Issue(
            f"{_capital(who)} {do} not know about the referral yet: {tell}, then record their views.",
            (aware_path,),
        )
    elif asked and aware is None:
        yield Issue(
            f"Answer yes or no: {be} {who} aware of the referral? Then record their views ({why}).",
            (aware_path,) if views else (aware_path, views_path),
        )
    elif not views:
        yield Issue(
            f"Record what {who} {think} of the referral ({why}).",
            (views_path,),
            severity=WARNING if aware else None,
        )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    why = [w for w, yes in (("is looked after", looked_after(rec)), ("has an EHC plan", _ehcp(rec))) if yes]
    if why and not _la_told(rec, ctx):
        role = str(ctx.setting("la_contact", "role") or "local authority")
        email = ctx.setting("la_contact", "email")
        yield (
            f"The pupil {' and '.join(why)}, and is in a full-time place at {provider_name(rec)} "
            f"({hours(at_provider)} hours a week): inform the {_mid_sentence(role)}"
            + (f" ({email})" if email else "")
            + " and record the date in the commissioning agreement."
        )


def _mid_sentence(words: str) -> str:
    """ "Local authority AP lead" → "local authority AP lead"; "AP team" stays as it is."""
    return words[:1].lower() + words[1:] if words[1:2].islower() else words


def _la_told(rec: Checked, ctx: Context) -> bool:
    """A commissioning agreement checked with the referral, for the same pupil and provider,
    records the day the local authority was told."""
    return any(
        a.date("pupil.la_informed") is not None
        and normal_name(a.get("pupil.name")) == normal_name(rec.get("pupil.legal_name"))
        and same_name(a.get("pupil.provider") or a.get("pupil.new_school"), rec.get("placement.provider"))
        for a in ctx.of("commissioning")
    )


def _ehcp(rec: Checked) -> bool:
    return rec.text("sen.sen_provision") == EHCP


# --------------------------------------------------------------------------- across documents

AGREEMENT = (
    "Derby AP guidance s16 (the commissioning agreement, completed with the provider before the "
    "placement begins) and s8 (objectives and plans set out in writing)"
)
VIRTUAL_SCHOOL = (
    "DfE Looked-after children guidance (2018): the virtual school head of the authority that "
    "looks after the child is involved in decisions on alternative provision"
)


@rule(
    "REF-011",
    WARNING,
    "A placement that has begun has a commissioning agreement (when agreements are checked with it)",
    source=AGREEMENT,
    fields={"referral": ("placement.provider", "placement.start_date")},
)
def agreement_made(rec: Checked, ctx: Context) -> Iterator[str]:
    """Only when commissioning agreements are among the documents checked: checked alone, a
    referral cannot show that its agreement is missing."""
    agreements, start = ctx.of("commissioning"), rec.date("placement.start_date")
    if not agreements or start is None or start > ctx.today:
        return
    pupil, provider = rec.get("pupil.legal_name"), rec.get("placement.provider")
    if not any(
        normal_name(a.get("pupil.name")) == normal_name(pupil)
        and same_name(a.get("pupil.provider") or a.get("pupil.new_school"), provider)
        for a in agreements
    ):
        yield (
            f"The placement at {provider_name(rec)} began on {start:%d/%m/%Y} and no commissioning "
            "agreement for this pupil there is among the agreements checked: agree the aims and "
            "targets with the provider and record them."
        )


@rule(
    "REF-012",
    WARNING,
    "A pupil looked after by another authority: that authority's virtual school head is involved",
    source=VIRTUAL_SCHOOL,
    fields={"referral": ("status.order_la", "status.virtual_school_agreed")},
)
def virtual_school(rec: Checked, ctx: Context) -> Iterator[str]:
    holder, council = rec.text("status.order_la"), str(ctx.setting("council") or "")
    other = holder and council and not same_name(_authority(holder), _authority(council))
    if looked_after(rec) and other and rec.get("status.virtual_school_agreed") is not True:
        yield (
            f"The pupil is looked after by {holder}, not {council}: involve {holder}'s virtual "
            "school head in the decision, share the placement's plan and reviews with them (the "
            "pupil's personal education plan), and record that the virtual school has agreed it."
        )


def _authority(name: str) -> str:
    """A council's name without "City Council", "Council" or "County Council" ("Derby" =
    "Derby City Council")."""
    text = normal_name(name)
    for tail in (" city council", " county council", " borough council", " council"):
        if text.endswith(tail):
            return text[: -len(tail)]
    return text
