from __future__ import annotations

import pytest

from apforms.errors import ConfigError
from apforms.model.config import RegistrationThresholds, load_config
from apforms.rules.registration import Attendance, registration_flags

T = RegistrationThresholds()


def pupils(n: int, hours: float, provider: str = "Peak Boxing Academy", **traits: bool) -> list[Attendance]:
    return [Attendance(provider, f"P{i}", hours, school="Sinfin Moor Academy", **traits) for i in range(n)]


def flags(rows: list[Attendance], registered: bool = False) -> dict:
    return registration_flags(rows, {"Peak Boxing Academy": registered}, T)


def test_five_full_time_pupils_flag_an_unregistered_provider() -> None:
    result = flags(pupils(5, 18.5))
    assert list(result) == ["Peak Boxing Academy"]
    flag = result["Peak Boxing Academy"]
    assert flag.full_time_pupils == 5
    assert flag.reasons == [
        "5 pupils full-time (more than 18 hours a week); 5 or more must be at a registered school"
    ]


def test_just_below_each_threshold_is_not_flagged() -> None:
    assert flags(pupils(4, 25)) == {}  # four pupils
    assert flags(pupils(5, 18)) == {}  # exactly 18 hours is not more than 18
    assert flags(pupils(1, 18, looked_after=True, ehcp=True)) == {}


def test_one_looked_after_pupil_full_time_is_enough() -> None:
    result = flags(pupils(1, 20, looked_after=True))
    assert result["Peak Boxing Academy"].looked_after == 1
    assert "looked after" in result["Peak Boxing Academy"].reasons[0]


def test_one_pupil_with_an_ehc_plan_full_time_is_enough() -> None:
    result = flags(pupils(1, 20, ehcp=True))
    assert result["Peak Boxing Academy"].ehcp == 1
    assert "EHC plan" in result["Peak Boxing Academy"].reasons[0]


def test_registered_providers_are_never_flagged() -> None:
    assert flags(pupils(9, 25, looked_after=True), registered=True) == {}


def test_hours_of_one_pupil_add_up_across_schools() -> None:
    rows = [
        Attendance("Peak Boxing Academy", "P1", 10, school="A", ehcp=True),
        Attendance("Peak Boxing Academy", "P1", 10, school="B"),
    ]
    assert flags(rows)["Peak Boxing Academy"].ehcp == 1


def test_sen_trigger_only_when_configured() -> None:
    rows = pupils(1, 20, sen=True)
    assert flags(rows) == {}
    widened = RegistrationThresholds(single_pupil_triggers=("looked_after", "sen"))
    assert registration_flags(rows, {}, widened)["Peak Boxing Academy"].sen == 1


def test_thresholds_come_from_configuration(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_config().registration == T
    path = tmp_path / "other.yaml"
    path.write_text("registration: {full_time_hours_over: 15, pupils_at_least: 3}\n")
    cfg = load_config(path)
    assert cfg.registration.pupils_at_least == 3
    assert registration_flags(pupils(3, 16), {}, cfg.registration)
    bad = tmp_path / "bad.yaml"
    bad.write_text("registration: {single_pupil_triggers: [left_handed]}\n")
    with pytest.raises(ConfigError, match="left_handed"):
        load_config(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("registration: yes\n", "registration: must be a mapping"),
        ("reviews: {max_weeks_between_reviews: seven}\n", "reviews.max_weeks_between_reviews: 'seven'"),
        ("full_time: {hours_per_week_by_key_stage: {KS4: lots}}\n", "hours_per_week_by_key_stage: 'lots'"),
        # a list, a mapping or nothing where a number is expected were internal TypeErrors
        ("qa: {current_for_months: [12]}\n", r"qa.current_for_months: \[12\] is not a number"),
        (
            "reviews: {visits_per_term_at_least: {a: 1}}\n",
            "visits_per_term_at_least: {'a': 1} is not a number",
        ),
        ("placement_length: {full_time_weeks_at_most: }\n", "full_time_weeks_at_most: no value"),
        ("registration: {single_pupil_triggers: 0}\n", "single_pupil_triggers: 0 is not a list of names"),
        ("council: [Derby]\n", r"council: \['Derby'\] is not text"),
        ("files: {mode: '0400'}\n", "files.mode: 0400: give a mode from 0600 to 0777"),
    ],
)
def test_malformed_configuration_is_named(tmp_path, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_the_configured_file_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert load_config().file_mode == 0o600
    path = tmp_path / "c.yaml"
    path.write_text('files: {mode: "0640"}\n')
    assert load_config(path).file_mode == 0o640


def test_missing_or_unreadable_configuration_is_a_config_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="cannot read .*missing.yaml: No such file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("registration: [unclosed\n")
    with pytest.raises(ConfigError, match="broken.yaml: cannot read"):
        load_config(broken)
