"""What reading a returned document gives, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apforms.model.definitions import Definition
from apforms.model.records import ValidationResult

METHOD_FIELDS = "fields"
METHOD_FLATTENED = "flattened"


@dataclass
class IngestResult:
    """A returned form read back: the record file, its validation and how it was read."""

    definition: Definition
    record: dict[str, Any]
    validation: ValidationResult
    method: str
    warnings: list[str] = field(default_factory=list)
    #: The definition version printed on the form (the record keeps it when that version is
    #: kept in schemas/history, else the current one).
    form_version: str = ""
    #: Digital signature fields by full name: whether each holds a signature.
    signatures: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.validation.ok


__all__ = ["METHOD_FIELDS", "METHOD_FLATTENED", "IngestResult"]
