"""Helpers for the archive tests: apforms PDFs, throwaway signing keys, foreign PDFs."""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apforms import api
from apforms.archive.signatures import sign_pdf
from apforms.model import records
from apforms.model.definitions import load_definition


@dataclass(frozen=True)
class Signer:
    key: Path
    cert: Path

    @property
    def cert_bytes(self) -> bytes:
        return self.cert.read_bytes()


def make_signer(folder: Path, name: str = "Zofia Wiśniewska") -> Signer:
    """A throwaway EC key and self-signed certificate (never committed, never a real identity)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(True, True, False, False, False, True, False, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    stem = f"signer-{abs(hash(name)) % 10**6}"
    key_path, cert_path = folder / f"{stem}-key.pem", folder / f"{stem}-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Signer(key_path, cert_path)


def example(doc: str) -> dict[str, Any]:
    return copy.deepcopy(api.example(doc)["data"])


def form_pdf(doc: str = "sla", data: dict[str, Any] | None = None) -> bytes:
    """The apforms fillable PDF of ``data`` (default: the example record)."""
    definition = load_definition(doc)
    canonical = records.canonical(definition, example(doc) if data is None else data)
    return api.render_bytes(definition, canonical, "pdf")


def unsigned_sla() -> dict[str, Any]:
    """The example SLA with both signature blocks empty."""
    data = example("sla")
    data["signatures"] = {"provider": {}, "school": {}}
    return data


def sign(pdf: bytes, signer: Signer, field: str) -> bytes:
    return sign_pdf(pdf, signer.key, signer.cert, field)


def foreign_pdf(text: str = "A scanned agreement") -> bytes:
    """A plain one-page PDF that is not an apforms form (like a scan)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    content = DecodedStreamObject()
    safe = text.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    content.set_data(b"BT /F1 14 Tf 72 770 Td (" + safe + b") Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(foreign_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def with_ink_over(pdf: bytes, field_name: str, subtype: str = "/Ink") -> bytes:
    """Add a drawn mark (ink; or a pasted scan, a stamp) over the widget of ``field_name``."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            if ".".join(_names(annot)) == field_name:
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                ink = DictionaryObject(
                    {
                        NameObject("/Type"): NameObject("/Annot"),
                        NameObject("/Subtype"): NameObject(subtype),
                        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (x0, y0, x1, y1)]),
                        NameObject("/InkList"): ArrayObject(
                            [ArrayObject([FloatObject(v) for v in (x0 + 2, y0 + 2, x1 - 2, y1 - 2)])]
                        ),
                    }
                )
                page["/Annots"].append(writer._add_object(ink))  # type: ignore[attr-defined]
                buf = io.BytesIO()
                writer.write(buf)
                return buf.getvalue()
    raise AssertionError(f"no widget {field_name}")


def with_image_over(pdf: bytes, field_name: str) -> bytes:
    """Paste an image (a scanned signature) over the widget of ``field_name``, drawn through a
    form XObject with its own /Matrix as some PDF editors do: the image's box must be placed on
    the page through both the form's matrix and the page's, not read in the form's own space."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, Stream

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for annot in page.obj.get("/Annots") or []:
                parts, node = [], annot
                while node is not None:
                    if "/T" in node:
                        parts.append(str(node["/T"]))
                    node = node.get("/Parent")
                if ".".join(reversed(parts)) != field_name:
                    continue
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                image = Stream(
                    doc,
                    b"\x00\xff\x00\xff",
                    Type=Name.XObject,
                    Subtype=Name.Image,
                    Width=2,
                    Height=2,
                    ColorSpace=Name.DeviceGray,
                    BitsPerComponent=8,
                )
                form = Stream(
                    doc,
                    f"q {x1 - x0:.2f} 0 0 {y1 - y0:.2f} 0 0 cm /Scan Do Q".encode(),
                    Type=Name.XObject,
                    Subtype=Name.Form,
                    BBox=Array([0, 0, x1 - x0, y1 - y0]),
                    Matrix=Array([1, 0, 0, 1, 5, 5]),
                    Resources=Dictionary(XObject=Dictionary(Scan=doc.make_indirect(image))),
                )
                name = page.add_resource(doc.make_indirect(form), Name.XObject, prefix="ScanForm")
                cm = f"q 1 0 0 1 {x0 - 5:.2f} {y0 - 5:.2f} cm {name} Do Q".encode()
                page.contents_add(doc.make_stream(cm))
                buf = io.BytesIO()
                doc.save(buf)
                return buf.getvalue()
    raise AssertionError(f"no widget {field_name}")


def _names(annot: Any) -> list[str]:
    parts: list[str] = []
    node = annot
    while node is not None:
        if "/T" in node:
            parts.append(str(node["/T"]))
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return list(reversed(parts))
