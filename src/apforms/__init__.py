"""apforms: alternative provision paperwork for English schools, as data.

The public facade. Everything here is derived from the document definitions in ``schemas/``.
"""

from apforms.api import (
    blank,
    check,
    demo,
    documents,
    example,
    ingest,
    json_schema,
    read_record,
    render,
    validate,
)
from apforms.definitions import Definition, Field, load_definition
from apforms.errors import (
    ApformsError,
    ArchiveError,
    DefinitionError,
    IngestError,
    RecordError,
    RenderError,
)
from apforms.records import Problem, Record, ValidationResult

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
