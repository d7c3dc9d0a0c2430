"""Reading returned PDFs: filled by apforms or other software, flattened, re-printed, or
hostile. The round trip record → PDF → record compares whole canonical records."""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apforms import api
from apforms.cli import main
from apforms.errors import IngestError
from apforms.formats.pdf.read import identify_pdf, ingest_pdf
from apforms.formats.pdf.writer import render_pdf
from apforms.model import records
from apforms.model.definitions import Field, load_definition

from .pdf_support import (
    UNICODE_NAMES,
    cairo_reprint,
    canonical_example,
    example_pdf,
    need,
    pdfium_flatten,
    qpdf_flatten,
    raw_pdf,
    run_tool,
    save,
)

# --------------------------------------------------------------------------- round trips


def _ingested(data: bytes) -> tuple[dict[str, Any], str, list[str]]:
    """The record file read back (without its provenance), how it was read, warnings."""
    result = ingest_pdf(data, "returned.pdf")
    assert result.ok, [str(p) for p in result.validation.problems]
    record = {k: v for k, v in result.record.items() if k != "provenance"}
    return record, result.method, result.warnings


def _expected(doc: str) -> dict[str, Any]:
    return {"document": doc, "version": load_definition(doc).version, "data": canonical_example(doc)}


def test_example_round_trips_through_form_fields(doc: str) -> None:
    record, method, warnings = _ingested(example_pdf(doc))
    assert method == "fields" and warnings == []
    assert record == _expected(doc)


def test_example_round_trips_after_flatten(doc: str) -> None:
    record, method, warnings = _ingested(example_pdf(doc, flatten=True))
    assert method == "flattened" and warnings == []
    assert record == _expected(doc)


FLATTENERS: dict[str, Callable[[bytes, Path], bytes]] = {
    "qpdf --flatten-annotations=all": qpdf_flatten,
    "PDFium page flattening": lambda data, tmp: pdfium_flatten(data),
    "pdftocairo -pdf (printed to PDF)": cairo_reprint,
}


@pytest.mark.parametrize("tool", list(FLATTENERS))
def test_example_round_trips_through_real_flatteners(doc: str, tool: str, tmp_path: Path) -> None:
    returned = FLATTENERS[tool](example_pdf(doc), tmp_path)
    with pikepdf.open(io.BytesIO(returned)) as pdf:
        assert not any("/Annots" in p.obj for p in pdf.pages)  # really flattened
    record, method, _ = _ingested(returned)
    assert method == "flattened"
    assert record == _expected(doc)


def test_record_file_has_provenance_beside_data() -> None:
    pdf = example_pdf("sla")
    record = ingest_pdf(pdf, "sla-returned.pdf").record
    assert set(record) == {"document", "version", "data", "provenance"}
    prov = record["provenance"]
    import hashlib

    assert prov["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert prov["source"] == "sla-returned.pdf" and prov["read_from"] == "fields"
    assert prov["form_version"] == "1.0" and prov["warnings"] == [] and prov["defaulted"] == []
    assert prov["digital_signatures"] == {
        "signatures.provider.digital": False,
        "signatures.school.digital": False,
    }


def test_identify_pdf() -> None:
    assert identify_pdf(example_pdf("qa")) == ("qa", load_definition("qa").version)
    assert identify_pdf(example_pdf("qa", flatten=True)) == ("qa", load_definition("qa").version)
    assert identify_pdf(b"not a pdf") is None
    assert identify_pdf(_foreign_form()) is None


def test_invalid_values_still_give_a_record_with_problems_by_label() -> None:
    definition = load_definition("sla")
    data = canonical_example("sla")
    del data["provider"]["name"]
    pdf = pikepdf.open(io.BytesIO(render_pdf(definition, data)))
    for f in pikepdf.AcroForm(pdf).fields:
        if f.fully_qualified_name == "provider.postcode":
            f.obj.V = pikepdf.String("nowhere")
    result = ingest_pdf(save(pdf), "x.pdf")
    assert not result.ok
    shown = [str(p) for p in result.validation.problems]
    assert "Name of provider (provider.name): Missing data" in shown
    assert "Postcode (provider.postcode): 'nowhere' is not a UK postcode" in shown
    assert result.record["data"]["provider"]["postcode"] == "nowhere"  # as read, to correct


# --------------------------------------------------------------------------- Hypothesis

WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'.,&/()", min_size=1, max_size=12
)
NAME = st.sampled_from(UNICODE_NAMES)
PHRASE = st.lists(st.one_of(WORD, NAME), min_size=1, max_size=8).map(" ".join)
PARAGRAPHS = st.lists(PHRASE, min_size=1, max_size=3).map("\n".join)


def _leaf(f: Field) -> st.SearchStrategy[Any]:
    t = f.type
    if t == "longtext":
        return PARAGRAPHS
    if t == "date":
        return st.dates().filter(lambda d: 1990 <= d.year <= 2040).map(lambda d: d.isoformat())
    if t in ("integer", "decimal", "money", "percentage"):
        lo = int(f.min) if f.min is not None else 0
        hi = int(f.max) if f.max is not None else (100 if t == "percentage" else 100000)
        if t == "integer":
            return st.integers(lo, hi)
        return st.integers(lo * 100, hi * 100).map(lambda c: c // 100 if c % 100 == 0 else c / 100)
    if t == "email":
        return st.sampled_from(["a.qureshi@example.sch.uk", "jan.conka@example.org"])
    if t == "phone":
        return st.sampled_from(["01332 496012", "07700 900123"])
    if t == "postcode":
        return st.sampled_from(["DE1 2AA", "DE24 9XX", "NG1 1AA"])
    if t == "upn":
        return st.sampled_from(["W831400516007"])
    if t in ("yesno", "tick"):
        return st.booleans()
    if t in ("choice", "rating", "rag", "frequency"):
        return st.sampled_from([o.value for o in f.options])
    if t == "multichoice":  # kept in the options' order: a form's tick boxes have no order
        return st.lists(st.sampled_from(range(len(f.options))), unique=True, min_size=1).map(
            lambda ix: [f.options[i].value for i in sorted(ix)]
        )
    if t == "list":
        return st.lists(PHRASE, min_size=1, max_size=min(f.max_rows or 3, 4))
    return PHRASE


def _fields(fields: tuple[Field, ...]) -> st.SearchStrategy[dict[str, Any]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields:
        if f.type in ("group", "signature"):
            parts[f.key] = _fields(f.fields)
        elif f.type == "table":
            parts[f.key] = st.lists(_fields(f.fields), min_size=1, max_size=min(f.max_rows or 2, 3))
        else:
            parts[f.key] = _leaf(f)
    # any subset of the fields, so partial forms are covered too
    return st.fixed_dictionaries({}, optional=parts)


def _records(doc: str) -> st.SearchStrategy[dict[str, Any]]:
    definition = load_definition(doc)
    return _fields(definition.sections).map(lambda data: records.validate(definition, data, partial=True))  # type: ignore[return-value]


@pytest.mark.parametrize("doc_id", ["referral", "qa"])
@pytest.mark.parametrize("flatten", [False, True])
def test_random_records_round_trip(doc_id: str, flatten: bool) -> None:
    definition = load_definition(doc_id)

    @settings(max_examples=25 if not flatten else 12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_records(doc_id))
    def check(result: records.ValidationResult) -> None:
        assume(result.ok)
        pdf = render_pdf(definition, result.data, flatten=flatten)
        read = ingest_pdf(pdf, "random.pdf")
        # a value too long for its box at the smallest size is clipped on paper, and said so
        assume(not any("was clipped" in w for w in read.warnings))
        again = records.validate(definition, read.record["data"], partial=True)
        assert again.ok, again.problems
        assert again.data == result.data
        assert read.method == ("flattened" if flatten else "fields")

    check()


# --------------------------------------------------------------------------- other software


def _fields_of(pdf: pikepdf.Pdf) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for f in pikepdf.AcroForm(pdf).fields:
        out.setdefault(f.fully_qualified_name, []).append(f)
    return out


def _blank_referral() -> bytes:
    definition = load_definition("referral")
    return render_pdf(definition, records.canonical(definition, {}))


def test_foreign_quirks_are_read() -> None:
    """On-states other than /Yes, radio values as strings or only in /AS, numbered states
    with /Opt, UTF-16 strings in either byte order, values only in /V with NeedAppearances."""
    pdf = pikepdf.open(io.BytesIO(_blank_referral()))
    fields = _fields_of(pdf)
    tick = fields["status.lac.voluntary"][0].obj  # a tick box whose on state is /On
    tick.AP.N = pikepdf.Dictionary({"/On": tick.AP.N.Yes, "/Off": tick.AP.N.Off})
    tick.V = tick.AS = pikepdf.Name("/On")
    gender = fields["pupil.gender"]  # a radio value as a string (the page shows the same)
    gender[0].obj.Parent.V = pikepdf.String("F")
    for w in gender:
        w.obj.AS = pikepdf.Name("/F" if "/F" in w.obj.AP.N else "/Off")
    for w in fields["placement.arranged_by"]:  # only the button's /AS says which
        w.obj.AS = pikepdf.Name("/local_authority" if w.obj.AP.N.keys() >= {"/local_authority"} else "/Off")
    fsm = fields["status.fsm"]  # numbered states /0 /1, export values in /Opt
    fsm[0].obj.Parent.Opt = pikepdf.Array([pikepdf.String("Yes"), pikepdf.String("No")])
    for number, w in enumerate(fsm):
        on = next(k for k in w.obj.AP.N if k != "/Off")
        w.obj.AP.N = pikepdf.Dictionary({f"/{number}": w.obj.AP.N[on], "/Off": w.obj.AP.N.Off})
        w.obj.AS = pikepdf.Name(f"/{number}" if number == 1 else "/Off")
    fsm[0].obj.Parent.V = pikepdf.Name("/1")
    name = fields["pupil.legal_name"][0].obj
    name.V = pikepdf.String(b"\xff\xfe" + "Şükrü Yılmaz".encode("utf-16-le"))
    school = fields["pupil.current_school"][0].obj
    school.V = pikepdf.String(b"\xfe\xff" + "Nguyễn Thị Hoa Academy".encode("utf-16-be"))
    del school["/AP"]  # value only in /V; the viewer is asked to draw it
    pdf.Root.AcroForm.NeedAppearances = True
    result = ingest_pdf(save(pdf), "foreign.pdf")
    data = result.record["data"]
    assert data["status"]["lac"]["voluntary"] is True
    assert data["pupil"]["gender"] == "F"
    assert data["placement"]["arranged_by"] == "local_authority"
    assert data["status"]["fsm"] is False
    assert data["pupil"]["legal_name"] == "Şükrü Yılmaz"
    assert data["pupil"]["current_school"] == "Nguyễn Thị Hoa Academy"


def test_the_page_wins_where_the_data_and_the_page_disagree() -> None:
    """A viewer shows buttons by their /AS: a value the page does not show is not taken
    silently; where /V and /AS disagree the page wins and a warning names the field."""
    pdf = pikepdf.open(io.BytesIO(_blank_referral()))
    fields = _fields_of(pdf)
    tick = fields["status.lac.voluntary"][0].obj  # pdftk: /V /On on a box whose on state is /Yes
    tick.V, tick.AS = pikepdf.Name("/On"), pikepdf.Name("/Off")
    gender = fields["pupil.gender"]  # the group's /V says F, no button is shown on
    gender[0].obj.Parent.V = pikepdf.Name("/F")
    cp = fields["status.cp_category"]  # the group's /V says Off, a button is shown on
    cp[0].obj.Parent.V = pikepdf.Name("/Off")
    for w in cp:
        w.obj.AS = pikepdf.Name("/EMO" if "/EMO" in w.obj.AP.N else "/Off")
    arranged = fields["placement.arranged_by"]  # pypdf: the choice on the group, /V /Off on each button
    arranged[0].obj.Parent.V = pikepdf.Name("/school")
    for w in arranged:
        w.obj.V = pikepdf.Name("/Off")
        w.obj.AS = pikepdf.Name("/school" if "/school" in w.obj.AP.N else "/Off")
    result = ingest_pdf(save(pdf), "mixed.pdf")
    data = result.record["data"]
    assert data["status"]["lac"]["voluntary"] is False
    assert "gender" not in data["pupil"]
    assert data["placement"]["arranged_by"] == "school"
    assert data["status"]["cp_category"] == "EMO"
    disagreements = [w for w in result.warnings if "what the page shows was taken" in w]
    assert len(disagreements) == 3, result.warnings
    assert any(
        "(status.cp_category)" in w and "says no choice but the page shows 'EMO'" in w for w in disagreements
    )
    assert any("(status.lac.voluntary)" in w and "shows it not ticked" in w for w in disagreements)
    assert any("(pupil.gender)" in w and "shows no choice" in w for w in disagreements)


def test_filled_by_pypdf() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_blank_referral())))
    values = {
        "pupil.legal_name": "Олександр Шевченко",
        "pupil.upn": "W831400516007",
        "pupil.date_of_birth": "04/05/2012",
    }
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    writer.set_need_appearances_writer(True)
    buf = io.BytesIO()
    writer.write(buf)
    data = ingest_pdf(buf.getvalue(), "pypdf.pdf").record["data"]
    assert data["pupil"]["legal_name"] == "Олександр Шевченко"
    assert data["pupil"]["date_of_birth"] == "2012-05-04"


def test_a_list_with_example_wording_read_as_empty_is_flagged_not_passed_off() -> None:
    """The SLA's obligations have the council's example wording as their default. A return
    whose list was cleared (or could not be read) must not come back as that wording, silently."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(example_pdf("sla"))))
    cleared = {name: "" for name in writer.get_fields() or {} if name.startswith("terms.school_obligations")}
    assert len(cleared) >= 4
    for page in writer.pages:
        writer.update_page_form_field_values(page, cleared, auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    result = ingest_pdf(buf.getvalue(), "cleared.pdf")
    assert result.record["provenance"]["defaulted"] == ["terms.school_obligations"]
    assert any(
        w.startswith("The school will: (terms.school_obligations): read as empty") for w in result.warnings
    )
    # the uncleared lists were read, not defaulted
    assert (
        result.record["data"]["terms"]["provider_obligations"]
        == canonical_example("sla")["terms"]["provider_obligations"]
    )


def test_filled_by_pdftk(tmp_path: Path) -> None:
    need("pdftk")
    xfdf = (
        '<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>'
        '<field name="pupil.legal_name"><value>Łukasz Wójcik</value></field>'
        '<field name="status.child_in_need"><value>Yes</value></field>'
        '<field name="pupil.gender"><value>M</value></field>'
        "</fields></xfdf>"
    )
    (tmp_path / "data.xfdf").write_text(xfdf, encoding="utf-8")
    out = run_tool(
        ["pdftk", "IN", "fill_form", str(tmp_path / "data.xfdf"), "output", "OUT"],
        tmp_path,
        _blank_referral(),
    )
    data = ingest_pdf(out, "pdftk.pdf").record["data"]
    assert data["pupil"]["legal_name"] == "Łukasz Wójcik"
    assert data["status"]["child_in_need"] is True
    assert data["pupil"]["gender"] == "M"


def test_filled_with_qpdf_json(tmp_path: Path) -> None:
    """qpdf's JSON round trip: dump the objects, set a value, write the file back."""
    need("qpdf")
    blank = _blank_referral()
    (tmp_path / "in.pdf").write_bytes(blank)
    with pikepdf.open(io.BytesIO(blank)) as pdf:
        obj = _fields_of(pdf)["pupil.religion"][0].obj.objgen[0]
    import subprocess

    dump = subprocess.run(
        ["qpdf", "--json-output", str(tmp_path / "in.pdf"), "-"], capture_output=True, check=True
    )
    doc = json.loads(dump.stdout)
    doc["qpdf"][1][f"obj:{obj} 0 R"]["value"]["/V"] = "u:Православна"
    update = {"qpdf": [doc["qpdf"][0], {f"obj:{obj} 0 R": doc["qpdf"][1][f"obj:{obj} 0 R"]}]}
    (tmp_path / "update.json").write_text(json.dumps(update), encoding="utf-8")
    subprocess.run(
        [
            "qpdf",
            str(tmp_path / "in.pdf"),
            f"--update-from-json={tmp_path / 'update.json'}",
            str(tmp_path / "out.pdf"),
        ],
        check=True,
        capture_output=True,
    )
    data = ingest_pdf((tmp_path / "out.pdf").read_bytes(), "qpdf.pdf").record["data"]
    assert data["pupil"]["religion"] == "Православна"


def test_filled_by_a_browser_incremental_update() -> None:
    """Browsers save a filled form as an incremental update: new versions of the field
    objects appended after the original file, with a second cross-reference section."""
    blank = _blank_referral()
    with pikepdf.open(io.BytesIO(blank)) as pdf:
        fields = _fields_of(pdf)
        target = fields["pupil.legal_name"][0].obj
        num = target.objgen[0]
        body = target.unparse(resolved=True).decode("latin-1")
        start = blank.rindex(b"startxref")
        prev = int(blank[start + 9 :].split()[0])
        size = int(pdf.trailer.Size)
    new_value = "<FEFF" + "Nguyễn Thị Hoa".encode("utf-16-be").hex().upper() + ">"
    body = body.replace("/V ", "/V_ ") + ""
    body = body[:-2] + f" /V {new_value} >>"
    update = f"\n{num} 0 obj\n{body}\nendobj\n".encode("latin-1")
    offset = len(blank) + 1
    xref = len(blank) + len(update)
    update += f"xref\n{num} 1\n{offset:010d} 00000 n \n".encode()
    trailer = f"<< /Size {size} /Root 1 0 R /Info 3 0 R /Prev {prev} >>"
    update += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    data = ingest_pdf(blank + update, "browser.pdf").record["data"]
    assert data["pupil"]["legal_name"] == "Nguyễn Thị Hoa"


def test_filled_by_pypdfform() -> None:
    pypdfform = pytest.importorskip("PyPDFForm")
    # PyPDFForm names fields by their last part (/T)
    filled = pypdfform.PdfWrapper(_blank_referral()).fill({"legal_name": "Ján Čonka"}, flatten=False)
    data = ingest_pdf(filled.read(), "pypdfform.pdf").record["data"]
    assert data["pupil"]["legal_name"] == "Ján Čonka"


# --------------------------------------------------------------------------- clipped values


def test_long_values_grow_their_boxes_and_read_back_exactly(tmp_path: Path) -> None:
    """apforms never clips: a value longer than its printed box grows the box (layout 2)."""
    definition = load_definition("sla")
    data = canonical_example("sla")
    data["provider"]["contact_name"] = ("Ştefan Ionescu " * 40).strip()
    data["terms"]["emergency_review_clause"] = ("An emergency review sets clear targets. " * 60).strip()
    record = records.validate(definition, data).data
    flat = render_pdf(definition, record, flatten=True)
    for copy in (flat, cairo_reprint(flat, tmp_path)):
        result = ingest_pdf(copy, "long.pdf")
        assert result.record["data"] == record
        assert not [w for w in result.warnings if "runs past" in w or "line breaks" in w]


def test_clipped_text_is_reported_per_field(tmp_path: Path) -> None:
    """Other software that fills a value longer than its box and flattens the form clips it;
    the reader says so by field."""
    need("qpdf")
    from pypdf import PdfReader, PdfWriter

    name = ("Stefan Ionescu " * 40).strip()
    clause = ("An emergency review sets clear targets. " * 60).strip()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(api.blank_bytes("sla", "pdf"))))
    values = {"provider.contact_name": name, "terms.emergency_review_clause": clause}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    warnings = ingest_pdf(qpdf_flatten(buf.getvalue(), tmp_path), "clipped.pdf").warnings
    assert any("(provider.contact_name): the text runs past its box" in w for w in warnings)
    assert any(
        "(terms.emergency_review_clause): " in w and ("runs past" in w or "line breaks could not" in w)
        for w in warnings
    )


# --------------------------------------------------------------------------- hostile files


def _foreign_form() -> bytes:
    """Another organisation's fillable form: an AcroForm with none of apforms' marks."""
    return raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            "<< /Type /Annot /Subtype /Widget /FT /Tx /T (surname) /V (Smith) "
            "/Rect [50 700 300 720] /P 3 0 R >>",
        ]
    )


def _encrypted() -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    buf = io.BytesIO()
    pdf.save(buf, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return buf.getvalue()


def _with_javascript() -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi')"))
    return save(pdf)


def _xfa_form() -> bytes:
    return raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [] /XFA 4 0 R >> /NeedsRendering true >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            '<< /Length 44 >>\nstream\n<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"/>\nendstream',
        ]
    )


def _many_pages() -> bytes:
    pdf = pikepdf.new()
    for _ in range(500):
        pdf.add_blank_page(page_size=(595, 842))
    return save(pdf)


def _looping_pages() -> bytes:
    return raw_pdf(
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
    )


def _looping_fields() -> bytes:
    """An apforms form whose field tree points back at itself."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    top = pdf.Root.AcroForm.Fields[1]
    top.Kids.append(top)
    top.Kids[0].Kids = pikepdf.Array([top])
    return save(pdf)


def _superscript_field() -> bytes:
    """An apforms form with a field named like a row that is none ('²' is a digit to
    str.isdigit, not to int())."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    top = pdf.Root.AcroForm.Fields[0]
    widget = pikepdf.Dictionary(
        T=pikepdf.String("²"), FT=pikepdf.Name.Tx, V=pikepdf.String("x"), Parent=top, Rect=[0, 0, 9, 9]
    )
    top.Kids.append(pdf.make_indirect(widget))
    return save(pdf)


HOSTILE: dict[str, Callable[[], bytes]] = {
    "empty file": lambda: b"",
    "truncated PDF": lambda: example_pdf("sla")[:20000],
    "JPEG named .pdf": lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(2000),
    "password-protected PDF": _encrypted,
    "PDF with JavaScript": _with_javascript,
    "XFA form": _xfa_form,
    "another organisation's form": _foreign_form,
    "500-page PDF": _many_pages,
    "page tree that loops": _looping_pages,
    "field tree that loops": _looping_fields,
    "field named like a row that is none": _superscript_field,
    "garbage after a PDF header": lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40,
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_files_are_refused_or_read_cleanly(case: str, tmp_path: Path) -> None:
    src = tmp_path / "returned.pdf"
    src.write_bytes(HOSTILE[case]())
    started = time.monotonic()
    result = CliRunner().invoke(main, ["ingest", str(src)])
    assert time.monotonic() - started < 10
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    written = tmp_path / "returned.json"
    if result.exit_code == 2:
        assert not written.exists()
        lines = [line for line in result.output.splitlines() if line.startswith("apforms:")]
        assert len(lines) == 1, result.output
    else:
        assert result.exit_code in (0, 1)
        assert json.loads(written.read_text(encoding="utf-8"))["document"] == "sla"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("empty file", "empty file"),
        ("JPEG named .pdf", "not a PDF (a JPEG image)"),
        ("password-protected PDF", "password-protected"),
        ("another organisation's form", "not an apforms form"),
        ("XFA form", "not an apforms form"),
        ("500-page PDF", "not an apforms form"),
    ],
)
def test_refusal_reasons(case: str, reason: str) -> None:
    with pytest.raises(IngestError, match=re.escape(reason)):
        ingest_pdf(HOSTILE[case](), "x.pdf")


@pytest.mark.parametrize("flatten", [False, True])
def test_a_damaged_file_qpdf_can_repair_is_read_with_a_warning(flatten: bool) -> None:
    pdf = example_pdf("sla", flatten=flatten)
    result = ingest_pdf(pdf[: pdf.rindex(b"trailer")], "cut.pdf")  # cross-reference table and trailer lost
    assert result.warnings[0].startswith("the file was damaged")
    assert result.record["data"] == canonical_example("sla")
    assert result.needs_review  # something may be missing: a person checks, though no field is named


def test_a_field_named_like_a_row_that_is_none_is_ignored_not_an_error() -> None:
    result = ingest_pdf(_superscript_field(), "odd.pdf")
    assert result.record["data"] == canonical_example("sla")
    assert "1 field(s) that are not on this form were ignored: agreement.²" in result.warnings


def test_javascript_is_noted_not_run() -> None:
    result = ingest_pdf(_with_javascript(), "js.pdf")
    assert (
        result.ok
        and "the file contains JavaScript (when the document opens); it was not run" in result.warnings
    )


def test_newer_form_version_is_refused() -> None:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    pdf.docinfo["/ApformsVersion"] = "99.0"
    with pytest.raises(IngestError, match="newer than this apforms knows"):
        ingest_pdf(save(pdf), "new.pdf")


# --------------------------------------------------------------------------- the command


def test_cli_ingest_writes_beside_the_pdf(tmp_path: Path) -> None:
    src = tmp_path / "returned-referral.pdf"
    src.write_bytes(example_pdf("referral", flatten=True))
    result = CliRunner().invoke(main, ["ingest", str(src)])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "returned-referral.json").read_text(encoding="utf-8"))
    assert record["data"] == canonical_example("referral")
    assert record["provenance"]["read_from"] == "flattened"
    assert "read from the returned PDF (flattened page)" in result.output


def test_cli_ingest_invalid_exits_1_and_still_writes(tmp_path: Path) -> None:
    definition = load_definition("referral")
    src = tmp_path / "blank.pdf"
    src.write_bytes(render_pdf(definition, records.canonical(definition, {})))
    out = tmp_path / "out" / "record.json"
    result = CliRunner().invoke(main, ["ingest", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "Pupil’s legal name in full (pupil.legal_name): Missing data" in result.output
    assert json.loads(out.read_text(encoding="utf-8"))["provenance"]["valid"] is False


def test_cli_ingest_refusal_exits_2_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "photo.pdf"
    src.write_bytes(HOSTILE["JPEG named .pdf"]())
    result = CliRunner().invoke(main, ["ingest", str(src)])
    assert result.exit_code == 2
    assert result.output.strip() == "apforms: a JPEG image that cannot be read (damaged or incomplete)"
    assert not (tmp_path / "photo.json").exists()


def test_cli_ingest_reads_several_files_and_a_folder_and_names_the_refused(tmp_path: Path) -> None:
    folder = tmp_path / "returns"
    (folder / "older").mkdir(parents=True)
    (folder / "sla.pdf").write_bytes(example_pdf("sla"))
    (folder / "Zofia Wiśniewska.pdf").write_bytes(example_pdf("referral", flatten=True))
    (folder / "photo.pdf").write_bytes(HOSTILE["JPEG named .pdf"]())
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "notes.txt").write_text("not a return", encoding="utf-8")
    (folder / "older" / "sla.pdf").write_bytes(example_pdf("sla"))  # subfolders are not read
    definition = load_definition("referral")
    blank = tmp_path / "blank.pdf"
    blank.write_bytes(render_pdf(definition, records.canonical(definition, {})))

    result = CliRunner().invoke(main, ["ingest", str(folder), str(blank)])
    assert result.exit_code == 2, result.output
    refused = [line for line in result.output.splitlines() if line.startswith("apforms:")]
    assert refused == [
        f"apforms: refused {folder / 'empty.pdf'}: empty file",
        f"apforms: refused {folder / 'photo.pdf'}: a JPEG image that cannot be read (damaged or incomplete)",
    ]
    assert "Pupil’s legal name in full (pupil.legal_name): Missing data" in result.output
    assert result.output.splitlines()[-1] == "5 file(s): 3 read (1 with problems or to review), 2 refused"
    assert not (folder / "empty.json").exists() and not (folder / "photo.json").exists()
    assert not (folder / "older" / "sla.json").exists() and not (folder / "notes.json").exists()
    # each record is the one a call for that file alone writes
    for src in (folder / "sla.pdf", folder / "Zofia Wiśniewska.pdf", blank):
        alone = tmp_path / "alone" / src.with_suffix(".json").name
        assert CliRunner().invoke(main, ["ingest", str(src), "-o", str(alone)]).exit_code in (0, 1)
        assert src.with_suffix(".json").read_bytes() == alone.read_bytes()


def test_cli_ingest_of_several_files_writes_into_the_out_folder(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(example_pdf("sla"))
    (tmp_path / "b.pdf").write_bytes(example_pdf("sla", flatten=True))
    out = tmp_path / "records"
    result = CliRunner().invoke(
        main, ["ingest", str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.json"]
    for name in ("a.json", "b.json"):
        assert json.loads((out / name).read_text(encoding="utf-8"))["data"] == canonical_example("sla")
        assert (out / name).stat().st_mode & 0o777 == 0o600
    assert result.output.splitlines()[-1] == "2 file(s): 2 read (0 with problems or to review), 0 refused"


def test_cli_ingest_never_writes_two_records_to_one_file(tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_bytes(example_pdf("sla"))
    (tmp_path / "x.tiff").write_bytes(b"MM\x00*" + b"\x00" * 64)  # would also be x.json
    result = CliRunner().invoke(main, ["ingest", str(tmp_path)])
    assert result.exit_code == 2
    assert f"apforms: refused {tmp_path / 'x.tiff'}: its record {tmp_path / 'x.json'} was written from" in (
        result.output
    )
    assert json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["data"] == canonical_example("sla")


def test_cli_ingest_of_a_folder_with_no_returns_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.output.strip()
        == "apforms: no returns to read (files ending DOCX, JPEG, JPG, PDF, PNG, TIF, TIFF)"
    )


def _protected(data: bytes, aes: bool) -> bytes:
    """A return protected with a password: AES-256 (R6) or RC4 128-bit (R4, no AES)."""
    pdf = pikepdf.open(io.BytesIO(data))
    buf = io.BytesIO()
    settings = pikepdf.Encryption(user="Derby-2026", owner="owner", R=6 if aes else 4, aes=aes, metadata=aes)
    pdf.save(buf, encryption=settings)
    return buf.getvalue()


@pytest.mark.parametrize("aes", [True, False], ids=["AES-256", "RC4-128"])
@pytest.mark.parametrize("flatten", [False, True], ids=["fields", "flattened"])
def test_a_password_protected_return_is_read_with_its_password(aes: bool, flatten: bool) -> None:
    data = _protected(example_pdf("sla", flatten=flatten), aes)
    with pytest.raises(IngestError, match=r"^password-protected PDF: give its password \(--password\)$"):
        ingest_pdf(data, "p.pdf")
    with pytest.raises(IngestError, match=r"^wrong password for this password-protected PDF$"):
        ingest_pdf(data, "p.pdf", password="derby-2026")
    result = ingest_pdf(data, "p.pdf", password="Derby-2026")
    assert result.ok and result.record["data"] == canonical_example("sla")
    assert result.method == ("flattened" if flatten else "fields")
    assert result.record["provenance"]["sha256"] == hashlib.sha256(data).hexdigest()  # of the file as sent
    assert any("password-protected" in w for w in result.warnings)


def test_ingest_takes_a_password_on_the_command_line(tmp_path: Path) -> None:
    src = tmp_path / "protected.pdf"
    src.write_bytes(_protected(example_pdf("sla"), aes=True))
    refused = CliRunner().invoke(main, ["ingest", str(src)])  # no terminal to ask on: refused
    assert refused.exit_code == 2 and refused.output.strip().endswith("give its password (--password)")
    assert not (tmp_path / "protected.json").exists()
    result = CliRunner().invoke(main, ["ingest", str(src), "--password", "Derby-2026"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "protected.json").read_text())["data"] == canonical_example("sla")


def test_ingest_asks_for_the_password_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apforms.cli import render as render_commands

    src = tmp_path / "protected.pdf"
    src.write_bytes(_protected(example_pdf("sla"), aes=False))
    monkeypatch.setattr(render_commands, "can_ask", lambda: True)
    result = CliRunner().invoke(main, ["ingest", str(src)], input="Derby-2026\n")
    assert result.exit_code == 0, result.output
    assert "Derby-2026" not in result.output  # never echoed
    assert json.loads((tmp_path / "protected.json").read_text())["data"] == canonical_example("sla")


def test_a_form_read_with_another_definition_version_needs_review() -> None:
    """A form of a version that is not kept is read with the current one: fields may have
    moved, so the record needs review though no field is named."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    pdf.docinfo["/ApformsVersion"] = "0.9"
    result = ingest_pdf(save(pdf), "old.pdf")
    assert any("it was read with version 1.0" in w for w in result.warnings)
    assert result.review == [] and result.needs_review
    assert not ingest_pdf(example_pdf("sla"), "sla.pdf").needs_review


def test_the_record_file_escapes_control_characters_and_reads_back_the_same(tmp_path: Path) -> None:
    """The record file was written with json.dumps(ensure_ascii=False): the C1 and bidi controls
    of what it keeps as found (the returned file's name, in its provenance) went into it raw,
    and to the terminal of whoever printed it. (Values lose them as text: types.normal_text.)"""
    name = "Tomasz\u202efdp.yksr\u00f3wodzaB \x85 \u2066Łódź\u2069\u061c.pdf"
    src = tmp_path / name
    src.write_bytes(example_pdf("referral"))
    read = api.ingest(src, tmp_path / "record.json")
    text = read.path.read_text(encoding="utf-8")
    assert json.loads(text) == read.result.record
    assert read.result.record["provenance"]["source"] == name
    assert not {"\u202e", "\x85", "\u2066", "\u2069", "\u061c"} & set(text)
    assert "\\u202e" in text and "Łódź" in text


def test_a_damaged_field_is_named_by_its_label_in_the_warnings() -> None:
    """A field whose value was not text was read as empty: 'Missing data' at most, and no
    word that the form had something there."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("referral")))
    fields = {f.fully_qualified_name: f for f in pdf.acroform.fields}
    fields["reason.statement"].obj.V = 42
    fields["pupil.legal_name"].obj.V = pikepdf.Dictionary(A=1)
    result = ingest_pdf(save(pdf), "returned.pdf")
    assert result.record["data"]["reason"].get("statement") is None
    damaged = [w for w in result.warnings if "check it against the returned form" in w]
    statement = load_definition("referral").field_at("reason.statement").label
    assert sorted(damaged) == [
        "Pupil’s legal name in full (pupil.legal_name): its value is a dictionary, not text; "
        "check it against the returned form",
        f"{statement} (reason.statement): its value is a number (42), not text; "
        "check it against the returned form",
    ]
