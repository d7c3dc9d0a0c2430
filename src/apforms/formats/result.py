"""What reading a returned document gives, whatever its format."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from apforms.errors import DefinitionError, IngestError
from apforms.model import records
from apforms.model.definitions import Definition, kept_versions, load_definition, version_tuple
from apforms.model.records import ValidationResult

METHOD_FIELDS = "fields"
METHOD_FLATTENED = "flattened"
#: Read from a returned Word document (its answers found by their bookmarks).
METHOD_WORD = "word"
#: Read from a Word form printed to PDF (its answers found by their labels on the page).
METHOD_WORD_PDF = "word-pdf"
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

    @property
    def needs_review(self) -> bool:
        """Whether a person must check the record against the returned form before it is
        used: a warning names a field, or the way it was read is never exact."""
        return (
            bool(self.review)
            or self.method in UNCERTAIN_METHODS
            or any(marker in w for w in self.warnings for marker in WHOLE_FORM_DOUBTS)
        )


def definition_for(document: str, version: str, warnings: list[str]) -> Definition:
    """The definition a returned form of ``document`` at definition ``version`` is read
    with: that version when it is kept in schemas/history (a warning says so), else the
    current one; IngestError for a document or version this apforms does not know."""
    try:
        definition = load_definition(document)
    except DefinitionError:
        raise IngestError(
            f"an apforms form of a document this apforms does not know ({document!r})"
        ) from None
    theirs, ours = version_tuple(version), definition.version_tuple
    if theirs > ours:
        raise IngestError(
            f"{definition.id} form version {version} is newer than this apforms knows "
            f"({definition.version}); upgrade apforms"
        )
    if theirs < ours:
        if version in kept_versions(definition.id):  # read as it was laid out
            warnings.append(
                f"the form is {definition.id} version {version} (this apforms' is "
                f"{definition.version}); it was read with its own version and the record keeps it"
            )
            return load_definition(definition.id, version)
        warnings.append(
            f"the form is {definition.id} version {version}; {OTHER_VERSION} {definition.version}"
        )
    return definition


def provenance_of(
    source: str, original: bytes, version: str, identified_by: str, **more: Any
) -> dict[str, Any]:
    """Where a return came from (the file as it was sent: its name and SHA-256), the form
    version it says it is, and what identified it; ``more``: what a way of reading adds."""
    return {
        "source": source,
        "sha256": hashlib.sha256(original).hexdigest(),
        "form_version": version,
        **more,
        "identified_by": identified_by,
    }


def ingest_result(
    definition: Definition,
    data_read: dict[str, Any],
    warnings: list[str],
    method: str,
    form_version: str,
    provenance: dict[str, Any],
    signatures: dict[str, bool] | None = None,
) -> IngestResult:
    """The validated record of values read from a return, with its provenance: how it was
    read (``provenance`` gives the source, its hash and what identified it) and every warning.
    A field left empty whose definition has a default is named in a warning: its value in the
    record is the default, not anything read."""
    defaulted = records.defaulted(definition, data_read)
    warnings += [f"{p.label or p.path} ({p.path}): {p.message}; check the returned form" for p in defaulted]
    validation = records.validate(definition, data_read)
    # Canonical when every value is valid (required fields may still be empty); else as read,
    # so that `apforms validate` shows the same problems and nothing typed is lost.
    partial = validation if validation.ok else records.validate(definition, data_read, partial=True)
    record = records.record_file(
        definition,
        partial.data if partial.ok else data_read,
        provenance={
            **provenance,
            "read_from": method,
            "valid": validation.ok,
            "warnings": warnings,
            "defaulted": [p.path for p in defaulted],
            **({"digital_signatures": signatures} if signatures is not None else {}),
        },
    )
    return IngestResult(definition, record, validation, method, warnings, form_version, signatures or {})


#: Ways of reading whose every value a person checks (the page's text was placed by other
#: software, or read by OCR): the record always needs review, even when no field is named.
UNCERTAIN_METHODS = frozenset({METHOD_WORD_PDF, METHOD_SCANNED})


#: Warnings about the whole return that make every value doubtful: read with a definition
#: version other than its own (fields may have moved), or repaired from a damaged file
#: (something may be missing). The record then needs review though no field is named.
OTHER_VERSION = "it was read with version"
REPAIRED = "the file was damaged (incomplete or corrupted) and repaired"
WHOLE_FORM_DOUBTS = (OTHER_VERSION, REPAIRED)


#: A field named in a warning: "Label (key.path): …" (table rows as ``.2.``).
_NAMED = re.compile(r"\(([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\)")


__all__ = [
    "METHOD_FIELDS",
    "METHOD_FLATTENED",
    "METHOD_WORD",
    "METHOD_WORD_PDF",
    "METHOD_SCANNED",
    "UNCERTAIN_METHODS",
    "IngestResult",
    "definition_for",
    "ingest_result",
    "provenance_of",
]
