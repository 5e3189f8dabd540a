"""Plain data types shared by the parser, the store, the index and the exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = ["ParsedPaper", "ParseResult", "Paper", "Snippet", "SearchHit", "Stats"]


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
            "read_at": self.read_at,
            "bookmarked_at": self.bookmarked_at,
            "added_at": self.added_at,
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
