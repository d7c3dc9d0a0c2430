"""One root error for apforms, with a subclass per stage.

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


class RecordError(ApformsError):
    """Raised when a record file cannot be read as a record at all.

    Not JSON, not an object, an unknown document, or a definition version newer than this
    apforms knows. Invalid *values* are not errors but problems (see ``records.validate``).
    """


class RenderError(ApformsError):
    """Raised when a document cannot be written (template fault, unwritable output path)."""


class IngestError(ApformsError):
    """Raised when a returned file is refused: not a PDF, encrypted, not an apforms form, damaged."""


class ArchiveError(ApformsError):
    """Raised when the archive cannot store, find or verify a file, or a PDF cannot be signed.

    A file refused by ``archive add`` (not a PDF, encrypted, empty, too large) is reported
    per file with a one-line reason; nothing is stored for it.
    """
