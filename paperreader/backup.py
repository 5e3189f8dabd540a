"""The JSON backup: writing it (``paperreader backup``) and reading it back in.

A backup is an object with a ``papers`` array (each paper as ``--json`` prints
it, with its read/bookmark state, tags and note and their timestamps) and a
``views`` array (the saved views).  The plain array that ``export --format
json`` writes is read too (papers and state, no views).

Each paper of a backup also carries ``upvotes_by_digest``: the upvotes each
digest page showed it with (``{"2026-11-12": 91, "2026-11-15": 128}``, only the
days whose page gave a figure).  The library keeps them per appearance and reads
momentum from them (signals.py); without them a restored library would know only
the newest figure and every paper's rise would be lost.  Older backups lack the
key and restore as before.

A backup comes from a file, so it is as untrusted as a digest: every field is
checked and cleaned, ids are recomputed from titles, and anything odd is a
warning, never an exception.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
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
    #: Paper id -> the upvotes each of its digest pages showed (only days among its digests).
    upvotes: dict[str, dict[dt.date, int]] = field(default_factory=dict)
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


#: What gives the upvotes of each appearance of some papers (Store.upvote_history).
UpvoteHistory = Callable[[Sequence[str]], Mapping[str, Sequence[tuple[dt.date, int | None]]]]

#: Papers whose appearances are read in one query while a backup is written.
_BATCH = 500


def backup_json(
    papers: Iterable[Paper], views: Iterable[SavedView], *, created_at: str, history: UpvoteHistory | None = None
) -> Iterator[str]:
    """The backup document, in pieces (a library of 100,000 papers is not built in memory at once).

    ``history`` gives each paper's ``upvotes_by_digest``, read a batch of papers
    at a time: a paper's Paper carries only its newest figure, and the rise
    since its first page (momentum) lives in the others.
    """
    yield f'{{\n  "format": "{FORMAT_NAME}",\n  "version": 1,\n  "created_at": {json.dumps(created_at)},\n'
    yield '  "views": ' + json.dumps([view.to_json() for view in views], ensure_ascii=False) + ',\n  "papers": ['
    number = 0
    iterator = iter(papers)
    while batch := list(islice(iterator, _BATCH)):
        figures = history([paper.id for paper in batch]) if history is not None else {}
        for paper in batch:
            item = paper.to_json()
            if history is not None:
                item["upvotes_by_digest"] = {
                    day.isoformat(): upvotes for day, upvotes in figures.get(paper.id, ()) if upvotes is not None
                }
            yield ("," if number else "") + "\n    " + json.dumps(item, ensure_ascii=False)
            number += 1
    yield "\n  ]\n}\n"


def _upvotes_by_digest(value: Any, digests: Sequence[dt.date], number: int, backup: Backup) -> dict[dt.date, int]:
    """A paper's ``upvotes_by_digest``, checked: its digest days and counts only, the rest named in one warning.

    Missing (an older backup) is no figure at all: the restore then does what it always did.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        backup.warnings.append(f"item {number}: 'upvotes_by_digest' is not an object; its upvote history skipped")
        return {}
    found: dict[dt.date, int] = {}
    skipped: list[str] = []
    for key, upvotes in value.items():
        day = _date(key)
        count = _int(upvotes)
        if day is None:
            skipped.append(f"{str(key)[:20]!r} is not a date")
        elif day not in digests:
            skipped.append(f"{key} is not one of its digests")
        elif count is None:
            skipped.append(f"{key}: {str(upvotes)[:20]!r} is not a count of upvotes")
        else:
            found[day] = count
    if skipped:
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        backup.warnings.append(f"item {number}: upvote history: {skipped[0]}{more}; skipped")
    return found


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
        # Set even when empty: of a title given twice, the later entry's history wins, as its state does.
        backup.upvotes[pid] = _upvotes_by_digest(item.get("upvotes_by_digest"), digests, number, backup)
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
    backup.upvotes = {pid: figures for pid, figures in backup.upvotes.items() if figures}
    if not backup.papers and not backup.views:
        backup.error = "no papers found in the backup"
    return backup
