"""The journal: an append-only record of every change of user state, kept in the store.

Undo that survives a restart and sees the CLI's changes, the history, taking an
import back and sync between machines all read this one record, so none of
them keeps state of its own that could disagree with the library.

* An **action** is one user intent ("marked read", "marked 512 papers read",
  "imported Nov 14 (86 papers)"): when, which device, what, how many papers.
* A **change** is one field of one paper (or one saved view) that an action
  changed, with its old and its new value.  Both are written in the same SQLite
  transaction as the change itself, so a crash never leaves a change without
  its record or a record without its change.

Fields and how their values are written (text, or NULL):

========================  ======================================================
``read``, ``bookmarked``  ``"0"`` / ``"1"``
``note``                  the note's text (``""``: none)
``tag:NAME``              ``"1"`` carried, ``"0"`` not
``view:NAME``             the saved view as canonical JSON; NULL: no such view
                          (the paper column is ``""``)
``imported``              an import: the digest days the file brought the paper
                          (space-separated); old NULL if the paper was new
``paper``                 a paper taken out by ``forget``: its row as JSON (with
                          its tags, appearances and citation key)
``digest:DAY``            one digest appearance: the id of the file that
                          brought it (``""`` for a backup); NULL: none
``source:SHA256``         an imported file's record as JSON (paper ``""``)
========================  ======================================================

The first four kinds are the user's state: undo, ``undo --to`` and sync work
on them.  The others describe content (papers and where they came from) and
are read only by ``imports`` / ``forget``.

Every action carries a hybrid logical clock (HLC) stamp: wall-clock
milliseconds and a counter, never going back, and pushed past every stamp seen
from another device.  Sync orders events by it, so a device whose clock is
minutes off neither wins nor loses every conflict.

This module imports neither Textual nor Whoosh: the TUI and the CLI only call it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .text import printable

if TYPE_CHECKING:  # the store imports this module
    from .store import Store

__all__ = [
    "JOURNAL_SCHEMA", "READ", "BOOKMARKED", "NOTE", "TAG", "VIEW", "IMPORTED", "PAPER", "DIGEST", "SOURCE",
    "STATE_KINDS", "SENT_KINDS", "DEVICE_HOME", "device_home", "Change", "Action", "Compacted", "Journal", "describe_days", "record", "next_hlc", "observe_hlc", "new_device_name", "view_value", "describe_state",
    "is_state_field", "standing",
]

READ = "read"
BOOKMARKED = "bookmarked"
NOTE = "note"
TAG = "tag:"
VIEW = "view:"
IMPORTED = "imported"
PAPER = "paper"
DIGEST = "digest:"
SOURCE = "source:"

#: Kinds of action.  ``change``: read, bookmark, tags, note, views, by hand;
#: ``restore``: a backup merged in; ``import`` and ``forget``: papers added or
#: taken out; ``undo`` / ``redo``; ``back``: ``undo --to`` a moment.
STATE_KINDS = ("change", "restore", "forget", "undo", "redo", "back")

#: (No semicolons in the comments: the store splits its schema on them.)
JOURNAL_SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id       INTEGER PRIMARY KEY,   -- the action's number in this library
    device   TEXT NOT NULL,         -- the device that made it
    seq      INTEGER,               -- its number on that device (NULL: made here, = id)
    hlc      TEXT NOT NULL,         -- hybrid logical clock stamp: orders events across devices
    at       TEXT NOT NULL,         -- when it took effect here (UTC)
    made     TEXT,                  -- when another device made it (NULL: made here, = at)
    kind     TEXT NOT NULL,         -- change, restore, import, forget, undo, redo, back
    label    TEXT NOT NULL,         -- what the user did, in words
    papers   INTEGER NOT NULL,      -- how many papers it touched
    target   INTEGER,               -- undo: the action undone, redo: the undo redone
    reverted INTEGER,               -- the undo that took it back (for an undo: the redo)
    source   INTEGER                -- import, forget: the file (sources.id)
);
CREATE UNIQUE INDEX IF NOT EXISTS actions_origin ON actions (device, seq) WHERE seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS changes (
    action INTEGER NOT NULL,        -- actions.id
    paper  TEXT NOT NULL,           -- the paper's id ('' for a saved view or a file)
    field  TEXT NOT NULL,           -- see paperreader/journal.py
    old    TEXT,
    new    TEXT,
    base   TEXT                     -- from another device: the value it changed there (NULL: = old)
);
CREATE INDEX IF NOT EXISTS changes_action ON changes (action);
CREATE TABLE IF NOT EXISTS sync_files (    -- how far sync read each file of the sync folder (paperreader/sync.py)
    name   TEXT PRIMARY KEY,
    offset INTEGER NOT NULL,               -- bytes of whole lines read
    head   TEXT NOT NULL                   -- hash of its first bytes: a file replaced is read again
);
CREATE TABLE IF NOT EXISTS removed (       -- papers taken out by forget, for the search index to delete
    paper_id TEXT PRIMARY KEY,
    rev      INTEGER NOT NULL              -- the content revision that took it out
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settled (       -- what compacted events gave a field, for the merge (Journal.compact)
    paper  TEXT NOT NULL,                  -- '' for a saved view
    field  TEXT NOT NULL,
    hlc    TEXT NOT NULL,                  -- the newest compacted event's stamp and device
    device TEXT NOT NULL,
    value  TEXT,                           -- its value (a note: the compacted events folded)
    PRIMARY KEY (paper, field)
) WITHOUT ROWID;
"""

#: One change: ``(paper, field, old, new)``.
Change = tuple[str, str, "str | None", "str | None"]


def is_state_field(field: str) -> bool:
    """Read, bookmark, note, a tag or a saved view: what undo and sync work on."""
    return field in (READ, BOOKMARKED, NOTE) or field.startswith((TAG, VIEW))


# -- the hybrid logical clock -----------------------------------------------------------


def _format_hlc(millis: int, counter: int) -> str:
    """Fixed width, so that stamps sort as text."""
    return f"{millis:013d}.{counter:06d}"


def _parse_hlc(stamp: str | None) -> tuple[int, int]:
    if not stamp:
        return 0, 0
    millis, _, counter = stamp.partition(".")
    return int(millis), int(counter or 0)


def _get(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _put(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value)
    )


def next_hlc(db: sqlite3.Connection, wall_ms: int | None = None) -> str:
    """A new stamp, later than every one made or seen here (inside a transaction).

    The newest stamp made here is the last local action's, so making one
    writes nothing but the action itself (marking one paper stays as cheap
    as it was); ``meta.hlc`` holds only the newest stamp seen from another device.
    """
    seen, last = db.execute(_CLOCK).fetchone()
    return _advance(seen, last, wall_ms)


#: The newest stamp seen from another device and the newest made here, in one read.
_CLOCK = "SELECT (SELECT value FROM meta WHERE key = 'hlc'), (SELECT hlc FROM actions WHERE seq IS NULL ORDER BY id DESC LIMIT 1)"

#: The action's row, written with its device and its clock stamp worked out by SQLite from the
#: newest stamps seen and made here (as :func:`_advance` does), in one statement: one paper marked
#: read costs this and the change's INSERT, no more (benchmarks/JOURNAL.md).
_INSERT_ACTION = """
INSERT INTO actions (device, hlc, at, kind, label, papers, target, source)
SELECT coalesce(:device, (SELECT value FROM meta WHERE key = 'device'), ''),
       CASE WHEN :wall > CAST(substr(newest, 1, 13) AS INTEGER) THEN printf('%013d.000000', :wall)
            ELSE printf('%013d.%06d', CAST(substr(newest, 1, 13) AS INTEGER), CAST(substr(newest, 15) AS INTEGER) + 1)
       END,
       :at, :kind, :label, :papers, :target, :source
FROM (SELECT max(coalesce((SELECT value FROM meta WHERE key = 'hlc'), ''),
                 coalesce((SELECT hlc FROM actions WHERE seq IS NULL ORDER BY id DESC LIMIT 1), '')) AS newest)
"""


def _advance(seen: str | None, last: str | None, wall_ms: int | None) -> str:
    """The stamp after the newest of ``seen`` and ``last``: the wall clock if it is ahead, else one tick more."""
    wall = int(time.time() * 1000) if wall_ms is None else wall_ms
    millis, counter = max(_parse_hlc(seen), _parse_hlc(last))
    if wall > millis:
        millis, counter = wall, 0
    else:
        counter += 1
    return _format_hlc(millis, counter)


#: A stamp from another device is followed at most this far ahead of this
#: device's clock: one device with its clock years off must not drag every
#: other one's stamps along for good.
MAX_DRIFT_MS = 24 * 3600 * 1000


def observe_hlc(db: sqlite3.Connection, stamp: str, wall_ms: int | None = None) -> None:
    """Another device's stamp was seen: later local stamps sort after it."""
    wall = int(time.time() * 1000) if wall_ms is None else wall_ms
    seen = _parse_hlc(stamp)
    if seen[0] > wall + MAX_DRIFT_MS:
        return
    if seen > _parse_hlc(_get(db, "hlc")):
        _put(db, "hlc", _format_hlc(*seen))


# -- devices -----------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def new_device_name() -> str:
    """The host name and a short random suffix: two libraries on one host differ."""
    host = _UNSAFE.sub("-", socket.gethostname().split(".")[0]).strip("-.")[:32] or "device"
    return f"{host}-{os.urandom(2).hex()}"


#: ``meta`` key: where this library's device name was given (see :func:`device_home`).
DEVICE_HOME = "device.home"


def _machine_id() -> str:
    """This machine's id (systemd's, stable across renames and reboots), else its host name."""
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(path, encoding="ascii") as handle:
                found = handle.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if found:
            return found
    return socket.gethostname()


def device_home(db_path: os.PathLike[str] | str) -> str:
    """A fingerprint of the machine and the very file holding the library (its inode).

    A data dir copied to another machine, or copied to another folder here,
    keeps its device name but not this: sync then refuses to write to that
    name's log, which the original writes too (two writers of one log lose
    each other's actions).  A folder moved (renamed) on its file system keeps
    the inode, so it stays the same device.
    """
    import hashlib

    inode = os.stat(db_path).st_ino
    return hashlib.sha256(f"{_machine_id()}\0{inode}".encode()).hexdigest()[:16]


# -- values ---------------------------------------------------------------------------------


def view_value(query: str, state: str, digest: str | None) -> str:
    """A saved view's filter as canonical JSON: equal views have equal text."""
    return json.dumps({"digest": digest, "query": query, "state": state}, sort_keys=True, ensure_ascii=False)


def describe_days(days: Sequence[dt.date]) -> str:
    """ "Nov 14", "Nov 13 and Nov 14", "Nov 10 to Nov 14": the digests a file held."""
    if not days:
        return "a digest"
    first, last = min(days), max(days)
    if first == last:
        return f"{first:%b} {first.day}"
    joiner = " and " if len(days) == 2 else " to "
    return f"{first:%b} {first.day}{joiner}{last:%b} {last.day}"


def describe_state(field: str, value: bool, count: int) -> str:
    """The words for a read or bookmark change: "marked read", "marked 512 papers read"."""
    if field == READ:
        word = "read" if value else "unread"
        return f"marked {word}" if count == 1 else f"marked {count:,} papers {word}"
    if value:
        return "bookmarked" if count == 1 else f"bookmarked {count:,} papers"
    return "removed bookmark" if count == 1 else f"removed {count:,} bookmarks"


# -- recording --------------------------------------------------------------------------------


def record(
    db: sqlite3.Connection,
    device: str | None,
    kind: str,
    label: str,
    changes: Sequence[Change],
    *,
    target: int | None = None,
    source: int | None = None,
    stamp: str,
    empty: bool = False,
    wall_ms: int | None = None,
) -> int | None:
    """Record one action and its changes (inside the transaction that made them).

    Returns the action's number, or None when nothing changed: an action that
    changed nothing is not worth an entry (nor an undo) unless ``empty`` asks
    for one (an undo that found every field changed since still takes its
    action off the undo list).  ``device`` None: this library's own name.

    Marking one paper must cost what it did before there was a journal
    (benchmarks/JOURNAL.md), so this makes two statements and no more: the
    action's INSERT, which reads the device and the clock itself, and the
    changes' (one ``executemany``, so marking 100,000 papers read stays one
    fast statement too).
    """
    if not changes and not empty:
        return None
    papers = len({change[0] for change in changes if change[0]}) if len(changes) != 1 else int(bool(changes[0][0]))
    wall = int(time.time() * 1000) if wall_ms is None else wall_ms
    cursor = db.execute(
        _INSERT_ACTION,
        {"device": device, "wall": wall, "at": stamp, "kind": kind, "label": label, "papers": papers,
         "target": target, "source": source},
    )
    action = cursor.lastrowid
    assert action is not None
    if len(changes) == 1:
        db.execute("INSERT INTO changes (action, paper, field, old, new) VALUES (?, ?, ?, ?, ?)", (action, *changes[0]))
    elif changes:
        db.executemany(
            "INSERT INTO changes (action, paper, field, old, new) VALUES (?, ?, ?, ?, ?)",
            [(action, *change) for change in changes],
        )
    return action


def wall_ms(store: Store) -> int:
    """The store's wall clock in milliseconds (a test skews one device's clock through ``store.clock``)."""
    return int(store.clock() * 1000)


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """SQLite takes a bounded number of parameters per statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def flag(value: bool | int) -> str:
    """``"1"`` or ``"0"``: how a read, bookmark or tag value is written."""
    return "1" if value else "0"


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- reading the journal ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Action:
    """One entry of the history: what one user intent changed, when and where."""

    number: int
    device: str
    hlc: str
    at: str
    kind: str
    label: str
    papers: int
    #: undo: the action it took back; redo: the undo it took back.
    target: int | None = None
    #: The undo (or, for an undo, the redo) that took this action back.
    reverted: int | None = None
    source: int | None = None
    #: When another device made it (None: made on this one; see ``at``).
    made: str | None = None

    @property
    def when(self) -> str:
        """When the user made it, on whichever device."""
        return self.made or self.at

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "when": self.when,
            "device": self.device,
            "kind": self.kind,
            "what": self.label,
            "papers": self.papers,
            "undone": self.reverted is not None and self.kind != "undo",
            "target": self.target,
        }


_ACTION_COLUMNS = "id, device, hlc, at, kind, label, papers, target, reverted, source, made"


class Journal:
    """The journal of one store: its actions and their changes.

    Every method that writes does so in one store transaction, journaled
    itself; the TUI and the CLI only call these.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self.store._db

    def actions(self, *, limit: int | None = None, before: int | None = None, after: int | None = None) -> list[Action]:
        """Actions newest first (``before`` / ``after``: only those with a smaller / larger number)."""
        sql = f"SELECT {_ACTION_COLUMNS} FROM actions WHERE id >= ?"
        params: list[object] = [self.first()]
        if before is not None:
            sql += " AND id < ?"
            params.append(before)
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.store._lock:
            return [Action(*row) for row in self._db.execute(sql, params)]

    def action(self, number: int) -> Action | None:
        """One action of the history (None: no such number, or compacted)."""
        if number < self.first():
            return None
        with self.store._lock:
            row = self._db.execute(f"SELECT {_ACTION_COLUMNS} FROM actions WHERE id = ?", (number,)).fetchone()
        return Action(*row) if row else None

    def imports(self) -> list[ImportRecord]:
        """Every imported file still in the library, with the digest days it brought."""
        return _imports(self.store)

    def find_import(self, source: str) -> ImportRecord:
        """The import a user names by number or by path (:class:`JournalError` if none, or several)."""
        return _find_import(self.store, source)

    def forget(self, imported: ImportRecord, *, force: bool = False) -> Forgotten:
        """Take back what one import added, and nothing else (see :func:`_forget`)."""
        return _forget(self, imported, force=force)

    def changes(self, number: int) -> list[Change]:
        """What one action changed: ``(paper, field, old, new)`` in the order recorded."""
        with self.store._lock:
            return [
                (row[0], row[1], row[2], row[3])
                for row in self._db.execute(
                    "SELECT paper, field, old, new FROM changes WHERE action = ? ORDER BY rowid", (number,)
                )
            ]

    def position(self) -> int:
        """The newest action's number (0: none yet).

        Whoever follows the library's changes (the auto-exports) keeps the
        position it last caught up with and asks :meth:`changed_since` what
        happened after it; a commit that journals nothing (a citation key, a
        setting, a sync file's offset) leaves the position where it was.
        """
        with self.store._lock:
            return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM actions").fetchone()[0]

    def changed_since(self, number: int) -> tuple[int, set[str], set[str]]:
        """``(position, papers, views)``: what the actions after ``number`` changed.

        ``papers`` are the ids of the papers any of them touched (state,
        content, an import, a paper taken out), ``views`` the names of the
        saved views changed.  The position is taken in the same read, so a
        follower that catches up to it misses nothing committed meanwhile.
        """
        papers: set[str] = set()
        views: set[str] = set()
        with self.store._lock:
            position = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM actions").fetchone()[0]
            rows = self._db.execute(
                "SELECT DISTINCT paper, field FROM changes WHERE action > ? AND action <= ?", (number, position)
            )
            for paper, field in rows:
                if paper:
                    papers.add(paper)
                elif field.startswith(VIEW):
                    views.add(field[len(VIEW) :])
        return position, papers, views

    # -- compaction -----------------------------------------------------------------------

    def first(self) -> int:
        """The number of the oldest action the history holds: older ones were compacted (1: none were)."""
        with self.store._lock:
            return int(_get(self._db, "journal.start") or 1)

    def count(self) -> int:
        """How many actions the history holds (those not compacted), for "… N older actions"."""
        with self.store._lock:
            return int(self._db.execute("SELECT count(*) FROM actions WHERE id >= ?", (self.first(),)).fetchone()[0])

    def reach(self) -> str:
        """ "the history goes back to #1234 (2025-11-30 10:12)": what compaction left, in words."""
        with self.store._lock:
            row = self._db.execute("SELECT id, at FROM actions WHERE id >= ? ORDER BY id LIMIT 1", (self.first(),)).fetchone()
        if row is None:
            return "the history is empty"
        return f"the history goes back to #{row[0]} ({local_time(row[1])})"

    def compact(self, keep_days: int, *, due: bool = False, now: dt.datetime | None = None) -> Compacted | None:
        """Drop the actions older than ``keep_days`` days (one transaction): they can no longer be undone or listed.

        ``due``: only if not done today already (the automatic run after a
        command changed the library).  None when nothing was tried
        (``keep_days`` 0 keeps every action, or it ran today).

        Only a run of the oldest actions goes, so ``undo --to`` any moment
        in the kept window still finds every action after it.  Kept anyway:

        * the newest action, so that numbers are never given twice (sync
          knows this device's actions by number);
        * this device's actions not written to its sync log yet, and every
          one after them (a library that never synced sends its state as a
          baseline when it first does);
        * what imports and backups brought (``forget`` needs it), though
          hidden from the history.

        What the dropped events gave each field is kept in ``settled``, so
        the merge of a late event from another device still weighs them.
        """
        if keep_days <= 0:
            return None
        moment = now or dt.datetime.now(dt.timezone.utc)
        today = moment.astimezone(dt.timezone.utc).date().isoformat()
        db = self._db
        with self.store._lock:  # the automatic run: a read, no write, on every day but one
            if due and _get(db, "journal.compacted_on") == today:
                return None
        with self.store.transaction():
            if due and _get(db, "journal.compacted_on") == today:
                return None
            _put(db, "journal.compacted_on", today)
            cutoff = (moment - dt.timedelta(days=keep_days)).astimezone(dt.timezone.utc)
            limit = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            start = self.first()
            newest = db.execute("SELECT max(id) FROM actions").fetchone()[0]
            if newest is None:
                return Compacted(0, 0, 0, None, None, limit)
            by_time = db.execute("SELECT min(id) FROM actions WHERE id >= ? AND at >= ?", (start, limit)).fetchone()[0]
            boundary = min(by_time if by_time is not None else newest, newest)
            held = 0
            if _get(db, "sync.baseline") is not None:  # it syncs: what its log does not hold yet stays
                marks = ",".join("?" * len(SENT_KINDS))
                unsent = db.execute(
                    f"SELECT min(id) FROM actions WHERE seq IS NULL AND id > ? AND id >= ? AND kind IN ({marks})",
                    (int(_get(db, "sync.sent") or 0), start, *SENT_KINDS),
                ).fetchone()[0]
                if unsent is not None and unsent < boundary:
                    held = db.execute(
                        "SELECT count(*) FROM actions WHERE id >= ? AND id < ?", (unsent, boundary)
                    ).fetchone()[0]
                    boundary = unsent
            if boundary <= start:
                return Compacted(0, 0, held, *self._oldest(start), limit)
            if merging(db):
                _settle_compacted(db, boundary)
            for device, seq in db.execute(
                "SELECT device, max(seq) FROM actions WHERE id < ? AND seq IS NOT NULL GROUP BY device", (boundary,)
            ).fetchall():  # their lines may be read again (a log replaced): never applied twice
                if seq > int(_get(db, COMPACTED_SEQ + device) or 0):
                    _put(db, COMPACTED_SEQ + device, str(seq))
            count = db.execute("SELECT count(*) FROM actions WHERE id >= ? AND id < ?", (start, boundary)).fetchone()[0]
            dropped_at = db.execute("SELECT max(at) FROM actions WHERE id < ?", (boundary,)).fetchone()[0]
            content = "SELECT id FROM actions WHERE id < ? AND kind IN ('import', 'restore')"
            changes = db.execute(
                "DELETE FROM changes WHERE action IN (SELECT id FROM actions WHERE id < ? AND kind NOT IN ('import', 'restore'))",
                (boundary,),
            ).rowcount
            changes += db.execute(
                f"DELETE FROM changes WHERE action IN ({content}) AND field != ?", (boundary, IMPORTED)
            ).rowcount
            db.execute("DELETE FROM actions WHERE id < ? AND kind NOT IN ('import', 'restore')", (boundary,))
            _put(db, "journal.start", str(boundary))
            if dropped_at is not None and dropped_at > (_get(db, "journal.dropped_at") or ""):
                _put(db, "journal.dropped_at", dropped_at)
            return Compacted(count, changes, held, *self._oldest(boundary), limit)

    def _oldest(self, start: int) -> tuple[int | None, str | None]:
        row = self._db.execute("SELECT id, at FROM actions WHERE id >= ? ORDER BY id LIMIT 1", (start,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    # -- undo and redo ------------------------------------------------------------------

    def _local(self, where: str, params: Sequence[object] = ()) -> Action | None:
        """The newest action made on this device (not received from another) matching ``where``."""
        row = self._db.execute(
            f"SELECT {_ACTION_COLUMNS} FROM actions WHERE seq IS NULL AND id >= ? AND {where} ORDER BY id DESC LIMIT 1",
            (self.first(), *params),
        ).fetchone()
        return Action(*row) if row else None

    def undoable(self) -> Action | None:
        """What ``undo`` would take back: this device's newest action not undone yet.

        Imports are left out (``forget`` takes one back): the inbox imports
        while the user reads, and ``u`` must not take that for the last thing
        they did.  Undos are left out too (``redo`` takes those back), and so
        is the state sync recorded when it began (``baseline``: not a change).
        """
        with self.store._lock:
            return self._local("kind NOT IN ('import', 'undo', 'baseline') AND reverted IS NULL")

    def redoable(self) -> Action | None:
        """The undo ``redo`` would take back: the newest one not redone, if no new action came after it."""
        with self.store._lock:
            last_undo = self._local("kind = 'undo' AND reverted IS NULL")
            if last_undo is None:
                return None
            newer = self._local("kind NOT IN ('import', 'undo', 'redo', 'baseline') AND id > ?", (last_undo.number,))
        return None if newer is not None else last_undo

    def undo(self) -> Reverted:
        """Take back this device's newest action, field by field; itself an action (redo takes it back)."""
        with self.store.transaction():
            target = self.undoable()
            if target is None:
                return Reverted("undo", None, None, [], 0, 0)
            return self._revert(target, "undo", "undo: " + target.label)

    def redo(self) -> Reverted:
        """Take back the newest undo (while no new action was made since)."""
        with self.store.transaction():
            target = self.redoable()
            if target is None:
                return Reverted("redo", None, None, [], 0, 0)
            return self._revert(target, "redo", target.label.removeprefix("undo: "))

    def undo_to(self, moment: int | dt.datetime) -> Reverted:
        """Take the user state back to a moment, as one new action (which ``undo`` takes back in turn).

        ``moment`` is an action number, meaning just before it (that action
        and every later one are taken back, whichever device made them), or
        a time: every action that took effect here after it is taken back.
        Read, bookmarks, tags, notes and saved views go back to what they
        were; papers stay (an import is taken back with ``forget``).
        """
        stamp = _now()
        with self.store.transaction():
            if isinstance(moment, int):
                action = self.action(moment)
                if action is None and 0 < moment < self.first():
                    raise JournalError(f"action #{moment} was compacted: {self.reach()}")
                if action is None:
                    raise JournalError(f"no action #{moment} in the history (paperreader history lists them)")
                first, what = moment, f"before #{moment} ({action.label})"
                as_of = what
            else:
                cutoff = moment.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
                dropped = _get(self._db, "journal.dropped_at")
                if dropped is not None and cutoff < dropped:
                    raise JournalError(f"{local_time(cutoff)} is older than the history: {self.reach()}")
                found = self._db.execute(
                    "SELECT min(id) FROM actions WHERE at > ? AND id >= ?", (cutoff, self.first())
                ).fetchone()[0]
                first, what = (found if found is not None else -1), local_time(cutoff)
                as_of = f"at {what}"
            targets: dict[tuple[str, str], str | None] = {}
            actions: set[int] = set()
            if first >= 0:
                for action_number, paper, field, old in self._db.execute(
                    "SELECT action, paper, field, old FROM changes WHERE action >= ? AND (field IN (?, ?, ?) "
                    "OR substr(field, 1, 4) = ? OR substr(field, 1, 5) = ?) ORDER BY action, rowid",
                    (first, READ, BOOKMARKED, NOTE, TAG, VIEW),
                ):
                    targets.setdefault((paper, field), old)  # the earliest change holds the value from before
                    actions.add(action_number)
            taken = len(actions)
            values = current_values(self._db, targets)
            writes: list[Change] = [
                (paper, field, values.get((paper, field)), value)
                for (paper, field), value in targets.items()
                if values.get((paper, field)) != value and (not paper or values.get((paper, field)) is not None)
            ]
            reindex = write_values(self._db, [(paper, field, value) for paper, field, _, value in writes], stamp)
            self.store._bump(sorted(reindex))
            number = record(
                self._db, self.store._meta("device") or "", "back", f"went back to {what}", writes, stamp=stamp,
                wall_ms=wall_ms(self.store),
            )
        papers = len({paper for paper, *_ in writes if paper})
        views = sum(1 for paper, *_ in writes if not paper)
        if not writes:
            summary = f"Nothing to take back: the state is as it was {as_of}."
        else:
            parts = [f"{papers:,} paper{'s' if papers != 1 else ''}"] if papers else []
            parts += [f"{views:,} saved view{'s' if views != 1 else ''}"] if views else []
            was = "as it was" if papers + views == 1 else "as they were"
            summary = (
                f"Went back to {what}: {' and '.join(parts)} {was}, {taken:,} action{'s' if taken != 1 else ''} "
                "taken back (undo reverses this)"
            )
        return Reverted("back", self.action(number) if number else None, self.action(number or 0), writes, 0, 0, summary)

    def _revert(self, target: Action, kind: str, label: str) -> Reverted:
        """Put back the old value of each field ``target`` changed, where it still holds the new one.

        A field someone changed since (this reader, the CLI, another device)
        is left as it is and counted: undo is field-exact, it never takes
        back more than the action did.
        """
        stamp = _now()
        changes = self.changes(target.number)
        values = current_values(self._db, [(paper, field) for paper, field, _, _ in changes])
        writes: list[Change] = []
        papers_kept: set[str] = set()
        views_kept: set[str] = set()
        for paper, field, old, new in changes:
            here = values.get((paper, field))
            if _same(field, here, new):
                writes.append((paper, field, row_value(self._db, paper, field) if here == _PRESENT else here, old))
            elif paper:  # changed since (even if back to what it was before): not this undo's to touch
                papers_kept.add(paper)
            else:
                views_kept.add(field)
        reindex = write_values(self._db, [(paper, field, old) for paper, field, _, old in writes], stamp)
        self.store._bump(sorted(reindex))
        number = record(
            self._db, self.store._meta("device") or "", kind, label, writes, target=target.number, stamp=stamp, empty=True,
            wall_ms=wall_ms(self.store),
        )
        self._db.execute("UPDATE actions SET reverted = ? WHERE id = ?", (number, target.number))
        papers = {paper for paper, *_ in changes if paper}
        title = None
        if len(papers) == 1:
            row = self._db.execute("SELECT title FROM papers WHERE id = ?", (next(iter(papers)),)).fetchone()
            title = row[0] if row else None
        return Reverted(kind, target, self.action(number or 0), writes, len(papers_kept), len(views_kept), title=title)


class JournalError(ValueError):
    """A moment or an action the journal does not know; the message is for the user."""


@dataclass(frozen=True, slots=True)
class Compacted:
    """What one compaction did, for its one line."""

    #: Actions dropped from the history, and their changes.
    actions: int
    changes: int
    #: Actions old enough to go but kept: this device has not written them to its sync log yet.
    held: int
    #: The oldest action the history holds now, and when it took effect (None: the history is empty).
    first: int | None
    first_at: str | None
    #: Actions that took effect before this (UTC) were due to go.
    limit: str

    def message(self) -> str:
        """ "Compacted 1,234 actions from before 2025-11-29 10:00; the history goes back to #1240 (…)"."""
        reach = f"the history goes back to #{self.first} ({local_time(self.first_at)})" if self.first and self.first_at else "the history is empty"
        if self.actions:
            text = f"Compacted {self.actions:,} action{'s' if self.actions != 1 else ''} from before {local_time(self.limit)}; {reach}"
        else:
            text = f"Nothing to compact (nothing from before {local_time(self.limit)}); {reach}"
        if self.held:
            text += (
                f"; {self.held:,} older action{'s are' if self.held != 1 else ' is'} kept until "
                "'paperreader sync' has written this device's changes to the sync folder"
            )
        return text


#: ``meta`` key prefix: the highest number of another device's actions compacted here.
COMPACTED_SEQ = "compacted:"

#: Kinds of action whose state changes sync sends (imports and forgets change content, which is not synced).
SENT_KINDS = ("change", "restore", "undo", "redo", "back", "baseline")


def _settle_compacted(db: sqlite3.Connection, boundary: int) -> None:
    """Fold the state events of the actions before ``boundary`` into ``settled``: one value per field.

    Ordered as the merge orders them (clock, device, record), each on top of
    what an earlier compaction kept; a note is folded as the merge folds it.
    """
    folded: dict[tuple[str, str], tuple[str, str, str | None]] = {}
    notes: dict[tuple[str, str], list[tuple[str | None, str | None, str, str]]] = {}
    for paper, field, base, new, hlc, device in db.execute(
        "SELECT c.paper, c.field, coalesce(c.base, c.old), c.new, a.hlc, a.device FROM changes c "
        "JOIN actions a ON a.id = c.action WHERE c.action < ? ORDER BY a.hlc, a.device, c.rowid",
        (boundary,),
    ):
        if not is_state_field(field):
            continue
        if field == NOTE:
            notes.setdefault((paper, field), []).append((base, new, device, hlc))
        else:
            folded[(paper, field)] = (hlc, device, new)
    for key, events in notes.items():
        floor = db.execute("SELECT hlc, device, value FROM settled WHERE paper = ? AND field = ?", key).fetchone()
        start = ((floor[2] or ""), floor[1]) if floor else ("", "")
        text, author = _fold_note([(base, new, device) for base, new, device, _ in events], *start)
        folded[key] = (max(events[-1][3], floor[0] if floor else ""), author, text)
    db.executemany(
        "INSERT INTO settled (paper, field, hlc, device, value) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (paper, field) DO UPDATE SET hlc = excluded.hlc, device = excluded.device, value = excluded.value "
        "WHERE excluded.field = 'note' OR (excluded.hlc, excluded.device) > (settled.hlc, settled.device)",
        [(paper, field, hlc, device, value) for (paper, field), (hlc, device, value) in folded.items()],
    )


def parse_moment(text: str) -> int | dt.datetime:
    """``undo --to``'s argument: an action number (``12`` or ``#12``) or a time.

    A time is ISO 8601 ("2026-11-28 18:00", "2026-11-28T18:00Z", "2026-11-28");
    without a zone it is the local time of this machine.  Raises
    :class:`JournalError` for anything else.
    """
    text = text.strip()
    if text.lstrip("#").isdigit():
        return int(text.lstrip("#"))
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise JournalError(f"not a time (YYYY-MM-DD HH:MM) or an action number: {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def standing(action: Action, find: Callable[[int], Action | None]) -> tuple[bool, str]:
    """Whether ``action`` is taken back now, and the history's mark saying so ("undone by #18").

    ``reverted`` names only the first undo (or, for an undo, the redo) that
    took an action back, and that one may have been taken back in turn: a
    change undone by #18 and redone by #21 is in effect again.  So the chain
    of takers-back is followed (``find`` looks an action up by number): an
    odd chain leaves the action taken back, an even one in effect again, and
    the mark names the last step (short: the reader shows it at 80 columns).
    """
    chain: list[Action] = []
    current = action
    while current.reverted is not None and len(chain) < 10_000:
        taker = find(current.reverted)
        if taker is None:
            break
        chain.append(taker)
        current = taker
    if not chain:
        return False, ""
    taken_back = len(chain) % 2 == 1
    last = chain[-1].number
    if action.kind == "undo":
        return taken_back, f"taken back by redo #{last}" if taken_back else f"redo #{chain[-2].number} undone by #{last}"
    if taken_back:
        return True, f"undone by #{last}" if len(chain) == 1 else f"undone again by #{last}"
    return False, f"undone, then redone by #{last}"


def local_time(stamp: str) -> str:
    """A stored UTC stamp as this machine's local time, to the minute: what history shows."""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True, slots=True)
class Reverted:
    """What an undo, a redo or an ``undo --to`` did, for the reader and the CLI to show."""

    kind: str
    #: The action taken back (None: there was nothing to take back).
    target: Action | None
    #: The new action that records it.
    action: Action | None
    #: ``(paper, field, value before, value now)`` of every field written.
    writes: list[Change]
    #: Papers (and saved views) left as they are: someone changed them since.
    papers_kept: int
    views_kept: int
    #: ``undo --to``: its own line.
    summary: str | None = None
    #: The title of the one paper the action touched (None: several, or none), to name it in the line.
    title: str | None = None

    @property
    def reindex(self) -> bool:
        """Tags or a note changed: the search index must catch up."""
        return any(field == NOTE or field.startswith(TAG) for _, field, _, _ in self.writes)

    def message(self) -> str:
        """ "Undone: marked read (1 paper changed since, left as it is)"."""
        if self.summary is not None:
            return self.summary
        if self.target is None:
            return f"Nothing to {self.kind}."
        what = self.target.label.removeprefix("undo: ") if self.kind == "redo" else self.target.label
        if self.title:  # "bookmarked" alone does not say which paper; the title is untrusted text
            title = " ".join(printable(self.title).split())
            what += f' "{title[:47].rstrip() + "…" if len(title) > 48 else title}"'
        done = "Undone" if self.kind == "undo" else "Redone"
        kept = []
        if self.papers_kept:
            kept.append(f"{self.papers_kept:,} paper{'s' if self.papers_kept != 1 else ''}")
        if self.views_kept:
            kept.append(f"{self.views_kept:,} saved view{'s' if self.views_kept != 1 else ''}")
        if not kept:
            return f"{done}: {what}"
        they = "it is" if self.papers_kept + self.views_kept == 1 else "they are"
        if not self.writes:
            return f"Nothing {done.lower()}: {what} ({' and '.join(kept)} changed since, left as {they})"
        return f"{done}: {what} ({' and '.join(kept)} changed since, left as {they})"


# -- reading and writing fields --------------------------------------------------------------

#: The value a present paper (or file) reads as, for comparisons of presence only.
_PRESENT = "\0present"


def _now() -> str:
    from .store import now

    return now()


def _same(field: str, here: str | None, value: str | None) -> bool:
    """Does a field hold this value?  Papers and files compare by presence (their rows are records)."""
    if field == PAPER or field.startswith(SOURCE):
        return (here is None) == (value is None)
    if field.startswith(DIGEST) and here is not None and value is not None:
        return _digest_value(here)[0] == _digest_value(value)[0]  # the upvotes a value may carry are no state
    return here == value


def current_values(db: sqlite3.Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """The value each ``(paper, field)`` holds now (None: the paper or the view does not exist)."""
    keys = list(dict.fromkeys(keys))
    papers = unique(paper for paper, field in keys if paper)
    rows: dict[str, tuple[int, int, str]] = {}
    tags: set[tuple[str, str]] = set()
    any_tag = any(field.startswith(TAG) for _, field in keys)
    for chunk in chunks(papers):
        marks = ",".join("?" * len(chunk))
        for pid, read, bookmarked, note in db.execute(
            f"SELECT id, read, bookmarked, note FROM papers WHERE id IN ({marks})", tuple(chunk)
        ):
            rows[pid] = (read, bookmarked, note)
        if any_tag:
            tags.update(
                (pid, tag) for pid, tag in db.execute(f"SELECT paper_id, tag FROM tags WHERE paper_id IN ({marks})", tuple(chunk))
            )
    views = {
        name: view_value(query, state, digest)
        for name, query, state, digest in db.execute("SELECT name, query, state, digest FROM views")
    } if any(field.startswith(VIEW) for _, field in keys) else {}
    found: dict[tuple[str, str], str | None] = {}
    for paper, field in keys:
        row = rows.get(paper)
        value: str | None = None
        if field.startswith(VIEW):
            value = views.get(field[len(VIEW):])
        elif field == PAPER:
            value = _PRESENT if row is not None else None
        elif field.startswith(DIGEST):
            hit = db.execute(
                "SELECT coalesce(source_id, '') FROM appearances WHERE paper_id = ? AND digest = ?",
                (paper, field[len(DIGEST):]),
            ).fetchone()
            value = None if hit is None else str(hit[0])
        elif field.startswith(SOURCE):
            hit = db.execute("SELECT 1 FROM sources WHERE sha256 = ?", (field[len(SOURCE):],)).fetchone()
            value = _PRESENT if hit else None
        elif row is None:
            value = None
        elif field == READ:
            value = flag(row[0])
        elif field == BOOKMARKED:
            value = flag(row[1])
        elif field == NOTE:
            value = row[2]
        elif field.startswith(TAG):
            value = flag((paper, field[len(TAG):]) in tags)
        found[(paper, field)] = value
    return found


def write_values(db: sqlite3.Connection, writes: Sequence[tuple[str, str, str | None]], stamp: str) -> set[str]:
    """Give fields these values (inside a transaction); returns the papers whose searchable text changed.

    Missing papers are skipped: a state for a paper not imported here has
    nowhere to go (sync keeps it in the journal until the paper arrives).
    Timestamps become ``stamp``: an undo is a change made now.
    """
    reindex: set[str] = set()
    by_kind: dict[str, list[tuple[str, str, str | None]]] = {}
    for paper, field, value in writes:
        kind = field if field in (READ, BOOKMARKED, NOTE, PAPER) else field.split(":", 1)[0] + ":"
        by_kind.setdefault(kind, []).append((paper, field, value))
    # Content first in, last out: a file before the appearances that name it.
    for paper, field, value in by_kind.get(SOURCE, []):
        if value is not None:
            _insert_source(db, json.loads(value))
    for paper, field, value in by_kind.get(PAPER, []):
        if value is not None:
            _insert_paper(db, json.loads(value))
            reindex.add(paper)
    for paper, field, value in by_kind.get(DIGEST, []):
        _write_digest(db, paper, field[len(DIGEST):], value)
        reindex.add(paper)
    for name, column in ((READ, "read"), (BOOKMARKED, "bookmarked")):
        for flag_value in ("0", "1"):  # one statement per 500 papers (undoing an A on 100,000 is one of these)
            papers = [paper for paper, _, value in by_kind.get(name, []) if (value == "1") == (flag_value == "1")]
            for chunk in chunks(papers):
                db.execute(
                    f"UPDATE papers SET {column} = ?, {column}_at = ? WHERE id IN ({','.join('?' * len(chunk))})",
                    (int(flag_value), stamp, *chunk),
                )
    for paper, field, value in by_kind.get(NOTE, []):
        db.execute("UPDATE papers SET note = ?, note_at = ? WHERE id = ?", (value or "", stamp, paper))
        reindex.add(paper)
    for paper, field, value in by_kind.get(TAG, []):
        exists = db.execute("SELECT 1 FROM papers WHERE id = ?", (paper,)).fetchone()
        if exists is None:
            continue
        if value == "1":
            db.execute("INSERT OR IGNORE INTO tags (paper_id, tag) VALUES (?, ?)", (paper, field[len(TAG):]))
        else:
            db.execute("DELETE FROM tags WHERE paper_id = ? AND tag = ?", (paper, field[len(TAG):]))
        db.execute("UPDATE papers SET tags_at = ? WHERE id = ?", (stamp, paper))
        reindex.add(paper)
    for _, field, value in by_kind.get(VIEW, []):
        name = field[len(VIEW):]
        if value is None:
            db.execute("DELETE FROM views WHERE name = ?", (name,))
            continue
        view = json.loads(value)
        db.execute(
            "INSERT INTO views (name, query, state, digest, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET query = excluded.query, state = excluded.state, "
            "digest = excluded.digest, updated_at = excluded.updated_at",
            (name, view["query"], view["state"], view["digest"], stamp, stamp),
        )
    removals = [paper for paper, _, value in by_kind.get(PAPER, []) if value is None]
    if removals:
        # The search index deletes what was taken out after the revision it has seen.
        rev = int(_get(db, "rev") or 0) + 1
        _put(db, "rev", str(rev))
        db.executemany("DELETE FROM papers WHERE id = ?", [(paper,) for paper in removals])
        db.executemany(
            "INSERT INTO removed (paper_id, rev) VALUES (?, ?) ON CONFLICT (paper_id) DO UPDATE SET rev = excluded.rev",
            [(paper, rev) for paper in removals],
        )
    for paper, field, value in by_kind.get(SOURCE, []):
        if value is None:
            db.execute("DELETE FROM sources WHERE sha256 = ?", (field[len(SOURCE):],))
    return reindex


def row_value(db: sqlite3.Connection, paper: str, field: str) -> str | None:
    """A paper's or an imported file's whole record as JSON: what ``forget`` keeps to put it back."""
    if field.startswith(SOURCE):
        found = db.execute(
            "SELECT id, sha256, path, imported_at, papers, new, warnings FROM sources WHERE sha256 = ?",
            (field[len(SOURCE):],),
        ).fetchone()
        if found is None:
            return None
        keys = ("id", "sha256", "path", "imported_at", "papers", "new", "warnings")
        return json.dumps(dict(zip(keys, found)), ensure_ascii=False, sort_keys=True)
    cursor = db.execute("SELECT * FROM papers WHERE id = ?", (paper,))
    found = cursor.fetchone()
    if found is None:
        return None
    data: dict[str, object] = dict(zip([c[0] for c in cursor.description], found))
    data["tags"] = [tag for (tag,) in db.execute("SELECT tag FROM tags WHERE paper_id = ? ORDER BY tag", (paper,))]
    data["appearances"] = [
        [day, source, upvotes]  # the upvotes that day's page showed: undoing a forget keeps each figure
        for day, source, upvotes in db.execute(
            "SELECT digest, source_id, upvotes FROM appearances WHERE paper_id = ? ORDER BY digest", (paper,)
        )
    ]
    # Its citation key goes with the row (ON DELETE CASCADE): a document cites it, so it comes back too.
    key = db.execute("SELECT key, pinned, set_at FROM cite_keys WHERE paper_id = ?", (paper,)).fetchone()
    if key is not None:
        data["cite_key"] = list(key)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _digest_value(value: str) -> tuple[int | None, int | None]:
    """A digest field's value: ``"3"`` (file 3), ``""`` (no file), either followed by `` 128``, the page's upvotes."""
    source, _, upvotes = value.partition(" ")
    return (int(source) if source else None), (int(upvotes) if upvotes else None)


def digest_value(source: int | None, upvotes: int | None) -> str:
    """The value of a digest field that keeps the appearance's upvotes (see :func:`_digest_value`)."""
    return ("" if source is None else str(source)) + ("" if upvotes is None else f" {upvotes}")


def _write_digest(db: sqlite3.Connection, paper: str, day: str, value: str | None) -> None:
    """Add, re-point or remove one digest appearance, keeping the paper's newest digest right."""
    if value is None:
        db.execute("DELETE FROM appearances WHERE paper_id = ? AND digest = ?", (paper, day))
    else:
        db.execute(
            "INSERT INTO appearances (paper_id, digest, source_id, upvotes) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (paper_id, digest) DO UPDATE SET source_id = excluded.source_id, "
            "upvotes = coalesce(excluded.upvotes, appearances.upvotes)",
            (paper, day, *_digest_value(value)),
        )
    db.execute(
        "UPDATE papers SET last_digest = coalesce((SELECT max(digest) FROM appearances WHERE paper_id = ?), last_digest) "
        "WHERE id = ?",
        (paper, paper),
    )


def _insert_source(db: sqlite3.Connection, row: dict[str, Any]) -> None:
    db.execute(
        "INSERT OR IGNORE INTO sources (id, sha256, path, imported_at, papers, new, warnings) VALUES "
        "(:id, :sha256, :path, :imported_at, :papers, :new, :warnings)",
        row,
    )


def _insert_paper(db: sqlite3.Connection, row: dict[str, Any]) -> None:
    """Put back a paper ``forget`` took out: its content, state, tags, appearances and citation key as they were."""
    known = {info[1] for info in db.execute("PRAGMA table_info(papers)")}
    columns = [name for name in row if name in known]
    db.execute(
        f"INSERT OR IGNORE INTO papers ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
        {c: row[c] for c in columns},
    )
    db.executemany(
        "INSERT OR IGNORE INTO tags (paper_id, tag) VALUES (?, ?)", [(row["id"], tag) for tag in row.get("tags") or []]
    )
    db.executemany(  # [day, source] before schema 4, [day, source, upvotes] since
        "INSERT OR IGNORE INTO appearances (paper_id, digest, source_id, upvotes) VALUES (?, ?, ?, ?)",
        [(row["id"], *(list(item) + [None])[:3]) for item in row.get("appearances") or []],
    )
    if row.get("cite_key"):
        # Unless another paper took the key meanwhile: then this one gets a new key at its next export.
        key, pinned, set_at = row["cite_key"]
        db.execute(
            "INSERT OR IGNORE INTO cite_keys (paper_id, key, pinned, set_at) VALUES (?, ?, ?, ?)",
            (row["id"], key, pinned, set_at),
        )


# -- imports, and taking one back ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """One imported file as ``paperreader imports`` lists it."""

    number: int
    path: str
    sha256: str
    when: str
    papers: int
    new: int
    digests: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "path": self.path,
            "sha256": self.sha256,
            "imported_at": self.when,
            "papers": self.papers,
            "new": self.new,
            "digests": list(self.digests),
        }


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What ``forget`` did: the papers it took out, those it kept and why."""

    source: ImportRecord
    #: Papers taken out (the import was all that had brought them).
    removed: list[str]
    #: Papers another import (or a backup) also brought: they stay, with its digests.
    shared: list[str]
    #: Papers only this import brought that you bookmarked, tagged or annotated: kept (without ``force``).
    kept: list[str]
    action: Action | None


def _source_days(
    db: sqlite3.Connection, actions: Sequence[int], papers: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """The digest days the given import (or backup) actions brought each paper: ``{paper: {day: action}}``.

    Read action by action (their records are together), never paper by
    paper: the journal needs no index by paper for it.
    """
    wanted = None if papers is None else set(papers)
    found: dict[str, dict[str, int]] = {}
    for part in chunks([str(n) for n in actions]):
        marks = ",".join("?" * len(part))
        for action, paper, new in db.execute(
            f"SELECT action, paper, new FROM changes WHERE action IN ({marks}) AND field = ?", (*part, IMPORTED)
        ):
            if wanted is None or paper in wanted:
                for day in (new or "").split():
                    found.setdefault(paper, {}).setdefault(day, action)
    return found


def _imports(store: Store) -> list[ImportRecord]:
    """Every imported file still in the library, oldest first, with the digest days it brought."""
    with store._lock:
        sources = store._db.execute(
            "SELECT id, path, sha256, imported_at, papers, new FROM sources ORDER BY id"
        ).fetchall()
        days: dict[int, set[str]] = {}
        for source, new in store._db.execute(
            "SELECT a.source, c.new FROM actions a JOIN changes c ON c.action = a.id "
            "WHERE a.kind = 'import' AND c.field = ? GROUP BY a.source, c.new",
            (IMPORTED,),
        ):
            days.setdefault(source, set()).update((new or "").split())
        for source, day in store._db.execute(  # files imported before the journal
            "SELECT DISTINCT source_id, digest FROM appearances WHERE source_id IS NOT NULL"
        ):
            days.setdefault(source, set()).add(day)
    return [
        ImportRecord(number, path, sha, when, papers, new, tuple(sorted(days.get(number, ()))))
        for number, path, sha, when, papers, new in sources
    ]

def _find_import(store: Store, source: str) -> ImportRecord:
    """The import a user names: its number (``3``, ``#3``) or the path of the file imported.

    Raises :class:`JournalError` for an unknown one, and for a path imported
    more than once (each time its content differed): the numbers tell them apart.
    """
    records = _imports(store)
    text = source.strip()
    if text.lstrip("#").isdigit():
        found = [r for r in records if r.number == int(text.lstrip("#"))]
    else:
        def same(stored: str) -> bool:
            try:
                return os.path.samefile(stored, text) or os.path.abspath(stored) == os.path.abspath(text)
            except OSError:
                return os.path.abspath(os.path.expanduser(stored)) == os.path.abspath(os.path.expanduser(text))

        found = [r for r in records if r.path == text or same(r.path)]
    if not found:
        raise JournalError(f"{source}: no such import (paperreader imports lists them)")
    if len(found) > 1:
        numbers = ", ".join(f"#{r.number}" for r in found)
        raise JournalError(f"{source}: imported {len(found)} times ({numbers}); give the number")
    return found[0]

def _forget(journal: Journal, imported: ImportRecord, *, force: bool = False) -> Forgotten:
    """Take back what one import added, and nothing else, as one action (undo puts it back).

    A paper another import (or a backup) also brought stays, with the
    digest days that one brought; the days only this file brought go.
    A paper only this file brought goes, unless the user bookmarked,
    tagged or annotated it and ``force`` is not given: it is kept (its
    days then belong to no file) and listed.  The file's record goes too,
    so importing it again works.
    """
    stamp = _now()
    store = journal.store
    with store.transaction():
        db = store._db
        source = imported.number
        own = [n for (n,) in db.execute("SELECT id FROM actions WHERE kind = 'import' AND source = ?", (source,))]
        brought = {paper: set(days) for paper, days in _source_days(db, own).items()}
        here: dict[str, dict[str, int | None]] = {}  # paper -> {day: source id} of its appearances
        for paper, day, source_id in db.execute(
            "SELECT paper_id, digest, source_id FROM appearances WHERE paper_id IN "
            "(SELECT paper_id FROM appearances WHERE source_id = ?)",
            (source,),
        ):
            here.setdefault(paper, {})[day] = source_id
        for paper, days in here.items():  # files imported before the journal: their appearances tell
            brought.setdefault(paper, set()).update(day for day, by in days.items() if by == source)
        papers = sorted(brought)
        for chunk in chunks(papers):
            marks = ",".join("?" * len(chunk))
            for paper, day, source_id in db.execute(
                f"SELECT paper_id, digest, source_id FROM appearances WHERE paper_id IN ({marks})", tuple(chunk)
            ):
                here.setdefault(paper, {})[day] = source_id
        live = {n for (n,) in db.execute("SELECT id FROM sources WHERE id != ?", (source,))}
        others = [
            n
            for n, kind, src in db.execute("SELECT id, kind, source FROM actions WHERE kind IN ('import', 'restore')")
            if kind == "restore" or src in live
        ]
        # What other files (and backups) brought these papers, and which file each day came with.
        brought_by = {n: src for n, src in db.execute("SELECT id, source FROM actions WHERE kind IN ('import', 'restore')")}
        elsewhere: dict[str, set[str]] = {}
        giver: dict[tuple[str, str], int | None] = {}
        for paper, days in _source_days(db, others, papers).items():
            elsewhere[paper] = set(days)
            for day, action in days.items():
                giver.setdefault((paper, day), brought_by.get(action))
        for paper, days in here.items():
            for day, by in days.items():
                # Another file's appearance (one imported before the journal, say).  An
                # appearance of no file is a backup's (its journal record tells) or one
                # a forget kept for the user's sake: no evidence that anything else brought it.
                if by is not None and by != source:
                    elsewhere.setdefault(paper, set()).add(day)
                    giver.setdefault((paper, day), by)
        annotated = set()
        for chunk in chunks(papers):
            marks = ",".join("?" * len(chunk))
            annotated.update(
                pid for (pid,) in db.execute(
                    f"SELECT id FROM papers WHERE id IN ({marks}) AND (bookmarked = 1 OR note != '' "
                    "OR id IN (SELECT paper_id FROM tags))",
                    tuple(chunk),
                )
            )
        changes: list[Change] = []
        writes: list[tuple[str, str, str | None]] = []
        removed: list[str] = []
        shared: list[str] = []
        kept: list[str] = []
        for paper in papers:
            days = here.get(paper)
            if days is None:
                continue  # not in the library any more
            others_days = elsewhere.get(paper, set()) & set(days)
            keep = bool(others_days) or (paper in annotated and not force)
            if not keep:
                changes.append((paper, PAPER, row_value(db, paper, PAPER), None))
                writes.append((paper, PAPER, None))
                removed.append(paper)
                continue
            (shared if others_days else kept).append(paper)
            for day, by in sorted(days.items()):
                if by != source:
                    continue
                if day in others_days:  # another file brought it too: it is that file's now
                    other = giver.get((paper, day))
                    value: str | None = "" if other is None else str(other)
                else:
                    value = None if others_days else ""  # kept for the user's sake: the day stays, no file's
                figure = db.execute(  # kept in the old value: undo puts back the page's upvotes too
                    "SELECT upvotes FROM appearances WHERE paper_id = ? AND digest = ?", (paper, day)
                ).fetchone()[0]
                changes.append((paper, DIGEST + day, digest_value(source, figure), value))
                writes.append((paper, DIGEST + day, value))
        sha_field = SOURCE + imported.sha256
        changes.append(("", sha_field, row_value(db, "", sha_field), None))
        writes.append(("", sha_field, None))
        reindex = write_values(db, writes, stamp)
        store._bump(sorted(reindex - set(removed)))
        count = len(removed)
        name = os.path.basename(imported.path) or imported.path
        # The history shows the papers the action touched (taken out + kept) before the label:
        # the label says what the other figure is, or "109 papers … (78 taken out)" reads as a contradiction.
        parts = [f"{count:,} paper{'s' if count != 1 else ''} taken out"]
        if shared:
            parts.append(f"{len(shared):,} kept: also in another import")
        if kept:
            parts.append(f"{len(kept):,} kept: bookmarked, tagged or noted")
        label = f"forgot {name} ({', '.join(parts)})"
        number = record(
            db, store._meta("device") or "", "forget", label, changes, source=source, stamp=stamp, wall_ms=wall_ms(store)
        )
    return Forgotten(imported, removed, shared, kept, journal.action(number or 0))



# -- merging: what every device agrees a field holds -----------------------------------------------
#
# The rules (README, "Sync between machines"): read, bookmark, each tag and each
# saved view take the value of their newest event, ordered by hybrid logical
# clock and then device name; a note is folded over its events in that order,
# and an edit made without having seen the note it meets (two devices edited it
# between syncs) keeps both texts, the newer on top.  Every event is in the
# journal, so the value is a function of the set of events a device has seen,
# whatever order it saw them in.

#: The line a merged note puts above the text another device wrote.
NOTE_MARK = "── note from {device} ──"


#: Looking fields up paper by paper, which the merge does: made when a library first syncs,
#: so that a library that never does pays nothing for it on each change.
FIELD_INDEX = "CREATE INDEX IF NOT EXISTS changes_field ON changes (paper, field)"


def merging(db: sqlite3.Connection) -> bool:
    """Has this library synced (the merge's index exists)?"""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'changes_field'").fetchone() is not None


def merged_note(events: Iterable[tuple[str | None, str | None, str]]) -> str:
    """Fold a note's events ``(base, new, device)``, oldest first, into the text every device shows.

    ``base`` is the text the event's device changed.  An event made on top of
    the text reached so far replaces it; one made on top of something else
    (concurrent) keeps both, unless one side is empty (a deletion never wins
    over text) or they are equal.
    """
    return _fold_note(events)[0]


def _fold_note(
    events: Iterable[tuple[str | None, str | None, str]], text: str = "", author: str = ""
) -> tuple[str, str]:
    """:func:`merged_note` from a text reached already: ``(text, its author)``.

    Compaction folds the events it drops into one value per note, and the
    merge goes on from there: the author names the text under a marked line.
    """
    for base, new, device in events:
        new = new or ""
        if new == text:
            author = device
        elif base == text or not text:
            text, author = new, device
        elif new:
            text = f"{new}\n\n{NOTE_MARK.format(device=author)}\n{text}"
            author = device
    return text, author


def merged_value(db: sqlite3.Connection, paper: str, field: str) -> tuple[bool, str | None]:
    """``(any events, value)``: what the merge rules give a field from every event in the journal.

    Events compacted away count through what they gave the field
    (``settled``), as if they were still there, older than the rest.
    """
    floor = db.execute("SELECT hlc, device, value FROM settled WHERE paper = ? AND field = ?", (paper, field)).fetchone()
    if field == NOTE:
        rows = db.execute(
            "SELECT coalesce(c.base, c.old), c.new, a.device FROM changes c JOIN actions a ON a.id = c.action "
            "WHERE c.paper = ? AND c.field = ? ORDER BY a.hlc, a.device, c.rowid",
            (paper, NOTE),
        ).fetchall()
        start = ((floor[2] or ""), floor[1]) if floor else ("", "")
        return bool(rows) or floor is not None, _fold_note(rows, *start)[0]
    row = db.execute(
        "SELECT a.hlc, a.device, c.new FROM changes c JOIN actions a ON a.id = c.action WHERE c.paper = ? AND c.field = ? "
        "ORDER BY a.hlc DESC, a.device DESC, c.rowid DESC LIMIT 1",
        (paper, field),
    ).fetchone()
    if floor is not None and (row is None or (floor[0], floor[1]) > (row[0], row[1])):
        row = floor
    return row is not None, (row[2] if row else None)


def settle_fields(db: sqlite3.Connection, keys: Iterable[tuple[str, str]], stamp: str) -> tuple[list[Change], set[str]]:
    """Give each field the value the merge rules say (inside a transaction).

    Returns the fields written ``(paper, field, before, after)`` and the
    papers whose searchable text changed.  Fields of papers not here are left
    for when the paper arrives.
    """
    keys = list(dict.fromkeys(keys))
    values = current_values(db, keys)
    writes: list[Change] = []
    for paper, field in keys:
        here = values.get((paper, field))
        if paper and here is None:
            continue  # not imported here (yet)
        found, value = merged_value(db, paper, field)
        if not found:
            continue
        if field.startswith(TAG) or field in (READ, BOOKMARKED):
            value = "1" if value == "1" else "0"
        elif field == NOTE:
            value = value or ""
        if value != here:
            writes.append((paper, field, here, value))
    reindex = write_values(db, [(paper, field, value) for paper, field, _, value in writes], stamp)
    return writes, reindex


def settle_arrivals(db: sqlite3.Connection, papers: Sequence[str], stamp: str) -> set[str]:
    """Papers just added: take the state other devices gave them before they arrived here.

    Returns the papers whose searchable text (tags, note) changed.
    """
    if not papers or not merging(db):
        return set()  # never synced: no other device's state can be waiting for them
    keys: list[tuple[str, str]] = []
    for chunk in chunks(list(papers)):
        marks = ",".join("?" * len(chunk))
        keys += [
            (paper, field)
            for paper, field in db.execute(
                f"SELECT DISTINCT paper, field FROM changes WHERE paper IN ({marks}) "
                f"UNION SELECT paper, field FROM settled WHERE paper IN ({marks})",
                (*chunk, *chunk),
            )
            if is_state_field(field)
        ]
    if not keys:
        return set()
    return settle_fields(db, keys, stamp)[1]
