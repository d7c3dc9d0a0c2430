"""Archive benchmark: add signed PDFs, verify many entries; ms per document and peak PSS.

    python benchmarks/archive.py                 # 1,000 adds, 10,000 entries verified
    python benchmarks/archive.py --adds 100 --entries 1000 --json
    python benchmarks/archive.py --scale 100000  # a council's archive: SQLite and PostgreSQL

1. Sign the example SLA (provider's block, a throwaway key) ``--adds`` times and add each
   copy with ``Archive.add``: identification, ingest, signature validation (pyHanko) and the
   crash-safe write, as ``apforms archive add`` does. The adds are two processes of half each:
   the first with an empty ``APFORMS_CACHE_DIR`` (cold), the second with the cache it filled
   (warm); the first add of each, in a fresh process, is shown apart from the rest.
2. Fill the archive up to ``--entries`` with distinct ~100 KB PDFs through the storage
   interface (what an add stores, without re-reading each form: the file, the row, the audit
   event binding it and the checkpoint), then ``verify`` (the catalogue against its chain and
   checkpoint, and every file re-hashed), the catalogue check alone, and ``verify
   --signatures`` on the signed copies (the cache warm).

Each step is a child process: ms per document are the step's own timer (wall and CPU; Python's
start and the benchmark's imports left out, what a step loads on first use counted, an add's
first shown apart); memory is the peak PSS of the child's process tree (_measure.py). Goal:
hash verification at most 2 ms per 100 KB document. The files are freshly written, so the
page cache is warm: this measures the archive, not the disk.

A step counts only when it did its work, checked after it (never inside its timer): every add
ADDED (a copy already stored is not an add) and fully signed; the catalogue then holds exactly
the files asked, by their hashes; a sample of stored files reads back byte for byte; ``verify``
clean with every entry's file re-hashed; the catalogue check clean over every entry; ``verify
--signatures`` re-checking every signature. Anything less stops the run: ``CHECK FAILED``, exit 2.

``--scale N`` is the archive of a council's team, on each catalogue in turn in one run:
SQLite, then PostgreSQL (a throwaway server from the system's binaries, ``tests/pg_support.py``,
started with PostgreSQL's own durable settings, not the tests' fsync off). N entries are stored
through the archive's store (each its own file, fsynced, its row, its audit event and the
checkpoint: what ``add`` does after reading the form; a ~4 KB SLA record in each row; 60
schools, 40 providers, a UPN each), with the add rate of the first and the last thousand; then
searches by UPN (exactly one entry, the right one) and by school (the N/60 entries of that
school, counted from the inputs), the median of 20 each (goal: under 100 ms); and ``verify``
(the chain and every file re-hashed), per entry. Entries are ~1 KB files here: the hash's cost
per 100 KB is the first mode's figure. Each catalogue's run is a child process; its peak PSS is
apforms' side only (PostgreSQL's server is not the child's descendant). Checked after each:
N stored, N in the catalogue, a sample read back, each search's count, verify clean over N files.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from _measure import load_line, require, run

from apforms import api
from apforms.archive import ADDED, Archive, SQLiteStore, chain, open_archive
from apforms.archive.store import AuditEvent, Entry, Filters, sha256
from apforms.model import records
from apforms.model.definitions import load_definition

SAMPLE = 5  # stored files read back and compared after each run


def unsigned_sla() -> bytes:
    definition = load_definition("sla")
    data = api.example("sla")["data"]
    data["signatures"]["provider"] = {}
    return api.render_bytes(definition, records.canonical(definition, data), "pdf")


def signed_paths(folder: Path, adds: int) -> list[Path]:
    return [folder / "inbox" / f"sla-{i:04d}.pdf" for i in range(adds)]


def filler_bytes(signed: list[Path], i: int) -> bytes:
    """The ``i``-th entry stored through the interface: a signed copy made distinct, ~same size."""
    return signed[i % len(signed)].read_bytes() + f"%bench filler {i}\n".encode()


def halves(adds: int) -> dict[str, range]:
    """The adds of the cold process (empty cache) and of the warm one (the cache it filled)."""
    half = max(1, adds // 2)
    return {"cold": range(half), "warm": range(half, adds)}


def _archive(folder: Path, name: str = "store") -> Archive:
    cert = (folder / "demo-cert.pem").read_bytes()
    return Archive(SQLiteStore(folder / name), trust_roots=[cert], user="bench")


# --------------------------------------------------------------------------- the steps (children)


def step(name: str, folder: Path, adds: int, entries: int) -> dict[str, Any]:
    """One step, timed by itself; what it did, for the parent's checks."""
    out: dict[str, Any] = {}
    clock = [0.0, 0.0]

    def start() -> None:
        clock[:] = [time.perf_counter(), time.process_time()]

    def stop(n: int) -> None:
        out.update(n=n, seconds=time.perf_counter() - clock[0], cpu=time.process_time() - clock[1])

    signed = signed_paths(folder, adds)
    if name == "sign":
        from apforms._demo import demo_certificate
        from apforms.archive.signatures import sign_pdf

        key, cert = demo_certificate(folder)
        pdf = unsigned_sla()
        (folder / "inbox").mkdir()
        start()
        for path in signed:
            path.write_bytes(sign_pdf(pdf, key, cert, "signatures.provider"))
        stop(adds)
        out["document_kb"] = len(pdf) / 1024
    elif name in ("cold", "warm"):
        archive = _archive(folder)
        results = []
        part = [signed[i] for i in halves(adds)[name]]
        start()
        for k, path in enumerate(part):  # from files, one at a time, as `apforms archive add` does
            results.append(archive.add(path))
            if k == 0:
                out["first_ms"] = (time.perf_counter() - clock[0]) * 1000
                start()  # the rest, timed apart from the first
        stop(len(part) - 1)
        out["outcomes"] = Counter(r.outcome for r in results)
        out["status"] = Counter(r.entry.signature_status if r.entry else str(r.reason) for r in results)
    elif name == "fill":
        archive = _archive(folder)
        template = archive.entries()[0]
        added = 0
        start()
        for i in range(entries - adds):
            data = filler_bytes(signed, i)
            entry = replace(template, id=sha256(data), size=len(data), filename=f"filler-{i}.pdf")
            added += archive.store.add(entry, data, AuditEvent(entry.added_at, "bench", "add", entry.id))
        stop(entries - adds)
        out["added"] = added
    elif name == "verify":
        archive = _archive(folder)
        start()
        report = archive.verify()
        stop(entries)
        out["report"] = report.as_dict()
    elif name == "catalogue":
        archive = _archive(folder)
        rows = [0]

        def counted(it: Any) -> Any:
            for row in it:
                rows[0] += 1
                yield row

        start()
        with archive.store.snapshot() as catalogue:
            found = chain.check(catalogue.events, counted(catalogue.entries), catalogue.checkpoint)
        stop(entries)
        out["problems"] = [p.message for p in found.problems]
        out["rows"] = rows[0]
    elif name == "signatures":
        small, template = _archive(folder, "signed-only"), _archive(folder).entries()[0]
        out["added"] = sum(
            small.store.add(replace(template, id=sha256(d), size=len(d)), d, AuditEvent("", "bench", "add"))
            for d in (p.read_bytes() for p in signed)
        )
        start()
        report = small.verify(check_signatures=True)
        stop(adds)
        out["report"] = report.as_dict()
    return out


# --------------------------------------------------------------------------- checks (parent)


def same(what: str, have: Any, want: Any) -> None:
    """Stop the run unless a step did exactly what it was asked."""
    require(have == want, f"{what}: {have}, not {want}")


def check_step(name: str, got: dict[str, Any], folder: Path, adds: int, entries: int) -> None:
    """What the step reports against what it was asked, and the archive it left."""
    signed = signed_paths(folder, adds)
    if name == "sign":
        copies = {sha256(p.read_bytes()) for p in signed if p.is_file()}
        same("sign: distinct signed copies", len(copies), adds)
    elif name in ("cold", "warm"):
        part = halves(adds)[name]
        same(f"add ({name}): outcomes", dict(got["outcomes"]), {ADDED: len(part)})
        same(f"add ({name}): signatures", dict(got["status"]), {"fully_signed": len(part)})
        want = {sha256(signed[i].read_bytes()) for i in range(part.stop)}
        stored = stored_ids(folder)
        same(f"add ({name}): files in the catalogue", len(stored), len(want))
        same(f"add ({name}): added files not in the catalogue", len(want - stored), 0)
    elif name == "fill":
        same("fill: stored", got["added"], entries - adds)
        same("fill: entries in the catalogue", len(stored_ids(folder)), entries)
        with _archive(folder) as archive:
            for i in range(0, entries, max(1, entries // SAMPLE)):
                data = signed[i].read_bytes() if i < adds else filler_bytes(signed, i - adds)
                require(archive.store.read_file(sha256(data)) == data, f"fill: entry {i} does not read back")
    elif name in ("verify", "signatures"):
        r, n = got["report"], adds if name == "signatures" else entries
        require(r["ok"], f"{name}: not clean: {json.dumps(r)[:300]}")
        same(f"{name}: files re-hashed", r["checked"], n)
        if name == "signatures":
            same("signatures: copies stored", got["added"], adds)
            same("signatures: signatures checked", r["signatures_checked"], adds)
    elif name == "catalogue":
        same("catalogue: problems", got["problems"][:3], [])
        same("catalogue: entries checked", got["rows"], entries)


def stored_ids(folder: Path, url: str | None = None) -> set[str]:
    """The ids of every stored entry in the catalogue (a duplicate id would be a short count)."""
    with open_archive(folder / "store", database_url=url or "", user="bench") as archive:
        ids = [i for i, _ in archive.store.stored_ids()]
    require(len(ids) == len(set(ids)), f"the catalogue lists {len(ids) - len(set(ids))} ids twice")
    return set(ids)


STEPS = {
    "sign": "sign (pyHanko, not part of add)",
    "cold": "add signed PDF, cold cache",
    "warm": "add signed PDF, warm cache",
    "fill": "store through the interface (fill)",
    "verify": "verify (catalogue and re-hash)",
    "catalogue": "verify: the catalogue alone",
    "signatures": "verify --signatures",
}


def run_steps(adds: int, entries: int, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    kb = 0.0
    cache = folder / "cache"
    env = {**os.environ, "APFORMS_CACHE_DIR": str(cache)}
    for name, label in STEPS.items():
        if name == "cold":
            shutil.rmtree(cache, ignore_errors=True)  # signing filled it
        if name == "warm" and not halves(adds)["warm"]:
            continue
        argv = [sys.executable, __file__, "--adds", str(adds), "--entries", str(entries)]
        r = run([*argv, "--child", name, str(folder)], env)
        require(r.returncode == 0, f"{name} failed: {r.stderr.strip()[-300:]}")
        got = json.loads(r.stdout.strip().splitlines()[-1])
        check_step(name, got, folder, adds, entries)
        n = got["n"]
        results[label] = {
            "n": n + (1 if "first_ms" in got else 0),
            "seconds": round(got["seconds"], 2),
            "ms_per_doc": round(got["seconds"] * 1000 / max(n, 1), 3),
            "cpu_ms_per_doc": round(got["cpu"] * 1000 / max(n, 1), 3),
            "peak_pss_mb": round(r.peak_pss_mb, 1),
        }
        if "first_ms" in got:
            results[label]["first_ms"] = round(got["first_ms"], 1)
        kb = got.get("document_kb", kb)
    results["document_kb"] = round(kb, 1)
    per_100kb = results[STEPS["verify"]]["ms_per_doc"] * 100 / kb
    results["hash verification ms per 100 KB"] = round(per_100kb, 3)
    results["goal met (<= 2 ms per 100 KB)"] = per_100kb <= 2.0
    return results


# --------------------------------------------------------------------------- --scale


# Two digits, so that no school's name is part of another's ("Derwent Academy 1" would also
# find "Derwent Academy 10" and 11: a name filter matches a part of the name).
SCHOOLS = [f"{n} Academy" for n in ("Derwent", "Allestree", "Littleover", "Chaddesden", "Mickleover")]
SCHOOLS = [f"{s} {i:02d}" for i in range(12) for s in SCHOOLS]  # 60
PROVIDERS = [f"Provider {i} Learning CIC" for i in range(40)]
QUERIES = 20


def scale_bytes(i: int) -> bytes:
    return b"%PDF-1.7\n%bench entry " + str(i).encode() + b"\n" + b"0" * 1000 + b"\n%%EOF\n"


def scale_queries(n: int) -> tuple[list[str], list[str]]:
    rng = random.Random(7)
    upns = [f"B{rng.randrange(n):012d}" for _ in range(QUERIES)]
    return upns, [rng.choice(SCHOOLS) for _ in range(QUERIES)]


def scale(n: int, folder: Path, url: str | None) -> dict[str, Any]:
    """N entries in one archive (SQLite when ``url`` is None); the figures, and what was found."""
    out: dict[str, Any] = {}
    record = api.example("sla")["data"]
    archive = open_archive(folder / "store", database_url=url or "", user="bench")
    store = archive.store
    rates: list[float] = []
    stored = 0
    start = chunk = time.perf_counter()
    for i in range(n):
        data = scale_bytes(i)
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
        stored += store.add(entry, data, AuditEvent(entry.added_at, "bench", "add", entry.id))
        if (i + 1) % 1000 == 0:
            now = time.perf_counter()
            rates.append(1000 / (now - chunk))
            chunk = now
    out["entries"] = n
    out["store all (s)"] = round(time.perf_counter() - start, 1)
    out["adds/s, first 1,000"] = round(rates[0], 0) if rates else None
    out["adds/s, last 1,000"] = round(rates[-1], 0) if rates else None
    upns, schools = scale_queries(n)
    found: dict[str, list[Any]] = {"upn": [], "school": []}

    def median_ms(filters: list[Filters], kind: str) -> float:
        times = []
        for f in filters:
            t = time.perf_counter()
            got = archive.entries(f)
            times.append((time.perf_counter() - t) * 1000)
            found[kind].append([e.parties.get("upn") for e in got] if kind == "upn" else len(got))
        return round(statistics.median(times), 1)

    out["search by UPN (ms)"] = median_ms([Filters(upn=u) for u in upns], "upn")
    out["search by school (ms)"] = median_ms([Filters(school=s) for s in schools], "school")
    out["search by school: entries found"] = round(statistics.median(found["school"]))
    t = time.perf_counter()
    report = archive.verify()
    seconds = time.perf_counter() - t
    out["verify (s)"] = round(seconds, 1)
    out["verify per entry (ms)"] = round(seconds * 1000 / n, 3)
    archive.close()
    return {"figures": out, "stored": stored, "found": found, "report": report.as_dict()}


def check_scale(n: int, got: dict[str, Any], folder: Path, url: str | None, backend: str) -> None:
    upns, schools = scale_queries(n)
    same(f"{backend}: entries stored", got["stored"], n)
    same(f"{backend}: entries in the catalogue", len(stored_ids(folder, url)), n)
    with open_archive(folder / "store", database_url=url or "", user="bench") as archive:
        for i in range(0, n, max(1, n // SAMPLE)):
            data = scale_bytes(i)
            require(archive.store.read_file(sha256(data)) == data, f"{backend}: entry {i} does not read back")
    for upn, have in zip(upns, got["found"]["upn"], strict=True):
        same(f"{backend}: search by UPN {upn}", have, [upn])
    for school, have in zip(schools, got["found"]["school"], strict=True):
        want = sum(1 for i in range(n) if school.casefold() in SCHOOLS[i % len(SCHOOLS)].casefold())
        same(f"{backend}: entries found by school {school!r}", have, want)
    require(got["report"]["ok"], f"{backend}: verify not clean: {json.dumps(got['report'])[:300]}")
    same(f"{backend}: files re-hashed by verify", got["report"]["checked"], n)


def run_scale(n: int, backends: list[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import pg_support

    print(f"archive at scale: {n} entries on each catalogue; {load_line()}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        print(f"=== {backend}: {n} entries (one child process)", file=sys.stderr, flush=True)
        with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
            url = None
            if backend == "postgresql":
                if pg_support.binaries() is None:
                    sys.exit("PostgreSQL's server programs are not installed (Debian: postgresql)")
                os.chmod(tmp, 0o755)
                (Path(tmp) / "pg").mkdir()
                url = pg_support.fresh_database(pg_support.start(Path(tmp) / "pg", durable=True))
            try:
                env = {**os.environ, "APFORMS_CACHE_DIR": str(Path(tmp) / "cache")}
                argv = [sys.executable, __file__, "--scale", str(n), "--child", "scale", tmp]
                r = run([*argv, *(["--url", url] if url else [])], env)
                require(r.returncode == 0, f"{backend} failed: {r.stderr.strip()[-300:]}")
                got = json.loads(r.stdout.strip().splitlines()[-1])
                check_scale(n, got, Path(tmp), url, backend)
                results[backend] = {**got["figures"], "cpu, whole child (s)": round(r.cpu, 1)}
                results[backend]["peak PSS (MB)"] = round(r.peak_pss_mb)
            finally:
                if url:
                    pg_support.stop(Path(tmp) / "pg")
    print(f"{'':<34}" + "".join(f"{b:>12}" for b in results))
    for key in next(iter(results.values())):
        print(f"{key:<34}" + "".join(f"{str(r[key]):>12}" for r in results.values()))
    print(f"checked: {n} stored and in each catalogue, {SAMPLE} read back, each search's count, verify clean")
    print(f"load after: {load_line()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=1000, help="signed PDFs to add (default 1000)")
    parser.add_argument("--entries", type=int, default=10000, help="entries to verify (default 10000)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--scale", type=int, default=0, metavar="N", help="N entries on each catalogue")
    parser.add_argument("--backends", default="sqlite,postgresql", help="for --scale (default both)")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, folder = args.child[0], Path(args.child[1])
        if name == "scale":
            print(json.dumps(scale(args.scale, folder, args.url)))
        else:
            print(json.dumps(step(name, folder, args.adds, args.entries)))
        return
    os.environ["APFORMS_CACHE_DIR"] = "off"  # this process's checks never fill the children's cache
    if args.scale:
        run_scale(args.scale, args.backends.split(","))
        return
    if args.entries < args.adds or args.adds < 1:
        parser.error("--adds must be at least 1 and --entries at least --adds")
    before = load_line()
    if not args.json:
        print(f"archive: {args.adds} signed SLAs added, {args.entries} entries verified;", before, flush=True)
    with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
        results = run_steps(args.adds, args.entries, Path(tmp))
    if args.json:
        print(json.dumps({**results, "load before": before, "load after": load_line()}, indent=2))
        return
    print(f"{'step':<38} {'docs':>6} {'s':>8} {'ms/doc':>9} {'cpu ms/doc':>11} {'first':>9} {'peak PSS':>9}")
    for label, value in results.items():
        if isinstance(value, dict):
            first = f"{value['first_ms']:.0f} ms" if "first_ms" in value else ""
            print(
                f"{label:<38} {value['n']:>6} {value['seconds']:>8.2f} {value['ms_per_doc']:>9.3f} "
                f"{value['cpu_ms_per_doc']:>11.3f} {first:>9} {value['peak_pss_mb']:>6.0f} MB"
            )
        else:
            print(f"{label:<38} {value}")
    print(f"every step checked: {args.adds} added and fully signed, {args.entries} in the catalogue, "
          f"{SAMPLE} read back, verify clean over every file")  # fmt: skip
    print(f"load after: {load_line()}")


if __name__ == "__main__":
    main()
