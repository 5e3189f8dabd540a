"""Auto-exports: files named in the config file that keep themselves up to date.

A researcher's ``.bib`` for LaTeX, a CSL JSON for pandoc, a notes folder for
Obsidian: each ``[[export]]`` of the config file names a path, a format and a
selection (``tag:thesis``), and is rewritten whenever what it would hold
changes, whoever changed the library (the reader, a CLI command).

How it follows the library: :class:`AutoExporter` registers a hook with the
store (:meth:`~paperreader.store.Store.add_commit_hook`), called after every
committed change.  The hook only says *that* something changed; the exporter
then renders each export and compares it with what it last wrote (a hash kept
in the store), so an export is written only when its papers changed, and
moving the trigger onto a journal of changes later is a one-line change.

What it never does: leave half a file (every write is a temporary file renamed
into place), or overwrite a file the user edited by hand since it last wrote
it (it says so instead; ``paperreader export --auto --force`` replaces it).  A
missing folder or a read-only file is a notice, never an exception: the reader
keeps running.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .exports import (
    SelectionError, content_hash, export, export_target, notes_digest, select_papers, write_atomically, write_notes,
)
from .store import StoreError
from .text import printable

if TYPE_CHECKING:
    from .config import AutoExport
    from .library import Library

__all__ = ["AutoExporter", "AutoExportOutcome", "FORCE_HINT"]

#: What the user runs to replace a file edited by hand.
FORCE_HINT = "paperreader export --auto --force replaces it"


@dataclass(frozen=True, slots=True)
class AutoExportOutcome:
    """What one auto-export did: ``written``, ``unchanged``, ``edited`` (left alone) or ``failed``."""

    export: AutoExport
    status: str
    papers: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("written", "unchanged")


class _Edited(Exception):
    """The file changed since the last auto-export: roll back and leave it be."""


class AutoExporter:
    """Keeps a library's auto-exports up to date.

    ``delay`` None: nothing happens by itself; the owner calls :meth:`flush`
    (the CLI, once its command is done).  A number: a flush runs in a
    background thread that many seconds after the last change (the reader).
    ``notify`` is called with each problem once (a missing folder, a file
    edited by hand), from whichever thread flushes.
    """

    def __init__(
        self,
        library: Library,
        exports: Sequence[AutoExport],
        *,
        notify: Callable[[str], None] = lambda message: None,
        delay: float | None = None,
    ) -> None:
        self.library = library
        self.exports = list(exports)
        self._notify = notify
        self._delay = delay
        self._lock = threading.Lock()  # guards the fields below
        self._run = threading.Lock()  # one flush at a time
        self._dirty = False
        self._timer: threading.Timer | None = None
        self._flushing: int | None = None  # the thread flushing: its own store writes are no change
        self._closed = False
        self._told: dict[str, str] = {}

    def attach(self) -> AutoExporter:
        """Follow every change committed to the library from now on."""
        if self.exports:
            self.library.store.add_commit_hook(self._changed)
        return self

    @property
    def pending(self) -> bool:
        """True if a change has not been exported yet."""
        return self._dirty

    def _changed(self) -> None:
        if self._flushing == threading.get_ident():
            return  # the keys and records a flush writes are not changes of the papers
        with self._lock:
            self._dirty = True
            if self._delay is None or self._closed:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self._delay, self._background)
            self._timer.daemon = True
            self._timer.start()

    def _background(self) -> None:
        try:
            self.flush()
        except Exception as error:  # noqa: BLE001 - a thread must not die with a traceback over the reader
            self._tell("", f"auto-export failed: {error}")

    def close(self) -> None:
        """Stop following changes; a change not exported yet is exported now."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        with self._run:
            pass  # a flush under way in the background ends before the library is closed
        if self._dirty:
            self.flush()

    def flush(self, *, force: bool = False) -> list[AutoExportOutcome]:
        """Bring every auto-export up to date now; ``force`` replaces files edited by hand."""
        with self._run:
            with self._lock:
                self._dirty = False
            self._flushing = threading.get_ident()
            try:
                return [self._export(item, force) for item in self.exports]
            finally:
                self._flushing = None

    def _tell(self, target: str, message: str) -> None:
        """Notify a problem once per export (the reader is not told it again at every keystroke)."""
        if self._told.get(target) != message:
            self._told[target] = message
            self._notify(message)

    def _export(self, item: AutoExport, force: bool) -> AutoExportOutcome:
        where = printable(str(item.path))
        target = export_target(item.path)
        store = self.library.store
        try:
            papers = select_papers(self.library, item.selection)
            with store.transaction():
                keys = store.ensure_keys([paper.id for paper in papers])
                papers = [dataclasses.replace(paper, key=keys.get(paper.id)) for paper in papers]
                if item.format == "notes":
                    digest = content_hash(notes_digest(papers))
                    record = store.auto_export_record(target)
                    if record is not None and record[0] == digest and item.path.is_dir():
                        return AutoExportOutcome(item, "unchanged", len(papers))
                    outcome = write_notes(item.path, papers)
                    if outcome.skipped:
                        self._tell(
                            target + "#skipped",
                            f"{where}: {len(outcome.skipped)} note file(s) without paperreader's marker line left as they are "
                            f"(first: {printable(outcome.skipped[0].name)})",
                        )
                else:
                    text = export(papers, item.format, heading=item.selection.describe())
                    digest = content_hash(text)
                    record = store.auto_export_record(target)
                    current = _file_hash(item.path)
                    if current is not None and not force and (record is None or current != record[0]):
                        raise _Edited("was not written by paperreader" if record is None else "was edited since paperreader last wrote it")
                    if record is not None and record[0] == digest and current == digest:
                        return AutoExportOutcome(item, "unchanged", len(papers))
                    write_atomically(item.path, text)
                store.set_auto_export_record(target, digest, len(papers))
        except _Edited as edited:
            message = f"{where}: {edited}; not overwritten ({FORCE_HINT})"
            self._tell(target, message)
            return AutoExportOutcome(item, "edited", len(papers), message)
        except SelectionError as error:
            message = f"{where}: auto-export not updated: {error}"
        except OSError as error:
            other = error.filename and Path(error.filename) != item.path.expanduser()
            reason = f"{error.strerror or error}{f': {printable(str(error.filename))}' if other else ''}"
            message = f"{where}: cannot write the auto-export ({reason})"
        except StoreError as error:
            message = f"{where}: auto-export not updated: {error}"
        else:
            self._told.pop(target, None)
            return AutoExportOutcome(item, "written", len(papers), f"{where}: {len(papers)} paper{'s' if len(papers) != 1 else ''}")
        self._tell(target, message)
        return AutoExportOutcome(item, "failed", 0, message)


def _file_hash(path: Path) -> str | None:
    """The hash of a file as it is now (None if there is none)."""
    try:
        return content_hash(path.expanduser().read_bytes())
    except FileNotFoundError:
        return None
    except IsADirectoryError as error:
        raise OSError(21, "is a folder, not a file", str(path)) from error
