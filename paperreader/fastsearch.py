"""Whoosh's BM25F ranking computed term at a time, over arrays.

Whoosh stays the engine: its index, analysis, query parser, posting lists and
scoring statistics are used as they are.  What changes is how a query is run.
Whoosh walks every matching document through a tree of Python matcher objects
(``model`` matches 93% of the papers: ~100,000 steps, 0.3-0.7 s at 100,000
papers).  Here each term's posting list is read from Whoosh's posting blocks
in bulk, once, and kept decoded (a small LRU); a query is then a few numpy
operations on arrays of one slot per document: the BM25F formula Whoosh uses
(``whoosh.scoring.bm25`` with its idf and average field lengths), AND/OR/NOT
as boolean masks, a view as a mask, and the top N by ``argpartition``.  The
answer is exactly Whoosh's own ranking (tests compare the two), and the count
comes for free.

Query parts this module does not evaluate (ranges, sorting by a field, phrase
slop, ...) raise :class:`Unsupported`, and :mod:`paperreader.index` runs
Whoosh's own search for them.  Everything here is Whoosh-specific, which is
why it sits beside ``index.py`` (the two modules are the only ones that
import Whoosh).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.util.numeric import byte_to_length

__all__ = ["ArrayEngine", "Cancelled", "Unsupported", "Ranked"]

#: Decoded posting lists kept in memory, in postings (ids + weights: 12 bytes each).
_CACHE_POSTINGS = 12_000_000
#: BM25F's free parameters, as Whoosh's default ``BM25F()`` has them.
_B, _K1 = 0.75, 1.2


class Unsupported(Exception):
    """A query part the arrays do not evaluate; Whoosh's own search runs the query."""


class Cancelled(Exception):
    """A newer query made this one pointless (its cancel event was set)."""


@dataclass(slots=True)
class Ranked:
    """The answer: docnums best first (at most ``limit``), their scores, and how many matched."""

    docnums: list[int]
    scores: list[float]
    total: int


@dataclass(slots=True)
class _Postings:
    docnums: np.ndarray  # int64, ascending, global docnums (deleted ones included)
    weights: np.ndarray  # float64 term frequencies
    values: list[bytes] | None = None  # positions (encoded), only when a phrase needed them


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class ArrayEngine:
    """Runs queries over one Whoosh searcher (one generation of the index).

    Thread-safe.  Built when the searcher is (a few ms: the live-document mask);
    field lengths and posting lists are read on first use and kept.
    """

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self._leaves: list[tuple[Any, int]] = list(reader.leaf_readers())
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, base in self._leaves:
            if leaf.has_deletions():
                deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                self.live[deleted + base] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._postings: OrderedDict[tuple[str, bytes], _Postings] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    # -- reading Whoosh's data in bulk ---------------------------------------

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length in ``fieldname`` as BM25F sees it (Whoosh's one-byte lengths)."""
        found = self._lengths.get(fieldname)
        if found is None:
            parts = []
            for leaf, _base in self._leaves:
                count = leaf.doc_count_all()
                # Whoosh keeps lengths in a hidden per-segment column, one byte each.
                column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                if column is None:
                    raw = np.zeros(count, dtype=np.uint8)
                elif hasattr(column, "_dbfile") and getattr(column, "_fixedlen", None) == 1:
                    # One read of the column's bytes (iterating it costs ~3 us a document).
                    stored = min(column._count, count)
                    raw = np.zeros(count, dtype=np.uint8)
                    raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
                else:
                    raw = np.fromiter(column, dtype=np.uint8, count=count)
                parts.append(raw)
            codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint8)
            # Whoosh reads a zero byte as "no length" and scores with 1.
            found = np.where(codes == 0, 1.0, _BYTE_TO_LENGTH[codes])
            self._lengths[fieldname] = found
        return found

    def postings(
        self, fieldname: str, btext: bytes, *, positions: bool = False, cancel: threading.Event | None = None
    ) -> _Postings:
        """One term's posting list over the whole index, decoded block by block (and kept)."""
        key = (fieldname, btext)
        with self._lock:
            found = self._postings.get(key)
            if found is not None and (found.values is not None or not positions):
                self._postings.move_to_end(key)
                return found
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        values: list[bytes] | None = [] if positions else None
        for leaf, base in self._leaves:
            if (fieldname, btext) not in leaf:
                continue
            matcher = leaf._terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
            if isinstance(matcher, W3LeafMatcher):
                while matcher.is_active():
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    matcher._read_ids()
                    matcher._read_weights()
                    ids.append(np.asarray(matcher._ids, dtype=np.int64) + base)
                    weights.append(np.asarray(matcher._weights, dtype=np.float64))
                    if values is not None:
                        matcher._read_values()
                        values.extend(matcher._values)
                    matcher._next_block()
            else:  # a short list Whoosh keeps inline in the term's entry
                block_ids, block_weights = [], []
                while matcher.is_active():
                    block_ids.append(matcher.id())
                    block_weights.append(matcher.weight())
                    if values is not None:
                        values.append(matcher.value())
                    matcher.next()
                ids.append(np.asarray(block_ids, dtype=np.int64) + base)
                weights.append(np.asarray(block_weights, dtype=np.float64))
        found = _Postings(
            np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
            np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64),
            values,
        )
        with self._lock:
            previous = self._postings.pop(key, None)
            if previous is not None:
                self._cached -= len(previous.docnums)
            self._postings[key] = found
            self._cached += len(found.docnums)
            while self._cached > _CACHE_POSTINGS and len(self._postings) > 1:
                _key, dropped = self._postings.popitem(last=False)
                self._cached -= len(dropped.docnums)
        return found

    def cached_terms(self) -> int:
        """How many posting lists are held decoded (for tests and the benchmark)."""
        return len(self._postings)

    # -- evaluating a parsed query ---------------------------------------------

    def run(
        self,
        query: wq.Query,
        *,
        allowed: np.ndarray | None = None,
        limit: int | None = 1000,
        cancel: threading.Event | None = None,
    ) -> Ranked:
        """The top ``limit`` documents for ``query`` (all, if None), restricted to the ``allowed`` mask.

        Raises :class:`Unsupported` for a query Whoosh must run itself and
        :class:`Cancelled` when ``cancel`` is set before it is done.
        """
        mask, scores = self._node(query, cancel)
        mask = mask & self.live
        if allowed is not None:
            mask &= allowed
        matched = np.flatnonzero(mask)
        total = len(matched)
        if cancel is not None and cancel.is_set():
            raise Cancelled
        top = matched
        if limit is not None and total > limit:
            # The limit-th best score, found without sorting them all; of the
            # papers tied with it, the lowest docnums stay (as in Whoosh).
            found = scores[matched]
            threshold = -np.partition(-found, limit - 1)[limit - 1]
            better = matched[found > threshold]
            tied = matched[found == threshold]
            top = np.concatenate((better, tied[: limit - len(better)]))
        # Best first; equal scores in docnum order, as Whoosh's collector has them.
        order = np.lexsort((top, -scores[top]))
        top = top[order]
        return Ranked(top.tolist(), scores[top].tolist(), total)

    def _node(self, node: wq.Query, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """(mask of matching documents, their scores; 0 elsewhere) for one query node."""
        if cancel is not None and cancel.is_set():
            raise Cancelled
        kind = type(node)
        if isinstance(node, wq.NullQuery.__class__) or node is wq.NullQuery:
            return self._nothing()
        if kind is wq.Term:
            return self._term(node.fieldname, node.text, node.boost, cancel)
        if isinstance(node, wq.MultiTerm) and not isinstance(node, wq.Term):
            return self._multi_term(node, cancel)
        if kind is wq.Phrase:
            return self._phrase(node, cancel)
        if kind is wq.And:
            return self._and(node.subqueries, node.boost, cancel)
        if kind is wq.Or:
            if getattr(node, "scale", None) or getattr(node, "minmatch", 0):
                raise Unsupported("Or with coordination")
            return self._or([self._node(child, cancel) for child in node.subqueries], node.boost)
        if kind is wq.Not:
            # Whoosh's InverseMatcher: every live paper the child misses, each
            # scoring 1.0 (so "a AND NOT b" scores a's score + 1, as in Whoosh).
            child_mask, _ = self._node(node.query, cancel)
            mask = ~child_mask & self.live
            return mask, mask.astype(np.float64)
        if kind is wq.AndNot:
            mask, scores = self._node(node.a, cancel)
            excluded, _ = self._node(node.b, cancel)
            mask = mask & ~excluded
            return mask, np.where(mask, scores, 0.0) * (node.boost if node.boost != 1.0 else 1.0)
        raise Unsupported(kind.__name__)

    def _nothing(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64)

    def _term_scores(
        self, fieldname: str, text: Any, boost: float, cancel: threading.Event | None, *, positions: bool = False
    ) -> tuple[_Postings, np.ndarray] | None:
        """A term's postings and each posting's BM25F score (None if the index does not have it)."""
        searcher = self.searcher
        schema = searcher.schema
        if fieldname not in schema:
            return None
        field = schema[fieldname]
        if not field.scorable:
            raise Unsupported(f"unscored field {fieldname}")
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return None
        if (fieldname, btext) not in searcher.reader():
            return None
        postings = self.postings(fieldname, btext, positions=positions, cancel=cancel)
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        lengths = self.lengths(fieldname)[postings.docnums]
        tf = postings.weights
        scores = idf * ((tf * (_K1 + 1)) / (tf + _K1 * ((1 - _B) + _B * lengths / avgfl)))
        if boost != 1.0:
            scores = scores * boost
        return postings, scores

    def _term(self, fieldname: str, text: Any, boost: float, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        mask, dense = self._nothing()
        found = self._term_scores(fieldname, text, boost, cancel)
        if found is not None:
            postings, scores = found
            mask[postings.docnums] = True
            dense[postings.docnums] = scores
        return mask, dense

    def _multi_term(self, node: wq.MultiTerm, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """A prefix, wildcard or fuzzy term: the OR of the words it expands to, each scored by BM25F."""
        words = [word for word in node._btexts(self.searcher.reader()) if word]
        if not words:
            return self._nothing()
        fieldname = node.field()
        return self._or([self._term(fieldname, word, node.boost, cancel) for word in words], 1.0)

    @staticmethod
    def _or(parts: Sequence[tuple[np.ndarray, np.ndarray]], boost: float) -> tuple[np.ndarray, np.ndarray]:
        if not parts:
            raise Unsupported("empty Or")
        mask = parts[0][0].copy()
        scores = parts[0][1].copy()
        for part_mask, part_scores in parts[1:]:
            mask |= part_mask
            scores += part_scores
        if boost != 1.0:
            scores *= boost
        return mask, scores

    def _and(self, children: Sequence[wq.Query], boost: float, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        if not children:
            raise Unsupported("empty And")
        mask, scores = self._node(children[0], cancel)
        mask, scores = mask.copy(), scores.copy()
        for child in children[1:]:
            child_mask, child_scores = self._node(child, cancel)
            mask &= child_mask
            scores += child_scores
        scores = np.where(mask, scores, 0.0)
        if boost != 1.0:
            scores *= boost
        return mask, scores

    def _phrase(self, node: wq.Phrase, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """Papers with the words next to each other, in order; scored as the sum of the words' scores.

        That is what Whoosh's phrase matcher scores (an intersection of the
        terms, kept where their positions line up).  Positions are decoded
        only for the papers that have every word.
        """
        if node.slop != 1 or not node.words:
            raise Unsupported("phrase with slop")
        fieldname = node.fieldname
        parts: list[tuple[_Postings, np.ndarray]] = []
        for word in node.words:
            found = self._term_scores(fieldname, word, 1.0, cancel, positions=True)
            if found is None:
                return self._nothing()
            parts.append(found)
        candidates = parts[0][0].docnums
        for postings, _ in parts[1:]:
            candidates = np.intersect1d(candidates, postings.docnums, assume_unique=True)
        candidates = candidates[self.live[candidates]]
        fmt = self.searcher.schema[fieldname].format
        rows = [np.searchsorted(postings.docnums, candidates) for postings, _ in parts]
        keep = np.zeros(len(candidates), dtype=bool)
        decode = fmt.decode_positions
        for index in range(len(candidates)):
            if index % 2048 == 0 and cancel is not None and cancel.is_set():
                raise Cancelled
            first = decode(parts[0][0].values[rows[0][index]])  # type: ignore[index]
            starts = set(first)
            for offset, (postings, _) in enumerate(parts[1:], 1):
                places = decode(postings.values[rows[offset][index]])  # type: ignore[index]
                starts &= {place - offset for place in places}
                if not starts:
                    break
            keep[index] = bool(starts)
        matched = candidates[keep]
        mask, dense = self._nothing()
        mask[matched] = True
        for (postings, scores), row in zip(parts, rows):
            dense[matched] += scores[row[keep]]
        if node.boost != 1.0:
            dense *= node.boost
        return mask, dense


def allowed_mask(size: int, docnums: Callable[[], Sequence[int]]) -> np.ndarray:
    """A view's documents as a mask over the index (``docnums`` gives their numbers)."""
    mask = np.zeros(size, dtype=bool)
    numbers = np.fromiter(docnums(), dtype=np.int64)
    if len(numbers):
        mask[numbers] = True
    return mask
