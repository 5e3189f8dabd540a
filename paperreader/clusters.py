"""One day's papers in a handful of topic clusters: "diffusion · video · editing (9)".

A digest of 50-150 papers is easier to triage by topic than paper by paper:
a whole cluster can be marked read, bookmarked or tagged at once.  The papers
are cut into terms by the search index's own analyzer (so a cluster's words
are the stems the filter finds) without the words of the genre ("propose",
"results"); each paper is a TF-IDF vector over the terms that at least two of
the day's papers share (a word only one paper uses cannot bring two papers
together); the vectors are grouped by spherical k-means started from the
densest, most distinct papers (no random seed: the same day always gives the
same clusters).  A paper close to no cluster's centre, and a cluster too small
to be a topic, go to "other".

Pure: it reads the store (and no index), imports no Textual; numpy does the
arithmetic (150 papers take a few tens of milliseconds, mostly the analyzer).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .index import _ANALYZER, _GENRE_STEMS

if TYPE_CHECKING:
    from .store import Store

__all__ = ["Cluster", "DayText", "cluster_papers", "day_clusters", "coherence", "key_terms_of", "OTHER"]

#: The label of the group of papers that fit no cluster.
OTHER = "other"
#: At most this many clusters a day: a handful to choose from, not a second list.
MAX_CLUSTERS = 8
#: A cluster needs this many papers to be a topic; smaller ones go to "other".
MIN_SIZE = 3
#: A paper whose cosine to its cluster's centre is below this fits nowhere.
MIN_FIT = 0.12
#: Words per cluster label.
LABEL_TERMS = 3
#: A title word counts this many times an abstract word: titles say what a paper is about.
TITLE_WEIGHT = 3
#: Key terms per paper for :func:`coherence` (its most weighty terms).
KEY_TERMS = 10


@dataclass(frozen=True, slots=True)
class DayText:
    """What the clustering reads of a paper: its id, title and abstract."""

    id: str
    title: str
    abstract: str


@dataclass(frozen=True, slots=True)
class Cluster:
    """A topic of the day: its top words and its papers (ids, the closest to its centre first)."""

    terms: tuple[str, ...]
    ids: tuple[str, ...]
    other: bool = False

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def label(self) -> str:
        """ "diffusion · video · editing", or "other" for the papers that fit nowhere."""
        return OTHER if self.other or not self.terms else " · ".join(self.terms)

    def describe(self) -> str:
        """ "diffusion · video · editing (9)": the label with the size, as lists and journal lines show it."""
        return f"{self.label} ({self.size:,})"

    def to_json(self) -> dict[str, object]:
        return {"label": self.label, "terms": list(self.terms), "size": self.size, "ids": list(self.ids), "other": self.other}


@dataclass(slots=True)
class _Terms:
    """The day's papers as term counts, with each stem's most used surface word."""

    counts: list[dict[str, float]]
    surfaces: dict[str, dict[str, int]]


def _terms(papers: Sequence[DayText]) -> _Terms:
    """Stems per paper (title words weighted up), without the genre's words, numbers and fragments."""
    counts: list[dict[str, float]] = []
    surfaces: dict[str, dict[str, int]] = {}
    for paper in papers:
        found: dict[str, float] = {}
        for weight, text in ((float(TITLE_WEIGHT), paper.title), (1.0, paper.abstract)):
            for token in _ANALYZER(text, chars=True):
                stem = token.text
                if len(stem) < 3 or not stem.isalpha() or stem in _GENRE_STEMS:
                    continue
                found[stem] = found.get(stem, 0.0) + weight
                forms = surfaces.setdefault(stem, {})
                word = text[token.startchar : token.endchar].lower()
                forms[word] = forms.get(word, 0) + 1
        counts.append(found)
    return _Terms(counts, surfaces)


def _surface(terms: _Terms, stem: str) -> str:
    """The word the papers use most for a stem ("diffus" -> "diffusion"), which the filter also finds."""
    forms = terms.surfaces.get(stem)
    if not forms:
        return stem
    return max(forms.items(), key=lambda item: (item[1], -len(item[0]), item[0]))[0]


def _matrix(terms: _Terms) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Rows: the papers' unit TF-IDF vectors over the terms two or more of them share; also the vocabulary and its document counts."""
    n = len(terms.counts)
    df: dict[str, int] = {}
    for found in terms.counts:
        for stem in found:
            df[stem] = df.get(stem, 0) + 1
    # Shared by at least two papers, and not by most of them (that is the day's genre, not a topic).
    vocabulary = sorted(stem for stem, count in df.items() if count >= 2 and count <= max(2, n // 2))
    column = {stem: j for j, stem in enumerate(vocabulary)}
    matrix = np.zeros((n, len(vocabulary)), dtype=np.float64)
    for i, found in enumerate(terms.counts):
        for stem, count in found.items():
            j = column.get(stem)
            if j is not None:
                matrix[i, j] = (1.0 + math.log(count)) * math.log((n + 1) / df[stem])
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    counts = np.array([df[stem] for stem in vocabulary], dtype=np.float64)
    return matrix / norms[:, None], vocabulary, counts


def _seeds(matrix: np.ndarray, k: int) -> list[int]:
    """Starting centres: the densest paper, then each time the dense paper least like the seeds so far.

    A deterministic k-means++: no random start, so a day always clusters the same way.
    """
    similarity = matrix @ matrix.T
    density = similarity.sum(axis=1)
    seeds = [int(np.argmax(density))]
    closest = similarity[seeds[0]].copy()
    while len(seeds) < k:
        score = density * np.clip(1.0 - closest, 0.0, None) ** 2
        score[seeds] = -1.0
        best = int(np.argmax(score))
        if score[best] <= 0:
            break
        seeds.append(best)
        closest = np.maximum(closest, similarity[best])
    return seeds


def _kmeans(matrix: np.ndarray, k: int, rounds: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means (cosine): each paper's cluster and its cosine to that cluster's centre."""
    centres = matrix[_seeds(matrix, k)].copy()
    assigned = np.full(matrix.shape[0], -1)
    fit = np.zeros(matrix.shape[0])
    for _ in range(rounds):
        scores = matrix @ centres.T
        new = np.argmax(scores, axis=1)
        fit = scores[np.arange(matrix.shape[0]), new]
        if np.array_equal(new, assigned):
            break
        assigned = new
        for c in range(centres.shape[0]):
            members = matrix[assigned == c]
            if len(members):
                centre = members.sum(axis=0)
                norm = np.linalg.norm(centre)
                centres[c] = centre / norm if norm else centre
    return assigned, fit


def _cluster_count(n: int) -> int:
    """A handful: about one cluster per 15 papers, 2 to :data:`MAX_CLUSTERS`."""
    return max(2, min(MAX_CLUSTERS, round(n / 15)))


def cluster_papers(papers: Sequence[DayText], *, clusters: int | None = None) -> list[Cluster]:
    """Group one day's papers into topic clusters, biggest first, then "other" (if any papers fit nowhere).

    Deterministic: the papers are taken in id order, whatever order they come in.
    ``clusters`` overrides how many are tried (some may end in "other").
    """
    papers = sorted(papers, key=lambda p: p.id)
    if not papers:
        return []
    terms = _terms(papers)
    matrix, vocabulary, df = _matrix(terms)
    n = len(papers)
    if n < 2 * MIN_SIZE or not vocabulary:
        return [Cluster((), tuple(p.id for p in papers), other=True)]
    k = clusters or _cluster_count(n)
    assigned, fit = _kmeans(matrix, k)
    found: list[Cluster] = []
    leftover: list[int] = [i for i in range(n) if fit[i] < MIN_FIT or not matrix[i].any()]
    for c in sorted(set(int(a) for a in assigned)):
        members = [i for i in range(n) if assigned[i] == c and fit[i] >= MIN_FIT and matrix[i].any()]
        if len(members) < MIN_SIZE:
            leftover += members
            continue
        members.sort(key=lambda i: (-fit[i], papers[i].id))
        found.append(Cluster(_label(terms, matrix, vocabulary, members), tuple(papers[i].id for i in members)))
    found.sort(key=lambda cluster: (-cluster.size, cluster.label))
    if leftover:
        found.append(Cluster((), tuple(papers[i].id for i in sorted(set(leftover), key=lambda i: papers[i].id)), other=True))
    return found


def _label(terms: _Terms, matrix: np.ndarray, vocabulary: list[str], members: list[int]) -> tuple[str, ...]:
    """A cluster's top words: frequent in it and rarer in the rest of the day.

    Each term is scored by the share of the cluster's papers that use it minus
    the share of the other papers that do, times its mean weight in the
    cluster; the best :data:`LABEL_TERMS`, shown as the papers write them.
    """
    inside = matrix[members] > 0
    mask = np.ones(matrix.shape[0], dtype=bool)
    mask[members] = False
    outside = matrix[mask] > 0
    share_in = inside.mean(axis=0)
    share_out = outside.mean(axis=0) if outside.shape[0] else np.zeros(matrix.shape[1])
    score = (share_in - share_out) * matrix[members].mean(axis=0)
    order = sorted(range(len(vocabulary)), key=lambda j: (-score[j], vocabulary[j]))
    words: list[str] = []
    for j in order:
        if score[j] <= 0 or len(words) == LABEL_TERMS:
            break
        word = _surface(terms, vocabulary[j])
        if word not in words:
            words.append(word)
    return tuple(words)


def day_texts(store: Store, day: dt.date, *, unread_only: bool = False) -> list[DayText]:
    """The papers of one digest as the clustering reads them."""
    ids = store.ids("unread" if unread_only else "all", digest=day)
    found = store.get_many(ids)
    return [DayText(pid, found[pid].title, found[pid].abstract) for pid in ids if pid in found]


def day_clusters(store: Store, day: dt.date) -> list[Cluster]:
    """The topic clusters of one digest day (all its papers, read or not, so they stay put while triaging)."""
    return cluster_papers(day_texts(store, day))


def key_terms_of(papers: Sequence[DayText]) -> dict[str, frozenset[str]]:
    """Each paper's :data:`KEY_TERMS` weightiest terms (TF-IDF within the day): what coherence compares."""
    papers = sorted(papers, key=lambda p: p.id)
    terms = _terms(papers)
    matrix, vocabulary, _df = _matrix(terms)
    keys: dict[str, frozenset[str]] = {}
    for i, paper in enumerate(papers):
        row = matrix[i]
        top = [j for j in np.argsort(-row, kind="stable")[:KEY_TERMS] if row[j] > 0]
        keys[paper.id] = frozenset(vocabulary[j] for j in top)
    return keys


def coherence(papers: Sequence[DayText], clusters: Sequence[Cluster]) -> tuple[float, float, float]:
    """How much more papers of one cluster share key terms than papers of different ones.

    Returns (within, between, ratio): the mean number of key terms shared by
    two papers of the same (real) cluster, by two papers of different
    clusters or one in "other", and within / between (above 1: the clusters
    hold together).  The measure of the benchmark and the tests.
    """
    keys = key_terms_of(papers)
    group: dict[str, int] = {}
    for number, cluster in enumerate(clusters):
        for pid in cluster.ids:
            group[pid] = -1 - number if cluster.other else number  # each "other" paper is alone
    ids = sorted(keys)
    within: list[int] = []
    between: list[int] = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            shared = len(keys[ids[a]] & keys[ids[b]])
            ga, gb = group.get(ids[a], -10**6 - a), group.get(ids[b], -10**6 - b)
            (within if ga == gb and ga >= 0 else between).append(shared)
    mean_in = sum(within) / len(within) if within else 0.0
    mean_out = sum(between) / len(between) if between else 0.0
    return mean_in, mean_out, (mean_in / mean_out if mean_out else math.inf if mean_in else 0.0)
