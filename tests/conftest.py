"""Shared helpers: tiny inline definitions and the example records."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from typing import Any

import pytest
import yaml

from apforms import api
from apforms.model.definitions import Definition, document_ids, parse_definition

# The disk cache (apforms.cache) of this test run: a private folder, never the user's own
# cache folder; subprocesses inherit it. tests/test_cache.py points single tests elsewhere.
_CACHE = tempfile.mkdtemp(prefix="apforms-test-cache-")
os.environ["APFORMS_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


def make_definition(text: str, file: str = "inline.yaml") -> Definition:
    """A definition from inline YAML, as if it were schemas/inline.yaml."""
    return parse_definition(yaml.safe_load(text), file)


def example_data(doc: str) -> dict[str, Any]:
    return copy.deepcopy(api.example(doc)["data"])


def record_text(doc: str, data: dict[str, Any]) -> str:
    return json.dumps({"document": doc, "version": api.example(doc)["version"], "data": data})


ALL_DOCS = document_ids()


@pytest.fixture(params=ALL_DOCS)
def doc(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pg_database() -> str:
    """The URL of a new, empty PostgreSQL database on the tests' throwaway server
    (``tests/pg_support.py``): ``.ci/run``'s, else one started for this run."""
    from tests import pg_support

    if pg_support.server_url() is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
    return pg_support.fresh_database()


# A developer's own shared database is never the tests': the setting is dropped for this run,
# but in the run of the web tests on PostgreSQL (tests/test_web_on_postgresql.py), which sets
# it to a throwaway database of the tests' server.
if not os.environ.get("APFORMS_WEB_TESTS_ON_POSTGRESQL"):
    os.environ.pop("APFORMS_DATABASE_URL", None)
