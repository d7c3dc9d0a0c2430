"""Returned files that unpack to far more than they are (issue 14, items 1 and 7): every
decompression is bounded, and a file over a limit is refused in one line that names the
limit — never read in part, never MemoryError, never a native abort.

The bombs are small but expanding (200 MB from some 200 KB); limits are lowered where a
small file must show what a large one would do. Cases that could take the memory of the
machine, or abort PDFium, run in a child process under a memory cap, whose peak RSS is
measured (:mod:`tests.bounds_support`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest

from apforms import api
from apforms.archive import REFUSED, Archive, SQLiteStore, signatures
from apforms.errors import IngestError
from apforms.formats.docx import read as docx_read
from apforms.formats.pdf import bounds, read_fields, read_scan
from apforms.formats.pdf.open import open_pdf
from apforms.formats.pdf.read import ingest_pdf
from apforms.model.records import parse_record

from .archive_support import foreign_pdf, make_signer, sign
from .bounds_support import MB, deflated, lzw_run, object_stream_bomb, run_apforms, with_junk_widgets
from .pdf_support import example_pdf


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def _with_value(
    value: pikepdf.Object | None = None, doc: str = "referral", name: str = "reason.statement"
) -> bytes:
    """An example return with ``value`` (a stream made by the caller) as one field's /V."""
    pdf = pikepdf.open(io.BytesIO(example_pdf(doc)))
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == name)
    field.obj.V = value if value is not None else pikepdf.String("x")
    return _saved(pdf)


def _stream(pdf: pikepdf.Pdf, data: bytes, *filters: str) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, data)
    stream.Filter = (
        pikepdf.Array([pikepdf.Name(f) for f in filters]) if len(filters) > 1 else pikepdf.Name(filters[0])
    )
    return pdf.make_indirect(stream)


def _value_bomb(data: bytes, *filters: str, doc: str = "referral") -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf(doc)))
    name = "reason.statement" if doc == "referral" else "provider.address"
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == name)
    field.obj.V = _stream(pdf, data, *filters)
    return _saved(pdf)


VALUE_REFUSED = (
    "apforms: a form field's value unpacks to more than 1 MB (the most a value may be); the file was not read"
)


# --------------------------------------------------------------------------- a field's value


def test_a_field_value_that_unpacks_to_200_mb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """A 2.2 MB return whose value unpacked to 2 GiB made ingest use 14.7 GB and end in
    MemoryError; under a memory cap the value was dropped silently ('Missing data')."""
    src = tmp_path / "bomb.pdf"
    src.write_bytes(_value_bomb(deflated(200 * MB), "/FlateDecode"))
    assert src.stat().st_size < 600_000
    child = run_apforms(["ingest", str(src)], cap_mb=1500)
    assert child.status == 2, child.stderr
    assert child.refusal == VALUE_REFUSED
    assert child.peak_mb < 300 and child.wall < 10
    assert not (tmp_path / "bomb.json").exists()


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: (lzw_run(200 * MB), ("/LZWDecode",)), id="LZW, 200 MB from 155 KB"),
        pytest.param(lambda: (zlib_twice(200 * MB), ("/FlateDecode", "/FlateDecode")), id="Flate twice"),
        pytest.param(lambda: (b"<~" + b"z" * (MB // 2) + b"~>", ("/ASCII85Decode",)), id="ASCII85 z"),
    ],
)
def test_a_field_value_in_any_filter_is_bounded(make: object) -> None:
    data, filters = make()  # type: ignore[operator]
    with pytest.raises(IngestError, match=re.escape(VALUE_REFUSED.removeprefix("apforms: "))):
        ingest_pdf(_value_bomb(data, *filters), "bomb.pdf")


def zlib_twice(n: int) -> bytes:
    return zlib.compress(deflated(n), 9)


def test_a_field_value_written_as_a_small_stream_is_read() -> None:
    result = ingest_pdf(_value_bomb(deflated(2000, b"x"), "/FlateDecode"), "rich.pdf")
    assert result.record["data"]["reason"]["statement"] == "x" * 2000


def test_qpdf_is_told_the_limit_for_one_stream() -> None:
    with open_pdf(example_pdf("sla")):
        assert pikepdf.settings.get_qpdf_limits()["flate_max_memory"] == bounds.MAX_STREAM_BYTES


def test_too_many_fields_are_refused_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """20,000 junk widgets before a form's own fields hid every value (MAX_FIELDS cut the list
    silently: 'Missing data' everywhere)."""
    monkeypatch.setattr(read_fields, "MAX_FIELDS", 300)
    pdf = pikepdf.open(io.BytesIO(example_pdf("referral")))
    with_junk_widgets(pdf, 100)
    with pytest.raises(IngestError, match=r"^the form has 373 fields; at most 300 are read$"):
        ingest_pdf(_saved(pdf), "junk.pdf")


# --------------------------------------------------------------------------- pages


def _flat_with_contents(data: bytes, *filters: str, doc: str = "referral") -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf(doc, flatten=True)))
    pdf.pages[0].obj.Contents = _stream(pdf, data, *filters)
    return _saved(pdf)


def test_a_page_whose_content_unpacks_to_200_mb_is_refused_before_pdfium_reads_it(tmp_path: Path) -> None:
    """PDFium aborted the process (SIGABRT, no message) on a page-content bomb; under a cap it
    read nothing and every value was 'Missing data'."""
    src = tmp_path / "pages.pdf"
    src.write_bytes(_flat_with_contents(deflated(200 * MB, b" "), "/FlateDecode"))
    child = run_apforms(["ingest", str(src)], cap_mb=1500)
    assert child.status == 2, child.stderr
    assert child.refusal == "apforms: page 1's drawing unpacks to more than 2 MB (the most read for a page)"
    assert child.peak_mb < 300 and child.wall < 10


def test_a_page_whose_drawing_is_too_large_for_pdfium_is_refused() -> None:
    """2 MB of 'q' (unpacked from 2 KB) takes PDFium some 200 MB: 2 MB is the most read."""
    data = _flat_with_contents(deflated(5 * MB // 2, b"q "), "/FlateDecode")
    with pytest.raises(
        IngestError, match=r"^page 1's drawing unpacks to more than 2 MB \(the most read for a page\)$"
    ):
        ingest_pdf(data, "q.pdf")


def test_pages_that_each_take_much_memory_cannot_add_up(tmp_path: Path) -> None:
    """Ten pages of 2 MB of rectangles each: the flattened reader holds every page of a form,
    and PDFium some 150 MB a page (1.1 GB and 11 s in all)."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("referral", flatten=True)))
    rect = b"1 1 1 1 re f\n"
    for page in pdf.pages:
        page.obj.Contents = _stream(pdf, zlib.compress(rect * ((2 * MB - 4096) // len(rect))), "/FlateDecode")
    src = tmp_path / "pages.pdf"
    src.write_bytes(_saved(pdf))
    child = run_apforms(["ingest", str(src)], cap_mb=2500)
    assert child.status == 2, child.stderr
    assert re.fullmatch(
        r"apforms: the pages take more than 256 MB of memory to read \(the most read; page \d went over\)",
        child.refusal,
    )
    assert child.peak_mb < 500 and child.wall < 10


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        (
            "MAX_PAGE_CONTENT",
            8192,
            r"^page 1's drawing unpacks to more than 8 KB \(the most read for a page\)$",
        ),
        ("MAX_CONTENT_TOTAL", 100_000, r"^the pages' drawings unpack to more than 97 KB \(the most read\)$"),
        ("MAX_OBJECTS", 50, r"^the pages use more than 50 objects \(the most read\)$"),
        (
            "MAX_STREAM_BYTES",
            20_000,
            r"^a stream \(object \d+\) unpacks to more than 19 KB \(the most read for one stream\)$",
        ),
        (
            "UNPACKED_BASE",
            0,
            r"^the file unpacks to more than 0 bytes plus 0 times its size \(the most read\)$",
        ),
    ],
)
def test_each_limit_is_named_when_a_flattened_return_goes_over_it(
    limit: str, value: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounds, limit, value)
    if limit == "UNPACKED_BASE":
        monkeypatch.setattr(bounds, "UNPACKED_PER_BYTE", 0)
    with pytest.raises(IngestError, match=message):
        ingest_pdf(example_pdf("referral", flatten=True), "flat.pdf")


def test_a_flattened_return_within_the_limits_reads_as_before() -> None:
    result = ingest_pdf(example_pdf("qa", flatten=True), "qa.pdf")
    assert result.method == "flattened" and result.ok


def _image_page(
    width: int, height: int, data: bytes, *filters: str, page: tuple[float, float] = (595, 842)
) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=page)
    image = _stream(pdf, data, *filters)
    image.stream_dict.update(
        pikepdf.Dictionary(
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
        )  # fmt: skip
    )
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    w, h = page
    pdf.pages[0].obj.Contents = pdf.make_indirect(
        pikepdf.Stream(pdf, f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode())
    )
    return _saved(pdf)


def test_an_image_of_too_many_pixels_is_refused() -> None:
    data = _image_page(10_000, 10_000, deflated(100, b"\xff"), "/FlateDecode")
    with pytest.raises(
        IngestError, match=r"^page 1 has an image of 10,000 × 10,000 pixels \(at most 50 million are read\)$"
    ):
        ingest_pdf(data, "image.pdf")


def test_a_jpeg_larger_than_its_image_says_is_refused() -> None:
    """PDFium decodes a JPEG at the size in its own header, whatever the PDF says."""
    sof = (
        b"\xff\xc0\x00\x0b\x08"
        + (30_000).to_bytes(2, "big")
        + (20_000).to_bytes(2, "big")
        + b"\x01\x01\x11\x00"
    )
    jpeg = b"\xff\xd8" + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + sof + b"\xff\xd9"
    with pytest.raises(IngestError, match=r"an image of 20,000 × 30,000 pixels"):
        ingest_pdf(_image_page(10, 10, jpeg, "/DCTDecode"), "jpeg.pdf")


def test_a_scanned_page_too_large_to_render_is_refused(tmp_path: Path) -> None:
    """A 200-inch page of one image was rendered at 150 dpi: 3.5 GB and 31 s, then tesseract failed."""
    src = tmp_path / "huge.pdf"
    src.write_bytes(_image_page(100, 100, deflated(10_000, b"\xff"), "/FlateDecode", page=(14400, 14400)))
    child = run_apforms(["ingest", str(src)], cap_mb=1500)
    assert child.status == 2, child.stderr
    assert child.refusal == (
        "apforms: page 1 of the scan is 200 × 200 inches: 900 million pixels at 150 dpi "
        "(at most 50 million are read for a page)"
    )
    assert child.peak_mb < 300 and child.wall < 10


def test_an_image_file_of_too_many_pixels_is_refused_before_it_is_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 165-megapixel PNG (under Pillow's own refusal) was decoded: 419 MB."""
    from PIL import Image

    monkeypatch.setattr(read_scan, "MAX_PAGE_PIXELS", 1_000_000)
    buf = io.BytesIO()
    Image.new("L", (1500, 1000), 255).save(buf, "PNG")
    with pytest.raises(
        IngestError, match=r"^the image is 1,500 × 1,000 pixels \(at most 1 million are read\)$"
    ):
        api.ingest_bytes(buf.getvalue(), "scan.png")


def test_the_pages_of_a_scan_are_bounded_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr(read_scan, "MAX_SCAN_PIXELS", 3_000_000)
    frames = [Image.new("L", (1240, 1754), 255) for _ in range(3)]  # A4 at 150 dpi
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(IngestError, match=r"^the image's pages are more than 3 million pixels"):
        api.ingest_bytes(buf.getvalue(), "scan.tif")


# --------------------------------------------------------------------------- counting what filters unpack to


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 4095, 100_000, 3_000_000])
def test_lzw_is_counted_as_qpdf_decodes_it(n: int) -> None:
    pdf = pikepdf.new()
    stream = _stream(pdf, lzw_run(n), "/LZWDecode")
    assert len(stream.read_bytes()) == n
    assert bounds.unpacked_size(stream, 10**9) == n


@pytest.mark.parametrize("data", [b"", b"\x00" * 4, b"\x00" * 40_000, bytes(range(256)) * 50, b"abc"])
def test_ascii85_is_counted_as_qpdf_decodes_it(data: bytes) -> None:
    import base64

    text = base64.a85encode(data, wrapcol=76) + b"~>"
    pdf = pikepdf.new()
    stream = _stream(pdf, text, "/ASCII85Decode")
    assert bounds._a85_size(text) == len(stream.read_bytes()) == len(data)


def test_flate_is_decoded_no_further_than_the_limit() -> None:
    pdf = pikepdf.new()
    stream = _stream(pdf, deflated(200 * MB), "/FlateDecode")
    assert bounds.unpacked_size(stream, 1000) == 1001


# --------------------------------------------------------------------------- Word documents


def _docx_with(name: str, payload: bytes | None = None, extra: int = 0) -> bytes:
    record = parse_record(json.dumps(api.example("sla")))
    content = api.render_record(record, "docx").content or b""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == name and payload is not None:
                dst.writestr(info, payload, compresslevel=9)
            else:
                dst.writestr(info, src.read(info))
        for i in range(extra):
            dst.writestr(f"customXml/item{i}.xml", b"<a/>")
    return buf.getvalue()


def test_a_word_return_whose_relationships_unpack_to_gigabytes_is_refused() -> None:
    """The package's relationships were read whole: a 2 GiB one ended in MemoryError."""
    data = _docx_with("_rels/.rels", b" " * (40 * MB))
    assert len(data) < 200_000
    with pytest.raises(IngestError, match=r"^Word document too large \(_rels/\.rels is 40 MB unpacked\)$"):
        api.ingest_bytes(data, "bomb.docx")


def test_a_word_return_with_too_many_parts_is_refused_before_they_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(docx_read, "MAX_ENTRIES", 30)
    with pytest.raises(
        IngestError, match=r"^not a Word form apforms made \(39 parts; at most 30 are read\)$"
    ):
        api.ingest_bytes(_docx_with("", extra=25), "parts.docx")


def test_a_word_return_is_bounded_in_what_it_unpacks_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_read, "MAX_READ", 20_000)
    with pytest.raises(
        IngestError, match=r"^Word document too large \(its parts unpack to more than 19 KB\)$"
    ):
        api.ingest_bytes(_docx_with(""), "sla.docx")


# --------------------------------------------------------------------------- the archive


def test_archive_add_refuses_a_field_value_bomb_as_ingest_does(tmp_path: Path) -> None:
    """``archive add`` read a field-value bomb as ingest did (MemoryError); then it kept the
    copy (exit 0) that ingest refuses, with only a warning that the form could not be read."""
    src = tmp_path / "bomb.pdf"
    src.write_bytes(_value_bomb(deflated(200 * MB), "/FlateDecode"))
    store = tmp_path / "archive"
    child = run_apforms(["archive", "--store", str(store), "add", str(src)], cap_mb=1500)
    assert child.status == 2, child.stderr
    assert child.refusal == f"apforms: refused {src}: {VALUE_REFUSED.removeprefix('apforms: ')}"
    assert child.peak_mb < 300 and child.wall < 10
    with Archive(SQLiteStore(store)) as archive:
        assert archive.entries() == []
        event = archive.audit_log()[-1]
    assert (event.action, event.detail) == (
        "add-refused",
        {"file": str(src), "reason": VALUE_REFUSED.removeprefix("apforms: ")},
    )


def _foreign_with_value(value: bytes) -> bytes:
    """A PDF that is not an apforms form, with one text field whose value is a Flate stream."""
    pdf = pikepdf.open(io.BytesIO(foreign_pdf()))
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            FT=pikepdf.Name.Tx,
            T=pikepdf.String("notes"),
            V=_stream(pdf, value, "/FlateDecode"),
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            Rect=[72, 600, 300, 620],
        )  # fmt: skip
    )
    pdf.pages[0].obj.Annots = pikepdf.Array([widget])
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([widget]))
    return _saved(pdf)


def _junk_fields() -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf("referral")))
    with_junk_widgets(pdf, 100)
    return _saved(pdf)


@pytest.mark.parametrize(
    ("make", "doc", "reason"),
    [
        pytest.param(
            lambda: _value_bomb(deflated(2 * MB), "/FlateDecode"), None,
            VALUE_REFUSED.removeprefix("apforms: "), id="a form field's value",
        ),
        pytest.param(
            lambda: _foreign_with_value(deflated(2 * MB)), "sla", VALUE_REFUSED.removeprefix("apforms: "),
            id="a field's value in a PDF ingest would not read",
        ),
        pytest.param(
            lambda: _flat_with_contents(deflated(3 * MB, b" "), "/FlateDecode"), None,
            "page 1's drawing unpacks to more than 2 MB (the most read for a page)",
            id="a page's drawing",
        ),
        pytest.param(
            _junk_fields, None, "the form has 373 fields; at most 300 are read", id="too many fields"
        ),
    ],
)  # fmt: skip
def test_the_archive_refuses_what_ingest_refuses_with_the_same_reason(
    tmp_path: Path, make: object, doc: str | None, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_fields, "MAX_FIELDS", 300)
    data = make()  # type: ignore[operator]
    if doc is None:  # ingest refuses it in these words
        with pytest.raises(IngestError, match=f"^{re.escape(reason)}$"):
            ingest_pdf(data, "bomb.pdf")
    with Archive(SQLiteStore(tmp_path / "store")) as archive:
        result = archive.add_bytes(data, "bomb.pdf", doc)
        assert (result.outcome, result.reason) == (REFUSED, reason)
        assert archive.entries() == []
        event = archive.audit_log()[-1]
    assert (event.action, event.detail) == ("add-refused", {"file": "bomb.pdf", "reason": reason})


def test_a_signed_copy_over_a_limit_is_refused_before_pyhanko_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyHanko (and pikepdf, and PDFium for drawn signatures) read the copy after ingest had
    refused it, on input nothing had bounded."""
    signer = make_signer(tmp_path / "keys")
    signed = sign(_value_bomb(deflated(2 * MB), "/FlateDecode", doc="sla"), signer, "signatures.provider")
    read: list[bytes] = []
    monkeypatch.setattr(signatures, "validate_digital", lambda data, roots=(): read.append(data) or [])
    with Archive(SQLiteStore(tmp_path / "store")) as archive:
        result = archive.add_bytes(signed, "signed.pdf")
    assert (result.outcome, result.reason) == (REFUSED, VALUE_REFUSED.removeprefix("apforms: "))
    assert read == []


def test_the_archive_opens_a_pdf_under_qpdf_limits(tmp_path: Path) -> None:
    """check_pdf opened the file with pikepdf before qpdf was told its limits: an object
    stream of 300 MB holding the page tree was unpacked whole, and the copy kept."""
    src = tmp_path / "objstm.pdf"
    src.write_bytes(object_stream_bomb(300 * MB))
    assert src.stat().st_size < 600_000
    store = tmp_path / "archive"
    child = run_apforms(["archive", "--store", str(store), "add", "--doc", "sla", str(src)], cap_mb=1500)
    assert child.status == 2, child.stderr
    assert child.refusal == f"apforms: refused {src}: {STREAM_REFUSED}"
    assert child.peak_mb < 300 and child.wall < 10


def test_an_object_stream_over_the_limit_is_named_as_the_limit() -> None:
    """qpdf says that the stream went over its limit only in a warning; the error is that the
    page tree is missing ('damaged PDF, cannot be read (unable to find page tree)')."""
    with pytest.raises(IngestError, match=f"^{re.escape(STREAM_REFUSED)}$"):
        ingest_pdf(object_stream_bomb(bounds.MAX_STREAM_BYTES + MB), "objstm.pdf")


STREAM_REFUSED = "a stream unpacks to more than 64 MB (the most read for one stream)"


# --------------------------------------------------------------------------- long values


def test_a_return_with_a_value_of_megabytes_is_read_kept_and_named_too_long(tmp_path: Path) -> None:
    """Validation accepted a 50 MB value: the record was 'valid', and its PDF never finished."""
    value = "Lorem ipsum dolor sit amet. " * 200_000  # 5.6 MB
    src = tmp_path / "long.pdf"
    src.write_bytes(_with_value(pikepdf.String(value)))
    read = api.ingest(src)
    assert read.result.record["data"]["reason"]["statement"] == value  # nothing typed is lost
    assert [str(p).split(" (reason.statement): ")[1] for p in read.result.validation.problems] == [
        "Too long: 5,600,000 characters (at most 20,000): beginning "
        "'Lorem ipsum dolor sit amet. Lorem ipsum …'"
    ]
    record = api.read_record(read.path)
    rendered = api.render_record(record, "pdf")
    assert rendered.content is None and rendered.problems[0].message.startswith("Too long")
