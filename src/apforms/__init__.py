"""apforms: alternative provision paperwork for English schools, as data.

The public facade: the verbs of :mod:`apforms.api`, the result types they return and the
errors they raise. Everything here is derived from the document definitions in ``schemas/``.
Modules not named here (``model``, ``formats``, ``rules``, ``bulk``, ``archive``) are the
implementation: use them through this facade or :mod:`apforms.api`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from apforms.api import (
    CheckResult,
    IngestFileResult,
    QaOutcome,
    RenderResult,
    blank,
    blank_bytes,
    check,
    documents,
    example,
    improvement_plan_from_qa,
    ingest,
    ingest_bytes,
    json_schema,
    qa_outcome,
    read_record,
    render,
    render_record,
    rules,
    validate,
)
from apforms.errors import (
    ApformsError,
    ArchiveError,
    BulkInputError,
    ConfigError,
    DefinitionError,
    IngestError,
    RecordError,
    Refused,
    RenderError,
)
from apforms.formats.result import IngestResult
from apforms.model.definitions import Definition, Field, load_definition
from apforms.model.records import Problem, Record, ValidationResult

if TYPE_CHECKING:
    from apforms._demo import DemoResult
    from apforms.api import BulkResult, Finding, Rule
else:  # imported on first use, so that `import apforms` stays light

    def __getattr__(name: str) -> object:
        if name in ("BulkResult", "Finding", "Rule"):
            from apforms import api

            return getattr(api, name)
        if name == "DemoResult":
            from apforms._demo import DemoResult

            return DemoResult
        raise AttributeError(f"module 'apforms' has no attribute {name!r}")


def demo(out_dir: str | os.PathLike[str] = "output") -> DemoResult:
    """Write every example record and every output under ``out_dir`` (``apforms demo``)."""
    from apforms._demo import demo as _demo

    return _demo(out_dir)


__all__ = [
    "ApformsError",
    "ArchiveError",
    "BulkInputError",
    "BulkResult",
    "CheckResult",
    "ConfigError",
    "Definition",
    "DefinitionError",
    "DemoResult",
    "Field",
    "Finding",
    "IngestError",
    "IngestFileResult",
    "IngestResult",
    "Problem",
    "QaOutcome",
    "Record",
    "RecordError",
    "Refused",
    "RenderError",
    "RenderResult",
    "Rule",
    "ValidationResult",
    "blank",
    "blank_bytes",
    "check",
    "demo",
    "documents",
    "example",
    "improvement_plan_from_qa",
    "ingest",
    "ingest_bytes",
    "json_schema",
    "load_definition",
    "qa_outcome",
    "read_record",
    "render",
    "render_record",
    "rules",
    "validate",
]
