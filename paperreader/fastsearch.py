"""Whoosh's BM25F ranking computed term at a time, over arrays.

Whoosh stays the engine: its index, analysis, query parser, posting lists and
scoring statistics are used as they are.  What changes is how a query is run.
Whoosh walks every matching document through a tree of Python matcher objects
(``model`` matches 93% of the papers: ~100,000 steps, 0.3-0.7 s at 100,000
papers).  Here each term's posting list is read from Whoosh's posting blocks
in bulk, once, and kept decoded (an LRU in memory, and for frequent terms
side files written beside each segment with the index); a query is then a few numpy
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

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from pickle import loads
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.util.numeric import byte_to_length

__all__ = ["ArrayEngine", "Cancelled", "Unsupported", "Ranked", "segment_ids", "write_sidecars"]

#: Decoded posting lists kept in memory, in postings (8 bytes each; a position 8 more).
_CACHE_POSTINGS = 8_000_000
#: BM25F's free parameters, as Whoosh's default ``BM25F()`` has them.
_B, _K1 = 0.75, 1.2
#: Terms with at least this many postings in a segment are kept decoded on disk
#: beside it: reading them from Whoosh's blocks costs ~0.8 us a posting (a
#: word in every abstract of a 100,000-paper library: ~0.1 s, on every start).
_DISK_FROM = 4_000
#: The fields whose lengths and frequent terms the side files hold.
_SIDE_FIELDS = ("title", "abstract", "note", "tag")
#: Bumped when the side files' layout changes (older ones are rewritten).
_SIDE_VERSION = 2


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
    #: False when ``total`` is an estimate (phrases checked only as far as the top needed).
    exact: bool = True


class _LazyPhrases:
    """Phrases checked one paper at a time, for the papers that may make the top N.

    ``candidates`` (every word present) is the optimistic answer of a phrase;
    ``checked`` are the papers whose positions were looked at, ``holds``
    those where the phrase stands.  A paper's score is exact once checked
    (a phrase that holds scores exactly its words' scores).
    """

    def __init__(self, size: int) -> None:
        self.checked = np.zeros(size, dtype=bool)
        self.holds: dict[int, np.ndarray] = {}  # id(phrase node) -> mask
        self.candidates = np.zeros(size, dtype=bool)  # of any phrase
        self.node_candidates: dict[int, np.ndarray] = {}  # id(phrase node) -> its own candidates
        self.nodes: list[wq.Phrase] = []


@dataclass(slots=True)
class _Postings:
    docnums: np.ndarray  # int32, ascending, global docnums (deleted ones included)
    weights: np.ndarray  # float32 term frequencies (whole numbers)
    #: Every position of the term, as docnum << 24 | position, ascending (only when a phrase needed them).
    positions: np.ndarray | None = None


_POSITION_BITS = 24


def _position_keys(docnums: np.ndarray, values: list[bytes]) -> np.ndarray:
    """Whoosh's encoded positions (one value per posting) as sorted docnum << 24 | position keys."""
    places, counts = _flat_positions(values)
    return _keys(docnums, places, counts)


def _keys(docnums: np.ndarray, places: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Positions (all postings' in a row, ``counts`` each) as docnum << 24 | position keys."""
    return (np.repeat(docnums.astype(np.int64), counts) << _POSITION_BITS) | places.astype(np.int64)


def _flat_positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Every posting's positions in a row, and how many each posting has.

    A value is a 4-byte count and a pickled list of position deltas
    (``whoosh.formats.Positions``); the deltas of all postings are summed at
    once with numpy instead of one Python loop per posting.
    """
    flat: list[int] = []
    counts = np.zeros(len(values), dtype=np.int64)
    for number, value in enumerate(values):
        if not value.endswith(b"."):
            value += b"."
        codes = loads(value[4:])
        flat.extend(codes)
        counts[number] = len(codes)
    if not flat:
        return np.zeros(0, dtype=np.int64), counts
    deltas = np.asarray(flat, dtype=np.int64)
    total = np.cumsum(deltas)
    first = np.cumsum(counts) - counts  # where each posting's deltas start
    present = counts > 0
    base = np.repeat(total[first[present]] - deltas[first[present]], counts[present])
    return total - base, counts


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _size(postings: _Postings) -> int:
    """What a cached posting list costs, in postings (a position counts as one)."""
    return len(postings.docnums) + (0 if postings.positions is None else len(postings.positions))


def _side_name(folder: Path, segment_id: str, part: str) -> Path:
    # Named like the segment's own files, so that Whoosh deletes them with it
    # when a merge retires the segment (its clean-up matches "<segment>.*").
    return folder / f"{segment_id}.prside_{part}"


class _Side:
    """One segment's side files: its frequent terms' postings, field lengths and ids, memory-mapped."""

    def __init__(self, folder: Path, segment_id: str, doc_count: int) -> None:
        meta = json.loads(_side_name(folder, segment_id, "meta.json").read_text("utf-8"))
        if meta.get("version") != _SIDE_VERSION or meta.get("doc_count_all") != doc_count:
            raise ValueError("stale side files")
        self.terms: dict[str, dict[str, tuple[int, int]]] = {
            field: {term: (start, end) for term, (start, end) in terms.items()} for field, terms in meta["terms"].items()
        }
        self.docnums = np.load(_side_name(folder, segment_id, "docnums.npy"), mmap_mode="r")
        self.weights = np.load(_side_name(folder, segment_id, "weights.npy"), mmap_mode="r")
        self.lengths = np.load(_side_name(folder, segment_id, "lengths.npy"), mmap_mode="r")
        self.fields: list[str] = meta["fields"]
        self.ids = np.load(_side_name(folder, segment_id, "ids.npy"), mmap_mode="r")
        #: Every position of the frequent terms, posting after posting (a posting has as many as its frequency).
        self.positions = (
            np.load(_side_name(folder, segment_id, "positions.npy"), mmap_mode="r") if meta.get("positions") else None
        )
        self.position_starts: dict[str, dict[str, int]] = meta.get("position_starts", {})


def _decode_leaf(leaf: Any, fieldname: str, btext: bytes, *, values: list[bytes] | None = None,
                 cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One segment's postings of a term, from Whoosh's blocks: (local docnums, weights)."""
    ids: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    matcher = leaf._terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if cancel is not None and cancel.is_set():
                raise Cancelled
            matcher._read_ids()
            matcher._read_weights()
            ids.append(np.asarray(matcher._ids, dtype=np.int64))
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
        ids.append(np.asarray(block_ids, dtype=np.int64))
        weights.append(np.asarray(block_weights, dtype=np.float64))
    return (
        np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
        np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64),
    )


def _leaf_lengths(leaf: Any, fieldname: str) -> np.ndarray:
    """One segment's length bytes of a field (Whoosh's hidden per-segment column)."""
    count = leaf.doc_count_all()
    column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    raw = np.zeros(count, dtype=np.uint8)
    if column is None:
        return raw
    if hasattr(column, "_dbfile") and getattr(column, "_fixedlen", None) == 1:
        # One read of the column's bytes (iterating it costs ~3 us a document).
        stored = min(column._count, count)
        raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
        return raw
    return np.fromiter(column, dtype=np.uint8, count=count)


def segment_ids(searcher: Any) -> list[str]:
    """The ids of the searcher's segments (for writing their side files in parallel)."""
    found = []
    for leaf, _base in searcher.reader().leaf_readers():
        segment = getattr(leaf, "segment", lambda: None)()
        if segment is not None:
            found.append(segment.segment_id())
    return found


def write_sidecars(folder: Path, searcher: Any, only: str | None = None) -> int:
    """Write the side files of every segment of ``folder`` that has none; returns how many were written.

    Derived data, like the index: the decoded postings of each frequent term
    (so no process decodes them again), each field's lengths and the paper
    ids.  Written after Whoosh commits, under the index lock; each file is
    renamed into place, the meta file last, so a reader sees all or nothing.
    """
    written = 0
    for leaf, _base in searcher.reader().leaf_readers():
        segment = getattr(leaf, "segment", lambda: None)()
        if segment is None:  # an empty index
            continue
        segment_id = segment.segment_id()
        if only is not None and segment_id != only:
            continue
        count = leaf.doc_count_all()
        try:
            _Side(folder, segment_id, count)
            continue
        except (OSError, ValueError, KeyError):
            pass
        docnums: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        positions: list[np.ndarray] = []
        terms: dict[str, dict[str, tuple[int, int]]] = {}
        position_starts: dict[str, dict[str, int]] = {}
        offset = position_offset = 0
        with_positions = True
        fields = [name for name in _SIDE_FIELDS if name in leaf.schema]
        for fieldname in fields:
            frequent = [btext for btext, info in leaf.iter_field(fieldname) if info.doc_frequency() >= _DISK_FROM]
            phrased = leaf.schema[fieldname].format.supports("positions")
            for btext in frequent:
                values: list[bytes] | None = [] if phrased else None
                ids, tfs = _decode_leaf(leaf, fieldname, btext, values=values)
                term = btext.decode("utf-8")
                docnums.append(ids.astype(np.int32))
                weights.append(tfs.astype(np.float32))
                terms.setdefault(fieldname, {})[term] = (offset, offset + len(ids))
                offset += len(ids)
                if values is not None:
                    # Positions too, so a phrase of common words is checked without Whoosh's blocks.
                    places, counts = _flat_positions(values)
                    with_positions = with_positions and np.array_equal(counts, tfs.astype(np.int64))
                    positions.append(places)
                    position_starts.setdefault(fieldname, {})[term] = position_offset
                    position_offset += len(places)
        lengths = np.stack([_leaf_lengths(leaf, name) for name in fields]) if fields else np.zeros((0, count), np.uint8)
        ids_column = list(leaf.column_reader("id", translate=False)) if "id" in leaf.schema else []
        arrays = {
            "docnums.npy": np.concatenate(docnums) if docnums else np.zeros(0, dtype=np.int32),
            "weights.npy": np.concatenate(weights) if weights else np.zeros(0, dtype=np.float32),
            "lengths.npy": lengths,
            "ids.npy": np.array(ids_column, dtype="S16") if ids_column else np.zeros(count, dtype="S16"),
        }
        flat = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
        with_positions = with_positions and (not len(flat) or int(flat.max()) < 2**32)
        if with_positions:
            arrays["positions.npy"] = flat.astype(np.uint16 if not len(flat) or flat.max() < 2**16 else np.uint32)
        for part, array in arrays.items():
            target = _side_name(folder, segment_id, part)
            with open(str(target) + ".tmp", "wb") as handle:
                np.save(handle, array)
            os.replace(str(target) + ".tmp", target)
        meta = {
            "version": _SIDE_VERSION,
            "doc_count_all": count,
            "fields": fields,
            "terms": terms,
            "positions": with_positions,
            "position_starts": position_starts if with_positions else {},
        }
        target = _side_name(folder, segment_id, "meta.json")
        Path(str(target) + ".tmp").write_text(json.dumps(meta), "utf-8")
        os.replace(str(target) + ".tmp", target)
        written += 1
    return written


class ArrayEngine:
    """Runs queries over one Whoosh searcher (one generation of the index).

    Thread-safe.  Built when the searcher is (a few ms: the live-document mask
    and each segment's side files, memory-mapped); field lengths and posting
    lists are read on first use and kept.  ``folder`` is the index's folder,
    where the side files are (without them everything is read from Whoosh).
    """

    def __init__(self, searcher: Any, folder: Path | None = None) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self._leaves: list[tuple[Any, int]] = list(reader.leaf_readers())
        self._sides: list[_Side | None] = []
        for leaf, _base in self._leaves:
            side = None
            segment = getattr(leaf, "segment", lambda: None)()
            if folder is not None and segment is not None:
                try:
                    side = _Side(folder, segment.segment_id(), leaf.doc_count_all())
                except (OSError, ValueError, KeyError):
                    side = None
            self._sides.append(side)
        self.size = reader.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for leaf, base in self._leaves:
            if leaf.has_deletions():
                deleted = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                self.live[deleted + base] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._ranks: dict[str, np.ndarray] = {}
        self._local = threading.local()  # .lazy: the _LazyPhrases of the run in this thread, if any
        self._postings: OrderedDict[tuple[str, bytes], _Postings] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    # -- reading Whoosh's data in bulk ---------------------------------------

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length in ``fieldname`` as BM25F sees it (Whoosh's one-byte lengths)."""
        found = self._lengths.get(fieldname)
        if found is None:
            parts = []
            for (leaf, _base), side in zip(self._leaves, self._sides):
                if side is not None and fieldname in side.fields:
                    parts.append(np.asarray(side.lengths[side.fields.index(fieldname)]))
                else:
                    parts.append(_leaf_lengths(leaf, fieldname))
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
            if found is not None and (found.positions is not None or not positions):
                self._postings.move_to_end(key)
                return found
        ids: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        values: list[bytes] | None = [] if positions else None
        term = btext.decode("utf-8", "replace")
        keys: list[np.ndarray] = []
        for (leaf, base), side in zip(self._leaves, self._sides):
            span = side.terms.get(fieldname, {}).get(term) if side is not None else None
            at = side.position_starts.get(fieldname, {}).get(term) if side is not None and values is not None else None
            if span is not None and (values is None or (side.positions is not None and at is not None)):  # type: ignore[union-attr]
                start, end = span
                ids.append(np.asarray(side.docnums[start:end], dtype=np.int32) + np.int32(base))  # type: ignore[union-attr]
                weights.append(np.asarray(side.weights[start:end], dtype=np.float32))  # type: ignore[union-attr]
                if values is not None:
                    counts = weights[-1].astype(np.int64)
                    places = np.asarray(side.positions[at : at + int(counts.sum())])  # type: ignore[union-attr,index,operator]
                    keys.append(_keys(ids[-1], places, counts))
                continue
            if (fieldname, btext) not in leaf:
                continue
            leaf_values: list[bytes] | None = [] if values is not None else None
            leaf_ids, leaf_weights = _decode_leaf(leaf, fieldname, btext, values=leaf_values, cancel=cancel)
            if leaf_values is not None:
                keys.append(_position_keys(leaf_ids + base, leaf_values))
            ids.append((leaf_ids + base).astype(np.int32))
            weights.append(leaf_weights.astype(np.float32))  # frequencies: whole numbers, exact in float32
        # Kept compact (8 bytes a posting): the reader holds many lists for a session.
        found = _Postings(
            np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32),
            np.concatenate(weights) if weights else np.zeros(0, dtype=np.float32),
        )
        if values is not None:
            found.positions = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        with self._lock:
            previous = self._postings.pop(key, None)
            if previous is not None:
                self._cached -= _size(previous)
            self._postings[key] = found
            self._cached += _size(found)
            while self._cached > _CACHE_POSTINGS and len(self._postings) > 1:
                _key, dropped = self._postings.popitem(last=False)
                self._cached -= _size(dropped)
        return found

    def ids(self) -> np.ndarray:
        """Every document's paper id (bytes), by docnum; replaced versions included."""
        with self._lock:
            found = getattr(self, "_ids", None)
            if found is None:
                parts = []
                for (leaf, _base), side in zip(self._leaves, self._sides):
                    if side is not None:
                        parts.append(np.asarray(side.ids))
                    elif leaf.doc_count_all():
                        parts.append(np.array(list(leaf.column_reader("id", translate=False)), dtype="S16"))
                found = self._ids = np.concatenate(parts) if parts else np.zeros(0, dtype="S16")
            return found

    def _lookup(self) -> tuple[np.ndarray, np.ndarray]:
        """The live documents' paper ids, sorted, and their docnums: ids to docnums by binary search."""
        with self._lock:
            lookup = getattr(self, "_id_lookup", None)
        if lookup is None:
            live = np.flatnonzero(self.live)
            keys = self.ids()[live]
            order = np.argsort(keys, kind="stable")
            lookup = self._id_lookup = (keys[order], live[order])
        return lookup

    def docnums_of(self, ids: Sequence[str]) -> np.ndarray:
        """Each paper id's live docnum, in the order given; -1 for an id the index does not hold."""
        keys, docnums = self._lookup()
        found = np.full(len(ids), -1, dtype=np.int64)
        if not len(ids) or not len(keys):
            return found
        wanted = np.array(list(ids), dtype="S16")
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        hit = keys[at] == wanted
        found[hit] = docnums[at[hit]]
        return found

    def term_scores(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """One term's BM25F score in every document holding it, ``(docnums, scores)``; None if no document does.

        The same score a query for the term gives, for callers that weigh
        many terms themselves (the "for you" profile of :mod:`paperreader.interest`
        is a weighted sum of a hundred terms, which no query expresses).
        """
        found = self._term_scores(fieldname, text, 1.0, None)
        return None if found is None else (found[0].docnums, found[1])

    def mask_of(self, ids: Collection[str]) -> np.ndarray:
        """The live documents of these paper ids, as a mask (a view handed to :meth:`run`)."""
        keys, docnums = self._lookup()
        mask = np.zeros(self.size, dtype=bool)
        if not len(ids) or not len(keys):
            return mask
        wanted = np.array(list(ids), dtype="S16")
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        mask[docnums[at[keys[at] == wanted]]] = True
        return mask

    def sort_ranks(self, fieldname: str) -> np.ndarray:
        """Each document's place in the order of a sortable field's values (equal values, equal places).

        Read once per engine from Whoosh's column (the same values its sort
        uses), so a search sorted by digest date or upvotes is a mask and a
        ``lexsort`` instead of Whoosh visiting every match.
        """
        with self._lock:
            found = self._ranks.get(fieldname)
        if found is None:
            values: list[Any] = []
            for leaf, _base in self._leaves:
                if leaf.doc_count_all():
                    values.extend(leaf.column_reader(fieldname, translate=False))
            if values and all(isinstance(value, bytes) for value in values):
                array = np.array(values, dtype=bytes)
            elif values and all(isinstance(value, int) for value in values):
                array = np.array(values, dtype=np.uint64 if min(values) >= 0 else np.int64)
            else:
                raise Unsupported(f"sorting by {fieldname}")
            found = np.unique(array, return_inverse=True)[1].astype(np.int64).reshape(-1)
            with self._lock:
                self._ranks[fieldname] = found
        return found

    # -- evaluating a parsed query ---------------------------------------------

    def run(
        self,
        query: wq.Query,
        *,
        allowed: np.ndarray | None = None,
        limit: int | None = 1000,
        cancel: threading.Event | None = None,
        quick: bool = False,
        sort: tuple[str, bool] | None = None,
    ) -> Ranked:
        """The top ``limit`` documents for ``query`` (all, if None), restricted to the ``allowed`` mask.

        ``sort`` = (field, reverse) orders them by a sortable field instead of
        the score, as Whoosh's ``sortedby`` does (scores are then 0).

        Raises :class:`Unsupported` for a query Whoosh must run itself and
        :class:`Cancelled` when ``cancel`` is set before it is done.

        ``quick`` with a ``limit``: a phrase whose positions are not decoded
        yet is checked only for the papers that may make the top (see
        :meth:`_run_lazy`): the top is exact, the total may be an estimate.
        """
        if sort is not None:
            ranks = self.sort_ranks(sort[0])
            mask, _scores = self._node(query, cancel)
            mask = mask & self.live
            if allowed is not None:
                mask &= allowed
            matched = np.flatnonzero(mask)
            # Reversed, Whoosh reverses the whole order, ties (docnum order) included.
            order = np.lexsort((-matched, -ranks[matched])) if sort[1] else np.lexsort((matched, ranks[matched]))
            top = matched[order] if limit is None else matched[order[:limit]]
            return Ranked(top.tolist(), [0.0] * len(top), len(matched))
        if quick and limit is not None and self._cold_phrases(query):
            return self._run_lazy(query, allowed, limit, cancel)
        mask, scores = self._node(query, cancel)
        return self._top(mask, scores, allowed, limit, cancel)

    def _top(
        self, mask: np.ndarray, scores: np.ndarray, allowed: np.ndarray | None, limit: int | None,
        cancel: threading.Event | None,
    ) -> Ranked:
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

    def _cold_phrases(self, query: wq.Query) -> bool:
        """True if the query has a phrase, none under a NOT, whose positions are not decoded yet."""
        phrases: list[wq.Phrase] = []

        def walk(node: wq.Query, negated: bool) -> bool:
            if type(node) is wq.Phrase:
                if negated:
                    return False  # optimism under a NOT would drop papers: check it whole
                phrases.append(node)
                return True
            negated = negated or type(node) is wq.Not
            if type(node) is wq.AndNot:
                return walk(node.a, negated) and walk(node.b, True)
            return all(walk(child, negated) for child in node.children())

        if not walk(query, False) or not phrases:
            return False
        reader = self.searcher.reader()
        with self._lock:
            for phrase in phrases:
                field = self.searcher.schema[phrase.fieldname] if phrase.fieldname in self.searcher.schema else None
                if field is None:
                    continue
                for word in phrase.words:
                    try:
                        btext = field.to_bytes(word)
                    except ValueError:
                        continue
                    cached = self._postings.get((phrase.fieldname, btext))
                    if (phrase.fieldname, btext) not in reader or (cached is not None and cached.positions is not None):
                        continue
                    if not self._positions_on_disk(phrase.fieldname, btext):
                        return True
        return False

    def _positions_on_disk(self, fieldname: str, btext: bytes) -> bool:
        """True if every segment holding the term has its positions in its side files (cheap to read)."""
        term = btext.decode("utf-8", "replace")
        for (leaf, _base), side in zip(self._leaves, self._sides):
            if (fieldname, btext) not in leaf:
                continue
            if side is None or side.positions is None or term not in side.position_starts.get(fieldname, {}):
                if leaf.doc_frequency(fieldname, btext) >= _DISK_FROM:
                    return False  # a common word without side files: ~0.1 s to decode its blocks
        return True

    def _run_lazy(
        self, query: wq.Query, allowed: np.ndarray | None, limit: int, cancel: threading.Event | None
    ) -> Ranked:
        """The exact top ``limit``, checking phrases only where they can change it (threshold algorithm).

        Every phrase first counts as holding wherever its words all are (an
        upper bound of each paper's score).  The best papers not yet checked
        have their positions looked up, one paper at a time, and the query is
        scored again, until the ``limit`` best exact scores beat every
        unchecked paper's bound.  Decoding every position of two common words
        takes ~0.3 s at 100,000 papers; this looks at a few hundred papers.
        """
        lazy = _LazyPhrases(self.size)
        self._local.lazy = lazy
        try:
            batch = max(2 * limit, 64)
            for _round in range(12):
                mask, scores = self._node(query, cancel)
                mask = mask & self.live
                if allowed is not None:
                    mask &= allowed
                unsure = mask & lazy.candidates & ~lazy.checked
                sure = mask & ~unsure
                best_unsure = scores[unsure].max() if unsure.any() else -np.inf
                ranked = self._top(sure, scores, None, limit, cancel)
                if len(ranked.docnums) >= limit and ranked.scores[-1] >= best_unsure or not unsure.any():
                    # Estimate: the unchecked candidates hold as often as the checked ones did.
                    population = lazy.checked & lazy.candidates & self.live
                    if allowed is not None:
                        population &= allowed
                    held = int((population & mask).sum())
                    share = held / int(population.sum()) if population.any() else 1.0
                    sure_count = int(sure.sum())
                    ranked.total = sure_count + round(share * int(unsure.sum()))
                    ranked.exact = not unsure.any()
                    return ranked
                order = np.flatnonzero(unsure)
                pick = order[np.argsort(-scores[order], kind="stable")[:batch]]
                self._check(lazy, np.sort(pick), cancel)
                batch *= 2  # a rare phrase: fewer rounds (each scores the whole query again)
        finally:
            self._local.lazy = None
        mask, scores = self._node(query, cancel)  # many rounds: check every candidate at once
        return self._top(mask, scores, allowed, limit, cancel)

    def _check(self, lazy: _LazyPhrases, docnums: np.ndarray, cancel: threading.Event | None) -> None:
        """Look up the positions of every lazy phrase's words in these papers (ascending docnums)."""
        for node in lazy.nodes:
            field = self.searcher.schema[node.fieldname]
            words = [field.to_bytes(word) for word in node.words]
            decode = field.format.decode_positions
            holds = lazy.holds.setdefault(id(node), np.zeros(self.size, dtype=bool))
            own = lazy.node_candidates.get(id(node))
            if own is None:  # a word of it is not in this field at all
                continue
            mine = docnums[own[docnums]]  # papers with every word in this field
            for leaf, base in self._leaves:
                count = leaf.doc_count_all()
                local = mine[(mine >= base) & (mine < base + count)] - base
                if not len(local) or any((node.fieldname, word) not in leaf for word in words):
                    continue
                fmt = leaf.schema[node.fieldname].format
                matchers = [leaf._terms.matcher(node.fieldname, word, fmt) for word in words]
                for number in local.tolist():
                    if cancel is not None and cancel.is_set():
                        raise Cancelled
                    starts: set[int] | None = None
                    for offset, matcher in enumerate(matchers):
                        if matcher.is_active() and matcher.id() < number:
                            matcher.skip_to(number)
                        if not matcher.is_active() or matcher.id() != number:
                            starts = set()
                            break
                        places = {place - offset for place in decode(matcher.value())}
                        starts = places if starts is None else starts & places
                        if not starts:
                            break
                    holds[base + number] = bool(starts)
        lazy.checked[docnums] = True

    def _node(self, node: wq.Query, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """(mask of matching documents, their scores; 0 elsewhere) for one query node."""
        if cancel is not None and cancel.is_set():
            raise Cancelled
        kind = type(node)
        if isinstance(node, wq.NullQuery.__class__) or node is wq.NullQuery:
            return self._nothing()
        if kind is wq.Term:
            return self._term(node.fieldname, node.text, node.boost, cancel)
        if isinstance(node, (wq.NumericRange, wq.TermRange)) and node.constantscore:
            return self._constant(node, cancel)
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

    def _constant(self, node: wq.Query, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """A range (``upvotes:>50``, ``authors:[1 TO 3]``, ``published:2024``, ``digest:>2026-11-01``).

        Scored as Whoosh scores them, so the filter bar's field queries stay
        on this engine instead of falling back: a numeric or date range is a
        constant-score query (each match scores the boost); a range of terms
        (``digest:``) ORs the indexed terms it spans with no weighting, so
        each term a paper holds adds the boost (a paper in two digests of a
        digest range scores twice).  A term range spanning one term Whoosh
        scores as that term, with the weighting: left to Whoosh.
        """
        mask, dense = self._nothing()
        if isinstance(node, wq.NumericRange):
            found = np.fromiter(node.docs(self.searcher), dtype=np.int64)
            mask[found] = True
            mask &= self.live
            dense[mask] = node.boost
            return mask, dense
        words = [word for word in node._btexts(self.searcher.reader()) if word]
        if len(words) == 1:
            raise Unsupported("a range of one term")
        for word in words:
            if cancel is not None and cancel.is_set():
                raise Cancelled
            found = np.fromiter(wq.Term(node.fieldname, word).docs(self.searcher), dtype=np.int64)
            mask[found] = True
            dense[found] += node.boost
        mask &= self.live
        return mask, np.where(mask, dense, 0.0)

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
        tf = postings.weights.astype(np.float64)  # computed in double precision, as Whoosh does
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

    def _phrase_lazy(
        self, node: wq.Phrase, lazy: _LazyPhrases, cancel: threading.Event | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A phrase as far as it is checked: where every word is, unless checked and found wanting.

        Scored as Whoosh scores a phrase that holds (the sum of its words'
        scores): exact for a checked paper, an upper bound for the others.
        """
        if all(known is not node for known in lazy.nodes):
            lazy.nodes.append(node)
        parts: list[tuple[_Postings, np.ndarray]] = []
        for word in node.words:
            found = self._term_scores(node.fieldname, word, 1.0, cancel)
            if found is None:
                return self._nothing()
            parts.append(found)
        candidates = parts[0][0].docnums
        for postings, _ in parts[1:]:
            candidates = np.intersect1d(candidates, postings.docnums, assume_unique=True)
        mask, dense = self._nothing()
        mask[candidates] = True
        mask &= self.live
        lazy.candidates |= mask
        lazy.node_candidates[id(node)] = mask.copy()
        holds = lazy.holds.get(id(node))
        if holds is not None:
            mask &= ~lazy.checked | holds
        for postings, scores in parts:
            dense[candidates] += scores[np.searchsorted(postings.docnums, candidates)]
        dense = np.where(mask, dense, 0.0)
        if node.boost != 1.0:
            dense *= node.boost
        return mask, dense

    def _phrase(self, node: wq.Phrase, cancel: threading.Event | None) -> tuple[np.ndarray, np.ndarray]:
        """Papers with the words next to each other, in order; scored as the sum of the words' scores.

        That is what Whoosh's phrase matcher scores (an intersection of the
        terms, kept where their positions line up).  Positions are decoded
        only for the papers that have every word.
        """
        if node.slop != 1 or not node.words:
            raise Unsupported("phrase with slop")
        lazy: _LazyPhrases | None = getattr(self._local, "lazy", None)
        if lazy is not None:
            return self._phrase_lazy(node, lazy, cancel)
        fieldname = node.fieldname
        parts: list[tuple[_Postings, np.ndarray]] = []
        for word in node.words:
            found = self._term_scores(fieldname, word, 1.0, cancel, positions=True)
            if found is None:
                return self._nothing()
            parts.append(found)
        # Where the first word stands, kept while the i-th word stands i places after it.
        starts = parts[0][0].positions
        for offset, (postings, _) in enumerate(parts[1:], 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled
            following = postings.positions - offset  # type: ignore[operator]
            if not len(following) or not len(starts):  # type: ignore[arg-type]
                return self._nothing()
            at = np.minimum(np.searchsorted(following, starts), len(following) - 1)
            starts = starts[following[at] == starts]  # type: ignore[index]
        matched = np.unique(starts >> _POSITION_BITS)  # type: ignore[operator]
        matched = matched[self.live[matched]]
        mask, dense = self._nothing()
        mask[matched] = True
        for postings, scores in parts:
            dense[matched] += scores[np.searchsorted(postings.docnums, matched)]
        if node.boost != 1.0:
            dense *= node.boost
        return mask, dense
