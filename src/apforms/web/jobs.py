"""Bulk SLA runs in the background: a folder each, a thread each.

A run's folder (``<data>/bulk/<id>``, private) holds ``job.json`` (who started it, the
spreadsheets as uploaded and the options), ``inputs/``, ``mapped/`` (spreadsheets rewritten
with the expected headers), ``out/`` (the SLAs and the manifest) and, once it has ended,
``result.json``, so that a result outlives a restart of the server. Progress while it runs
is kept in memory. One run at a time: the machine's cores are the web app's too. Runs are
deleted after :data:`KEEP_HOURS` (their inputs name pupils). Nothing from a spreadsheet is
logged.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apforms import api
from apforms.errors import ApformsError
from apforms.safe import json_text

log = logging.getLogger("apforms.web")

#: The three spreadsheets: kind, what the pages call it, what it holds.
KINDS = (
    ("placements", "Placements", "One row per pupil at a provider"),
    ("providers", "Providers", "One row per provider"),
    ("schools", "Schools", "One row per school"),
)
LABELS = {kind: label for kind, label, _ in KINDS}

WAITING, RUNNING, DONE, FAILED, INTERRUPTED = "waiting", "running", "done", "failed", "interrupted"
#: A run's folder is deleted this long after it was started.
KEEP_HOURS = 24
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SLOTS = threading.BoundedSemaphore(1)
_LOCK = threading.Lock()


@dataclass
class Progress:
    """How far a run is: waiting for another to end, or ``done`` of ``total`` SLAs written."""

    state: str = WAITING
    total: int | None = None
    done: int = 0


_RUNS: dict[str, Progress] = {}


def data() -> Path:
    """The web app's data folder (the runs are in its ``bulk`` folder)."""
    from django.conf import settings

    return Path(settings.APFORMS_DATA)


def _write_json(path: Path, value: Any) -> None:
    """Written whole or not at all, readable by the server's user alone."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json_text(value, indent=None))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Job:
    """One bulk run and its folder."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def owner(self) -> int | None:
        owner = self.meta.get("owner")
        return owner if isinstance(owner, int) else None

    @property
    def out(self) -> Path:
        return self.folder / "out"

    @classmethod
    def create(cls, data: Path, owner: int, options: Mapping[str, Any]) -> Job:
        sweep(data)
        folder = data / "bulk" / str(uuid.uuid4())
        folder.mkdir(parents=True, mode=0o700)
        for sub in ("inputs", "mapped"):
            (folder / sub).mkdir(mode=0o700)
        job = cls(folder, {"owner": owner, "created": time.time(), "options": dict(options), "inputs": {}})
        job.save()
        return job

    @classmethod
    def load(cls, data: Path, job_id: str) -> Job | None:
        if not _ID.match(job_id):
            return None
        folder = data / "bulk" / job_id
        try:
            meta = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(folder, meta) if isinstance(meta, dict) else None

    def save(self) -> None:
        _write_json(self.folder / "job.json", self.meta)

    def delete(self) -> None:
        with _LOCK:
            if self.id in _RUNS:
                return  # a run still writing keeps its folder; the sweep takes it later
        shutil.rmtree(self.folder, ignore_errors=True)

    # ---------------------------------------------------------------- state

    def progress(self) -> Progress | None:
        """How far it is while it runs; None once it has ended or before it started."""
        with _LOCK:
            p = _RUNS.get(self.id)
            return Progress(p.state, p.total, p.done) if p else None

    def outcome(self) -> dict[str, Any] | None:
        """What ``result.json`` says (state, message, summary); INTERRUPTED for a run that was
        started and neither runs nor ended (the server stopped meanwhile)."""
        try:
            outcome = json.loads((self.folder / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            outcome = None
        if isinstance(outcome, dict):
            return outcome
        if self.meta.get("started") and self.progress() is None:
            return {"state": INTERRUPTED}
        return None

    # ---------------------------------------------------------------- running

    def begin(self) -> None:
        """Start the run on the uploads, or on their rewrites where the headers were mapped."""
        inputs, names = {}, {}
        for kind, info in self.meta["inputs"].items():
            if info.get("mapped"):
                path = self.folder / "mapped" / f"{kind}.csv"
            else:
                path = self.folder / "inputs" / info["file"]
            inputs[kind] = path
            names[str(path)] = names[path.name] = info["name"]
        self.start(inputs, names)

    def start(self, inputs: Mapping[str, Path], names: Mapping[str, str]) -> None:
        """Run ``api.bulk_sla`` on ``inputs`` (kind → file) in a thread; ``names``: the files'
        names as bulk reports them → the names they were uploaded with."""
        with _LOCK:
            _RUNS[self.id] = Progress()
        self.meta["started"] = time.time()
        self.save()
        thread = threading.Thread(
            target=self._run, args=(dict(inputs), dict(names)), name=f"bulk-{self.id[:8]}", daemon=True
        )
        thread.start()

    def _run(self, inputs: dict[str, Path], names: dict[str, str]) -> None:
        options = self.meta.get("options", {})
        with _SLOTS:
            self._update(state=RUNNING)
            try:
                result = api.bulk_sla(
                    inputs["placements"], inputs["providers"], inputs["schools"], self.out,
                    formats=options.get("formats") or ("docx", "pdf"), jobs=1,
                    allow_unregistered=bool(options.get("allow_unregistered")),
                    progress=self._step, on_total=lambda n: self._update(total=n),
                )  # fmt: skip
            except ApformsError as exc:
                outcome: dict[str, Any] = {"state": FAILED, "message": _named(api.one_line(str(exc)), names)}
            except Exception as exc:  # never a traceback on a page, never a value in the log
                log.error("bulk run %s stopped: %s", self.id, type(exc).__name__)
                outcome = {"state": FAILED, "message": "The run stopped with an internal error. Try again."}
            else:
                outcome = {"state": DONE, "summary": summary(result, names)}
            try:
                _write_json(self.folder / "result.json", outcome)
            finally:
                with _LOCK:
                    _RUNS.pop(self.id, None)

    def _update(self, **changes: Any) -> None:
        with _LOCK:
            p = _RUNS[self.id]
            for key, value in changes.items():
                setattr(p, key, value)

    def _step(self, n: int) -> None:
        with _LOCK:
            _RUNS[self.id].done += n

    # ---------------------------------------------------------------- the ZIP

    def zip_path(self) -> Path:
        """The output folder (SLAs and manifest) as one ZIP, made once."""
        target = self.folder / "slas.zip"
        if target.is_file():
            return target
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".slas.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(self.out.iterdir()):
                    if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                        zf.write(path, path.name)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


def _named(text: str, names: Mapping[str, str]) -> str:
    """A message naming a stored file, with the name it was uploaded with instead."""
    for stored in sorted(names, key=len, reverse=True):  # a whole path before its file's name
        text = text.replace(stored, names[stored])
    return text


def summary(result: api.BulkResult, names: Mapping[str, str]) -> dict[str, Any]:
    """What a run made, for its result page: every pair, every bad row, every warning."""

    def row(p: Any) -> dict[str, Any]:
        return {"file": names.get(p.file, p.file), "row": p.row, "column": p.column, "message": p.message}

    pairs = [
        {
            "school": r.pair.names[0],
            "provider": r.pair.names[1],
            "status": r.status,
            "reason": r.error,
            "flag": r.pair.flag.summary() if r.pair.flag and r.status != api.BULK_WITHHELD else "",
            "files": sorted(name for name, _ in r.files.values()),
        }
        for r in result.results
    ]
    counts = {s: result.count(s) for s in (api.BULK_WRITTEN, api.BULK_UNCHANGED, api.BULK_WITHHELD)}
    return {
        "pairs": pairs,
        "problems": [row(p) for p in result.problems],
        "warnings": [row(w) for w in result.warnings],
        "counts": {**counts, "failed": result.count(api.BULK_FAILED), "bad_rows": len(result.problems)},
    }


def runs_of(data: Path, owner: int, limit: int = 10) -> list[Job]:
    """The runs ``owner`` started (newest first) that are still kept."""
    folder = data / "bulk"
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        job = Job.load(data, path.name)
        if job is not None and job.owner == owner:
            found.append(job)
    found.sort(key=lambda j: float(j.meta.get("created") or 0), reverse=True)
    return found[:limit]


def sweep(data: Path, now: float | None = None) -> None:
    """Delete the runs started more than :data:`KEEP_HOURS` ago (never one still running)."""
    folder = data / "bulk"
    limit = (now or time.time()) - KEEP_HOURS * 3600
    for path in folder.iterdir() if folder.is_dir() else ():
        job = Job.load(data, path.name)
        if job is None:
            continue
        if float(job.meta.get("created") or 0) < limit:
            job.delete()


def write_upload(path: Path, chunks: Sequence[bytes] | Any) -> None:
    """An uploaded file's chunks written to a new private file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
