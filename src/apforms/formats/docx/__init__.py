"""Word output: templates built from the presentation of a definition (``build``), checked
against it (``lint``), compiled once and rendered with a record's display context
(``compile``, ``context``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apforms.errors import RenderError
from apforms.model.config import FormBrand
from apforms.model.definitions import Definition


def render(
    definition: Definition,
    data: Mapping[str, Any],
    template: str | os.PathLike[str] | None = None,
    brand: FormBrand | None = None,
) -> bytes:
    """The Word document of canonical ``data`` from ``templates/<id>.docx``, or from a
    restyled copy of it (``template``), which is first checked against the definition."""
    from apforms.formats.docx.compile import render_docx

    if template is not None:
        check_template(definition, template)
    return render_docx(definition, data, template, brand)


def check_template(definition: Definition, template: str | os.PathLike[str]) -> None:
    """Refuse a restyled template that no longer prints every field of ``definition`` exactly
    once as the built template does (a tag deleted or mistyped while restyling)."""
    from apforms.formats.docx.lint import lint_template

    path = Path(template)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise RenderError(f"cannot read template {path}: {exc.strerror or exc}") from None
    try:
        problems = lint_template(definition, content)
    except Exception as exc:  # not a zip, not Word XML
        raise RenderError(f"{path.name}: not a Word template ({type(exc).__name__})") from None
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RenderError(f"{path.name} is not a {definition.id} template: {problems[0]}{more}")
