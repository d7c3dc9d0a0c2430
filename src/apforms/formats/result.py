"""What reading a returned document gives, whatever its format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from apforms.model.definitions import Definition
from apforms.model.records import ValidationResult

METHOD_FIELDS = "fields"
METHOD_FLATTENED = "flattened"
#: Read from a scan (pictures of the pages) by OCR and mark detection: nothing is exact.
METHOD_SCANNED = "scanned"


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

    @property
    def review(self) -> list[str]:
        """The key paths of the fields a warning names: values read that a person should
        check against the returned form (nothing read is passed off as exact)."""
        paths = {f.path.replace("[]", "") for f in self.definition.walk()}
        named: list[str] = []
        for w in self.warnings:
            for m in _NAMED.finditer(w):
                path = re.sub(r"\.\d+(?=\.|$)", "", m.group(1))
                if path in paths and m.group(1) not in named:
                    named.append(m.group(1))
        return named


#: A field named in a warning: "Label (key.path): …" (table rows as ``.2.``).
_NAMED = re.compile(r"\(([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\)")


__all__ = ["METHOD_FIELDS", "METHOD_FLATTENED", "METHOD_SCANNED", "IngestResult"]
