"""Reading digest files: bytes in, cleaned papers and warnings out.

A digest is the plain text of one "Daily Papers" page (see FORMAT.md in the shared
folder): page chrome, the page's date without a year, then per paper a title
block, an abstract block and, on some pages, a three-line metadata block.  Files
from the wild add BOMs, CRLF, Latin-1, several pages pasted together, repeats,
escape sequences, huge fields, or are not text at all.

:func:`parse_digest` is pure and never raises on any input: whatever cannot be
used is reported in :attr:`ParseResult.warnings` or :attr:`ParseResult.error`.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass

from .models import ParsedPaper, ParseResult
from .text import clean_text, paper_id

__all__ = ["parse_digest", "decode_digest", "resolve_month_day", "MAX_TITLE", "MAX_ABSTRACT"]

#: Longer fields are cut (with a warning): they are pasting accidents, not papers.
MAX_TITLE = 4_000
MAX_ABSTRACT = 200_000

_CHROME = {
    "new",
    "get trending papers in your email inbox!",
    "subscribe",
    "daily papers",
    "byak and the research community",
}

# Month names in English whatever the locale (calendar's would follow LC_TIME).
_MONTH_NAMES = "january february march april may june july august september october november december"
_MONTHS = {name: i for i, full in enumerate(_MONTH_NAMES.split(), 1) for name in (full, full[:3])}
_MONTHS["sept"] = 9

_MONTH_DAY = r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2})"
_PAGE_DATE = re.compile(rf"^{_MONTH_DAY}$")
#: Control characters other than tab, newline, CR and form feed: binary data.
#: Counted by the regex engine (a Python loop over 64 KB took ~4 ms a file).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_PUBLISHED = re.compile(rf"^{_MONTH_DAY}(?:,\s*(?P<year>\d{{4}}))?(?:\s+(?P<upvotes>\d{{1,7}}))?$")
_AUTHORS = re.compile(r"^(?P<count>\d{1,5})\s+authors?$", re.IGNORECASE)
_BULLET = "•"
_MIDDOT = "·"


def _month(name: str) -> int | None:
    return _MONTHS.get(name.lower())


def resolve_month_day(month: int, day: int, reference: dt.date) -> dt.date | None:
    """The date with this month and day that is the latest one not after ``reference``.

    Digest pages give ``Mar 11`` without a year; the file was saved on or after
    that day, so the year is the reference's, or the one before when ``Mar 11`` of
    the reference's year is still to come (a grace of two days allows for time
    zones).  Feb 29 goes back to the last leap year.  None if no such date exists.
    """
    latest = reference + dt.timedelta(days=2)
    for year in range(latest.year, latest.year - 9, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            if month == 2 and day == 29:
                continue
            return None
        if candidate <= latest:
            return candidate
    return None


def decode_digest(data: bytes) -> tuple[str | None, list[str], str | None]:
    """Decode a file's bytes: ``(text, warnings, error)``.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are taken as they are;
    anything else that is not UTF-8 is read as Windows-1252 (a superset of the
    printable Latin-1), falling back to Latin-1 itself.  NUL bytes or a high share
    of control characters mean the file is not a text digest.
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), warnings, None
        except UnicodeDecodeError:
            return None, warnings, "not a text digest (binary data)"
    nuls = data.count(b"\x00")
    if nuls > max(2, len(data) // 1000):  # a stray NUL or two is damage, many are binary
        return None, warnings, "not a text digest (binary data)"
    if nuls:
        warnings.append(f"{nuls} NUL byte{'s' if nuls > 1 else ''} removed")
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text, latin = _decode_lines(data)
        warnings.append(
            "not UTF-8: read as Latin-1 (Windows-1252)"
            if latin == text.count("\n") + 1
            else f"{latin} line{'s' if latin > 1 else ''} not UTF-8: read as Latin-1 (Windows-1252)"
        )
    sample = text[:65536]
    controls = len(_CONTROL_CHARS.findall(sample))
    if sample and controls / len(sample) > 0.05:
        return None, warnings, "not a text digest (binary data)"
    return text, warnings, None


def _decode_lines(data: bytes) -> tuple[str, int]:
    """Decode line by line: UTF-8 where a line is UTF-8, else Windows-1252 (Latin-1).

    One stray Latin-1 byte must not turn every other accented title of a UTF-8
    file into mojibake (and new paper ids).  Returns the text and how many
    lines were not UTF-8.
    """
    lines, latin = [], 0
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            latin += 1
            try:
                lines.append(raw.decode("cp1252"))
            except UnicodeDecodeError:
                lines.append(raw.decode("latin-1"))
    return "\n".join(lines), latin


@dataclass(slots=True)
class _Block:
    line: int  # 1-based line number of the block's first line
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def _blocks(text: str) -> list[_Block]:
    """Split text into blank-line separated blocks of cleaned, non-empty lines."""
    blocks: list[_Block] = []
    current: _Block | None = None
    # Split on LF only: str.splitlines() would also split on characters such as
    # U+2028 or \x1c that can sit inside a hostile title.
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = clean_text(raw)
        if not line:
            current = None
            continue
        if current is None:
            current = _Block(number, [])
            blocks.append(current)
        current.lines.append(line)
    return blocks


def _is_chrome(block: _Block) -> bool:
    return all(line.casefold() in _CHROME for line in block.lines)


def _page_date(block: _Block) -> tuple[int, int] | None:
    if len(block.lines) != 1:
        return None
    match = _PAGE_DATE.match(block.lines[0])
    if not match:
        return None
    month = _month(match["month"])
    day = int(match["day"])
    return (month, day) if month and 1 <= day <= 31 else None


def _is_metadata(block: _Block) -> bool:
    return block.lines[0].startswith(_BULLET) or _MIDDOT in block.lines


@dataclass(slots=True)
class _Metadata:
    authors: int | None = None
    organization: str | None = None
    published: dt.date | None = None
    upvotes: int | None = None


def _organization(text: str) -> str:
    """``"nvidia NVIDIA"`` (a handle, then the display name) becomes ``"NVIDIA"``."""
    handle, _, name = text.partition(" ")
    if name and re.sub(r"[\W_]", "", handle).casefold() == re.sub(r"[\W_]", "", name).casefold():
        return name
    return text


def _parse_metadata(block: _Block, digest: dt.date) -> _Metadata:
    meta = _Metadata()
    for number, line in enumerate(block.lines):
        if line == _MIDDOT:
            continue
        match = _PUBLISHED.match(line)
        if number == 0 and not match:
            # "• 6 authors", or an organisation, with or without the bullet.
            who = line.removeprefix(_BULLET).strip()
            count = _AUTHORS.match(who)
            if count:
                meta.authors = int(count["count"])
            elif who:
                meta.organization = _organization(who)
            continue
        month = _month(match["month"]) if match else None
        if match and month:
            day = int(match["day"])
            if match["year"]:
                try:
                    meta.published = dt.date(int(match["year"]), month, day)
                except ValueError:
                    pass
            else:
                meta.published = resolve_month_day(month, day, digest)
            if match["upvotes"]:
                meta.upvotes = int(match["upvotes"])
    return meta


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(slots=True)
class _Entry:
    title: str
    abstract: str
    digest: dt.date
    line: int
    meta: _Metadata | None = None


def parse_digest(data: bytes, reference: dt.date) -> ParseResult:
    """Parse one digest file's bytes into papers.

    ``reference`` is the day the digest was saved (the file's modification time,
    or the user's ``--date``): it supplies the year of the page's ``Mar 11`` and
    the date of a page that shows none.

    Text that is not a digest is refused whole (``error`` set, no papers), not
    imported paragraph by paragraph: a file with neither a page date nor page
    chrome, or one where most blocks are not a title line followed by a
    one-line abstract (a README, notes, source code).
    """
    result = ParseResult()
    text, result.warnings, result.error = decode_digest(data)
    if text is None:
        return result

    entries: list[_Entry] = []
    page_date: dt.date | None = None
    pending: _Block | None = None  # a title waiting for its abstract
    metadata_allowed = False  # a metadata block may follow a complete paper only
    warned_no_date = False
    # How much of the file has a digest's shape, to refuse text that is something
    # else (a README, notes, a log) instead of importing its paragraphs as papers.
    anchored = False  # a page date or page chrome was seen
    shape = _Shape()

    def current_date(line: int) -> dt.date:
        nonlocal warned_no_date
        if page_date is None and not warned_no_date:
            warned_no_date = True
            result.warnings.append(f"line {line}: no page date found; using {reference.isoformat()}")
        return page_date or reference

    def drop_pending(reason: str) -> None:
        nonlocal pending
        if pending is not None:
            result.warnings.append(f"line {pending.line}: skipped {_short(pending.text)!r}: {reason}")
            shape.odd(pending)
            pending = None

    def add(title_block: _Block, abstract: str) -> None:
        nonlocal metadata_allowed
        entries.append(_Entry(title_block.text, abstract, current_date(title_block.line), title_block.line))
        metadata_allowed = True

    for block in _blocks(text):
        if _is_chrome(block):
            drop_pending("no abstract")
            page_date, warned_no_date, metadata_allowed = None, False, False
            anchored = True
            continue
        month_day = _page_date(block) if pending is None else None
        if month_day is not None:
            page_date = resolve_month_day(*month_day, reference) or reference
            metadata_allowed = False
            anchored = True
            continue
        if _is_metadata(block):
            drop_pending("no abstract")
            if metadata_allowed and entries and entries[-1].meta is None:
                entries[-1].meta = _parse_metadata(block, entries[-1].digest)
            else:
                result.warnings.append(f"line {block.line}: metadata block without a paper; ignored")
                shape.odd(block)
            metadata_allowed = False
            continue
        metadata_allowed = False
        if pending is not None:
            add(pending, block.text)
            shape.paper(block, lines=len(block.lines))
            pending = None
        elif len(block.lines) > 1:
            # A title directly followed by its abstract, the blank line lost.
            result.warnings.append(f"line {block.line}: title and abstract not separated by a blank line")
            add(_Block(block.line, block.lines[:1]), " ".join(block.lines[1:]))
            shape.paper(block, lines=len(block.lines) - 1)
        else:
            pending = block
    drop_pending("no abstract")

    if not text.strip():
        result.error = "no papers found (empty file)"
        return result
    if not anchored:
        result.error = 'not a digest (no page date such as "Mar 11" and no page chrome)'
    elif entries and shape.odd_blocks > shape.papers:
        result.error = (
            f"not a digest (most of its blocks are not a title line then an abstract, e.g. line {shape.first_odd})"
        )
    if result.error:
        result.warnings = []  # what was odd about its "papers" does not matter: it is refused
        return result
    result.papers = _merge(entries, result.warnings)
    if not result.papers:
        result.error = "no papers found"
    return result


@dataclass(slots=True)
class _Shape:
    """How many blocks of a file read as a digest's papers, and how many do not.

    A digest's abstract is one long line (two, when a line break slipped in);
    paragraphs of many short lines, titles without an abstract and stray
    metadata blocks are what a README, notes or a log look like instead.
    """

    papers: int = 0
    odd_blocks: int = 0
    first_odd: int | None = None

    def paper(self, abstract: _Block, *, lines: int) -> None:
        if lines <= 2:
            self.papers += 1
        else:
            self.odd(abstract)

    def odd(self, block: _Block) -> None:
        self.odd_blocks += 1
        if self.first_odd is None:
            self.first_odd = block.line


def _merge(entries: list[_Entry], warnings: list[str]) -> list[ParsedPaper]:
    """One paper per id: repeats are merged (all their dates, the newest metadata)."""
    by_id: dict[str, list[_Entry]] = {}
    for entry in entries:
        title, abstract = entry.title, entry.abstract
        if len(title) > MAX_TITLE:
            warnings.append(f"line {entry.line}: title of {len(title):,} characters cut to {MAX_TITLE:,}")
            entry.title = title[:MAX_TITLE]
        if len(abstract) > MAX_ABSTRACT:
            warnings.append(f"line {entry.line}: abstract of {len(abstract):,} characters cut to {MAX_ABSTRACT:,}")
            entry.abstract = abstract[:MAX_ABSTRACT]
        by_id.setdefault(paper_id(entry.title), []).append(entry)

    papers: list[ParsedPaper] = []
    for pid, seen in by_id.items():
        if len(seen) > 1:
            lines = ", ".join(str(e.line) for e in seen)
            warnings.append(f"{_short(seen[0].title)!r} appears {len(seen)} times (lines {lines}); kept once")
        # The first occurrence's words stay; metadata from later pages and dates
        # wins, as it does across digests.
        newest = seen[0]
        with_meta = [e for e in seen if e.meta is not None]
        meta = max(with_meta, key=lambda e: (e.digest, e.line)).meta if with_meta else _Metadata()
        papers.append(
            ParsedPaper(
                id=pid,
                title=newest.title,
                abstract=newest.abstract,
                digests=tuple(sorted({e.digest for e in seen})),
                authors=meta.authors,
                organization=meta.organization,
                published=meta.published,
                upvotes=meta.upvotes,
            )
        )
    return papers
