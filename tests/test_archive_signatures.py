from __future__ import annotations

import io
from pathlib import Path

import pytest

from apforms.archive import signatures as s
from apforms.errors import ArchiveError
from apforms.model.definitions import load_definition

from .archive_support import (
    Signer,
    example,
    foreign_pdf,
    form_pdf,
    make_signer,
    sign,
    unsigned_sla,
    with_image_over,
    with_ink_over,
)

SLA = load_definition("sla")


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return make_signer(tmp_path_factory.mktemp("keys"), "Ștefan Ionescu")


@pytest.fixture(scope="module")
def school_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return make_signer(tmp_path_factory.mktemp("keys2"), "Ayesha Qureshi")


@pytest.fixture(scope="module")
def blank_sla() -> bytes:
    return form_pdf("sla", unsigned_sla())


def report(pdf: bytes, data: dict | None, roots: list[bytes] | None = None) -> s.SignatureReport:
    return s.examine(pdf, SLA, data, roots or [])


def test_an_unsigned_sla(blank_sla: bytes) -> None:
    r = report(blank_sla, unsigned_sla())
    assert r.status == s.NOT_SIGNED
    assert [(b.path, b.status) for b in r.blocks] == [
        ("signatures.provider", s.UNSIGNED),
        ("signatures.school", s.UNSIGNED),
    ]


def test_typed_names_are_signed_by_hand_and_not_verifiable() -> None:
    data = example("sla")
    r = report(form_pdf("sla", data), data)
    assert r.status == s.FULLY_SIGNED
    provider = r.blocks[0]
    assert (provider.status, provider.hand, provider.typed) == (s.HAND, "typed", "Ş. Ionescu")
    assert s.HAND_NOTE in provider.describe()


def test_typed_names_are_read_from_the_pdf_when_there_is_no_record() -> None:
    r = report(form_pdf("sla"), None)
    assert r.status == s.FULLY_SIGNED


def test_one_party_signed_is_partly_signed(blank_sla: bytes) -> None:
    data = unsigned_sla()
    data["signatures"]["school"] = {"name": "Ayesha Qureshi", "signature": "A. Qureshi"}
    r = report(form_pdf("sla", data), data)
    assert r.status == s.PARTLY_SIGNED


@pytest.mark.parametrize("subtype", ["/Ink", "/Stamp"])
def test_a_drawn_mark_over_the_signature_box_is_a_hand_signature(blank_sla: bytes, subtype: str) -> None:
    inked = with_ink_over(blank_sla, "signatures.provider.signature", subtype)
    r = report(inked, unsigned_sla())
    assert (r.blocks[0].status, r.blocks[0].hand) == (s.HAND, "drawn")
    assert r.blocks[1].status == s.UNSIGNED
    assert "drawn or scanned mark" in r.blocks[0].describe()


def test_a_pasted_scan_over_the_signature_box_is_a_hand_signature(blank_sla: bytes) -> None:
    scanned = with_image_over(blank_sla, "signatures.school.signature")
    r = report(scanned, unsigned_sla())
    assert [(b.status, b.hand) for b in r.blocks] == [(s.UNSIGNED, None), (s.HAND, "drawn")]
    assert r.status == s.PARTLY_SIGNED


def test_digital_signatures_name_the_signer_and_time(
    blank_sla: bytes, signer: Signer, school_signer: Signer
) -> None:
    one = sign(blank_sla, signer, "signatures.provider")
    r = report(one, unsigned_sla(), [signer.cert_bytes])
    provider = r.blocks[0]
    assert provider.status == s.DIGITAL and r.status == s.PARTLY_SIGNED
    assert provider.digital is not None
    d = provider.digital
    assert (d.signer, d.intact, d.valid, d.trusted, d.changed_after_signing) == (
        "Ștefan Ionescu",
        True,
        True,
        True,
        False,
    )
    assert d.signed_at and d.time_source == "signer's clock"

    both = sign(one, school_signer, "signatures.school.digital")
    r = report(both, unsigned_sla(), [signer.cert_bytes])
    assert r.status == s.FULLY_SIGNED
    first, second = (b.digital for b in r.blocks)
    assert first is not None and second is not None
    # the school's signature came after the provider's: an allowed change
    assert (first.changed_after_signing, first.later_changes, first.ok) == (True, "form_filling", True)
    assert second.trusted is False  # only the provider's certificate was given as trusted
    assert "allowed" in first.describe()


def test_trust_is_not_checked_without_roots(blank_sla: bytes, signer: Signer) -> None:
    r = report(sign(blank_sla, signer, "signatures.provider"), unsigned_sla())
    assert r.blocks[0].digital is not None and r.blocks[0].digital.trusted is None


def test_altered_signed_bytes_are_invalid(blank_sla: bytes, signer: Signer) -> None:
    signed = bytearray(sign(blank_sla, signer, "signatures.provider"))
    at = signed.index(b"Riverside Farm")  # inside the signed range
    signed[at] = ord("X")
    r = report(bytes(signed), unsigned_sla())
    assert r.status == s.INVALID
    assert r.blocks[0].digital is not None and not r.blocks[0].digital.ok


def test_a_page_changed_after_signing_is_invalid(blank_sla: bytes, signer: Signer) -> None:
    from pypdf import PdfWriter

    signed = sign(blank_sla, signer, "signatures.provider")
    writer = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_blank_page(595, 842)  # a new page is not form filling
    buf = io.BytesIO()
    writer.write(buf)
    r = report(buf.getvalue(), unsigned_sla())
    assert r.status == s.INVALID
    d = r.blocks[0].digital
    assert d is not None and d.changed_after_signing and "changed after signing" in (d.problem or "")


def test_foreign_pdf_without_signatures_is_unknown() -> None:
    r = s.examine(foreign_pdf(), SLA, None, is_form=False)
    assert r.status == s.UNKNOWN


def test_foreign_pdf_with_a_digital_signature_is_signed(signer: Signer) -> None:
    signed = sign(foreign_pdf(), signer, "Signature1")  # no form: an invisible field is made
    r = s.examine(signed, SLA, None, is_form=False)
    assert r.status == s.SIGNED
    assert [x.field for x in r.other] == ["Signature1"]


def test_report_round_trips_through_json(blank_sla: bytes, signer: Signer) -> None:
    import json

    r = report(sign(blank_sla, signer, "signatures.provider"), unsigned_sla())
    assert s.SignatureReport.from_dict(json.loads(json.dumps(r.as_dict()))) == r


def test_signing_errors(blank_sla: bytes, signer: Signer, tmp_path: Path) -> None:
    one = sign(blank_sla, signer, "signatures.provider")
    with pytest.raises(ArchiveError, match="already signed"):
        sign(one, signer, "signatures.provider")
    with pytest.raises(ArchiveError, match="no signature field 'nobody'.*signatures.school.digital"):
        sign(blank_sla, signer, "nobody")
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(ArchiveError, match="cannot read the private key"):
        s.sign_pdf(blank_sla, bad, signer.cert, "signatures.provider")
    with pytest.raises(ArchiveError, match="not a readable PDF"):
        s.sign_pdf(b"%PDF-1.7 junk", signer.key, signer.cert, "x")


def test_an_unreadable_signature_is_broken_not_missing(blank_sla: bytes, signer: Signer) -> None:
    """A damaged signature blob must not let the block fall back to "signed by hand"."""
    signed = bytearray(sign(blank_sla, signer, "signatures.provider"))
    at = signed.index(b"/Contents <") + len(b"/Contents <")
    signed[at : at + 2] = b"00"
    r = report(bytes(signed), unsigned_sla())
    assert r.status == s.INVALID
    assert r.blocks[0].digital is not None and not r.blocks[0].digital.ok
