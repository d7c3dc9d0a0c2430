"""Names and flags of ISO 32000 that the PDF writer and the readers share.

Field types (``/FT``), field flags (``/Ff``), annotation flags (``/F``), the button state
names apforms writes, and the marked-content tag of variable text; as pypdf's ``constants``
keeps them, so no module spells a PDF name or bit of its own.
"""

from __future__ import annotations

import enum


class FieldType(enum.StrEnum):
    """``/FT`` of a terminal field (ISO 32000-1 12.7.3.1, table 220)."""

    TEXT = "Tx"
    BUTTON = "Btn"
    CHOICE = "Ch"
    SIGNATURE = "Sig"


class FieldFlag(enum.IntFlag):
    """``/Ff`` bits (ISO 32000-1 tables 221, 226, 228, 230; the spec numbers bits from 1)."""

    READ_ONLY = 1 << 0
    MULTILINE = 1 << 12  # text
    NO_TOGGLE_TO_OFF = 1 << 14  # radio buttons
    RADIO = 1 << 15
    PUSHBUTTON = 1 << 16
    COMBO = 1 << 17  # choice
    DO_NOT_SPELL_CHECK = 1 << 22  # text and choice


class AnnotationFlag(enum.IntFlag):
    """``/F`` bits of an annotation (ISO 32000-1 12.5.3, table 165)."""

    PRINT = 1 << 2


#: The off appearance state of tick boxes and radio buttons (ISO 32000-1 12.7.4.2.3).
OFF = "Off"
#: The on state apforms gives tick boxes, and the "yes" button of a yes/no question.
YES = "Yes"
#: The "no" button of a yes/no question.
NO = "No"

#: Marked-content tag of a variable-text appearance (ISO 32000-1 12.7.3.3).
TX_TAG = "Tx"
