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
* JSON: the documented shape of ``--json``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from .models import Paper

__all__ = ["FORMATS", "export", "write_atomically", "open_atomically", "to_markdown", "to_csv", "to_json", "to_bibtex", "bibtex_escape", "markdown_escape"]

CSV_COLUMNS = (
    "id",
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
    "abstract",
)

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
    parts = [f"`{paper.id}`", *map(markdown_escape, paper.describe())]
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
        year = paper.published.year if paper.published else (paper.last_digest.year if paper.digests else None)
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
            dates = ", ".join(d.isoformat() for d in paper.digests)
            fields.append(("note", f"Daily Papers digest {dates}"))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{paper.id},\n{body}\n}}\n")
    return "\n".join(entries)


#: Format name -> (writer, file suffix).
FORMATS: dict[str, tuple[Callable[[Sequence[Paper]], str], str]] = {
    "md": (to_markdown, ".md"),
    "csv": (to_csv, ".csv"),
    "json": (to_json, ".json"),
    "bibtex": (to_bibtex, ".bib"),
}


def export(papers: Sequence[Paper], fmt: str) -> str:
    """Render papers in one of :data:`FORMATS`."""
    writer, _suffix = FORMATS[fmt]
    return writer(papers)


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
