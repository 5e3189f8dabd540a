"""Catching up after days away: each day's few papers worth reading, and the rest in one key.

A week away is 700 papers.  For each day with unread papers, newest first,
the catch-up picks the day's top K: ranked by the "for you" model when the
user's triage has trained one (``paperreader.interest``), otherwise by the
upvotes the day's page gave each paper, as a percentile within its day (so a
quiet day's best paper still counts as the best).  The day's other unread
papers are "the rest", which one action marks read.

Shared by ``paperreader catchup`` and the reader's Catch up screen; pure (the
store, and the interest model when there is one), no Textual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .journal import READ, BOOKMARKED, describe_state
from .models import Paper

if TYPE_CHECKING:
    from .clusters import Cluster
    from .library import Library
    from .store import Store

__all__ = [
    "Pick", "CatchupDay", "Catchup", "catch_up", "mark_read", "bookmark", "tag", "cluster_what", "rest_what",
    "DEFAULT_DAYS", "DEFAULT_TOP",
]

#: Days with unread papers looked at by default: a week away.
DEFAULT_DAYS = 7
#: Papers picked per day by default.
DEFAULT_TOP = 5

Ranking = Literal["for you", "upvotes"]


@dataclass(frozen=True, slots=True)
class Pick:
    """One of a day's top papers, with why it is there ("top 5% of Nov 12", or the model's reason)."""

    paper: Paper
    score: float
    why: str | None = None

    def to_json(self) -> dict[str, object]:
        return {**self.paper.to_json(), "score": round(self.score, 6), "why": self.why}


@dataclass(frozen=True, slots=True)
class CatchupDay:
    """A day with unread papers: its top picks, the other unread papers (the rest), and those shown later.

    ``papers`` and ``unread`` count the day as the digests screen and ``stats``
    do (every paper that appeared that day), so the figures agree everywhere.
    A paper also in a later digest is shown (picked or passed over) only under
    that later day: ``later`` holds those of the day's unread papers, so the
    screen can say "15 of them under a later day" instead of counting them as read.
    """

    date: dt.date
    papers: int
    unread: int
    top: tuple[Pick, ...]
    rest: tuple[str, ...]
    later: tuple[str, ...] = ()

    @property
    def here(self) -> int:
        """The unread papers shown under this day: its picks and its rest."""
        return len(self.top) + len(self.rest)

    def later_text(self, unread: int | None = None) -> str:
        """ "15 shown under a later day": why this day's picks and rest hold fewer than its unread figure."""
        count = len(self.later) if unread is None else unread
        return f"{count:,} shown under a later day"

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.date.isoformat(),
            "papers": self.papers,
            "unread": self.unread,
            "unread_under_later_days": len(self.later),
            "top": [pick.to_json() for pick in self.top],
            "rest": list(self.rest),
        }


@dataclass(frozen=True, slots=True)
class Catchup:
    """The days to catch up on, newest first, and how they were ranked."""

    days: tuple[CatchupDay, ...]
    ranking: Ranking
    #: Unread papers in the library beyond the days shown (older days).
    older_unread: int = 0
    #: Without a model: how far "for you" is ("for you needs 3 more kept papers …"), if the model code says.
    note: str | None = None

    @property
    def unread(self) -> int:
        """Unread papers of the days shown, each counted once (under its newest day)."""
        return sum(day.here for day in self.days)


def _because_text(value: object) -> str | None:
    """The model's reason as one line: a string as it is, its terms as "for you: diffusion, video"."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable):
        words = [str(item) for item in value]
        return f"for you: {', '.join(words)}" if words else None
    return str(value)


def _interest(library: Library, ids: Sequence[str]) -> tuple[dict[str, float], dict[str, str | None]] | None:
    """The "for you" scores of these papers, or None while there is no model (or no model code yet)."""
    try:
        from .interest import score_papers
    except ImportError:
        return None
    scores = score_papers(library, list(ids))
    if scores is None:
        return None
    why = getattr(scores, "why", None)  # the reader's own line: "for you: like 4 papers you kept (…)"
    because = getattr(scores, "because", None)
    reasons: dict[str, str | None] = {}
    if callable(why):
        reasons = {pid: why(pid) for pid in ids}
    elif isinstance(because, Mapping):
        reasons = {pid: _because_text(because.get(pid)) for pid in ids}
    return dict(scores.score), reasons


def _day_percentiles(store: Store, day: dt.date) -> tuple[dict[str, float], dict[str, str]]:
    """Each paper's upvote percentile within its day, and "top 5% of Nov 12" for those the page ranked."""
    from .signals import day_percentiles, day_tops, describe_top

    shares = day_tops(store, day)
    return day_percentiles(store, day), {pid: describe_top(share, day) for pid, share in shares.items()}


def catch_up(library: Library, *, days: int | None = DEFAULT_DAYS, top: int = DEFAULT_TOP) -> Catchup:
    """The newest ``days`` days with unread papers (None: all), each with its ``top`` picks and the rest.

    A paper in several digests belongs to its newest one (as in the reader's
    list), so it is picked or passed over once; an older day's figures still
    count it, as the digests screen does, and its ``later`` names it.
    """
    store = library.store
    ids, runs = store.ids_by_day("unread")
    totals = {day.date: (day.papers, day.unread) for day in store.digest_days()}
    chosen = runs if days is None else runs[:days]
    bounds = [start for start, _day in runs[1:]] + [len(ids)]
    per_day: list[tuple[dt.date, list[str]]] = []
    for number, (start, day) in enumerate(chosen):
        per_day.append((day, ids[start : bounds[number]]))
    shown = sum(len(day_ids) for _day, day_ids in per_day)
    interest = _interest(library, [pid for _day, day_ids in per_day for pid in day_ids]) if per_day else None
    result: list[CatchupDay] = []
    for day, day_ids in per_day:
        papers = store.get_many(day_ids)
        if interest is not None:
            scores, reasons = interest[0], interest[1]
            ranked = sorted(day_ids, key=lambda pid: (-scores.get(pid, 0.0), -(papers[pid].upvotes or 0), pid))
            picks = tuple(Pick(papers[pid], scores.get(pid, 0.0), reasons.get(pid)) for pid in ranked[:top])
        else:
            percent, tops = _day_percentiles(store, day)
            ranked = sorted(day_ids, key=lambda pid: (-percent.get(pid, 0.0), -(papers[pid].upvotes or 0), pid))
            picks = tuple(Pick(papers[pid], percent.get(pid, 0.0), tops.get(pid)) for pid in ranked[:top])
        picked = {pick.paper.id for pick in picks}
        rest = tuple(pid for pid in day_ids if pid not in picked)
        own = set(day_ids)
        later = tuple(pid for pid in store.ids("unread", digest=day) if pid not in own)
        papers_of_day, unread_of_day = totals.get(day, (len(day_ids), len(day_ids)))
        result.append(CatchupDay(day, papers_of_day, unread_of_day, picks, rest, later))
    note = None if interest is not None else _model_status(library)
    return Catchup(tuple(result), "for you" if interest is not None else "upvotes", len(ids) - shown, note)


def _model_status(library: Library) -> str | None:
    """What "for you" still needs, in the model's own words (None without the model code)."""
    try:
        from .interest import status
    except ImportError:
        return None
    return status(library).describe()


def _unchanged(store: Store, ids: Sequence[str], field: str, value: bool) -> list[str]:
    """The papers among ``ids`` whose ``field`` is not ``value`` yet: what an action would change."""
    return [snap.id for snap in store.snapshot(ids) if getattr(snap, field) != value]


def mark_read(store: Store, ids: Sequence[str], what: str) -> int:
    """Mark papers read as one undoable action named for what they are: "marked 43 papers read (the rest of Nov 12)".

    Returns how many changed (0: nothing was unread, and nothing is journaled).
    """
    changing = _unchanged(store, ids, READ, True)
    if changing:
        store.set_state(changing, read=True, label=f"{describe_state(READ, True, len(changing))} ({what})")
    return len(changing)


def bookmark(store: Store, ids: Sequence[str], what: str) -> int:
    """Bookmark papers as one undoable action: "bookmarked 9 papers (cluster diffusion · video · editing)"."""
    changing = _unchanged(store, ids, BOOKMARKED, True)
    if changing:
        store.set_state(changing, bookmarked=True, label=f"{describe_state(BOOKMARKED, True, len(changing))} ({what})")
    return len(changing)


def tag(store: Store, ids: Sequence[str], tags: Sequence[str], what: str) -> int:
    """Add tags to papers as one undoable action: "tagged rl (9 papers, cluster diffusion · video · editing)"."""
    changing = [snap.id for snap in store.snapshot(ids) if not set(tags) <= set(snap.tags)]
    if changing:
        count = f"{len(changing):,} paper{'s' if len(changing) != 1 else ''}"
        store.set_tags(changing, add=tags, label=f"tagged {', '.join(tags)} ({count}, {what})")
    return len(changing)


def cluster_what(cluster: Cluster) -> str:
    """How an action names a cluster in the history: "cluster diffusion · video · editing"."""
    return f"cluster {cluster.label}"


def rest_what(day: dt.date) -> str:
    """How an action names a day's rest: "the rest of Nov 12"."""
    return f"the rest of {day:%b} {day.day}"
