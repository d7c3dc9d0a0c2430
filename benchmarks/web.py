"""Web app benchmark: simulated users on the real server (apforms serve); ms per page, peak RSS.

    python benchmarks/web.py                         # 20 users for 20 s, SQLite then PostgreSQL
    python benchmarks/web.py --users 50 --think 1    # 50 users reading each page for ~1 s
    python benchmarks/web.py --users 5 --seconds 10 --backends sqlite

Each backend in turn, in the same run, with the same journeys: the embedded SQLite in the data
folder, and PostgreSQL (``APFORMS_DATABASE_URL``) on a throwaway server started for the run
from the system's binaries (``tests/pg_support.py``: loopback, fsync off, as in the tests), so
the comparison is of the web app on each database, not of two machines. A summary table puts
them side by side at the end.

1. A temporary data folder with the fictional demo loaded (``web.configure`` and
   ``web.load_demo``, in a process of their own, as ``apforms demo`` does).
2. ``apforms serve --data DIR --port PORT`` started as a user starts it (waitress, its
   default 8 threads), waited for until the sign-in page answers.
3. ``--users`` threads, each a browser of its own (its cookie jar, one kept-alive
   connection), sign in once (in turn as the demo's three accounts), then loop over a journey
   until ``--seconds`` are up: the home page, one of the records listed there, one of its edit
   pages, that page posted back as a draft with its own values (the form read with
   html.parser, as a browser would send it), the record's fillable PDF and its Word document.
   No pause between requests: a closed loop, so the times include waiting for a free server
   thread and a free core.

Every response is checked: 200, HTML for pages, a PDF starting ``%PDF-`` and a Word document
``PK``; each user's first PDF is read back with pikepdf and first Word document with zipfile.
At the end every record in the database is compared with what it held before, in value (as
apforms reads it): posting a page back unchanged must change nothing. Any failure is listed
and the exit status is 1.

Goals: p95 page time under 300 ms (the HTML pages together), p95 PDF download under 1 s.
Times are the client's, from sending the request to the last byte of the response.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import io
import json
import math
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
#: The server, started as a user starts it.
SERVE = [sys.executable, "-m", "apforms", "serve"]
PAGE_GOAL_MS = 300.0
PDF_GOAL_MS = 1000.0
TIMEOUT = 60.0  # seconds for any one request
START_TIMEOUT = 60.0  # seconds for the server to answer
MAX_JOURNEYS = 10_000  # per user: the run is bounded in count as well as in time
KINDS = ("home", "record", "edit GET", "edit POST", "PDF", "Word")
SIGN_IN = ("sign-in GET", "sign-in POST")
PAGES = ("home", "record", "edit GET", "edit POST")
RECORD = re.compile(r'href="/records/([0-9a-f-]{36})"')


# --------------------------------------------------------------------------- the browser


class Browser:
    """One user: a cookie jar and one HTTP/1.1 connection, kept alive, redirects not followed."""

    def __init__(self, port: int) -> None:
        self.base = f"http://{HOST}:{port}"
        self.port = port
        self.jar = http.cookiejar.CookieJar()
        self.conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)

    def request(
        self, method: str, path: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, Any, bytes]:
        req = urllib.request.Request(self.base + path, method=method)
        self.jar.add_cookie_header(req)
        headers = dict(req.header_items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode("ascii")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body, headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection
            raise
        self.jar.extract_cookies(resp, req)
        return resp.status, resp, data

    def close(self) -> None:
        self.conn.close()


class FormReader(HTMLParser):
    """What a browser would post for the page's own form (the one posting to its own address):
    its inputs, checked boxes, textareas and selected options, as they stand."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.forms = 0
        self._in = False
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[str], list[str]] | None = None  # name, selected, all options

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and "action" not in a:
            self._in = True
            self.forms += 1
        if not self._in or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self.fields.append((name, a.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = (name, [], [])
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            self._select[2].append(value)
            if "selected" in a:
                self._select[1].append(value)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in = False
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            text = "".join(parts)
            self.fields.append((name, text[1:] if text.startswith("\n") else text))  # as browsers do
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, selected, options = self._select
            if selected or options:
                self.fields.append((name, (selected or options)[0]))
            self._select = None


def form_of(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html)
    reader.close()
    if reader.forms != 1:
        raise AssertionError(f"{reader.forms} forms posting to the page itself, not 1")
    return reader.fields


# --------------------------------------------------------------------------- a user


class Start:
    """The journeys start together once every user has signed in, and run for ``seconds``."""

    def __init__(self, users: int, seconds: float) -> None:
        self.seconds = seconds
        self.begun = self.deadline = 0.0
        self.barrier = threading.Barrier(users, action=self._go, timeout=2 * TIMEOUT)

    def _go(self) -> None:
        self.begun = time.perf_counter()
        self.deadline = self.begun + self.seconds

    def wait(self) -> None:
        self.barrier.wait()


class Database:
    """The server's database, read as it stores it (``%s`` placeholders): its SQLite file, or
    the PostgreSQL database ``url`` names."""

    def __init__(self, data: Path, url: str | None) -> None:
        self.data, self.url = data, url

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return list(conn.execute(sql.encode(), params).fetchall())  # type: ignore[arg-type]
        conn = sqlite3.connect(f"file:{self.data / 'web.sqlite3'}?mode=ro", uri=True, timeout=20)
        try:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()


class Authenticators:
    """The demo LA accounts' authenticator apps. The server takes a code once, and the next
    only for a later time step: users of one account enter codes in turn, each for the step
    after the last the server took (read from its database), as an app shows a new code."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lock = threading.Lock()

    def code(self, email: str, secret: str) -> str:
        """The code to enter now (hold ``lock`` until it is posted)."""
        import base64

        from django_otp.oath import hotp

        [(last_t, drift)] = self.db.rows(
            "SELECT d.last_t, d.drift FROM otp_totp_totpdevice d JOIN auth_user u ON u.id = d.user_id"
            " WHERE u.username = %s AND d.confirmed",
            (email,),
        )
        key = base64.b32decode(secret + "=" * (-len(secret) % 8))
        return f"{hotp(key, max(last_t + 1, int(time.time()) // 30 + drift), 6):06d}"


class User(threading.Thread):
    def __init__(
        self,
        index: int,
        port: int,
        account: tuple[str, dict[str, Any]],
        start: Start,
        authenticators: Authenticators,
    ) -> None:
        super().__init__(name=f"user-{index}", daemon=True)
        self.index = index
        self.browser = Browser(port)
        self.account = account
        self.authenticators = authenticators
        self.start_line = start
        self.times: dict[str, list[float]] = {kind: [] for kind in (*KINDS, *SIGN_IN)}
        self.failures: list[str] = []
        self.samples: dict[str, bytes] = {}
        self.journeys = 0
        self.rng = random.Random(index)
        self.think = 0.0

    def get(self, kind: str, path: str, form: list[tuple[str, str]] | None = None) -> bytes | None:
        """One request, timed and checked; None (and a failure noted) if it went wrong."""
        method = "GET" if form is None else "POST"
        start = time.perf_counter()
        try:
            status, resp, body = self.browser.request(method, path, form)
        except (OSError, http.client.HTTPException) as exc:
            self.failures.append(f"{kind} {method} {path}: {type(exc).__name__}: {exc}")
            return None
        self.times[kind].append((time.perf_counter() - start) * 1000)
        problem = check(kind, status, resp, body)
        if problem:
            self.failures.append(f"{kind} {method} {path}: {problem}")
            return None
        if kind in ("PDF", "Word") and kind not in self.samples:
            self.samples[kind] = body
        if self.think:  # a person reads the page before the next click (0.5 to 1.5 times --think)
            time.sleep(self.think * self.rng.uniform(0.5, 1.5))
        return body

    def sign_in(self) -> bool:
        email, account = self.account
        password = account["password"]
        page = self.get("sign-in GET", "/sign-in")
        if page is None:
            return False
        token = dict(form_of(page.decode("utf-8"))).get("csrfmiddlewaretoken", "")
        form = [("csrfmiddlewaretoken", token), ("email", email), ("password", password), ("next", "/")]
        start = time.perf_counter()
        try:
            status, resp, _ = self.browser.request("POST", "/sign-in", form)
        except (OSError, http.client.HTTPException) as exc:
            self.failures.append(f"sign in POST: {type(exc).__name__}: {exc}")
            return False
        self.times["sign-in POST"].append((time.perf_counter() - start) * 1000)
        if status != 302 or resp.getheader("Location") != "/":
            self.failures.append(f"sign in POST as {email}: {status} to {resp.getheader('Location')}")
            return False
        return account["totp_secret"] is None or self.two_factor(email, account["totp_secret"])

    def two_factor(self, email: str, secret: str) -> bool:
        """LA staff: the code from the authenticator, on its page (not timed: not in the mix)."""
        try:
            status, _, page = self.browser.request("GET", "/two-factor?next=/")
            if status != 200:
                self.failures.append(f"two-factor GET as {email}: {status}")
                return False
            form = [*form_of(page.decode("utf-8"))]
            with self.authenticators.lock:
                form = [(k, v) for k, v in form if k != "code"] + [
                    ("code", self.authenticators.code(email, secret))
                ]
                status, resp, _ = self.browser.request("POST", "/two-factor", form)
        except (OSError, http.client.HTTPException, AssertionError) as exc:
            self.failures.append(f"two-factor as {email}: {type(exc).__name__}: {exc}")
            return False
        if status != 302 or resp.getheader("Location") != "/":
            self.failures.append(f"two-factor POST as {email}: {status} to {resp.getheader('Location')}")
            return False
        return True

    def journey(self) -> None:
        home = self.get("home", "/")
        if home is None:
            return
        ids = RECORD.findall(home.decode("utf-8"))
        if not ids:
            self.failures.append("home: no records listed")
            return
        record = ids[(self.index + self.journeys) % len(ids)]
        shown = self.get("record", f"/records/{record}")
        if shown is None:
            return
        pages = sorted({int(n) for n in re.findall(rf"/records/{record}/page/(\d+)", shown.decode("utf-8"))})
        page = f"/records/{record}/page/{self.rng.choice(pages or [0])}"
        edit = self.get("edit GET", page)
        if edit is None:
            return
        try:
            fields = form_of(edit.decode("utf-8"))
        except AssertionError as exc:
            self.failures.append(f"edit GET {page}: {exc}")
            return
        self.get("edit POST", page, [*fields, ("go", "draft")])
        self.get("PDF", f"/records/{record}/download/pdf")
        self.get("Word", f"/records/{record}/download/docx")

    def run(self) -> None:
        try:
            signed_in = self.sign_in()
            self.start_line.wait()  # every user signed in (or failed to) before the journeys
            if not signed_in:
                return
            while time.perf_counter() < self.start_line.deadline and self.journeys < MAX_JOURNEYS:
                self.journey()
                self.journeys += 1
                if len(self.failures) > 20:
                    break  # enough to say what went wrong
        except Exception as exc:  # a bug here, not the server's: still a failure, never silent
            self.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.browser.close()


def check(kind: str, status: int, resp: Any, body: bytes) -> str:
    """What is wrong with a response ('' if nothing)."""
    if status != 200:
        return f"status {status}" + (
            f" to {resp.getheader('Location')}" if resp.getheader("Location") else ""
        )
    ctype = resp.getheader("Content-Type", "")
    if kind == "PDF":
        return "" if body.startswith(b"%PDF-") else f"not a PDF ({ctype}, {body[:20]!r})"
    if kind == "Word":
        return "" if body.startswith(b"PK") else f"not a Word document ({ctype}, {body[:20]!r})"
    if not ctype.startswith("text/html"):
        return f"not HTML ({ctype})"
    if kind == "edit POST" and b"Saved as a draft" not in body:
        return "no 'Saved as a draft' on the page"
    return ""


def read_back(samples: dict[str, bytes]) -> str:
    import pikepdf

    problems = []
    if "PDF" in samples:
        try:
            with pikepdf.open(io.BytesIO(samples["PDF"])) as pdf:
                if not len(pdf.pages) or "/AcroForm" not in pdf.Root:
                    problems.append(f"PDF: {len(pdf.pages)} pages, AcroForm {'/AcroForm' in pdf.Root}")
        except Exception as exc:
            problems.append(f"PDF does not read back: {exc}")
    if "Word" in samples:
        try:
            with zipfile.ZipFile(io.BytesIO(samples["Word"])) as docx:
                if "word/document.xml" not in docx.namelist():
                    problems.append("Word document without word/document.xml")
        except zipfile.BadZipFile as exc:
            problems.append(f"Word document does not read back: {exc}")
    return "; ".join(problems)


# --------------------------------------------------------------------------- the server


def env_for(url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "APFORMS_DATABASE_URL"}
    if url:
        env["APFORMS_DATABASE_URL"] = url
    return env


def setup(folder: Path, url: str | None) -> dict[str, dict[str, Any]]:
    """The demo in a fresh data folder, in a process of its own; the accounts' passwords and
    two-factor secrets (``web.load_demo``)."""
    proc = subprocess.run(
        [sys.executable, __file__, "--setup", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env_for(url),
    )
    if proc.returncode != 0:
        sys.exit(f"loading the demo failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_until_up(server: subprocess.Popen[bytes], port: int, log: Path) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < START_TIMEOUT:
        if server.poll() is not None:
            sys.exit(f"the server stopped ({server.returncode}):\n{log.read_text(errors='replace')}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/sign-in")
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter() - start
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the server did not answer in {START_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')}")


def proc_status(pid: int) -> dict[str, float]:
    """The server's peak RSS (VmHWM) in MB and CPU seconds so far."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                out["peak_rss_mb"] = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    out["cpu_s"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def records_in(db: Database) -> dict[str, tuple[str, Any, str]]:
    """Every record in the database: its document, its data as stored, its title."""
    rows = db.rows("SELECT id, document, data, title FROM apforms_web_record")
    return {
        str(i).replace("-", ""): (doc, data if isinstance(data, dict) else json.loads(data), title)
        for i, doc, data, title in rows
    }


def meaning(stored: tuple[str, Any, str]) -> tuple[Any, str]:
    """A record's values as apforms reads them (a number stored as 2.5 or as the "2.5" typed
    is the same value), and its title."""
    from apforms import api

    doc, data, title = stored
    result = api.validate(api.new_record(doc, data), partial=True)
    return (result.data if result.ok else data), title


# --------------------------------------------------------------------------- the run


def pct(values: list[float], p: float) -> float:
    """The p-th percentile, nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def run(
    users: int, seconds: float, folder: Path, think: float = 0.0, url: str | None = None
) -> dict[str, Any]:
    data = folder / "web"
    passwords = setup(data, url)
    accounts = list(passwords.items())
    db = Database(data, url)
    before = records_in(db)
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*SERVE, "--data", str(data), "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env_for(url),
        )
    try:
        started = wait_until_up(server, port, log)
        start = Start(users, seconds)
        authenticators = Authenticators(db)
        crowd = [User(i, port, accounts[i % len(accounts)], start, authenticators) for i in range(users)]
        for user in crowd:
            user.think = think
        for user in crowd:
            user.start()
        while not start.begun and any(u.is_alive() for u in crowd):
            time.sleep(0.05)
        begun, client_cpu, server_cpu = (
            time.perf_counter(),
            time.process_time(),
            proc_status(server.pid)["cpu_s"],
        )
        for user in crowd:
            user.join(seconds + 10 * TIMEOUT)
        elapsed, client_cpu = time.perf_counter() - begun, time.process_time() - client_cpu
        stuck = [u.name for u in crowd if u.is_alive()]
        server_figures = proc_status(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    after = records_in(db)

    failures = [f"{u.name}: {f}" for u in crowd for f in u.failures]
    failures += [f"{name}: still running at the end" for name in stuck]
    for user in crowd:
        problem = read_back(user.samples)
        if problem:
            failures.append(f"{user.name}: {problem}")
    restored = [i for i in before if after.get(i) != before[i]]
    changed = sorted(i for i in restored if i not in after or meaning(after[i]) != meaning(before[i]))
    failures += [f"record {i}: changed by posting its pages back unchanged" for i in changed]

    times = {kind: [t for u in crowd for t in u.times[kind]] for kind in (*KINDS, *SIGN_IN)}
    requests = sum(len(times[kind]) for kind in KINDS)
    print(
        f"{users} users signed in (think {crowd[0].think if crowd else 0:g} s), "
        f"then {sum(u.journeys for u in crowd)} journeys: {requests} requests "
        f"in {elapsed:.1f} s ({requests / elapsed:.0f}/s); {len(before)} records, server up {started:.1f} s"
    )
    print(
        f"records stored differently after the posts: {len(restored)} of {len(before)}; "
        f"different in value: {len(changed)}\n"
    )
    print(f"{'request':<12} {'count':>6} {'median':>8} {'p95':>8} {'max':>8}  (ms)")
    for kind in (*SIGN_IN, *KINDS):
        v = times[kind]
        print(f"{kind:<12} {len(v):>6} {pct(v, 50):>8.0f} {pct(v, 95):>8.0f} {max(v, default=0):>8.0f}")
    pages = [t for kind in PAGES for t in times[kind]]
    page_p95, pdf_p95 = pct(pages, 95), pct(times["PDF"], 95)
    print()
    goals = (("pages p95", page_p95, PAGE_GOAL_MS), ("PDF downloads p95", pdf_p95, PDF_GOAL_MS))
    for label, value, goal in goals:
        print(f"{label:<18} {value:>7.0f} ms  goal < {goal:>4.0f} ms  {'met' if value < goal else 'MISSED'}")
    print(f"server peak RSS    {server_figures['peak_rss_mb']:>7.0f} MB  (VmHWM)")
    print(
        f"CPU in the {elapsed:.1f} s of journeys: the server {server_figures['cpu_s'] - server_cpu:.1f} s, "
        f"these users {client_cpu:.1f} s"
    )
    said = Counter(
        re.sub(r"\d+", "N", line)[:150]
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.strip() and not line.startswith("apforms: serving")
    )
    if said:
        print(f"\nthe server wrote {said.total()} lines (numbers as N):")
        for line, n in said.most_common(10):
            print(f"  {n:>6} × {line}")
    if failures:
        print(f"\nFAILED: {len(failures)} problems; the first:", file=sys.stderr)
        for line in failures[:20]:
            print(f"  {line[:200]}", file=sys.stderr)
    return {
        "failures": len(failures),
        "requests": requests,
        "per_s": requests / elapsed,
        "page_p50": pct(pages, 50),
        "page_p95": page_p95,
        "pdf_p95": pdf_p95,
        "rss": server_figures["peak_rss_mb"],
        "server_cpu": server_figures["cpu_s"] - server_cpu,
    }


@contextlib.contextmanager
def database_for(backend: str, folder: Path) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL a fresh database on a throwaway server started for this
    run (as the tests start one), stopped afterwards."""
    if backend == "sqlite":
        yield None
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import pg_support

    if pg_support.binaries() is None:
        sys.exit("PostgreSQL's server programs are not installed (Debian: postgresql); use --backends sqlite")
    server = folder / "postgresql"
    server.mkdir()
    os.chmod(folder, 0o755)
    try:
        yield pg_support.fresh_database(pg_support.start(server))
    finally:
        pg_support.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20, help="simulated users at once (default 20)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long they work (default 20)")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a user reads each page before the next request, on average (default 0: a stress test)",
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        help="databases to run on, in turn (default sqlite,postgresql)",
    )
    parser.add_argument("--setup", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        from apforms import web

        web.configure(args.setup)
        print(json.dumps(web.load_demo()))
        return
    if not 1 <= args.users <= 200:
        parser.error("--users must be from 1 to 200")
    if not 0 < args.seconds <= 600:
        parser.error("--seconds must be more than 0 and at most 600")
    if not set(args.backends.split(",")) <= {"sqlite", "postgresql"}:
        parser.error("--backends: sqlite, postgresql or both, comma-separated")
    results: dict[str, dict[str, Any]] = {}
    for backend in args.backends.split(","):
        print(f"=== {backend} ===")
        with (
            tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp,
            database_for(backend, Path(tmp)) as url,
        ):
            results[backend] = run(args.users, args.seconds, Path(tmp), args.think, url)
        print()
    print(f"{args.users} users, think {args.think:g} s, {args.seconds:g} s each, side by side:")
    print(f"{'':<22}" + "".join(f"{b:>12}" for b in results))
    rows = (
        ("requests per second", "per_s", "{:.0f}"),
        ("pages median (ms)", "page_p50", "{:.0f}"),
        ("pages p95 (ms)", "page_p95", "{:.0f}"),
        ("PDF p95 (ms)", "pdf_p95", "{:.0f}"),
        ("server CPU (s)", "server_cpu", "{:.1f}"),
        ("server peak RSS (MB)", "rss", "{:.0f}"),
        ("problems", "failures", "{}"),
    )
    for label, key, fmt in rows:
        print(f"{label:<22}" + "".join(f"{fmt.format(r[key]):>12}" for r in results.values()))
    sys.exit(1 if any(r["failures"] for r in results.values()) else 0)


if __name__ == "__main__":
    main()
