"""The QA framework (Derby AP guidance section 18): the outcome its ratings support, the
improvement plan they call for, and the checks of both.

The standards (1a … 5d) are read from ``schemas/qa.yaml``: every group with a ``rating``
field is one standard, its label the number and its text the wording.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from apforms.errors import ConfigError, RecordError
from apforms.model.codelists import load_codelist
from apforms.model.config import Config
from apforms.model.definitions import GROUP, RATING, load_definition
from apforms.model.records import Record, canonical, record_file, record_from_obj
from apforms.rules import (
    ERROR,
    INFO,
    WARNING,
    Checked,
    Context,
    Issue,
    as_date,
    dig,
    registered_school,
    rule,
    same_name,
    snippet,
)

FORM = "Derby AP guidance s18 (QA framework: outcome and improvement plan)"

FULLY, PARTIALLY, LIMITED, NOT_AT_ALL = "fully", "partially", "limited", "not_at_all"
APPROVED, APPROVED_WITH_PLAN = "approved", "approved_subject_to_plan"
NOT_MET = ("not_met_reapply", "not_met_withdrawn")
#: RAG of an improvement-plan row drafted from a rating below Fully.
RAG_BY_RATING = {NOT_AT_ALL: "red", LIMITED: "red", PARTIALLY: "amber"}
#: The printed words of each rating, from the qa_rating code list (the form's own wording).
RATING_WORDS = load_codelist("qa_rating").labels()
_STANDARD_ID = re.compile(r"\b(\d[a-z])\b")


@dataclass(frozen=True)
class Standard:
    """One standard of the QA framework: its number ("1a"), key path and wording."""

    id: str
    path: str
    text: str


@cache
def standards() -> tuple[Standard, ...]:
    return tuple(
        Standard(f.label, f.path, (f.text or "").strip())
        for f in load_definition("qa").walk()
        if f.type == GROUP and any(c.key == "rating" and c.type == RATING for c in f.fields)
    )


def ratings(data: Mapping[str, Any]) -> dict[str, str | None]:
    """Each standard's rating (None when not rated), by standard number."""
    return {s.id: dig(data, f"{s.path}.rating") for s in standards()}


def below_fully(data: Mapping[str, Any]) -> list[str]:
    return [sid for sid, r in ratings(data).items() if r in RAG_BY_RATING]


def outcome_label(value: str) -> str:
    return load_definition("qa").field_at("outcome.outcome").option_label(value)


#: The safeguarding standards no approval may go without (``qa.safeguarding_gate`` in the
#: configuration): safer recruitment and the single central record (1a), safeguarding
#: policies (1b), recording and escalating concerns (1d), a trained DSL (1f). See
#: docs/qa-outcome.md.
GATE = ("1a", "1b", "1d", "1f")
GATE_SOURCE = (
    "DfE KCSIE 2025, part 3 (safer recruitment, the single central record) and part 2 (the "
    "designated safeguarding lead); DfE Non-school AP standards (2025), standard 1 (safeguarding "
    "and wellbeing of children)"
)


def qa_outcome(data: Mapping[str, Any], gate: tuple[str, ...] = GATE) -> tuple[str, list[str]]:
    """The outcome the ratings suggest, and why (advice for the LA officer, whose recorded
    outcome stands; docs/qa-outcome.md). A safeguarding standard of ``gate`` below Fully, or
    not rated, → not met, whatever the others; else every standard Fully → approved; most
    Fully or Partially with none Not at all → approved subject to an improvement plan;
    otherwise not met (``not_met_reapply``; ``not_met_withdrawn`` agrees as well)."""
    rated = ratings(data)
    total = len(rated)
    count = {r: sum(1 for v in rated.values() if v == r) for r in RATING_WORDS}
    unrated = [sid for sid, r in rated.items() if r is None]
    summary = ", ".join(f"{count[r]} {w}" for r, w in RATING_WORDS.items())
    reasons = [f"{total} standards: {summary}" + (f", {len(unrated)} not rated" if unrated else "") + "."]
    if unrated:
        reasons.append(f"Not rated: {', '.join(unrated)}; they count as not met until they are rated.")
    short = [sid for sid in gate if sid in rated and rated[sid] != FULLY]
    if short:
        listed = ", ".join(
            f"{sid} ({RATING_WORDS[str(rated[sid])]})" if rated[sid] else f"{sid} (not rated)"
            for sid in short
        )
        return NOT_MET[0], [
            *reasons,
            f"Safeguarding standard(s) below Fully: {listed}. Safer recruitment, a trained "
            "safeguarding lead and recording and escalating concerns are core requirements: a "
            "provider short of any of them is not approved on the strength of its other ratings "
            "(not met; it may reapply when they are met in full).",
        ]
    if count[FULLY] == total:
        return APPROVED, [*reasons, "Every standard is met Fully: the provider goes on the approved list."]
    met, not_at_all = count[FULLY] + count[PARTIALLY], [s for s, r in rated.items() if r == NOT_AT_ALL]
    below = ", ".join(below_fully(data) + unrated)
    if not not_at_all and met * 2 > total:
        return APPROVED_WITH_PLAN, [
            *reasons,
            f"Most standards ({met} of {total}) are met Fully or Partially and none Not at all: "
            f"approved subject to an improvement plan for {below}.",
        ]
    why = (
        f"{', '.join(not_at_all)} rated Not at all"
        if not_at_all
        else f"only {met} of {total} met Fully or Partially"
    )
    return NOT_MET[0], [
        *reasons,
        f"Standards not met ({why}): not approved; the provider may reapply when it has made "
        "the improvements, or record that it does not wish to progress.",
    ]


# --------------------------------------------------------------------------- improvement plan


def improvement_plan_from_qa(qa: Record | Mapping[str, Any]) -> dict[str, Any]:
    """An improvement-plan record file with a row per standard rated below Fully: the area is
    the standard's number and wording, RAG from the rating; actions, by when and who by are
    left for the provider."""
    record = qa if isinstance(qa, Record) else record_from_obj(qa, "QA record")
    if record.definition.id != "qa":
        raise RecordError(f"a qa record is needed, not {record.definition.id}")
    data = canonical(record.definition, record.data)
    visits = sorted(
        (v for v in dig(data, "provider.visits") or [] if v.get("date")), key=lambda v: str(v["date"])
    )
    last = visits[-1] if visits else {}
    rated = ratings(data)
    rows = [
        {"area": f"{s.id} – {s.text}", "rag": RAG_BY_RATING[str(rated[s.id])]}
        for s in standards()
        if rated[s.id] in RAG_BY_RATING
    ]
    plan_definition = load_definition("improvement-plan")
    raw = {
        "provider": {
            "name": dig(data, "provider.name"),
            "qa_visit_date": last.get("date"),
            "la_representative": last.get("la_representative"),
        },
        "improvement_plan": {"plan": rows},
    }
    return record_file(plan_definition, canonical(plan_definition, raw))


def _last_visit(rec: Checked) -> str | None:
    dates = sorted(str(v.get("date")) for v in rec.rows("provider.visits") if v.get("date"))
    return dates[-1] if dates else None


def plan_rows(rec: Checked, ctx: Context) -> list[Mapping[str, Any]]:
    """The QA record's improvement plan rows and those of improvement-plan records given for
    the same provider and QA visit."""
    rows = rec.rows("improvement_plan.plan")
    visit = _last_visit(rec)
    for plan in ctx.of("improvement-plan"):
        plan_visit = plan.get("provider.qa_visit_date")
        if same_name(plan.get("provider.name"), rec.get("provider.name")) and (
            not visit or not plan_visit or plan_visit == visit
        ):
            rows = rows + plan.rows("improvement_plan.plan")
    return rows


# --------------------------------------------------------------------------- rules


def gate(ctx: Context) -> tuple[str, ...]:
    """The council's safeguarding gate (``qa.safeguarding_gate``; Derby's: :data:`GATE`)."""
    return _gate(ctx.setting("qa", "safeguarding_gate"))


def configured_gate(config: Config) -> tuple[str, ...]:
    """The safeguarding gate of a configuration (Derby's, :data:`GATE`, where it sets none)."""
    try:
        return _gate(config.get("qa", "safeguarding_gate"))
    except ConfigError:
        return GATE


def _gate(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else GATE


@rule(
    "QA-001",
    WARNING,
    "The recorded outcome is the one the ratings suggest, or the reasons are recorded",
    source=f"{FORM}; {GATE_SOURCE}",
    fields={"qa": ("outcome.outcome",)},
)
def outcome_agrees(rec: Checked, ctx: Context) -> Iterator[str]:
    """Advice, never an instruction: section 18 leaves the outcome to the officer, so a
    different one is a warning that says what the ratings suggest and why."""
    rated = ratings(rec.data)
    if all(r is None for r in rated.values()):
        return
    supported, reasons = qa_outcome(rec.data, gate(ctx))
    recorded = rec.get("outcome.outcome")
    if recorded is None:
        if None not in rated.values():
            yield f"No outcome recorded. The ratings suggest “{outcome_label(supported)}”: {reasons[-1]}"
    elif recorded != supported and not (recorded in NOT_MET and supported in NOT_MET):
        approved = recorded not in NOT_MET
        then = (
            "Check that this is the outcome intended, and record the evidence it rests on."
            if approved
            else "The officer's judgement stands; record the reasons for it."
        )
        yield (
            f"The outcome recorded is “{outcome_label(recorded)}”; the ratings suggest "
            f"“{outcome_label(supported)}”: {reasons[-1]} {then}"
        )


@rule(
    "QA-002",
    ERROR,
    "Every standard rated below Fully has a row in the improvement plan",
    source=FORM,
    fields={"qa": ("improvement_plan.plan",)},
)
def plan_covers(rec: Checked, ctx: Context) -> Iterator[str]:
    covered = {
        m for row in plan_rows(rec, ctx) for m in _STANDARD_ID.findall(str(row.get("area", "")).casefold())
    }
    missing = [sid for sid in below_fully(rec.data) if sid.casefold() not in covered]
    if missing:
        rated = ratings(rec.data)
        listed = ", ".join(f"{sid} ({RATING_WORDS[str(rated[sid])]})" for sid in missing)
        yield (
            f"No improvement plan row for {listed}: add a row for each, its area starting with the "
            "standard's number (`apforms improvement-plan from-qa` drafts them)."
        )


@rule(
    "QA-003",
    WARNING,
    "Every standard is rated",
    source=FORM,
    fields={"qa": tuple(f"{s.path}.rating" for s in standards())},
)
def all_rated(rec: Checked, ctx: Context) -> Iterator[Issue]:
    unrated = [s for s in standards() if rec.get(f"{s.path}.rating") is None]
    if unrated:
        yield Issue(
            f"{len(unrated)} standard(s) not rated ({', '.join(s.id for s in unrated)}): rate each "
            "Fully, Partially, Limited evidence or Not at all, with the evidence seen.",
            tuple(f"{s.path}.rating" for s in unrated),
        )


@rule(
    "QA-004",
    WARNING,
    "Every improvement plan row has actions, RAG, by when and who by",
    source=FORM,
    fields={doc: ("improvement_plan.plan",) for doc in ("qa", "improvement-plan")},
)
def plan_rows_complete(rec: Checked, ctx: Context) -> Iterator[Issue]:
    words = {"actions": "actions", "rag": "RAG", "by_when": "by when", "who_by": "who by"}
    for i, row in enumerate(rec.rows("improvement_plan.plan")):
        empty = [k for k in words if not row.get(k)]
        if empty:
            area = snippet(row.get("area"), 50)
            yield Issue(
                f"Improvement plan row {i + 1} (“{area}”): agree and record "
                f"{', '.join(words[k] for k in empty)} with the provider.",
                tuple(f"improvement_plan.plan[{i}].{k}" for k in empty),
            )


# --------------------------------------------------------------------------- duties added in 1.1

SAFEGUARDING_LEADS = "Derby AP guidance s9 (providers must have a designated safeguarding lead and a deputy)"
PHYSICAL_CHECK = (
    "Derby AP guidance s10 (points 7 and 10: more robust checks in higher-risk environments; a "
    "physical check of the provider and placement by a competent person)"
)
CURRENT_QA = (
    "Derby AP guidance s7 and s12 (commissioners quality-assure each provider, at least one visit "
    "a term) and s18 (QA outcome)"
)


@rule(
    "QA-005",
    WARNING,
    "A physical check of the premises by a competent person is recorded (higher-risk settings)",
    source=PHYSICAL_CHECK,
    fields={"qa": ("health_safety.physical_check.date", "health_safety.physical_check.by")},
)
def physical_check(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if not rec.asks("health_safety.physical_check.date"):
        return
    missing = tuple(
        p for p in ("health_safety.physical_check.date", "health_safety.physical_check.by") if not rec.get(p)
    )
    if not missing:
        return
    if rec.get("health_safety.higher_risk") is True:
        yield Issue(
            "A higher-risk environment with no physical check recorded: have a competent person "
            "check the premises and the placement (conditions, machinery guarding, fire "
            "precautions, protective equipment) and record who did it and when.",
            missing,
        )
    else:
        yield Issue(
            "No physical check of the provider and placement is recorded: the council strongly "
            "recommends one by a competent person in every environment.",
            missing,
            severity=INFO,
        )


@rule(
    "QA-006",
    WARNING,
    "The provider has a designated safeguarding lead and a deputy",
    source=SAFEGUARDING_LEADS,
    fields={"qa": ("contact.dsl.name", "contact.deputy_dsl.name")},
)
def safeguarding_leads(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if not rec.text("contact.dsl.name"):
        yield Issue(
            "No designated safeguarding lead is named: the provider must have one, trained for the role.",
            ("contact.dsl.name",),
        )
    if rec.asks("contact.deputy_dsl.name") and not rec.text("contact.deputy_dsl.name"):
        yield Issue(
            "No deputy designated safeguarding lead is named: the provider must have a trained "
            "deputy, so that concerns are heard when the lead is away.",
            ("contact.deputy_dsl.name",),
        )


@rule(
    "QA-007",
    ERROR,
    "A placement's provider has a QA outcome that is met and current (when QA records are checked with it)",
    source=CURRENT_QA,
    fields={"referral": ("placement.provider",), "commissioning": ("pupil.provider",)},
)
def provider_quality_assured(rec: Checked, ctx: Context) -> Iterator[Issue]:
    """Only when QA records are among the documents checked: checked alone, a referral says
    nothing about the provider's QA, and a missing record there is no finding."""
    records = ctx.of("qa")
    provider = (
        rec.text("placement.provider")
        if rec.document == "referral"
        else rec.text("pupil.provider") or rec.text("pupil.new_school")
    )
    if not records or not provider or registered_school(provider, ctx):
        return
    mine = [q for q in records if same_name(q.get("provider.name"), provider)]
    if not mine:
        yield Issue(
            f"No QA record for {provider} is among the QA records checked: quality-assure the "
            "provider (the council's QA framework) before placing a pupil there.",
            severity=WARNING,
        )
        return
    latest = max(mine, key=lambda q: _last_visit(q) or "")
    visited, outcome = as_date(_last_visit(latest)), latest.get("outcome.outcome")
    if outcome in NOT_MET:
        yield Issue(
            f"{provider}'s QA outcome is “{outcome_label(outcome)}” ({latest.source}): do not place "
            "a pupil there until a new QA visit finds the standards met."
        )
    elif outcome is None:
        yield Issue(f"{provider}'s QA record ({latest.source}) has no outcome yet.", severity=WARNING)
    months = int(ctx.setting("qa", "current_for_months"))
    if visited is not None and outcome not in NOT_MET and _months(visited, ctx.today) >= months:
        yield Issue(
            f"{provider}'s last QA visit was on {visited:%d/%m/%Y}, more than {months} months ago "
            f"as of {ctx.today:%d/%m/%Y}: visit again (at least once a term) and record the outcome.",
            severity=WARNING,
        )


def _months(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
