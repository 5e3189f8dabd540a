"""A picture of each day: the digests with their counts, the papers per day, the topics.

Shared by the digests screen of the reader and ``paperreader stats``, so both
show the same figures.  Pure: it reads the store (and the index for topics).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .models import DigestDay

if TYPE_CHECKING:
    from .library import Library

__all__ = ["papers_per_day", "sparkline", "progress_bar", "overview", "SPARK_WEEKS"]

#: The sparkline covers this many weeks up to the newest digest.
SPARK_WEEKS = 8
_BLOCKS = "▁▂▃▄▅▆▇█"


def papers_per_day(days: Sequence[DigestDay], *, weeks: int = SPARK_WEEKS) -> list[tuple[dt.date, int]]:
    """Papers per calendar day over the last ``weeks`` weeks up to the newest digest.

    Days without a digest count 0 (a weekend shows as a dip, as it should).
    """
    if not days:
        return []
    newest = max(day.date for day in days)
    counts = {day.date: day.papers for day in days}
    first = newest - dt.timedelta(days=7 * weeks - 1)
    return [(first + dt.timedelta(days=n), counts.get(first + dt.timedelta(days=n), 0)) for n in range(7 * weeks)]


def sparkline(values: Sequence[int]) -> str:
    """One block character per value, scaled to the largest (a terminal's sparkline)."""
    top = max(values, default=0)
    if top <= 0:
        return " " * len(values)
    return "".join(" " if v <= 0 else _BLOCKS[min(len(_BLOCKS) - 1, (v * len(_BLOCKS) - 1) // top)] for v in values)


def progress_bar(share: float, width: int = 10) -> str:
    """``███████░░░`` for 0.7: the triage progress of a digest, in text."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


def overview(library: Library, *, limit: int | None = 14, topics: int = 5) -> dict[str, object]:
    """Everything ``stats --json`` prints: totals, per-digest rows (newest first) and the sparkline.

    ``limit`` digests get a row (None: all); each row has its top ``topics``
    key terms (0: none, and Whoosh is not opened).
    """
    stats = library.store.stats()
    tagged, noted = library.store.annotated()
    days = library.store.digest_days()
    shown = days if limit is None else days[:limit]
    rows = []
    for day in shown:
        row: dict[str, object] = {
            "date": day.date.isoformat(),
            "papers": day.papers,
            "unread": day.unread,
            "bookmarked": day.bookmarked,
            "triaged": round(day.triaged, 4),
        }
        if topics:
            row["topics"] = library.topics(day.date, top=topics)
        rows.append(row)
    per_day = papers_per_day(days)
    return {
        "papers": stats.papers,
        "unread": stats.unread,
        "bookmarked": stats.bookmarked,
        "tagged": tagged,
        "with_notes": noted,
        "digests": stats.digests,
        "files": stats.sources,
        "newest_digest": stats.newest_digest.isoformat() if stats.newest_digest else None,
        "oldest_digest": stats.oldest_digest.isoformat() if stats.oldest_digest else None,
        "data_dir": str(library.data_dir),
        "papers_per_day": [{"date": d.isoformat(), "papers": n} for d, n in per_day],
        "days": rows,
    }
