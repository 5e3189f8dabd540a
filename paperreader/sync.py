"""Sync between machines through a folder another tool keeps in sync.

No server of our own: Syncthing, Dropbox, iCloud Drive, a git repository or an
NFS home already move files between the user's machines.  Each device writes
only its own file in the folder, ``DEVICE.log``: an append-only log of its
actions, one JSON object a line, which a person can read.  Devices never
write each other's files, so a sync tool never sees two writers on one file.

``sync()`` appends this device's actions that its file does not hold yet, and
records the other devices' new actions in the journal, where the merge rules
(:func:`paperreader.journal.merged_value`) give every field the value every
device agrees on.  What the folder can do to the files is survived:

* a half-written last line (a sync tool mid-copy) is left until it is whole;
* the same file twice (a "conflicted copy"): an action is known by its device
  and number, and recorded once;
* a device file deleted or truncated: its device writes again what is missing
  at its next sync, and nothing applied here is lost;
* the folder missing or read-only: one clear line; local use goes on;
* two processes of one device syncing at once: a lock in the data dir (not in
  the synced folder) makes them take turns.

This module imports neither Textual nor Whoosh.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .journal import (
    COMPACTED_SEQ, DEVICE_HOME, FIELD_INDEX, NOTE, SENT_KINDS, TAG, VIEW, current_values, device_home, is_state_field,
    new_device_name, observe_hlc, record, settle_fields, view_value, wall_ms,
)
from .models import STATES
from .store import Store, now
from .text import clean_note, clean_text, normalize_tag

__all__ = ["SyncError", "SyncReport", "sync", "sync_status", "rename_device", "LOG_SUFFIX", "FORMAT"]

#: A device's file in the folder: ``DEVICE.log``.
LOG_SUFFIX = ".log"
#: The version of the line format.
FORMAT = 1
#: The lock file in the data dir that keeps two processes of one device from syncing at once.
LOCK_NAME = "sync.lock"
#: Kinds of action whose state changes are sent (imports and forgets change content, which is not synced).
_SENT_KINDS = SENT_KINDS

_HLC = re.compile(r"^\d{13}\.\d{6}$")
_PAPER = re.compile(r"^[0-9a-f]{10}$")
_DEVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")


class SyncError(Exception):
    """Sync could not run at all; the message is one line naming the folder and the reason."""


@dataclass(slots=True)
class SyncReport:
    """What one sync did, for its one line of counts."""

    folder: Path
    device: str
    sent: int = 0
    sent_actions: int = 0
    applied: int = 0
    applied_actions: int = 0
    #: Devices whose actions were applied.
    devices: list[str] = field(default_factory=list)
    #: Fields whose value changed here.
    changed: int = 0
    #: Papers whose tags or note changed: the search index must catch up.
    reindex: bool = False
    #: Whole lines that could not be read (skipped; a half-written last line is not counted).
    skipped: int = 0
    #: Why this device's actions could not be written to the folder (None: they were).
    error: str | None = None

    def line(self) -> str:
        """ "sync: sent 12 changes, applied 40 from 2 devices"."""
        sent = f"sent {self.sent:,} change{'s' if self.sent != 1 else ''}"
        if self.error:
            sent = f"sent nothing ({self.error})"
        count = len(self.devices)
        text = f"sync: {sent}, applied {self.applied:,} from {count} device{'s' if count != 1 else ''}"
        if self.skipped:
            text += f"; skipped {self.skipped} unreadable line{'s' if self.skipped != 1 else ''}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "folder": str(self.folder),
            "device": self.device,
            "sent": self.sent,
            "sent_actions": self.sent_actions,
            "applied": self.applied,
            "applied_actions": self.applied_actions,
            "devices": self.devices,
            "changed": self.changed,
            "skipped": self.skipped,
            "error": self.error,
        }


# -- the line format --------------------------------------------------------------------


def _line(device: str, seq: int, hlc: str, at: str, kind: str, label: str, changes: list[list[Any]]) -> bytes:
    """One action as a line: ``{"v":1,"seq":12,"device":...,"hlc":...,"at":...,"kind":...,"what":...,"changes":[...]}``."""
    data = {"v": FORMAT, "seq": seq, "device": device, "hlc": hlc, "at": at, "kind": kind, "what": label, "changes": changes}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


@dataclass(frozen=True, slots=True)
class _Remote:
    """An action read from another device's file, checked."""

    device: str
    seq: int
    hlc: str
    at: str
    kind: str
    label: str
    changes: list[tuple[str, str, str | None, str | None]]


def _checked_value(name: str, value: Any) -> str | None:
    """A field's value from a line, cleaned as if typed here; raises ValueError if it cannot be one."""
    if value is not None and not isinstance(value, str):
        raise ValueError("value")
    if name == NOTE:
        return clean_note(value or "")
    if name.startswith(VIEW):
        if value is None:
            return None
        view = json.loads(value)
        if view.get("state") not in STATES or not isinstance(view.get("query"), str):
            raise ValueError("view")
        digest = view.get("digest")
        if digest is not None and not isinstance(digest, str):
            raise ValueError("view")
        return view_value(clean_text(view["query"]), view["state"], digest)
    if value not in ("0", "1"):
        raise ValueError("flag")
    return value


def _parse(raw: bytes) -> _Remote:
    """A line from the folder, checked as the untrusted input it is; raises ValueError if it is not one."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("v") != FORMAT:
        raise ValueError("not a paperreader sync line")
    device, seq, hlc = data.get("device"), data.get("seq"), data.get("hlc")
    at, kind, label = data.get("at"), data.get("kind"), data.get("what")
    if not (isinstance(device, str) and _DEVICE.match(device)):
        raise ValueError("device")
    if not (isinstance(seq, int) and seq > 0 and isinstance(hlc, str) and _HLC.match(hlc)):
        raise ValueError("seq or clock")
    if not (isinstance(at, str) and isinstance(kind, str) and isinstance(label, str)):
        raise ValueError("header")
    changes: list[tuple[str, str, str | None, str | None]] = []
    for item in data.get("changes") or []:
        if not (isinstance(item, list) and len(item) == 4 and isinstance(item[0], str) and isinstance(item[1], str)):
            raise ValueError("change")
        paper, name = item[0], item[1]
        if not is_state_field(name):
            continue
        if name.startswith(VIEW):
            if paper or clean_text(name[len(VIEW):]) != name[len(VIEW):] or not name[len(VIEW):]:
                raise ValueError("view name")
        elif not _PAPER.match(paper):
            raise ValueError("paper id")
        if name.startswith(TAG) and normalize_tag(name[len(TAG):]) != name[len(TAG):]:
            raise ValueError("tag")
        changes.append((paper, name, _checked_value(name, item[2]), _checked_value(name, item[3])))
    return _Remote(device, seq, hlc, clean_text(at)[:40], clean_text(kind)[:20], clean_text(label)[:500], changes)


# -- the folder -------------------------------------------------------------------------


def _check_folder(folder: Path) -> None:
    if not folder.exists():
        raise SyncError(f"{folder}: no such folder (create it, or check [sync] folder / --folder); nothing was synced")
    if not folder.is_dir():
        raise SyncError(f"{folder}: not a folder; nothing was synced")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise SyncError(f"{folder}: cannot be read (no permission); nothing was synced")


@contextlib.contextmanager
def _device_lock(data_dir: Path) -> Iterator[None]:
    """One sync at a time per library (two readers, a reader and a command, two commands)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; SQLite's own lock still serialises the writes
        yield
        return
    with open(data_dir / LOCK_NAME, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _complete_lines(data: bytes) -> tuple[list[bytes], int]:
    """The whole lines of ``data`` and how many bytes they take: a last line without its newline waits."""
    end = data.rfind(b"\n") + 1
    return [line for line in data[:end].split(b"\n") if line.strip()], end


def _head(data: bytes) -> str:
    return hashlib.sha256(data[:4096]).hexdigest()


def _read_others(store: Store, folder: Path, device: str) -> tuple[list[_Remote], int, dict[str, tuple[int, str]]]:
    """New actions of other devices in the folder's files, lines that could not be read, and the new offsets."""
    db = store._db
    with store._lock:
        known = {name: (offset, head) for name, offset, head in db.execute("SELECT name, offset, head FROM sync_files")}
    found: list[_Remote] = []
    skipped = 0
    offsets: dict[str, tuple[int, str]] = {}
    for path in sorted(folder.glob("*" + LOG_SUFFIX)):
        if path.name == device + LOG_SUFFIX or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue  # a file a sync tool is replacing: next time
        offset, head = known.get(path.name, (0, ""))
        if offset > len(data) or _head(data[: min(offset, 4096)]) != head:
            offset = 0  # truncated, or another file by that name: read it again (actions are known by number)
        lines, end = _complete_lines(data[offset:])
        for raw in lines:
            try:
                remote = _parse(raw)
            except (ValueError, TypeError, AttributeError):
                skipped += 1
                continue
            if remote.device != device:
                found.append(remote)
        new_offset = offset + end
        offsets[path.name] = (new_offset, _head(data[: min(new_offset, 4096)]))
    return found, skipped, offsets


def _apply(store: Store, remotes: list[_Remote], offsets: dict[str, tuple[int, str]], report: SyncReport) -> None:
    """Record the other devices' actions not seen yet, and settle every field they touched (one transaction)."""
    stamp = now()
    db = store._db
    with store.transaction():
        seen: set[tuple[str, int]] = set()
        touched: list[tuple[str, str]] = []
        devices: set[str] = set()
        # Actions compacted here (Journal.compact) are gone from the journal, but were applied.
        compacted = {
            key[len(COMPACTED_SEQ):]: int(value)
            for key, value in db.execute("SELECT key, value FROM meta WHERE key LIKE ?", (COMPACTED_SEQ + "%",))
        }
        for remote in sorted(remotes, key=lambda r: (r.hlc, r.device, r.seq)):
            key = (remote.device, remote.seq)
            if key in seen or remote.seq <= compacted.get(remote.device, 0) or db.execute(
                "SELECT 1 FROM actions WHERE device = ? AND seq = ?", key
            ).fetchone() is not None:
                continue  # the same action from another copy of the file, or applied before
            seen.add(key)
            papers = len({paper for paper, *_ in remote.changes if paper})
            cursor = db.execute(
                "INSERT INTO actions (device, seq, hlc, at, made, kind, label, papers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (remote.device, remote.seq, remote.hlc, stamp, remote.at, remote.kind, remote.label, papers),
            )
            keys = [(paper, name) for paper, name, _, _ in remote.changes]
            here = current_values(db, keys)
            db.executemany(
                "INSERT INTO changes (action, paper, field, old, new, base) VALUES (?, ?, ?, ?, ?, ?)",
                [(cursor.lastrowid, paper, name, here.get((paper, name)), new, old) for paper, name, old, new in remote.changes],
            )
            observe_hlc(db, remote.hlc, wall_ms(store))
            touched += keys
            devices.add(remote.device)
            report.applied += len(remote.changes)
            report.applied_actions += 1
        writes, reindex = settle_fields(db, touched, stamp)
        store._bump(sorted(reindex))
        db.executemany(
            "INSERT INTO sync_files (name, offset, head) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET offset = excluded.offset, head = excluded.head",
            [(name, offset, head) for name, (offset, head) in offsets.items()],
        )
    report.devices = sorted(devices)
    report.changed = len(writes)
    report.reindex = bool(reindex)


def _baseline(store: Store) -> None:
    """Once, when this library first syncs: its state from before the journal, as an action to send.

    A read mark, bookmark, tag, note or view set before the journal existed
    has no event; without one the other devices would never learn it, nor
    could the merge weigh it.
    """
    db = store._db
    with store.transaction():
        db.execute(FIELD_INDEX)  # the merge looks fields up paper by paper
        if db.execute("SELECT value FROM meta WHERE key = 'sync.baseline'").fetchone() is not None:
            return
        changes: list[tuple[str, str, str | None, str | None]] = []

        def unjournaled(sql: str, name: str) -> list[tuple[Any, ...]]:
            return db.execute(
                f"{sql} AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.paper = p.id AND c.field = ?)", (name,)
            ).fetchall()

        changes += [(pid, "read", "0", "1") for (pid,) in unjournaled("SELECT p.id FROM papers p WHERE p.read = 1", "read")]
        changes += [
            (pid, "bookmarked", "0", "1")
            for (pid,) in unjournaled("SELECT p.id FROM papers p WHERE p.bookmarked = 1", "bookmarked")
        ]
        changes += [(pid, NOTE, "", note) for pid, note in unjournaled("SELECT p.id, p.note FROM papers p WHERE p.note != ''", NOTE)]
        for pid, tag in db.execute("SELECT paper_id, tag FROM tags").fetchall():
            if db.execute("SELECT 1 FROM changes WHERE paper = ? AND field = ?", (pid, TAG + tag)).fetchone() is None:
                changes.append((pid, TAG + tag, "0", "1"))
        for name, query, state, digest in db.execute("SELECT name, query, state, digest FROM views").fetchall():
            if db.execute("SELECT 1 FROM changes WHERE paper = '' AND field = ?", (VIEW + name,)).fetchone() is None:
                changes.append(("", VIEW + name, None, view_value(query, state, digest)))
        record(db, store.device, "baseline", "state when sync began", changes, stamp=now(), wall_ms=wall_ms(store))
        db.execute("INSERT INTO meta (key, value) VALUES ('sync.baseline', ?)", (now(),))


def _unsent(store: Store, present: set[int]) -> tuple[list[bytes], int, int]:
    """This device's actions its file does not hold, as lines, how many changes they carry, and the newest action seen.

    Actions without a change of state (an undone forget) send nothing.
    Once the lines are written, every action up to the newest seen is in
    the file (or had nothing to send): compaction may drop them.
    """
    db = store._db
    device = store.device
    lines: list[bytes] = []
    count = 0
    newest = 0
    with store._lock:
        marks = ",".join("?" * len(_SENT_KINDS))
        # Actions up to sync.floor are in the log of this library's former name (rename_device).
        floor = db.execute("SELECT value FROM meta WHERE key = 'sync.floor'").fetchone()
        actions = db.execute(
            f"SELECT id, hlc, at, kind, label FROM actions WHERE seq IS NULL AND id > ? AND kind IN ({marks}) ORDER BY id",
            (int(floor[0]) if floor else 0, *_SENT_KINDS),
        ).fetchall()
        for number, hlc, at, kind, label in actions:
            newest = number
            if number in present:
                continue
            changes = [
                [paper, name, old, new]
                for paper, name, old, new in db.execute(
                    "SELECT paper, field, old, new FROM changes WHERE action = ? ORDER BY rowid", (number,)
                )
                if is_state_field(name)
            ]
            if changes:
                lines.append(_line(device, number, hlc, at, kind, label, changes))
                count += len(changes)
    return lines, count, newest


def _present(path: Path, device: str) -> tuple[set[int], bool]:
    """The action numbers this device's file holds, and whether it ends in the middle of a line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return set(), False
    lines, end = _complete_lines(data)
    present: set[int] = set()
    for raw in lines:
        try:
            remote = _parse(raw)
        except (ValueError, TypeError, AttributeError):
            continue
        if remote.device == device:
            present.add(remote.seq)
    return present, end != len(data)


def _describe(error: OSError) -> str:
    if error.errno in (errno.EROFS,):
        return "read-only file system"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "no permission to write"
    if error.errno == errno.ENOSPC:
        return "disk full"
    return error.strerror or str(error)


def _append(path: Path, data: bytes) -> None:
    """Append to this device's file in one write, flushed to disk (a sync tool may copy it any moment)."""
    with open(path, "ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def copied_from(store: Store) -> str | None:
    """Why this library must not write its device's log: it is a copy of a library elsewhere (None: it is not).

    A data dir copied to another machine or folder keeps the device name; if
    both sync, two writers append to one log and each skips the other's
    actions as its own.  A library that has no fingerprint yet (made before
    there was one) takes this one.
    """
    try:
        here = device_home(store.path)
    except OSError:
        return None
    db = store._db
    with store._lock:
        known = db.execute("SELECT value FROM meta WHERE key = ?", (DEVICE_HOME,)).fetchone()
    if known is None:
        with store.transaction():
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (DEVICE_HOME, here))
        return None
    if known[0] == here:
        return None
    return (
        f"this library was copied from another machine or folder, which syncs as {store.device} too; "
        "run 'paperreader sync --rename-device' to give this copy a device name of its own"
    )


def rename_device(store: Store) -> tuple[str, str]:
    """Give this library a new device name, of this machine and this file; returns ``(old, new)``.

    For a copy of a library (see :func:`copied_from`): from now on it writes
    a log of its own.  What the former name's log holds already (its actions
    up to ``sync.sent``, the history the copy shares with the original) is
    neither sent again under the new name nor applied again from that log.
    """
    with store.transaction():
        db = store._db
        old = store.device
        new = new_device_name()
        sent = int((db.execute("SELECT value FROM meta WHERE key = 'sync.sent'").fetchone() or ("0",))[0])
        updates = {"device": new, DEVICE_HOME: device_home(store.path), "sync.floor": str(sent)}
        known = db.execute("SELECT value FROM meta WHERE key = ?", (COMPACTED_SEQ + old,)).fetchone()
        updates[COMPACTED_SEQ + old] = str(max(sent, int(known[0]) if known else 0))
        db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            list(updates.items()),
        )
    return old, new


def _send(store: Store, folder: Path, report: SyncReport) -> None:
    """Append this device's unsent actions to its own file, in one write, flushed to disk."""
    copied = copied_from(store)
    if copied is not None:
        report.error = copied
        return
    path = folder / (store.device + LOG_SUFFIX)
    present, torn = _present(path, store.device)
    lines, count, newest = _unsent(store, present)
    if lines:
        try:
            # A line left half-written by a crash ends here, so the next one starts whole.
            _append(path, (b"\n" if torn else b"") + b"".join(lines))
        except OSError as error:
            report.error = f"cannot write {path}: {_describe(error)}"
            return
        report.sent_actions = len(lines)
        report.sent = count
    with store.transaction():  # how far the file holds this device's actions: compaction keeps what is after
        store._db.execute(
            "INSERT INTO meta (key, value) VALUES ('sync.sent', ?) ON CONFLICT (key) DO UPDATE SET value = "
            "max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (str(newest),),
        )


def sync(store: Store, folder: Path, data_dir: Path) -> SyncReport:
    """Send this device's new actions to ``folder`` and apply the other devices'.

    Raises :class:`SyncError` (one line) when the folder cannot be used at
    all, and :class:`~paperreader.store.StoreError` when the library cannot
    be written; a folder that can be read but not written still brings the
    other devices' changes (``report.error`` says why nothing was sent).
    """
    folder = folder.expanduser()
    _check_folder(folder)
    report = SyncReport(folder, store.device)
    with _device_lock(data_dir):
        _baseline(store)
        remotes, report.skipped, offsets = _read_others(store, folder, store.device)
        _apply(store, remotes, offsets, report)
        _send(store, folder, report)
        with store.transaction():
            store._db.execute(
                "INSERT INTO meta (key, value) VALUES ('sync.last', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (now(),),
            )
    return report


def sync_status(store: Store, folder: Path | None) -> dict[str, object]:
    """What ``paperreader sync --status`` shows: the device, the folder, when it last synced, who was heard from."""
    db = store._db
    with store._lock:
        last = db.execute("SELECT value FROM meta WHERE key = 'sync.last'").fetchone()
        devices = [
            {"device": device, "actions": count, "newest": newest}
            for device, count, newest in db.execute(
                "SELECT device, count(*), max(made) FROM actions WHERE seq IS NOT NULL GROUP BY device ORDER BY device"
            )
        ]
    present: set[int] = set()
    if folder is not None:
        with contextlib.suppress(OSError):
            present = _present(folder.expanduser() / (store.device + LOG_SUFFIX), store.device)[0]
    unsent = len(_unsent(store, present)[0]) if folder is not None else None
    with store._lock:
        home = db.execute("SELECT value FROM meta WHERE key = ?", (DEVICE_HOME,)).fetchone()
    try:
        copied = home is not None and home[0] != device_home(store.path)
    except OSError:
        copied = False
    return {
        "device": store.device,
        "copied": copied,
        "folder": str(folder) if folder is not None else None,
        "last_sync": last[0] if last else None,
        "unsent_actions": unsent,
        "devices": devices,
    }


def changed_signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """The folder's log files with their sizes and times: the reader syncs again when this changes."""
    found: list[tuple[str, int, int]] = []
    with contextlib.suppress(OSError):
        for path in folder.expanduser().glob("*" + LOG_SUFFIX):
            with contextlib.suppress(OSError):
                stat = path.stat()
                found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))
