"""The library's one source of truth: an SQLite database in the data dir.

Papers, the digests they appeared in, the files they came from and the user's
state (read, bookmarked, with timestamps) all live here.  The Whoosh index is
derived from this store and can always be rebuilt from it.

Durability choices, learnt from other readers' failures:

* WAL journal with ``synchronous=FULL``: a committed change survives a killed
  process *and* a power cut (newsboat's ``synchronous=OFF`` corrupts libraries);
* every change is its own transaction, committed at once (elfeed saves on exit
  and loses read marks when it crashes);
* bulk state changes return what they replaced, so callers can undo them
  (newsboat's "mark all read" cannot be undone).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import journal
from .journal import BOOKMARKED, IMPORTED, JOURNAL_SCHEMA, NOTE, PAPER, READ, TAG, VIEW, Change, flag, view_value
from .links import extract_links, join_links, split_links
from .models import STATES, DigestDay, Paper, ParsedPaper, SavedView, Stats
from .paths import DISK_FULL, READ_ONLY, describe_refusal, fs_refusal

__all__ = [
    "Store", "StoreError", "StateSnapshot", "AddOutcome", "SourceRecord", "Row", "RowCache", "Counts", "now", "View",
    "InterestSignals", "Observation",
]

SCHEMA_VERSION = 4

#: Which papers a listing or a search is restricted to.
View = Literal["all", "unread", "read", "bookmarked"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS papers (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    abstract      TEXT NOT NULL,
    authors       INTEGER,
    organization  TEXT,
    published     TEXT,             -- ISO date
    upvotes       INTEGER,
    meta_digest   TEXT NOT NULL,    -- digest date the content above comes from
    last_digest   TEXT NOT NULL,    -- newest digest date it appeared in (for sorting)
    added_at      TEXT NOT NULL,
    rev           INTEGER NOT NULL, -- content revision, for the index to catch up
    read          INTEGER NOT NULL DEFAULT 0,
    read_at       TEXT,
    bookmarked    INTEGER NOT NULL DEFAULT 0,
    bookmarked_at TEXT,
    note          TEXT NOT NULL DEFAULT '',
    note_at       TEXT,
    tags_at       TEXT,             -- when the paper's tags last changed
    links         TEXT NOT NULL DEFAULT ''  -- the http(s) links of the abstract, one a line (links.py)
);
CREATE INDEX IF NOT EXISTS papers_last_digest ON papers (last_digest DESC, id);
CREATE INDEX IF NOT EXISTS papers_rev ON papers (rev);
CREATE TABLE IF NOT EXISTS sources (
    id          INTEGER PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    papers      INTEGER NOT NULL,
    new         INTEGER NOT NULL,
    warnings    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS appearances (
    paper_id  TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    digest    TEXT NOT NULL,        -- ISO date of the digest page
    source_id INTEGER REFERENCES sources (id),
    upvotes   INTEGER,              -- the upvotes that digest page showed (NULL: none, or not known)
    PRIMARY KEY (paper_id, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS appearances_digest ON appearances (digest);
CREATE TABLE IF NOT EXISTS tags (
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (paper_id, tag)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_tag ON tags (tag);
CREATE TABLE IF NOT EXISTS views (
    name       TEXT PRIMARY KEY,
    query      TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'all',
    digest     TEXT,                -- NULL (every digest), 'newest' or an ISO date
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (   -- the reader's preferences (the theme picked in it)
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cite_keys (  -- a paper's citation key: chosen at its first export, then kept
    paper_id TEXT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    key      TEXT NOT NULL COLLATE NOCASE UNIQUE,
    pinned   INTEGER NOT NULL DEFAULT 0,  -- chosen by the user (paperreader key ID NEWKEY)
    set_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS exported (   -- which papers went to which export file (export --new)
    target      TEXT NOT NULL,
    paper_id    TEXT NOT NULL,
    exported_at TEXT NOT NULL,
    PRIMARY KEY (target, paper_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS auto_exports (  -- the last write of each auto-export of the config file
    target     TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,   -- of what was written: a file that differs was edited by hand
    papers     INTEGER NOT NULL,
    written_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observations (  -- what the reader saw the user do with a paper: "for you" signals, not state
    paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,   -- 'opened' (enter, or paged through) or 'passed' (n without opening it)
    at       TEXT NOT NULL,
    PRIMARY KEY (paper_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observations_at ON observations (kind, at);
"""

#: Indexes on columns an upgrade may add: made after the upgrades (a new index needs no version either).
_INDEXES = (
    # The kept papers ("for you" learns from them), found without reading every row of papers.
    "CREATE INDEX IF NOT EXISTS papers_kept ON papers (id) WHERE bookmarked = 1 OR note != ''",
)

#: Schema changes from one version to the next, run in order inside the
#: opening transaction (the tables above are created IF NOT EXISTS already).
#: A new table alone needs no new version: it appears in an older library when
#: it is opened, and an older paperreader ignores it (``settings`` came so).
_UPGRADES: dict[int, tuple[str, ...]] = {
    2: (
        "ALTER TABLE papers ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE papers ADD COLUMN note_at TEXT",
        "ALTER TABLE papers ADD COLUMN tags_at TEXT",
    ),
    # The journal (paperreader/journal.py): its tables are created with the
    # rest; the new version keeps an older paperreader, which would change
    # state without recording it, from opening the library.
    3: (),
    # The page's own signals (Store._upgrade_to_4: columns only where missing,
    # and the links need Python): each appearance keeps the upvotes its page
    # showed (an older library knows only the newest figure, that of its
    # meta_digest page), and a paper keeps the links of its abstract.
    4: (),
}

#: A paper's tags as one space-separated, sorted string (tags hold no spaces).
_TAGS_OF = "(SELECT group_concat(tag, ' ') FROM (SELECT tag FROM tags t WHERE t.paper_id = {p}.id ORDER BY tag))"

#: A paper's momentum: its newest known upvotes minus its earliest (NULL when no page showed any).
_RISE = (
    "((SELECT a.upvotes FROM appearances a WHERE a.paper_id = {p}.id AND a.upvotes IS NOT NULL "
    "ORDER BY a.digest DESC LIMIT 1) - (SELECT a.upvotes FROM appearances a WHERE a.paper_id = {p}.id "
    "AND a.upvotes IS NOT NULL ORDER BY a.digest LIMIT 1))"
)

_PAPER_COLUMNS = (
    "p.id, p.title, p.abstract, p.authors, p.organization, p.published, p.upvotes, "
    "p.read, p.bookmarked, p.read_at, p.bookmarked_at, p.added_at, p.note, p.note_at, p.tags_at, "
    "(SELECT group_concat(digest, ' ') FROM "
    "(SELECT digest FROM appearances a WHERE a.paper_id = p.id ORDER BY digest)) AS digests, "
    f"{_TAGS_OF.format(p='p')} AS tags, "
    "(SELECT k.key FROM cite_keys k WHERE k.paper_id = p.id) AS cite_key, p.links, "
    f"{_RISE.format(p='p')} AS rise, "
    "CASE WHEN p.bookmarked = 1 AND p.bookmarked_at IS NOT NULL THEN coalesce("
    "(SELECT a.upvotes FROM appearances a WHERE a.paper_id = p.id AND a.upvotes IS NOT NULL "
    "AND a.digest <= substr(p.bookmarked_at, 1, 10) ORDER BY a.digest DESC LIMIT 1), "
    "(SELECT a.upvotes FROM appearances a WHERE a.paper_id = p.id AND a.upvotes IS NOT NULL ORDER BY a.digest LIMIT 1)"
    ") END AS bookmark_upvotes"
)

#: The content columns a newer digest may replace, in this order.
_CONTENT = ("title", "abstract", "authors", "organization", "published", "upvotes")

_ORDERS = {
    "digest": "p.last_digest DESC, p.rowid",
    "published": "p.published IS NULL, p.published DESC, p.last_digest DESC, p.rowid",
    "upvotes": "p.upvotes IS NULL, p.upvotes DESC, p.last_digest DESC, p.rowid",
    "title": "p.title COLLATE NOCASE, p.rowid",
    # The most upvotes gained since first seen; then the most upvotes.
    "momentum": f"{_RISE.format(p='p')} IS NULL, {_RISE.format(p='p')} DESC, p.upvotes IS NULL, p.upvotes DESC, "
    "p.last_digest DESC, p.rowid",
}


class StoreError(Exception):
    """The store cannot be opened or written; the message says why and what to do.

    ``reason`` is set when the file system refused a write (``DISK_FULL``,
    ``READ_ONLY``, ...): nothing is wrong with the library, and callers stop
    trying to write (an import stops at the first such file) while reading
    goes on.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


#: SQLite's own "read-only" without a file-system cause (a read-only connection).
_READ_ONLY_DATABASE = "the database is read-only"


def _refusal(error: sqlite3.Error, path: Path) -> str | None:
    """Why SQLite could not write, if the file system (or a read-only open) is why.

    SQLite says ``SQLITE_FULL`` for a full disk only when a write to the file
    itself fails; a full disk met while growing the shared-memory file is an
    ``SQLITE_IOERR_SHMSIZE``, and a read-only folder shows as
    ``SQLITE_CANTOPEN`` (no ``-shm`` can be made) or ``SQLITE_READONLY``.
    Those codes are asked of the file system, which says whether it refuses
    writes; only then is it a refusal and not damage.
    """
    name = getattr(error, "sqlite_errorname", "") or ""
    if name == "SQLITE_FULL" or (not name and "database or disk is full" in str(error)):
        return DISK_FULL
    readonly = name.startswith("SQLITE_READONLY") or (not name and "readonly" in str(error))
    if readonly or name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR")):
        return fs_refusal(path) or (_READ_ONLY_DATABASE if readonly else None)
    return None


def _cannot_write(path: Path, reason: str) -> StoreError:
    """The one line for a write the file system refused."""
    return StoreError(f"{path}: cannot write the library ({describe_refusal(reason, path)}); nothing was changed", reason=reason)


def now() -> str:
    """A UTC timestamp with milliseconds; sorts as text, compares across machines."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class StateSnapshot:
    """A paper's user state at one moment: what an undo puts back."""

    id: str
    read: bool
    read_at: str | None
    bookmarked: bool
    bookmarked_at: str | None
    tags: tuple[str, ...] = ()
    tags_at: str | None = None
    note: str = ""
    note_at: str | None = None


@dataclass(slots=True)
class Counts:
    """What a status line shows; kept up to date by deltas between re-reads."""

    papers: int
    unread: int
    bookmarked: int

    def apply(self, before: Iterable[StateSnapshot], after: Iterable[StateSnapshot]) -> None:
        """Adjust for papers whose state went from ``before`` to ``after``."""
        for old, new in zip(before, after):
            self.unread += int(old.read) - int(new.read)
            self.bookmarked += int(new.bookmarked) - int(old.bookmarked)


@dataclass(slots=True)
class Row:
    """What a list pane shows of a paper (mutable: state flips in place)."""

    id: str
    title: str
    read: bool
    bookmarked: bool
    upvotes: int | None
    last_digest: str
    published: str | None
    tags: tuple[str, ...] = ()
    has_note: bool = False
    #: Upvotes gained since the earliest figure known (None: no page showed any).
    rise: int | None = None


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What adding one digest file changed."""

    new: list[str]
    known: list[str]
    updated: list[str]  # known papers whose content or digest dates changed
    source_id: int


@dataclass(frozen=True, slots=True)
class SourceRecord:
    sha256: str
    path: str
    imported_at: str
    papers: int
    new: int
    warnings: int


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _paper(row: sqlite3.Row) -> Paper:
    return Paper(
        id=row["id"],
        title=row["title"],
        abstract=row["abstract"],
        digests=tuple(dt.date.fromisoformat(d) for d in (row["digests"] or "").split()),
        authors=row["authors"],
        organization=row["organization"],
        published=_date(row["published"]),
        upvotes=row["upvotes"],
        read=bool(row["read"]),
        bookmarked=bool(row["bookmarked"]),
        read_at=row["read_at"],
        bookmarked_at=row["bookmarked_at"],
        added_at=row["added_at"],
        tags=tuple((row["tags"] or "").split()),
        tags_at=row["tags_at"],
        note=row["note"],
        note_at=row["note_at"],
        key=row["cite_key"],
        links=split_links(row["links"]),
        rise=row["rise"],
        bookmark_upvotes=row["bookmark_upvotes"],
    )


def _view_json(view: SavedView | None) -> str | None:
    """A saved view's filter as the journal writes it (None: no such view)."""
    return None if view is None else view_value(view.query, view.state, view.digest)


def _tag_changes(paper_id: str, before: Iterable[str], after: Iterable[str]) -> list[Change]:
    """One journal change per tag added or removed: tags merge tag by tag."""
    old, new = set(before), set(after)
    return [(paper_id, TAG + tag, "0", "1") for tag in sorted(new - old)] + [
        (paper_id, TAG + tag, "1", "0") for tag in sorted(old - new)
    ]


def _chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


#: What the reader saw the user do with a paper (see :meth:`Store.observe`).
Observation = Literal["opened", "passed"]


@dataclass(frozen=True, slots=True)
class InterestSignals:
    """Papers by what the user did with them: kept (strong), opened (weak), passed over (weak, negative)."""

    kept: list[str]
    opened: list[str]
    passed: list[str]


class Store:
    """An open library database.  Thread-safe: one connection behind a lock.

    Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, *, read_only: str | None = None) -> None:
        self._db = connection
        self.path = path
        self._lock = threading.RLock()
        #: Why the library was opened for reading only (a full disk, a read-only
        #: mount), or None: it can be written.
        self.read_only = read_only
        #: The wall clock the journal's hybrid logical clock reads (seconds); a test skews it.
        self.clock: Callable[[], float] = time.time
        #: Called after every committed change (see :meth:`add_commit_hook`).
        self._commit_hooks: list[Callable[[], None]] = []

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating if needed) the database at ``path``.

        A file that is not an SQLite database, or is damaged, raises
        :class:`StoreError` naming it: it is never replaced by an empty library.
        A library the file system will not let SQLite write (a read-only mount,
        a full disk) is opened for reading: :attr:`read_only` says why, and
        every write then fails with one clear line instead of the whole
        library being called damaged.
        """
        cause: Exception
        try:
            return cls._open_writable(path)
        except StoreError as error:  # the opening transaction was refused
            if error.reason is None:
                raise
            reason, cause = error.reason, error
        except sqlite3.DatabaseError as error:
            found = _refusal(error, path)
            if found is None:
                raise cls._damaged(path, error) from error
            reason, cause = found, error
        if not path.exists() or path.stat().st_size == 0:
            raise StoreError(
                f"{path}: cannot create the library ({describe_refusal(reason, path)}); nothing was changed",
                reason=reason,
            ) from cause
        return cls._open_read_only(path, reason)

    @classmethod
    def _open_writable(cls, path: Path) -> Store:
        try:
            db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            reason = fs_refusal(path)
            raise StoreError(
                f"{path}: cannot open the library database ({describe_refusal(reason, path) if reason else error})",
                reason=reason,
            ) from error
        try:
            cls._configure(db)
            store = cls(db, path)
            store._migrate()
        except BaseException:
            db.close()
            raise
        return store

    @staticmethod
    def _configure(db: sqlite3.Connection) -> None:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA busy_timeout = 30000")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.DatabaseError(f"cannot use write-ahead logging (journal mode {mode})")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")

    @classmethod
    def _open_read_only(cls, path: Path, reason: str) -> Store:
        """Open the library for reading where SQLite may not write.

        SQLite reads a WAL database read-only when its ``-shm`` file exists or
        can be made (``mode=ro``).  When it can be neither (a read-only folder,
        a full disk) the file can still be read as ``immutable`` — but that
        ignores the write-ahead log, so it is done only when the log holds
        nothing (after a clean close it is gone); a log with changes in it is
        reported rather than silently showing the library as it was before them.
        """
        wal = path.with_name(path.name + "-wal")
        uri = path.resolve().as_uri() + "?mode=ro"
        uris = [uri]
        if not wal.exists() or wal.stat().st_size == 0:
            uris.append(uri + "&immutable=1")
        for candidate in uris:
            db = sqlite3.connect(candidate, uri=True, timeout=30.0, isolation_level=None, check_same_thread=False)
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA busy_timeout = 30000")
                store = cls(db, path, read_only=reason)
                store._check_schema()
                return store
            except sqlite3.DatabaseError as error:
                db.close()
                if _refusal(error, path) is None:
                    raise cls._damaged(path, error) from error
        raise StoreError(
            f"{path}: cannot read the library ({describe_refusal(reason, path)}): its write-ahead log "
            f"{wal.name} holds changes SQLite reads only where it may write {path.name}-shm. Nothing was changed; "
            + ("free some space" if reason == DISK_FULL else "open it where the folder can be written")
            + " and try again.",
            reason=reason,
        )

    @staticmethod
    def _damaged(path: Path, error: sqlite3.Error) -> StoreError:
        return StoreError(
            f"{path}: the library database is damaged or not a database ({error}). "
            "Nothing was changed. Restore it from a backup (import a JSON backup into a new data dir: "
            "paperreader --data-dir NEW import BACKUP.json), or move it away to start a new library."
        )

    def _check_schema(self) -> None:
        """Reading without writing: the schema must be this version's (no upgrade can be written)."""
        version = self._meta("schema_version")
        if version is None or int(version) > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"not a library of this paperreader (schema {version})")
        if int(version) < SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the library needs an upgrade to this paperreader's schema, which cannot be written "
                f"({describe_refusal(self.read_only or READ_ONLY, self.path)}); open it once where it can be written",
                reason=self.read_only,
            )

    def refusal(self) -> str | None:
        """Why a write would be refused now (``DISK_FULL``, ``READ_ONLY``...), or None.

        For writes made only by the way (an export keeping its citation keys):
        they are skipped where they would fail, so what the user asked for
        (the export) still happens.
        """
        with self._lock:
            self._reopen_writable()
            return self.read_only or fs_refusal(self.path)

    def _reopen_writable(self) -> None:
        """A library opened read-only because the disk was full: writable again once space is free."""
        if self.read_only != DISK_FULL or fs_refusal(self.path) is not None:
            return
        try:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            self._configure(db)
        except sqlite3.Error:
            return
        self._db.close()
        self._db, self.read_only = db, None

    def _migrate(self) -> None:
        with self.transaction():
            # executescript() would COMMIT the open transaction; run statements one by one.
            for statement in (_SCHEMA + JOURNAL_SCHEMA).split(";"):
                if statement.strip():
                    self._db.execute(statement)
            if self._meta("device") is None:  # a new library, or one from before the journal
                self._set_meta("device", journal.new_device_name())
                # Where the name was given: a copy elsewhere must not sync under it too (paperreader/sync.py).
                with contextlib.suppress(OSError):
                    self._set_meta(journal.DEVICE_HOME, journal.device_home(self.path))
            version = self._meta("schema_version")
            if version is None:
                self._set_meta("schema_version", str(SCHEMA_VERSION))
                self._set_meta("store_uuid", uuid.uuid4().hex)
                self._set_meta("rev", "0")
            elif int(version) > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(
                    f"written by a newer paperreader (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            else:
                for target in range(int(version) + 1, SCHEMA_VERSION + 1):
                    for statement in _UPGRADES.get(target, ()):
                        self._db.execute(statement)
                    if target == 4:
                        self._upgrade_to_4()
                    self._set_meta("schema_version", str(target))
            for statement in _INDEXES:
                self._db.execute(statement)

    def _upgrade_to_4(self) -> None:
        """Upvotes per appearance and links per paper (inside the upgrade's transaction)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(appearances)")}
        if "upvotes" not in columns:
            self._db.execute("ALTER TABLE appearances ADD COLUMN upvotes INTEGER")
            self._db.execute(
                "UPDATE appearances SET upvotes = (SELECT p.upvotes FROM papers p "
                "WHERE p.id = appearances.paper_id AND p.meta_digest = appearances.digest)"
            )
        if "links" not in {row[1] for row in self._db.execute("PRAGMA table_info(papers)")}:
            self._db.execute("ALTER TABLE papers ADD COLUMN links TEXT NOT NULL DEFAULT ''")
        found = [
            (join_links(extract_links(abstract)), paper_id)
            for paper_id, abstract in self._db.execute("SELECT id, abstract FROM papers WHERE abstract LIKE '%http%'")
        ]
        self._db.executemany("UPDATE papers SET links = ? WHERE id = ?", [row for row in found if row[0]])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and metadata --------------------------------------------

    def transaction(self) -> _Transaction:
        """``with store.transaction():`` runs its body as one atomic, durable change."""
        return _Transaction(self)

    def add_commit_hook(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` after every change this connection commits (in the committing thread).

        Auto-exports use it to follow every change of user state, whoever
        made it (the reader, a CLI command), without each caller knowing about
        them.  The hook runs outside the store's lock and must not raise; it
        is told only *that* something changed, so moving it onto a journal of
        changes later means calling it from there instead.
        """
        self._commit_hooks.append(hook)

    def _run_commit_hooks(self) -> None:
        for hook in list(self._commit_hooks):
            hook()

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def uuid(self) -> str:
        """A random id of this library, so an index knows which store it mirrors."""
        with self._lock:
            return self._meta("store_uuid") or ""

    @property
    def rev(self) -> int:
        """The content revision: it grows with every change the index must see."""
        with self._lock:
            return int(self._meta("rev") or 0)

    @property
    def device(self) -> str:
        """This library's device name (host name and a random suffix): who made each action."""
        with self._lock:
            return self._meta("device") or ""

    @property
    def journal(self) -> journal.Journal:
        """Undo, redo and the history of this library's changes (paperreader/journal.py)."""
        return journal.Journal(self)

    def _record(self, kind: str, label: str, changes: Sequence[Change], stamp: str, **links: int | None) -> int | None:
        """Journal an action inside the transaction that made its changes (None: nothing changed)."""
        return journal.record(
            self._db, None, kind, label, changes, stamp=stamp, wall_ms=journal.wall_ms(self), **links
        )

    # -- adding papers --------------------------------------------------------

    def source(self, sha256: str) -> SourceRecord | None:
        """The record of an already imported file with this content, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, path, imported_at, papers, new, warnings FROM sources WHERE sha256 = ?", (sha256,)
            ).fetchone()
        return SourceRecord(*row) if row else None

    def add(self, papers: Sequence[ParsedPaper], *, sha256: str, path: str, warnings: int) -> AddOutcome:
        """Add one parsed digest file's papers in one transaction.

        New papers are inserted; known ones gain the new digest dates and keep
        their title and abstract, and take the metadata (authors, organisation,
        published, upvotes) of a digest at least as new as the one they have.
        User state is never touched.
        """
        stamp = now()
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO sources (sha256, path, imported_at, papers, new, warnings) VALUES (?, ?, ?, ?, 0, ?)",
                (sha256, path, stamp, len(papers), warnings),
            )
            source_id = cursor.lastrowid
            assert source_id is not None
            new, known, updated = self._merge(papers, source_id)
            self._db.execute("UPDATE sources SET new = ? WHERE id = ?", (len(new), source_id))
            # Papers other devices marked, tagged or annotated before they arrived here take that state now.
            self._bump(sorted(journal.settle_arrivals(self._db, new, stamp)))
            days = sorted({day for paper in papers for day in paper.digests})
            label = f"imported {journal.describe_days(days)} ({len(papers):,} paper{'s' if len(papers) != 1 else ''})"
            self._record("import", label, self._import_changes(papers, new), stamp, source=source_id)
        return AddOutcome(new, known, updated, source_id)

    @staticmethod
    def _import_changes(papers: Sequence[ParsedPaper], new: Sequence[str]) -> list[Change]:
        """The journal's record of an import: each paper with the digest days the file brought it."""
        fresh = set(new)
        return [
            (paper.id, IMPORTED, None if paper.id in fresh else "1", " ".join(d.isoformat() for d in sorted(paper.digests)))
            for paper in papers
        ]

    def _merge(self, papers: Sequence[ParsedPaper], source_id: int | None) -> tuple[list[str], list[str], list[str]]:
        """Insert or merge papers (inside a transaction): ``(new, known, updated)`` ids."""
        new: list[str] = []
        known: list[str] = []
        updated: list[str] = []
        stamp = now()
        rev = int(self._meta("rev") or 0) + 1
        existing = self._rows_by_id([p.id for p in papers])
        for paper in papers:
            newest = max(paper.digests).isoformat()
            values = (
                paper.title,
                paper.abstract,
                paper.authors,
                paper.organization,
                paper.published.isoformat() if paper.published else None,
                paper.upvotes,
            )
            old = existing.get(paper.id)
            changed = False
            if old is None:
                self._db.execute(
                    "INSERT INTO papers (id, title, abstract, authors, organization, published, upvotes, "
                    "meta_digest, last_digest, added_at, rev, links) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (paper.id, *values, newest, newest, stamp, rev, join_links(extract_links(paper.abstract))),
                )
                new.append(paper.id)
            else:
                known.append(paper.id)
                if newest >= old["meta_digest"]:
                    current = tuple(old[name] for name in _CONTENT)
                    # The title and abstract first stored stay (the same paper seen
                    # again keeps the words the user read); newer metadata wins.
                    merged = (
                        current[0],
                        current[1] or values[1],
                        *(v if v is not None else c for v, c in zip(values[2:], current[2:])),
                    )
                    if merged != current or newest != old["meta_digest"]:
                        self._db.execute(
                            "UPDATE papers SET title = ?, abstract = ?, authors = ?, organization = ?, "
                            "published = ?, upvotes = ?, meta_digest = ?, links = ? WHERE id = ?",
                            (*merged, newest, join_links(extract_links(merged[1])), paper.id),
                        )
                        changed = merged != current
            for day in paper.digests:
                # Each appearance keeps the upvotes its own page showed: a later
                # digest adds its figure, a re-import leaves a known one alone.  A
                # paper seen on several days of one file (pasted pages, a backup)
                # carries the newest page's figure: only that day's is known.
                figure = paper.upvotes if day.isoformat() == newest else None
                inserted = self._db.execute(
                    "INSERT OR IGNORE INTO appearances (paper_id, digest, source_id, upvotes) VALUES (?, ?, ?, ?)",
                    (paper.id, day.isoformat(), source_id, figure),
                ).rowcount
                if not inserted and figure is not None:
                    filled = self._db.execute(
                        "UPDATE appearances SET upvotes = ? WHERE paper_id = ? AND digest = ? AND upvotes IS NULL",
                        (figure, paper.id, day.isoformat()),
                    ).rowcount
                    changed = changed or bool(filled)  # its momentum changed: the index sorts by it
                changed = changed or bool(inserted and old is not None)
            if old is not None and changed:
                self._db.execute(
                    "UPDATE papers SET rev = ?, last_digest = max(last_digest, ?) WHERE id = ?",
                    (rev, newest, paper.id),
                )
                updated.append(paper.id)
        if new or updated:
            self._set_meta("rev", str(rev))
        return new, known, updated

    def restore(
        self,
        papers: Sequence[ParsedPaper],
        states: Sequence[StateSnapshot],
        views: Sequence[SavedView] = (),
        *,
        upvotes: Mapping[str, Mapping[dt.date, int]] | None = None,
    ) -> tuple[AddOutcome, int]:
        """Merge a backup in one transaction: its papers, its user state, its saved views.

        For read, bookmarked, tags and note separately, the newer change wins:
        a state is taken from the backup only if its timestamp is later than
        the one here; so is a saved view of the same name.  ``upvotes`` (paper
        id -> day -> the upvotes that day's page showed) fills the appearances
        that have no figure yet, as a later digest would: a figure known here
        is never replaced.  Returns the papers' outcome and how many states
        (and views) were taken.
        """
        taken = 0
        stamp = now()
        changes: list[Change] = []
        with self.transaction():
            mine = {view.name: view for view in self.views()}
            for view in views:
                here = mine.get(view.name)
                if here is None or (view.updated_at or "") > (here.updated_at or ""):
                    self._db.execute("DELETE FROM views WHERE name = ?", (view.name,))
                    self._insert_view(view)
                    taken += here is None or here != view
                    old, value = _view_json(here), _view_json(view)
                    if old != value:
                        changes.append(("", VIEW + view.name, old, value))
            before = self._appearances(list(upvotes)) if upvotes else {}
            new, known, updated = self._merge(papers, None)
            changes += self._import_changes(papers, new)
            if upvotes:
                filled = self._restore_upvotes(upvotes, before, changes)
                updated += [pid for pid in filled if pid not in updated and pid not in new]
                self._bump(filled)  # their momentum changed: the index sorts by it
            self._bump(sorted(journal.settle_arrivals(self._db, new, stamp)))
            current = {snap.id: snap for snap in self.snapshot([s.id for s in states])}
            retagged: list[str] = []
            for state in states:
                here = current.get(state.id)
                if here is None:
                    continue
                if state.read_at and (here.read_at is None or state.read_at > here.read_at) and (
                    state.read != here.read or state.read_at != here.read_at
                ):
                    self._db.execute(
                        "UPDATE papers SET read = ?, read_at = ? WHERE id = ?", (int(state.read), state.read_at, state.id)
                    )
                    taken += state.read != here.read
                    if state.read != here.read:
                        changes.append((state.id, READ, flag(here.read), flag(state.read)))
                if state.bookmarked_at and (here.bookmarked_at is None or state.bookmarked_at > here.bookmarked_at) and (
                    state.bookmarked != here.bookmarked or state.bookmarked_at != here.bookmarked_at
                ):
                    self._db.execute(
                        "UPDATE papers SET bookmarked = ?, bookmarked_at = ? WHERE id = ?",
                        (int(state.bookmarked), state.bookmarked_at, state.id),
                    )
                    taken += state.bookmarked != here.bookmarked
                    if state.bookmarked != here.bookmarked:
                        changes.append((state.id, BOOKMARKED, flag(here.bookmarked), flag(state.bookmarked)))
                if state.tags_at and (here.tags_at is None or state.tags_at > here.tags_at):
                    if state.tags != here.tags:
                        self._write_tags(state.id, state.tags, state.tags_at)
                        retagged.append(state.id)
                        taken += 1
                        changes += _tag_changes(state.id, here.tags, state.tags)
                if state.note_at and (here.note_at is None or state.note_at > here.note_at):
                    if state.note != here.note:
                        self._db.execute(
                            "UPDATE papers SET note = ?, note_at = ? WHERE id = ?", (state.note, state.note_at, state.id)
                        )
                        retagged.append(state.id)
                        taken += 1
                        changes.append((state.id, NOTE, here.note, state.note))
            self._bump(retagged)
            count = len(papers)
            self._record("restore", f"restored a backup ({count:,} paper{'s' if count != 1 else ''})", changes, stamp)
        return AddOutcome(new, known, updated, 0), taken

    def _appearances(self, ids: Sequence[str]) -> dict[tuple[str, str], tuple[int | None, int | None]]:
        """``(paper, ISO day) -> (source id, upvotes)`` of these papers' appearances."""
        found: dict[tuple[str, str], tuple[int | None, int | None]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for paper_id, day, source_id, figure in self._db.execute(
                f"SELECT paper_id, digest, source_id, upvotes FROM appearances WHERE paper_id IN ({marks})", tuple(chunk)
            ):
                found[(paper_id, day)] = (source_id, figure)
        return found

    def _restore_upvotes(
        self,
        upvotes: Mapping[str, Mapping[dt.date, int]],
        before: Mapping[tuple[str, str], tuple[int | None, int | None]],
        changes: list[Change],
    ) -> list[str]:
        """Give a backup's per-page upvotes to the appearances without a figure (inside restore's transaction).

        Each figure filled is journaled as the ``digest:DAY`` record a forget
        writes (its value keeps the file and the page's upvotes): old value the
        appearance as it was before the restore (NULL: the backup brought it).
        Returns the papers that gained a figure.
        """
        now_there = self._appearances(list(upvotes))
        writes: list[tuple[int, str, str]] = []
        filled: list[str] = []
        for paper_id, figures in upvotes.items():
            gained = False
            for day, figure in sorted(figures.items()):
                key = (paper_id, day.isoformat())
                here = now_there.get(key)
                if here is None or here[1] is not None:
                    continue  # not an appearance of it here, or its figure is known: that one stays
                source_id = here[0]
                old = before.get(key)
                changes.append(
                    (
                        paper_id,
                        journal.DIGEST + key[1],
                        None if old is None else journal.digest_value(old[0], old[1]),
                        journal.digest_value(source_id, figure),
                    )
                )
                writes.append((figure, paper_id, key[1]))
                gained = True
            if gained:
                filled.append(paper_id)
        self._db.executemany(
            "UPDATE appearances SET upvotes = ? WHERE paper_id = ? AND digest = ? AND upvotes IS NULL", writes
        )
        return filled

    def _rows_by_id(self, ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        rows: dict[str, sqlite3.Row] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for row in self._db.execute(f"SELECT * FROM papers WHERE id IN ({marks})", tuple(chunk)):
                rows[row["id"]] = row
        return rows

    # -- reading --------------------------------------------------------------

    def get(self, paper_id: str) -> Paper | None:
        return self.get_many([paper_id]).get(paper_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Papers by id (unknown ids are simply absent)."""
        found: dict[str, Paper] = {}
        with self._lock:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.id IN ({marks})", tuple(chunk)):
                    found[row["id"]] = _paper(row)
        return found

    def _where(self, view: View, digest: dt.date | None, tags: Sequence[str] = ()) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        for tag in tags:  # every tag given must be on the paper
            clauses.append("p.id IN (SELECT paper_id FROM tags WHERE tag = ?)")
            params.append(tag)
        if view == "unread":
            clauses.append("p.read = 0")
        elif view == "read":
            clauses.append("p.read = 1")
        elif view == "bookmarked":
            clauses.append("p.bookmarked = 1")
        if digest is not None:
            clauses.append("p.id IN (SELECT paper_id FROM appearances WHERE digest = ?)")
            params.append(digest.isoformat())
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def papers(
        self,
        view: View = "all",
        *,
        digest: dt.date | None = None,
        tags: Sequence[str] = (),
        order: str = "digest",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Paper]:
        """The library, filtered and sorted (``order``: digest, published, upvotes, title).

        ``tags``: only papers that carry every one of these tags.
        """
        where, params = self._where(view, digest, tags)
        sql = f"SELECT {_PAPER_COLUMNS} FROM papers p{where} ORDER BY {_ORDERS[order]}"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        with self._lock:
            return [_paper(row) for row in self._db.execute(sql, params)]

    def ids(
        self, view: View = "all", *, digest: dt.date | None = None, tags: Sequence[str] = (), order: str | None = None
    ) -> list[str]:
        """Ids of the papers in a view: cheap, for filtering searches and big lists."""
        where, params = self._where(view, digest, tags)
        sql = f"SELECT p.id FROM papers p{where}"
        if order:
            sql += f" ORDER BY {_ORDERS[order]}"
        with self._lock:
            return [row[0] for row in self._db.execute(sql, params)]

    def ids_by_day(self, view: View = "all", *, digest: dt.date | None = None) -> tuple[list[str], list[tuple[int, dt.date]]]:
        """Ids newest digest first, and where each day's run starts: ``(ids, [(start, day), ...])``.

        A list pane puts a date heading over each run instead of repeating the
        date on every row.  Read in the same query as the ids, so the runs
        always match them.  With ``digest`` given the list is that one day's,
        whatever other digests its papers were also in.
        """
        where, params = self._where(view, digest)
        sql = f"SELECT p.id, p.last_digest FROM papers p{where} ORDER BY {_ORDERS['digest']}"
        ids: list[str] = []
        runs: list[tuple[int, dt.date]] = []
        last = None
        with self._lock:
            for paper_id, day in self._db.execute(sql, params):
                if digest is None and day != last:
                    runs.append((len(ids), dt.date.fromisoformat(day)))
                    last = day
                ids.append(paper_id)
        if digest is not None and ids:
            runs.append((0, digest))
        return ids, runs

    def count(self, view: View = "all", *, digest: dt.date | None = None, tags: Sequence[str] = ()) -> int:
        where, params = self._where(view, digest, tags)
        with self._lock:
            return self._db.execute(f"SELECT count(*) FROM papers p{where}", params).fetchone()[0]

    def resolve(self, tokens: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
        """Map ids or unique id prefixes (4+ characters) to ids.

        Returns ``(ids, unknown, ambiguous)``; like git, a prefix must match one id.
        """
        ids: list[str] = []
        unknown: list[str] = []
        ambiguous: list[str] = []
        with self._lock:
            for token in tokens:
                key = token.strip().lower()
                if len(key) < 4 or not all(c in "0123456789abcdef" for c in key):
                    unknown.append(token)
                    continue
                rows = self._db.execute(
                    "SELECT id FROM papers WHERE id >= ? AND id < ? LIMIT 2", (key, key + "g")
                ).fetchall()
                if len(rows) == 1:
                    ids.append(rows[0][0])
                elif rows:
                    ambiguous.append(token)
                else:
                    unknown.append(token)
        return ids, unknown, ambiguous

    def rows(self, ids: Sequence[str] | None = None) -> dict[str, Row]:
        """Light rows (no abstract) for list panes: all papers, or these ids."""
        sql = (
            "SELECT id, title, read, bookmarked, upvotes, last_digest, published, note != '', "
            f"{_TAGS_OF.format(p='papers')}, {_RISE.format(p='papers')} FROM papers"
        )
        found: dict[str, Row] = {}
        with self._lock:
            if ids is None:
                cursors = [self._db.execute(sql)]
            else:
                cursors = [
                    self._db.execute(f"{sql} WHERE id IN ({','.join('?' * len(chunk))})", tuple(chunk))
                    for chunk in _chunks(ids)
                ]
            for cursor in cursors:
                for pid, title, read, bookmarked, upvotes, last, published, note, tags, rise in cursor:
                    found[pid] = Row(
                        pid, title, bool(read), bool(bookmarked), upvotes, last, published,
                        tuple((tags or "").split()), bool(note), rise,
                    )
        return found

    def change_mark(self) -> tuple[int, int]:
        """A value that changes whenever the library may have: this connection's writes, or another's commits.

        Cheap (no table is read), for caches of what a query of the store
        returned: equal marks mean nothing was written in between.
        """
        with self._lock:
            return self._db.total_changes, self._db.execute("PRAGMA data_version").fetchone()[0]

    def data_version(self) -> int:
        """Changes when *another* connection commits: cheap polling for outside changes."""
        with self._lock:
            return self._db.execute("PRAGMA data_version").fetchone()[0]

    def last_added(self) -> int:
        """A mark for "the papers there are now": the journal's newest action number (0 if none).

        Not the newest paper's rowid: ``forget`` deletes papers, and SQLite
        gives a new row the largest rowid plus one, so papers imported after
        the newest ones were taken out would reuse their rowids and be missed.
        Action numbers only grow (compaction always keeps the newest action),
        and every paper added is journaled in the transaction that adds it.
        """
        with self._lock:
            return self._db.execute("SELECT coalesce(max(id), 0) FROM actions").fetchone()[0]

    def added_after(self, mark: int) -> tuple[int, list[dt.date]]:
        """How many papers were added after :meth:`last_added` gave ``mark``, and their digest days.

        Added: brought new by an import or a backup, or put back by undoing a
        ``forget``; and still here.
        """
        with self._lock:
            ids = [
                pid
                for (pid,) in self._db.execute(
                    "SELECT DISTINCT c.paper FROM changes c JOIN papers p ON p.id = c.paper WHERE c.action > ? "
                    "AND ((c.field = ? AND c.old IS NULL) OR (c.field = ? AND c.new IS NOT NULL))",
                    (mark, IMPORTED, PAPER),
                )
            ]
            return len(ids), self._days_of(ids)

    def put_back_after(self, mark: int) -> tuple[int, list[dt.date]]:
        """Of :meth:`added_after`'s papers, those put back by an undo, redo or ``undo --to`` (a forget undone).

        They are not new: the reader says "78 papers back", not "78 new papers".
        """
        with self._lock:
            ids = [
                pid
                for (pid,) in self._db.execute(
                    "SELECT DISTINCT c.paper FROM changes c JOIN papers p ON p.id = c.paper "
                    "JOIN actions a ON a.id = c.action WHERE c.action > ? AND c.field = ? AND c.new IS NOT NULL "
                    "AND a.kind IN ('undo', 'redo', 'back')",
                    (mark, PAPER),
                )
            ]
            return len(ids), self._days_of(ids)

    def _days_of(self, ids: Sequence[str]) -> list[dt.date]:
        """The digest days these papers appeared on, oldest first (under the caller's lock)."""
        days: set[str] = set()
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            days.update(
                day for (day,) in self._db.execute(
                    f"SELECT DISTINCT digest FROM appearances WHERE paper_id IN ({marks})", tuple(chunk)
                )
            )
        return [dt.date.fromisoformat(day) for day in sorted(days)]

    def removed_since(self, rev: int) -> list[str]:
        """Papers ``forget`` took out after revision ``rev`` (and not put back): the index deletes them."""
        with self._lock:
            return [
                row[0]
                for row in self._db.execute(
                    "SELECT paper_id FROM removed WHERE rev > ? AND paper_id NOT IN (SELECT id FROM papers)", (rev,)
                )
            ]

    def changed_since(self, rev: int) -> list[Paper]:
        """Papers whose indexed content changed after revision ``rev``."""
        with self._lock:
            ids = [row[0] for row in self._db.execute("SELECT id FROM papers WHERE rev > ?", (rev,))]
        return list(self.get_many(ids).values())

    def iter_papers(self, batch: int = 2000) -> Iterator[Paper]:
        """Every paper, in batches, without holding them all in memory."""
        last = ""
        while True:
            with self._lock:
                rows = self._db.execute(
                    f"SELECT {_PAPER_COLUMNS} FROM papers p WHERE p.id > ? ORDER BY p.id LIMIT ?", (last, batch)
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _paper(row)
            last = rows[-1]["id"]

    def upvote_history(self, ids: Sequence[str]) -> dict[str, list[tuple[dt.date, int | None]]]:
        """Each paper's appearances, oldest first, with the upvotes each digest page showed (None: not shown)."""
        found: dict[str, list[tuple[dt.date, int | None]]] = {}
        with self._lock:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for paper_id, day, upvotes in self._db.execute(
                    f"SELECT paper_id, digest, upvotes FROM appearances WHERE paper_id IN ({marks}) ORDER BY digest",
                    tuple(chunk),
                ):
                    found.setdefault(paper_id, []).append((dt.date.fromisoformat(day), upvotes))
        return found

    def day_upvotes(self, digest: dt.date) -> dict[str, int | None]:
        """The papers of one digest day with the upvotes that day's page showed them with."""
        with self._lock:
            return dict(
                self._db.execute("SELECT paper_id, upvotes FROM appearances WHERE digest = ?", (digest.isoformat(),))
            )

    def digests(self) -> list[tuple[dt.date, int]]:
        """Every digest date with its paper count, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT digest, count(*) FROM appearances GROUP BY digest ORDER BY digest DESC"
            ).fetchall()
        return [(dt.date.fromisoformat(d), n) for d, n in rows]

    def digest_days(self) -> list[DigestDay]:
        """Every digest date with its papers, unread and bookmarked counts, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT a.digest, count(*), coalesce(sum(p.read = 0), 0), coalesce(sum(p.bookmarked), 0) "
                "FROM appearances a JOIN papers p ON p.id = a.paper_id GROUP BY a.digest ORDER BY a.digest DESC"
            ).fetchall()
        return [DigestDay(dt.date.fromisoformat(d), n, unread, marked) for d, n, unread, marked in rows]

    def digest_text(self, digest: dt.date) -> list[tuple[str, str]]:
        """The titles and abstracts of one digest's papers (for its key terms)."""
        with self._lock:
            return [
                (row[0], row[1])
                for row in self._db.execute(
                    "SELECT p.title, p.abstract FROM papers p JOIN appearances a ON a.paper_id = p.id "
                    "WHERE a.digest = ?",
                    (digest.isoformat(),),
                )
            ]

    def counts(self) -> Counts:
        """Papers, unread and bookmarked: one pass over the papers table."""
        with self._lock:
            papers, unread, bookmarked = self._db.execute(
                "SELECT count(*), coalesce(sum(read = 0), 0), coalesce(sum(bookmarked), 0) FROM papers"
            ).fetchone()
        return Counts(papers, unread, bookmarked)

    def stats(self) -> Stats:
        with self._lock:
            papers, unread, bookmarked = self._db.execute(
                "SELECT count(*), coalesce(sum(read = 0), 0), coalesce(sum(bookmarked), 0) FROM papers"
            ).fetchone()
            digests, newest, oldest = self._db.execute(
                "SELECT count(DISTINCT digest), max(digest), min(digest) FROM appearances"
            ).fetchone()
            sources = self._db.execute("SELECT count(*) FROM sources").fetchone()[0]
        return Stats(papers, unread, bookmarked, digests, sources, _date(newest), _date(oldest))

    # -- user state -------------------------------------------------------------

    def snapshot(self, ids: Sequence[str]) -> list[StateSnapshot]:
        """The current state of these papers (unknown ids are left out)."""
        snaps: list[StateSnapshot] = []
        with self._lock:
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                for row in self._db.execute(
                    "SELECT id, read, read_at, bookmarked, bookmarked_at, "
                    f"{_TAGS_OF.format(p='papers')}, tags_at, note, note_at FROM papers WHERE id IN ({marks})",
                    tuple(chunk),
                ):
                    snaps.append(
                        StateSnapshot(
                            row[0], bool(row[1]), row[2], bool(row[3]), row[4],
                            tuple((row[5] or "").split()), row[6], row[7], row[8],
                        )
                    )
        return snaps

    def set_state(
        self,
        ids: Sequence[str],
        *,
        read: bool | None = None,
        bookmarked: bool | None = None,
        label: str | None = None,
    ) -> list[StateSnapshot]:
        """Set read and/or bookmarked on papers, in one transaction, journaled as one action.

        Returns the state they had before.  Papers already in the requested
        state keep their timestamps and are not journaled.  ``label`` names
        the action ("marked read"); by default it is said from the change.
        """
        stamp = now()
        ids = list(dict.fromkeys(ids))
        with self.transaction():
            before = self.snapshot(ids)
            changes: list[Change] = []
            words: list[str] = []
            for name, value in ((READ, read), (BOOKMARKED, bookmarked)):
                if value is not None:
                    changed = [s.id for s in before if getattr(s, name) != value]
                    changes += [(pid, name, flag(not value), flag(value)) for pid in changed]
                    words += [journal.describe_state(name, value, len(changed))] if changed else []
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                if read is not None:
                    self._db.execute(
                        f"UPDATE papers SET read = ?, read_at = ? WHERE read != ? AND id IN ({marks})",
                        (int(read), stamp, int(read), *chunk),
                    )
                if bookmarked is not None:
                    self._db.execute(
                        f"UPDATE papers SET bookmarked = ?, bookmarked_at = ? WHERE bookmarked != ? AND id IN ({marks})",
                        (int(bookmarked), stamp, int(bookmarked), *chunk),
                    )
            self._record("change", label or ", ".join(words), changes, stamp)
        return before

    def restore_state(self, snapshots: Iterable[StateSnapshot], *, label: str = "restored states") -> None:
        """Put back states exactly as snapshotted (timestamps included), as one journaled action.

        Tags and notes are written back only where they differ, since a change
        to them must reach the search index (a new content revision).
        """
        snapshots = list(snapshots)
        stamp = now()
        with self.transaction():
            current = {snap.id: snap for snap in self.snapshot([s.id for s in snapshots])}
            self._db.executemany(
                "UPDATE papers SET read = ?, read_at = ?, bookmarked = ?, bookmarked_at = ? WHERE id = ?",
                [(int(s.read), s.read_at, int(s.bookmarked), s.bookmarked_at, s.id) for s in snapshots],
            )
            changed: list[str] = []
            changes: list[Change] = []
            for snap in snapshots:
                here = current.get(snap.id)
                if here is None:
                    continue
                for name in (READ, BOOKMARKED):
                    if getattr(here, name) != getattr(snap, name):
                        changes.append((snap.id, name, flag(getattr(here, name)), flag(getattr(snap, name))))
                changes += _tag_changes(snap.id, here.tags, snap.tags)
                if here.note != snap.note:
                    changes.append((snap.id, NOTE, here.note, snap.note))
                if here.tags != snap.tags or here.tags_at != snap.tags_at:
                    self._write_tags(snap.id, snap.tags, snap.tags_at)
                    changed += [snap.id] if here.tags != snap.tags else []
                if here.note != snap.note or here.note_at != snap.note_at:
                    self._db.execute(
                        "UPDATE papers SET note = ?, note_at = ? WHERE id = ?", (snap.note, snap.note_at, snap.id)
                    )
                    changed += [snap.id] if here.note != snap.note else []
            self._bump(changed)
            self._record("change", label, changes, stamp)

    # -- tags and notes -------------------------------------------------------------

    def _write_tags(self, paper_id: str, tags: Iterable[str], stamp: str | None) -> None:
        self._db.execute("DELETE FROM tags WHERE paper_id = ?", (paper_id,))
        self._db.executemany("INSERT INTO tags (paper_id, tag) VALUES (?, ?)", [(paper_id, t) for t in tags])
        self._db.execute("UPDATE papers SET tags_at = ? WHERE id = ?", (stamp, paper_id))

    def _bump(self, ids: Sequence[str]) -> None:
        """Give these papers a new content revision (inside a transaction): the index re-reads them."""
        if not ids:
            return
        rev = int(self._meta("rev") or 0) + 1
        for chunk in _chunks(list(dict.fromkeys(ids))):
            self._db.execute(f"UPDATE papers SET rev = ? WHERE id IN ({','.join('?' * len(chunk))})", (rev, *chunk))
        self._set_meta("rev", str(rev))

    def set_tags(
        self,
        ids: Sequence[str],
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
        label: str | None = None,
    ) -> list[StateSnapshot]:
        """Change the tags of papers in one transaction (tags already normalised), journaled as one action.

        ``replace`` sets the whole list; ``add`` and ``remove`` edit it.
        Returns the state of the papers whose tags changed, as it was before;
        the others are left alone, timestamps included.
        """
        add, remove = list(add), set(remove)
        replace = None if replace is None else list(replace)
        stamp = now()
        with self.transaction():
            before = [snap for snap in self.snapshot(list(dict.fromkeys(ids)))]
            changed: list[StateSnapshot] = []
            changes: list[Change] = []
            for snap in before:
                tags = set(snap.tags if replace is None else replace)
                tags = (tags | set(add)) - remove
                if tags != set(snap.tags):
                    self._write_tags(snap.id, sorted(tags), stamp)
                    changed.append(snap)
                    changes += _tag_changes(snap.id, snap.tags, tags)
            self._bump([snap.id for snap in changed])
            if label is None:  # "tagged rl, agents", "untagged rl (12 papers)", "removed the tags"
                names = ", ".join(replace if replace is not None else add or sorted(remove))
                verb = "untagged" if replace is None and not add else "tagged"
                label = f"{verb} {names}" if names else "removed the tags"
                label += f" ({len(changed):,} papers)" if len(changed) > 1 else ""
            self._record("change", label, changes, stamp)
        return changed

    def set_note(self, paper_id: str, note: str, *, label: str | None = None) -> StateSnapshot | None:
        """Set a paper's note ("" removes it), journaled; returns its state before, or None if unchanged."""
        stamp = now()
        with self.transaction():
            found = self.snapshot([paper_id])
            if not found or found[0].note == note:
                return None
            self._db.execute("UPDATE papers SET note = ?, note_at = ? WHERE id = ?", (note, stamp, paper_id))
            self._bump([paper_id])
            label = label or ("removed the note" if not note else "wrote a note" if not found[0].note else "edited the note")
            self._record("change", label, [(paper_id, NOTE, found[0].note, note)], stamp)
        return found[0]

    def annotated(self) -> tuple[int, int]:
        """How many papers have tags, and how many have a note."""
        with self._lock:
            tagged = self._db.execute("SELECT count(DISTINCT paper_id) FROM tags").fetchone()[0]
            noted = self._db.execute("SELECT count(*) FROM papers WHERE note != ''").fetchone()[0]
        return tagged, noted

    def all_tags(self) -> list[tuple[str, int]]:
        """Every tag in use with how many papers carry it, most used first."""
        with self._lock:
            return [
                (tag, count)
                for tag, count in self._db.execute(
                    "SELECT tag, count(*) AS n FROM tags GROUP BY tag ORDER BY n DESC, tag"
                )
            ]

    # -- saved views -----------------------------------------------------------------

    def views(self) -> list[SavedView]:
        """The user's saved views, in the order they were created."""
        with self._lock:
            return [
                SavedView(*row)
                for row in self._db.execute(
                    "SELECT name, query, state, digest, created_at, updated_at FROM views ORDER BY created_at, name"
                )
            ]

    def save_view(self, view: SavedView, *, replacing: str | None = None) -> SavedView:
        """Create a view, or edit the one named ``replacing`` (it may be renamed).

        A view with the new name (other than the one edited) is replaced.
        Returns the view as stored, with its timestamps.
        """
        if view.state not in STATES:
            raise ValueError(f"unknown state {view.state!r}")
        stamp = now()
        with self.transaction():
            mine = {v.name: v for v in self.views()}
            created = stamp
            changes: list[Change] = []
            if replacing is not None:
                row = self._db.execute("SELECT created_at FROM views WHERE name = ?", (replacing,)).fetchone()
                created = row[0] if row else stamp
                self._db.execute("DELETE FROM views WHERE name = ?", (replacing,))
                if replacing != view.name and replacing in mine:
                    changes.append(("", VIEW + replacing, _view_json(mine[replacing]), None))
            self._db.execute("DELETE FROM views WHERE name = ?", (view.name,))
            stored = SavedView(view.name, view.query, view.state, view.digest, created, stamp)
            self._insert_view(stored)
            if _view_json(mine.get(view.name)) != _view_json(stored):
                changes.append(("", VIEW + view.name, _view_json(mine.get(view.name)), _view_json(stored)))
            renamed = f"renamed the view {replacing!r} to {view.name!r}" if replacing not in (None, view.name) else None
            edited = "edited" if view.name in mine else "saved"
            self._record("change", renamed or f"{edited} the view {view.name!r}", changes, stamp)
        return stored

    def _insert_view(self, view: SavedView) -> None:
        self._db.execute(
            "INSERT INTO views (name, query, state, digest, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (view.name, view.query, view.state, view.digest, view.created_at, view.updated_at),
        )

    def put_view(self, view: SavedView) -> None:
        """Store a view exactly as given, timestamps included (journaled as one action)."""
        with self.transaction():
            here = next((v for v in self.views() if v.name == view.name), None)
            self._db.execute("DELETE FROM views WHERE name = ?", (view.name,))
            self._insert_view(view)
            if _view_json(here) != _view_json(view):
                changes: list[Change] = [("", VIEW + view.name, _view_json(here), _view_json(view))]
                self._record("change", f"saved the view {view.name!r}", changes, now())

    def delete_view(self, name: str) -> SavedView | None:
        """Delete a view, journaled; returns it (None if there was none by that name)."""
        with self.transaction():
            found = [v for v in self.views() if v.name == name]
            self._db.execute("DELETE FROM views WHERE name = ?", (name,))
            if found:
                self._record("change", f"deleted the view {name!r}", [("", VIEW + name, _view_json(found[0]), None)], now())
        return found[0] if found else None

    # -- maintenance --------------------------------------------------------------

    # -- settings ------------------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A preference kept with the library (None if never set)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Keep a preference (one transaction)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, now()),
            )

    # -- observations: what the reader saw (interest signals, not user state) -------------

    def observe(self, paper_id: str, kind: Observation) -> bool:
        """Note that the user opened (``"opened"``) or passed over (``"passed"``) a paper in the reader.

        These are observations for the "for you" ranking (paperreader/interest.py),
        not user state: nothing the user set, so they are not journaled, not
        undone by ``u``, not synced and not in backups; a paper forgotten takes
        its observations with it.  Best effort: where the library cannot be
        written (read-only, a full disk) the observation is dropped and False
        returned (as for an unknown paper), never an error for the user.  Written without the commit
        hooks, since no export depends on them.
        """
        if kind not in ("opened", "passed") or self.read_only is not None:
            return False
        try:
            with self._lock:
                written = self._db.execute(
                    "INSERT INTO observations (paper_id, kind, at) SELECT id, ?, ? FROM papers WHERE id = ? "
                    "ON CONFLICT (paper_id, kind) DO UPDATE SET at = excluded.at",
                    (kind, now(), paper_id),
                ).rowcount
        except sqlite3.Error:
            return False
        return written > 0

    def interest_signals(self, *, recent: int = 500) -> InterestSignals:
        """The papers the user showed interest in, or passed over, for the "for you" ranking.

        Kept (strong): bookmarked, tagged or with a note.  Opened (weak): seen
        opened in the reader and not kept.  Passed (weak, negative): passed
        over with ``n`` and neither opened nor kept.  The weak ones are the
        ``recent`` newest of each: old habits fade, and the model stays quick to build.
        """
        with self._lock:
            # The partial index papers_kept answers the first half (a scan of every paper took 0.2 s at 100,000).
            kept = [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM papers WHERE bookmarked = 1 OR note != '' UNION SELECT paper_id FROM tags ORDER BY 1"
                )
            ]
            held = set(kept)
            opened = [
                row[0]
                for row in self._db.execute(
                    "SELECT paper_id FROM observations WHERE kind = 'opened' ORDER BY at DESC LIMIT ?", (recent,)
                )
                if row[0] not in held
            ]
            passed = [
                row[0]
                for row in self._db.execute(
                    "SELECT paper_id FROM observations o WHERE kind = 'passed' AND NOT EXISTS "
                    "(SELECT 1 FROM observations e WHERE e.paper_id = o.paper_id AND e.kind = 'opened') "
                    "ORDER BY at DESC LIMIT ?",
                    (recent,),
                )
                if row[0] not in held
            ]
        return InterestSignals(kept, opened, passed)

    # -- citation keys and export records ---------------------------------------------

    def keys(self, ids: Sequence[str]) -> dict[str, str]:
        """The citation keys these papers have (those without one are left out)."""
        found: dict[str, str] = {}
        with self._lock:
            for chunk in _chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                found.update(self._db.execute(f"SELECT paper_id, key FROM cite_keys WHERE paper_id IN ({marks})", tuple(chunk)))
        return found

    def ensure_keys(self, ids: Sequence[str]) -> dict[str, str]:
        """The citation key of each paper, choosing one (in one transaction) for those without.

        A new key is the title's first significant words and the year
        (:func:`~paperreader.text.cite_key_base`), made unique across the
        library, ignoring case, with ``a``, ``b``, ... ``z``, ``aa``...  Once
        chosen a key never changes (a LaTeX document cites it), unless the
        user pins another.  Papers are keyed in the order they were added, so
        the older of two namesakes gets the plain key.
        """
        from .text import cite_key_base, cite_key_suffix

        keys = self.keys(ids)
        missing = [pid for pid in dict.fromkeys(ids) if pid not in keys]
        if not missing:
            return keys
        with self.transaction():
            keys = self.keys(ids)  # another process may have keyed some meanwhile
            rows: list[sqlite3.Row] = []
            for chunk in _chunks([pid for pid in missing if pid not in keys]):
                marks = ",".join("?" * len(chunk))
                rows += self._db.execute(
                    f"SELECT rowid, id, title, published, last_digest FROM papers WHERE id IN ({marks})",
                    tuple(chunk),
                ).fetchall()
            if not rows:
                return keys
            taken = {key.casefold() for (key,) in self._db.execute("SELECT key FROM cite_keys")}
            tried: dict[str, int] = {}  # base -> the next suffix number worth trying
            stamp = now()
            fresh: list[tuple[str, str, str]] = []
            for row in sorted(rows, key=lambda r: r["rowid"]):
                year = (row["published"] or row["last_digest"] or "")[:4]
                base = cite_key_base(row["title"], int(year) if year.isdigit() else None)
                number = tried.get(base.casefold(), 0)
                while (base + cite_key_suffix(number)).casefold() in taken:
                    number += 1
                key = base + cite_key_suffix(number)
                tried[base.casefold()] = number + 1
                taken.add(key.casefold())
                keys[row["id"]] = key
                fresh.append((row["id"], key, stamp))
            self._db.executemany("INSERT INTO cite_keys (paper_id, key, pinned, set_at) VALUES (?, ?, 0, ?)", fresh)
        return keys

    def key_owner(self, key: str) -> str | None:
        """The paper that has this citation key (ignoring case), if any."""
        with self._lock:
            row = self._db.execute("SELECT paper_id FROM cite_keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def pin_key(self, paper_id: str, key: str) -> str | None:
        """Give a paper the key the user chose (validated by the caller); returns its old key.

        Raises :class:`ValueError` naming the paper that has the key already.
        """
        with self.transaction():
            owner = self.key_owner(key)
            if owner is not None and owner != paper_id:
                raise ValueError(f"the key {key!r} belongs to paper {owner} already")
            old = self.keys([paper_id]).get(paper_id)
            self._db.execute(
                "INSERT INTO cite_keys (paper_id, key, pinned, set_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (paper_id) DO UPDATE SET key = excluded.key, pinned = 1, set_at = excluded.set_at",
                (paper_id, key, now()),
            )
        return old

    def restore_keys(self, keys: Mapping[str, str]) -> int:
        """Take citation keys from a backup (inside or as a transaction); returns how many were taken.

        A key is taken for a paper that has none here, if no other paper has
        it: a key chosen here already is what documents here cite.
        """
        taken = 0
        with self.transaction():
            have = self.keys(list(keys))
            for paper_id, key in keys.items():
                if paper_id in have or self.key_owner(key) is not None:
                    continue
                if self._db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is None:
                    continue
                self._db.execute(
                    "INSERT INTO cite_keys (paper_id, key, pinned, set_at) VALUES (?, ?, 0, ?)", (paper_id, key, now())
                )
                taken += 1
        return taken

    def exported_to(self, target: str) -> set[str]:
        """The ids of the papers exported to ``target`` (a resolved path) before."""
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT paper_id FROM exported WHERE target = ?", (target,))}

    def record_export(self, target: str, ids: Sequence[str]) -> None:
        """Remember that these papers were written to ``target`` (for ``export --new``)."""
        stamp = now()
        with self.transaction():
            self._db.executemany(
                "INSERT INTO exported (target, paper_id, exported_at) VALUES (?, ?, ?) "
                "ON CONFLICT (target, paper_id) DO UPDATE SET exported_at = excluded.exported_at",
                [(target, pid, stamp) for pid in ids],
            )

    def ids_since(self, day: dt.date) -> list[str]:
        """Papers bookmarked, or whose tags changed, on or after ``day`` (still bookmarked or tagged)."""
        start = day.isoformat()
        with self._lock:
            return [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM papers WHERE (bookmarked = 1 AND bookmarked_at >= ?) "
                    "OR (tags_at >= ? AND id IN (SELECT paper_id FROM tags))",
                    (start, start),
                )
            ]

    def auto_export_record(self, target: str) -> tuple[str, int, str] | None:
        """``(sha256, papers, written_at)`` of the last auto-export to ``target``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, papers, written_at FROM auto_exports WHERE target = ?", (target,)
            ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def set_auto_export_record(self, target: str, sha256: str, papers: int) -> None:
        """Remember what an auto-export just wrote (one transaction)."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO auto_exports (target, sha256, papers, written_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (target) DO UPDATE SET sha256 = excluded.sha256, papers = excluded.papers, "
                "written_at = excluded.written_at",
                (target, sha256, papers, now()),
            )

    def integrity_check(self) -> list[str]:
        """SQLite's own check: an empty list means the database is sound."""
        with self._lock:
            rows = [row[0] for row in self._db.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception.

    IMMEDIATE takes the write lock up front, so two processes writing at once
    wait for each other (busy_timeout) instead of failing half-way.  A write
    SQLite refuses (disk full, read-only file or folder) becomes a
    :class:`StoreError` that says so; the rollback leaves the library as it was.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._outer = False

    def _rollback(self) -> None:
        # SQLite may have rolled back already (a full disk does that itself).
        if self._store._db.in_transaction:
            self._store._db.execute("ROLLBACK")

    def _refused(self, error: sqlite3.Error) -> StoreError:
        reason = _refusal(error, self._store.path)
        if reason is not None:
            return _cannot_write(self._store.path, reason)
        return StoreError(f"{self._store.path}: cannot write the library ({error}); nothing was changed")

    def __enter__(self) -> None:
        self._store._lock.acquire()
        if self._store.read_only is not None:
            self._store._reopen_writable()
        if self._store.read_only is not None:
            self._store._lock.release()
            raise _cannot_write(self._store.path, self._store.read_only)
        db = self._store._db
        self._outer = not db.in_transaction
        if self._outer:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                self._store._lock.release()
                raise self._refused(error) from error
            except BaseException:
                self._store._lock.release()
                raise

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        committed = False
        try:
            if self._outer:
                if exc_type is None:
                    try:
                        self._store._db.execute("COMMIT")
                    except sqlite3.OperationalError as error:
                        self._rollback()
                        raise self._refused(error) from error
                    committed = True
                else:
                    self._rollback()
                    if isinstance(exc, sqlite3.OperationalError):
                        raise self._refused(exc) from exc
        finally:
            self._store._lock.release()
        if committed:  # outside the lock: a hook may read the store from another thread
            self._store._run_commit_hooks()


class RowCache:
    """Rows fetched from the store as a list pane needs them.

    Reading all 100,000 rows takes half a second; a screen shows forty.  The
    cache holds what was fetched (a list asks for the window it is about to
    draw), is updated in place by state changes, and is cleared when the store
    changed behind it.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._rows: dict[str, Row] = {}

    @property
    def store(self) -> Store:
        """The store the rows come from (the list reads each day's upvote ranks from it too)."""
        return self._store

    def load(self, ids: Sequence[str]) -> None:
        """Make sure these ids are cached (one query for the missing ones)."""
        missing = [pid for pid in ids if pid not in self._rows]
        if missing:
            self._rows.update(self._store.rows(missing))

    def get(self, paper_id: str) -> Row | None:
        row = self._rows.get(paper_id)
        if row is None:
            self.load([paper_id])
            row = self._rows.get(paper_id)
        return row

    def __getitem__(self, paper_id: str) -> Row:
        row = self.get(paper_id)
        if row is None:
            raise KeyError(paper_id)
        return row

    def forget(self, ids: Iterable[str]) -> None:
        """Drop these rows: they are read afresh when next drawn."""
        for paper_id in ids:
            self._rows.pop(paper_id, None)

    def clear(self) -> None:
        self._rows.clear()
