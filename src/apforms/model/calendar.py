"""School calendars: a council's term dates, and school days and weeks counted from them.

A school year ("2025-26") runs from 1 September to 31 August. Its terms (autumn, spring,
summer) are each one or more parts (half terms), each with a first and a last day. A weekday
in a part is a school day unless it is listed as a closure (a bank holiday in term, a day the
council closes its schools); weekends and the days between parts are holidays. A day of a
school year with no term dates is counted as a school day if it is a weekday, holidays
included, and every count says so: nothing is passed off as a school week that is not one.

A school week is 5 school days: a count of school days divided by 5. That counts part weeks
exactly (a term starting on a Thursday, a bank holiday), compares with a limit in weeks as
days (8 weeks: 40 school days), and with no term dates it is the calendar weeks' weekdays.
The format in a configuration file is in ``docs/school-calendar.md``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from apforms.errors import ConfigError

DAYS_A_WEEK = 5
_ONE = timedelta(days=1)
_YEAR_NAME = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR_KEYS = {"source", "read", "confirmed", "note", "terms", "closures"}
#: A holiday is named by the month it starts in (the tail of the summer holiday starts a year).
_HOLIDAYS = {"Christmas": (12, 1), "Easter": (3, 4), "summer": (7, 8, 9)}


def school_year_of(day: date) -> int:
    """The calendar year a day's school year starts in (1 September to 31 August)."""
    return day.year if day.month >= 9 else day.year - 1


def year_name(start: int) -> str:
    return f"{start}-{(start + 1) % 100:02d}"


@dataclass(frozen=True)
class Part:
    """One part of a term (a half term): its term's name, its place in the term, its days."""

    term: str
    index: int
    first: date
    last: date


@dataclass(frozen=True)
class SchoolYear:
    """One school year's term dates, where they come from, and whether they are confirmed."""

    start: int
    parts: tuple[Part, ...]
    closures: Mapping[date, str] = field(default_factory=dict)
    source: str = ""
    read: date | None = None
    confirmed: bool = True

    @property
    def name(self) -> str:
        return year_name(self.start)

    @property
    def terms(self) -> tuple[str, ...]:
        """The terms' names, in order."""
        return tuple(dict.fromkeys(p.term for p in self.parts))

    def in_term(self, day: date) -> bool:
        return any(p.first <= day <= p.last for p in self.parts)

    def is_school_day(self, day: date) -> bool:
        return day.weekday() < DAYS_A_WEEK and self.in_term(day) and day not in self.closures


@dataclass(frozen=True)
class SchoolTime:
    """School days counted over a span, and what the count left out or could not know."""

    days: int
    #: holidays of configured years inside the span, in order ("half-term", "Christmas", …)
    holidays: tuple[str, ...] = ()
    #: closure days in term inside the span, by why they are closures ("May Day bank holiday")
    closures: tuple[str, ...] = ()
    #: school years in the span with no term dates: every weekday of them was counted
    uncovered: tuple[str, ...] = ()
    #: school years in the span whose term dates are configured as not yet confirmed
    unconfirmed: tuple[str, ...] = ()
    #: whether any day of the span was in a school year with term dates
    covered: bool = True

    @property
    def weeks(self) -> float:
        return self.days / DAYS_A_WEEK

    def weeks_text(self) -> str:
        """ "7 school weeks"; "8 calendar weeks" with no term dates; "9.4 weeks" for a mixture."""
        number = f"{self.weeks:.1f}".removesuffix(".0")
        unit = "school weeks" if not self.uncovered else "calendar weeks" if not self.covered else "weeks"
        return f"{number} {unit.removesuffix('s') if number == '1' else unit}"

    def aside(self, *first: str) -> str:
        """`` (first; note)`` to follow a count in a message; "" when there is nothing to say."""
        said = "; ".join(x for x in (*first, self.note()) if x)
        return f" ({said})" if said else ""

    def note(self) -> str:
        """What was left out and why, for a finding's parentheses ("" when nothing needs saying)."""
        notes = [_left_out(self.holidays, self.closures), _uncovered(self.uncovered)]
        if self.unconfirmed:
            notes.append(f"the {_years(self.unconfirmed)} term dates are not confirmed")
        return "; ".join(n for n in notes if n)


@dataclass(frozen=True)
class Term:
    """One term in a sequence of terms: its first day, name ("autumn term 2025"), and whether
    its dates are only approximate (no term dates for its school year)."""

    first: date
    name: str
    approximate: bool = False


@dataclass(frozen=True)
class SchoolCalendar:
    """A council's school years by the year each starts in; empty: no term dates at all."""

    years: Mapping[int, SchoolYear] = field(default_factory=dict)

    def year(self, day: date) -> SchoolYear | None:
        return self.years.get(school_year_of(day))

    def is_school_day(self, day: date) -> bool:
        """A school day; a weekday, for a school year with no term dates."""
        year = self.year(day)
        return year.is_school_day(day) if year else day.weekday() < DAYS_A_WEEK

    def between(self, after: date, through: date) -> SchoolTime:
        """School days after ``after`` up to and including ``through`` (the time from one
        review to the next, or from the last to today)."""
        counter = _Counter()
        if through <= after:
            return counter.result()
        day = after + _ONE
        while True:
            start = school_year_of(day)
            end = through if start + 1 > date.max.year else min(through, date(start + 1, 8, 31))
            year = self.years.get(start)
            if year:
                counter.count_year(year, day, end)
            else:
                counter.count_weekdays(year_name(start), day, end)
            if end >= through:
                return counter.result()
            day = end + _ONE

    def within(self, first: date, last: date) -> SchoolTime:
        """School days from ``first`` to ``last``, both included (a placement's length)."""
        if first == date.min:
            return self.between(first, last)  # a year-1 date: one day too few, never an overflow
        return self.between(first - _ONE, last)

    def add_school_days(self, day: date, count: int) -> date | None:
        """The ``count``-th school day after ``day`` (weekdays in years with no term dates);
        None past the last date there is."""
        remaining = count
        try:
            while remaining > 0:
                day += _ONE
                remaining -= self.is_school_day(day)
        except OverflowError:
            return None
        return day

    def terms(self, first_year: int, last_year: int, approximate: Mapping[str, str]) -> list[Term]:
        """Every term of the school years from ``first_year`` to ``last_year``, in order: the
        configured ones, and for a year with none, terms starting on the approximate first
        days ``approximate`` gives ("MM-DD" by term name)."""
        out: list[Term] = []
        for start in range(first_year, last_year + 1):
            year = self.years.get(start)
            if year:
                firsts = {p.term: p.first for p in reversed(year.parts)}
                out.extend(Term(d, f"{t} term {d.year}") for t, d in firsts.items())
            elif start + 1 <= date.max.year:
                out.extend(_approximate_terms(start, approximate))
        return sorted(out, key=lambda t: t.first)


def term_index(terms: list[Term], day: date) -> int:
    """The term a day falls in: the last to start on or before it (a holiday belongs to the
    term before it), the first for a day before them all."""
    return max(bisect_right([t.first for t in terms], day) - 1, 0)


def _approximate_terms(start: int, firsts: Mapping[str, str]) -> Iterator[Term]:
    for name, month_day in firsts.items():
        month, day = (int(x) for x in month_day.split("-"))
        first = date(start if month >= 9 else start + 1, month, day)
        yield Term(first, f"{name} term {first.year}", approximate=True)


class _Counter:
    """Accumulates a :class:`SchoolTime` over consecutive segments of a span."""

    def __init__(self) -> None:
        self.days = 0
        self.holidays: list[str] = []
        self.closures: list[str] = []
        self.uncovered: list[str] = []
        self.unconfirmed: list[str] = []
        self.covered = False
        self.in_holiday = False

    def count_year(self, year: SchoolYear, first: date, last: date) -> None:
        self.covered = True
        if not year.confirmed:
            self.unconfirmed.append(year.name)
        day = first
        while day <= last:
            if day.weekday() < DAYS_A_WEEK:
                if not year.in_term(day):
                    if not self.in_holiday:
                        self.holidays.append(holiday_name(day))
                    self.in_holiday = True
                else:
                    self.in_holiday = False
                    if day in year.closures:
                        self.closures.append(year.closures[day])
                    else:
                        self.days += 1
            day += _ONE

    def count_weekdays(self, name: str, first: date, last: date) -> None:
        self.uncovered.append(name)
        self.in_holiday = False
        self.days += weekdays(first, last)

    def result(self) -> SchoolTime:
        return SchoolTime(
            self.days,
            tuple(self.holidays),
            tuple(self.closures),
            tuple(self.uncovered),
            tuple(self.unconfirmed),
            covered=self.covered or not self.uncovered,
        )


def holiday_name(first: date) -> str:
    """A holiday's name by the month of its first weekday: Christmas, Easter, summer, half-term."""
    return next((name for name, months in _HOLIDAYS.items() if first.month in months), "half-term")


def weekdays(first: date, last: date) -> int:
    """Mondays to Fridays from ``first`` to ``last``, both included."""
    if last < first:
        return 0
    weeks, extra = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return weeks * DAYS_A_WEEK + sum((start + i) % 7 < DAYS_A_WEEK for i in range(extra))


def _left_out(holidays: tuple[str, ...], closures: tuple[str, ...]) -> str:
    counts = dict.fromkeys(holidays, 0)
    for name in holidays:
        counts[name] += 1
    if len(counts) > 1 and all(n == 1 for n in counts.values()):
        items = ["the " + _and(list(counts)) + " holidays"]
    else:
        items = [f"the {name} holiday" if n == 1 else f"{n} {name} holidays" for name, n in counts.items()]
    if closures and len(closures) <= 2 and all(closures):
        items.extend(f"the {why}" for why in closures)
    elif closures:
        items.append(f"{len(closures)} closure day{'s' if len(closures) > 1 else ''} in term")
    if not items:
        return ""
    one = len(items) == 1 and sum(counts.values()) + len(closures) == 1
    return f"{_and(items)} {'is' if one else 'are'} not counted"


def _uncovered(years: tuple[str, ...]) -> str:
    if not years:
        return ""
    return f"no term dates are configured for {_years(years)}, so holidays in it are counted"


def _years(names: tuple[str, ...]) -> str:
    return _and(list(names)) if len(names) <= 3 else f"{names[0]} to {names[-1]}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --------------------------------------------------------------------------- configuration


def calendar_from_config(raw: Any, where: str) -> SchoolCalendar:
    """The ``school_calendar`` section of a configuration, checked: a :class:`ConfigError`
    naming the entry for anything wrong (``where`` names the file)."""
    if raw is None:
        return SchoolCalendar()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: school_calendar: must be a mapping of settings")
    years = raw.get("years") or {}
    if not isinstance(years, Mapping):
        raise ConfigError(f"{where}: school_calendar.years: must map school years (2025-26) to their terms")
    out: dict[int, SchoolYear] = {}
    for name, value in years.items():
        year = _school_year(str(name), value, f"{where}: school_calendar.years.{name}")
        out[year.start] = year
    return SchoolCalendar(dict(sorted(out.items())))


def _school_year(name: str, value: Any, where: str) -> SchoolYear:
    match = _YEAR_NAME.match(name)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ConfigError(f"{where}: name a school year by its two calendar years, as 2025-26")
    start = int(match[1])
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a mapping (source, terms, closures)")
    unknown = set(map(str, value)) - _YEAR_KEYS
    if unknown:
        known = ", ".join(sorted(_YEAR_KEYS))
        raise ConfigError(f"{where}: unknown {', '.join(sorted(unknown))} (use {known})")
    source = value.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"{where}.source: say where these term dates come from (a page, when read)")
    confirmed = value.get("confirmed", True)
    if not isinstance(confirmed, bool):
        raise ConfigError(f"{where}.confirmed: {confirmed!r} is not true or false")
    read = _date(value["read"], f"{where}.read") if value.get("read") is not None else None
    parts = _parts(value.get("terms"), start, f"{where}.terms")
    closures = _closures(value.get("closures"), SchoolYear(start, parts), where)
    return SchoolYear(start, parts, closures, source.strip(), read, confirmed)


def _parts(terms: Any, start: int, where: str) -> tuple[Part, ...]:
    if not isinstance(terms, Mapping) or not terms:
        raise ConfigError(f"{where}: give each term's parts, e.g. autumn: [[2025-09-04, 2025-10-24], …]")
    first_day, last_day = date(start, 9, 1), date(start + 1, 8, 31)
    parts: list[tuple[str, Part]] = []
    for term, spans in terms.items():
        if isinstance(spans, list) and len(spans) == 2 and not any(isinstance(s, list) for s in spans):
            spans = [spans]  # one part: [first, last]
        if not isinstance(spans, list) or not spans:
            raise ConfigError(f"{where}.{term}: a list of parts, each [first day, last day]")
        for i, span in enumerate(spans):
            at = f"{where}.{term}[{i}]"
            if not isinstance(span, list) or len(span) != 2:
                raise ConfigError(f"{at}: {span!r} is not [first day, last day]")
            first, last = _date(span[0], at), _date(span[1], at)
            if last < first:
                raise ConfigError(f"{at}: ends on {last}, before it starts on {first}")
            if first < first_day or last > last_day:
                raise ConfigError(
                    f"{at}: {first} to {last} is not in the school year {year_name(start)} "
                    f"({first_day} to {last_day})"
                )
            parts.append((f"{term}[{i}]", Part(str(term), i, first, last)))
    for (at_a, a), (at_b, b) in zip(parts, parts[1:], strict=False):
        if b.first <= a.last:
            raise ConfigError(
                f"{where}.{at_b}: {b.first} to {b.last} overlaps or comes before terms.{at_a} "
                f"({a.first} to {a.last}): list terms and their parts in date order, without overlaps"
            )
    return tuple(p for _, p in parts)


def _closures(raw: Any, year: SchoolYear, where: str) -> dict[date, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}.closures: must map days to why the schools are closed")
    out: dict[date, str] = {}
    for key, why in raw.items():
        at = f"{where}.closures.{key}"
        day = _date(key, at)
        if not year.in_term(day):
            raise ConfigError(f"{at}: not a day of term (a closure is a day in term when schools are closed)")
        if day.weekday() >= DAYS_A_WEEK:
            raise ConfigError(f"{at}: a {day:%A}, never a school day")
        out[day] = str(why or "")
    return out


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and type(value) is date:
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


def limit_days(weeks: float) -> int:
    """A limit in school weeks as school days (8 weeks: 40 days; part days round up)."""
    return math.ceil(weeks * DAYS_A_WEEK)
