from __future__ import annotations

from datetime import date

import pytest

from apforms.archive import retention
from apforms.archive.retention import REVIEW, add_years, parties, retention_for
from apforms.model.definitions import load_definition

from .archive_support import example


def test_sla_is_kept_six_years_after_it_ends() -> None:
    data = {"provision": {"dates": {"start": "2026-09-07", "end": "2026-12-18"}}}
    kept = retention_for("sla", data, {})
    assert kept.until == date(2032, 12, 18)
    assert kept.action == "dispose"
    assert not kept.is_due(date(2032, 12, 18))  # kept *until* that day
    assert kept.is_due(date(2032, 12, 19))
    assert kept.basis == ("Contracts and SLAs: end 2026-12-18 + 6 years",)


def test_referral_is_kept_until_the_pupils_25th_birthday() -> None:
    data = {"pupil": {"date_of_birth": "2011-11-23"}, "sen": {"ehcp": "N/A"}, "status": {}}
    assert retention_for("referral", data, {}).until == date(2036, 11, 23)


def test_ehcp_referral_is_kept_31_years_from_birth() -> None:
    data = {"pupil": {"date_of_birth": "2011-11-23"}, "sen": {"sen_provision": "E"}}
    kept = retention_for("referral", data, {})
    assert kept.until == date(2042, 11, 23)
    assert kept.action == "dispose"


def test_child_protection_referral_is_reviewed_not_destroyed() -> None:
    data = {"pupil": {"date_of_birth": "2011-11-23"}, "status": {"child_protection": True}}
    kept = retention_for("referral", data, {})
    assert (kept.until, kept.action) == (date(2036, 11, 23), REVIEW)
    assert "then review" in kept.describe()


def test_example_referral_ehcp_assessment_and_cp_take_the_longest_and_review() -> None:
    # "Undergoing EHC needs assessment" in the EHCP box, and the CP box ticked
    kept = retention_for("referral", example("referral"), {})
    assert (kept.until, kept.action) == (date(2042, 11, 23), REVIEW)
    assert len(kept.basis) == 3


def test_commissioning_needs_a_date_of_birth_given_as_a_ref() -> None:
    data = example("commissioning")
    unknown = retention_for("commissioning", data, {})
    assert unknown.until is None and unknown.missing == ("date_of_birth",)
    assert not unknown.is_due(date(2200, 1, 1))  # never due while unknown
    assert "--ref" in unknown.describe()
    assert retention_for("commissioning", data, {"date_of_birth": "23/11/2011"}).until == date(2036, 11, 23)


def test_a_ref_overrides_the_record() -> None:
    data = {"provision": {"dates": {"end": "2026-12-18"}}}
    assert retention_for("sla", data, {"end": "2027-07-16"}).until == date(2033, 7, 16)
    assert retention_for(
        "referral", {"pupil": {"date_of_birth": "2011-01-01"}}, {"ehcp": "yes"}
    ).until == date(2042, 1, 1)


def test_qa_uses_the_latest_visit() -> None:
    kept = retention_for("qa", example("qa"), {})
    assert kept.until == date(2032, 2, 27)  # signed 2026-02-27, after the last visit (24th)


def test_29_february_becomes_28_february() -> None:
    assert add_years(date(2012, 2, 29), 25) == date(2037, 2, 28)
    assert add_years(date(2012, 2, 29), 4) == date(2016, 2, 29)


def test_parties_from_the_record_and_refs() -> None:
    assert parties("sla", example("sla"), {}) == {
        "provider": "Riverside Farm Learning CIC",
        "school": "Sinfin Moor Academy",
    }
    ref = parties("referral", example("referral"), {"provider": "Ścieżki Learning"})
    assert ref["upn"] == "W831400516007" and ref["provider"] == "Ścieżki Learning"
    assert parties("sla", None, {"school": "Normanton Vale Academy"}) == {"school": "Normanton Vale Academy"}


def test_every_document_has_rules_and_every_path_exists_in_its_definition() -> None:
    cfg = retention.load_config()
    from apforms.model.definitions import document_ids

    assert set(cfg.documents) == set(document_ids())
    for doc_id, spec in cfg.documents.items():
        definition = load_definition(doc_id)
        assert spec.rules, doc_id
        for paths in [*spec.facts.values(), *spec.parties.values()]:
            for path in paths:
                field_path = path.split("=")[0].strip()
                definition.field_at(field_path)  # KeyError if a form was changed under us
        for rule in spec.rules:
            assert rule.after in spec.facts or doc_id == "commissioning", (doc_id, rule.id)


@pytest.mark.parametrize("name", ["end", "date_of_birth", "ehcp", "child_protection", "upn", "last_visit"])
def test_known_ref_names(name: str) -> None:
    assert name in retention.known_ref_names()
