"""apforms: alternative provision paperwork for English schools, as data.

The public facade. Everything here is derived from the document definitions in ``schemas/``.
"""

from apforms.api import demo, documents, example, json_schema, read_record, validate
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
    "demo",
    "documents",
    "example",
    "json_schema",
    "load_definition",
    "read_record",
    "validate",
]
