"""Local expectations and legal thresholds, from ``schemas/config/derby.yaml`` or a user file.

Never constants in code: councils differ, and the 2026 Act will change the registration test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from apforms.errors import ConfigError, DefinitionError
from apforms.inputs import read_input
from apforms.model.calendar import SchoolCalendar, calendar_from_config
from apforms.model.definitions import data_dir
from apforms.pictures import PictureError, read_picture
from apforms.resources import parse_yaml

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
    unknown = set(triggers) - {"looked_after", "ehcp", "sen"}
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
    return Config(str(raw.get("council", "")), thresholds, raw, _brand(raw, Path(path)), calendar)


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


#: Sections whose values (or, one level down, whose mappings' values) must be numbers.
_NUMERIC = {
    "registration": ("full_time_hours_over", "pupils_at_least"),
    "full_time": ("hours_per_week_by_key_stage",),
    "placement_length": ("full_time_weeks_at_most", "part_time_days_per_week_at_most"),
    "reviews": ("max_weeks_between_reviews", "visits_per_term_at_least"),
    "provider_expectations": ("absence_report_minutes", "emergency_review_after_incidents"),
}


def _check_shape(raw: Mapping[str, Any], path: str) -> None:
    """Sections are mappings and numbers are numbers, so a typo fails here, named, not later."""
    for section in (*_NUMERIC, "la_contact", "branding"):
        if section in raw and not isinstance(raw[section], Mapping):
            raise ConfigError(f"{path}: {section}: must be a mapping of settings")
    for section, keys in _NUMERIC.items():
        for key in keys:
            value = (raw.get(section) or {}).get(key)
            values = value.values() if isinstance(value, Mapping) else [value]
            for v in values:
                if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                    raise ConfigError(f"{path}: {section}.{key}: {v!r} is not a number")


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
