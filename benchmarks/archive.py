"""Archive benchmark: add signed PDFs, verify many entries; ms per document and peak RSS.

    python benchmarks/archive.py                 # 1,000 adds, 10,000 entries verified
    python benchmarks/archive.py --adds 100 --entries 1000 --json
    python benchmarks/archive.py --scale 100000  # a council's archive: SQLite and PostgreSQL

1. Sign the example SLA (provider's block, a throwaway key) ``--adds`` times and add each
   copy with ``Archive.add_bytes``: identification, ingest, signature validation (pyHanko)
   and the crash-safe write, as ``apforms archive add`` does.
2. Fill the archive up to ``--entries`` with distinct ~100 KB PDFs through the storage
   interface (what an add stores, without re-reading each form: the file, the row, the audit
   event binding it and the checkpoint), then ``verify`` (the catalogue against its chain and
   checkpoint, and every file re-hashed), the catalogue check alone, and ``verify
   --signatures`` on the signed copies.

Goal: hash verification at most 2 ms per 100 KB document. The files are freshly written, so
the page cache is warm: this measures the archive, not the disk.

``--scale N`` is the archive of a council's team, on each catalogue in turn in one run:
SQLite, then PostgreSQL (a throwaway server from the system's binaries, ``tests/pg_support.py``,
started with PostgreSQL's own durable settings, not the tests' fsync off). N entries are stored
through the archive's store (each its own file, fsynced, its row, its audit event and the
checkpoint: what ``add`` does after reading the form; a ~4 KB SLA record in each row; 60
schools, 40 providers, a UPN each), with the add rate of the first and the last thousand; then
searches by UPN (one entry) and by school (about N/60 entries, as the list shows them), the
median of 20 each (goal: under 100 ms); and ``verify`` (the chain and every file re-hashed),
per entry. Entries are ~1 KB files here: the hash's cost per 100 KB is the first mode's figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from apforms import api
from apforms._demo import demo_certificate
from apforms.archive import Archive, SQLiteStore, chain
from apforms.archive.signatures import sign_pdf
from apforms.archive.store import AuditEvent, sha256
from apforms.model import records
from apforms.model.definitions import load_definition


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def unsigned_sla() -> bytes:
    definition = load_definition("sla")
    data = api.example("sla")["data"]
    data["signatures"]["provider"] = {}
    return api.render_bytes(definition, records.canonical(definition, data), "pdf")


def timed(label: str, n: int, fn: Any, results: dict[str, Any]) -> Any:
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    results[label] = {
        "n": n,
        "seconds": round(seconds, 2),
        "ms_per_doc": round(seconds * 1000 / max(n, 1), 3),
    }
    results[label]["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def run(adds: int, entries: int, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    key, cert = demo_certificate(folder)
    pdf = unsigned_sla()
    results["document_kb"] = round(len(pdf) / 1024, 1)
    archive = Archive(SQLiteStore(folder / "store"), trust_roots=[cert.read_bytes()], user="bench")

    inbox = folder / "inbox"
    inbox.mkdir()

    def sign_all() -> list[Path]:
        paths = [inbox / f"sla-{i:04d}.pdf" for i in range(adds)]
        for path in paths:
            path.write_bytes(sign_pdf(pdf, key, cert, "signatures.provider"))
        return paths

    signed = timed("sign (pyHanko, not part of add)", adds, sign_all, results)

    def add_all() -> None:
        for path in signed:  # from files, one at a time, as `apforms archive add` does
            result = archive.add(path)
            assert result.entry is not None, result.reason
            assert result.entry.signature_status == "fully_signed", result.entry.signature_status

    timed("add signed PDF", adds, add_all, results)
    template = archive.entries()[0]

    def fill() -> None:
        for i in range(entries - adds):
            data = signed[i % adds].read_bytes() + f"%bench filler {i}\n".encode()  # distinct, ~same size
            entry = replace(template, id=sha256(data), size=len(data), filename=f"filler-{i}.pdf")
            archive.store.add(entry, data, AuditEvent(entry.added_at, "bench", "add", entry.id))

    timed("store through the interface (fill)", max(entries - adds, 0), fill, results)
    report = timed("verify (catalogue and re-hash)", entries, archive.verify, results)
    assert report.ok and report.checked == entries, report.as_dict()

    def check_catalogue() -> chain.Findings:
        with archive.store.snapshot() as catalogue:
            return chain.check(catalogue.events, catalogue.entries, catalogue.checkpoint)

    found = timed("verify: the catalogue alone", entries, check_catalogue, results)
    assert not found.problems, found.problems

    small = Archive(SQLiteStore(folder / "signed-only"), trust_roots=[cert.read_bytes()], user="bench")
    for path in signed:
        data = path.read_bytes()
        small.store.add(
            replace(template, id=sha256(data), size=len(data)), data, AuditEvent("", "bench", "add")
        )
    report = timed("verify --signatures", adds, lambda: small.verify(check_signatures=True), results)
    assert report.ok and report.signatures_checked == adds, report.as_dict()

    per_100kb = results["verify (catalogue and re-hash)"]["ms_per_doc"] * 100 / results["document_kb"]
    results["hash verification ms per 100 KB"] = round(per_100kb, 3)
    results["goal met (<= 2 ms per 100 KB)"] = per_100kb <= 2.0
    results["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return results


SCHOOLS = [f"{n} Academy" for n in ("Derwent", "Allestree", "Littleover", "Chaddesden", "Mickleover")]
SCHOOLS = [f"{s} {i}" for i in range(12) for s in SCHOOLS]  # 60
PROVIDERS = [f"Provider {i} Learning CIC" for i in range(40)]


def scale(n: int, folder: Path, url: str | None) -> dict[str, Any]:
    """N entries in one archive (SQLite when ``url`` is None); the figures."""
    import random
    import statistics

    from apforms.archive import open_archive
    from apforms.archive.store import Entry, Filters

    out: dict[str, Any] = {}
    record = api.example("sla")["data"]
    archive = open_archive(folder / "store", database_url=url or "", user="bench")
    store = archive.store
    rates: list[float] = []
    start = chunk = time.perf_counter()
    for i in range(n):
        data = b"%PDF-1.7\n%bench entry " + str(i).encode() + b"\n" + b"0" * 1000 + b"\n%%EOF\n"
        entry = Entry(
            id=sha256(data),
            size=len(data),
            filename=f"sla-{i:06d}.pdf",
            document="sla",
            version="1",
            detected=True,
            signature_status="fully_signed",
            signatures={},
            record=record,
            refs={"agreement_ref": f"SLA-{i:06d}"},
            parties={
                "school": SCHOOLS[i % len(SCHOOLS)],
                "provider": PROVIDERS[i % len(PROVIDERS)],
                "upn": f"B{i:012d}",
            },
            warnings=(),
            added_at=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00Z",
            added_by="bench",
        )
        assert store.add(entry, data, AuditEvent(entry.added_at, "bench", "add", entry.id))
        if (i + 1) % 1000 == 0:
            now = time.perf_counter()
            rates.append(1000 / (now - chunk))
            chunk = now
        if (i + 1) % 10000 == 0:
            print(f"  {i + 1:>7} stored, {rates[-1]:.0f}/s now", file=sys.stderr, flush=True)
    out["entries"] = n
    out["store all (s)"] = round(time.perf_counter() - start, 1)
    out["adds/s, first 1,000"] = round(rates[0], 0) if rates else None
    out["adds/s, last 1,000"] = round(rates[-1], 0) if rates else None
    rng = random.Random(7)

    def median_ms(filters: list[Filters], expect: int | None) -> float:
        times = []
        for f in filters:
            t = time.perf_counter()
            found = archive.entries(f)
            times.append((time.perf_counter() - t) * 1000)
            assert expect is None or len(found) == expect, (f, len(found))
            assert found, f
        return round(statistics.median(times), 1)

    out["search by UPN (ms)"] = median_ms([Filters(upn=f"B{rng.randrange(n):012d}") for _ in range(20)], 1)
    out["search by school (ms)"] = median_ms([Filters(school=rng.choice(SCHOOLS)) for _ in range(20)], None)
    out["search by school: entries found"] = n // len(SCHOOLS)
    t = time.perf_counter()
    report = archive.verify()
    seconds = time.perf_counter() - t
    assert report.ok and report.checked == n, report.as_dict()
    out["verify (s)"] = round(seconds, 1)
    out["verify per entry (ms)"] = round(seconds * 1000 / n, 3)
    archive.close()
    out["peak RSS (MB)"] = round(peak_rss_mb(), 0)
    return out


def run_scale(n: int, backends: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import pg_support

    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        print(f"=== {backend}: {n} entries", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
            url = None
            if backend == "postgresql":
                if pg_support.binaries() is None:
                    sys.exit("PostgreSQL's server programs are not installed (Debian: postgresql)")
                os.chmod(tmp, 0o755)
                (Path(tmp) / "pg").mkdir()
                url = pg_support.fresh_database(pg_support.start(Path(tmp) / "pg", durable=True))
            try:
                results[backend] = scale(n, Path(tmp), url)
            finally:
                if url:
                    pg_support.stop(Path(tmp) / "pg")
    print(f"{'':<34}" + "".join(f"{b:>12}" for b in results))
    for key in next(iter(results.values())):
        print(f"{key:<34}" + "".join(f"{str(r[key]):>12}" for r in results.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=1000, help="signed PDFs to add (default 1000)")
    parser.add_argument("--entries", type=int, default=10000, help="entries to verify (default 10000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--scale", type=int, default=0, metavar="N", help="N entries on each catalogue")
    parser.add_argument("--backends", default="sqlite,postgresql", help="for --scale (default both)")
    args = parser.parse_args()
    if args.scale:
        run_scale(args.scale, args.backends.split(","))
        return
    if args.entries < args.adds:
        parser.error("--entries must be at least --adds")
    with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
        results = run(args.adds, args.entries, Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for label, value in results.items():
        if isinstance(value, dict):
            print(
                f"{label:<38} {value['n']:>6} docs  {value['seconds']:>8.2f} s  "
                f"{value['ms_per_doc']:>8.3f} ms/doc  peak RSS {value['peak_rss_mb']:.0f} MB"
            )
        else:
            print(f"{label:<38} {value}")


if __name__ == "__main__":
    main()
