""""For you": a ranking learned from what the user already does with papers.

Nothing is asked of the user.  The signals are:

* kept papers — bookmarked, tagged or with a note — strong positives;
* papers opened in the reader (``enter``, or paged through) — weak positives;
* papers passed over with ``n`` without opening them — weak negatives
  (the last two are the store's *observations*, see :meth:`Store.observe`).

The model is a Rocchio profile: each signal paper is a vector of its title
and abstract terms (the index's own stems, weighted tf-idf, normalised), the
profile is the mean of the kept papers plus a little of the opened ones minus
a little of the passed ones, and its strongest :data:`PROFILE_TERMS` terms
are kept.  A paper's interest is the weighted sum of those terms' BM25F
scores in it, read from the index's posting lists (:meth:`SearchIndex.term_matrix`),
so ranking 10,000 papers costs a few array operations per term.  Naive Bayes
over the same terms was the other candidate, considered but not built: the
profile explains itself exactly (each term's share of a score is a number it
adds), it measured well above the target (``python -m benchmarks.interest``
compares several of its settings with upvote and digest order; numbers in
benchmarks/RESULTS.md), and the settings it compares barely differ.

It says why: :attr:`Scores.because` holds the terms behind each score and
:meth:`Scores.why` the line the reader shows, "for you: like 4 papers you
kept (diffusion, video, distillation)".  Below :data:`THRESHOLD` kept papers
there is no model (:func:`score_papers` returns None, :func:`status` says how
many more it needs) and :func:`rank` orders by upvotes meanwhile.

Pure core: no Textual; Whoosh only through :mod:`paperreader.index` (and its English stop list).
"""

from __future__ import annotations

import functools
import math
import threading
import weakref
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .journal import BOOKMARKED, NOTE, PAPER, TAG
from .store import InterestSignals

if TYPE_CHECKING:
    from .library import Library

__all__ = [
    "Scores", "Status", "Profile", "score_papers", "score_with", "rank", "status", "learn", "build_profile", "learns_from",
    "THRESHOLD",
]

#: Kept papers needed before "for you" ranks by the model (fewer: by upvotes).
#: Chosen by the benchmark (``python -m benchmarks.interest``): with one or two
#: kept papers its precision@10 on the real digests is no better than upvote
#: order; from three on it is at least twice that, on the real and the
#: synthetic corpus alike.
THRESHOLD = 3
#: Terms the profile keeps (its strongest positive ones).
PROFILE_TERMS = 60
#: How much an opened paper counts next to a kept one, and a passed one against.
OPENED_WEIGHT = 0.3
PASSED_WEIGHT = 0.3
#: Title words count more than abstract words, as in search.
FIELDS = {"title": 2.0, "abstract": 1.0}
#: Terms shown as the reason for a paper's place.
BECAUSE_TERMS = 3


@dataclass(slots=True)
class Profile:
    """The learnt profile: weighted stems, the words they are shown as, and what the kept papers hold."""

    weights: dict[str, float]
    #: stem -> the word the user's papers use for it ("diffus" -> "diffusion").
    surfaces: dict[str, str]
    #: Each kept paper's profile stems, to say how many kept papers a paper is like.
    kept_terms: list[frozenset[str]]
    #: The kept papers' ids, in the order of ``kept_terms`` (a kept paper is not "like" itself).
    kept_ids: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return len(self.kept_terms)


@dataclass(slots=True)
class Scores:
    """Interest per paper id, and why: the words behind each score and how many kept papers share them."""

    score: dict[str, float]
    #: The words behind each score, strongest first (read like a dict; made as they are asked for).
    because: Mapping[str, list[str]]
    #: How many kept papers share (most of) a paper's top terms (read like a dict, counted when asked).
    like: Mapping[str, int] = field(default_factory=dict)
    #: How many kept papers the model learnt from.
    kept: int = 0
    #: The kept papers among those scored: their words are what they share with the *other* kept papers.
    kept_ids: frozenset[str] = frozenset()

    def why(self, paper_id: str) -> str | None:
        """The reader's why line, e.g. "for you: like 4 papers you kept (diffusion, video, distillation)".

        A kept paper is not like itself: its line says it was kept and names
        what it shares with the others ("for you: you kept this; like 2 other
        papers you kept (sparsity, activation)").
        """
        if paper_id not in self.score:
            return None
        words = self.because.get(paper_id, [])
        like = self.like.get(paper_id, 0)
        joined = ", ".join(words)
        if paper_id in self.kept_ids:
            if not words:
                return "for you: you kept this; it shares no words with the other papers you kept"
            if like:
                return f"for you: you kept this; like {like} other paper{'s' if like != 1 else ''} you kept ({joined})"
            return f"for you: you kept this; it shares {joined} with other papers you kept"
        if not words:
            return "for you: nothing in common with the papers you kept"
        if like:
            return f"for you: like {like} paper{'s' if like != 1 else ''} you kept ({joined})"
        return f"for you: shares {joined} with papers you kept"


@dataclass(frozen=True, slots=True)
class Status:
    """How far "for you" is: the kept papers it learns from, and how many more it needs (0: ready)."""

    kept: int
    needed: int

    def describe(self) -> str:
        """One line for the reader and the CLI."""
        if not self.needed:
            return f"for you: learnt from {self.kept} kept paper{'s' if self.kept != 1 else ''}"
        return (
            f"for you needs {self.needed} more kept paper{'s' if self.needed != 1 else ''} "
            "(bookmark, tag or note them); ranked by upvotes meanwhile"
        )


class _Cache:
    """What a library's model is made of, kept between calls (one per open library)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: The store revision the term counts and frequencies were read at (a re-import changes texts).
        self.rev = -1
        self.counts: dict[str, Counter[str]] = {}
        self.surface_counts: dict[str, Counter[str]] = {}
        self.df: dict[str, int] = {}
        self.total = 0
        self.signals: InterestSignals | None = None
        self.profile: Profile | None = None


_CACHES: weakref.WeakKeyDictionary[Library, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache(library: Library) -> _Cache:
    with _CACHES_LOCK:
        found = _CACHES.get(library)
        if found is None:
            found = _CACHES[library] = _Cache()
        return found


@functools.cache
def _stop_stems() -> frozenset[str]:
    """The stems of English function words ("but", "been", "after"), as the index holds them.

    The index's analyzer drops only Whoosh's short stop list (for search,
    where "mixture of experts" needs its words); a profile made of the kept
    papers' every word took in the rest, and they filled the why line ("for
    you: like 3 papers you kept (properties, but)") and scored papers that
    share nothing else.  The list is Whoosh's English one (NLTK's).
    """
    from whoosh.lang.stopwords import stoplists

    from .index import index_terms

    return frozenset(stem for stem, _word in index_terms(" ".join(sorted(stoplists["en"]))))


def _useful(stem: str) -> bool:
    """A stem that can say what a paper is about (not a number, a fragment, a stop word or a word of the genre)."""
    from .index import GENRE_STEMS

    return len(stem) >= 3 and stem.isalpha() and stem not in GENRE_STEMS and stem not in _stop_stems()


def _paper_terms(cache: _Cache, library: Library, ids: Sequence[str]) -> None:
    """Analyse the papers not analysed yet: their stems (title words twice) and the words behind them."""
    from .index import index_terms

    missing = [pid for pid in ids if pid not in cache.counts]
    if not missing:
        return
    for paper in library.store.get_many(missing).values():
        counts: Counter[str] = Counter()
        for text, times in ((paper.title, 2), (paper.abstract, 1)):
            for stem, word in index_terms(text):
                if _useful(stem):
                    counts[stem] += times
                    cache.surface_counts.setdefault(stem, Counter())[word] += 1
        cache.counts[paper.id] = counts


def _vector(counts: Counter[str], df: dict[str, int], total: int) -> dict[str, float]:
    """A paper's tf-idf vector (log tf, idf), normalised to length 1."""
    vector = {
        stem: (1.0 + math.log(tf)) * math.log((total + 1) / (df.get(stem, 0) + 1))
        for stem, tf in counts.items()
    }
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {stem: v / norm for stem, v in vector.items()}


def build_profile(
    counts: dict[str, Counter[str]],
    signals: InterestSignals,
    df: dict[str, int],
    total: int,
    surfaces: dict[str, Counter[str]],
    *,
    terms: int = PROFILE_TERMS,
    opened_weight: float = OPENED_WEIGHT,
    passed_weight: float = PASSED_WEIGHT,
) -> Profile:
    """The Rocchio profile of these signals: mean kept + some of the opened − some of the passed.

    ``counts`` maps each signal paper to its stem counts, ``df`` each stem to
    the papers holding it (of ``total``).  Pure: the benchmark calls it with
    other weights to choose them.
    """
    profile: Counter[str] = Counter()
    for group, weight in ((signals.kept, 1.0), (signals.opened, opened_weight), (signals.passed, -passed_weight)):
        present = [pid for pid in group if pid in counts]
        if not present or not weight:
            continue
        share = weight / len(present)
        for pid in present:
            for stem, value in _vector(counts[pid], df, total).items():
                profile[stem] += share * value
    best = sorted(((w, s) for s, w in profile.items() if w > 0), reverse=True)[:terms]
    weights = {stem: weight for weight, stem in best}
    shown = {
        stem: max(surfaces[stem].items(), key=lambda item: (item[1], -len(item[0])))[0] if surfaces.get(stem) else stem
        for stem in weights
    }
    kept_ids = [pid for pid in signals.kept if pid in counts]
    kept_terms = [frozenset(s for s in counts[pid] if s in weights) for pid in kept_ids]
    return Profile(weights, shown, kept_terms, kept_ids)


def _refresh(cache: _Cache, rev: int) -> None:
    """Forget what was read at another store revision (a re-import, a tag or a note changed texts)."""
    if rev != cache.rev:
        cache.counts.clear()
        cache.surface_counts.clear()
        cache.df.clear()
        cache.total = 0
        cache.signals = cache.profile = None
        cache.rev = rev


def _learn(cache: _Cache, library: Library, signals: InterestSignals, **weights: float) -> Profile | None:
    """The profile of ``signals`` (the cache's lock held): papers analysed once, frequencies read once."""
    every = [*signals.kept, *signals.opened, *signals.passed]
    _paper_terms(cache, library, every)
    stems = {stem for pid in every for stem in cache.counts.get(pid, ())}
    unknown = [stem for stem in stems if stem not in cache.df]
    if unknown or not cache.total:
        cache.total, found = library.index().document_frequencies(unknown)
        cache.df.update(found)
    profile = build_profile(cache.counts, signals, cache.df, cache.total, cache.surface_counts, **weights)  # type: ignore[arg-type]
    return profile if profile.weights else None


def learn(library: Library, signals: InterestSignals, **weights: float) -> Profile | None:
    """A profile learnt from given signals, whatever the store holds (the benchmark's simulated users).

    ``weights`` are :func:`build_profile`'s ``terms``, ``opened_weight`` and ``passed_weight``.
    """
    cache = _cache(library)
    with cache.lock:
        _refresh(cache, library.store.rev)
        return _learn(cache, library, signals, **weights)


def _profile(library: Library) -> tuple[Profile | None, int]:
    """The library's current profile (None below the threshold) and how many papers are kept."""
    cache = _cache(library)
    store = library.store
    with cache.lock:
        _refresh(cache, store.rev)
        signals = store.interest_signals()
        if signals == cache.signals:
            return cache.profile, len(signals.kept)
        profile = _learn(cache, library, signals) if len(signals.kept) >= THRESHOLD else None
        cache.signals, cache.profile = signals, profile
        return profile, len(signals.kept)


def learns_from(field: str) -> bool:
    """Whether a journalled change of ``field`` changes what the model learns from (what is kept, or a text).

    The journal records every change of state, the reader's and a command's,
    undone, redone or synced; the reader asks this of each write to know when
    the list sorted "for you" must be ranked again.
    """
    return field in (BOOKMARKED, NOTE, PAPER) or field.startswith(TAG)


def status(library: Library) -> Status:
    """How many papers are kept, and how many more "for you" needs before it ranks."""
    kept = len(library.store.interest_signals().kept)
    return Status(kept, max(0, THRESHOLD - kept))


class _Reasons(Mapping[str, list[str]]):
    """Each paper's top terms as words, made when asked: a list of 100,000 papers asks for a screenful."""

    def __init__(self, columns: dict[str, int], top: np.ndarray, words: list[str]) -> None:
        self._columns, self._top, self._words = columns, top, words

    def stems(self, paper_id: str) -> list[int]:
        """The profile terms (their numbers) behind a paper's score, strongest first."""
        return [int(term) for term in self._top[self._columns[paper_id]] if term >= 0]

    def __getitem__(self, paper_id: str) -> list[str]:
        return [self._words[term] for term in self.stems(paper_id)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


class _Likeness(Mapping[str, int]):
    """How many kept papers hold most of a paper's top terms ("like 4 papers you kept"), counted when asked."""

    def __init__(self, reasons: _Reasons, profile: Profile, stems: list[str]) -> None:
        self._reasons = reasons
        number = {stem: n for n, stem in enumerate(stems)}
        self._kept = [(pid, {number[s] for s in terms}) for pid, terms in zip(profile.kept_ids, profile.kept_terms)]

    def __getitem__(self, paper_id: str) -> int:
        terms = self._reasons.stems(paper_id)
        need = min(2, len(terms))
        if not need:
            return 0
        # A kept paper is like the others, not like itself.
        return sum(1 for pid, held in self._kept if pid != paper_id and len(held.intersection(terms)) >= need)

    def __iter__(self) -> Iterator[str]:
        return iter(self._reasons)

    def __len__(self) -> int:
        return len(self._reasons)


def score_with(library: Library, profile: Profile, ids: Sequence[str]) -> Scores:
    """Score ``ids`` against a profile: the weighted BM25F of its terms, and the terms behind each score.

    The scores are summed at once; the words behind each (its top
    :data:`BECAUSE_TERMS` terms) are found for all papers with three passes
    of ``argmax`` and turned into words only for the papers asked about.
    """
    stems = list(profile.weights)
    ids = list(ids)
    weights = np.array([profile.weights[s] for s in stems], dtype=np.float64)
    # papers x terms, each term's share of each paper's score
    parts = np.ascontiguousarray((library.index().term_matrix(stems, ids, FIELDS) * weights[:, None]).T)
    totals = parts.sum(axis=1) if stems else np.zeros(len(ids))
    columns = {pid: n for n, pid in enumerate(ids)}
    kept_here = _only_shared_terms(parts, columns, profile, stems)
    count = min(BECAUSE_TERMS, len(stems))
    top = np.full((len(ids), count), -1, dtype=np.int64)
    if len(ids) and count:
        rows = np.arange(len(ids))
        for rank in range(count):
            best = parts.argmax(axis=1)
            found = parts[rows, best] > 0
            top[found, rank] = best[found]
            parts[rows, best] = 0.0  # the next pass finds the next strongest
    reasons = _Reasons(columns, top, [profile.surfaces[stem] for stem in stems])
    return Scores(dict(zip(ids, totals.tolist())), reasons, _Likeness(reasons, profile, stems), profile.kept, kept_here)


def _only_shared_terms(parts: np.ndarray, columns: dict[str, int], profile: Profile, stems: list[str]) -> frozenset[str]:
    """Leave a kept paper's row of ``parts`` only the terms another kept paper holds; return the kept papers scored.

    A kept paper's strongest terms are its own rarest words (it is in the
    profile): named as its reasons, they made a kept paper "like" itself.
    Its score stays whole (``parts`` is summed before); only the words named change.
    """
    number = {stem: n for n, stem in enumerate(stems)}
    holders = np.zeros(len(stems), dtype=np.int64)  # how many kept papers hold each term
    held = [(pid, np.fromiter((number[s] for s in terms), dtype=np.int64)) for pid, terms in zip(profile.kept_ids, profile.kept_terms)]
    for _pid, terms in held:
        holders[terms] += 1
    scored: set[str] = set()
    for pid, terms in held:
        row = columns.get(pid)
        if row is None:
            continue
        scored.add(pid)
        others = holders.copy()
        others[terms] -= 1
        parts[row, others <= 0] = 0.0
    return frozenset(scored)


def score_papers(library: Library, ids: Sequence[str]) -> Scores | None:
    """Each paper's interest and the terms behind it; None while there is no model yet (see :func:`status`).

    The model is rebuilt only when the signals changed (a bookmark, a tag, a
    paper opened), from term counts kept between calls, so a bookmark is
    reflected at the next call in well under a second.
    """
    profile, _kept = _profile(library)
    if profile is None:
        return None
    return score_with(library, profile, ids)


def rank(library: Library, ids: Sequence[str]) -> tuple[list[str], Scores | None]:
    """``ids`` best first: by interest when there is a model (ties keep the given order), else as the store orders upvotes.

    The upvote order is the store's own (one query, newest digest first on
    ties), not a row read per paper: a list of 100,000 would take half a second.
    """
    scores = score_papers(library, ids)
    if scores is not None:
        value = scores.score
        return sorted(ids, key=lambda pid: -value.get(pid, 0.0)), scores
    wanted = set(ids)
    return [pid for pid in library.store.ids("all", order="upvotes") if pid in wanted], None
