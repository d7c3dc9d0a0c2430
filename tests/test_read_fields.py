"""formats/pdf/read_fields.py: the terminal fields of a form's field tree and their values,
on trees written by hand, including broken and hostile ones."""

from __future__ import annotations

import io
import time

import pikepdf
import pytest

from apforms.errors import IngestError
from apforms.formats.pdf.read_fields import MAX_FIELDS, AcroFormRead, is_on, radio_state, read_acroform

from .pdf_support import raw_pdf

PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [{annots}] >>"


def read(fields: str, annots: str, *objects: str) -> AcroFormRead:
    """The fields of a PDF whose objects 4 on are ``objects`` (1 catalog, 2 pages, 3 page)."""
    data = raw_pdf(
        [
            f"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{fields}] >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE.format(annots=annots),
            *objects,
        ]
    )
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return read_acroform(pdf)


WIDGET = "/Type /Annot /Subtype /Widget /Rect [0 0 9 9] /P 3 0 R"


def utf16(text: str) -> str:
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


def test_a_value_is_inherited_from_the_parent_field() -> None:
    """/V, /FT and /Ff on the field, its widgets below without a name (/T) of their own: one
    field, named by the parent, with the parent's value."""
    got = read(
        "4 0 R",
        "5 0 R 6 0 R",
        "<< /T (pupil) /Kids [7 0 R] >>",
        f"<< {WIDGET} /Parent 7 0 R >>",
        f"<< {WIDGET} /Parent 7 0 R >>",
        f"<< /T (name) /FT /Tx /Ff 4096 /V {utf16('Ján Čonka')} /Parent 4 0 R /Kids [5 0 R 6 0 R] >>",
    )
    assert list(got.fields) == ["pupil.name"]
    f = got.fields["pupil.name"]
    assert (f.ft, f.flags, f.value) == ("Tx", 4096, "Ján Čonka")


def test_each_radio_button_is_read_by_what_it_shows_and_a_stray_value_on_it_is_not_the_groups() -> None:
    """The group's /V against each button's /AS; a /V /Off on a button (as pypdf writes) is not
    the group's value."""
    got = read(
        "4 0 R",
        "5 0 R 6 0 R",
        "<< /T (gender) /FT /Btn /Ff 49152 /V /F /Kids [5 0 R 6 0 R] >>",
        f"<< {WIDGET} /Parent 4 0 R /V /Off /AS /Off /AP << /N << /M 7 0 R /Off 7 0 R >> >> >>",
        f"<< {WIDGET} /Parent 4 0 R /V /Off /AS /F /AP << /N << /F 7 0 R /Off 7 0 R >> >> >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    )
    f = got.fields["gender"]
    assert (f.value, f.shown, f.with_as) == ("F", ["F"], True)
    warnings: list[str] = []
    assert radio_state(f, warnings) == "F" and warnings == []


def test_a_tick_box_whose_page_disagrees_with_its_value_is_read_as_the_page_shows_it() -> None:
    got = read(
        "4 0 R",
        "4 0 R",
        f"<< {WIDGET} /T (lac) /FT /Btn /V /Yes /AS /Off /AP << /N << /Yes 5 0 R /Off 5 0 R >> >> >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    )
    warnings: list[str] = []
    assert is_on(got.fields["lac"], warnings, "Looked after (status.lac)") is False
    assert warnings == [
        "Looked after (status.lac): the form's data says ticked but the page shows it not ticked; "
        "what the page shows was taken"
    ]


def test_loops_in_kids_and_parent_end_and_the_rest_is_read() -> None:
    """A field that is its own kid, kids that point back up, a /Parent that loops: each
    object is read once, and the full name qpdf makes by the looping /Parent stops."""
    started = time.monotonic()
    got = read(
        "4 0 R 8 0 R",
        "6 0 R 9 0 R",
        "<< /T (a) /Kids [4 0 R 5 0 R] /Parent 5 0 R >>",
        "<< /T (b) /Kids [4 0 R 6 0 R] /Parent 4 0 R >>",
        f"<< {WIDGET} /T (c) /FT /Tx /V (deep) /Parent 5 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
        "<< /T (other) /Kids [9 0 R] >>",
        f"<< {WIDGET} /T (x) /FT /Tx /V (kept) /Parent 8 0 R >>",
    )
    assert time.monotonic() - started < 5
    assert got.fields["other.x"].value == "kept"
    assert [f.value for name, f in got.fields.items() if name.endswith(".c")] == ["deep"]


def test_kids_that_are_not_fields_are_ignored() -> None:
    """Numbers, names, null, an array and a stream among the kids: no field, no error."""
    got = read(
        "4 0 R",
        "5 0 R",
        "<< /T (t) /Kids [1 /Name null [1 2] 6 0 R 5 0 R (text)] >>",
        f"<< {WIDGET} /T (ok) /FT /Tx /V (yes) /Parent 4 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    )
    assert {name: f.value for name, f in got.fields.items()} == {"t.ok": "yes"}


def test_a_huge_kids_array_is_refused_in_bounded_time() -> None:
    """More kids than MAX_FIELDS: refused by name, in a bounded time, never cut silently (the
    fields after the cut would be lost: issue 14)."""
    n = MAX_FIELDS + 500
    kids = " ".join(f"{i} 0 R" for i in range(5, 5 + n))
    widgets = [f"<< {WIDGET} /T (f{i}) /FT /Tx /V (v) /Parent 4 0 R >>" for i in range(n)]
    started = time.monotonic()
    with pytest.raises(IngestError, match=f"the form has {n:,} fields; at most {MAX_FIELDS:,} are read"):
        read("4 0 R", "", f"<< /T (big) /Kids [{kids}] >>", *widgets)
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- damaged fields
# A damaged field is named, never dropped: its value was lost without a word (issue 14, "bad
# input gets a clear error and loses nothing").


def one(extra: str, *objects: str) -> AcroFormRead:
    """The fields of a form whose one field, object 4, is a widget named f with ``extra``."""
    return read("4 0 R", "4 0 R", f"<< {WIDGET} /T (f) {extra} >>", *objects)


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ("/FT /Tx /V 42", "its value is a number (42), not text"),
        ("/FT /Tx /V 3.5", "its value is a number (3.5), not text"),
        ("/FT /Tx /V true", "its value is true or false (true), not text"),
        ("/FT /Tx /V << /A 1 >>", "its value is a dictionary, not text"),
        ("/FT /Ch /V 7", "its value is a number (7), not text"),
        ("/FT /Btn /V 1", "its value is a number (1), not a state"),
    ],
)
def test_a_value_that_is_not_text_is_named_not_dropped(extra: str, why: str) -> None:
    got = one(extra)
    assert got.fields["f"].value is None
    assert got.damaged == {"f": why}


def test_a_list_value_with_parts_that_are_not_text_is_named() -> None:
    """The parts that were not text were left out of the joined value, silently."""
    got = one(f"/FT /Ch /Ff 2097152 /V [(Polski) 5 {utf16('Română')} << >>]")
    assert got.fields["f"].value == "Polski; Română"
    assert got.damaged == {"f": "2 parts of its value are not text (a number (5), a dictionary)"}


def test_a_value_stream_that_cannot_be_decoded_is_named() -> None:
    got = one("/FT /Tx /V 5 0 R", "<< /Length 5 /Filter /NoSuchFilter >>\nstream\nabcde\nendstream")
    assert got.fields["f"].value is None
    assert list(got.damaged) == ["f"]
    assert got.damaged["f"].startswith("its value is a stream that cannot be decoded (")


def test_no_value_is_not_damage() -> None:
    """/V null, a /V to an object that is not there (null, ISO 32000-2 7.3.10) and no /V:
    an empty field, as before."""
    for extra in ("/FT /Tx /V null", "/FT /Tx /V 99 0 R", "/FT /Tx", "/FT /Tx /V ()", "/FT /Btn /V /Off"):
        got = one(extra)
        assert got.damaged == {} and got.warnings == [], extra


def test_a_field_that_raises_when_read_is_named_and_the_rest_is_read() -> None:
    """A state named /² (a digit to str.isdigit, not to int) raised ValueError in reading its
    export value, and the field vanished; the field after it was read."""
    got = read(
        "4 0 R 5 0 R",
        "4 0 R 5 0 R",
        f"<< {WIDGET} /T (lac) /FT /Btn /V /#C2#B2 /Opt [(Yes)] >>",
        f"<< {WIDGET} /T (name) /FT /Tx /V {utf16('Ján')} >>",
    )
    assert got.fields["name"].value == "Ján"
    assert got.fields["lac"].value == "²" and got.damaged == {}  # a state name like any other


def test_a_field_whose_reading_fails_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever qpdf or pikepdf raise for one field (here a stand-in for a fault), the field
    is named with the reason, and the others are read."""
    from apforms.formats.pdf import read_fields

    real = read_fields._field

    def failing(name: str, f: object, damaged: dict[str, str]) -> object:
        if name == "lac":
            raise pikepdf.PdfError("object 4 0: unexpected dictionary close token")
        return real(name, f, damaged)

    monkeypatch.setattr(read_fields, "_field", failing)
    got = read(
        "4 0 R 5 0 R",
        "4 0 R 5 0 R",
        f"<< {WIDGET} /T (lac) /FT /Btn /V /Yes >>",
        f"<< {WIDGET} /T (name) /FT /Tx /V {utf16('Ján')} >>",
    )
    assert got.fields["name"].value == "Ján" and "lac" not in got.fields
    assert got.damaged == {"lac": "it cannot be read (object 4 0: unexpected dictionary close token)"}


def test_a_field_whose_name_cannot_be_read_is_named_by_its_object() -> None:
    """A /T that is not UTF-16 (an odd number of bytes) gave the field no name, and it was
    skipped with its value."""
    got = read("4 0 R 5 0 R", "4 0 R 5 0 R", f"<< {WIDGET} /T <FEFF00> /FT /Tx /V (Kowalska) >>",
               f"<< {WIDGET} /T (ok) /FT /Tx /V (yes) >>")  # fmt: skip
    assert {name: f.value for name, f in got.fields.items()} == {"ok": "yes"}
    assert got.warnings == [
        "a form field whose name cannot be read (object 4) was ignored; "
        "check its value against the returned form"
    ]


def test_a_field_object_that_cannot_be_parsed_is_named_by_its_object() -> None:
    """qpdf takes an object it cannot parse (a number past 64 bits) for null, and its form
    helper skips it: the field vanished, with only a note in qpdf's warnings."""
    got = read(
        "4 0 R 5 0 R",
        "4 0 R 5 0 R",
        f"<< {WIDGET} /T (upn) /FT /Tx /Ff 99999999999999999999 /V (A123) >>",
        f"<< {WIDGET} /T (ok) /FT /Tx /V (yes) >>",
    )
    assert {name: f.value for name, f in got.fields.items()} == {"ok": "yes"}
    assert got.warnings == [
        "object 4 of the form cannot be read (overflow/underflow converting 99999999999999999999 to 64-bit "
        "integer): a field in it was not read; check the values against the returned form"
    ]


def test_junk_in_the_field_tree_is_still_ignored_quietly() -> None:
    got = read(
        "4 0 R 9 0 R",
        "5 0 R",
        "<< /T (t) /Kids [1 /Name null [1 2] 6 0 R 5 0 R (text)] >>",
        f"<< {WIDGET} /T (ok) /FT /Tx /V (yes) /Parent 4 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    )
    assert {name: f.value for name, f in got.fields.items()} == {"t.ok": "yes"}
    assert got.warnings == [] and got.damaged == {}
