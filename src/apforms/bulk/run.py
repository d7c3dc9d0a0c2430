"""Writing a bulk SLA run: documents in parallel, atomically, deterministically; a manifest.

Every file is rendered in memory and renamed into place whole, so the output folder never
holds a half-written document. A file whose bytes would not change is left alone, so a
rerun on the same input rewrites nothing and reports every pair "unchanged". Every path is
checked before anything is written: one that holds a device, a FIFO, a folder or a link
stops the run. An SLA that an earlier run's manifest lists and this run does not make (its
pair is gone from the inputs, or was named otherwise) is removed if unchanged, and the
removal reported, so that the manifest lists every SLA in the folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apforms import files
from apforms.bulk.inputs import RowProblem
from apforms.bulk.sla import Pair, Plan
from apforms.errors import BulkInputError
from apforms.formats import FORMATS as FORMAT_REGISTRY
from apforms.formats import get_format
from apforms.model.config import FormBrand
from apforms.model.definitions import load_definition
from apforms.safe import csv_row, json_text

WRITTEN, UNCHANGED, WITHHELD, FAILED = "written", "unchanged", "withheld", "failed"
#: Every output format bulk can write (the formats registry): a file per pair and format.
FORMATS = tuple(FORMAT_REGISTRY)


@dataclass
class PairResult:
    """What became of one pair: its files (format → name, SHA-256) and status."""

    pair: Pair
    status: str
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    error: str = ""
    #: Files of this pair left by an earlier run and removed (withheld now, or a format dropped).
    removed: list[str] = field(default_factory=list)


@dataclass
class BulkResult:
    out_dir: Path
    results: list[PairResult]
    problems: list[RowProblem]
    warnings: list[RowProblem]
    manifest: list[Path] = field(default_factory=list)
    #: SLAs an earlier run's manifest lists that this run does not make: removed, unchanged …
    stale_removed: list[str] = field(default_factory=list)
    #: … or left, changed since (edited by hand?): named in the manifest's warnings.
    stale_kept: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """False when a row was skipped, an SLA withheld or a document failed."""
        return not self.problems and all(r.status in (WRITTEN, UNCHANGED) for r in self.results)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def run_slas(
    plan: Plan,
    out_dir: str | os.PathLike[str],
    formats: tuple[str, ...] = ("docx", "pdf"),
    jobs: int | None = None,
    allow_unregistered: bool = False,
    progress: Callable[[int], None] | None = None,
    brand: FormBrand | None = None,
    mode: int = files.PRIVATE,
) -> BulkResult:
    """Render every pair of the plan into ``out_dir`` and write the manifest; ``brand``: the
    council's name, logo and contact on every SLA; ``mode``: the files' mode (0600: private)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BulkInputError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None
    _check_targets(out, plan)
    earlier = _earlier_files(out)
    _remove_stale_parts(out)
    todo, results = [], []
    for pair in plan.pairs:
        if pair.problems:
            results.append(PairResult(pair, FAILED, error="; ".join(pair.problems)))
        elif pair.flag and not allow_unregistered:
            results.append(PairResult(pair, WITHHELD, error=pair.flag.summary()))
        else:
            todo.append(pair)
    # An SLA from an earlier run must not wait, ready to sign, beside a report that withholds
    # it; nor a format this run no longer makes. Removals are reported.
    for r in results:
        r.removed = _remove_outputs(out, r.pair.stem, FORMATS)
    dropped = tuple(f for f in FORMATS if f not in formats)
    removed = {pair.stem: _remove_outputs(out, pair.stem, dropped) for pair in todo}
    jobs = max(1, jobs or os.cpu_count() or 1)
    tasks = [(str(out), p.stem, p.data, formats, mode) for p in todo]
    if jobs == 1 or len(tasks) < 2:
        _use_brand(brand)
        outcomes = map(_render_pair, tasks)
        results += _collect(todo, outcomes, progress)
    else:
        chunk = max(1, len(tasks) // (jobs * 8))
        # the brand (a logo of up to 2 MB) goes to each worker once, not with every pair
        with ProcessPoolExecutor(max_workers=jobs, initializer=_use_brand, initargs=(brand,)) as pool:
            results += _collect(todo, pool.map(_render_pair, tasks, chunksize=chunk), progress)
    for r in results:
        r.removed = r.removed or removed.get(r.pair.stem, [])
    results.sort(key=lambda r: r.pair.stem)
    result = BulkResult(out, results, plan.problems, plan.warnings)
    made = {name for r in results for name, _ in r.files.values()}
    result.stale_removed, result.stale_kept = _remove_earlier(out, earlier, made)
    result.manifest = _write_manifest(out, result, plan, mode)
    return result


def _check_targets(out: Path, plan: Plan) -> None:
    """Every path the run may write or remove holds a regular file or nothing, checked before
    anything is written (a FIFO would also hang the comparison with what is there)."""
    names = ["manifest.json", "manifest.csv"]
    names += [f"{p.stem}{get_format(f).extension}" for p in plan.pairs for f in FORMATS]
    for name in names:
        files.check_target(out / name)


#: The largest earlier manifest read (one of 100,000 pairs is some 60 MB; an apforms before
#: duplicates were bounded could write gigabytes, listing no more SLAs).
_EARLIER_MAX = 256 * 1024 * 1024


def _earlier_files(out: Path) -> dict[str, str]:
    """The SLAs an earlier run's ``manifest.json`` lists (file name → SHA-256); names that are
    not plain file names of a format bulk writes are not taken from it."""
    path = out / "manifest.json"
    try:
        if path.stat().st_size > _EARLIER_MAX:
            return {}
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    listed: dict[str, str] = {}
    pairs = doc.get("pairs") if isinstance(doc, dict) else None
    for row in pairs if isinstance(pairs, list) else []:
        for fmt in FORMATS if isinstance(row, dict) else ():
            name, digest = row.get(fmt), row.get(f"{fmt}_sha256")
            if isinstance(name, str) and isinstance(digest, str) and _plain_name(name, fmt):
                listed[name] = digest
    return listed


def _plain_name(name: str, fmt: str) -> bool:
    ext = get_format(fmt).extension
    return Path(name).name == name and "__" in name and not name.startswith(".") and name.endswith(ext)


def _remove_earlier(out: Path, earlier: dict[str, str], made: set[str]) -> tuple[list[str], list[str]]:
    """Remove the earlier run's SLAs this run did not make, if unchanged since; (removed, kept)."""
    removed, kept = [], []
    for name, digest in sorted(earlier.items()):
        path = out / name
        if name in made or not path.is_file() or path.is_symlink():
            continue
        if _digest(path) == digest:
            path.unlink()
            removed.append(name)
        else:
            kept.append(name)
    return removed, kept


def _collect(todo: list[Pair], outcomes: Any, progress: Callable[[int], None] | None) -> list[PairResult]:
    out = []
    for pair, (status, written, error) in zip(todo, outcomes, strict=True):
        out.append(PairResult(pair, status, written, error))
        if progress:
            progress(1)
    return out


_BRAND: FormBrand | None = None  # the council's name, logo and contact, in this process


def _use_brand(brand: FormBrand | None) -> None:
    global _BRAND
    _BRAND = brand


def _render_pair(
    task: tuple[str, str, dict[str, Any], tuple[str, ...], int],
) -> tuple[str, dict[str, Any], str]:
    """Render one pair's documents (in a worker process); write only what changed."""
    from apforms.errors import ApformsError
    from apforms.formats import render_bytes

    out_dir, stem, data, formats, mode = task
    definition = load_definition("sla")
    written: dict[str, tuple[str, str]] = {}
    changed = False
    try:
        for fmt in formats:
            content = render_bytes(definition, data, fmt, brand=_BRAND)
            digest = hashlib.sha256(content).hexdigest()
            path = Path(out_dir) / f"{stem}{get_format(fmt).extension}"
            if not _same_file(path, digest, mode):
                files.write_bytes(path, content, mode)
                changed = True
            written[fmt] = (path.name, digest)
    except ApformsError as exc:
        return FAILED, written, str(exc)
    return (WRITTEN if changed else UNCHANGED), written, ""


def _same_file(path: Path, digest: str, mode: int) -> bool:
    """Whether ``path`` is a regular file with these bytes and this mode (else it is written)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == mode and _digest(path) == digest


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _remove_outputs(out: Path, stem: str, formats: tuple[str, ...]) -> list[str]:
    removed = []
    for fmt in formats:
        path = out / f"{stem}{get_format(fmt).extension}"
        if path.is_file():
            path.unlink()
            removed.append(path.name)
    return removed


def _remove_stale_parts(out: Path) -> None:
    """Temporary files left by a run that was killed (see files.atomic_writer)."""
    for stale in out.glob(".*.part"):
        if stale.is_file() and not stale.is_symlink():
            stale.unlink(missing_ok=True)


MANIFEST_COLUMNS = [
    "school", "provider", "status", "pupils", "hours_per_week", "total_cost",
    "docx", "docx_sha256", "pdf", "pdf_sha256", "flags",
]  # fmt: skip


def _manifest_rows(result: BulkResult) -> list[dict[str, Any]]:
    rows = []
    for r in result.results:
        prov = r.pair.data.get("provision", {})
        row: dict[str, Any] = {
            "school": r.pair.names[0],
            "provider": r.pair.names[1],
            # The manifest describes the folder, not the run: written or unchanged, it is there.
            "status": "produced" if r.status in (WRITTEN, UNCHANGED) else r.status,
            "pupils": prov.get("pupils", len(r.pair.placements)),
            "hours_per_week": prov.get("hours_per_week", ""),
            "total_cost": prov.get("total_cost", ""),
            "flags": r.pair.flag.reasons if r.pair.flag else [],
        }
        for fmt in FORMATS:
            name, digest = r.files.get(fmt, ("", ""))
            row[fmt], row[f"{fmt}_sha256"] = name, digest
        if r.error:
            row["error"] = r.error
        if r.removed:
            row["removed"] = r.removed
        rows.append(row)
    return rows


def _write_manifest(out: Path, result: BulkResult, plan: Plan, mode: int) -> list[Path]:
    rows = _manifest_rows(result)
    doc = {
        "document": "sla",
        "version": load_definition("sla").version,
        "pairs": rows,
        "registration_flags": {
            name: {
                "full_time_pupils": f.full_time_pupils,
                "looked_after": f.looked_after,
                "ehcp": f.ehcp,
                "sen": f.sen,
                "reasons": f.reasons,
            }
            for name, f in sorted(plan.flags.items())
        },
        "skipped_rows": [vars(p) for p in result.problems],
        "warnings": [vars(w) for w in result.warnings] + [_kept(name) for name in result.stale_kept],
        "removed_from_earlier_run": result.stale_removed,
    }
    # Every cell quoted, and text a spreadsheet would run as a formula (a provider named
    # "=HYPERLINK(…)") starting with ' (OWASP, CSV injection).
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_row({**row, "flags": "; ".join(row["flags"])}))
    return [
        files.write_text(out / "manifest.json", json_text(doc) + "\n", mode),
        files.write_text(out / "manifest.csv", buf.getvalue(), mode),
    ]


def _kept(name: str) -> dict[str, Any]:
    message = "an earlier run's SLA, not made by this run, changed since it was written: not removed"
    return {"file": name, "row": 0, "column": "", "message": message}
