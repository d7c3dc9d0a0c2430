"""Export bundles: the selected files and a manifest in one zip, e.g. for an inspection."""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from apforms import files, safe
from apforms.archive.store import Entry

MANIFEST_JSON, MANIFEST_CSV = "manifest.json", "manifest.csv"
_CSV_COLUMNS = (
    "file",
    "sha256",
    "document",
    "version",
    "provider",
    "school",
    "upn",
    "signature_status",
    "added_at",
    "added_by",
    "retain_until",
    "original_name",
)


def file_name(entry: Entry) -> str:
    """``sla_riverside-farm-learning-cic_1a2b3c4d5e6f.pdf``: readable, unique by hash."""
    party = entry.parties.get("provider") or entry.parties.get("school") or entry.parties.get("upn") or ""
    return "_".join(p for p in (entry.document or "document", _slug(party), entry.short_id) if p) + ".pdf"


def _slug(text: str) -> str:
    """Letters and digits of any script, lower case, joined by hyphens (safe in every zip tool)."""
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"[^\w]+", "-", text).strip("-_")[:40]


def write_bundle(
    out: str | os.PathLike[str],
    entries: Sequence[Entry],
    read: Callable[[Entry], bytes],
    manifest: Mapping[str, Any],
    describe: Callable[[Entry], dict[str, Any]],
    mode: int = 0o600,
) -> Path:
    """Write the zip atomically (``mode``, owner-only by default): ``files/*.pdf``,
    ``manifest.json`` and ``manifest.csv``.

    ``read`` returns an entry's verified bytes (it raises if they are missing or altered, and
    then no bundle is written at all).
    """
    rows = []
    with files.atomic_writer(out) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        if hasattr(os, "fchmod"):
            os.fchmod(fh.fileno(), mode)
        for entry in entries:
            name = f"files/{file_name(entry)}"
            zf.writestr(name, read(entry))
            rows.append({"file": name, **describe(entry)})
        zf.writestr(MANIFEST_JSON, safe.json_text({**manifest, "entries": rows}))
        zf.writestr(MANIFEST_CSV, _csv(rows))
    return Path(out)


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, _CSV_COLUMNS, extrasaction="ignore", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:  # a provider named "=HYPERLINK(…)" is text in a spreadsheet, never a formula
        cells = {**row, **{k: row.get("parties", {}).get(k, "") for k in ("provider", "school", "upn")}}
        writer.writerow(safe.csv_row({k: cells.get(k, "") for k in _CSV_COLUMNS}))
    return buf.getvalue()
