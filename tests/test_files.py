from __future__ import annotations

import os
from pathlib import Path

import pytest

from apforms import files


def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = files.write_text(tmp_path / "a" / "new.txt", "x")
        assert new.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        files.write_text(kept, "new")
        assert kept.read_text() == "new"
        assert kept.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "doc.docx"
    target.write_bytes(b"before")
    with pytest.raises(RuntimeError), files.atomic_writer(target) as fh:
        fh.write(b"half")
        raise RuntimeError("render failed")
    assert target.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.docx"]
