"""The JSON backup: writing it (``paperreader backup``) and reading it back in.

A backup is an object with a ``papers`` array (each paper as ``--json`` prints
it, with its read/bookmark state, tags and note and their timestamps) and a
``views`` array (the saved views).  The plain array that ``export --format
json`` writes is read too (papers and state, no views).

A backup comes from a file, so it is as untrusted as a digest: every field is
checked and cleaned, ids are recomputed from titles, and anything odd is a
warning, never an exception.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from collections.abc import Iterable, Iterator
from typing import Any

from .models import STATES, Paper, ParsedPaper, SavedView
from .store import StateSnapshot
from .text import clean_note, clean_text, normalize_tag, paper_id, valid_cite_key

__all__ = ["Backup", "parse_backup", "looks_like_json", "backup_json", "FORMAT_NAME"]

#: Marks a file as a paperreader backup (and its shape's version).
FORMAT_NAME = "paperreader-backup"
#: Notes are free text, but not books.
MAX_NOTE = 100_000

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


@dataclass(slots=True)
class Backup:
    papers: list[ParsedPaper] = field(default_factory=list)
    states: list[StateSnapshot] = field(default_factory=list)
    views: list[SavedView] = field(default_factory=list)
    #: Paper id -> its citation key, so that a restored library cites as the old one did.
    keys: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


def looks_like_json(data: bytes) -> bool:
    """A backup starts with ``[`` or ``{``; a digest never does (it starts with chrome)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"[", b"{")


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else None


def _text(value: Any) -> str | None:
    return clean_text(value) if isinstance(value, str) else None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _stamp(value: Any) -> str | None:
    """A change's timestamp, if well-formed and not in the future (which would always win)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return value if value < tomorrow else None


def _changed(item: dict[str, Any], mark: str) -> str | None:
    """When ``mark`` (read, bookmarked) last changed: ``MARK_changed_at``, or ``MARK_at`` of older backups.

    ``read_at`` is null while a paper is unread, so the change to unread is
    dated by ``read_changed_at``; the newer of the two well-formed stamps wins
    (a backup edited by hand may have set either).
    """
    stamps = [stamp for stamp in (_stamp(item.get(f"{mark}_changed_at")), _stamp(item.get(f"{mark}_at"))) if stamp]
    return max(stamps) if stamps else None


def backup_json(papers: Iterable[Paper], views: Iterable[SavedView], *, created_at: str) -> Iterator[str]:
    """The backup document, in pieces (a library of 100,000 papers is not built in memory at once)."""
    yield f'{{\n  "format": "{FORMAT_NAME}",\n  "version": 1,\n  "created_at": {json.dumps(created_at)},\n'
    yield '  "views": ' + json.dumps([view.to_json() for view in views], ensure_ascii=False) + ',\n  "papers": ['
    for number, paper in enumerate(papers):
        yield ("," if number else "") + "\n    " + json.dumps(paper.to_json(), ensure_ascii=False)
    yield "\n  ]\n}\n"


def _note(value: Any) -> str:
    return clean_note(value[:MAX_NOTE]) if isinstance(value, str) else ""


def _views(items: Any, backup: Backup) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        backup.warnings.append("'views' is not a list; no saved views restored")
        return
    for number, item in enumerate(items, 1):
        name = _text(item.get("name")) if isinstance(item, dict) else None
        if not name or not isinstance(item, dict):
            backup.warnings.append(f"view {number}: no name; skipped")
            continue
        state = item.get("state") if item.get("state") in STATES else "all"
        digest = item.get("digest")
        if digest != "newest":
            digest = (_date(digest) or None) and digest
        backup.views.append(
            SavedView(
                name[:80],
                _text(item.get("query")) or "",
                state,
                digest,
                _stamp(item.get("created_at")),
                _stamp(item.get("updated_at")),
            )
        )


def parse_backup(data: bytes) -> Backup:
    backup = Backup()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        backup.error = f"not a paperreader backup (invalid JSON: {error})"
        return backup
    items = document.get("papers") if isinstance(document, dict) else document
    if isinstance(document, dict):
        _views(document.get("views"), backup)
    if not isinstance(items, list):
        backup.error = "not a paperreader backup (expected a list of papers)"
        return backup
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            backup.warnings.append(f"item {number}: not a paper; skipped")
            continue
        title = _text(item.get("title"))
        digests = [d for d in map(_date, item.get("digests") or []) if d is not None]
        if not title or not digests:
            backup.warnings.append(f"item {number}: no title or no digest dates; skipped")
            continue
        pid = paper_id(title)
        if item.get("id") not in (None, pid):
            backup.warnings.append(f"item {number}: id {item.get('id')!r} does not match its title; using {pid}")
        backup.papers.append(
            ParsedPaper(
                id=pid,
                title=title,
                abstract=_text(item.get("abstract")) or "",
                digests=tuple(sorted(set(digests))),
                authors=_int(item.get("authors")),
                organization=_text(item.get("organization")) or None,
                published=_date(item.get("published")),
                upvotes=_int(item.get("upvotes")),
            )
        )
        key = item.get("key")
        if isinstance(key, str) and valid_cite_key(key):
            backup.keys[pid] = key
        backup.states.append(
            StateSnapshot(
                pid,
                item.get("read") is True,
                _changed(item, "read"),
                item.get("bookmarked") is True,
                _changed(item, "bookmarked"),
                tuple(sorted({t for t in map(normalize_tag, _strings(item.get("tags"))) if t})),
                _stamp(item.get("tags_at")),
                _note(item.get("note")),
                _stamp(item.get("note_at")),
            )
        )
    # A title twice: the later entry wins (one paper, one state).
    unique = {paper.id: (paper, state) for paper, state in zip(backup.papers, backup.states)}
    if len(unique) < len(backup.papers):
        backup.warnings.append(f"{len(backup.papers) - len(unique)} repeated papers kept once")
    backup.papers = [paper for paper, _ in unique.values()]
    backup.states = [state for _, state in unique.values()]
    if not backup.papers and not backup.views:
        backup.error = "no papers found in the backup"
    return backup
