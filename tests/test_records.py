from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apforms.errors import RecordError
from apforms.model import records
from apforms.model.definitions import load_definition
from apforms.model.types import MAX_ROWS

from .conftest import example_data, make_definition, record_text

TINY = make_definition(
    """
id: tiny
title: Tiny
version: "1.0"
sections:
  - key: pupil
    label: Pupil’s details
    fields:
      - {key: legal_name, label: Pupil’s legal name in full, type: text, required: true}
      - {key: upn, label: UPN, type: upn}
      - {key: dob, label: Date of birth, type: date}
      - {key: sex, label: Gender, type: choice, codelist: sex}
      - {key: fee, label: Fee, type: money}
      - {key: attendance, label: Attendance, type: percentage}
      - {key: postcode, label: Postcode, type: postcode}
      - {key: phone, label: Contact number, type: phone}
      - {key: lac, label: LAC, type: tick}
      - {key: fsm, label: Free school meals, type: yesno}
      - {key: needs, label: SEN type, type: multichoice, codelist: sen_type}
      - key: agencies
        label: Other agencies involved
        type: table
        max_rows: 2
        columns:
          - {key: name, label: Name of agency, required: true}
          - {key: email, label: Email, type: email}
"""
)


def check(data: dict, partial: bool = False) -> records.ValidationResult:
    return records.validate(TINY, {"pupil": data}, partial=partial)


def messages(result: records.ValidationResult) -> list[str]:
    return [str(p) for p in result.problems]


def test_example_records_are_valid_and_already_canonical(doc: str) -> None:
    data = example_data(doc)
    result = records.validate(load_definition(doc), data)
    assert messages(result) == []
    assert result.data == data


def test_every_leaf_of_every_definition_is_filled_in_its_example(doc: str) -> None:
    definition = load_definition(doc)
    data = example_data(doc)

    def has(fields, value, path=""):  # type: ignore[no-untyped-def]
        for f in fields:
            v = value.get(f.key) if isinstance(value, dict) else None
            p = f"{path}.{f.key}" if path else f.key
            if f.type == "table":
                assert isinstance(v, list) and len(v) >= 2, f"{p}: fewer than 2 rows"
                for row in v:
                    has(f.fields, row, p + "[]")
            elif f.fields:
                has(f.fields, v, p)
            else:
                assert v not in (None, "", []), f"{p} is empty in the example"

    has(definition.sections, data)


def test_missing_required_field_is_named_by_label_and_path() -> None:
    assert messages(check({})) == ["Pupil’s legal name in full (pupil.legal_name): Missing data"]


def test_partial_allows_required_gaps_but_lists_them() -> None:
    result = check({}, partial=True)
    assert result.ok
    assert [p.path for p in result.missing] == ["pupil.legal_name"]


def test_every_problem_is_reported_at_once() -> None:
    result = check(
        {
            "upn": "Q207000016049",
            "dob": "31/02/2026",
            "sex": "X",
            "fee": "12.345",
            "attendance": 120,
            "postcode": "XX",
            "phone": "12345",
            "fsm": "perhaps",
            "needs": ["ASD", "NOPE"],
            "agencies": [{"email": "not-an-email"}, {"name": "EWS"}, {"name": "CAMHS"}],
            "shoe_size": 5,
        }
    )
    paths = [p.path for p in result.problems]
    assert paths == [  # three agencies where layout 1 had room for two: forms now take any number
        "pupil.agencies[0].email",
        "pupil.agencies[0].name",
        "pupil.attendance",
        "pupil.dob",
        "pupil.fee",
        "pupil.fsm",
        "pupil.legal_name",
        "pupil.needs[1]",
        "pupil.phone",
        "pupil.postcode",
        "pupil.sex",
        "pupil.shoe_size",
        "pupil.upn",
    ]
    by_path = {p.path: str(p) for p in result.problems}
    assert by_path["pupil.upn"].startswith("UPN (pupil.upn): 'Q207000016049' is not a valid UPN")
    assert by_path["pupil.agencies[0].name"] == (
        "Other agencies involved, row 1 › Name of agency (pupil.agencies[0].name): Missing data"
    )


def test_tables_take_any_number_of_rows_up_to_the_bound() -> None:
    rows = [{"name": f"Agency {i}"} for i in range(MAX_ROWS)]
    assert check({"legal_name": "Zofia", "agencies": rows}).ok
    result = check({"legal_name": "Zofia", "agencies": [*rows, {"name": "One too many"}]})
    assert [str(p) for p in result.problems] == [
        "Other agencies involved (pupil.agencies): "
        f"At most {MAX_ROWS} rows; split the rest into another record"
    ]


@pytest.mark.parametrize(
    "upn",
    # DfE UPN v2.0's examples (shared/reference/domain-facts.md); a number retired by a
    # reorganisation (928 Northamptonshire, 909 Cumbria) stays valid, for a UPN keeps it for
    # life; a Welsh UPN (681 Cardiff, 660 Isle of Anglesey); an LA of 2023 (942 Cumberland)
    ["P207000016049", "V831200024001", "U83120002401A", "b801200005001", "H801200001001",
     "G80120000101A", "X928400512001", "Y909212015003", "A681200012001", "A660400012001",
     "T942230012001"],
)  # fmt: skip
def test_valid_upns_are_accepted_and_upper_cased(upn: str) -> None:
    result = check({"legal_name": "Zofia", "upn": upn})
    assert result.ok, messages(result)
    assert result.data["pupil"]["upn"] == upn.upper()


@pytest.mark.parametrize("upn", ["A950000178301", "V999200012001"])
def test_a_right_check_letter_with_an_unknown_la_number_is_not_refused(upn: str) -> None:
    """A950000178301 is valid (domain-facts), though 950 is in none of the DfE lists read: an
    LA number a table lacks never blocks a pupil's record (the checks say so: REF-013)."""
    from apforms.model import identifiers

    assert check({"legal_name": "Zofia", "upn": upn}).ok
    assert identifiers.unknown_la_number(upn) == upn[1:4]
    assert identifiers.unknown_la_number("V831200024001") is None  # Derby
    assert identifiers.unknown_la_number("X928400512001") is None  # retired, still valid
    assert identifiers.unknown_la_number("Q207000016049") is None  # invalid: VAL-000 says why


def test_the_la_of_a_upn_is_named_and_a_retired_number_is_dated() -> None:
    from apforms.model import identifiers

    assert identifiers.la_name("V831200024001") == "Derby"
    assert identifiers.la_name("A681200012001") == "Cardiff"
    assert identifiers.la_name("T942230012001") == "Cumberland"
    assert identifiers.la_name("A950000178301") is None
    northants = identifiers.upn_la("X928400512001")
    assert northants is not None
    assert (northants.name, northants.country, northants.retired) == (
        "Northamptonshire",
        "england",
        "2021-03-31",
    )
    table = identifiers.local_authorities()
    assert {"940", "941", "942", "943", "815", "933", "831"} <= set(table)
    assert table["909"].retired == "2023-03-31" and table["815"].retired is None
    assert {n for n, la in table.items() if la.country == "wales"} == {str(n) for n in range(660, 682)}


@pytest.mark.parametrize(
    ("upn", "why"),
    [
        (
            "Q207000016049",
            "not a valid UPN (the check letter does not match the rest: it should be P, not Q)",
        ),
        ("P20700001604", "a UPN has 13 characters, not 12"),
        ("I207000016049", "the first character of a UPN is its check letter"),
        ("P2070000160A9", "characters 2 to 12 of a UPN are digits"),
        ("U83120002401I", "the last character of a UPN is a digit, or a letter but I, O and S"),
    ],
)
def test_a_wrong_upn_is_refused_saying_which_part_is_wrong(upn: str, why: str) -> None:
    result = check({"legal_name": "Zofia", "upn": upn})
    assert any(why in m for m in messages(result)), messages(result)


def test_uk_dates_are_stored_iso_and_values_tidied() -> None:
    result = check(
        {
            "legal_name": "  Ján Čonka ",
            "dob": "07/03/2011",
            "sex": "Female",
            "fee": "£1,250.50",
            "attendance": "87.5%",
            "postcode": "de1  2aa",
            "fsm": "Yes",
            "needs": ["asd"],
        }
    )
    assert result.ok, messages(result)
    assert result.data == {
        "pupil": {
            "legal_name": "Ján Čonka",
            "dob": "2011-03-07",
            "sex": "F",
            "fee": 1250.5,
            "attendance": 87.5,
            "postcode": "DE1 2AA",
            "fsm": True,
            "lac": False,
            "needs": ["ASD"],
        }
    }


def _dates_by_strptime(text: str) -> str | None:
    """What the date type accepted before its quick path: the first of its formats that parses."""
    from datetime import datetime

    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


@pytest.mark.parametrize("year", [1, 999, 2023, 2024, 9999])
def test_dates_read_as_strptime_reads_them(year: int) -> None:
    """The usual spellings are parsed without strptime: the same dates, the same refusals
    (no such day, one digit, other digits, other separators, spaces around)."""
    texts = [
        " 2024-01-05 ",
        "2024-1-5",
        "5/1/2024",
        "٢٠٢٤-٠١-٠٥",
        "05.01.2024",
        "05-01-2024",
        "2024-01-05x",
        "",
    ]
    for month in range(0, 14):
        for day in (0, 1, 9, 28, 29, 30, 31, 32):
            texts += [f"{year:04d}-{month:02d}-{day:02d}", f"{day:02d}/{month:02d}/{year:04d}"]
    for text in texts:
        result = check({"legal_name": "Zofia", "dob": text})
        assert result.data["pupil"].get("dob") == _dates_by_strptime(text), text
        assert result.ok == (_dates_by_strptime(text) is not None or not text.strip()), text


def test_empty_values_are_dropped_and_defaults_applied() -> None:
    sla = load_definition("sla")
    data = records.canonical(sla, {"provider": {"name": "", "email": None}})
    assert data["provider"] == {}
    assert data["terms"]["school_obligations"][0] == "Provide a referral form for each pupil"


def test_record_files_are_checked() -> None:
    good = records.parse_record(record_text("sla", example_data("sla")))
    assert good.definition.id == "sla"
    for text, message in [
        ("not json", "not JSON"),
        ("[1, 2]", "not a record"),
        (json.dumps({"document": "passport", "version": "1.0", "data": {}}), "unknown document"),
        (json.dumps({"document": "sla", "version": "9.0", "data": {}}), "newer than this apforms"),
        (json.dumps({"document": "sla", "version": "1.0", "data": []}), "must be an object"),
    ]:
        with pytest.raises(RecordError, match=message):
            records.parse_record(text, "x.json")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(section=st.sampled_from(["pupil", "status", "sen", "timetable", "grades"]), value=_json)
def test_any_json_is_reported_never_raised(section: str, value: object) -> None:
    definition = load_definition("referral")
    data = example_data("referral")
    data[section] = value
    result = records.validate(definition, data)
    assert all(p.path and p.message for p in result.problems)


@settings(max_examples=100, deadline=None)
@given(key=st.sampled_from(["legal_name", "date_of_birth", "upn", "year_group", "gender"]), value=_json)
def test_any_json_in_a_leaf_is_reported_by_that_leaf(key: str, value: object) -> None:
    data = example_data("referral")
    data["pupil"][key] = value
    result = records.validate(load_definition("referral"), data)
    assert {p.path.split("[")[0] for p in result.problems} <= {f"pupil.{key}"}


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"7": 1}, "7", "Not a field of this form"),
        ({"provider": {"²": 1}}, "provider.²", "Not a field of this form"),  # a digit, not to int()
        ({"provision": {"hours_per_week": "1e99999999"}}, "provision.hours_per_week", "Too large"),
        ({"provision": {"total_cost": 1e27}}, "provision.total_cost", "Too large"),
        ({"provider": {"name": "Peak \ud800"}}, "provider.name", "broken character"),
    ],
)
def test_odd_values_are_problems_not_crashes(data: dict, path: str, message: str) -> None:
    result = records.validate(load_definition("sla"), data)
    found = {p.path: p.message for p in result.problems}
    assert message in found[path]


def test_a_key_given_twice_is_refused_by_name_not_won_by_the_last() -> None:
    text = record_text("referral", example_data("referral"))
    nested = text.replace('"legal_name": ', '"legal_name": "Zofia Nowak", "legal_name": ', 1)
    with pytest.raises(RecordError, match=r"x.json: the key 'legal_name' is given twice in one object"):
        records.parse_record(nested, "x.json")
    top = '{"document": "sla", "document": "referral", "version": "1.0", "data": {}}'
    with pytest.raises(RecordError, match="the key 'document' is given twice"):
        records.parse_record(top, "x.json")


LONG = "Riverside " * 5_000_000 + "Farm"  # 50 MB


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("school", "postcode", LONG),
        ("school", "phone", LONG),
        ("provision", "hours_per_week", LONG),
        ("provision", "dates", {"start": LONG, "end": "2026-12-18"}),
        ("provider", "registered_school", LONG),
    ],
)
def test_problems_quote_a_short_prefix_of_a_long_value(section: str, key: str, value: object) -> None:
    data = example_data("sla")
    data[section][key] = value
    problems = records.validate(load_definition("sla"), data).problems
    (problem,) = [p for p in problems if p.path.startswith(f"{section}.{key}")]
    # a value this long is refused by its field's length limit first, which quotes its start
    assert "50,000,004 characters" in problem.message
    assert "'Riverside Riverside Riverside Riverside " in problem.message
    assert len(problem.message) < 200


def test_a_long_version_or_document_is_quoted_short() -> None:
    for raw in (
        {"document": "x" * 10**6, "data": {}},
        {"document": "sla", "version": "v" * 10**6, "data": {}},
    ):
        with pytest.raises(RecordError) as info:
            records.record_from_obj(raw, "x.json")
        assert len(str(info.value)) < 300


def test_deeply_nested_json_is_not_a_record() -> None:
    with pytest.raises(RecordError, match="not a record .its JSON nests more than 32 levels deep"):
        records.parse_record("[" * 100_000 + "]" * 100_000)


def test_a_decimal_comma_is_refused_not_read_as_thousands() -> None:
    """'7,5%' is 7.5 written with a decimal comma, not 75; '£12,50' is not £1,250. Commas
    are taken only as thousands separators in groups of three."""
    from apforms.model.definitions import load_definition
    from apforms.model.records import validate

    definition = load_definition("sla")
    row = {"item": "Sessions", "sessions": 10, "rate": "£12,50", "amount": "£1,250.00"}
    result = validate(definition, {"provision": {"costings": [row]}}, partial=True)
    assert [p.path for p in result.problems] == ["provision.costings[0].rate"]
    assert "decimal point, not a comma" in result.problems[0].message
    row["rate"] = "£125"
    assert (
        validate(definition, {"provision": {"costings": [row]}}, partial=True).data["provision"]["costings"][
            0
        ]["amount"]
        == 1250
    )


# --------------------------------------------------------------------------- value lengths (issue 14)

LENGTHS = make_definition(
    """
id: lengths
title: Lengths
version: "1.0"
sections:
  - key: s
    label: Section
    fields:
      - {key: name, label: Pupil’s name, type: text, required: true}
      - {key: year, label: "Year:", type: text, max_length: 20}
      - {key: story, label: What happened, type: longtext}
      - {key: short, label: In brief, type: longtext, max_length: 100}
      - {key: email, label: Email, type: email}
      - {key: upn, label: UPN, type: upn}
      - {key: targets, label: Targets, type: list, max_rows: 3}
      - key: rows
        label: Agencies
        type: table
        max_rows: 2
        columns:
          - {key: name, label: Name, type: text}
"""
)


@pytest.mark.parametrize(
    ("key", "limit"),
    [("name", 500), ("year", 20), ("story", 20_000), ("short", 100), ("email", 254), ("upn", 500)],
)
def test_a_value_longer_than_its_type_or_field_allows_is_refused(key: str, limit: int) -> None:
    ok = records.validate(LENGTHS, {"s": {"name": "Ana", key: "a" * limit}})
    assert not any(p.path == f"s.{key}" and p.message.startswith("Too long") for p in ok.problems)
    result = records.validate(LENGTHS, {"s": {"name": "Ana", key: "a" * (limit + 1)}})
    problem = next(p for p in result.problems if p.path == f"s.{key}")
    shown = f"beginning '{'a' * 40}…'" if limit >= 40 else f"'{'a' * (limit + 1)}'"
    assert problem.message == f"Too long: {limit + 1:,} characters (at most {limit:,}): {shown}"


def test_a_50_mb_value_is_refused_at_once_naming_its_label_and_quoting_a_short_start() -> None:
    """Validation accepted 50 MB values, whose PDF then took hours to lay out and whose Word
    file opened nowhere."""
    import time

    story = "Lorem ipsum dolor sit amet.\n" * 1_800_000
    started = time.monotonic()
    result = records.validate(LENGTHS, {"s": {"name": "Ana", "story": story, "upn": "Q" * 10_000_000}})
    assert time.monotonic() - started < 2
    shown = [str(p) for p in result.problems]
    assert shown == [
        "What happened (s.story): Too long: 50,400,000 characters (at most 20,000): beginning "
        "'Lorem ipsum dolor sit amet. Lorem ipsum …'",
        f"UPN (s.upn): Too long: 10,000,000 characters (at most 500): beginning '{'Q' * 40}…'",
    ]
    assert "story" not in result.data["s"]


def test_an_item_or_a_cell_too_long_is_named_by_its_place() -> None:
    data = {
        "s": {"name": "Ana", "targets": ["fine", "t" * 2001], "rows": [{"name": "ok"}, {"name": "n" * 501}]}
    }
    result = records.validate(LENGTHS, data)
    assert [(p.path, p.label, p.message[:40]) for p in result.problems] == [
        ("s.rows[1].name", "Agencies, row 2 › Name", "Too long: 501 characters (at most 500): "),
        ("s.targets", "Targets", "Too long: item 2: 2,001 characters (at m"),
    ]


def test_a_required_value_too_long_is_too_long_not_missing() -> None:
    result = records.validate(LENGTHS, {"s": {"name": "x" * 600}})
    assert [p.message[:8] for p in result.problems if p.path == "s.name"] == ["Too long"]


def test_the_json_schema_says_each_field_s_longest_value() -> None:
    from apforms.model.json_schema import json_schema

    props = json_schema(LENGTHS)["properties"]["data"]["properties"]["s"]["properties"]
    assert {k: props[k].get("maxLength") for k in ("name", "year", "story", "short", "email")} == {
        "name": 500, "year": 20, "story": 20_000, "short": 100, "email": 254,
    }  # fmt: skip
    assert props["targets"]["items"]["maxLength"] == 2000


def test_every_example_and_case_is_within_the_lengths() -> None:
    for doc in ("referral", "commissioning", "sla", "qa", "improvement-plan"):
        result = records.validate(load_definition(doc), example_data(doc))
        assert not [p for p in result.problems if p.message.startswith("Too long")], doc
