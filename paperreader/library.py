"""The library as the CLI and the TUI use it: a store, its index, and imports.

This is the one place that knows the order of things: a digest is parsed (pure),
its papers are committed to the store in one transaction, and only then is the
index brought up to date from the store.  If the process dies in between, the
index simply lags and catches up the next time it is opened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .backup import looks_like_json, parse_backup
from .models import BUILTIN_VIEWS, Paper, ParsedPaper, SavedView
from .parser import parse_digest
from .paths import (
    DB_NAME, DISK_FULL, INDEX_NAME, describe_refusal, format_bytes, free_bytes, fs_refusal, mount_point, write_refusal,
)
from .store import Store, StoreError, View, now

if TYPE_CHECKING:  # Whoosh is imported only by commands that search.
    from .index import SearchIndex, SearchOutcome

__all__ = ["Library", "FileReport", "LibraryError", "ImportInterrupted", "space_needed", "find_digest_files", "MAX_FILE_BYTES"]

#: A digest is a few hundred KB; anything this large is not one.
MAX_FILE_BYTES = 64 * 1024 * 1024


class LibraryError(Exception):
    """The library cannot be used; the message is meant for the user."""


@dataclass(slots=True)
class FileReport:
    """The outcome of importing one file, for a one-line summary."""

    path: Path
    new: int = 0
    known: int = 0
    updated: int = 0
    digests: list[dt.date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    already_imported: bool = False
    #: For a JSON backup: how many read/bookmark states it restored.
    restored: int | None = None
    #: For a JSON backup: how many saved views it held.
    views: int = 0
    #: Digest dates that already had another page (its number of papers) before
    #: this file: two different pages for one day usually mean the file's year
    #: is wrong (copied files all get today's modification time), so --date helps.
    other_pages: dict[dt.date, int] = field(default_factory=dict)
    #: Set when the file system refused to store the file (``DISK_FULL``,
    #: ``READ_ONLY``...): the import stops there, since every file after it
    #: would be refused the same way.
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class ImportInterrupted(KeyboardInterrupt):
    """Ctrl+C during an import, with how far it got: the user is told in one line.

    Still a ``KeyboardInterrupt``, so code that does not know it stops as before.
    Every file reported ok is stored whole (each is one transaction); the
    search index catches up the next time it is opened.
    """

    def __init__(self, reports: list[FileReport], total: int, *, indexing: bool) -> None:
        super().__init__()
        self.reports = reports
        #: How many files the import was given (folders expanded).
        self.total = total
        #: True if it was stopped while the search index was being written.
        self.indexing = indexing

    @property
    def imported(self) -> int:
        """Files now in the library: imported by this run or already before it."""
        return sum(1 for report in self.reports if report.ok)


#: What a digest costs on disk per byte of its text: the library keeps about
#: 1.4 times its size (papers, digest dates, indexes) and the search index
#: about 0.9 times (measured: 200 synthetic days of 160 KB, 2.3 in all).
_BYTES_PER_DIGEST_BYTE = 2.5
#: Headroom for SQLite's write-ahead log (folded into the library every 4 MB
#: or so) and the index's fixed costs, which dominate small imports.
_LOG_HEADROOM = 4_000_000


#: Seconds between tries of an index write the file system refused (a full
#: disk): soon enough to catch up unasked once space is freed, rarely enough
#: not to write a disk full again at every keystroke.
_RETRY_REFUSED = 10.0


def space_needed(files: Sequence[Path]) -> int:
    """About how much free space importing ``files`` takes (for "free about N MB")."""
    size = 0
    for path in files:
        with contextlib.suppress(OSError):
            size += path.stat().st_size
    return int(size * _BYTES_PER_DIGEST_BYTE) + _LOG_HEADROOM


def find_digest_files(paths: Iterable[Path]) -> tuple[list[Path], list[FileReport]]:
    """Expand folders (recursively, ``*.txt``) and keep named files as they are.

    Returns the files in a stable order and reports for paths that do not exist.
    """
    files: list[Path] = []
    missing: list[FileReport] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.txt") if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            missing.append(FileReport(path, error="no such file or folder"))
    return files, missing


def _secure_dir(path: Path) -> None:
    """Create the data dir readable by its owner only (it holds reading habits)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


class Library:
    """An open library in ``data_dir``.  Close it (or use ``with``) when done."""

    def __init__(self, data_dir: Path, *, index_procs: int = 1, create: bool = True) -> None:
        """Open (creating if needed) the library in ``data_dir``.

        ``index_procs`` > 1 lets big index builds use several processes; only a
        single-threaded program (the CLI) may ask for that.  With ``create``
        false, a folder without a library raises :class:`LibraryError` and is
        left as it was (commands that only read or change existing papers).
        """
        self.data_dir = data_dir
        self.index_procs = index_procs
        db_path = data_dir / DB_NAME
        is_new = not db_path.exists() or db_path.stat().st_size == 0
        if is_new and (data_dir / INDEX_NAME / "paperreader-index.json").exists():
            # An index says a library lived here: never start over silently.
            state = "empty" if db_path.exists() else "missing"
            raise LibraryError(
                f"{db_path}: the library database is {state}, but {data_dir / INDEX_NAME} shows this folder "
                "held a library. Nothing was changed. Restore library.sqlite3 from a backup "
                "(or import a JSON backup into a new data dir); to start a new library here, "
                f"remove {data_dir / INDEX_NAME} first."
            )
        if is_new and not create:
            # A mistyped --data-dir must not quietly become an empty library.
            raise LibraryError(
                f"{data_dir}: no library here (nothing was created). Check --data-dir, "
                "or start one by importing digests: paperreader import PATH"
            )
        try:
            _secure_dir(data_dir)
        except OSError as error:
            raise LibraryError(f"{data_dir}: cannot create the data dir ({error.strerror or error})") from error
        try:
            self.store = Store.open(data_dir / DB_NAME)
        except StoreError as error:
            raise LibraryError(str(error)) from error
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        #: The ids of the last view searched, with the change mark they were read at.
        self._view_cache: dict[tuple[object, ...], tuple[tuple[int, int], frozenset[str]]] = {}
        #: When an index write the file system refused was last tried, and, if
        #: the index could not be opened at all, why (see :meth:`_open_index`).
        self._refused_at = 0.0
        self._unavailable: LibraryError | None = None
        #: Things the user should be told (e.g. the index was rebuilt).
        self.notices: list[str] = []
        if is_new:
            # Create the (empty) index with the library, so that a missing index
            # later really means a lost one, worth telling the user about.
            self.index()
            self.notices.clear()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        self.store.close()

    # -- the index -----------------------------------------------------------

    def index(self, progress: Callable[[int, int], None] | None = None) -> SearchIndex:
        """The search index, opened on first use and made to match the store.

        Thread-safe: the TUI's workers may ask for it at the same time.
        """
        with self._index_lock:
            return self._open_index(progress)

    def _open_index(self, progress: Callable[[int, int], None] | None) -> SearchIndex:
        """Open the index, or catch up one left behind by a refused write.

        A full disk may be freed at any moment, and then the index must catch
        up with nothing asked of the user; but every try on a disk still full
        writes until it fails, so a reader typing a query does not try at each
        keystroke: once every :data:`_RETRY_REFUSED` seconds.
        """
        from .index import IndexUnavailable, SearchIndex

        due = time.monotonic() - self._refused_at >= _RETRY_REFUSED
        if self._index is not None:
            if self._index.lag is not None and due:
                self._refused_at = time.monotonic()
                try:
                    self._index.update(self.store, progress)
                except IndexUnavailable as error:
                    raise LibraryError(str(error)) from error
            return self._index
        if self._unavailable is not None and not due:
            raise self._unavailable
        index = SearchIndex(self.data_dir / INDEX_NAME, procs=self.index_procs)
        try:
            notice = index.ensure(self.store, progress)
        except IndexUnavailable as error:  # missing or damaged, and no room to rebuild it
            self._refused_at, self._unavailable = time.monotonic(), LibraryError(str(error))
            raise self._unavailable from error
        self._unavailable = None
        if index.lag is not None:
            self._refused_at = time.monotonic()
        if notice:
            self.notices.append(notice)
        self._index = index
        return self._index

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index from the store on demand."""
        from .index import IndexUnavailable, SearchIndex

        if self._index is None:
            self._index = SearchIndex(self.data_dir / INDEX_NAME, procs=self.index_procs)
        try:
            return self._index.rebuild(self.store, progress)
        except IndexUnavailable as error:
            raise LibraryError(str(error)) from error

    def doctor(self) -> list[tuple[str, str]]:
        """Check the library and repair what can be repaired.

        Returns ``(status, message)`` pairs, status being "ok", "info" (normal,
        e.g. an index that lagged and caught up), "fixed" or "problem"
        (something the user must act on).
        """
        from .index import IndexUnavailable, SearchIndex

        findings: list[tuple[str, str]] = []
        try:
            problems = self.store.integrity_check()
        except sqlite3.DatabaseError as error:
            problems = [str(error)]
        if problems:
            first = " ".join(problems[0].split())
            findings.append((
                "problem",
                f"{self.store.path}: the integrity check found {len(problems)} problem"
                f"{'s' if len(problems) != 1 else ''} (first: {first[:120]}). Restore the library from a backup "
                "(paperreader import BACKUP.json into a new data dir).",
            ))
        else:
            findings.append(("ok", f"{self.store.path.name}: integrity check passed ({self.store.count():,} papers)"))
        findings += self._space_findings()
        with self._index_lock, self._refusals_found(findings, IndexUnavailable):
            if self._index is None:
                self._index = SearchIndex(self.data_dir / INDEX_NAME, procs=self.index_procs)
            # A damaged library cannot tell what the index should hold: leave it be.
            reason: str | None = None
            refused: str | None = None  # the file system refused to let the index catch up
            if not problems:
                # Lagging behind (after "paperreader tag add", say) is normal use:
                # caught up and told, never a rebuild.
                behind = self._index.behind(self.store)
                if behind:
                    refused = self._index.update(self.store)
                    findings.append((
                        "problem" if refused else "info",
                        refused
                        or f"{INDEX_NAME}/: {behind:,} paper{'s' if behind != 1 else ''} changed since the search "
                        "index last saw the library (normal after commands that do not search); caught up",
                    ))
                if refused is None:
                    reason = self._index.check(self.store)
            if problems:
                findings.append(("problem", f"{INDEX_NAME}/: not checked until the library is restored"))
            elif refused is not None:
                pass  # told above
            elif reason is None:
                findings.append(("ok", f"{INDEX_NAME}/: the search index matches the library"))
            else:
                count = self._index.rebuild(self.store)
                findings.append(("fixed", f"{INDEX_NAME}/: {reason}; rebuilt it ({count:,} paper{'s' if count != 1 else ''})"))
        for leftover in (self.data_dir / f"{INDEX_NAME}.new", self.data_dir / f"{INDEX_NAME}.old"):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
                if leftover.exists():
                    why = fs_refusal(leftover)
                    findings.append((
                        "problem",
                        f"{leftover.name}/: a half-built index left by an interrupted rebuild; cannot remove it"
                        + (f" ({describe_refusal(why, leftover)})" if why else ""),
                    ))
                else:
                    findings.append(("fixed", f"{leftover.name}/: removed a half-built index left by an interrupted rebuild"))
        if os.name == "posix":
            mode = self.data_dir.stat().st_mode & 0o777
            why = fs_refusal(self.data_dir) if mode & 0o077 else None
            if why is not None and why != DISK_FULL:  # (a full disk still takes a chmod)
                findings.append((
                    "problem",
                    f"{self.data_dir}: readable by others ({mode:o}); cannot change it ({describe_refusal(why, self.data_dir)})",
                ))
            elif mode & 0o077:
                self.data_dir.chmod(0o700)
                findings.append(("fixed", f"{self.data_dir}: was readable by others ({mode:o}); now owner only (700)"))
            else:
                findings.append(("ok", f"{self.data_dir}: readable by you only ({mode:o})"))
        return findings

    def _space_findings(self) -> list[tuple[str, str]]:
        """Doctor's word on the file system: a full disk or a read-only folder is the finding, not a crash."""
        why = fs_refusal(self.store.path) or self.store.read_only
        if why is None:
            return []
        if why == DISK_FULL:
            return [(
                "problem",
                f"{mount_point(self.data_dir)}: the disk is full ({format_bytes(free_bytes(self.data_dir) or 0)} free): "
                f"{self.store.path.name} cannot save changes (marks, imports) and the search index cannot catch up. "
                "Nothing stored is lost and reading works; free some space there and both catch up by themselves.",
            )]
        return [(
            "info",
            f"{self.data_dir}: cannot be written ({describe_refusal(why, self.store.path)}): reading and searching "
            "work; marks and imports cannot be saved here",
        )]

    @contextlib.contextmanager
    def _refusals_found(self, findings: list[tuple[str, str]], unavailable: type[Exception]) -> Iterator[None]:
        """Doctor's index checks: a write the file system refuses becomes a finding, not a crash."""
        try:
            yield
        except unavailable as error:
            findings.append(("problem", f"{INDEX_NAME}/: {error}"))
        except OSError as error:
            index_dir = self.data_dir / INDEX_NAME
            why = write_refusal(error, index_dir) or fs_refusal(index_dir)
            if why is None:
                raise
            findings.append((
                "problem",
                f"{INDEX_NAME}/: cannot bring the search index up to date ({describe_refusal(why, index_dir)}); "
                "searches answer from it as it is, and it catches up by itself once it can be written",
            ))

    # -- importing -------------------------------------------------------------

    def import_file(self, path: Path, *, date: dt.date | None = None) -> FileReport:
        """Parse one file and add its papers to the store (not yet the index).

        The file is added whole or not at all; a file already imported (same
        bytes) changes nothing.
        """
        report = FileReport(path)
        try:
            if not path.is_file():  # a device or a FIFO would be read forever
                report.error = "not a regular file"
                return report
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                report.error = f"too large for a digest ({size / 1e6:.0f} MB)"
                return report
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError as error:
            report.error = f"cannot read ({error.strerror or error})"
            return report
        if looks_like_json(data):
            return self._restore(report, data)
        digest = hashlib.sha256(data).hexdigest()
        previous = self.store.source(digest)
        if previous is not None:
            report.already_imported = True
            report.known = previous.papers
            return report
        reference = date or dt.datetime.fromtimestamp(mtime).date()
        parsed = parse_digest(data, reference)
        report.warnings = parsed.warnings
        report.digests = parsed.digest_dates
        if parsed.error:
            report.error = parsed.error
            return report
        report.other_pages = self._other_pages(parsed.papers)
        try:
            outcome = self.store.add(parsed.papers, sha256=digest, path=str(path), warnings=len(parsed.warnings))
        except Exception as error:  # noqa: BLE001 - reported per file; the transaction rolled back
            report.error = f"not imported: {error}"
            report.refused = error.reason if isinstance(error, StoreError) else None
            return report
        report.new, report.known, report.updated = len(outcome.new), len(outcome.known), len(outcome.updated)
        return report

    def _stored(self, path: Path) -> bool:
        """Whether the library holds this file (its bytes), e.g. after an interrupted import."""
        try:
            return self.store.source(hashlib.sha256(path.read_bytes()).hexdigest()) is not None
        except (OSError, StoreError, sqlite3.Error):
            return False

    def _other_pages(self, papers: Sequence[ParsedPaper]) -> dict[dt.date, int]:
        """The digest dates of ``papers`` that already hold a different page.

        A page is different when most of its papers for that day are not among
        the day's papers yet: the same page saved twice (a few more papers
        later in the day, other line endings) shares most of them.
        """
        found: dict[dt.date, int] = {}
        for day in sorted({d for paper in papers for d in paper.digests}):
            before = set(self.store.ids("all", digest=day))
            if not before:
                continue
            mine = {paper.id for paper in papers if day in paper.digests}
            if len(mine & before) * 2 < len(mine):
                found[day] = len(before)
        return found

    def _restore(self, report: FileReport, data: bytes) -> FileReport:
        """Merge a JSON backup: its papers, and its state where it is newer."""
        backup = parse_backup(data)
        report.warnings = backup.warnings
        if backup.error:
            report.error = backup.error
            return report
        try:
            with self.store.transaction():  # papers, state and citation keys: one change
                outcome, report.restored = self.store.restore(
                    backup.papers, backup.states, backup.views, upvotes=backup.upvotes
                )
                self.store.restore_keys(backup.keys)
        except Exception as error:  # noqa: BLE001 - reported; the transaction rolled back
            report.error = f"not restored: {error}"
            report.refused = error.reason if isinstance(error, StoreError) else None
            return report
        report.new, report.known, report.updated = len(outcome.new), len(outcome.known), len(outcome.updated)
        report.digests = sorted({d for p in backup.papers for d in p.digests})
        report.views = len(backup.views)
        return report

    def import_paths(
        self,
        paths: Sequence[Path],
        *,
        date: dt.date | None = None,
        progress: Callable[[FileReport, int, int], None] | None = None,
        index_progress: Callable[[int, int], None] | None = None,
    ) -> list[FileReport]:
        """Import files and folders; one index update at the end for all of them.

        The first file the file system refuses (a full disk, a read-only
        mount) ends the import: its report has ``refused`` set and the files
        after it are not tried (each would fail the same way).  The index is
        still updated with what was stored, and if it cannot be, one notice
        says so.  Ctrl+C raises :class:`ImportInterrupted` with the reports so far.
        """
        files, reports = find_digest_files(paths)
        indexing = True
        current: Path | None = None  # the file being imported, until its report is in
        failed_before: str | None = None  # an index failure told at the start, replaced by the final one
        try:
            if files:
                # Open the index first: it catches up with anything an interrupted
                # run left (and says so), so that what follows is just this import.
                try:
                    failed_before = self.index(index_progress).lag
                except Exception as error:  # noqa: BLE001 - the store is what matters; the index catches up later
                    failed_before = f"the search index could not be opened ({error}); it will catch up next time"
                    self.notices.append(failed_before)
            indexing = False
            for number, path in enumerate(files, 1):
                current = path
                report = self.import_file(path, date=date)
                reports.append(report)
                current = None
                if progress is not None:
                    progress(report, number, len(files))
                if report.refused:
                    break
            indexing = True
            if any(r.new or r.updated for r in reports):
                failed = None
                try:
                    with self._index_lock:
                        if self._index is None:
                            self._open_index(index_progress)
                            failed = self._index.lag if self._index is not None else None
                        else:
                            failed = self._index.update(self.store, index_progress)
                            if failed:
                                self.notices.append(failed)
                except Exception as error:  # noqa: BLE001 - the store has the papers; the index catches up later
                    failed = f"the search index could not be updated ({error}); it will catch up next time"
                    self.notices.append(failed)
                if failed and failed_before in self.notices:
                    self.notices.remove(failed_before)  # one line about the index, the latest
        except KeyboardInterrupt as interrupt:
            if current is not None and self._stored(current):
                reports.append(FileReport(current))  # committed just before Ctrl+C landed: it is in
            raise ImportInterrupted(reports, len(files), indexing=indexing) from interrupt
        return reports

    # -- reading -----------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        view: View = "all",
        digest: dt.date | None = None,
        tags: Sequence[str] = (),
        limit: int | None = 1000,
        sort: str = "relevance",
        count: bool = False,
        cancel: threading.Event | None = None,
        quick: bool = False,
    ) -> SearchOutcome:
        """Ranked search restricted to a view, a digest date and/or tags.

        ``cancel`` (set from another thread) abandons it, and ``quick`` asks
        for the top hits first with the count possibly estimated: see
        :meth:`SearchIndex.search`.
        """
        allowed = None
        if view != "all" or digest is not None or tags:
            allowed = self._view_ids(view, digest, tuple(tags))
        return self.index().search(
            query, allowed=allowed, limit=limit, sort=sort, count=count, cancel=cancel, quick=quick
        )

    def _view_ids(self, view: View, digest: dt.date | None, tags: tuple[str, ...]) -> frozenset[str]:
        """The ids of a view, kept until the library changes.

        Reading them costs ~0.1 s for half of a 100,000-paper library, and
        every keystroke of the filter searched in the same view.  The set is
        kept with the library's change counters (this connection's and other
        processes'), so marking one paper read, here or from the CLI, makes the
        next search read it again.
        """
        version = self.store.change_mark()
        key = (view, digest, tags)
        cached = self._view_cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        ids = frozenset(self.store.ids(view, digest=digest, tags=tags))
        self._view_cache = {key: (version, ids)}
        return ids

    def update_index(self) -> str | None:
        """Bring an open index up to date with the store (after tags or a note changed).

        An index not opened yet catches up when it is opened, so this is cheap
        for commands that never search.  Returns the notice when the file
        system refused the update (the index then answers as it was).
        """
        with self._index_lock:
            if self._index is not None:
                return self._index.update(self.store)
        return None

    def nearest_digests(self, day: dt.date, *, count: int = 2) -> list[dt.date]:
        """The digest dates closest to ``day`` (a mistyped or missing one), nearest first."""
        days = [digest for digest, _papers in self.store.digests()]
        return sorted(days, key=lambda d: (abs((d - day).days), d))[:count]

    def views(self) -> list[SavedView]:
        """Every view by name: the built-in ones (All papers, Today, Unread, Bookmarked), then the saved ones."""
        return [*BUILTIN_VIEWS, *self.store.views()]

    def find_view(self, name: str) -> SavedView | None:
        """The view called ``name``: a saved one first (the user named it so), else a built-in one.

        An exact name wins; otherwise the name may differ in case (``unread``).
        """
        candidates = [*self.store.views(), *BUILTIN_VIEWS]
        exact = [view for view in candidates if view.name == name]
        folded = [view for view in candidates if view.name.casefold() == name.casefold()]
        return (exact or folded or [None])[0]

    def view_digest(self, view: SavedView) -> dt.date | None:
        """The digest date a saved view means now ("newest" is whichever digest is newest today)."""
        if view.digest == "newest":
            days = self.store.digests()
            return days[0][0] if days else None
        return dt.date.fromisoformat(view.digest) if view.digest else None

    def view_counts(self, view: SavedView) -> tuple[int, int]:
        """How many papers a saved view shows now, and how many of them are unread."""
        digest = self.view_digest(view)
        shown = set(self.store.ids(view.state, digest=digest))  # type: ignore[arg-type]
        unread = shown & set(self.store.ids("unread", digest=digest)) if view.state != "read" else set()
        if not view.query:
            return len(shown), len(unread)
        index = self.index()
        total = index.search(view.query, allowed=shown, limit=1, count=True)
        if total.error:
            return 0, 0
        return total.total, (index.search(view.query, allowed=unread, limit=1, count=True).total if unread else 0)

    def topics(self, digest: dt.date, *, top: int = 8) -> list[str]:
        """The key terms of one digest: what its papers are about, compared with the library."""
        texts = [f"{title}. {abstract}" for title, abstract in self.store.digest_text(digest)]
        return self.index().key_terms(texts, top=top)

    def write_backup(self, handle: TextIO) -> int:
        """Write the whole library as a JSON backup; returns the number of papers."""
        from .backup import backup_json

        count = 0

        def papers() -> Iterator[Paper]:
            nonlocal count
            for paper in self.store.iter_papers():
                count += 1
                yield paper

        for chunk in backup_json(papers(), self.store.views(), created_at=now(), history=self.store.upvote_history):
            handle.write(chunk)
        return count

    def papers_for(self, ids: Sequence[str]) -> list[Paper]:
        """Papers in the order of ``ids`` (as ranked by a search)."""
        found = self.store.get_many(ids)
        return [found[i] for i in ids if i in found]

