"""Time one-shot ``apforms`` commands: wall and CPU (user + sys of the child), median of N.

    PYTHONPATH=src python scripts/measure_cli.py [-n 5] [--src DIR] [--cold]

Each command runs once first (filling the disk caches, and the OS's file cache), then N times;
with ``--cold`` the disk cache is emptied before every run instead. The inputs are made in a
temporary folder from the referral's example record: the record, the PDF form filled with it
(``render``), and an empty archive for each ``archive add`` run. The cache goes to a temporary
``APFORMS_CACHE_DIR``, never the user's own. Not a benchmark of the peers (``benchmarks/``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {
    "--help": 0.1,
    "validate": 0.2,
    "render pdf": 0.3,
    "render docx": 0.25,
    "ingest": 0.25,
    "archive add": 0.4,
}


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (which must succeed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}: {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--src", default=str(Path(__file__).resolve().parent.parent / "src"))
    parser.add_argument("--cold", action="store_true", help="empty the disk cache before every run")
    parser.add_argument("only", nargs="*", help="commands to time (default: all)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="apforms-measure-"))
    cache = work / "cache"
    # Bytecode cached (as an installed wheel has it), in the temporary folder, not the tree.
    env = {
        **os.environ,
        "PYTHONPATH": args.src,
        "APFORMS_CACHE_DIR": str(cache),
        "PYTHONPYCACHEPREFIX": str(work / "pyc"),
    }
    for name in ("APFORMS_ARCHIVE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    apforms = [sys.executable, "-m", "apforms"]
    record, form = work / "referral.json", work / "referral.pdf"
    record.write_bytes(
        subprocess.run([*apforms, "example", "referral"], env=env, check=True, capture_output=True).stdout
    )
    subprocess.run([*apforms, "render", str(record), "-o", str(form)], env=env, check=True)
    stores = iter(range(1_000_000))

    commands = {
        "--help": lambda: [*apforms, "--help"],
        "validate": lambda: [*apforms, "validate", str(record)],
        "render pdf": lambda: [*apforms, "render", str(record), "-o", str(work / "out.pdf")],
        "render docx": lambda: [*apforms, "render", str(record), "-o", str(work / "out.docx")],
        "ingest": lambda: [*apforms, "ingest", str(form), "-o", str(work / "out.json")],
        "archive add": lambda: [
            *apforms,
            "archive",
            "--store",
            str(work / f"store{next(stores)}"),
            "add",
            str(form),
        ],
    }
    print(
        f"{'command':<12} {'wall s':>7} {'cpu s':>7} {'goal':>5}"
        f"   (median of {args.n}{', cold cache' if args.cold else ''})"
    )
    try:
        for name, argv in commands.items():
            if args.only and name not in args.only:
                continue
            run(argv(), env)
            walls, cpus = [], []
            for _ in range(args.n):
                if args.cold:
                    shutil.rmtree(cache, ignore_errors=True)
                wall, cpu = run(argv(), env)
                walls.append(wall)
                cpus.append(cpu)
            print(
                f"{name:<12} {statistics.median(walls):7.3f} {statistics.median(cpus):7.3f}"
                f" {GOALS[name]:5.2f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
