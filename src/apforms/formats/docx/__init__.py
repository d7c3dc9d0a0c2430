"""Word output: templates built from the presentation of a definition (``build``), checked
against it (``lint``), compiled once and rendered with a record's display context
(``compile``, ``context``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apforms.model.definitions import Definition


def render(definition: Definition, data: Mapping[str, Any]) -> bytes:
    """The Word document of canonical ``data`` from ``templates/<id>.docx``."""
    from apforms.formats.docx.compile import render_docx

    return render_docx(definition, data)
