"""Word returns: a .docx rendered by apforms, filled in (here, edited as a person edits it in
Word: text typed over, boxes ticked and unticked, table rows added and deleted, paragraphs
added) and saved again by LibreOffice, reads back into the exact record; anything it cannot
place is named in a warning, and a Word document apforms did not make is refused."""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from apforms.cli import main
from apforms.errors import IngestError
from apforms.formats.docx import marks
from apforms.formats.docx.compile import render_docx
from apforms.formats.docx.read import ingest_docx
from apforms.model import records
from apforms.model.definitions import load_definition
from apforms.present import options_of
from tests.pdf_support import canonical_example

W = marks.W
DOCS = ("referral", "commissioning", "sla", "qa", "improvement-plan")
SOFFICE = shutil.which("soffice")
needs_libreoffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def _rendered(doc: str, data: dict[str, Any] | None = None) -> bytes:
    return render_docx(load_definition(doc), canonical_example(doc) if data is None else data)


def libreoffice_save(files: dict[str, bytes], tmp: Path) -> dict[str, bytes]:
    """Each document opened and saved again as .docx by LibreOffice (one run for all)."""
    src, out = tmp / "in", tmp / "out"
    src.mkdir()
    for name, data in files.items():
        (src / f"{name}.docx").write_bytes(data)
    profile = (tmp / "profile").as_uri()
    subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
         "docx:MS Word 2007 XML", "--outdir", str(out), *sorted(str(p) for p in src.iterdir())],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return {name: (out / f"{name}.docx").read_bytes() for name in files}


class WordCopy:
    """A rendered form edited the way a person edits it in Word, at the XML level."""

    def __init__(self, data: bytes) -> None:
        self.zip = data
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.root = etree.fromstring(z.read("word/document.xml"))

    def _bookmark(self, kind: str, path: str, option: str | None = None) -> etree._Element:
        prefix = marks.PREFIX + marks.mark(kind, path, option)
        for bm in self.root.iter(W + "bookmarkStart"):
            if (bm.get(W + "name") or "").startswith(prefix):
                return bm
        raise AssertionError(f"no mark for {kind} {path} {option}")

    def _answer_cell(self, kind: str, path: str, option: str | None = None) -> etree._Element:
        """The cell a mark on a label points at (``x<cell>``, ``y<rows below>``)."""
        bm = self._bookmark(kind, path, option)
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        assert m and m.group(2) is not None, bm.get(W + "name")
        tr = self._up(bm, "tr")
        for _ in range(int(m.group(3) or 0)):
            tr = tr.getnext()
        return tr.findall(W + "tc")[int(m.group(2))]

    @staticmethod
    def _up(el: etree._Element, tag: str) -> etree._Element:
        node = el.getparent()
        while node is not None and node.tag != W + tag:
            node = node.getparent()
        assert node is not None
        return node

    @staticmethod
    def _write(p: etree._Element, text: str) -> None:
        """Replace the text of a paragraph (its runs), keeping its bookmarks."""
        for r in p.findall(W + "r"):
            p.remove(r)
        r = etree.SubElement(p, W + "r")
        t = etree.SubElement(r, W + "t")
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    def type_in(self, path: str, text: str) -> None:
        """Select the answer's cell, type over it; Enter between lines (new paragraphs)."""
        cell = self._answer_cell(marks.VALUE, path)
        first, *rest = cell.findall(W + "p")
        for p in rest:
            cell.remove(p)
        lines = text.split("\n")
        self._write(first, lines[0])
        at = first
        for line in lines[1:]:
            p = copy.deepcopy(first)
            self._write(p, line)
            at.addnext(p)
            at = p

    def tick(self, path: str, option: str | None = None, mark: str = "☒") -> None:
        """Type ``mark`` over the box (the box before the option's label, or in its cell)."""
        bm = self._bookmark(marks.BOX, path, option)
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        assert m is not None
        if m.group(2) is not None:
            texts = [
                t for t in self._answer_cell(marks.BOX, path, option).iter(W + "t") if t.text in ("☐", "☒")
            ]
        else:
            p = bm.getparent()
            texts = [
                t
                for r in p[: p.index(bm)]
                if r.tag == W + "r"
                for t in r.iter(W + "t")
                if t.text in ("☐", "☒")
            ]
        assert texts, (path, option)
        texts[-1].text = mark

    def _grid(self, path: str) -> etree._Element:
        return self._up(self._bookmark(marks.GRID, path), "tbl")

    def add_row(self, path: str, values: list[str]) -> None:
        """Insert a row below the last (Word copies its formatting, not its text), and type."""
        last = self._grid(path).findall(W + "tr")[-1]
        row = copy.deepcopy(last)
        for tc, value in zip(row.findall(W + "tc"), values, strict=True):
            first, *rest = tc.findall(W + "p")
            for p in rest:
                tc.remove(p)
            self._write(first, value)
        last.addnext(row)

    def delete_row(self, path: str, index: int) -> None:
        tbl = self._grid(path)
        rows = tbl.findall(W + "tr")
        tbl.remove(rows[1 + index])  # after the header row

    def add_paragraph(self, path: str, text: str) -> None:
        """Enter at the end of the last paragraph of a prose answer, and type."""
        style = marks.answer_style(path).replace(" ", "")  # its id, as python-docx makes it
        mine = [
            p for p in self.root.iter(W + "p")
            if (s := p.find(f"{W}pPr/{W}pStyle")) is not None and s.get(W + "val") == style
        ]  # fmt: skip
        assert mine, style
        new = copy.deepcopy(mine[-1])
        self._write(new, text)
        mine[-1].addnext(new)

    def type_after_heading(self, heading: str, text: str) -> None:
        for p in self.root.iter(W + "p"):
            if "".join(p.itertext()).strip() == heading:
                new = etree.Element(W + "p")
                self._write(new, text)
                p.addnext(new)
                return
        raise AssertionError(heading)

    def save(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(self.zip)) as zin, zipfile.ZipFile(out, "w") as z:
            for item in zin.infolist():
                data = zin.read(item)
                if item.filename == "word/document.xml":
                    data = etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)
                z.writestr(item, data)
        return out.getvalue()


# --------------------------------------------------------------------------- as rendered


@pytest.mark.parametrize("doc", DOCS)
def test_every_document_reads_back_exactly(doc: str) -> None:
    data = canonical_example(doc)
    result = ingest_docx(_rendered(doc), f"{doc}.docx")
    assert result.record["data"] == data
    assert result.method == "word" and result.warnings == [] and result.review == []
    assert result.record["provenance"]["identified_by"] == "properties"


@pytest.mark.parametrize("doc", DOCS)
def test_a_blank_form_reads_back_empty(doc: str) -> None:
    result = ingest_docx(_rendered(doc, {}), f"{doc}.docx")
    # only the fields whose definition gives the council's example wording are named
    defaulted = result.record["provenance"]["defaulted"]
    assert len(result.warnings) == len(defaulted)
    assert all("example wording" in w for w in result.warnings)
    assert records.validate(load_definition(doc), result.record["data"], partial=True).ok


# --------------------------------------------------------------------------- filled in Word


def _filled_referral() -> tuple[bytes, dict[str, Any]]:
    """The referral edited as a provider would, and the record that must come back."""
    data = canonical_example("referral")
    w = WordCopy(_rendered("referral"))
    w.type_in("pupil.legal_name", "Mia-Rose O’Neill")
    w.type_in("reason.statement", "First paragraph of the reason.\nSecond paragraph, typed after Enter.")
    w.tick("status.child_in_need", mark="☒" if not data["status"].get("child_in_need") else "☐")
    w.tick("transport.arrangements", "taxi")
    w.tick("transport.arrangements", "parent_carer", mark="X")
    for day in ("monday",):
        for o in ("home_school", "this_provider", "other_provision", "none"):
            w.tick(f"timetable.{day}.am.place", o, mark="☐")
        w.tick(f"timetable.{day}.am.place", "other_provision")
    w.tick("risk_indicators.weapon", "never", mark="☐")
    w.tick("risk_indicators.weapon", "occasionally", mark="✓")
    w.add_row("sen.agencies", ["Derwent Youth Mentoring", "Sam Okafor", "01332 000 111"])
    w.delete_row("sen.agencies", 0)
    status = data["status"]
    status["child_in_need"] = not status.get("child_in_need")
    data["pupil"]["legal_name"] = "Mia-Rose O’Neill"
    data["reason"]["statement"] = "First paragraph of the reason.\nSecond paragraph, typed after Enter."
    ticked = set(data["transport"].get("arrangements") or []) | {"taxi", "parent_carer"}
    data["transport"]["arrangements"] = [o for o in ("taxi", "parent_carer", "independent") if o in ticked]
    data["timetable"]["monday"]["am"]["place"] = "other_provision"
    data["risk_indicators"]["weapon"] = "occasionally"
    agencies = data["sen"]["agencies"][1:]
    data["sen"]["agencies"] = [
        *agencies,
        {"name": "Derwent Youth Mentoring", "contact": "Sam Okafor", "contact_details": "01332 000 111"},
    ]
    return w.save(), data


def _expected(doc: str, data: dict[str, Any]) -> dict[str, Any]:
    result = records.validate(load_definition(doc), data)
    assert result.ok, result.problems
    return result.data


def test_a_referral_filled_in_word_reads_back_exactly() -> None:
    content, data = _filled_referral()
    result = ingest_docx(content, "referral.docx")
    assert result.warnings == []
    assert result.record["data"] == _expected("referral", data)


def filled_sla() -> tuple[bytes, dict[str, Any]]:
    """The SLA with a sentence added, a cost row added and an answer typed over two lines,
    and the record that must come back."""
    data = canonical_example("sla")
    w = WordCopy(_rendered("sla"))
    w.add_paragraph("terms.provider_general", "The provider will share its fire risk assessment.")
    w.add_row("provision.costings", ["Transport", "10", "£12.50", "£125.00"])
    w.type_in("provision.days_sessions", "Monday and Wednesday\nmornings only")
    data["terms"]["provider_general"].append("The provider will share its fire risk assessment.")
    data["provision"]["costings"].append({"item": "Transport", "sessions": 10, "rate": 12.5, "amount": 125})
    data["provision"]["days_sessions"] = "Monday and Wednesday\nmornings only"
    return w.save(), _expected("sla", data)


def test_the_sla_with_a_sentence_added_and_a_cost_row_reads_back_exactly() -> None:
    content, expected = filled_sla()
    result = ingest_docx(content, "sla.docx")
    assert result.warnings == []
    assert result.record["data"] == expected


@needs_libreoffice
def test_forms_saved_again_by_libreoffice_read_back_exactly(tmp_path: Path) -> None:
    """LibreOffice rewrites the whole package (its own styles, ids and bookmarks) when it
    saves: every document, and a referral filled in, still read back exactly."""
    filled, filled_data = _filled_referral()
    files = {doc: _rendered(doc) for doc in DOCS} | {"filled": filled}
    saved = libreoffice_save(files, tmp_path)
    for doc in DOCS:
        assert saved[doc] != files[doc]
        result = ingest_docx(saved[doc], f"{doc}.docx")
        assert result.record["data"] == canonical_example(doc), doc
        assert result.warnings == [], doc
    result = ingest_docx(saved["filled"], "filled.docx")
    assert result.warnings == []
    assert result.record["data"] == _expected("referral", filled_data)


# --------------------------------------------------------------------------- never silently


def test_text_typed_outside_every_answer_is_named_for_review() -> None:
    w = WordCopy(_rendered("referral"))
    w.type_after_heading("Reason for referral", "Mum phoned: he is not to travel by taxi.")
    result = ingest_docx(w.save(), "referral.docx")
    (warning,) = [x for x in result.warnings if "in no field" in x]
    assert "Mum phoned: he is not to travel by taxi." in warning
    assert result.review, "the record needs review"


def test_a_box_that_holds_something_else_is_not_guessed() -> None:
    w = WordCopy(_rendered("referral", {}))
    w.tick("safeguarding.harm", "yes", mark="?")
    result = ingest_docx(w.save(), "referral.docx")
    assert any("safeguarding.harm" in x and "holds '? Yes'" in x for x in result.warnings), result.warnings
    assert "harm" not in (result.record["data"].get("safeguarding") or {})
    assert "safeguarding.harm" in result.review


def test_two_boxes_ticked_for_one_answer_take_neither() -> None:
    w = WordCopy(_rendered("referral", {}))
    w.tick("safeguarding.violence", "yes")
    w.tick("safeguarding.violence", "no")
    result = ingest_docx(w.save(), "referral.docx")
    assert any("more than one box" in x and "safeguarding.violence" in x for x in result.warnings)
    assert "violence" not in (result.record["data"].get("safeguarding") or {})


def test_a_row_with_a_cell_merged_or_split_is_named() -> None:
    w = WordCopy(_rendered("referral"))
    w.add_row("sen.agencies", ["A", "B", "C"])
    row = w._grid("sen.agencies").findall(W + "tr")[-1]
    row.remove(row.findall(W + "tc")[-1])  # a cell merged away
    result = ingest_docx(w.save(), "referral.docx")
    assert any("row 4 has 2 cells" in x for x in result.warnings), result.warnings


# --------------------------------------------------------------------------- refused


def _docx(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def test_word_documents_apforms_did_not_make_are_refused_in_one_line(tmp_path: Path) -> None:
    import docx

    foreign = tmp_path / "letter.docx"
    d = docx.Document()
    d.add_paragraph("Dear Sir or Madam")
    d.save(str(foreign))
    with pytest.raises(IngestError, match="not made by apforms"):
        ingest_docx(foreign.read_bytes(), "letter.docx")
    notdocx = tmp_path / "photos.docx"
    notdocx.write_bytes(_docx({"photo.txt": b"x"}))
    big = tmp_path / "bomb.docx"
    rendered = _rendered("referral")
    with zipfile.ZipFile(io.BytesIO(rendered)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["word/document.xml"] = b" " * (65 * 1024 * 1024)
    big.write_bytes(_docx(parts))
    runner = CliRunner()
    for path, reason in (
        (foreign, "not made by apforms"),
        (notdocx, "not a Word document"),
        (big, "too large"),
    ):
        out = tmp_path / f"{path.stem}.json"
        r = runner.invoke(main, ["ingest", str(path), "-o", str(out)])
        assert r.exit_code == 2, r.output
        assert reason in r.output and len(r.output.strip().splitlines()) == 1, r.output
        assert not out.exists()


def test_validate_check_and_ingest_take_a_word_return(tmp_path: Path) -> None:
    content, data = _filled_referral()
    path = tmp_path / "referral-back.docx"
    path.write_bytes(content)
    runner = CliRunner()
    r = runner.invoke(main, ["validate", str(path)])
    assert r.exit_code == 0, r.output
    assert "read from the returned Word document" in r.output
    r = runner.invoke(main, ["check", str(path)])
    assert "read from the returned Word document" in r.output
    out = tmp_path / "referral.json"
    r = runner.invoke(main, ["ingest", str(path), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "read from the returned Word document" in r.output
    assert json.loads(out.read_text(encoding="utf-8"))["data"] == _expected("referral", data)


def test_the_rendered_form_still_opens_as_word_expects() -> None:
    """Every bookmark has its own id and name (Word keeps only the first of a name)."""
    with zipfile.ZipFile(io.BytesIO(_rendered("qa"))) as z:
        root = etree.fromstring(z.read("word/document.xml"))
        assert marks.CUSTOM_PART in z.namelist()
    starts = list(root.iter(W + "bookmarkStart"))
    ends = list(root.iter(W + "bookmarkEnd"))
    assert len(starts) > 100
    assert len({b.get(W + "name") for b in starts}) == len(starts)
    assert sorted(b.get(W + "id") for b in starts) == sorted(b.get(W + "id") for b in ends)
    assert all((b.get(W + "name") or "").startswith("_") for b in starts)  # hidden in Word


if os.environ.get("APFORMS_KEEP_WORD_RETURNS"):  # pragma: no cover - to look at by hand
    Path("referral-filled.docx").write_bytes(_filled_referral()[0])


def test_a_review_copied_in_word_is_named_not_dropped() -> None:
    """Word copies a block without its bookmarks: a review pasted as a third card cannot be
    placed, so its text is named in warnings and the record needs review."""
    w = WordCopy(_rendered("commissioning"))
    caption = w._up(w._bookmark(marks.CARD, "reviews.reviews"), "p")
    block = [caption]
    node = caption.getnext()
    while node is not None and not any(
        (b.get(W + "name") or "").startswith(marks.PREFIX + "c") for b in node.iter(W + "bookmarkStart")
    ):
        block.append(node)
        node = node.getnext()
    body = caption.getparent()
    at = body.index(body.find(W + "sectPr")) if body.find(W + "sectPr") is not None else len(body)
    for el in block:
        pasted = copy.deepcopy(el)
        for bm in list(pasted.iter(W + "bookmarkStart", W + "bookmarkEnd")):
            bm.getparent().remove(bm)
        body.insert(at, pasted)
        at += 1
    result = ingest_docx(w.save(), "commissioning.docx")
    assert result.record["data"] == canonical_example("commissioning")  # the two reviews as they were
    unread = [x for x in result.warnings if "in no field" in x]
    behaviour = canonical_example("commissioning")["reviews"]["reviews"][0]["behaviour"]
    assert any(behaviour[:40] in x for x in unread), unread
    assert result.review


def test_text_typed_before_the_first_answer_is_named_for_review() -> None:
    w = WordCopy(_rendered("sla"))
    w.type_after_heading("Alternative provision service level agreement", "DRAFT – not agreed yet")
    result = ingest_docx(w.save(), "sla.docx")
    assert any("DRAFT – not agreed yet" in x for x in result.warnings)
    assert result.review == ["agreement.reference"]


def test_a_word_form_from_an_earlier_apforms_is_refused_with_the_reason() -> None:
    with zipfile.ZipFile(io.BytesIO(_rendered("sla"))) as z:
        parts = {n: z.read(n) for n in z.namelist() if n != marks.CUSTOM_PART}
    with pytest.raises(IngestError, match="from an earlier apforms"):
        ingest_docx(_docx(parts), "old-sla.docx")


# --------------------------------------------------------------------------- typed in LibreOffice

#: A LibreOffice Basic macro that edits documents as a person types: find a text, select
#: what is to be typed over, and type (``.uno:InsertText``, what a key press does: it deletes
#: the selection first). Each edit: file index, text to find (after another, optionally),
#: what to select, what to type.
_MACRO = """
Function Mark(doc, prefix)
  names = doc.getBookmarks().getElementNames()
  For i = 0 To UBound(names)
    If Left(names(i), Len(prefix)) = prefix Then Mark = doc.getBookmarks().getByName(names(i)).getAnchor()
  Next
End Function

Sub TypeOver(doc, rng, text)
  ctl = doc.getCurrentController()
  ctl.select(rng)
  Dim a(0) As New com.sun.star.beans.PropertyValue
  a(0).Name = "Text" : a(0).Value = text
  helper = createUnoService("com.sun.star.frame.DispatchHelper")
  helper.executeDispatch(ctl.getFrame(), ".uno:InsertText", "", 0, a())
End Sub

Function NextCell(found)
  name = found.Cell.CellName
  NextCell = found.TextTable.getCellByName(Chr(Asc(Left(name, 1)) + 1) & Mid(name, 2))
End Function

Sub Main
  On Error GoTo Failed
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden" : args(0).Value = True
  Dim s(0) As New com.sun.star.beans.PropertyValue
  s(0).Name = "FilterName" : s(0).Value = "MS Word 2007 XML"
@BODY@
  StarDesktop.terminate()
  Exit Sub
Failed:
  n = FreeFile
  Open "@LOG@" For Output As #n
  Print #n, Error$ & " (line " & Erl & ")"
  Close #n
  StarDesktop.terminate()
End Sub
"""


def _basic(text: str) -> str:
    return " & ".join(f"Chr({ord(c)})" for c in text) or '""'


def libreoffice_typed(jobs: list[tuple[bytes, list[tuple[str, str | None, str]]]], tmp: Path) -> list[bytes]:
    """Each document edited in LibreOffice by typing (``.uno:InsertText`` over a selection,
    what a key press does), and saved as .docx. An edit is (field path, option or None for a
    tick box, text): a box's mark is after its label, so the box is selected that many
    characters to its left and typed over; a value's mark is on its label, and the answer's
    cell (the next one) is selected whole and typed over."""
    from apforms.formats.docx.marks import PREFIX
    from apforms.formats.docx.marks import mark as mark_of

    body = []
    for i, (data, edits) in enumerate(jobs):
        src, out = tmp / f"in{i}.docx", tmp / f"out{i}.docx"
        src.write_bytes(data)
        body.append(f'  doc = StarDesktop.loadComponentFromURL("{src.as_uri()}", "_blank", 0, args())')
        for path, option, text in edits:
            f = load_definition("referral").field_at(path)
            if option == "value":
                body.append(f'  found = Mark(doc, "{PREFIX + mark_of("v", path)}")')
                body.append("  cur = NextCell(found).getText().createTextCursor()")
                body.append("  cur.gotoStart(False) : cur.gotoEnd(True)")
            else:
                label = (
                    f.label if option is None else next(o.label for o in options_of(f) if o.value == option)
                )
                body.append(f'  found = Mark(doc, "{PREFIX + mark_of("b", path, option)}")')
                body.append("  cur = found.getText().createTextCursorByRange(found.getStart())")
                body.append(f"  cur.goLeft({len(label) + 2}, False) : cur.goRight(1, True)")
            body.append(f"  TypeOver(doc, cur, {_basic(text)})")
        body.append(f'  doc.storeToURL("{out.as_uri()}", s())')
        body.append("  doc.close(True)")
    from xml.sax.saxutils import escape

    profile = tmp / "profile"
    # a first start makes the profile (with its Standard macro library), then the macro goes in
    start = [SOFFICE or "soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    subprocess.run([*start, "--terminate_after_init"], capture_output=True, timeout=240)
    module = profile / "user" / "basic" / "Standard" / "Module1.xba"
    log = tmp / "macro.log"
    basic = _MACRO.replace("@BODY@", "\n".join(body)).replace("@LOG@", str(log))
    module.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD '
        'OfficeDocument 1.0//EN" "module.dtd">\n'
        '<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
        f'script:language="StarBasic">{escape(basic)}</script:module>',
        encoding="utf-8",
    )
    subprocess.run(
        [*start, "--invisible", "macro:///Standard.Module1.Main"], capture_output=True, timeout=120
    )
    outs = [tmp / f"out{i}.docx" for i in range(len(jobs))]
    missing = [str(o) for o in outs if not o.exists()]
    assert not missing, f"LibreOffice did not save {missing}: {log.read_text() if log.exists() else ''}"
    return [o.read_bytes() for o in outs]


@needs_libreoffice
def test_boxes_ticked_and_answers_typed_over_in_libreoffice(tmp_path: Path) -> None:
    """Typing ☒ over a box, or over an answer, in LibreOffice deletes a bookmark at the place
    typed over: the marks are on the labels, so every answer is read all the same."""
    blank_edits: list[tuple[str, str | None, str]] = [
        ("pupil.gender", "F", "☒"),
        ("safeguarding.harm", "yes", "☒"),
        ("status.child_protection", None, "X"),
        ("pupil.legal_name", "value", "Maja Nowak"),
        ("pupil.religion", "value", "None"),
    ]
    full_edits: list[tuple[str, str | None, str]] = [
        ("pupil.religion", "value", "Church of England"),
        ("pupil.gender", "U", "☒"),
    ]
    blank, full = libreoffice_typed(
        [(_rendered("referral", {}), blank_edits), (_rendered("referral"), full_edits)], tmp_path
    )
    got = ingest_docx(blank, "blank.docx")
    assert got.warnings == [], got.warnings
    data = got.record["data"]
    assert data["pupil"]["gender"] == "F" and data["pupil"]["legal_name"] == "Maja Nowak"
    assert data["pupil"]["religion"] == "None"
    assert data["safeguarding"]["harm"] is True and data["status"]["child_protection"] is True
    got = ingest_docx(full, "full.docx")
    # the example's gender is F: now two boxes are ticked, which is named and not guessed
    assert [w for w in got.warnings if "pupil.gender" in w and "more than one box" in w], got.warnings
    expected = canonical_example("referral")
    expected["pupil"]["religion"] = "Church of England"
    del expected["pupil"]["gender"]
    assert got.record["data"] == expected  # the whole record: nothing else moved
