"""Search through the library: query language, ranking, highlights, repair."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from paperreader.index import highlight_text
from paperreader.library import Library
from paperreader.paths import INDEX_NAME
from paperreader.text import paper_id

from .digests import MONDAY, TUESDAY, WITH_META, P, page, write

CORPUS = [
    P("Backbones Compared Across Vision Tasks", "We benchmark pretrained networks on detection and segmentation."),
    P("Scaling Laws for Detection", "Backbones matter: backbones pretrained longer detect better; backbones everywhere."),
    P("Transformers Without Attention", "We replace attention in transformers with a recurrent transformation."),
    P("Language Models Count Poorly", "Large language models fail at counting letters in words."),
    P("A Survey of Language Agents", "Agents built on a large language model plan and act."),
]


@pytest.fixture
def lib(library: Library, tmp_path: Path) -> Library:
    write(tmp_path / "d" / "a.txt", page("Mar 10", CORPUS + MONDAY))
    write(tmp_path / "d" / "b.txt", page("Mar 11", TUESDAY))
    write(tmp_path / "d" / "c.txt", page("Nov 12", WITH_META))
    reports = library.import_paths([tmp_path / "d"], date=dt.date(2025, 11, 20))
    assert all(r.ok for r in reports)
    return library


def found(lib: Library, query: str, **kw) -> list[str]:
    outcome = lib.search(query, **kw)
    assert outcome.error is None, outcome.error
    return [p.title for p in lib.papers_for([h.id for h in outcome.hits])]


def test_word_stemmed(lib: Library) -> None:
    assert "Language Models Count Poorly" in found(lib, "model")
    assert "A Survey of Language Agents" in found(lib, "models")  # "models" finds "model"


def test_title_match_ranks_first(lib: Library) -> None:
    # The abstract of the second paper says "backbones" three times; the title still wins.
    assert found(lib, "backbones")[0] == "Backbones Compared Across Vision Tasks"


def test_phrase(lib: Library) -> None:
    hits = found(lib, '"large language models"')
    assert "Language Models Count Poorly" in hits
    assert "Transformers Without Attention" not in hits
    assert found(lib, '"language large"') == []


def test_prefix_fuzzy_field_boolean(lib: Library) -> None:
    assert {"Transformers Without Attention"} <= set(found(lib, "trans*"))
    assert "Language Models Count Poorly" in found(lib, "langauge~")
    assert found(lib, "title:attention") == ["Transformers Without Attention"]
    assert "Transformers Without Attention" not in found(lib, "attention AND NOT recurrent")
    assert set(found(lib, "counting OR agents")) == {"Language Models Count Poorly", "A Survey of Language Agents"}


def test_metadata_fields(lib: Library) -> None:
    assert found(lib, "upvotes:>10") == ["Protein Folding At The Edge"]
    assert found(lib, "published:2024") == ["Reward Models Disagree More Than We Think"]
    # Tuesday repeats a Monday paper in other case: the title first seen stays.
    assert set(found(lib, "digest:2025-03-11")) == {p.title for p in TUESDAY[1:]} | {MONDAY[1].title}
    assert len(found(lib, "digest:2025-03-10")) == len(CORPUS + MONDAY)


def test_view_and_digest_filters(lib: Library) -> None:
    everything = found(lib, "language")
    first = lib.store.get_many([paper_id(everything[0])])[paper_id(everything[0])]
    lib.store.set_state([first.id], read=True)
    assert first.title not in found(lib, "language", view="unread")
    assert found(lib, "language", view="bookmarked") == []
    lib.store.set_state([first.id], bookmarked=True)
    assert found(lib, "language", view="bookmarked") == [first.title]
    assert found(lib, "language", digest=dt.date(2025, 3, 11)) == []


def test_sorted_search(lib: Library) -> None:
    titles = found(lib, "abstract:we OR benchmarks", sort="title")
    assert titles == sorted(titles, key=str.casefold)


def test_bad_query_is_an_error_not_an_exception(lib: Library) -> None:
    for query in ["title:(", "[bold", "AND", '"unclosed', "a~9", "upvotes:>abc", "*"]:
        outcome = lib.search(query)
        assert isinstance(outcome.hits, list)  # never raises


def test_did_you_mean(lib: Library) -> None:
    outcome = lib.search("backbonez")
    assert outcome.total == 0 and outcome.suggestion is not None
    assert lib.search(outcome.suggestion).total > 0


def test_highlights(lib: Library) -> None:
    outcome = lib.search("transformers")
    terms = outcome.terms["abstract"]
    (snippet,) = highlight_text("We replace attention in transformers with a transformer.", terms, whole=True)
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["transformers", "transformer"]
    fragments = highlight_text("x " * 400 + "transformers at the end", terms)
    assert fragments and all("transformers" in f.text for f in fragments)
    assert highlight_text("no match here", terms) == []


def test_index_catches_up_after_a_crash_between_store_and_index(lib: Library, data_dir: Path, tmp_path: Path) -> None:
    # Simulate a process that committed to the store and died before indexing.
    write(tmp_path / "late.txt", page("Mar 12", [P("Late Arrival Paper", "Indexed only on next open.")]))
    assert lib.import_file(tmp_path / "late.txt", date=dt.date(2025, 11, 20)).new == 1
    lib.close()
    with Library(data_dir) as reopened:
        assert found(reopened, "arrival") == ["Late Arrival Paper"]
        assert reopened.notices == []  # catching up is silent


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "other-library", "empty-dir"])
def test_damaged_index_is_rebuilt_with_a_notice(lib: Library, data_dir: Path, damage: str) -> None:
    count = lib.store.count()
    lib.close()
    index_dir = data_dir / INDEX_NAME
    if damage == "delete":
        shutil.rmtree(index_dir)
    elif damage == "empty-dir":
        shutil.rmtree(index_dir)
        index_dir.mkdir()
    elif damage == "other-library":
        state = index_dir / "paperreader-index.json"
        state.write_text(json.dumps({**json.loads(state.read_text()), "store_uuid": "someone-else"}))
    else:
        for segment in index_dir.iterdir():
            if segment.suffix in (".seg", ".toc"):
                segment.write_bytes(b"" if damage == "truncate" else b"\xde\xad\xbe\xef" * 999)
    with Library(data_dir) as reopened:
        assert found(reopened, "backbones")[0] == "Backbones Compared Across Vision Tasks"
        assert len(reopened.notices) == 1 and "rebuilt" in reopened.notices[0]
        assert reopened.index().doc_count() == count


def test_reindex(lib: Library) -> None:
    assert lib.reindex() == lib.store.count()
    assert found(lib, "backbones")[0] == "Backbones Compared Across Vision Tasks"


def test_more_like_this(lib: Library) -> None:
    paper = lib.store.get(paper_id("Language Models Count Poorly"))
    hits = lib.index().more_like(paper)
    titles = [p.title for p in lib.papers_for([h.id for h in hits])]
    assert paper.title not in titles
    assert titles[0] == "A Survey of Language Agents"


def test_a_long_catch_up_is_told(library: Library, data_dir: Path, tmp_path: Path) -> None:
    from .digests import synthetic_digests

    library.index()
    for path in synthetic_digests(tmp_path / "d", files=3, per_file=100):
        library.import_file(path)  # stored, not indexed: as if the process died here
    library.close()
    with Library(data_dir) as reopened:
        reopened.index()
        assert reopened.notices == [
            "the search index was 300 papers behind the library (an interrupted import?); brought it up to date"
        ]
        assert reopened.index().doc_count() == 300
