"""Output formats. Each format is a package that owns everything about it (``docx/``, ``pdf/``);
this module is the registry that ``api`` and ``bulk`` use to reach them.

A renderer turns canonical record data into the bytes of a document. Formats are imported
only when used, so that a command that never writes a PDF never loads the PDF libraries.

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apforms.errors import RenderError
from apforms.model.definitions import Definition

RenderFn = Callable[..., bytes]


@dataclass(frozen=True)
class Format:
    """An output format: its name, file extension, media type and where its renderer lives."""

    name: str
    extension: str
    media_type: str
    module: str  # imported on first use; it has ``render(definition, data, **options)``
    options: frozenset[str] = frozenset()  # the render options it understands

    def renderer(self) -> RenderFn:
        fn: RenderFn = importlib.import_module(self.module).render
        return fn


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "docx",
            ".docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "apforms.formats.docx",
            frozenset({"template", "brand"}),
        ),
        Format("pdf", ".pdf", "application/pdf", "apforms.formats.pdf", frozenset({"flatten", "brand"})),
    )
}


def get_format(name: str) -> Format:
    try:
        return FORMATS[name]
    except KeyError:
        raise RenderError(f"unknown format {name!r}; use one of {', '.join(FORMATS)}") from None


def format_for_path(path: str | os.PathLike[str]) -> Format | None:
    """The format a file name's extension names (``None`` for another or no extension)."""
    suffix = Path(path).suffix.casefold()
    return next((f for f in FORMATS.values() if f.extension == suffix), None)


def render_bytes(definition: Definition, data: Mapping[str, Any], fmt: str, **options: Any) -> bytes:
    """The document in format ``fmt`` for canonical ``data`` (already validated)."""
    form = get_format(fmt)
    given = {k: v for k, v in options.items() if v}
    unknown = set(given) - form.options
    if unknown:
        raise RenderError(f"{fmt} output takes no {', '.join(sorted(unknown))} option")
    return form.renderer()(definition, dict(data), **given)


__all__ = ["FORMATS", "Format", "format_for_path", "get_format", "render_bytes"]
