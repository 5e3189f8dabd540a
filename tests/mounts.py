"""Real full and read-only file systems for tests, and the injected failures that stand in for them.

Mounting needs root (CI runs as root); where it is not allowed the tests
using a real mount skip, and their injected twins run everywhere.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _run(*command: str) -> bool:
    return subprocess.run(command, capture_output=True).returncode == 0


def _can_mount() -> bool:
    return os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs at ``path`` (skips the test where mounting is not allowed); unmounted after."""
    path.mkdir(parents=True, exist_ok=True)
    if not _can_mount() or not _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield path
    finally:
        _run("umount", str(path)) or _run("umount", "-l", str(path))


def resize(path: Path, size: str) -> None:
    """Give a tmpfs more room: space freed, as a user would free it."""
    assert _run("mount", "-o", f"remount,size={size}", str(path))


@contextlib.contextmanager
def read_only_view(source: Path, path: Path) -> Iterator[Path]:
    """``source`` seen through a read-only bind mount at ``path`` (skips where not allowed)."""
    path.mkdir(parents=True, exist_ok=True)
    if not _can_mount() or not _run("mount", "--bind", str(source), str(path)):
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        if not _run("mount", "-o", "remount,ro,bind", str(path)):
            pytest.skip("cannot make a bind mount read-only here")
        yield path
    finally:
        _run("umount", str(path)) or _run("umount", "-l", str(path))


def fill(folder: Path) -> Path:
    """Fill the file system holding ``folder`` to the last byte; returns the filler file.

    Called again, it takes what was freed since (a failed index build removes
    its half-written files, a closing SQLite its log): a full disk stays full.
    """
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 16, 512, 1):
            try:
                while os.write(fd, b"\0" * chunk):
                    pass
            except OSError as error:
                assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def full_error() -> sqlite3.OperationalError:
    """The error SQLite raises when a write meets a full disk."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
    error.sqlite_errorcode = 13  # type: ignore[attr-defined]
    return error


class RefusingConnection:
    """An SQLite connection whose writes fail as on a full disk.

    ``after`` files (``INSERT INTO sources``) are stored first, so an import is
    refused part-way, as a disk filling up refuses it; :meth:`free` makes room.
    """

    _WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self, db: sqlite3.Connection, *, after: int = 0) -> None:
        self._db = db
        self._room: int | None = after  # files that still fit; None: no limit
        self.full = after == 0

    def free(self) -> None:
        """Space freed: every write goes through again."""
        self.full, self._room = False, None

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        statement = sql.lstrip().upper()
        if statement.startswith(self._WRITES):
            if statement.startswith("INSERT INTO SOURCES") and self._room is not None and not self.full:
                self.full = self._room == 0  # one more file: does it fit?
                self._room -= 0 if self.full else 1
            if self.full:
                raise full_error()
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.full:
            raise full_error()
        return self._db.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)
