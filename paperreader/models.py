"""Plain data types shared by the parser, the store, the index and the exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["ParsedPaper", "ParseResult", "Paper", "Snippet", "SearchHit", "Stats", "SavedView", "DigestDay", "STATES", "BUILTIN_VIEWS"]


@dataclass(frozen=True, slots=True)
class ParsedPaper:
    """One paper as read from a digest file (already cleaned, not yet stored).

    ``digests`` holds every page date it appeared under in that file (a pasted
    multi-page file can show a paper on two days); the metadata is the newest seen.
    """

    id: str
    title: str
    abstract: str
    digests: tuple[dt.date, ...]
    authors: int | None = None
    organization: str | None = None
    published: dt.date | None = None
    upvotes: int | None = None


@dataclass(slots=True)
class ParseResult:
    """What a digest file holds: its papers (each once) and what was odd about it.

    ``error`` is set when the file as a whole is unusable (binary, empty, no
    papers); warnings describe parts that were skipped or repaired.
    """

    papers: list[ParsedPaper] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def digest_dates(self) -> list[dt.date]:
        return sorted({d for p in self.papers for d in p.digests})


@dataclass(frozen=True, slots=True)
class Paper:
    """A paper as the library knows it: content, where it was seen, user state."""

    id: str
    title: str
    abstract: str
    digests: tuple[dt.date, ...]
    authors: int | None = None
    organization: str | None = None
    published: dt.date | None = None
    upvotes: int | None = None
    read: bool = False
    bookmarked: bool = False
    read_at: str | None = None
    bookmarked_at: str | None = None
    added_at: str | None = None
    #: The user's labels, sorted; and when they last changed (for merging backups).
    tags: tuple[str, ...] = ()
    tags_at: str | None = None
    #: The user's free-text note ("" if none), and when it last changed.
    note: str = ""
    note_at: str | None = None
    #: Its citation key (BibTeX, RIS, CSL JSON), kept in the store once chosen; None until its first export.
    key: str | None = None
    #: The http(s) links its abstract gives (links.py), in order.
    links: tuple[str, ...] = ()
    #: Upvotes gained since the earliest figure a digest page showed (None: none showed any).
    rise: int | None = None
    #: A bookmarked paper's upvotes when it was bookmarked: those of its newest digest page on or
    #: before that day, else the earliest known (None: not bookmarked, or no page showed any).
    bookmark_upvotes: int | None = None

    @property
    def last_digest(self) -> dt.date:
        return self.digests[-1]

    def describe(self) -> list[str]:
        """Its metadata in words ("6 authors", "published 2024-10-31", ...), for any view."""
        parts: list[str] = []
        if self.organization:
            parts.append(self.organization)
        elif self.authors is not None:
            parts.append(f"{self.authors} author{'s' if self.authors != 1 else ''}")
        if self.published:
            parts.append(f"published {self.published.isoformat()}")
        if self.upvotes is not None:
            parts.append(f"{self.upvotes} upvote{'s' if self.upvotes != 1 else ''}")
        if self.digests:
            parts.append("digest " + ", ".join(d.isoformat() for d in self.digests))
        return parts

    def to_json(self) -> dict[str, object]:
        """The documented JSON shape of a paper (``--json``, JSON export)."""
        return {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": self.authors,
            "organization": self.organization,
            "published": self.published.isoformat() if self.published else None,
            "upvotes": self.upvotes,
            "digests": [d.isoformat() for d in self.digests],
            "read": self.read,
            "bookmarked": self.bookmarked,
            # When it was read / bookmarked (null while it is not). The stamp of the mark's last change,
            # either way, is kept apart: it is what a restore merges by, newest wins.
            "read_at": self.read_at if self.read else None,
            "bookmarked_at": self.bookmarked_at if self.bookmarked else None,
            "read_changed_at": self.read_at,
            "bookmarked_changed_at": self.bookmarked_at,
            "added_at": self.added_at,
            "tags": list(self.tags),
            "tags_at": self.tags_at,
            "note": self.note,
            "note_at": self.note_at,
            "key": self.key,
            "links": list(self.links),
            "upvotes_when_bookmarked": self.bookmark_upvotes,
        }


@dataclass(frozen=True, slots=True)
class Snippet:
    """Text with the character spans a search matched, for any renderer to style."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked search result: the paper's id, its score and highlighted parts."""

    id: str
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Stats:
    papers: int
    unread: int
    bookmarked: int
    digests: int
    sources: int
    newest_digest: dt.date | None
    oldest_digest: dt.date | None


#: The read/bookmark states a list or a saved view can be restricted to.
STATES = ("all", "unread", "read", "bookmarked")


@dataclass(frozen=True, slots=True)
class SavedView:
    """A named filter: a query, a state and a digest, e.g. "RL, unread".

    ``digest`` is None (every digest), ``"newest"`` (whichever digest is the
    newest when the view is opened: "Today") or an ISO date.
    """

    name: str
    query: str = ""
    state: str = "all"
    digest: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    #: The order it shows its papers in, when it has one of its own (the built-in "For you": interest).
    sort: str | None = None

    def describe(self) -> str:
        """What it filters, in words: ``"reinforcement learning" · unread · newest digest``."""
        parts = [repr(self.query) if self.query else "every paper"]
        if self.state != "all":
            parts.append(self.state)
        if self.sort == "interest":
            parts.append("ranked for you")
        if self.digest == "newest":
            parts.append("newest digest")
        elif self.digest:
            parts.append(f"digest {self.digest}")
        return " · ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "query": self.query,
            "state": self.state,
            "digest": self.digest,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


#: Views every library has, in the reader's views panel and for ``list --view`` and
#: ``views``: not stored, not editable.  Defined here so the TUI and the CLI agree.
BUILTIN_VIEWS: tuple[SavedView, ...] = (
    SavedView("All papers"),
    SavedView("Today", digest="newest"),
    SavedView("Unread", state="unread"),
    SavedView("Bookmarked", state="bookmarked"),
    # Unread papers ranked by what the user's own triage taught paperreader/interest.py.
    SavedView("For you", state="unread", sort="interest"),
)


@dataclass(frozen=True, slots=True)
class DigestDay:
    """One digest date as the digests screen and ``stats`` show it."""

    date: dt.date
    papers: int
    unread: int
    bookmarked: int

    @property
    def triaged(self) -> float:
        """The share of its papers that are read (0.0 to 1.0)."""
        return (self.papers - self.unread) / self.papers if self.papers else 1.0
