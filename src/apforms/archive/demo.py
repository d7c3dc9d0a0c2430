"""The archive part of ``apforms demo``: the example SLA, signed, in a demo archive.

The provider signs digitally with a throwaway key made for the demo (never a real
signature: the certificate says so), the school by typed name as on the example record.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apforms import files
from apforms.archive import Archive, Entry, Filters, open_archive
from apforms.archive.signatures import sign_pdf
from apforms.errors import ArchiveError

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
    from apforms import api, records
    from apforms.definitions import load_definition

    store = out_dir / "archive"
    signed_path = out_dir / "signed" / SIGNED_NAME
    with open_archive(store) as archive:
        if not _has_demo_copy(archive):
            definition = load_definition("sla")
            data = records.validate(definition, api.example("sla")["data"], partial=True).data
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
