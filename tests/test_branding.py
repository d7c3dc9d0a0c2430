"""A council's own forms (issue 11, item 4): its name, logo and LA contact from the
configuration, a starting configuration from ``apforms config init``, and nothing of that
moving a box, so that returns read back whatever configuration made them.

Checked from the output: the page text and images by pdfplumber, the logo's pixels as PDFium
draws them, the Word header and paragraphs by python-docx.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import docx
import pdfplumber
import pikepdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main
from apforms.errors import ConfigError, RenderError
from apforms.formats.pdf.read import ingest_pdf
from apforms.model.config import load_config
from apforms.model.definitions import load_definition
from apforms.model.records import Record

from .pdf_support import canonical_example, qpdf_flatten

NAVY = (0x1F, 0x38, 0x64)
CONTACT = {"name": "Sam Okafor", "email": "ap.lead@borsetshire.example.gov.uk", "phone": "01632 960123"}
CONTACT_LINE = "Sam Okafor, ap.lead@borsetshire.example.gov.uk, 01632 960123"


def _png(path: Path, w: int = 90, h: int = 30) -> Path:
    """A navy logo on a transparent ground (RGBA), rows filtered as PNG encoders do."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = bytearray()
    prev = bytearray(w * 4)
    for y in range(h):
        row = bytearray()
        for x in range(w):
            inside = 10 < x < 80 and 5 < y < 25
            row += bytes([*NAVY, 255 if inside else 0])
        kind = y % 3  # none, sub, up: the unfiltering is exercised
        if kind == 1:
            out = bytearray(row[i] - (row[i - 4] if i >= 4 else 0) & 0xFF for i in range(len(row)))
        elif kind == 2:
            out = bytearray(row[i] - prev[i] & 0xFF for i in range(len(row)))
        else:
            out = row
        raw += bytes([kind]) + out
        prev = row
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )
    return path


def _jpeg(path: Path, tmp: Path) -> Path:
    """A navy JPEG made by poppler from a one-rectangle page."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is not installed (.ci/run installs poppler)")
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(90, 30))
    pdf.pages[0].Contents = pdf.make_stream(b"0.12 0.22 0.39 rg 0 0 90 30 re f")
    pdf.save(tmp / "logo.pdf")
    subprocess.run(
        ["pdftoppm", "-jpeg", "-r", "72", "-singlefile", str(tmp / "logo.pdf"), str(tmp / "logo")], check=True
    )
    (tmp / "logo.jpg").rename(path)
    return path


def _config(tmp: Path, logo: str = "", **contact: str) -> Path:
    # a new file each time: configurations are read once per path in a process
    path = tmp / f"council-{len(list(tmp.glob('council-*.yaml')))}.yaml"
    api.config_init(path, "Borsetshire County Council")
    text = path.read_text(encoding="utf-8")
    for key, value in contact.items():
        text = text.replace(f'  {key}: ""', f'  {key}: "{value}"', 1)
    text = text.replace('  logo: ""', f"  logo: {logo}" if logo else '  logo: ""')
    path.write_text(text, encoding="utf-8")
    return path


def _record(doc: str) -> Record:
    return Record(load_definition(doc), canonical_example(doc))


def _pdf(doc: str, config: Path | None, flatten: bool = False) -> bytes:
    content = api.render_record(_record(doc), "pdf", flatten=flatten, config=config).content
    assert content is not None
    return content


def _rects(pdf: bytes) -> list[tuple[str, list[float]]]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [
            (str(a.get("/T", a.get("/Parent", {}).get("/T", ""))), [round(float(v), 2) for v in a.Rect])
            for page in doc.pages
            for a in page.obj.get("/Annots", [])
        ]


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_council_name_logo_and_contact_on_the_pdf(kind: str, tmp_path: Path) -> None:
    logo = _png(tmp_path / "logo.png") if kind == "png" else _jpeg(tmp_path / "logo.jpg", tmp_path)
    config = _config(tmp_path, logo.name, **CONTACT)
    pdf = _pdf("qa", config)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        first = doc.pages[0]
        words = first.extract_words(keep_blank_chars=True)
        text = first.extract_text()
        assert [im for p in doc.pages[1:] for im in p.images] == []  # the first page only
        (image,) = first.images
    council = next(w for w in words if w["text"] == "Borsetshire County Council")
    assert council["bottom"] < 44 and council["x1"] < image["x0"]  # in the top margin, left of the logo
    assert image["bottom"] <= 44 and image["top"] >= 10 and image["x1"] <= 596 - 41.9
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.endswith("please inform the local authority’s AP lead:"))
    assert lines[at + 1] == CONTACT_LINE
    # the logo as PDFium draws it: navy where it is opaque, the page's white where it is not
    page = pdfium.PdfDocument(pdf)[0]
    bitmap = page.render(scale=1)
    assert bitmap.mode == "BGR"
    buf, stride, n = bitmap.buffer, bitmap.stride, bitmap.n_channels

    def pixel(x: float, y: float) -> tuple[int, int, int]:
        at = int(y) * stride + int(x) * n
        b, g, r = buf[at : at + 3]
        return r, g, b

    r, g, b = pixel((image["x0"] + image["x1"]) / 2, (image["top"] + image["bottom"]) / 2)
    assert max(abs(r - NAVY[0]), abs(g - NAVY[1]), abs(b - NAVY[2])) < 40, (r, g, b)
    if kind == "png":  # transparent at the corner of the picture
        assert pixel(image["x0"] + 1, image["top"] + 1) == (255, 255, 255)
    # nothing moved: the same boxes as without a configuration, and returns read back exactly
    assert _rects(pdf) == _rects(_pdf("qa", None))
    for copy_ in (pdf, qpdf_flatten(pdf, tmp_path), _pdf("qa", config, flatten=True)):
        result = ingest_pdf(copy_, "returned.pdf")
        assert result.record["data"] == canonical_example("qa") and result.warnings == []


def test_without_a_contact_the_form_prints_a_line_to_write_on(tmp_path: Path) -> None:
    pdf = _pdf("qa", _config(tmp_path))
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        text = page.extract_text()
        words = page.extract_words(keep_blank_chars=True)
        rules = [ln for ln in page.lines if abs(ln["top"] - ln["bottom"]) < 0.5 and ln["x1"] - ln["x0"] > 200]
    assert "configuration" not in text and "____" not in text
    lead = next(w for w in words if w["text"].endswith("AP lead:"))
    assert any(0 < r["top"] - lead["bottom"] < 16 for r in rules), "no line under the wording"
    assert "Borsetshire County Council" in text


def test_the_word_document_has_the_council_and_its_contact(tmp_path: Path) -> None:
    rec = _record("qa")
    for config, expected in ((_config(tmp_path, **CONTACT), CONTACT_LINE), (None, "_" * 40)):
        content = api.render_record(rec, "docx", config=config).content
        assert content is not None
        document = docx.Document(io.BytesIO(content))
        header = document.sections[0].header.paragraphs[0].text
        assert header == ("Borsetshire County Council" if config else "Derby City Council")
        body = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
        assert f"please inform the local authority’s AP lead: {expected}" in body


def test_config_init_writes_a_file_that_loads_and_never_overwrites(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "council.yaml"
    result = runner.invoke(
        main, ["config", "init", "-o", str(out), "--council", "Borsetshire County Council"]
    )
    assert result.exit_code == 0, result.output
    config = load_config(out)
    assert config.council == "Borsetshire County Council" and config.brand.contact == ""
    assert config.registration == load_config().registration  # Derby's values to start from
    assert "# Education Act 1996 s463" in out.read_text(encoding="utf-8")  # sources kept
    before = out.read_bytes()
    again = runner.invoke(main, ["config", "init", "-o", str(out), "--council", "Other"])
    assert again.exit_code == 2 and "exists" in again.output and out.read_bytes() == before
    assert "Traceback" not in again.output


def test_bad_branding_is_refused_by_its_setting(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_text("not a picture")
    with pytest.raises(ConfigError, match=r"branding\.logo: logo\.png: not a PNG or JPEG picture"):
        load_config(_config(tmp_path, "logo.png"))
    with pytest.raises(ConfigError, match=r"branding\.logo: cannot read"):
        load_config(_config(tmp_path, "missing.png"))
    long_name = "A" * 120
    with pytest.raises(ConfigError, match=r"la_contact: 120 characters; the form prints it on one line"):
        load_config(_config(tmp_path, name=long_name))
    interlaced = _png(tmp_path / "i.png")
    data = bytearray(interlaced.read_bytes())
    data[28] = 1  # IHDR's interlace byte
    interlaced.write_bytes(bytes(data))
    with pytest.raises(ConfigError, match=r"branding\.logo: i\.png: a PNG of 8 bits a channel, interlaced"):
        load_config(_config(tmp_path, "i.png"))  # refused when the configuration is read, not later
    broken = bytearray(_png(tmp_path / "b.png").read_bytes())
    broken[45:60] = b"garbage garbage"  # inside the compressed pixels
    (tmp_path / "b.png").write_bytes(bytes(broken))
    with pytest.raises(ConfigError, match=r"b\.png: the PNG is damaged"):
        load_config(_config(tmp_path, "b.png"))
    with pytest.raises(ConfigError, match=r"la_contact\.phone: 191579136 is not text \(put it in quotes"):
        path = _config(tmp_path)
        path.write_text(
            path.read_text(encoding="utf-8").replace('  phone: ""', "  phone: 01332642000"), encoding="utf-8"
        )
        load_config(path)


def test_branding_that_cannot_be_printed_is_refused_by_its_setting(tmp_path: Path) -> None:
    wide = {
        "name": "Mrs Wilhelmina Montgomery-Whitworth MBE",
        "email": "AP.Lead.Wellbeing@WarwickshireMidlandsCouncil.gov.uk",
        "phone": "01632 960123",
    }
    config = _config(tmp_path, **wide)
    with pytest.raises(
        RenderError,
        match=r"council-0\.yaml: la_contact: name, email and phone take \d+ pt on the form's line, "
        r"which holds \d+ pt",
    ):
        _pdf("qa", config)
    korean = _config(tmp_path, name="김민준 (Min-jun Kim)")
    with pytest.raises(RenderError, match=r"la_contact: the PDF form has no font for 김 \(U\+AE40\)"):
        _pdf("qa", korean)
    named = _config(tmp_path)
    named.write_text(
        named.read_text(encoding="utf-8").replace(
            '  name: ""\n  logo', '  name: "Borsetshire 🏰 Council"\n  logo'
        ),
        encoding="utf-8",
    )
    with pytest.raises(RenderError, match=r"branding\.name: the PDF form has no font for 🏰"):
        _pdf("sla", named)


def _png_kind(path: Path, colour: int, rows: list[bytes], extra: bytes = b"") -> Path:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", len(rows[0]) // {0: 1, 2: 3, 3: 1}[colour], len(rows), 8, colour, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + extra
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize("kind", ["palette with tRNS", "grey with tRNS", "rgb"])
def test_logo_kinds_draw_with_their_transparency(kind: str, tmp_path: Path) -> None:
    """A palette PNG whose index 0 is transparent (pngquant's usual output), a grey one with a
    transparent level, and plain RGB: PDFium draws navy where the logo is, white around it."""

    def chunk(k: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + k + body + struct.pack(">I", zlib.crc32(k + body))

    inside = [[10 < x < 50 and 5 < y < 15 for x in range(60)] for y in range(20)]
    if kind == "palette with tRNS":
        rows = [bytes(1 if v else 0 for v in row) for row in inside]
        extra = chunk(b"PLTE", bytes((0, 0, 0, *NAVY))) + chunk(b"tRNS", b"\x00")
        logo = _png_kind(tmp_path / "l.png", 3, rows, extra)
    elif kind == "grey with tRNS":
        rows = [bytes(0x30 if v else 0 for v in row) for row in inside]
        logo = _png_kind(tmp_path / "l.png", 0, rows, chunk(b"tRNS", b"\x00\x00"))
    else:
        rows = [b"".join(bytes(NAVY) if v else b"\xff\xff\xff" for v in row) for row in inside]
        logo = _png_kind(tmp_path / "l.png", 2, rows)
    pdf = _pdf("sla", _config(tmp_path, logo.name))
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        (image,) = doc.pages[0].images
    bitmap = pdfium.PdfDocument(pdf)[0].render(scale=1)
    buf, stride, n = bitmap.buffer, bitmap.stride, bitmap.n_channels

    def pixel(x: float, y: float) -> tuple[int, ...]:
        at = int(y) * stride + int(x) * n
        return tuple(buf[at : at + 3][::-1])

    cx, cy = (image["x0"] + image["x1"]) / 2, (image["top"] + image["bottom"]) / 2
    centre = pixel(cx, cy)
    want = (0x30, 0x30, 0x30) if kind == "grey with tRNS" else NAVY
    assert max(abs(a - b) for a, b in zip(centre, want, strict=True)) < 40, centre
    assert pixel(image["x0"] + 1, image["top"] + 1) == (255, 255, 255)  # transparent, or white


def test_adobe_cmyk_jpegs_are_inverted_wherever_their_marker_is() -> None:
    """Photoshop writes its APP14 "Adobe" marker after large ICC and XMP segments."""
    from apforms.pictures import read_picture

    def segment(marker: int, body: bytes) -> bytes:
        return bytes((0xFF, marker)) + struct.pack(">H", len(body) + 2) + body

    sof = segment(
        0xC0, struct.pack(">BHHB", 8, 10, 20, 4) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00\x04\x11\x00"
    )
    icc = segment(0xE2, b"ICC_PROFILE\x00" + b"\x00" * 6000)
    adobe = segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x02")
    xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>Adobe Photoshop</x:xmpmeta>")
    assert read_picture(b"\xff\xd8" + icc + adobe + sof).inverted
    assert not read_picture(b"\xff\xd8" + xmp + sof).inverted  # "Adobe" in XMP is not the marker
    assert not read_picture(
        b"\xff\xd8" + adobe + segment(0xC0, struct.pack(">BHHB", 8, 10, 20, 3) + b"\x00" * 9)
    ).inverted


@pytest.mark.parametrize("jobs", [1, 2])
def test_bulk_slas_carry_the_council_and_its_logo(jobs: int, tmp_path: Path) -> None:
    from apforms.bulk import example_inputs

    logo = _png(tmp_path / "logo.png")
    config = _config(tmp_path, logo.name, **CONTACT)
    inputs = example_inputs()
    out = tmp_path / "out"
    result = api.bulk_sla(
        inputs["placements"], inputs["providers"], inputs["schools"], out, ("pdf",), jobs, config=config
    )
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs and len(pdfs) == result.count(api.BULK_WRITTEN)
    for pdf in pdfs:
        with pdfplumber.open(pdf) as doc:
            assert "Borsetshire County Council" in (doc.pages[0].extract_text() or "")
            assert len(doc.pages[0].images) == 1


def test_the_word_document_carries_the_logo_in_its_header(tmp_path: Path) -> None:
    """The logo beside the council's name in the page header, 1 cm tall."""
    logo = _png(tmp_path / "logo.png")
    content = api.render_record(_record("sla"), "docx", config=_config(tmp_path, logo.name)).content
    assert content is not None
    document = docx.Document(io.BytesIO(content))
    header = document.sections[0].header
    assert header.paragraphs[0].text == "Borsetshire County Council"
    blips = header._element.xpath(".//a:blip/@r:embed")
    assert len(blips) == 1
    assert header.part.related_parts[blips[0]].blob == logo.read_bytes()
    drawing = header._element.xpath(".//wp:inline/wp:extent")[0]
    assert int(drawing.get("cy")) == 360_000  # 1 cm tall, its width in proportion (90 x 30 px)
    assert int(drawing.get("cx")) == 1_080_000
