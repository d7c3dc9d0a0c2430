"""apforms: alternative provision paperwork for English schools, as data.

The public facade. Everything here is derived from the document definitions in ``schemas/``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from apforms.api import (
    blank,
    check,
    documents,
    example,
    ingest,
    json_schema,
    read_record,
    render,
    validate,
)
from apforms.errors import (
    ApformsError,
    ArchiveError,
    DefinitionError,
    IngestError,
    RecordError,
    RenderError,
)
from apforms.model.definitions import Definition, Field, load_definition
from apforms.model.records import Problem, Record, ValidationResult

if TYPE_CHECKING:
    from apforms.demo import DemoResult


def demo(out_dir: str | os.PathLike[str] = "output") -> DemoResult:
    """Write every example record and every output under ``out_dir`` (see :mod:`apforms.demo`)."""
    from apforms.demo import demo as _demo

    return _demo(out_dir)


__all__ = [
    "ApformsError",
    "ArchiveError",
    "Definition",
    "DefinitionError",
    "Field",
    "IngestError",
    "Problem",
    "Record",
    "RecordError",
    "RenderError",
    "ValidationResult",
    "blank",
    "check",
    "demo",
    "documents",
    "example",
    "ingest",
    "json_schema",
    "load_definition",
    "read_record",
    "render",
    "validate",
]
