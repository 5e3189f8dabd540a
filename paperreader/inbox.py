"""The inbox folder: which digest files in it are new and ready to import.

Pure filesystem logic (no store, no Textual).  The store already ignores a
file it has imported before (by content), so the watcher's job is only to be
cheap (one ``stat`` per file per look) and careful: a browser or an editor may
still be writing a file, and importing half a digest would keep its truncated
abstracts (a paper seen again keeps the words first stored).  So a file is
taken only once it has stopped changing: unchanged since the previous look, or
last modified a few seconds ago.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["InboxWatcher"]

#: A file's identity for "has it changed": (size, modification time in ns).
_Stamp = tuple[int, int]


class InboxWatcher:
    """Finds the ``*.txt`` files under ``folder`` that are new or changed, once settled."""

    def __init__(self, folder: Path, *, settle: float = 2.0, clock: Callable[[], float] = time.time) -> None:
        self.folder = folder
        self.settle = settle
        self._clock = clock
        #: Files returned already, with the stamp they had then.
        self._taken: dict[Path, _Stamp] = {}
        #: Files seen changing, with their stamp at the last look.
        self._pending: dict[Path, _Stamp] = {}
        #: Why the folder cannot be read (None when it can).
        self.error: str | None = None

    def _files(self) -> list[Path]:
        found: list[Path] = []
        for root, dirs, names in os.walk(self.folder, onerror=self._walk_error):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / name for name in names if name.endswith(".txt") and not name.startswith(".")]
        return sorted(found)

    def _walk_error(self, error: OSError) -> None:
        if Path(error.filename or "") == self.folder:
            raise error

    def scan(self) -> list[Path]:
        """The files to import now (each returned once, and again only if it changes)."""
        if not self.folder.is_dir():
            self.error = f"{self.folder}: no such folder"
            return []
        try:
            files = self._files()
        except OSError as error:
            self.error = f"{self.folder}: cannot read the folder ({error.strerror or error})"
            return []
        self.error = None
        ready: list[Path] = []
        now = self._clock()
        pending: dict[Path, _Stamp] = {}
        for path in files:
            try:
                info = path.stat()
            except OSError:
                continue  # gone between the listing and now
            if not path.is_file():
                continue
            stamp = (info.st_size, info.st_mtime_ns)
            if self._taken.get(path) == stamp:
                continue
            if self._pending.get(path) == stamp or now - info.st_mtime >= self.settle:
                ready.append(path)
                self._taken[path] = stamp
            else:
                pending[path] = stamp  # still being written, perhaps: look again next time
        self._pending = pending
        return ready

    def forget(self, path: Path) -> None:
        """Offer this file again at the next look (its import failed for a passing reason)."""
        self._taken.pop(path, None)
