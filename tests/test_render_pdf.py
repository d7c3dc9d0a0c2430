"""Fillable PDFs: layout from the definition, stable field names, values visible in PDFium and
poppler without NeedAppearances, non-Latin text, identification that survives flattening."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main
from apforms.formats.pdf import layout as lay
from apforms.formats.pdf import protocol
from apforms.formats.pdf import text as pdf_text
from apforms.formats.pdf.layout import layout_for
from apforms.formats.pdf.values import combo_label, display, form_values
from apforms.formats.pdf.writer import render_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .conftest import example_data, make_definition, record_text
from .pdf_support import (
    UNICODE_NAMES,
    canonical_example,
    example_pdf,
    field_objects,
    pdfium_text,
    poppler_text,
    squash,
    without_need_appearances,
)


def _shown_values(doc: str) -> list[str]:
    """Every value of the example as the filled form shows it (text, dropdown label); a
    wrapped value line by line, as side-by-side table cells are extracted line by line."""
    definition = load_definition(doc)
    data = canonical_example(doc)
    layout = layout_for(definition, data)
    values = form_values(layout, data)
    out = []
    for f in layout.fields:
        v = values.get(f.name)
        if isinstance(v, str) and f.kind == lay.TEXT:
            out.append(v)
        elif isinstance(v, str) and f.kind == lay.MULTILINE:
            x0, y0, x1, y1 = f.widgets[0].rect
            _, paras = pdf_text.fit_lines(
                v, x1 - x0 - 2 * pdf_text.PAD, y1 - y0 - 2 * pdf_text.PAD, layout.value_sizes
            )
            out += [line for p in paras for line in p if line]
        elif isinstance(v, str) and f.kind == lay.COMBO:
            out.append(combo_label(f, v))
    return out


def test_every_value_is_visible_in_pdfium_and_poppler(doc: str, tmp_path: Path) -> None:
    data = without_need_appearances(example_pdf(doc))
    pdf = pikepdf.open(io.BytesIO(example_pdf(doc)))
    assert "/NeedAppearances" not in pdf.Root.AcroForm  # appearances are stored, never left to viewers
    for engine in (pdfium_text(data), poppler_text(data, tmp_path)):
        text = squash(engine)
        missing = [v for v in _shown_values(doc) if squash(v) not in text]
        assert missing == []


def test_every_filled_field_has_an_appearance_stream(doc: str) -> None:
    fields = field_objects(example_pdf(doc))
    pdf = fields.pop("__pdf__")  # noqa: F841 (keeps the objects alive)
    for name, widgets in fields.items():
        for f in widgets:
            ap = f.obj.get("/AP")
            assert ap is not None and "/N" in ap, name


def test_buttons_have_consistent_v_and_as(doc: str) -> None:
    fields = field_objects(example_pdf(doc))
    pdf = fields.pop("__pdf__")  # noqa: F841 (keeps the objects alive)
    for name, widgets in fields.items():
        if widgets[0].field_type != "/Btn":
            continue
        value = widgets[0].value
        states = [w.obj.get("/AS") for w in widgets]
        on = [s for s in states if s != "/Off"]
        if value is None or value == "/Off":
            assert on == [], name
        else:
            assert on == [value], name
            for w in widgets:
                assert w.obj.AS in w.obj.AP.N, name  # every state shown has an appearance


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_non_latin_names_render_and_extract(name: str, tmp_path: Path) -> None:
    definition = load_definition("sla")
    data = canonical_example("sla")
    data["provider"]["contact_name"] = name
    data["signatures"]["provider"]["name"] = name
    pdf = without_need_appearances(render_pdf(definition, data))
    assert squash(name) in squash(pdfium_text(pdf))
    assert squash(name) in squash(poppler_text(pdf, tmp_path))
    flat = render_pdf(definition, data, flatten=True)
    assert squash(name) in squash(poppler_text(flat, tmp_path))


def test_field_names_are_key_paths_with_labels_as_tooltips() -> None:
    fields = field_objects(example_pdf("sla"))
    pdf = fields.pop("__pdf__")
    assert {"provider.name", "provision.costings.1.rate", "terms.school_obligations.2"} <= set(fields)
    assert fields["provider.name"][0].alternate_name == "Name of provider"
    assert fields["provision.dates.start"][0].field_type == "/Tx"
    # a signature block: print name, signature, date as text, and a real signature field
    for part in ("name", "signature", "date"):
        assert fields[f"signatures.school.{part}"][0].field_type == "/Tx"
    digital = pdf.Root.AcroForm.Fields
    sig = [f for f in pikepdf.AcroForm(pdf).fields if f.fully_qualified_name == "signatures.school.digital"]
    assert digital and sig and sig[0].field_type == "/Sig" and sig[0].value is None


def test_kinds_of_field() -> None:
    definition = make_definition(
        """
        id: inline
        title: Inline
        version: "2.1"
        sections:
          - key: s
            label: Section
            fields:
              - {key: name, label: Name, type: text}
              - {key: notes, label: Notes, type: longtext}
              - {key: ok, label: "OK?", type: yesno}
              - {key: seen, label: Seen, type: tick}
              - {key: rating, label: Rating, type: rating}
              - {key: code, label: Code, type: choice, codelist: attendance_code}
              - {key: ways, label: Ways, type: multichoice, options: [bus, "car share"]}
              - key: rows
                label: Rows
                type: table
                max_rows: 4
                columns: [{key: a, label: A}, {key: when, label: When, type: date}]
        """
    )
    layout = lay.layout(definition, None)
    kinds = {f.name: f.kind for f in layout.fields}
    assert kinds["s.name"] == lay.TEXT
    assert kinds["s.notes"] == lay.MULTILINE
    assert kinds["s.ok"] == lay.RADIO
    assert kinds["s.seen"] == lay.CHECK
    assert kinds["s.rating"] == lay.RADIO
    assert kinds["s.code"] == lay.COMBO  # a long code list is a dropdown
    assert kinds["s.ways.bus"] == lay.CHECK
    assert kinds["s.ways.o2"] == lay.CHECK  # an option value that is not a plain word
    assert kinds["s.rows.3.when"] == lay.TEXT
    radio = layout.by_name["s.rating"]
    assert [w.state for w in radio.widgets] == ["fully", "partially", "limited", "not_at_all"]
    pdf = pikepdf.open(
        io.BytesIO(render_pdf(definition, {"s": {"rating": "limited", "ways": ["car share"]}}))
    )
    assert pdf.docinfo["/ApformsDocument"] == "inline" and pdf.docinfo["/ApformsVersion"] == "2.1"


def test_blank_form_prints_every_label(doc: str, tmp_path: Path) -> None:
    definition = load_definition(doc)
    data = records.canonical(definition, {})
    text = squash(poppler_text(render_pdf(definition, data), tmp_path))
    # a prose field's label names it in messages; the form prints its wording alone
    missing = [f.label for f in definition.walk() if not f.prose and squash(f.label) not in text]
    assert missing == []
    shown = lay.layout_for(definition, data).fields  # options printed beside buttons, not in dropdowns
    options = [o.label for f in shown if f.kind == lay.RADIO for o in f.options]
    options += [f.option.label for f in shown if f.option is not None]
    assert [o for o in options if squash(o) not in text] == []


def test_footer_identifies_every_page_even_when_flattened(doc: str, tmp_path: Path) -> None:
    definition = load_definition(doc)
    for data in (example_pdf(doc), example_pdf(doc, flatten=True)):
        pages = poppler_text(data, tmp_path).split("\f")
        footers = [protocol.FOOTER_RE.search(p) for p in pages if p.strip()]
        assert footers and all(footers)
        said = {(m["document"], m["version"], m["layout"]) for m in footers if m}
        assert said == {(definition.id, definition.version, str(protocol.LAYOUT_VERSION))}
        assert [int(m["page"]) for m in footers if m] == list(range(1, len(footers) + 1))


def test_flattened_copy_has_no_fields_and_shows_values(tmp_path: Path) -> None:
    flat = example_pdf("sla", flatten=True)
    pdf = pikepdf.open(io.BytesIO(flat))
    assert "/AcroForm" not in pdf.Root
    assert all("/Annots" not in p.obj for p in pdf.pages)
    assert "RiversideFarmLearningCIC" in squash(poppler_text(flat, tmp_path))


def test_output_is_deterministic(doc: str) -> None:
    assert example_pdf(doc) == example_pdf(doc)
    assert b"CreationDate" not in example_pdf(doc)


def test_partial_record_prefills_what_it_has() -> None:
    definition = load_definition("referral")
    data = records.canonical(definition, {"pupil": {"legal_name": "Ján Čonka"}})
    fields = field_objects(render_pdf(definition, data))
    pdf = fields.pop("__pdf__")
    assert pdf is not None
    assert str(fields["pupil.legal_name"][0].value) == "Ján Čonka"
    assert fields["pupil.upn"][0].value is None


def test_tables_grow_to_the_rows_a_record_has() -> None:
    definition = load_definition("sla")
    data = canonical_example("sla")
    data["provision"]["costings"] = [{"item": f"Item {i}", "amount": i} for i in range(1, 8)]
    layout = layout_for(definition, data)
    assert "provision.costings.7.item" in layout.by_name
    assert "provision.costings.8.item" not in layout.by_name
    assert layout.rows[0] == 7


def test_display_formats_values_as_typed() -> None:
    definition = load_definition("sla")
    cost = definition.field_at("provision.costings[].rate")
    assert display(cost, 2548) == "£2,548.00"
    assert display(definition.field_at("provision.dates.start"), "2026-09-07") == "07/09/2026"
    assert display(definition.field_at("provision.hours_per_week"), 12.5) == "12.5"


def test_a_choice_is_read_back_by_its_state_value_or_label(doc: str) -> None:
    """Every radio group and dropdown of a form: an option is found by its state (a button's
    on state, a dropdown's value), its value, its label, or code and label as a dropdown of
    codes prints them, in any case and with spaces around; other text is kept as text."""
    from apforms.formats.pdf.geometry import COMBO, RADIO
    from apforms.formats.pdf.values import from_form

    choices = [f for f in lay.layout(load_definition(doc)).fields if f.kind in (RADIO, COMBO)]
    assert choices
    for f in choices:
        states = f.states if f.kind == RADIO else tuple(o.value for o in f.options)
        for o, state in zip(f.options, states, strict=True):
            want = from_form(f, state)
            for text in (f" {state} ", o.value.upper(), o.label.casefold(), f"{o.value} – {o.label}"):
                assert from_form(f, text) == want, (f.name, text)
        assert from_form(f, " no such option ") == "no such option"


def test_cli_render_and_blank_pdf(tmp_path: Path) -> None:
    out = tmp_path / "sla.pdf"
    result = CliRunner().invoke(
        main, ["render", "-", "-f", "pdf", "-o", str(out)], input=record_text("sla", example_data("sla"))
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    flat = tmp_path / "flat.pdf"
    result = CliRunner().invoke(
        main,
        ["render", "-", "-f", "pdf", "--flatten", "-o", str(flat)],
        input=record_text("sla", example_data("sla")),
    )
    assert result.exit_code == 0
    with pikepdf.open(flat) as pdf:
        assert "/AcroForm" not in pdf.Root
    blank = tmp_path / "blank.pdf"
    result = CliRunner().invoke(main, ["blank", "referral", "-f", "pdf", "-o", str(blank)])
    assert result.exit_code == 0, result.output
    with pikepdf.open(blank) as pdf:
        assert pdf.docinfo["/ApformsDocument"] == "referral"


def _widgets(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    return [a for page in pdf.pages for a in page.obj.get("/Annots", []) if a.get("/Subtype") == "/Widget"]


def test_no_appearance_is_shared_between_widgets(doc: str) -> None:
    """Software that edits one widget's appearance in place must not change another's."""
    for data in (example_pdf(doc), api.blank_bytes(doc, "pdf")):
        pdf = pikepdf.open(io.BytesIO(data))
        owners: dict[tuple[int, int], str] = {}
        for w in _widgets(pdf):
            normal = w.AP.N
            streams = [normal] if isinstance(normal, pikepdf.Stream) else list(normal.values())
            for s in streams:
                assert s.objgen not in owners, f"{doc}: one appearance for two widgets"
                owners[s.objgen] = str(w.get("/T", ""))
        assert len(owners) >= len(_widgets(pdf))


def test_foreign_fillers_get_a_standard_font_at_a_fixed_size(doc: str) -> None:
    pdf = pikepdf.open(io.BytesIO(api.blank_bytes(doc, "pdf")))
    form = pdf.Root.AcroForm
    for da in [form.DA] + [w.DA for w in _widgets(pdf) if "/DA" in w]:
        font, size = str(da).split()[:2]
        assert float(size) >= 8, da  # never 0 ("auto"): pdf.js would draw a date at box height
        resource = form.DR.Font[font]
        assert resource.Subtype == "/Type1" and resource.BaseFont in ("/Helvetica", "/ZapfDingbats"), da


def test_a_field_filled_by_pypdf_shows_only_in_its_own_box() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(api.blank_bytes("referral", "pdf"))))
    for page in writer.pages:
        writer.update_page_form_field_values(page, {"pupil.legal_name": "Zoe Marsh"}, auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    assert squash(pdfium_text(buf.getvalue())).count("ZoeMarsh") == 1


def test_accessible_basics_title_language_tooltips_and_tab_order() -> None:
    """Document title shown, language set, every field's tooltip its printed label, and the
    widgets of each page in reading order (the order of the annotations, which viewers tab by)."""
    definition = load_definition("referral")
    data = canonical_example("referral")
    layout = layout_for(definition, data)
    with pikepdf.open(io.BytesIO(render_pdf(definition, data))) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == definition.title
        order = []
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                field = annot if "/T" in annot else annot.Parent
                assert str(field.get("/TU", "")).strip(), f"no tooltip: {field.get('/T')}"
                order.append(str(field.TU))
    expected = [f.tooltip for f in layout.fields for _ in f.widgets]
    assert order == expected
    labels = {f.label for f in definition.walk()}
    for tip in expected:  # a label, or "Table, row n: Column" / "Question: Option" made of labels
        parts = re.split(r", row \d+: |, row \d+$|: | \(digital\)$", tip)
        assert any(p in labels or any(p.endswith(lbl) for lbl in labels) for p in parts if p), tip
