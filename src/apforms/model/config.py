"""Local expectations and legal thresholds, from ``schemas/config/derby.yaml`` or a user file.

Never constants in code: councils differ, and the 2026 Act will change the registration test.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from apforms import files
from apforms.errors import ConfigError, DefinitionError
from apforms.inputs import read_input
from apforms.model.calendar import SchoolCalendar, calendar_from_config
from apforms.model.definitions import data_dir
from apforms.pictures import PictureError, read_picture
from apforms.resources import parse_yaml
from apforms.safe import quote

ENV_VAR = "APFORMS_CONFIG"


@dataclass(frozen=True)
class RegistrationThresholds:
    full_time_hours_over: float = 18
    pupils_at_least: int = 5
    single_pupil_triggers: tuple[str, ...] = ("looked_after", "ehcp")


@dataclass(frozen=True)
class FormBrand:
    """What a council puts on its forms: its name (at the top of the first page), an optional
    logo (PNG or JPEG bytes) and the line giving the local authority's AP contact (``""``:
    the form prints a line to write it on)."""

    council: str = ""
    logo: bytes | None = None
    contact: str = ""
    #: the configuration file they come from (named when one cannot be printed)
    source: str = ""


#: The largest logo file accepted (a logo is a small picture; this keeps forms small).
LOGO_MAX_BYTES = 2 * 1024 * 1024
#: The largest configuration file read (Derby's is 7 KB).
MAX_CONFIG_BYTES = 1024 * 1024
#: The longest contact line: it is printed on one line of the form, whatever its content.
CONTACT_MAX = 110


@dataclass(frozen=True)
class Config:
    council: str
    registration: RegistrationThresholds
    raw: Mapping[str, Any] = field(default_factory=dict)
    brand: FormBrand = FormBrand()
    #: the council's term dates (``school_calendar``); empty: weeks are counted as calendar weeks
    calendar: SchoolCalendar = SchoolCalendar()
    #: the mode of files written with record content (``files.mode``; 0600: private)
    file_mode: int = files.PRIVATE

    def get(self, *keys: str) -> Any:
        """A value by its keys (``config.get("reviews", "max_weeks_between_reviews")``)."""
        node: Any = self.raw
        for k in keys:
            if not isinstance(node, Mapping) or k not in node:
                raise ConfigError(f"configuration has no {'.'.join(keys)}")
            node = node[k]
        return node


def default_config_path() -> Path:
    return data_dir("schemas") / "config" / "derby.yaml"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """The configuration at ``path``, else ``$APFORMS_CONFIG``, else Derby's defaults."""
    chosen = path or os.environ.get(ENV_VAR) or default_config_path()
    return _load(str(chosen))


@cache
def _load(path: str) -> Config:
    return read_config(path)


def read_config(path: str | os.PathLike[str]) -> Config:
    """The configuration file at ``path``, read and checked now (not the copy
    :func:`load_config` keeps for the process)."""
    text = read_input(path, MAX_CONFIG_BYTES, ConfigError)  # a pipe or a device is refused
    try:
        raw = parse_yaml(text, str(path))
    except DefinitionError as exc:  # parse_yaml's error for any YAML file; here it is configuration
        raise ConfigError(str(exc)) from exc.__cause__
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: configuration must be a mapping")
    _check_shape(raw, str(path))
    reg = raw.get("registration") or {}
    triggers = reg.get("single_pupil_triggers", ["looked_after", "ehcp"])
    unknown = {str(t) for t in triggers} - {"looked_after", "ehcp", "sen"}
    if unknown:
        raise ConfigError(
            f"{path}: registration.single_pupil_triggers: unknown {', '.join(sorted(unknown))} "
            "(use looked_after, ehcp, sen)"
        )
    try:
        thresholds = RegistrationThresholds(
            full_time_hours_over=float(reg.get("full_time_hours_over", 18)),
            pupils_at_least=int(reg.get("pupils_at_least", 5)),
            single_pupil_triggers=tuple(triggers),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: registration: {exc}") from None
    calendar = calendar_from_config(raw.get("school_calendar"), str(path))
    brand = _brand(raw, Path(path))
    return Config(raw.get("council") or "", thresholds, raw, brand, calendar, _file_mode(raw, str(path)))


def _file_mode(raw: Mapping[str, Any], path: str) -> int:
    """``files.mode``: the mode of the files apforms writes with a child's data (0600)."""
    given = (raw.get("files") or {}).get("mode")
    if given is None:
        return files.PRIVATE
    try:
        return files.parse_mode(given)
    except ValueError as exc:
        raise ConfigError(f"{path}: files.mode: {exc}") from None


def _brand(raw: Mapping[str, Any], path: Path) -> FormBrand:
    """The council's name, logo and contact line, checked (a logo path is relative to the
    configuration file)."""
    branding = raw.get("branding") or {}
    contact = raw.get("la_contact") or {}
    for section, value in (("branding", branding), ("la_contact", contact)):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: {section}: must be a mapping of settings")
        for key, v in value.items():
            if v is not None and not isinstance(v, str):
                hint = (
                    " (put it in quotes: a number starting 0 is read as another number)"
                    if isinstance(v, int)
                    else ""
                )
                raise ConfigError(f"{path}: {section}.{key}: {v!r} is not text{hint}")
    name = (branding.get("name") or raw.get("council") or "").strip()
    logo = None
    if branding.get("logo"):
        logo_path = path.parent / str(branding["logo"])
        try:
            logo = read_input(logo_path, LOGO_MAX_BYTES, ConfigError)
        except ConfigError as exc:  # not a file, unreadable, larger than 2 MB
            raise ConfigError(f"{path}: branding.logo: {exc}") from None
        try:
            read_picture(logo)
        except PictureError as exc:
            raise ConfigError(f"{path}: branding.logo: {logo_path.name}: {exc}") from None
    parts = [" ".join(str(contact.get(k) or "").split()) for k in ("name", "email", "phone")]
    line = ", ".join(p for p in parts if p)
    if len(line) > CONTACT_MAX:
        raise ConfigError(
            f"{path}: la_contact: {len(line)} characters; the form prints it on one line of at "
            f"most {CONTACT_MAX}"
        )
    return FormBrand(name, logo, line, str(path))


# What each setting must be, so that a mistake fails here, named, and never later in a rule
# (a list where a number is expected was an internal TypeError in `check`).
_NUMBER, _COUNT, _NAMES, _NUMBERS_BY_NAME, _MONTH_DAYS, _MODE = (
    "a number",
    "a whole number",
    "a list of names",
    "a mapping of names to numbers",
    'a mapping of terms to their usual first days ("MM-DD")',
    'a file mode in quotes ("0600")',
)
_SETTINGS: dict[str, dict[str, str]] = {
    "registration": {
        "full_time_hours_over": _NUMBER,
        "pupils_at_least": _COUNT,
        "single_pupil_triggers": _NAMES,
    },
    "full_time": {
        "school_week_hours": _NUMBER,
        "school_week_hours_by_school": _NUMBERS_BY_NAME,
        "hours_per_week_by_key_stage": _NUMBERS_BY_NAME,
    },
    "placement_length": {"full_time_weeks_at_most": _NUMBER, "part_time_days_per_week_at_most": _NUMBER},
    "qa": {"safeguarding_gate": _NAMES, "current_for_months": _COUNT},
    "sla": {"signed_days_before_start": _COUNT},
    "reviews": {
        "max_weeks_between_reviews": _NUMBER,
        "visits_per_term_at_least": _COUNT,
        "term_starts": _MONTH_DAYS,
    },
    "provider_expectations": {"absence_report_minutes": _COUNT, "emergency_review_after_incidents": _COUNT},
    "files": {"mode": _MODE},
}


def _check_shape(raw: Mapping[str, Any], path: str) -> None:
    """Sections are mappings and every setting is what it must be (:data:`_SETTINGS`)."""
    if raw.get("council") is not None and not isinstance(raw["council"], str):
        raise ConfigError(f"{path}: council: {quote(raw['council'])} is not text")
    for section in (*_SETTINGS, "la_contact", "branding"):
        if section in raw and not isinstance(raw[section], Mapping):
            raise ConfigError(f"{path}: {section}: must be a mapping of settings")
    for section, settings in _SETTINGS.items():
        given = raw.get(section) or {}
        for key, kind in settings.items():
            if key in given:
                problem = _setting_problem(given[key], kind)
                if problem:
                    raise ConfigError(f"{path}: {section}.{key}: {problem}")


def _setting_problem(value: Any, kind: str) -> str | None:
    """Why ``value`` is not ``kind``, or None."""
    if value is None:
        return f"no value; give {kind}, or leave the setting out for Derby's"
    if kind == _NAMES:
        ok = isinstance(value, list) and all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in value
        )
        return None if ok else f"{quote(value)} is not {kind} ([a, b])"
    if kind == _MODE:  # unquoted, YAML reads 0600 as the number 384 and 600 as six hundred
        return None if isinstance(value, str) else f"{quote(value)} is not {kind}: YAML reads 0600 as 384"
    if kind in (_NUMBERS_BY_NAME, _MONTH_DAYS):
        if not isinstance(value, Mapping):
            return f"{quote(value)} is not {kind}"
        for name, v in value.items():
            problem = _number_problem(v, _NUMBER) if kind == _NUMBERS_BY_NAME else _month_day_problem(v)
            if problem:
                return f"{problem} ({name})"
        return None
    return _number_problem(value, kind)


def _number_problem(value: Any, kind: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{quote(value)} is not a number"
    if not math.isfinite(value) or value < 0:
        return f"{quote(value)} is not {kind} of 0 or more"
    if kind == _COUNT and not isinstance(value, int):
        return f"{quote(value)} is not {kind}"
    return None


def _month_day_problem(value: Any) -> str | None:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2024, month, day)  # a leap year: 02-29 is a day
    except ValueError:
        return f'{quote(value)} is not a month and day ("MM-DD")'
    return None


#: Where Derby's term dates begin in its file: a starting configuration leaves them out.
_DERBY_YEARS = "\n  # `apforms config init` leaves out every year below"
_NO_YEARS = (
    "\n  # Add your council's term dates here (docs/school-calendar.md); until then weeks are\n"
    "  # counted as calendar weeks, holidays included, and the findings say so.\n"
    "  years: {}\n"
)


def starting_config(council: str) -> str:
    """A council's starting configuration file: Derby's, with the comments that name each
    value's source, for ``council``, its contact and branding left to fill in, and no term
    dates (Derby's are Derby's: the file says where to add the council's own)."""
    text = default_config_path().read_text(encoding="utf-8")
    text = text.replace("council: Derby City Council", f"council: {_yaml_text(council)}", 1)
    cut = text.find(_DERBY_YEARS, max(text.find("\nschool_calendar:"), 0))
    if cut < 0:
        raise ConfigError(
            f"{default_config_path()}: school_calendar: Derby's term dates not found to leave out"
        )
    return text[:cut] + _NO_YEARS


def _yaml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
