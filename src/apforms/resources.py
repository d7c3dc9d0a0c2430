"""Where apforms' own files are: definitions, Word templates and fonts.

Inside an installed wheel they live under ``apforms/_data`` (see ``pyproject.toml``); in a
source tree, at the repository root (``schemas/``, ``templates/``) and ``src/apforms/fonts``.
YAML is read with libyaml's safe loader where it is installed (three times faster than the
pure-Python one), else with PyYAML's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from apforms.errors import DefinitionError

_PACKAGE = Path(__file__).resolve().parent
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def data_dir(name: str) -> Path:
    """The folder ``schemas`` or ``templates``: inside the wheel, or at the repository root."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parents[1] / name


def schemas_dir() -> Path:
    return data_dir("schemas")


def templates_dir() -> Path:
    return data_dir("templates")


def font_file(name: str) -> Path:
    """A font shipped in ``apforms/fonts`` (with its licence beside it)."""
    return _PACKAGE / "fonts" / name


def parse_yaml(text: str | bytes, name: str) -> Any:
    """YAML already read from ``name`` (safe loading only); a :class:`DefinitionError` naming it."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{name}: cannot read: {str(exc).splitlines()[0]}") from exc


def read_yaml(path: Path) -> Any:
    """A YAML file (safe loading only); a :class:`DefinitionError` naming it if unreadable."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from exc
