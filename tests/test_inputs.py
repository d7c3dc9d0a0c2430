"""Input files read with their size known first (issue 14, item 1): pipes and devices
refused, a file over the limit refused before it is read, standard input read up to the
limit, record files bounded in size and depth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main
from apforms.errors import IngestError, RecordError
from apforms.inputs import read_input, read_stream, size_text

from .bounds_support import run_apforms
from .pdf_support import example_pdf


@pytest.mark.parametrize("command", ["ingest", "validate"])
def test_a_named_pipe_is_refused_not_waited_on(command: str, tmp_path: Path) -> None:
    pipe = tmp_path / "return.pdf"
    os.mkfifo(pipe)  # no writer: opening it to read would wait for ever
    child = run_apforms([command, str(pipe)], timeout=20)
    assert child.status == 2
    assert child.refusal == f"apforms: cannot read {pipe}: a named pipe, not a file"


@pytest.mark.parametrize("command", ["ingest", "validate", "check"])
def test_a_device_is_refused_before_it_is_read(command: str) -> None:
    result = CliRunner().invoke(main, [command, "/dev/zero"])
    assert result.exit_code == 2
    assert "cannot read /dev/zero: a device, not a file" in result.output


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="a folder, not a file"):
        api.read_record(tmp_path)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A 2 GB file was read whole (9 s, 2.1 GB of memory) before the 64 MB check."""
    big = tmp_path / "big.pdf"
    with big.open("wb") as fh:  # sparse: takes no disk space
        fh.write(b"%PDF-1.7\n")
        fh.truncate(2 << 30)
    child = run_apforms(["ingest", str(big)], timeout=30)
    assert child.status == 2
    assert child.refusal == "apforms: file too large (2 GB; at most 64 MB)"
    assert child.peak_mb < 200 and child.wall < 10
    assert not (tmp_path / "big.json").exists()


def test_a_file_larger_than_it_says_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b" " * 5000)
    with pytest.raises(RecordError, match=r"^file too large \(4\.9 KB; at most 4 KB\)$"):
        read_input(path, 4096, RecordError)
    status = Path("/proc/self/status")  # says it is empty, as a file that grows while read may
    if status.exists() and status.stat().st_size == 0:
        with pytest.raises(RecordError, match=r"^file too large \(more than 10 bytes, the most read\)$"):
            read_input(status, 10, RecordError)


def test_standard_input_is_read_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api, "MAX_INPUT_BYTES", 1000)
    result = CliRunner().invoke(main, ["validate", "-"], input=b"{" + b" " * 2000)
    assert result.exit_code == 2
    assert "apforms: file too large (more than 1000 bytes, the most read)" in result.output


def test_stdin_within_the_limit_is_read(tmp_path: Path) -> None:
    record = json.dumps(api.example("sla")).encode()
    import io

    assert read_stream(io.BytesIO(record)) == record
    result = CliRunner().invoke(main, ["validate", "-"], input=record)
    assert result.exit_code == 0, result.output


def test_a_record_file_over_its_limit_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(api, "MAX_RECORD_BYTES", 4096)
    path = tmp_path / "sla.json"
    record = api.example("sla")
    record["data"]["provider"]["name"] = "x" * 5000
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(RecordError, match=r"sla\.json: record file too large \(7\.8 KB; at most 4 KB\)$"):
        api.read_record(path)


def test_a_returned_pdf_over_the_record_limit_is_still_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(api, "MAX_RECORD_BYTES", 4096)
    path = tmp_path / "sla.pdf"
    path.write_bytes(example_pdf("sla"))
    assert api.read_record(path).definition.id == "sla"


@pytest.mark.parametrize("depth", [40, 500, 5000])
def test_a_record_nested_too_deep_is_refused_in_one_line(depth: int, tmp_path: Path) -> None:
    """Nested 500 deep, validation ended in an internal error (RecursionError)."""
    path = tmp_path / "deep.json"
    value = "[" * depth + "]" * depth
    path.write_text(f'{{"document": "sla", "version": "1.0", "data": {{"provider": {{"name": {value}}}}}}}')
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == f"apforms: {path}: not a record (its JSON nests more than 32 levels deep)"


def test_sizes_are_said_for_people() -> None:
    assert [size_text(n) for n in (512, 4096, 200 << 10, 64 << 20, 2 << 30, 1536 << 20)] == [
        "512 bytes", "4 KB", "200 KB", "64 MB", "2 GB", "1.5 GB",
    ]  # fmt: skip


def test_ingest_refuses_an_empty_file_and_writes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "empty.pdf"
    src.write_bytes(b"")
    with pytest.raises(IngestError, match="^empty file$"):
        api.ingest(src)
    assert not (tmp_path / "empty.json").exists()


def test_a_configuration_that_is_a_named_pipe_is_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "council.yaml"
    os.mkfifo(pipe)
    child = run_apforms(["blank", "sla", "-o", str(tmp_path / "sla.pdf"), "--config", str(pipe)], timeout=20)
    assert child.status == 2
    assert child.refusal == f"apforms: cannot read {pipe}: a named pipe, not a file"


def test_a_logo_over_its_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from apforms.errors import ConfigError
    from apforms.model.config import read_config

    logo = tmp_path / "logo.png"
    with logo.open("wb") as fh:
        fh.truncate(3 << 20)
    council = tmp_path / "council.yaml"
    council.write_text("branding:\n  logo: logo.png\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"branding\.logo: file too large \(3 MB; at most 2 MB\)$"):
        read_config(council)
