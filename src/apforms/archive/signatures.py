"""Signature status of a PDF, per signature block; and PAdES signing (pyHanko).

A block (a field of type ``signature`` at key path ``P``, e.g. ``signatures.provider``) is
*digitally signed* when the PDF signature field ``P.digital`` holds a signature (checked
with pyHanko: who, when, and whether the document changed after signing); *signed by hand*
when ``P.signature`` holds a typed name or a drawn/scanned mark covers it (not
cryptographically verifiable); otherwise *unsigned*. A document is *fully signed* when
every block is signed (an SLA: both parties).

Validation never uses the network: revocation information is not fetched, and a signer is
"trusted" only against the certificates passed as ``trust_roots``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apforms.errors import ArchiveError
from apforms.formats.pdf.matrix import compose
from apforms.model import definitions as d
from apforms.model.definitions import Definition

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

# Block statuses.
UNSIGNED, HAND, DIGITAL = "unsigned", "hand", "digital"
# Document statuses.
FULLY_SIGNED = "fully_signed"
PARTLY_SIGNED = "partly_signed"
NOT_SIGNED = "unsigned"
SIGNED = "signed"  # a foreign PDF with digital signatures that are not in known blocks
UNKNOWN = "unknown"  # a foreign PDF without digital signatures: look at it
NO_BLOCKS = "no_signature_blocks"
INVALID = "invalid"  # a digital signature is broken, or the document was changed after it
STATUSES = (FULLY_SIGNED, PARTLY_SIGNED, NOT_SIGNED, SIGNED, UNKNOWN, NO_BLOCKS, INVALID)

HAND_NOTE = "not cryptographically verifiable"
#: The key of the PDF signature field of a block (formats/pdf/writer.py names it ``P.digital``).
DIGITAL_KEY = "digital"
TYPED_KEY = "signature"

# PDF vocabulary (ISO 32000-1, 12.5.6, 12.8.1). A signature dictionary's /ByteRange is written
# uncompressed (its offsets are into the file's own bytes), so its absence means no signature.
_WIDGET, _INK, _STAMP = "/Widget", "/Ink", "/Stamp"
_BYTE_RANGE = b"/ByteRange"


@dataclass(frozen=True)
class DigitalSignature:
    """One digital signature as pyHanko sees it. ``problem`` is None when it is intact."""

    field: str
    signer: str
    signed_at: str | None
    time_source: str  # "timestamp" (a timestamp authority) or "signer's clock"
    intact: bool
    valid: bool
    trusted: bool | None  # None: no trust roots were given
    changed_after_signing: bool
    later_changes: str  # none, lta_updates, form_filling, annotations, other
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        when = f" at {self.signed_at} ({self.time_source})" if self.signed_at else ""
        trust = {True: "trusted", False: "signer not trusted", None: "trust not checked"}[self.trusted]
        if self.problem:
            return f"digital signature by {self.signer}{when}: BROKEN: {self.problem}"
        later = (
            f"; changed after signing ({self.later_changes.replace('_', ' ')}, allowed)"
            if self.changed_after_signing
            else "; unchanged since signing"
        )
        return f"digitally signed by {self.signer}{when}; intact, {trust}{later}"


@dataclass(frozen=True)
class BlockStatus:
    """The status of one signature block."""

    path: str
    label: str
    status: str
    name: str | None = None
    date: str | None = None
    hand: str | None = None  # "typed" or "drawn"
    typed: str | None = None
    digital: DigitalSignature | None = None

    def describe(self) -> str:
        who = f" ({self.name})" if self.name else ""
        if self.status == DIGITAL and self.digital:
            return f"{self.label}{who}: {self.digital.describe()}"
        if self.status == HAND:
            what = f"typed “{self.typed}”" if self.hand == "typed" else "a drawn or scanned mark"
            dated = f", dated {self.date}" if self.date else ""
            return f"{self.label}{who}: signed by hand ({what}{dated}), {HAND_NOTE}"
        return f"{self.label}{who}: unsigned"


@dataclass(frozen=True)
class SignatureReport:
    """Every block's status, digital signatures outside known blocks, and the overall status."""

    status: str
    blocks: tuple[BlockStatus, ...] = ()
    other: tuple[DigitalSignature, ...] = ()

    @property
    def digital(self) -> list[DigitalSignature]:
        return [b.digital for b in self.blocks if b.digital] + list(self.other)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> SignatureReport:
        blocks = tuple(
            BlockStatus(**{**b, "digital": DigitalSignature(**b["digital"]) if b.get("digital") else None})
            for b in raw.get("blocks", ())
        )
        other = tuple(DigitalSignature(**s) for s in raw.get("other", ()))
        return cls(str(raw.get("status", UNKNOWN)), blocks, other)


# --------------------------------------------------------------------------- examining


def examine(
    data: bytes,
    definition: Definition | None,
    record_data: Mapping[str, Any] | None,
    trust_roots: Sequence[bytes] = (),
    is_form: bool = True,
) -> SignatureReport:
    """The signature status of a PDF, block by block, against ``definition``'s blocks.

    ``record_data`` is the record read from the form (typed names); when it is None (a form
    apforms could not read) the PDF's own fields are read instead. For a PDF that is not an
    apforms form (``is_form`` False) only digital signatures named like a block count.
    """
    digital = {s.field: s for s in validate_digital(data, trust_roots)}
    fields = _form_fields(data) if is_form else {}
    blocks = [f for f in definition.walk() if f.type == d.SIGNATURE] if definition else []
    statuses: list[BlockStatus] = []
    drawn: set[str] | None = None
    for block in blocks:
        values = _block_values(block.path, record_data, fields)
        sig = digital.pop(f"{block.path}.{DIGITAL_KEY}", None)
        typed = values.get(TYPED_KEY)
        if sig is not None:
            status, hand = DIGITAL, None
        elif typed:
            status, hand = HAND, "typed"
        elif not is_form:
            status, hand = UNSIGNED, None
        else:
            if drawn is None:
                drawn = drawn_marks(data)
            hand = "drawn" if f"{block.path}.{TYPED_KEY}" in drawn else None
            status = HAND if hand else UNSIGNED
        statuses.append(
            BlockStatus(
                block.path,
                block.label.rstrip(":"),
                status,
                values.get("name"),
                values.get("date"),
                hand,
                typed,
                sig,
            )
        )
    other = tuple(digital.values())
    return SignatureReport(_overall(statuses, other, is_form), tuple(statuses), other)


def _overall(blocks: list[BlockStatus], other: tuple[DigitalSignature, ...], is_form: bool) -> str:
    if any(not s.ok for s in [b.digital for b in blocks if b.digital] + list(other)):
        return INVALID
    signed = [b for b in blocks if b.status != UNSIGNED]
    if blocks and (is_form or signed):
        if len(signed) == len(blocks):
            return FULLY_SIGNED
        return PARTLY_SIGNED if signed else NOT_SIGNED
    if other:
        return SIGNED
    return NO_BLOCKS if is_form and not blocks else UNKNOWN


def _block_values(
    path: str, record_data: Mapping[str, Any] | None, fields: Mapping[str, str]
) -> dict[str, str]:
    """A block's name, typed signature and date: from the record, else the PDF's fields."""
    out: dict[str, str] = {}
    node: Any = record_data
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    for key in ("name", TYPED_KEY, "date"):
        value = node.get(key) if isinstance(node, Mapping) else None
        if record_data is None:
            value = fields.get(f"{path}.{key}")
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    return out


def _open(data: bytes) -> Any:
    """The PDF opened with qpdf (pikepdf), which repairs what it can; its notes stay quiet."""
    import pikepdf

    logging.getLogger("pikepdf").addHandler(logging.NullHandler())
    return pikepdf.open(io.BytesIO(data), suppress_warnings=True)


def _form_fields(data: bytes) -> dict[str, str]:
    """Text values of the PDF's form fields by fully qualified name ({} if it has no form)."""
    try:
        with _open(data) as pdf:
            return {str(f.fully_qualified_name): str(f.value_as_string or "") for f in pdf.acroform.fields}
    except Exception:  # a damaged form: judged by its digital signatures alone
        return {}


def drawn_marks(data: bytes) -> set[str]:
    """Names of form fields covered by an ink or stamp annotation or an image on the page.

    That is how a drawn signature (a finger or stylus in a PDF reader) or a pasted scan of a
    signature usually arrives.
    """
    found: set[str] = set()
    try:
        with _open(data) as pdf:
            for number, page in enumerate(pdf.pages):
                widgets, marks = _page_annotations(page.obj)
                if not widgets:
                    continue
                if not marks and _has_images(page.obj):
                    marks = _image_boxes(data, number)
                found.update(name for name, box in widgets.items() if any(_overlap(box, m) for m in marks))
    except Exception:  # a page we cannot read has no marks we can vouch for
        return found
    return found


def _page_annotations(page: Any) -> tuple[dict[str, tuple[float, ...]], list[tuple[float, ...]]]:
    widgets: dict[str, tuple[float, ...]] = {}
    marks: list[tuple[float, ...]] = []
    annots = page.get("/Annots")
    for annot in annots if _is_array(annots) else ():
        if not _is_dict(annot):
            continue
        kind = annot.get("/Subtype")
        rect = _rect(annot.get("/Rect"))
        if rect is None:
            continue
        if kind == _WIDGET:
            widgets[_qualified_name(annot)] = rect
        elif kind in (_INK, _STAMP):
            marks.append(rect)
    return widgets, marks


def _has_images(obj: Any, depth: int = 0) -> bool:
    """Whether the page (or a form it draws, two levels deep) uses an image."""
    import pikepdf

    resources = obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return False
    for _, xobj in xobjects.items():
        if not _is_dict(xobj):
            continue
        subtype = xobj.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < 2 and _has_images(xobj, depth + 1):
            return True
    return False


def _is_dict(obj: Any) -> bool:
    """A PDF dictionary or a stream (whose dictionary is read the same way)."""
    import pikepdf

    return isinstance(obj, pikepdf.Dictionary | pikepdf.Stream)


def _is_array(obj: Any) -> bool:
    import pikepdf

    return isinstance(obj, pikepdf.Array)


#: How many forms deep image placements are looked for (a form drawing itself must not hang us).
_MAX_FORM_DEPTH = 16
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _image_boxes(data: bytes, page_number: int) -> list[tuple[float, ...]]:
    """Where the page's images are drawn, in PDF points on the page (the space of /Rect)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        page = doc[page_number]
        try:
            boxes: list[tuple[float, ...]] = []
            _collect_images(page, None, _IDENTITY, boxes, 0)
            return boxes
        finally:
            page.close()
    finally:
        doc.close()


def _collect_images(
    page: Any, form: Any, matrix: tuple[float, ...], out: list[tuple[float, ...]], depth: int
) -> None:
    """Image boxes of the page's objects (or a form's), into page space through ``matrix``.

    PDFium gives an object's bounds in the space of the form that holds it, so the matrices of
    the forms around it are applied here (as a reader places it on the page).
    """
    import ctypes

    import pypdfium2.raw as pdfium_c

    if form is None:
        count, get, parent = pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, page.raw
    else:
        count, get, parent = pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, form
    for i in range(max(count(parent), 0)):
        obj = get(parent, i)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            corners = _corners(obj)
            if corners:
                out.append(_transform(matrix, corners))
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth + 1 < _MAX_FORM_DEPTH:
            fm = pdfium_c.FS_MATRIX()
            if pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(fm)):
                inner = compose((fm.a, fm.b, fm.c, fm.d, fm.e, fm.f), matrix)
                _collect_images(page, obj, inner, out, depth + 1)


def _corners(obj: Any) -> list[tuple[float, float]]:
    """The corners of an image object (exact for a rotated one), in its form's space."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    rotated = getattr(pdfium_c, "FPDFPageObj_GetRotatedBounds", None)  # PDFium 5921 and later
    quad = pdfium_c.FS_QUADPOINTSF()
    if rotated is not None and rotated(obj, ctypes.byref(quad)):
        return [(quad.x1, quad.y1), (quad.x2, quad.y2), (quad.x3, quad.y3), (quad.x4, quad.y4)]
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return [(left.value, bottom.value), (right.value, top.value)]
    return []


def _transform(m: tuple[float, ...], points: list[tuple[float, float]]) -> tuple[float, ...]:
    """The box around ``points`` (a box's corners) moved through ``m``."""
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    if len(points) == 2:  # two opposite corners: the other two as well
        xs, ys = xs + xs, ys + ys[::-1]
    moved = [(m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]) for x, y in zip(xs, ys, strict=True)]
    return (
        min(x for x, _ in moved),
        min(y for _, y in moved),
        max(x for x, _ in moved),
        max(y for _, y in moved),
    )


def _rect(raw: Any) -> tuple[float, ...] | None:
    try:
        x0, y0, x1, y1 = (float(v) for v in raw)
    except (TypeError, ValueError):
        return None
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _qualified_name(annot: Any) -> str:
    parts: list[str] = []
    node, seen = annot, 0
    while _is_dict(node) and seen < 32:  # a cycle in /Parent must not hang us
        if "/T" in node:
            parts.append(str(node["/T"]))
        node = node.get("/Parent")
        seen += 1
    return ".".join(reversed(parts))


# --------------------------------------------------------------------------- pyHanko


def validate_digital(data: bytes, trust_roots: Sequence[bytes] = ()) -> list[DigitalSignature]:
    """Every digital signature in the PDF, validated offline; [] if it has none."""
    if _BYTE_RANGE not in data:
        return []  # no signature dictionary: skip loading pyHanko (half a second)
    from pyhanko.pdf_utils.reader import PdfFileReader

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)  # problems are reported as data
    try:
        embedded = list(PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures)
    except Exception as exc:  # a signature is there (/ByteRange) but cannot be read: broken
        return _unreadable(data, _line(exc))
    if not embedded:
        return []
    roots = _certificates(trust_roots)
    return [_validate_one(sig, roots, bool(trust_roots)) for sig in embedded]


def _unreadable(data: bytes, why: str) -> list[DigitalSignature]:
    """A signed field whose signature pyHanko cannot parse counts as a broken signature,
    never as missing (which would let a typed name make the block look signed)."""
    try:
        names = [name for name, signed in signature_fields(data) if signed]
    except Exception:
        names = []
    return [
        DigitalSignature(name, "unknown", None, "", False, False, None, False, "other",
                         problem=f"the signature cannot be read: {why}")
        for name in names or ["(unknown field)"]
    ]  # fmt: skip


def _certificates(blobs: Sequence[bytes]) -> list[Any]:
    from pyhanko.keys import load_certs_from_pemder_data

    certs: list[Any] = []
    for blob in blobs:
        try:
            certs.extend(load_certs_from_pemder_data(blob))
        except Exception as exc:
            raise ArchiveError(f"a trust certificate cannot be read: {_line(exc)}") from None
    return certs


def _validate_one(sig: Any, roots: list[Any], trust_checked: bool) -> DigitalSignature:
    from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    name = str(sig.field_name)
    usage = KeyUsageConstraints(
        key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
    )
    try:
        # a fresh context per signature: offline, trusting only the given roots
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        st = validate_pdf_signature(sig, context, key_usage_settings=usage)
    except Exception as exc:
        return DigitalSignature(name, "unknown", None, "", False, False, False, True, "other", _line(exc))
    ts = st.timestamp_validity
    signed_at = ts.timestamp if ts is not None else st.signer_reported_dt
    later = st.modification_level.name.lower() if st.modification_level is not None else "other"
    changed = st.coverage != SignatureCoverageLevel.ENTIRE_FILE
    problem = None
    if not st.intact:
        problem = "the signed content was altered"
    elif not st.valid:
        problem = "the signature does not match the signer's certificate"
    elif (
        st.docmdp_ok is False
        or isinstance(st.diff_result, SuspiciousModification)
        or (changed and st.modification_level in (None, ModificationLevel.OTHER))
    ):
        problem = "the document was changed after signing in a way a signature does not allow"
    return DigitalSignature(
        field=name,
        signer=_signer(st.signing_cert),
        signed_at=signed_at.isoformat(timespec="seconds") if signed_at else None,
        time_source="timestamp" if ts is not None else "signer's clock",
        intact=bool(st.intact),
        valid=bool(st.valid),
        trusted=bool(st.trusted) if trust_checked else None,
        changed_after_signing=changed,
        later_changes=later if changed else "none",
        problem=problem,
    )


def _signer(cert: Any) -> str:
    try:
        subject = cert.subject.native
        return str(subject.get("common_name") or cert.subject.human_friendly)
    except Exception:
        return "unknown signer"


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def load_trust_roots(paths: Sequence[str | Path]) -> list[bytes]:
    """Certificates (PEM or DER files) to treat as trusted signers' roots."""
    out = []
    for p in paths:
        try:
            out.append(Path(p).read_bytes())
        except OSError as exc:
            raise ArchiveError(f"cannot read trust certificate {p}: {exc.strerror or exc}") from None
    return out


# --------------------------------------------------------------------------- signing


def sign_pdf(
    data: bytes,
    key_file: str | Path,
    cert_file: str | Path,
    field_name: str,
    passphrase: str | None = None,
) -> bytes:
    """Apply a PAdES signature to the PDF signature field ``field_name``.

    ``field_name`` may be a block's key path (``signatures.provider``); its ``.digital``
    field is then signed. A PDF without signature fields gets an invisible one of that name.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields as sig_fields
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    signer = _load_signer(key_file, cert_file, passphrase)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise ArchiveError(f"cannot sign: not a readable PDF ({_line(exc)})") from None
    if writer.prev.encrypted:
        raise ArchiveError("cannot sign: the PDF is password-protected (encrypted)")
    existing = {name: value for name, value, _ in sig_fields.enumerate_sig_fields(writer)}
    target = _signature_field(field_name, existing)
    meta = signers.PdfSignatureMetadata(
        field_name=target, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    try:
        out = signers.sign_pdf(writer, meta, signer=signer, existing_fields_only=bool(existing))
    except Exception as exc:
        raise ArchiveError(f"cannot sign {target}: {_line(exc)}") from None
    return bytes(out.getvalue())


def _signature_field(name: str, existing: Mapping[str, Any]) -> str:
    for candidate in (name, f"{name}.{DIGITAL_KEY}"):
        if candidate in existing:
            if existing[candidate] is not None:
                raise ArchiveError(f"cannot sign: {candidate} is already signed")
            return candidate
    if existing:
        empty = [n for n, v in existing.items() if v is None]
        raise ArchiveError(
            f"no signature field {name!r}; empty signature fields: {', '.join(empty) or 'none'}"
        )
    return name


def _load_signer(key_file: str | Path, cert_file: str | Path, passphrase: str | None) -> SimpleSigner:
    from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    secret = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        key = load_private_key_from_pemder(str(key_file), passphrase=secret)
    except (OSError, ValueError, TypeError) as exc:
        raise ArchiveError(f"cannot read the private key {key_file}: {_line(exc)}") from None
    # load_cert_from_pemder and SimpleCertificateStore's constructor carry no annotations.
    try:
        cert = load_cert_from_pemder(str(cert_file))  # type: ignore[no-untyped-call]
    except (OSError, ValueError, TypeError) as exc:
        raise ArchiveError(f"cannot read the certificate {cert_file}: {_line(exc)}") from None
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    return signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=registry)


def signature_fields(data: bytes) -> Iterator[tuple[str, bool]]:
    """(name, signed) for every PDF signature field."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields as sig_fields

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    for name, value, _ in sig_fields.enumerate_sig_fields(reader):
        yield str(name), value is not None


__all__ = [
    "STATUSES",
    "BlockStatus",
    "DigitalSignature",
    "SignatureReport",
    "examine",
    "load_trust_roots",
    "sign_pdf",
    "validate_digital",
]
