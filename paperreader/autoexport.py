"""Auto-exports: files named in the config file that keep themselves up to date.

A researcher's ``.bib`` for LaTeX, a CSL JSON for pandoc, a notes folder for
Obsidian: each ``[[export]]`` of the config file names a path, a format and a
selection (``tag:thesis``), and is rewritten whenever what it would hold
changes, whoever changed the library (the reader, a CLI command).

How it follows the library: it reads the journal (paperreader/journal.py),
the one record of every change of user state and of every paper added or taken
out, whoever made it: the reader, a CLI command, sync.  A hook on the store's
commits (:meth:`~paperreader.store.Store.add_commit_hook`) tells it to look;
a commit that journals nothing (a citation key, the reader's own settings, a
sync file's offset, the triage signals) is no change of any export.  Once an
export has been written, it knows the papers it holds, and a later flush asks
the journal which papers changed since: an export none of them is in, or
enters, is left alone without rendering it; a notes folder rewrites only the
files of those papers.  The first flush of a process looks at everything and
compares the result with what was last written (a hash kept in the store).

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

from . import __version__
from .exports import SelectionError, content_hash, export, export_target, select_papers, write_atomically, write_notes
from .store import StoreError
from .text import printable

if TYPE_CHECKING:
    from .config import AutoExport
    from .library import Library
    from .models import Paper

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
        #: The journal position the exports were brought up to (None: not yet in this
        #: process, so the next flush looks at every export whole).
        self._position: int | None = None
        #: Each export's papers as last written: a change must touch or enter them to matter.
        self._members: dict[str, frozenset[str]] = {}

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
        if self._position is not None and self.library.store.journal.position() == self._position:
            return  # nothing journaled: no paper or view changed
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
                journal = self.library.store.journal
                changes: tuple[set[str], set[str]] | None = None
                if self._position is None or force:
                    position = journal.position()
                else:
                    position, papers, views = journal.changed_since(self._position)
                    changes = (papers, views)
                outcomes = [self._export(item, force, changes) for item in self.exports]
                self._position = position
                return outcomes
            finally:
                self._flushing = None

    def _tell(self, target: str, message: str) -> None:
        """Notify a problem once per export (the reader is not told it again at every keystroke)."""
        if self._told.get(target) != message:
            self._told[target] = message
            self._notify(message)

    def _export(self, item: AutoExport, force: bool, changes: tuple[set[str], set[str]] | None) -> AutoExportOutcome:
        """Bring one export up to date; ``changes``: the papers and views changed since it last was (None: unknown)."""
        where = printable(str(item.path))
        target = export_target(item.path)
        store = self.library.store
        members = self._members.pop(target, None)  # put back only once this export is up to date
        if changes is not None and members is not None:
            papers_changed, views_changed = changes
            if not papers_changed and (item.selection.view is None or item.selection.view not in views_changed):
                self._members[target] = members
                return AutoExportOutcome(item, "unchanged", len(members))
        else:
            changes = members = None
        try:
            papers = select_papers(self.library, item.selection)
            ids = frozenset(paper.id for paper in papers)
            if changes is not None and members is not None and ids == members and not changes[0] & members:
                self._members[target] = members  # the changed papers are not in it and did not enter it
                return AutoExportOutcome(item, "unchanged", len(papers))
            with store.transaction():
                keys = store.ensure_keys([paper.id for paper in papers])
                papers = [dataclasses.replace(paper, key=keys.get(paper.id)) for paper in papers]
                if item.format == "notes":
                    digest = notes_fingerprint(papers)
                    record = store.auto_export_record(target)
                    if record is not None and record[0] == digest and item.path.is_dir():
                        self._members[target] = ids
                        return AutoExportOutcome(item, "unchanged", len(papers))
                    # The folder is this export's own: a paper that left the selection loses its file.
                    if changes is not None and members is not None and item.path.is_dir():
                        # Only the files of the papers that changed, entered or left; the rest are as written.
                        touched = changes[0] | (ids ^ members)
                        outcome = write_notes(item.path, papers, only=touched, prune=True)
                    else:
                        outcome = write_notes(item.path, papers, prune=True)
                    if outcome.kept:
                        self._tell(
                            target + "#kept",
                            f"{where}: {len(outcome.kept)} note file(s) of papers no longer selected kept, as they hold "
                            f"your text below the marker line (first: {printable(outcome.kept[0].name)})",
                        )
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
                        # The record is this library's: another library sharing the config file may have written it.
                        raise _Edited(
                            "was not written by this library (written by hand, or by another library)"
                            if record is None
                            else "was changed since this library last wrote it (by hand, or by another library)"
                        )
                    if record is not None and record[0] == digest and current == digest:
                        self._members[target] = ids
                        return AutoExportOutcome(item, "unchanged", len(papers))
                    write_atomically(item.path, text)
                store.set_auto_export_record(target, digest, len(papers))
            self._members[target] = ids
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


def notes_fingerprint(papers: Sequence[Paper]) -> str:
    """What a notes folder holds, as one hash, without rendering a note.

    Rendering every note of a 100,000-paper selection takes seconds; the
    papers' fields (everything a note is made of) and paperreader's version
    (what the notes look like) say as much about whether the folder changed.
    """
    return content_hash(__version__ + "\n" + "\n".join(map(repr, papers)))


def _file_hash(path: Path) -> str | None:
    """The hash of a file as it is now (None if there is none)."""
    try:
        return content_hash(path.expanduser().read_bytes())
    except FileNotFoundError:
        return None
    except IsADirectoryError as error:
        raise OSError(21, "is a folder, not a file", str(path)) from error
