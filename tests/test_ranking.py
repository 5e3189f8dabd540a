"""Search ranks exactly: the top N at a small limit is the top N of an exhaustive ranking.

Whoosh prunes with the top-N threshold (``replace(minscore)``) when a limit is
given; with ``limit=None`` every matching paper is scored.  The two must agree,
on a synthetic library (``benchmarks/synth.py``) and a fixed set of queries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from whoosh.query import Or

from benchmarks.synth import generate
from paperreader import fastsearch
from paperreader.library import Library

#: Every query class of the filter bar, and the multi-word ones where pruning bites.
QUERIES = [
    "model",
    "language models",
    "reward model",
    "large language model",
    "learning OR reward",
    '"language model" training',
    "trans* model",
    "title:experts model",
    "langauge~ model",
    "diffusion AND NOT video",
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """1,200 synthetic papers; terms in 60+ papers go to the side files, as those in 4,000+ do in a big library.

    So the engine reads both kinds of postings: decoded ones from the side
    files, and the rarer terms from Whoosh's own blocks.
    """
    root = tmp_path_factory.mktemp("synthetic")
    generate(root / "digests", 1200, seed=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastsearch, "_DISK_FROM", 60)
        with Library(root / "data") as library:
            reports = library.import_paths([root / "digests"])
            assert all(report.ok for report in reports)
            yield library


@pytest.fixture
def big_index_matchers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Whoosh combine fields as it does at 5,000+ papers per segment.

    Below that size Whoosh preloads an ``Or``'s matches into an array and never
    builds the union tree whose ``AndMaybe`` conversion lost scores; forcing
    the tree lets a library of 1,200 papers (built in ~2 s) show the bug.
    """
    monkeypatch.setattr(Or, "matcher_type", Or.DEFAULT_MATCHER)


def _ranking(library: Library, query: str, limit: int | None) -> list[tuple[str, float]]:
    outcome = library.index().search(query, limit=limit)
    assert outcome.error is None, outcome.error
    return [(hit.id, round(hit.score, 6)) for hit in outcome.hits]


@pytest.mark.parametrize("query", QUERIES)
def test_top_n_at_small_limits_is_the_exhaustive_top_n(
    synthetic: Library, big_index_matchers: None, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """Whoosh's own search (what runs for queries the array engine declines) prunes correctly."""
    _whoosh_only(monkeypatch)
    exhaustive = _ranking(synthetic, query, None)
    assert exhaustive, f"{query!r} matches nothing in the synthetic library: the test would prove nothing"
    for limit in (1, 3, 10, 20):
        assert _ranking(synthetic, query, limit) == exhaustive[:limit], (query, limit)


#: Every query class the filter bar sees, for the array engine against Whoosh's own search.
ENGINE_QUERIES = QUERIES + [
    '"reward model"',
    '"large language model"',
    "title:model",
    "abstract:reward OR title:diffusion",
    "prefer*",
    "modle~1",
    "model -language",
    # Ranges over digest days (each day in range adds a constant, as in Whoosh); the
    # synthetic digests' year is the import's, so the ranges are open-ended.
    "model digest:[2000-01-01 TO 2999-12-31]",
    "reward OR digest:>2000-01-01",
    "reward OR digest:<2000-01-01",
]


def _whoosh_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every query through Whoosh's own search (the array engine declines all)."""
    from paperreader import fastsearch

    def decline(*args: object, **kwargs: object) -> fastsearch.Ranked:
        raise fastsearch.Unsupported("test: Whoosh's own ranking")

    monkeypatch.setattr(fastsearch.ArrayEngine, "run", decline)


def _same_ranking(fast: list[tuple[str, float]], whoosh: list[tuple[str, float]], limit: int) -> None:
    """Equal scores at every rank (to 1e-9) and the same papers; among equal scores any order.

    The two add a paper's field scores in a different order, so a tie can
    differ in the last bits and fall either way.
    """
    assert [round(s, 9) for _, s in fast] == [round(s, 9) for _, s in whoosh[:limit]]
    boundary = round(fast[-1][1], 9) if fast else None
    strictly = {pid for pid, s in fast if round(s, 9) != boundary}
    assert strictly == {pid for pid, s in whoosh[:limit] if round(s, 9) != boundary}
    tied_whoosh = {pid for pid, s in whoosh if round(s, 9) == boundary}
    assert {pid for pid, s in fast if round(s, 9) == boundary} <= tied_whoosh


@pytest.mark.parametrize("view", ["all", "unread"])
@pytest.mark.parametrize("query", ENGINE_QUERIES)
def test_array_engine_ranks_exactly_as_whoosh_bm25f(
    synthetic: Library, big_index_matchers: None, monkeypatch: pytest.MonkeyPatch, query: str, view: str
) -> None:
    """The same top N, scores and count as Whoosh's own search, in a view too.

    Whoosh as it runs at 5,000+ papers per segment (``big_index_matchers``):
    below that it scores the words a prefix or fuzzy term expands to with a
    constant instead of BM25F.
    """
    ids = synthetic.store.ids()
    synthetic.store.set_state(ids[: len(ids) // 2], read=True)
    try:
        fast = {limit: synthetic.search(query, view=view, limit=limit) for limit in (1, 10, 200)}
        with monkeypatch.context() as patch:
            _whoosh_only(patch)
            whoosh = synthetic.search(query, view=view, limit=None)
    finally:
        synthetic.store.set_state(ids, read=False)
    assert whoosh.error is None and fast[1].error is None
    assert whoosh.total > 0, f"{query!r} matches nothing: the test would prove nothing"
    reference = [(hit.id, hit.score) for hit in whoosh.hits]
    for limit, outcome in fast.items():
        assert outcome.exact and outcome.total == whoosh.total, (limit, outcome.total, whoosh.total)
        _same_ranking([(hit.id, hit.score) for hit in outcome.hits], reference, limit)


def test_side_files_hold_what_whoosh_holds(synthetic: Library) -> None:
    """Every posting list in a segment's side files equals Whoosh's own, and so do the lengths and ids."""
    index = synthetic.index()
    searcher = index._current_searcher()
    engine = index._engine_for(searcher)
    checked = 0
    for (leaf, base), side in zip(engine._leaves, engine._sides):
        assert side is not None, "the import wrote no side files"
        for fieldname, terms in side.terms.items():
            for term, (start, end) in terms.items():
                values: list[bytes] = []
                ids, weights = fastsearch._decode_leaf(leaf, fieldname, term.encode("utf-8"), values=values)
                assert side.docnums[start:end].tolist() == ids.tolist()
                assert side.weights[start:end].tolist() == weights.tolist()
                at = side.position_starts[fieldname][term]
                places = side.positions[at : at + int(weights.sum())]
                keys = fastsearch._keys(ids, places, weights.astype("int64"))
                assert keys.tolist() == fastsearch._position_keys(ids, values).tolist()
                checked += 1
        for number, fieldname in enumerate(side.fields):
            assert side.lengths[number].tolist() == fastsearch._leaf_lengths(leaf, fieldname).tolist()
        assert [v.decode() for v in side.ids] == [leaf.stored_fields(n)["id"] for n in range(leaf.doc_count_all())]
    assert checked > 100


@pytest.mark.parametrize("query", ['"reward model"', '"language model" training', '"large language model" OR diffusion'])
def test_a_quick_first_screen_is_the_exact_top_without_decoding_positions(
    synthetic: Library, big_index_matchers: None, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """``quick`` checks a phrase only in the papers that may make the top: same top, count estimated.

    That is for phrase words whose positions are in no side file (less
    frequent than ``_DISK_FROM``, but still costly to decode): here, all.
    """
    monkeypatch.setattr(fastsearch.ArrayEngine, "_positions_on_disk", lambda self, fieldname, btext: False)
    index = synthetic.index()
    engine = index._engine_for(index._current_searcher())
    engine._postings.clear()
    quick = {limit: synthetic.search(query, limit=limit, quick=True) for limit in (1, 10)}
    assert all(postings.positions is None for postings in engine._postings.values()), "positions were decoded"
    with monkeypatch.context() as patch:
        _whoosh_only(patch)
        whoosh = synthetic.search(query, limit=None)
    reference = [(hit.id, hit.score) for hit in whoosh.hits]
    for limit, outcome in quick.items():
        _same_ranking([(hit.id, hit.score) for hit in outcome.hits], reference, limit)
        assert outcome.total >= len(outcome.hits)
    full = synthetic.search(query, limit=10)
    assert full.exact and full.total == whoosh.total


@pytest.mark.parametrize("sort", ["relevance", "digest"])
def test_a_cancelled_search_stops(synthetic: Library, sort: str) -> None:
    """A newer keystroke sets the event: the array engine and Whoosh's collector both give up."""
    import threading

    from paperreader.index import SearchCancelled

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(SearchCancelled):
        synthetic.search("language models", sort=sort, cancel=cancel)
    assert synthetic.search("language models", sort=sort, cancel=threading.Event()).total > 0
