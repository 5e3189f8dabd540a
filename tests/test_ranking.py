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
    synthetic: Library, big_index_matchers: None, query: str
) -> None:
    exhaustive = _ranking(synthetic, query, None)
    assert exhaustive, f"{query!r} matches nothing in the synthetic library: the test would prove nothing"
    for limit in (1, 3, 10, 20):
        assert _ranking(synthetic, query, limit) == exhaustive[:limit], (query, limit)
