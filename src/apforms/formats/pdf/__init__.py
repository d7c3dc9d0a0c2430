"""Fillable PDF: everything about the format lives here.

``protocol`` (what an apforms PDF says about itself: footer line, metadata keys, layout
version), ``names`` (PDF keys, flags and states), ``syntax`` (serialisers), ``fonts`` and
``text`` (measuring and
breaking lines), ``layout`` (where every box goes), ``values`` (record values ⇄ field values),
``writer``; and the reading side: ``open`` (the one admission check), ``read_fields`` (filled
forms), ``read_flat`` (flattened and printed forms) and ``read`` (the two put together).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apforms.model.config import FormBrand
from apforms.model.definitions import Definition


def render(
    definition: Definition, data: Mapping[str, Any], flatten: bool = False, brand: FormBrand | None = None
) -> bytes:
    """The fillable form for canonical ``data``, or with ``flatten`` a final copy; ``brand``:
    the council's name, logo and contact line."""
    from apforms.formats.pdf.writer import render_pdf

    return render_pdf(definition, dict(data), flatten=flatten, brand=brand)
