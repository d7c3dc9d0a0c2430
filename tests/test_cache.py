"""The disk cache (``apforms.cache``): what it keeps reads back the same, and anything it
cannot trust — a damaged, foreign or old entry, a folder others may write to — is built again.

The end-to-end cases run the commands in a fresh Python with the cache empty, warm, damaged
and off, and compare the files written byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from apforms import api, cache, resources

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own."""
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(where))
    return where


class Builds:
    """A build function that counts its calls."""

    def __init__(self, value: Any) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.value


def _entries(where: Path) -> list[Path]:
    return sorted(where.rglob("*.entry"))


def test_json_data_reads_back_equal_with_its_types(folder: Path) -> None:
    value = {
        "text": "Wiśniewska, Коваленко, ਸਿੰਘ",
        "numbers": [0, -3, 2.5, 10**30, True, False, None],
        "closures": {date(2026, 5, 4): "bank holiday", 1: "one", None: "none"},
        "dates": [date(2025, 9, 1)],
        "\0date": "a key that looks like the tag",
        "nested": {"\0map": [1]},
    }
    build = Builds(value)
    assert cache.cached_json("t", "k", build) == value
    again = cache.cached_json("t", "k", build)
    assert build.calls == 1
    assert again == value and list(again["closures"]) == [date(2026, 5, 4), 1, None]
    assert type(again["numbers"][4]) is bool and type(again["numbers"][3]) is int


def test_data_json_cannot_hold_is_built_each_time(folder: Path) -> None:
    for value in ({"a": {1, 2}}, [float("nan")], {"t": (1, 2)}, {(1, 2): "tuple key"}):
        build = Builds(value)
        cache.cached_json("t", repr(value), build)
        cache.cached_json("t", repr(value), build)
        assert build.calls == 2, value
    assert _entries(folder) == []


def test_entries_are_private(folder: Path) -> None:
    cache.cached("t", "k", lambda: b"payload")
    (entry,) = _entries(folder)
    assert entry.stat().st_mode & 0o777 == 0o600
    for f in (folder, folder / "v1", folder / "v1" / "t"):
        assert f.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]  # no temporary file left


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],  # cut short
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # one bit of the payload
        lambda b: b"nonsense\n" + b,  # not a header
        lambda b: b.replace(b"apforms-cache 1", b"apforms-cache 9", 1),  # another format
        lambda b: b"",
    ],
    ids=["truncated", "bit flipped", "no header", "other format", "empty"],
)
def test_a_damaged_entry_is_rebuilt(folder: Path, damage: Callable[[bytes], bytes]) -> None:
    build = Builds(b"the payload")
    cache.cached("t", "k", build)
    (entry,) = _entries(folder)
    entry.write_bytes(damage(entry.read_bytes()))
    assert cache.get("t", "k") is None
    assert cache.cached("t", "k", build) == b"the payload" and build.calls == 2
    assert cache.get("t", "k") == b"the payload"  # written again, whole


def test_an_entry_is_only_ever_its_own_keys(folder: Path) -> None:
    cache.put("t", "one", b"for one")
    (one,) = _entries(folder)
    cache.put("t", "two", b"for two")
    (two,) = set(_entries(folder)) - {one}  # which file is whose: not their names' order
    two.write_bytes(one.read_bytes())  # an entry copied under another key's name
    assert cache.get("t", "one") == b"for one"
    assert cache.get("t", "two") is None


def test_another_build_of_apforms_does_not_read_this_ones_entries(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.put("t", "k", b"made by this build")
    monkeypatch.setattr(cache, "build_id", lambda: "another build")
    assert cache.get("t", "k") is None


def test_the_build_changes_when_a_module_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "apforms"
    (package / "formats").mkdir(parents=True)
    module = package / "formats" / "x.py"
    module.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(cache, "_PACKAGE", package)
    cache.build_id.cache_clear()
    try:
        before = cache.build_id()
        cache.build_id.cache_clear()
        module.write_text("A = 22\n", encoding="utf-8")
        assert cache.build_id() != before
    finally:
        cache.build_id.cache_clear()


def test_a_folder_that_cannot_be_written_only_means_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))  # under a file: no folder can be made
    build = Builds({"a": 1})
    assert cache.cached_json("t", "k", build) == {"a": 1}
    assert cache.cached_json("t", "k", build) == {"a": 1} and build.calls == 2


def test_off_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, "off")
    monkeypatch.chdir(tmp_path)
    build = Builds(b"x")
    cache.cached("t", "k", build)
    cache.cached("t", "k", build)
    assert build.calls == 2 and list(tmp_path.iterdir()) == []


def test_a_folder_others_may_write_to_is_not_used(folder: Path) -> None:
    cache.put("t", "k", b"mine")
    (folder / "v1" / "t").chmod(0o777)
    assert cache.get("t", "k") is None
    cache.put("t", "other", b"not written")
    assert len(_entries(folder)) == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give files away")
def test_entries_and_folders_of_another_user_are_not_used(folder: Path) -> None:
    cache.put("t", "k", b"mine")
    (entry,) = _entries(folder)
    os.chown(entry, 65534, 65534)
    assert cache.get("t", "k") is None
    os.chown(entry, 0, 0)
    assert cache.get("t", "k") == b"mine"
    os.chown(folder, 65534, 65534)
    assert cache.get("t", "k") is None


def test_a_link_in_place_of_an_entry_is_not_followed(folder: Path, tmp_path: Path) -> None:
    cache.put("t", "k", b"mine")
    (entry,) = _entries(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert cache.get("t", "k") is None


def test_old_entries_are_removed_past_the_limit(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for n in range(5):
        cache.put("t", str(n), str(n).encode())
        entry = next(p for p in _entries(folder) if p.read_bytes().endswith(str(n).encode()))
        os.utime(entry, ns=(n * 10**9, n * 10**9))  # in the order written, whatever the clock says
    assert len(_entries(folder)) == 3
    assert [cache.get("t", str(n)) for n in range(5)] == [None, None, b"2", b"3", b"4"]


def test_a_changed_definition_is_read_again(folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("id: doc\ntitle: First\n", encoding="utf-8")
    assert resources.read_yaml(path) == {"id": "doc", "title": "First"}
    assert resources.read_yaml(path) == {"id": "doc", "title": "First"}  # from the cache
    path.write_text("id: doc\ntitle: Second\n", encoding="utf-8")
    assert resources.read_yaml(path) == {"id": "doc", "title": "Second"}


def test_refused_yaml_is_refused_every_time(folder: Path) -> None:
    from apforms.errors import DefinitionError

    for _ in range(2):
        with pytest.raises(DefinitionError, match="key 'a' given twice"):
            resources.parse_yaml("a: 1\na: 2\n", "twice.yaml")
    assert _entries(folder) == []


# --------------------------------------------------------------------------- the commands


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A referral (Unicode names), an SLA, and the referral's filled PDF form."""
    folder = tmp_path_factory.mktemp("inputs")
    referral = api.example("referral")
    referral["data"]["pupil"]["legal_name"] = "Zofia Wiśniewska-Коваленко"
    files = {"referral": folder / "referral.json", "sla": folder / "sla.json"}
    files["referral"].write_text(json.dumps(referral), encoding="utf-8")
    files["sla"].write_text(json.dumps(api.example("sla")), encoding="utf-8")
    files["pdf"] = folder / "referral.pdf"
    api.render(api.read_record(files["referral"]), "pdf", files["pdf"])
    return files


def _outputs(inputs: dict[str, Path], out: Path, cache_dir: str) -> dict[str, bytes]:
    """What each command writes (files, and validate's JSON), run in a fresh Python."""
    env = {**os.environ, "PYTHONPATH": str(SRC), cache.ENV: cache_dir}
    out.mkdir(parents=True, exist_ok=True)
    runs = {
        "referral.pdf": ["render", str(inputs["referral"]), "-o", str(out / "referral.pdf")],
        "flat.pdf": ["render", str(inputs["referral"]), "--flatten", "-o", str(out / "flat.pdf")],
        "referral.docx": ["render", str(inputs["referral"]), "-o", str(out / "referral.docx")],
        "sla.docx": ["render", str(inputs["sla"]), "-o", str(out / "sla.docx")],
        "read.json": ["ingest", str(inputs["pdf"]), "-o", str(out / "read.json")],
        "validate referral": ["validate", "--json", str(inputs["referral"])],
        "check sla": ["check", "--json", str(inputs["sla"])],
    }
    got = {}
    for name, args in runs.items():
        run = subprocess.run(
            [sys.executable, "-m", "apforms", *args], capture_output=True, env=env, timeout=120, check=False
        )
        assert run.returncode in (0, 1), (name, run.stderr)
        got[name] = run.stdout if name.startswith(("validate", "check")) else (out / name).read_bytes()
    return got


def test_a_warm_or_damaged_cache_writes_the_same_bytes_as_none(
    inputs: dict[str, Path], tmp_path: Path
) -> None:
    where = tmp_path / "cache"
    without = _outputs(inputs, tmp_path / "off", "off")
    cold = _outputs(inputs, tmp_path / "cold", str(where))
    kinds = {p.parent.name for p in _entries(where)}
    assert {"yaml", "font-metrics", "font-subset", "simple-chars", "word-template", "producer"} <= kinds
    warm = _outputs(inputs, tmp_path / "warm", str(where))
    for entry in _entries(where):  # every entry damaged: each is built again
        data = entry.read_bytes()
        entry.write_bytes(data[:-1] + bytes([data[-1] ^ 0x20]))
    damaged = _outputs(inputs, tmp_path / "damaged", str(where))
    assert cold == without and warm == without and damaged == without
    assert all(_whole(entry) for entry in _entries(where))  # and written again


def _whole(entry: Path) -> bool:
    head, _, body = entry.read_bytes().partition(b"\n")
    return head.split()[-2].decode() == hashlib.sha256(body).hexdigest()
