"""``apforms demo``: every example record and every output, written under one folder.

Word and PDF forms (filled, blank, flattened), one form read back, a bulk SLA run, the
checks' findings, an improvement plan drafted from the QA example, and the example SLA
signed (the provider with a throwaway demo key, never a real signature: the certificate says
so; the school by typed name as on the record) and kept in a demo archive. This is the top
layer: it uses ``api`` like any other caller.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from apforms import api, bulk, files
from apforms.archive import Archive, Entry, Filters, open_archive
from apforms.archive.signatures import sign_pdf
from apforms.errors import ArchiveError
from apforms.model import records
from apforms.model.config import load_config
from apforms.model.definitions import load_definition
from apforms.safe import json_text

DEMO_SIGNER = "apforms demo signer (not a real signature)"
SIGNED_NAME = "sla-signed.pdf"


def demo_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway EC key and self-signed certificate, written owner-only into ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SIGNER)])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "demo-key.pem", folder / "demo-cert.pem"
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def demo_archive(out_dir: Path) -> tuple[Path, list[Entry]]:
    """Sign the example SLA, add it to ``out_dir/archive`` (once), and list the archive."""
    store = out_dir / "archive"
    signed_path = out_dir / "signed" / SIGNED_NAME
    with open_archive(store, database_url="") as archive:  # fictional: never a shared database
        if not _has_demo_copy(archive):
            definition = load_definition("sla")
            data = records.canonical(definition, api.example("sla")["data"])
            pdf = api.render_bytes(definition, data, "pdf")
            with tempfile.TemporaryDirectory() as tmp:
                key, cert = demo_certificate(Path(tmp))
                signed = sign_pdf(pdf, key, cert, "signatures.provider")
                trusted = Archive(archive.store, trust_roots=[cert.read_bytes()])
                files.write_bytes(signed_path, signed)
                added = trusted.add(signed_path, doc="sla")
                if added.entry is None:
                    raise ArchiveError(f"demo archive: {added.reason}")
        return signed_path, archive.entries()


def _has_demo_copy(archive: Archive) -> bool:
    return any(e.filename == SIGNED_NAME for e in archive.entries(Filters(document="sla")))


@dataclass
class DemoResult:
    """What ``apforms demo`` wrote, as (path, what it is) pairs."""

    out_dir: Path
    written: list[tuple[Path, str]] = field(default_factory=list)
    #: Findings worth showing (a withheld SLA, check results), one line each.
    notes: list[str] = field(default_factory=list)


def demo(out_dir: str | os.PathLike[str] = "output") -> DemoResult:
    """Write every example record and every output (Word, PDF, bulk, checks, archive) under ``out_dir``."""
    result = DemoResult(Path(out_dir))
    for definition in api.documents():
        record = api.example(definition.id)
        path = result.out_dir / "examples" / f"{definition.id}.json"
        files.write_text(path, json_text(record) + "\n")
        result.written.append((path, f"example {definition.id} record"))
    _demo_docx(result)
    _demo_pdf(result)
    _demo_bulk(result)
    _demo_checks(result)
    _demo_archive(result)
    return result


def _demo_archive(result: DemoResult) -> None:
    """The example SLA signed (provider: throwaway demo key) and kept in a demo archive."""
    signed, entries = demo_archive(result.out_dir)
    result.written.append((signed, "example SLA, provider signed digitally with a demo key"))
    for e in entries:
        result.notes.append(
            f"archive {result.out_dir / 'archive'}: {e.short_id} {e.document} {e.version}, "
            f"{e.signature_status.replace('_', ' ')}, {e.parties.get('provider', '')}"
        )


def _demo_docx(result: DemoResult) -> None:
    """The Word document of every example record and every blank form, in ``docx/``."""
    for definition in api.documents():
        data = records.canonical(definition, api.example(definition.id)["data"])
        out = result.out_dir / "docx" / f"{definition.id}.docx"
        path = files.write_bytes(out, api.render_bytes(definition, data, "docx"))
        result.written.append((path, f"{definition.id} example, Word"))
        path = api.blank(definition.id, "docx", result.out_dir / "docx" / f"{definition.id}-blank.docx")
        result.written.append((path, f"blank {definition.id} form, Word"))
    folder = result.out_dir / "docx"
    read = api.ingest(folder / "referral.docx", folder / "referral-returned.json")
    result.written.append((read.path, "referral read back from its Word document, as a provider returns it"))


def _demo_pdf(result: DemoResult) -> None:
    """Fillable PDFs of every example (filled, blank, flattened) in ``pdf/``, and one read back."""
    folder = result.out_dir / "pdf"
    for definition in api.documents():
        data = records.canonical(definition, api.example(definition.id)["data"])
        path = files.write_bytes(folder / f"{definition.id}.pdf", api.render_bytes(definition, data, "pdf"))
        result.written.append((path, f"{definition.id} example, fillable PDF"))
        flat = api.render_bytes(definition, data, "pdf", flatten=True)
        path = files.write_bytes(folder / f"{definition.id}-flat.pdf", flat)
        result.written.append((path, f"{definition.id}, flattened PDF"))
        path = api.blank(definition.id, "pdf", folder / f"{definition.id}-blank.pdf")
        result.written.append((path, f"blank {definition.id} form, fillable PDF"))
    read = api.ingest(folder / "referral-flat.pdf", folder / "referral-flat.json")
    result.written.append((read.path, f"referral read back from its flattened PDF ({read.result.method})"))


def _demo_bulk(result: DemoResult) -> None:
    """A small bulk SLA run on the built-in placements; one provider is flagged and withheld."""
    inputs = bulk.example_inputs()
    run = bulk.bulk_sla(
        inputs["placements"], inputs["providers"], inputs["schools"],
        result.out_dir / "bulk", load_config().registration, jobs=1,
    )  # fmt: skip
    for r in run.results:
        for name, _ in r.files.values():
            result.written.append((run.out_dir / name, f"bulk SLA, {r.pair.names[0]} – {r.pair.names[1]}"))
        if r.error:
            result.notes.append(f"bulk: {r.status} {r.pair.names[0]} – {r.pair.names[1]}: {r.error}")
    result.written.append((run.manifest[0], "bulk SLA manifest"))


def _demo_checks(result: DemoResult) -> None:
    """``check`` over the example records (findings in checks.txt and the notes) and an
    improvement plan drafted from the example QA record."""
    paths = [p for p, what in result.written if what.startswith("example ")]
    given = [(str(p), api.read_record(p)) for p in paths]
    checked = api.check(given, date.today())
    lines = [f"{f.file}: {f.line()}" for f in checked.findings]
    summary = (
        f"check: {checked.count('error')} error(s), {checked.count('warning')} warning(s), "
        f"{checked.count('info')} info over {len(given)} example records"
    )
    text = "\n".join([*lines, summary]) + "\n"
    result.written.append((files.write_text(result.out_dir / "checks.txt", text), "check findings"))
    result.notes += [*lines, summary]
    qa = next(rec for _, rec in given if rec.definition.id == "qa")
    path, _, _ = api.improvement_plan_from_qa(
        qa, result.out_dir / "examples" / "improvement-plan-from-qa.json"
    )
    result.written.append((path, "improvement plan drafted from the example QA record"))
