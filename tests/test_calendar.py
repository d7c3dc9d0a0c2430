"""School calendars: school days and weeks from term dates (Derby's configured 2025-26, and
made-up years for the format), what happens outside the configured years, and the
configuration's errors, each named by its entry."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from apforms import api
from apforms.errors import ConfigError
from apforms.model.calendar import SchoolCalendar, calendar_from_config, term_index, weekdays
from apforms.model.config import load_config, read_config

D = date
DERBY = load_config().calendar
#: a made-up school year, to test the format (not any council's dates)
MADE_UP = {
    "source": "made up for the tests",
    "terms": {
        "autumn": [["2030-09-02", "2030-10-25"], ["2030-11-04", "2030-12-20"]],
        "spring": [["2031-01-06", "2031-02-14"], ["2031-02-24", "2031-04-04"]],
        "summer": [["2031-04-22", "2031-05-23"], ["2031-06-02", "2031-07-22"]],
    },
}


def made_up(**changes: Any) -> SchoolCalendar:
    return calendar_from_config({"years": {"2030-31": {**MADE_UP, **changes}}}, "council.yaml")


def test_derby_2025_26_has_the_published_195_days_and_is_marked_unconfirmed() -> None:
    year = DERBY.years[2025]
    assert year.name == "2025-26" and year.terms == ("autumn", "spring", "summer")
    assert not year.confirmed and "calow.derbyshire.sch.uk" in year.source and year.read == D(2026, 12, 1)
    whole = DERBY.within(D(2025, 9, 1), D(2026, 8, 31))
    assert whole.days == 195  # teaching days "usually total 195" (Derby), INSET days included
    assert whole.closures == ("May Day bank holiday",) and whole.unconfirmed == ("2025-26",)


def test_holidays_are_not_counted() -> None:
    # reviews at the end of each half term: 8 calendar weeks apart, 7 school weeks
    gap = DERBY.between(D(2025, 10, 24), D(2025, 12, 19))
    assert gap.days == 35 and gap.weeks == 7 and gap.weeks_text() == "7 school weeks"
    assert gap.holidays == ("half-term",) and not gap.uncovered
    assert gap.note() == "the half-term holiday is not counted; the 2025-26 term dates are not confirmed"
    christmas = DERBY.between(D(2025, 12, 19), D(2026, 1, 9))
    assert christmas.days == 5 and christmas.holidays == ("Christmas",)
    assert christmas.weeks_text() == "1 school week"
    spring = DERBY.between(D(2026, 3, 20), D(2026, 4, 17))
    assert spring.days == 10 and spring.holidays == ("Easter",)


def test_term_boundaries_and_closures() -> None:
    assert DERBY.between(D(2025, 10, 24), D(2025, 11, 3)).days == 1  # Monday back
    assert DERBY.between(D(2025, 10, 23), D(2025, 10, 24)).days == 1  # the last day of a half term
    assert DERBY.between(D(2025, 10, 24), D(2025, 10, 31)).days == 0  # all holiday
    assert DERBY.within(D(2025, 9, 4), D(2025, 9, 4)).days == 1  # both days included
    assert DERBY.within(D(2025, 9, 1), D(2025, 9, 3)).days == 0  # before the first day of term
    bank = DERBY.between(D(2026, 5, 1), D(2026, 5, 5))
    assert bank.days == 1 and "the May Day bank holiday is not counted" in bank.note()
    assert not DERBY.is_school_day(D(2026, 5, 4)) and DERBY.is_school_day(D(2026, 5, 5))
    assert not DERBY.is_school_day(D(2025, 11, 8))  # a Saturday
    assert DERBY.between(D(2025, 12, 1), D(2025, 11, 1)).days == 0  # backwards: nothing


def test_outside_the_configured_years_weeks_are_calendar_weeks_and_it_is_said() -> None:
    autumn = DERBY.between(D(2026, 10, 22), D(2026, 12, 17))  # 2026-27: no dates configured
    assert autumn.days == 40 and autumn.weeks_text() == "8 calendar weeks"
    assert autumn.uncovered == ("2026-27",) and autumn.holidays == ()
    assert autumn.note() == "no term dates are configured for 2026-27, so holidays in it are counted"
    mixed = DERBY.between(D(2026, 4, 20), D(2026, 12, 1))
    assert mixed.weeks_text() == "25.6 weeks"  # school weeks to August, calendar weeks after
    assert "the half-term and summer holidays and the May Day bank holiday are not counted" in mixed.note()
    assert "no term dates are configured for 2026-27" in mixed.note()
    assert SchoolCalendar().between(D(2025, 10, 24), D(2025, 12, 19)).weeks_text() == "8 calendar weeks"
    many = DERBY.between(D(2026, 1, 1), D(9999, 12, 31))  # a mistyped year: quick, no overflow
    assert many.uncovered[0] == "2026-27" and "2026-27 to 9999-00" in many.note()


def test_adding_school_days() -> None:
    assert DERBY.add_school_days(D(2025, 10, 24), 1) == D(2025, 11, 3)  # over the half term
    assert DERBY.add_school_days(D(2025, 12, 19), 2) == D(2026, 1, 6)  # over Christmas
    assert DERBY.add_school_days(D(2026, 5, 1), 1) == D(2026, 5, 5)  # over the bank holiday
    assert DERBY.add_school_days(D(2025, 10, 24), 0) == D(2025, 10, 24)
    assert DERBY.add_school_days(D(2026, 10, 23), 2) == D(2026, 10, 27)  # 2026-27: weekdays
    assert DERBY.add_school_days(D(9999, 12, 30), 5) is None
    assert weekdays(D(2026, 10, 19), D(2026, 10, 25)) == 5 and weekdays(D(2026, 10, 25), D(2026, 10, 19)) == 0


def test_terms_in_order_configured_or_approximate() -> None:
    approximate = {"spring": "01-01", "summer": "04-01", "autumn": "09-01"}
    terms = DERBY.terms(2025, 2026, approximate)
    assert [(t.name, t.approximate) for t in terms] == [
        ("autumn term 2025", False),
        ("spring term 2026", False),
        ("summer term 2026", False),
        ("autumn term 2026", True),
        ("spring term 2027", True),
        ("summer term 2027", True),
    ]
    assert terms[term_index(terms, D(2026, 4, 6))].name == "spring term 2026"  # Easter holiday
    assert terms[term_index(terms, D(2026, 4, 13))].name == "summer term 2026"
    assert terms[term_index(terms, D(2025, 9, 2))].name == "autumn term 2025"  # before term starts


def test_a_made_up_year_in_the_format() -> None:
    calendar = made_up(closures={"2031-05-05": "Early May bank holiday"})
    assert calendar.within(D(2030, 9, 1), D(2031, 8, 31)).days == 196 - 1  # less the bank holiday
    one_part = made_up(terms={"autumn": ["2030-09-02", "2030-12-20"]})  # a term with no half term
    assert one_part.within(D(2030, 9, 1), D(2030, 12, 31)).days == 80
    assert calendar.years[2030].confirmed  # a council's own dates: confirmed unless it says not


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"terms": {"autumn": [["2030-09-02", "2030-10-25"], ["2030-11-04", "2030-11-01"]]}},
            r"council\.yaml: school_calendar\.years\.2030-31\.terms\.autumn\[1\]: ends on 2030-11-01, "
            r"before it starts on 2030-11-04",
        ),
        (
            {"terms": {"autumn": [["2030-09-02", "2030-12-20"]], "spring": [["2030-12-15", "2031-03-28"]]}},
            r"terms\.spring\[0\]: 2030-12-15 to 2031-03-28 overlaps or comes before terms\.autumn\[0\]",
        ),
        (
            {"terms": {"spring": [["2031-01-06", "2031-03-28"]], "autumn": [["2030-09-02", "2030-12-20"]]}},
            r"terms\.autumn\[0\]: 2030-09-02 to 2030-12-20 overlaps or comes before terms\.spring\[0\]",
        ),
        (
            {"terms": {"summer": [["2031-06-02", "2031-09-05"]]}},
            r"terms\.summer\[0\]: 2031-06-02 to 2031-09-05 is not in the school year 2030-31 "
            r"\(2030-09-01 to 2031-08-31\)",
        ),
        ({"terms": {"autumn": [["2030-09-02", "2030-13-20"]]}}, r"autumn\[0\]: '2030-13-20' is not a date"),
        (
            {"terms": {"autumn": [["2030-09-02"]]}},
            r"autumn\[0\]: \['2030-09-02'\] is not \[first day, last day\]",
        ),
        ({"terms": {}}, r"2030-31\.terms: give each term's parts"),
        ({"closures": {"2030-10-30": "INSET"}}, r"closures\.2030-10-30: not a day of term"),
        ({"closures": {"2030-09-07": "INSET"}}, r"closures\.2030-09-07: a Saturday, never a school day"),
        ({"source": ""}, r"2030-31\.source: say where these term dates come from"),
        ({"confirmed": "yes"}, r"2030-31\.confirmed: 'yes' is not true or false"),
        ({"terms_": {}}, r"2030-31: unknown terms_"),
    ],
)
def test_configuration_errors_name_the_entry(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        made_up(**changes)


def test_bad_school_years_and_sections() -> None:
    with pytest.raises(ConfigError, match=r"school_calendar\.years\.2030-32: name a school year"):
        calendar_from_config({"years": {"2030-32": MADE_UP}}, "c.yaml")
    with pytest.raises(ConfigError, match=r"c\.yaml: school_calendar: must be a mapping"):
        calendar_from_config(["2030-31"], "c.yaml")
    with pytest.raises(ConfigError, match=r"school_calendar\.years: must map school years"):
        calendar_from_config({"years": ["2030-31"]}, "c.yaml")


def test_a_configuration_file_is_checked_when_read(tmp_path: Path) -> None:
    path = tmp_path / "council.yaml"
    path.write_text(
        'school_calendar:\n  years:\n    "2030-31":\n      source: made up\n'
        "      terms:\n        autumn: [[2030-09-02, 2030-10-25], [2030-10-20, 2030-12-20]]\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ConfigError, match=r"council\.yaml: school_calendar\.years\.2030-31\.terms\.autumn\[1\]"
    ):
        read_config(path)
    path.write_text("reviews: {max_weeks_between_reviews: 8}\n", encoding="utf-8")
    assert read_config(path).calendar == SchoolCalendar()  # no term dates: calendar weeks


def test_a_starting_configuration_has_no_term_dates_but_says_where_to_add_them(tmp_path: Path) -> None:
    path = api.config_init(tmp_path / "council.yaml", "Borsetshire County Council")
    text = path.read_text(encoding="utf-8")
    assert "calow" not in text and "2025-09-04" not in text and "docs/school-calendar.md" in text
    assert read_config(path).calendar == SchoolCalendar()
