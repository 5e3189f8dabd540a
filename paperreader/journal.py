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
``paper``                 a paper taken out by ``forget``: its row as JSON
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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store imports this module
    from .store import Store

__all__ = [
    "JOURNAL_SCHEMA", "READ", "BOOKMARKED", "NOTE", "TAG", "VIEW", "IMPORTED", "PAPER", "DIGEST", "SOURCE",
    "STATE_KINDS", "Change", "Action", "Journal", "describe_days", "record", "next_hlc", "observe_hlc", "new_device_name", "view_value", "describe_state",
    "is_state_field",
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
CREATE INDEX IF NOT EXISTS changes_field ON changes (paper, field);
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
    """A new stamp, later than every one made or seen here (inside a transaction)."""
    wall = int(time.time() * 1000) if wall_ms is None else wall_ms
    millis, counter = _parse_hlc(_get(db, "hlc"))
    if wall > millis:
        millis, counter = wall, 0
    else:
        counter += 1
    stamp = _format_hlc(millis, counter)
    _put(db, "hlc", stamp)
    return stamp


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
    device: str,
    kind: str,
    label: str,
    changes: Sequence[Change],
    *,
    target: int | None = None,
    source: int | None = None,
    stamp: str,
) -> int | None:
    """Record one action and its changes (inside the transaction that made them).

    Returns the action's number, or None when nothing changed: an action that
    changed nothing is not worth an entry (nor an undo).  One ``executemany``
    for the changes, so marking 100,000 papers read stays one fast statement.
    """
    if not changes:
        return None
    papers = len({change[0] for change in changes if change[0]})
    cursor = db.execute(
        "INSERT INTO actions (device, hlc, at, kind, label, papers, target, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (device, next_hlc(db), stamp, kind, label, papers, target, source),
    )
    action = cursor.lastrowid
    assert action is not None
    db.executemany(
        "INSERT INTO changes (action, paper, field, old, new) VALUES (?, ?, ?, ?, ?)",
        [(action, *change) for change in changes],
    )
    return action


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

    def actions(self, *, limit: int | None = None, before: int | None = None) -> list[Action]:
        """Actions newest first (``before``: only those with a smaller number)."""
        sql = f"SELECT {_ACTION_COLUMNS} FROM actions"
        params: list[object] = []
        if before is not None:
            sql += " WHERE id < ?"
            params.append(before)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.store._lock:
            return [Action(*row) for row in self._db.execute(sql, params)]

    def action(self, number: int) -> Action | None:
        with self.store._lock:
            row = self._db.execute(f"SELECT {_ACTION_COLUMNS} FROM actions WHERE id = ?", (number,)).fetchone()
        return Action(*row) if row else None

    def changes(self, number: int) -> list[Change]:
        """What one action changed: ``(paper, field, old, new)`` in the order recorded."""
        with self.store._lock:
            return [
                (row[0], row[1], row[2], row[3])
                for row in self._db.execute(
                    "SELECT paper, field, old, new FROM changes WHERE action = ? ORDER BY rowid", (number,)
                )
            ]
