"""Checks of the commissioning agreement (Derby AP guidance section 16): targets with support
from both sides, reviews at least half-termly, a next visit always set, a visit each term."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from apforms.model.calendar import limit_days, school_year_of, term_index, year_name
from apforms.rules import (
    INFO,
    WARNING,
    Checked,
    Context,
    Issue,
    as_date,
    normal_name,
    rule,
    same_name,
    snippet,
)

FORM = "Derby AP guidance s16 (commissioning agreement)"
TARGETS = f"{FORM} and s13 (all targets agreed by the pupil, the provider and the school)"
REVIEWS = "DfE Arranging AP (2025): reviews at least half-termly; " + FORM
VISITS = "Derby AP guidance s12 (a minimum of one visit per term); " + FORM


SUPPORT = {"support_school": "the school", "support_provider": "the provider"}


def placement_start(rec: Checked) -> date | None:
    """The first day at the provider: the placement start, else the date on roll."""
    return rec.date("pupil.placement_start") or rec.date("pupil.date_on_roll")


def placement_end(rec: Checked, ctx: Context) -> date | None:
    """The day the placement ended, when it is recorded and not after the day checked."""
    end = rec.date("outcome.end_date")
    return end if end is not None and end <= ctx.today else None


def review_dates(rec: Checked) -> list[date]:
    return sorted(d for r in rec.rows("reviews.reviews") if (d := as_date(r.get("date"))))


def _when(d: date) -> str:
    return f"{d:%d/%m/%Y}"


@rule(
    "COM-001",
    WARNING,
    "Every target has support from both the school and the provider",
    source=TARGETS,
    fields={
        "commissioning": (
            "target_setting.targets",
            "target_setting.targets[].support_school",
            "target_setting.targets[].support_provider",
        )
    },
)
def target_support(rec: Checked, ctx: Context) -> Iterator[Issue]:
    tables = [("target_setting.targets", "Target setting", rec.rows("target_setting.targets"))]
    for i in range(len(rec.rows("reviews.reviews"))):
        path = f"reviews.reviews[{i}].target_review"
        tables.append((path, f"Review {i + 1}", rec.rows(path.replace(f"[{i}]", f".{i}"))))
    if not tables[0][2]:
        yield Issue(
            "No targets are set: agree the targets, and the support from the school and the "
            "provider for each, with the provider before the placement begins.",
            ("target_setting.targets",),
        )
    for path, where, rows in tables:
        for n, row in enumerate(rows):
            empty = [k for k in ("support_school", "support_provider") if not row.get(k)]
            if empty:
                who = " and ".join(SUPPORT[k] for k in empty)
                target = snippet(row.get("target") or "(no wording)", 50)
                yield Issue(
                    f"{where}, target {n + 1} (“{target}”): record the support from {who}.",
                    tuple(f"{path}[{n}].{k}" for k in empty),
                )


@rule(
    "COM-002",
    WARNING,
    "A review at least every half term (a gap of more than 8 school weeks; configurable)",
    source=REVIEWS,
    fields={"commissioning": ("reviews.reviews[].date", "pupil.placement_start")},
)
def review_gaps(rec: Checked, ctx: Context) -> Iterator[str]:
    weeks = float(ctx.setting("reviews", "max_weeks_between_reviews"))
    most, calendar = limit_days(weeks), ctx.config.calendar
    every = f"review placements at least every half term (at most {weeks:g} school weeks apart)"
    start = placement_start(rec)
    dates = review_dates(rec)
    points = ([start] if start else []) + [d for d in dates if not start or d >= start]
    for a, b in zip(points, points[1:], strict=False):
        gap = calendar.between(a, b)
        if gap.days > most:
            what = "the placement start" if a == start and a not in dates else "the review"
            yield (
                f"{gap.weeks_text()} between {what} on {_when(a)} and the review on {_when(b)}"
                f"{gap.aside()}: {every}."
            )
    last = dates[-1] if dates else start
    ended = placement_end(rec, ctx)
    until = ended or ctx.today
    if last is None or until <= last:
        return
    since = calendar.between(last, until)
    if since.days <= most:
        return
    if ended:
        yield (
            f"No review recorded between {_when(last)} and the end of the placement on {_when(ended)}"
            f"{since.aside(since.weeks_text())}: {every}."
        )
        return
    ago = since.aside(f"{since.weeks_text()} ago, as of {_when(ctx.today)}")
    if not dates:
        yield (
            f"No review recorded since the placement started on {_when(last)}{ago}: hold and record "
            "a review with the provider, the pupil and the parents."
        )
    else:
        due = calendar.add_school_days(last, most)
        yield (
            f"No review recorded since {_when(last)}{ago}: "
            + (f"one was due by {_when(due)}; " if due else "")
            + f"{every}, or record that it has ended."
        )


@rule(
    "COM-003",
    WARNING,
    "A date of next visit is set",
    source=FORM,
    fields={"commissioning": ("setup_meeting.next_visit", "reviews.reviews[].next_visit")},
)
def next_visit(rec: Checked, ctx: Context) -> Iterator[Issue]:
    reviews = rec.rows("reviews.reviews")
    if reviews:
        last = max(range(len(reviews)), key=lambda i: str(reviews[i].get("date") or ""))
        planned = as_date(reviews[last].get("next_visit"))
        if not reviews[last].get("next_visit"):
            yield Issue(
                f"The latest review ({reviews[last].get('date') or f'review {last + 1}'}) sets no date "
                "of next visit: agree and record one.",
                (f"reviews.reviews[{last}].next_visit",),
            )
        elif planned is not None and planned < (ended := placement_end(rec, ctx) or ctx.today):
            when = (
                f"before the placement ended on {_when(ended)}"
                if ended < ctx.today
                else f"as of {_when(ended)}"
            )
            yield Issue(
                f"The next visit was planned for {_when(planned)} and no review after it is recorded "
                f"({when}): record the visit, or agree and record a new date.",
                (f"reviews.reviews[{last}].next_visit",),
            )
    elif not rec.get("setup_meeting.next_visit"):
        yield Issue(
            "No date of next visit after the set-up meeting: agree and record one.",
            ("setup_meeting.next_visit",),
        )


#: Terms counted at most (20 school years): a mistyped year (9999) must not list thousands.
MOST_YEARS = 20


@rule(
    "COM-004",
    WARNING,
    "At least one visit a term (Derby; configurable)",
    source=VISITS,
    fields={"commissioning": ("pupil.setup_visit_date", "reviews.reviews[].date")},
)
def visit_each_term(rec: Checked, ctx: Context) -> Iterator[str]:
    least = int(ctx.setting("reviews", "visits_per_term_at_least"))
    start = placement_start(rec) or rec.date("pupil.setup_visit_date")
    visits = [d for d in [rec.date("pupil.setup_visit_date"), *review_dates(rec)] if d]
    if not start or not visits:
        return
    # The configured terms; for a school year with none, approximate first days of term.
    first_year = school_year_of(start)
    last_year = min(school_year_of(max(visits)), first_year + MOST_YEARS - 1)
    terms = ctx.config.calendar.terms(first_year, last_year, ctx.setting("reviews", "term_starts"))
    if not terms:
        return
    count = Counter(term_index(terms, d) for d in visits if school_year_of(d) >= first_year)
    for i in range(term_index(terms, start), term_index(terms, max(visits)) + 1):
        term = terms[i]
        if count[i] < least:
            why = f"no term dates are configured for {year_name(school_year_of(term.first))}"
            yield (
                f"No visit recorded in the {term.name}"
                + (f" (its dates are approximate: {why})" if term.approximate else "")
                + f": visit the provider at least {least} time(s) a term."
            )


@rule(
    "COM-005",
    WARNING,
    "The set-up visit is before the placement begins",
    source=FORM,
    fields={"commissioning": ("pupil.setup_visit_date", "pupil.placement_start")},
)
def setup_before_start(rec: Checked, ctx: Context) -> Iterator[str]:
    setup, start = rec.date("pupil.setup_visit_date"), placement_start(rec)
    if setup and start and setup > start:
        yield (
            f"The set-up visit ({_when(setup)}) is after the placement began ({_when(start)}): the "
            "aims and targets are to be agreed with the provider before the placement begins."
        )


@rule(
    "COM-006",
    WARNING,
    "The placement start agrees with the referral for the same pupil and provider",
    source=f"{FORM}; Derby AP guidance s15 (referral form)",
    fields={"commissioning": ("pupil.placement_start",)},
)
def start_matches_referral(rec: Checked, ctx: Context) -> Iterator[str]:
    start = rec.date("pupil.placement_start")
    for ref in matching_referrals(rec, ctx):
        other = ref.date("placement.start_date")
        if start and other and other != start:
            yield (
                f"The placement starts on {_when(start)} here but on {_when(other)} in the referral "
                f"({ref.source}): correct whichever is wrong."
            )


# --------------------------------------------------------------------------- duties added in 1.2

LA_TOLD = "DfE Arranging AP (2025): schools inform the local authority of placements"
ASSESSMENT = "Derby AP guidance s13 (providers: an initial assessment within one week of referral)"
PARENTS = "Derby AP guidance s8 (involving parents in regular reviews of the placement)"
DESTINATION = "Derby AP guidance s8 (careers guidance; for Year 11s, the next destination recorded)"
_ASSESSMENT_DAYS = 7


def matching_referrals(rec: Checked, ctx: Context) -> list[Checked]:
    """The referrals given for the same pupil at the same provider."""
    provider = rec.get("pupil.provider") or rec.get("pupil.new_school")
    return [
        ref
        for ref in ctx.of("referral")
        if normal_name(ref.get("pupil.legal_name")) == normal_name(rec.get("pupil.name"))
        and same_name(ref.get("placement.provider"), provider)
    ]


@rule(
    "COM-007",
    WARNING,
    "The local authority has been told of the placement",
    source=LA_TOLD,
    fields={"commissioning": ("pupil.la_informed",)},
)
def la_told(rec: Checked, ctx: Context) -> Iterator[Issue]:
    start = placement_start(rec)
    if not rec.asks("pupil.la_informed") or rec.date("pupil.la_informed") or start is None:
        return
    if start <= ctx.today:
        yield Issue(
            f"The placement began on {_when(start)} and no date is recorded for telling the local "
            "authority: tell it (the LA tracks every pupil not in full-time school) and record the date."
        )
    else:
        yield Issue(
            f"Tell the local authority about the placement before it begins on {_when(start)}, and "
            "record the date.",
            severity=INFO,
        )


@rule(
    "COM-008",
    WARNING,
    "The provider's initial assessment is within a week of referral",
    source=ASSESSMENT,
    fields={"commissioning": ("pupil.initial_assessment",)},
)
def initial_assessment(rec: Checked, ctx: Context) -> Iterator[str]:
    if not rec.asks("pupil.initial_assessment"):
        return
    referred = min(
        (d for r in matching_referrals(rec, ctx) if (d := r.date("pupil.date_of_referral"))), default=None
    )
    base, what = (referred, "the referral") if referred else (placement_start(rec), "the placement start")
    if base is None:
        return
    due = base + timedelta(days=_ASSESSMENT_DAYS)
    done = rec.date("pupil.initial_assessment")
    if done is None and ctx.today > due:
        yield (
            f"No initial assessment is recorded, and it was due by {_when(due)} (a week after {what} "
            f"on {_when(base)}): ask the provider for it and record its date."
        )
    elif done is not None and done > due:
        yield (
            f"The initial assessment ({_when(done)}) was {(done - base).days} days after {what} "
            f"({_when(base)}): the guidance expects it within a week. Raise it with the provider."
        )


@rule(
    "COM-009",
    WARNING,
    "Parents/carers take part in the reviews",
    source=PARENTS,
    fields={"commissioning": ("reviews.reviews[].parents_involved",)},
)
def parents_in_reviews(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if not rec.asks("reviews.reviews[].parents_involved"):
        return
    for n, row in enumerate(rec.rows("reviews.reviews")):
        when = as_date(row.get("date"))
        name = f"Review {n + 1}" + (f" ({_when(when)})" if when else "")
        path = (f"reviews.reviews[{n}].parents_involved",)
        if row.get("parents_involved") is False:
            yield Issue(
                f"{name}: the parents/carers did not take part. Involve them in the next review, "
                "or record why they could not.",
                path,
            )
        elif row.get("parents_involved") is None:
            yield Issue(f"{name}: record whether the parents/carers took part.", path, severity=INFO)


@rule(
    "COM-010",
    WARNING,
    "A Year 11 pupil has a careers and post-16 plan and a recorded next destination",
    source=DESTINATION,
    fields={"commissioning": ("setup_meeting.careers", "outcome.destination")},
)
def year_11_destination(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if school_year(rec.text("pupil.year")) != 11:
        return
    if not rec.text("setup_meeting.careers"):
        yield Issue(
            "The pupil is in Year 11 and no careers or post-16 plan is agreed: agree one with the "
            "provider (the pupil's full entitlement to careers guidance) so they do not become NEET.",
            ("setup_meeting.careers",),
        )
    if rec.asks("outcome.destination") and not rec.text("outcome.destination"):
        yield Issue(
            "Record the pupil's next destination (education, employment or training) when it is "
            "known: the guidance treats it as an indicator of the provision's quality.",
            ("outcome.destination",),
            severity=INFO,
        )


def school_year(text: str) -> int | None:
    """A year group written as "11", "Year 11" or "Y11"; ``None`` for R, N1, X or none."""
    match = re.fullmatch(r"(?:year|yr|y)?\s*(\d{1,2})", text.strip(), re.IGNORECASE)
    return int(match[1]) if match else None
