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
from apforms.model.definitions import data_dir, read_yaml

ENV_VAR = "APFORMS_CONFIG"


@dataclass(frozen=True)
class RegistrationThresholds:
    full_time_hours_over: float = 18
    pupils_at_least: int = 5
    single_pupil_triggers: tuple[str, ...] = ("looked_after", "ehcp")


@dataclass(frozen=True)
class Config:
    council: str
    registration: RegistrationThresholds
    raw: Mapping[str, Any] = field(default_factory=dict)

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
    try:
        raw = read_yaml(Path(path))
    except DefinitionError as exc:  # read_yaml's error for any YAML file; here it is configuration
        raise ConfigError(str(exc)) from exc.__cause__
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{path}: configuration must be a mapping")
    _check_shape(raw, path)
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
    return Config(str(raw.get("council", "")), thresholds, raw)


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
    for section in (*_NUMERIC, "la_contact"):
        if section in raw and not isinstance(raw[section], Mapping):
            raise ConfigError(f"{path}: {section}: must be a mapping of settings")
    for section, keys in _NUMERIC.items():
        for key in keys:
            value = (raw.get(section) or {}).get(key)
            values = value.values() if isinstance(value, Mapping) else [value]
            for v in values:
                if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                    raise ConfigError(f"{path}: {section}.{key}: {v!r} is not a number")
