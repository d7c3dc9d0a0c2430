from __future__ import annotations

import pytest

from apforms.errors import DefinitionError
from apforms.model import definitions as d
from apforms.model.definitions import load_definition

from .conftest import ALL_DOCS, make_definition

GOOD = """
id: tiny
title: Tiny form
version: "1.2"
sections:
  - key: pupil
    label: Pupil
    fields:
      - {key: name, label: Name, type: text, required: true}
      - key: grades
        label: Grades
        type: table
        max_rows: 4
        columns:
          - {key: subject, label: Subject}
          - {key: rating, label: Rating, type: rating}
"""


def test_the_five_documents_are_defined() -> None:
    assert set(ALL_DOCS) == {"referral", "commissioning", "sla", "qa", "improvement-plan"}


def test_every_definition_loads_with_unique_paths(doc: str) -> None:
    definition = load_definition(doc)
    paths = [f.path for f in definition.walk()]
    assert len(paths) == len(set(paths))
    assert definition.id == doc
    assert all(f.label for f in definition.walk())


def test_inline_definition_builds_paths_and_scale_options() -> None:
    defn = make_definition(GOOD)
    assert defn.version_tuple == (1, 2)
    rating = defn.field_at("pupil.grades[2].rating")
    assert rating.path == "pupil.grades[].rating"
    assert [o.label for o in rating.options] == [
        "Fully",
        "Partially",
        "Limited evidence",
        "Not at all",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("type: text, required: true", "type: txt, required: true"), "unknown type 'txt'"),
        (
            ("- {key: subject, label: Subject}", "- {key: rating, label: Subject}"),
            "duplicate key 'rating'",
        ),
        (("type: rating}", "type: choice, codelist: nowhere}"), "unknown code list 'nowhere'"),
        (("max_rows: 4", "blank_rows: 2"), "needs max_rows"),
        (("label: Name,", "label: Name, colour: red,"), "unknown attribute(s) colour"),
        (("key: name,", "key: Name,"), "must be lower_snake_case"),
    ],
)
def test_bad_definitions_name_the_file_and_place(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(DefinitionError) as err:
        make_definition(text, "schemas/tiny.yaml")
    assert str(err.value).startswith("schemas/tiny.yaml: ")
    assert message in str(err.value)
    assert "sections[0] (pupil)" in str(err.value)


def test_unknown_document_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="unknown document 'nope'"):
        load_definition("nope")


def test_every_code_list_has_source_and_date() -> None:
    from apforms.model import codelists

    ids = codelists.codelist_ids()
    for needed in (
        "ethnicity",
        "sex",
        "sen_provision",
        "sen_type",
        "first_language",
        "cp_category",
        "attendance_code",
        "ap_setting_type",
    ):
        assert needed in ids
    for list_id in ids:
        cl = codelists.load_codelist(list_id)
        assert cl.source and cl.date and cl.codes
    attendance = codelists.load_codelist("attendance_code").labels()
    assert {"K", "B", "D", "C2"} <= set(attendance)


def test_year_group_is_the_census_list() -> None:
    from apforms.model import codelists, records

    years = codelists.load_codelist("year_group").labels()
    assert list(years) == ["N1", "N2", "R", *(str(n) for n in range(1, 15)), "X"]
    assert (years["R"], years["11"], years["X"]) == (
        "Reception",
        "Year 11",
        "National curriculum not followed",
    )
    defn = make_definition(
        """
id: tiny
title: Tiny
version: "1.0"
sections:
  - key: pupil
    label: Pupil
    fields:
      - {key: year, label: Year group, type: choice, codelist: year_group}
"""
    )
    for typed, code in (("Year 11", "11"), ("11", "11"), ("reception", "R"), ("N1", "N1"), ("X", "X")):
        result = records.validate(defn, {"pupil": {"year": typed}})
        assert result.ok and result.data == {"pupil": {"year": code}}, typed
    assert not records.validate(defn, {"pupil": {"year": "Year 15"}}).ok


def test_fixed_texts_live_in_definitions() -> None:
    sla = load_definition("sla")
    obligations = sla.field_at("terms.provider_obligations").default
    assert any("within 30 minutes" in o for o in obligations)
    assert any("after 3" in o for o in obligations)


def test_types_are_all_supported_somewhere() -> None:
    used = {f.type for doc in ALL_DOCS for f in load_definition(doc).walk()}
    assert used >= {
        d.TEXT,
        d.LONGTEXT,
        d.DATE,
        d.INTEGER,
        d.DECIMAL,
        d.MONEY,
        d.PERCENTAGE,
        d.EMAIL,
        d.PHONE,
        d.POSTCODE,
        d.UPN,
        d.YESNO,
        d.TICK,
        d.CHOICE,
        d.MULTICHOICE,
        d.RATING,
        d.RAG,
        d.FREQUENCY,
        d.LIST,
        d.GROUP,
        d.TABLE,
        d.SIGNATURE,
    }


def test_sensitive_and_addition_pass_from_groups_to_their_fields() -> None:
    defn = make_definition(
        GOOD.replace("    label: Pupil\n", "    label: Pupil\n    sensitive: true\n    addition: true\n")
    )
    assert defn.field_at("pupil.grades[].subject").sensitive
    assert defn.field_at("pupil.name").addition
    assert not load_definition("sla").field_at("provider.name").sensitive
