"""What a digest page itself says about a paper: its upvotes over time and its rank in its day.

The page gives one number per paper and day, the upvotes.  Kept per
appearance (schema 4), they tell two things the latest figure alone cannot:
momentum (a paper still gathering upvotes days later is being talked about)
and the day percentile (40 upvotes is a lot on a quiet Saturday and little on a
busy Tuesday).  Pure functions over the store, no Textual: the CLI, the reader
and the catch-up ranking share them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Momentum",
    "momentum",
    "momenta",
    "describe_momentum",
    "percentiles",
    "tops",
    "day_percentiles",
    "day_tops",
    "describe_top",
    "describe_signals",
    "BADGE_TOP",
    "SHOWN_TOP",
]

#: The list's badge marks the papers in this top share of their day.
BADGE_TOP = 0.10
#: The viewer names a paper's top share of its day up to this share.
SHOWN_TOP = 0.50


class _UpvoteSource(Protocol):
    """What of the store these functions read (a Store; a fake in tests)."""

    def day_upvotes(self, digest: dt.date) -> dict[str, int | None]: ...

    def upvote_history(self, ids: Sequence[str]) -> dict[str, list[tuple[dt.date, int | None]]]: ...


@dataclass(frozen=True, slots=True)
class Momentum:
    """A paper's upvotes now, and how many it gained since the earliest figure known."""

    latest: int
    rise: int
    since: dt.date  # the day of the earliest figure known

    @property
    def rising(self) -> bool:
        return self.rise > 0


def momentum(history: Sequence[tuple[dt.date, int | None]]) -> Momentum | None:
    """Momentum from one paper's appearances (oldest first); None when no page showed its upvotes."""
    known = sorted((day, upvotes) for day, upvotes in history if upvotes is not None)
    if not known:
        return None
    (first_day, first), (_, last) = known[0], known[-1]
    return Momentum(latest=last, rise=last - first, since=first_day)


def momenta(store: _UpvoteSource, ids: Sequence[str]) -> dict[str, Momentum]:
    """Momentum of each of these papers that has a figure (one query)."""
    found: dict[str, Momentum] = {}
    for paper_id, history in store.upvote_history(ids).items():
        value = momentum(history)
        if value is not None:
            found[paper_id] = value
    return found


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


def describe_momentum(value: Momentum) -> str:
    """``▲128, +37 since Nov 12``; just ``▲128`` when the figure did not rise."""
    text = f"▲{value.latest}"
    if value.rising:
        text += f", +{value.rise} since {_day(value.since)}"
    return text


def percentiles(upvotes: Mapping[str, int | None]) -> dict[str, float]:
    """Each paper's share of the group it beats or ties by upvotes (itself included), 0..1.

    Ties share a rank (the highest of the tied places); papers without upvotes
    rank last at 0.0 — a page that showed no figure says nothing of them.
    """
    total = len(upvotes)
    figures = sorted(value for value in upvotes.values() if value is not None)
    missing = total - len(figures)
    at_or_below: dict[int, int] = {}
    for position, value in enumerate(figures, start=1):
        at_or_below[value] = position  # sorted: the last position of a value counts the ties
    return {
        paper_id: 0.0 if value is None else (missing + at_or_below[value]) / total
        for paper_id, value in upvotes.items()
    }


def tops(upvotes: Mapping[str, int | None]) -> dict[str, float]:
    """Each paper's top share of the group: those with at least its upvotes, over all (0..1].

    The day's best paper of 100 is in the top 1%; ties share the larger share.
    Papers without upvotes are left out (they are in no top).
    """
    total = len(upvotes)
    figures = sorted((value for value in upvotes.values() if value is not None), reverse=True)
    at_or_above: dict[int, int] = {}
    for position, value in enumerate(figures, start=1):
        at_or_above[value] = position
    return {paper_id: at_or_above[value] / total for paper_id, value in upvotes.items() if value is not None}


def day_percentiles(store: _UpvoteSource, digest: dt.date) -> dict[str, float]:
    """Paper id -> share of that day's papers it beats or ties by the upvotes that day's page showed."""
    return percentiles(store.day_upvotes(digest))


def day_tops(store: _UpvoteSource, digest: dt.date) -> dict[str, float]:
    """Paper id -> its top share of that day (see :func:`tops`); papers the page gave no upvotes are absent."""
    return tops(store.day_upvotes(digest))


def describe_top(share: float, digest: dt.date) -> str:
    """``top 5% of Nov 12`` (rounded up: the best of 150 is in the top 1%)."""
    percent = max(1, min(100, math.ceil(round(share * 100, 6))))
    return f"top {percent}% of {_day(digest)}"


def describe_signals(store: _UpvoteSource, paper_id: str) -> str | None:
    """The viewer's line of a paper's signals: ``▲128, +37 since Nov 12 · top 5% of Nov 15``; None without figures.

    The percentile is that of the newest day whose page showed the paper's upvotes, said
    only for the upper half of that day (SHOWN_TOP): "top 63%" would say nothing worth a line.
    """
    history = store.upvote_history([paper_id]).get(paper_id, [])
    value = momentum(history)
    if value is None:
        return None
    parts = [describe_momentum(value)]
    day = max(day for day, upvotes in history if upvotes is not None)
    share = day_tops(store, day).get(paper_id)
    if share is not None and share <= SHOWN_TOP:
        parts.append(describe_top(share, day))
    return " · ".join(parts)
