"""One-shot commands start fast: heavy libraries are imported only by the commands that need
them, and with the disk cache warm not even by those (``apforms.cache``).

Each case runs the command in a fresh Python (as a person runs it) with a private cache
folder, and looks at what it imported. ``benchmarks/cli.py`` times the same commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apforms import api

SRC = Path(__file__).resolve().parents[1] / "src"

#: Libraries that take tens of milliseconds or more to import.
HEAVY = (
    "bidi",
    "cryptography",
    "django",
    "docx",
    "docxtpl",
    "fontTools",
    "jinja2",
    "lxml",
    "marshmallow",
    "numpy",
    "openpyxl",
    "PIL",
    "pikepdf",
    "pypdf",
    "pypdfium2",
    "pyhanko",
    "sqlite3",
    "uharfbuzz",
    "yaml",
)


def _env(cache: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "APFORMS_CACHE_DIR": str(cache)}


def _imported(code: str, cache: Path) -> set[str]:
    """The top-level packages (and ``importlib.metadata``) imported by running ``code``."""
    wrapper = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
        + code
    )
    run = subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=120, env=_env(cache)
    )
    line = next(x for x in run.stderr.splitlines() if x.startswith("MODULES "))
    modules = json.loads(line.removeprefix("MODULES "))
    return {m.split(".")[0] for m in modules} | ({"importlib.metadata"} & set(modules))


def _command(*args: str) -> str:
    return f"import sys\nsys.argv = ['apforms', *{list(args)!r}]\nfrom apforms.cli import main\nmain()\n"


def test_importing_the_cli_imports_no_heavy_library(tmp_path: Path) -> None:
    imported = _imported("import apforms.cli", tmp_path)
    assert sorted(imported & {*HEAVY, "importlib.metadata"}) == []


def test_help_imports_no_heavy_library(tmp_path: Path) -> None:
    for args in (["--help"], ["archive", "--help"], ["ingest", "--help"]):
        imported = _imported(_command(*args), tmp_path)
        assert sorted(imported & {*HEAVY, "importlib.metadata"}) == [], args


@pytest.fixture(scope="module")
def returned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A referral record file and the PDF form filled with it."""
    folder = tmp_path_factory.mktemp("startup")
    record = folder / "referral.json"
    record.write_text(json.dumps(api.example("referral")), encoding="utf-8")
    pdf = folder / "referral.pdf"
    api.render(api.read_record(record), "pdf", pdf)
    return record, pdf


#: What each command may import once its disk cache is warm (beyond the light modules).
WARM = {
    "validate": {"marshmallow"},
    "render pdf": {"marshmallow"},
    "render docx": {"marshmallow", "jinja2"},
    "ingest": {"marshmallow", "pikepdf"},
}


@pytest.mark.parametrize("case", list(WARM))
def test_a_command_with_a_warm_cache_imports_only_what_it_uses(
    case: str, returned: tuple[Path, Path], tmp_path: Path
) -> None:
    record, pdf = returned
    args = {
        "validate": ["validate", str(record)],
        "render pdf": ["render", str(record), "-o", str(tmp_path / "out.pdf")],
        "render docx": ["render", str(record), "-o", str(tmp_path / "out.docx")],
        "ingest": ["ingest", str(pdf), "-o", str(tmp_path / "out.json")],
    }[case]
    cache = tmp_path / "cache"
    cold = _imported(_command(*args), cache)  # fills the cache
    warm = _imported(_command(*args), cache)
    assert sorted(warm & {*HEAVY, "importlib.metadata"}) == sorted(WARM[case])
    assert WARM[case] <= cold
