"""Plain words in the filter: stop words between them must not empty the results.

The default fields analyse words differently: titles, abstracts and notes drop
stop words ("of", "the"), tags used to keep them. A query of plain words is an
AND over those fields per word, so "mixture of experts" turned into
"mixture AND tag:of AND experts" and matched nothing at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paperreader.library import Library

from .digests import P, page, write

PAPERS = [
    P("A Survey on Mixture of Experts", "We review sparse mixture of experts layers and their routing."),
    P("The State of the Art in Retrieval", "A look at the state of dense retrieval for question answering."),
    P("Graph Networks for Chemistry", "Message passing networks predict molecular properties."),
]


@pytest.fixture
def lib(library: Library, tmp_path: Path) -> Library:
    write(tmp_path / "d" / "a.txt", page("Mar 10", PAPERS))
    assert all(r.ok for r in library.import_paths([tmp_path / "d"], date=dt.date(2025, 11, 20)))
    return library


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("mixture of experts", "A Survey on Mixture of Experts"),
        ("the state of the art", "The State of the Art in Retrieval"),
        ("state of art retrieval", "The State of the Art in Retrieval"),
    ],
)
def test_stop_words_between_plain_words_do_not_empty_the_results(lib: Library, query: str, title: str) -> None:
    outcome = lib.search(query)
    assert outcome.error is None
    titles = [paper.title for paper in lib.papers_for([hit.id for hit in outcome.hits])]
    assert titles == [title]


def test_a_tag_is_still_found_by_a_plain_word(lib: Library) -> None:
    (paper,) = [p for p in lib.store.papers() if p.title.startswith("Graph")]
    lib.store.set_tags([paper.id], add=["chem"])
    lib.update_index()
    assert [hit.id for hit in lib.search("chem").hits] == [paper.id]
    assert [hit.id for hit in lib.search("tag:chem networks").hits] == [paper.id]
