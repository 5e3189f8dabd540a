"""Exports of papers to the formats people paste into notes and reference managers.

Titles and abstracts are hostile input as far as each format is concerned, so
every writer escapes for its own format:

* Markdown: the characters that start inline constructs, and list markers at
  the start, are backslash-escaped, so no title can open a link, emphasis, a
  code span or HTML;
* CSV: cells that a spreadsheet would read as a formula (leading ``= + - @``,
  tab or carriage return) get a leading apostrophe (the OWASP advice);
* BibTeX: the LaTeX specials ``{ } \\ % # & ~ $ _ ^`` are escaped, so braces
  always balance and no command can be injected;
* RIS (written by ``rispy``): one line per field, so every value is one line;
* CSL JSON and JSON: ``json`` escapes what JSON must;
* the notes folder: YAML front matter written by PyYAML (which quotes and
  escapes what YAML must), the title and abstract Markdown-escaped, file names
  made safe on every system by ``pathvalidate``.

Every export carries where a paper came from (its digest dates, upvotes, when
it was bookmarked, tags, the note) and its citation key, chosen once and kept
in the store (:meth:`~paperreader.store.Store.ensure_keys`).

What to export is a :class:`Selection` (the bookmarks, a tag, a view, a query,
a digest, ...), the same for ``paperreader export``, the reader's ``e`` and the
auto-exports of the config file.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import shlex
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .models import Paper

if TYPE_CHECKING:  # the formats need no library; selecting papers does
    from .library import Library

__all__ = [
    "FORMATS", "FORMAT_NAMES", "export", "write_atomically", "open_atomically", "to_markdown", "to_csv", "to_json",
    "to_bibtex", "to_ris", "to_csljson", "bibtex_escape", "markdown_escape", "provenance", "write_notes",
    "NotesOutcome", "NOTES_MARKER", "Selection", "SelectionError", "parse_selection", "select_papers",
    "export_selection", "ExportResult", "content_hash", "upvotes_when_bookmarked",
]

CSV_COLUMNS = (
    "id",
    "key",
    "title",
    "authors",
    "organization",
    "published",
    "upvotes",
    "digests",
    "read",
    "bookmarked",
    "tags",
    "note",
    "bookmarked_at",
    "abstract",
)


def _upvotes(count: int) -> str:
    return f"{count} upvote{'s' if count != 1 else ''}"


def upvotes_when_bookmarked(paper: Paper) -> int | None:
    """The upvotes a bookmarked paper had when it was bookmarked (the appearance history's figure).

    A paper keeps gathering upvotes after the user kept it; the list's
    provenance is what the user saw then.  A paper read without its history
    (built by hand) falls back on its current figure.
    """
    if not (paper.bookmarked and paper.bookmarked_at):
        return None
    return paper.bookmark_upvotes if paper.bookmark_upvotes is not None else paper.upvotes


def provenance(paper: Paper) -> list[str]:
    """Where a paper came from and what the user made of it, in words, for any format's note field.

    ``["Daily Papers digest 2025-03-10, 2025-03-11", "bookmarked 2025-11-12 at 42 upvotes"]``, or
    ``"42 upvotes"`` for a paper not bookmarked (tags, the note and the links have fields of their own).
    """
    parts: list[str] = []
    if paper.digests:
        parts.append("Daily Papers digest " + ", ".join(d.isoformat() for d in paper.digests))
    if paper.bookmarked and paper.bookmarked_at:
        then = upvotes_when_bookmarked(paper)
        parts.append(f"bookmarked {paper.bookmarked_at[:10]}" + (f" at {_upvotes(then)}" if then is not None else ""))
    elif paper.upvotes is not None:
        parts.append(_upvotes(paper.upvotes))
    return parts


def _year(paper: Paper) -> int | None:
    """The year a citation gives: publication if known, else the newest digest's."""
    if paper.published:
        return paper.published.year
    return paper.last_digest.year if paper.digests else None

# -- Markdown ----------------------------------------------------------------

# The characters that can start inline Markdown (CommonMark and GFM): emphasis,
# code, links and images, autolinks and HTML, entities, strikethrough, tables,
# math in note apps, headings' closing hashes.  Other punctuation stays as is.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#&~|$!])")
# At the start of a line: list items, numbered lists, setext underlines.
_MD_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")


def markdown_escape(text: str) -> str:
    """Escape ``text`` so that it renders literally, as one paragraph's words."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def _md_meta(paper: Paper) -> str:
    parts = [f"`{paper.key or paper.id}`", *map(markdown_escape, paper.describe())]
    if paper.bookmarked and paper.bookmarked_at:
        then = upvotes_when_bookmarked(paper)
        parts.append(f"bookmarked {paper.bookmarked_at[:10]}" + (f" at {_upvotes(then)}" if then is not None else ""))
    if paper.tags:
        parts.append("tags: " + ", ".join(markdown_escape(tag) for tag in paper.tags))
    return " · ".join(parts)


def to_markdown(papers: Sequence[Paper], heading: str = "Papers") -> str:
    """A heading per paper, a metadata line, the abstract as a quote, then the note."""
    lines = [f"# {markdown_escape(heading)} ({len(papers)})", ""]
    for paper in papers:
        lines += [f"## {markdown_escape(paper.title)}", "", _md_meta(paper), ""]
        if paper.abstract:
            lines += [f"> {markdown_escape(paper.abstract)}", ""]
        if paper.links:
            # Autolinks: a link holds only URL characters (links.py), none of which ends one.
            lines += ["Links: " + " · ".join(f"<{url}>" for url in paper.links), ""]
        if paper.note:
            # The note keeps its lines (hard breaks), each escaped on its own.
            note = [markdown_escape(line) for line in paper.note.splitlines()]
            lines += ["**Note:** " + "  \n".join(note), ""]
    return "\n".join(lines)


# -- CSV ----------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell's text, neutralised if a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if not isinstance(value, int) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def to_csv(papers: Sequence[Paper]) -> str:
    """RFC 4180 CSV with a header row; digests are ``;``-separated ISO dates."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for paper in papers:
        row = paper.to_json()
        row["digests"] = ";".join(row["digests"])  # type: ignore[arg-type]
        row["tags"] = ";".join(row["tags"])  # type: ignore[arg-type]
        writer.writerow([csv_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()


# -- JSON ---------------------------------------------------------------------


def to_json(papers: Sequence[Paper]) -> str:
    return json.dumps([paper.to_json() for paper in papers], ensure_ascii=False, indent=2) + "\n"


# -- BibTeX -------------------------------------------------------------------

_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "~": r"\textasciitilde{}",
    "$": r"\$",
    "_": r"\_",
    "^": r"\textasciicircum{}",
}
_BIBTEX_PATTERN = re.compile("|".join(re.escape(ch) for ch in _BIBTEX_SPECIAL))


def bibtex_escape(text: str) -> str:
    """Escape LaTeX specials; the result has balanced braces by construction."""
    return _BIBTEX_PATTERN.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], text)


def to_bibtex(papers: Sequence[Paper]) -> str:
    """``@misc`` entries keyed by paper id.

    The title is wrapped in a second pair of braces so BibTeX styles keep its
    capitalisation (``{{GPT-4o: ...}}``).
    """
    entries = []
    for paper in papers:
        year = _year(paper)
        fields = [("title", "{" + bibtex_escape(paper.title) + "}")]
        if paper.organization:
            fields.append(("author", "{" + bibtex_escape(paper.organization) + "}"))
        if year is not None:
            fields.append(("year", str(year)))
        fields.append(("abstract", bibtex_escape(paper.abstract)))
        if paper.tags:
            fields.append(("keywords", bibtex_escape(", ".join(paper.tags))))
        if paper.note:
            fields.append(("annote", bibtex_escape(" ".join(paper.note.split()))))
        if paper.digests:
            fields.append(("note", bibtex_escape("; ".join(provenance(paper)))))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{paper.key or paper.id},\n{body}\n}}\n")
    return "\n".join(entries)


# -- RIS ------------------------------------------------------------------------

def _one_line(text: str) -> str:
    """RIS has no escaping: a value is the rest of its line, so it must be one line, with no controls."""
    from .text import clean_text

    return clean_text(text)


def _ris_writer() -> Any:
    import rispy

    class Writer(rispy.RisWriter):  # type: ignore[misc, name-defined]
        """rispy's writer without the "1." counter line before each record (not RIS)."""

        def set_header(self, count: int) -> str:
            return ""

    return Writer


def to_ris(papers: Sequence[Paper]) -> str:
    """RIS records (``TY - UNPB``, a preprint) for Zotero, EndNote and Mendeley, written by ``rispy``.

    The citation key goes in ``ID``, the tags in ``KW``, the provenance and
    the note in ``N1``; every value is one line, so no title can end a record.
    """
    import rispy

    records: list[dict[str, object]] = []
    for paper in papers:
        record: dict[str, object] = {
            "type_of_reference": "UNPB",
            "id": paper.key or paper.id,
            "title": _one_line(paper.title),
        }
        if paper.organization:
            record["authors"] = [_one_line(paper.organization)]
        year = _year(paper)
        if year is not None:
            record["year"] = str(year)
        if paper.published:
            record["date"] = paper.published.strftime("%Y/%m/%d")
        if paper.abstract:
            record["abstract"] = _one_line(paper.abstract)
        if paper.tags:
            record["keywords"] = list(paper.tags)
        notes = ["; ".join(provenance(paper))] if paper.digests else []
        if paper.note:
            notes.append(_one_line(paper.note))
        if notes:
            record["notes"] = notes
        records.append(record)
    if not records:
        return ""
    return rispy.dumps(records, implementation=_ris_writer())


# -- CSL JSON ---------------------------------------------------------------------


def _csl_date(day: dt.date) -> dict[str, list[list[int]]]:
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl_item(paper: Paper) -> dict[str, object]:
    """One paper as a CSL JSON item (``type`` ``article``: CSL's type for a preprint)."""
    key = paper.key or paper.id
    item: dict[str, object] = {"id": key, "citation-key": key, "type": "article", "title": paper.title}
    if paper.organization:
        item["author"] = [{"literal": paper.organization}]
    if paper.published:
        item["issued"] = _csl_date(paper.published)
    elif paper.digests:
        item["issued"] = {"date-parts": [[paper.last_digest.year]]}
    if paper.abstract:
        item["abstract"] = paper.abstract
    if paper.tags:
        item["keyword"] = ", ".join(paper.tags)
    notes = ["; ".join(provenance(paper))] if paper.digests else []
    if paper.links:  # a code or project page, not the paper's own URL: a note, not CSL's URL
        notes.append("links: " + " ".join(paper.links))
    if paper.note:
        notes.append(paper.note)
    if notes:
        item["note"] = "\n".join(notes)
    if paper.digests:
        item["accessed"] = _csl_date(paper.digests[0])
    return item


def to_csljson(papers: Sequence[Paper]) -> str:
    """A CSL JSON array (pandoc's ``--bibliography``, Zotero, any citeproc)."""
    return json.dumps([csl_item(paper) for paper in papers], ensure_ascii=False, indent=2) + "\n"


# -- the notes folder ------------------------------------------------------------

#: The line that separates what paperreader writes from what the user writes:
#: everything from it down is kept as it is when the notes are updated.  An
#: HTML comment, so Obsidian and Logseq do not show it.
NOTES_MARKER = "<!-- paperreader: write below this line; it is kept when the export is updated -->"
#: How much of a title a note's file name takes.
_NOTE_NAME_CHARS = 90
_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)


@dataclass(slots=True)
class NotesOutcome:
    """What writing a notes folder did."""

    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    #: Files of these papers without the marker line: left alone (their text is the user's).
    skipped: list[Path] = field(default_factory=list)
    #: Pruning (an auto-export's folder): files of papers no longer selected, removed...
    removed: list[Path] = field(default_factory=list)
    #: ...or kept, because the user wrote in them below the marker line.
    kept: list[Path] = field(default_factory=list)


def _note_front_matter(paper: Paper) -> str:
    import yaml

    data: dict[str, object] = {"title": paper.title, "key": paper.key or paper.id, "id": paper.id}
    if paper.organization:
        data["organization"] = paper.organization
    elif paper.authors is not None:
        data["authors"] = paper.authors
    if paper.published:
        data["published"] = paper.published
    data["digests"] = list(paper.digests)
    if paper.upvotes is not None:
        data["upvotes"] = paper.upvotes
    if paper.bookmarked and paper.bookmarked_at:
        data["bookmarked"] = dt.date.fromisoformat(paper.bookmarked_at[:10])
        then = upvotes_when_bookmarked(paper)
        if then is not None:
            data["upvotes_when_bookmarked"] = then
    data["tags"] = list(paper.tags)
    if paper.links:
        data["links"] = list(paper.links)
    if paper.note:
        data["note"] = paper.note
    # safe_dump quotes and escapes whatever YAML would read as syntax or a control character.
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)


def note_text(paper: Paper) -> str:
    """The part of a paper's note file that paperreader writes, the marker line included."""
    from .text import clean_text

    body = [f"# {markdown_escape(clean_text(paper.title))}", ""]
    if paper.abstract:
        body += [markdown_escape(clean_text(paper.abstract)), ""]
    return f"---\n{_note_front_matter(paper)}---\n\n" + "\n".join(body) + f"\n{NOTES_MARKER}\n"


def note_file_name(paper: Paper) -> str:
    """A file name made of the title, safe on Linux, macOS and Windows (and as an Obsidian link)."""
    from pathvalidate import sanitize_filename

    title = re.sub(r"[#^\[\]|]", " ", paper.title)  # Obsidian reads these as link syntax
    name = " ".join(sanitize_filename(title, platform="universal").split())[:_NOTE_NAME_CHARS].strip(" .")
    return f"{name or paper.key or paper.id}.md"


def _note_owner(path: Path) -> str | None:
    """The paper id in a note file's front matter, if it is one of ours."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return None
    match = _FRONT_MATTER.match(head)
    if match is None:
        return None
    found = re.search(r"^id: ['\"]?([0-9a-f]{10})['\"]?\s*$", match.group(1), re.MULTILINE)
    return found.group(1) if found else None


def write_notes(
    folder: Path, papers: Sequence[Paper], *, only: Collection[str] | None = None, prune: bool = False
) -> NotesOutcome:
    """One Markdown file per paper in ``folder`` (created if its parent exists), for Obsidian or Logseq.

    A paper's file is found again by the ``id`` in its front matter, whatever
    it has been renamed to, and only the part above :data:`NOTES_MARKER` is
    replaced; a file without the marker is left alone and reported.  Each
    file is written atomically, and only when its text changes.

    ``only``: the papers whose files to look at (an auto-export that knows
    which papers changed); the others are as last written.  ``prune``: the
    folder is one selection's (an auto-export's), so the file of a paper that
    is no longer in ``papers`` goes, unless the user wrote in it below the
    marker: then it stays as it is, and is reported (``kept``).  An export by
    hand never prunes: several may share a folder.
    """
    folder = folder.expanduser()
    if not folder.is_dir():
        if not folder.parent.is_dir():
            raise FileNotFoundError(2, "No such folder", str(folder.parent))
        folder.mkdir()
    existing: dict[str, Path] = {}
    names: set[str] = set()
    for path in folder.glob("*.md"):
        names.add(path.name.casefold())
        owner = _note_owner(path)
        if owner is not None:
            existing.setdefault(owner, path)
    outcome = NotesOutcome()
    for paper in papers:
        if only is not None and paper.id not in only:
            continue
        ours = note_text(paper)
        path = existing.get(paper.id)
        if path is None:
            name = note_file_name(paper)
            if name.casefold() in names:
                name = f"{name[:-3]} ({paper.key or paper.id}).md"
            names.add(name.casefold())
            path = folder / name
            text = ours
        else:
            old = path.read_text(encoding="utf-8", errors="replace")
            marker = old.find(NOTES_MARKER)
            if marker < 0:
                outcome.skipped.append(path)
                continue
            text = ours + old[marker + len(NOTES_MARKER) :].removeprefix("\n")
            if text == old:
                outcome.unchanged += 1
                continue
        write_atomically(path, text)
        outcome.written.append(path)
    if prune:
        selected = {paper.id for paper in papers}
        for owner, path in sorted(existing.items()):
            if owner in selected or (only is not None and owner not in only):
                continue
            old = path.read_text(encoding="utf-8", errors="replace")
            marker = old.find(NOTES_MARKER)
            if marker >= 0 and not old[marker + len(NOTES_MARKER) :].strip():
                path.unlink()
                outcome.removed.append(path)
            else:  # the user's text: never thrown away
                outcome.kept.append(path)
    return outcome


def notes_digest(papers: Sequence[Paper]) -> str:
    """What a notes folder export would hold, as one text (to tell whether it changed)."""
    return "".join(note_text(paper) for paper in papers)


#: Format name -> (writer, file suffix).  The notes folder is written by
#: :func:`write_notes` (a folder, not one text); its writer gives what it holds.
FORMATS: dict[str, tuple[Callable[[Sequence[Paper]], str], str]] = {
    "md": (to_markdown, ".md"),
    "csv": (to_csv, ".csv"),
    "json": (to_json, ".json"),
    "bibtex": (to_bibtex, ".bib"),
    "ris": (to_ris, ".ris"),
    "csljson": (to_csljson, ".json"),
    "notes": (notes_digest, ""),
}
#: What each format is called in messages and menus.
FORMAT_NAMES: dict[str, str] = {
    "md": "Markdown",
    "csv": "CSV",
    "json": "JSON",
    "bibtex": "BibTeX",
    "ris": "RIS (Zotero, EndNote, Mendeley)",
    "csljson": "CSL JSON (pandoc, Zotero)",
    "notes": "Notes folder (Obsidian, Logseq)",
}


def export(papers: Sequence[Paper], fmt: str, heading: str = "Papers") -> str:
    """Render papers in one of :data:`FORMATS` (Markdown under ``heading``)."""
    if fmt == "md":
        return to_markdown(papers, heading=heading)
    writer, _suffix = FORMATS[fmt]
    return writer(papers)


def content_hash(data: str | bytes) -> str:
    """What an export's hand-edit check compares: the SHA-256 of the text written."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


# -- what to export -------------------------------------------------------------


class SelectionError(Exception):
    """A selection cannot be made (an unknown view, a query Whoosh cannot run); the message says why."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which papers an export holds: every criterion given must hold (the bookmarks if none is).

    ``ids`` is an explicit list in its own order (the reader's list as filtered
    now); everything else is sorted newest digest first, so an export that is
    rewritten keeps its order.
    """

    state: str = "bookmarked"  # all, unread, read, bookmarked
    tags: tuple[str, ...] = ()
    view: str | None = None
    query: str | None = None
    digest: dt.date | None = None
    since: dt.date | None = None
    ids: tuple[str, ...] | None = None
    #: What the reader calls an explicit list ("this list as filtered now").
    label: str | None = None

    def describe(self) -> str:
        """In words, as a heading: "Bookmarked papers", "Unread papers tagged rl", ..."""
        if self.label:
            return self.label
        head = {"all": "Papers", "unread": "Unread papers", "read": "Read papers", "bookmarked": "Bookmarked papers"}
        parts = [head.get(self.state, "Papers")]
        if self.tags:
            parts.append("tagged " + ", ".join(self.tags))
        if self.view:
            parts.append(f"in the view {self.view!r}")
        if self.query:
            parts.append(f"matching {self.query!r}")
        if self.digest:
            parts.append(f"from the {self.digest.isoformat()} digest")
        if self.since:
            parts.append(f"bookmarked or tagged since {self.since.isoformat()}")
        return " ".join(parts)


_STATE_WORDS = {"all": "all", "unread": "unread", "read": "read", "bookmarked": "bookmarked", "bookmarks": "bookmarked"}
SELECT_HELP = "bookmarked, all, unread, read, tag:TAG, view:NAME, digest:YYYY-MM-DD, since:YYYY-MM-DD, then query:QUERY"


def parse_selection(text: str) -> Selection:
    """A selection from the config file's ``select``: words such as ``tag:thesis unread``.

    ``bookmarked`` (the default when nothing else is given), ``all``,
    ``unread``, ``read``; ``tag:TAG`` (repeatable: every tag),
    ``view:NAME`` (quoted if it has spaces: ``view:"RL, unread"``),
    ``digest:DATE``, ``since:DATE``; and last, ``query:`` followed by a query
    in the search language, to the end of the text (its quotes are the
    query's: ``unread query:"language model" AND rl``).  Raises
    :class:`SelectionError` naming the word it cannot read.
    """
    from .text import normalize_tag

    values: dict[str, Any] = {}
    found = re.search(r"(?:^|\s)query:", text)
    if found is not None:
        values["query"] = text[found.end() :].strip()
        text = text[: found.start()]
        if not values["query"]:
            raise SelectionError("query: needs a query after it")
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise SelectionError(f"cannot read {text!r} ({error})") from None
    state: str | None = None
    tags: list[str] = []
    for word in words:
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon and name in _STATE_WORDS:
            if state is not None and state != _STATE_WORDS[name]:
                raise SelectionError(f"{state!r} and {word!r} cannot both hold")
            state = _STATE_WORDS[name]
        elif colon and name == "tag":
            tag = normalize_tag(value)
            if tag is None:
                raise SelectionError(f"not a tag: {value!r}")
            tags.append(tag)
        elif colon and name == "view" and value.strip():
            values[name] = value.strip()
        elif colon and name in ("digest", "since"):
            try:
                values[name] = dt.date.fromisoformat(value)
            except ValueError:
                raise SelectionError(f"{word!r}: not a date (YYYY-MM-DD)") from None
        else:
            raise SelectionError(f"unknown word {word!r} (known: {SELECT_HELP})")
    if state is None:
        state = "all" if (tags or values) else "bookmarked"
    return Selection(state=state, tags=tuple(tags), **values)


def select_papers(library: Library, selection: Selection) -> list[Paper]:
    """The papers of a selection, newest digest first (an explicit list keeps its order).

    Only a query (or a view with one) opens the search index; the rest is
    answered by the store alone, so an auto-export after ``paperreader tag``
    stays as quick as the command.
    """
    store = library.store
    if selection.ids is not None:
        return library.papers_for(list(selection.ids))
    keep: set[str] | None = None

    def narrow(ids: Sequence[str] | set[str]) -> None:
        nonlocal keep
        keep = set(ids) if keep is None else keep & set(ids)

    state = selection.state if selection.state in ("all", "unread", "read", "bookmarked") else "bookmarked"
    if selection.view is not None:
        view = library.find_view(selection.view)
        if view is None:
            names = ", ".join(repr(v.name) for v in library.views())
            raise SelectionError(f"no view named {selection.view!r}; views: {names}")
        narrow(store.ids(view.state, digest=library.view_digest(view)))  # type: ignore[arg-type]
        if view.query:
            narrow(_search(library, view.query, f"the view {view.name!r}"))
    if selection.query:
        narrow(_search(library, selection.query, "the query"))
    if selection.since is not None:
        narrow(store.ids_since(selection.since))
    papers = store.papers(state, digest=selection.digest, tags=selection.tags)  # type: ignore[arg-type]
    return papers if keep is None else [paper for paper in papers if paper.id in keep]


def _search(library: Library, query: str, what: str) -> list[str]:
    library.update_index()  # tags and notes changed a moment ago must be found
    outcome = library.search(query, limit=None)
    if outcome.error:
        raise SelectionError(f"{what}: {outcome.error}")
    return [hit.id for hit in outcome.hits]


@dataclass(slots=True)
class ExportResult:
    """What an export did: its papers (keys set), the text (None for a notes folder), the folder's outcome."""

    papers: list[Paper]
    text: str | None = None
    notes: NotesOutcome | None = None
    #: With ``new_only``: how many selected papers had gone to this file before.
    already: int = 0


def export_target(output: Path) -> str:
    """How the store names an export's file or folder: its absolute path."""
    return str(Path(os.path.abspath(output.expanduser())))


def export_selection(
    library: Library,
    selection: Selection,
    fmt: str,
    output: Path | None,
    *,
    new_only: bool = False,
    record: bool = True,
) -> ExportResult:
    """Select, key, render and write an export, as one change of the store.

    Papers without a citation key get one; with ``output`` the papers written
    are remembered for ``new_only`` (only those not exported to that file
    before; nothing is written when there are none).  The keys and the record
    are committed only once the file is in place: a write that fails (a
    missing folder, a read-only file) changes nothing stored.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if output is None and (fmt == "notes" or new_only):
        raise ValueError("needs a file or folder to write to (-o)")
    papers = select_papers(library, selection)
    store = library.store
    target = export_target(output) if output is not None else None
    # A library that cannot be written now (a read-only mount, a full disk) still
    # exports: with the keys it has (a paper without one is cited by its id), recording nothing.
    keep = store.refusal() is None
    with store.transaction() if keep else contextlib.nullcontext():
        already = 0
        if new_only and target is not None:
            before = store.exported_to(target)
            already = sum(1 for paper in papers if paper.id in before)
            papers = [paper for paper in papers if paper.id not in before]
            if not papers:
                return ExportResult([], already=already)
        ids = [paper.id for paper in papers]
        keys = store.ensure_keys(ids) if keep else store.keys(ids)
        papers = [dataclasses.replace(paper, key=keys.get(paper.id)) for paper in papers]
        result = ExportResult(papers, already=already)
        if fmt == "notes":
            assert output is not None
            result.notes = write_notes(output, papers)
        else:
            result.text = export(papers, fmt, heading=selection.describe())
            if output is not None:
                write_atomically(output, result.text)
        if target is not None and record and keep:
            store.record_export(target, [paper.id for paper in papers])
    return result



def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new, never half."""
    with open_atomically(path) as handle:
        handle.write(text)


@contextlib.contextmanager
def open_atomically(path: Path) -> Iterator[TextIO]:
    """A text file to write that replaces ``path`` only when the block ends without error.

    It is written via a temporary file in the same folder and synced, so a
    crash leaves no half file.  The file gets the mode an ordinary new file
    would (or keeps the one it had); a missing folder is an error naming the
    folder, not the temporary file.
    """
    path = path.expanduser()
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "No such folder", str(path.parent))
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        # Renaming would replace a file the user made read-only: respect it instead.
        if not mode & 0o200:  # (its mode, not os.access: root may write anything)
            raise PermissionError(13, "the file is read-only", str(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:  # name the folder, not the temporary file
        raise type(error)(error.errno, f"{error.strerror} (the folder cannot be written)", str(path.parent)) from error
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
