"""The shape of the package: imports point one way, and the command line stays light.

The contracts themselves are in ``pyproject.toml`` (``[tool.importlinter]``); this runs them
so that a back-pointing import fails the test suite, not only CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_imports_point_one_way() -> None:
    # The venv's scripts first, so the lint-imports of this interpreter is the one run.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    exe = shutil.which("lint-imports", path=path)
    if exe is None:
        pytest.fail("lint-imports is not installed: pip install -e '.[test]' (import-linter)")
    run = subprocess.run(
        [exe, "--no-cache", "--no-logo"],
        cwd=ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_importing_the_cli_imports_no_heavy_package() -> None:
    """``apforms --help`` must not wait for openpyxl, pyHanko, SQLite, the archive or the rules."""
    heavy = ["openpyxl", "pyhanko", "sqlite3", "apforms.archive", "apforms.bulk", "apforms.rules"]
    code = f"import sys, apforms.cli; print([m for m in {heavy!r} if m in sys.modules])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert run.stdout.strip() == "[]"


def test_the_cli_offers_every_signature_status_of_the_archive() -> None:
    from apforms import api
    from apforms.cli.archive import SIGNATURE_STATUSES

    assert SIGNATURE_STATUSES == api.SIGNATURE_STATUSES


def test_every_name_the_api_exports_exists_at_run_time() -> None:
    """Names the type checker sees only through TYPE_CHECKING imports are served lazily."""
    from apforms import api

    missing = [name for name in api.__all__ if not hasattr(api, name)]
    assert missing == []
