"""Search ranks exactly: the top N at a small limit is the top N of an exhaustive ranking.

Whoosh prunes with the top-N threshold (``replace(minscore)``) when a limit is
given; with ``limit=None`` every matching paper is scored.  The two must agree,
on a synthetic library (``benchmarks/synth.py``) and a fixed set of queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.query import Or

from benchmarks.synth import generate
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
    root = tmp_path_factory.mktemp("synthetic")
    generate(root / "digests", 1200, seed=5)
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
