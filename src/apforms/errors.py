"""One root error for apforms, with a subclass per stage.

The tree::

    ApformsError
     ├── DefinitionError    a definition or code list in schemas/ is malformed
     ├── ConfigError        a configuration file is missing, unreadable or malformed
     ├── RecordError        a record file cannot be read as a record
     ├── RenderError        a document cannot be written
     ├── IngestError        a returned file is refused
     │    └── PasswordRequired   it is password-protected: its password is needed
     ├── BulkInputError     a bulk input file is missing, unreadable or not a table
     └── ArchiveError       the archive cannot store, find or verify; a PDF cannot be signed
          └── Refused       a file offered to the archive is not accepted

The CLI catches :class:`ApformsError` once and turns it into a one-line message and exit
code 2 ("the command cannot run"). Problems *inside* a record are not exceptions: they are
returned as :class:`apforms.model.records.Problem` lists, and the CLI exits 1 for them.
"""

from __future__ import annotations


class ApformsError(Exception):
    """Raised when apforms cannot do what was asked; the message is one line for people."""


class DefinitionError(ApformsError):
    """Raised when a document definition or code list in ``schemas/`` is malformed.

    The message names the file and the path inside it (``schemas/sla.yaml: sections[2].fields[0]:
    unknown type 'txt'``).
    """


class ConfigError(ApformsError):
    """Raised when a configuration file (schemas/config/*.yaml or --config) is missing, unreadable
    or malformed, or lacks a setting asked for; the message names the file and the setting."""


class RecordError(ApformsError):
    """Raised when a record file cannot be read as a record at all.

    Not JSON, not an object, an unknown document, or a definition version newer than this
    apforms knows. Invalid *values* are not errors but problems (see ``records.validate``).
    """


class RenderError(ApformsError):
    """Raised when a document cannot be written (template fault, unwritable output path)."""


class IngestError(ApformsError):
    """Raised when a returned file is refused: not a PDF, encrypted, not an apforms form, damaged."""


class PasswordRequired(IngestError):
    """Raised when a returned PDF is password-protected and no password (or a wrong one) was
    given; the CLI then asks for it."""


class BulkInputError(ApformsError):
    """Raised when a bulk input file is missing, unreadable or not a table."""


class ArchiveError(ApformsError):
    """Raised when the archive cannot store, find or verify a file, or a PDF cannot be signed.

    A file refused by ``archive add`` (not a PDF, encrypted, empty, too large) is reported
    per file with a one-line reason; nothing is stored for it.
    """


class BackupError(ApformsError):
    """Raised when a backup or a restore cannot be made; nothing is left half-written."""


class Refused(ArchiveError):
    """Raised when a file is not accepted into the archive; nothing was stored."""


def first_line(exc: BaseException) -> str:
    """An exception's message as one line (its first), or its class's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
