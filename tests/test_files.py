from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from apforms import files
from apforms.errors import RenderError


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_unless_another_mode_is_asked_for(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = files.write_text(tmp_path / "a" / "new.txt", "x")
        assert mode_of(new) == 0o600
        replaced = tmp_path / "replaced.txt"
        replaced.write_text("old")
        replaced.chmod(0o644)  # a world-readable file written before, replaced: private now
        files.write_text(replaced, "new")
        assert replaced.read_text() == "new"
        assert mode_of(replaced) == 0o600
        assert mode_of(files.write_text(tmp_path / "group.txt", "x", mode=0o640)) == 0o640
    finally:
        os.umask(old)


def test_files_without_record_content_follow_the_umask_and_keep_their_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = files.write_text(tmp_path / "blank.txt", "x", mode=None)
        assert mode_of(new) == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o640)
        files.write_text(kept, "new", mode=None)
        assert kept.read_text() == "new"
        assert mode_of(kept) == 0o640
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    ("given", "mode"), [("0600", 0o600), ("640", 0o640), (" 0o644 ", 0o644), ("0777", 0o777), (0o640, 0o640)]
)
def test_modes_are_read_in_octal(given: str | int, mode: int) -> None:
    assert files.parse_mode(given) == mode


@pytest.mark.parametrize("given", ["0400", "0200", "1777", "4755", "rw-r-----", "", "06000", True, -1])
def test_modes_the_owner_cannot_read_and_write_or_not_octal_are_refused(given: str | int) -> None:
    with pytest.raises(ValueError):
        files.parse_mode(given)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "doc.docx"
    target.write_bytes(b"before")
    with pytest.raises(RuntimeError), files.atomic_writer(target) as fh:
        fh.write(b"half")
        raise RuntimeError("render failed")
    assert target.read_bytes() == b"before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.docx"]


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_folder(path: Path) -> None:
    path.mkdir()


def make_symlink(path: Path) -> None:
    (path.parent / "elsewhere.json").write_text("someone else's file")
    path.symlink_to(path.parent / "elsewhere.json")


def make_dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "not-yet.json")


def make_device(path: Path) -> None:
    """A character device like /dev/null (1, 3), made in the test's folder: only where this
    user may (root, or a container that allows mknod)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror or exc}): needs root")


NOT_REGULAR: dict[str, tuple[Callable[[Path], None], str]] = {
    "device": (make_device, "a character device"),
    "fifo": (make_fifo, "a named pipe (FIFO)"),
    "folder": (make_folder, "a folder"),
    "symlink": (make_symlink, "a symbolic link"),
    "dangling symlink": (make_dangling_symlink, "a symbolic link"),
}


@pytest.mark.parametrize("kind", list(NOT_REGULAR))
def test_nothing_but_a_regular_file_is_ever_replaced(tmp_path: Path, kind: str) -> None:
    make, said = NOT_REGULAR[kind]
    target = tmp_path / "record.json"
    make(target)
    before = os.lstat(target)
    with pytest.raises(RenderError, match=re.escape(f"record.json is {said}; apforms replaces only regular")):
        files.write_text(target, '{"child": "record"}')
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in names if n.endswith(".part")] == []  # nothing written beside it
    if kind == "symlink":
        assert (tmp_path / "elsewhere.json").read_text() == "someone else's file"
    if kind == "dangling symlink":
        assert not (tmp_path / "not-yet.json").exists()


# --------------------------------------------------------------------------- races
# Between the last check of the target and the rename over it, the target or its folder may
# be swapped by someone who can write to the folder (issue 14).


@pytest.mark.parametrize("kind", ["fifo", "symlink", "dangling symlink", "device"])
def test_a_target_swapped_after_the_last_check_is_never_written_through(
    tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rename(2) replaces the name, never what it names: a link or a device put there after
    the last check is not followed or opened (the rename takes its name; the file it points
    to, or the device, is untouched)."""
    make, _ = NOT_REGULAR[kind]
    target = tmp_path / "record.json"
    real_check = files._check_entry

    def swap_after_checking(*args: object) -> None:
        real_check(*args)  # type: ignore[arg-type]
        if not os.path.lexists(target) or os.path.isfile(target) and not os.path.islink(target):
            if os.path.lexists(target):
                os.unlink(target)
            make(target)

    monkeypatch.setattr(files, "_check_entry", swap_after_checking)
    files.write_text(target, '{"child": "record"}')
    assert target.read_text() == '{"child": "record"}' and not target.is_symlink()
    if kind == "symlink":
        assert (tmp_path / "elsewhere.json").read_text() == "someone else's file"
    if kind == "dangling symlink":
        assert not (tmp_path / "not-yet.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_a_folder_swapped_while_the_file_is_written_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    """The temporary file was made, checked and renamed by path: a folder moved away (and a
    link to another put in its place) while the file was written left the temporary file,
    with the child's record in it, in the folder moved away."""
    folder, moved, other = tmp_path / "out", tmp_path / "out.moved", tmp_path / "other"
    folder.mkdir()
    other.mkdir()
    target = folder / "record.json"
    refused = r"^cannot write .*record\.json: its folder was moved or replaced"
    with pytest.raises(RenderError, match=refused), files.atomic_writer(target) as fh:
        fh.write(b'{"child": "record"}')
        folder.rename(moved)
        folder.symlink_to(other)
    assert list(moved.iterdir()) == [] and list(other.iterdir()) == []
