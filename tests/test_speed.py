"""How paperreader uses Whoosh at speed: what a search must not do, and what it must still get right.

No timing is asserted here (machines are noisy; ``python -m benchmarks`` times);
these tests pin the behaviours the speed comes from: no second pass to count,
no reader opened just to count, segment files read in place, ids read only for
what is shown.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as whoosh_index
from whoosh import searching

from benchmarks.synth import generate
from paperreader.cli import main
from paperreader.library import Library
from paperreader.paths import INDEX_NAME


@pytest.fixture(scope="module")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with 600 synthetic papers (6 digests), shared read-only by the tests."""
    root = tmp_path_factory.mktemp("speed")
    generate(root / "digests", 600, seed=11)
    with Library(root / "data") as library:
        assert all(report.ok for report in library.import_paths([root / "digests"]))
    return root / "data"


@pytest.fixture
def synthetic(synthetic_dir: Path) -> Iterator[Library]:
    with Library(synthetic_dir) as library:
        yield library


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_search_does_not_count_every_match_a_second_time(
    capsys: pytest.CaptureFixture[str], synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Library(synthetic_dir) as library:
        real = library.search("language models", limit=None).total
    assert real > 100

    def second_pass(self: searching.Results) -> int:
        raise AssertionError("len(results) runs the whole query again")

    monkeypatch.setattr(searching.Results, "__len__", second_pass)
    status, out, err = run(capsys, synthetic_dir, "search", "language models", "--limit", "5")
    assert status == 0, err
    assert len(out.splitlines()) >= 5
    assert err.strip().splitlines()[-1] == f"(5 of {real:,} matches; --limit shows more)"


def test_whooshs_own_search_estimates_its_count_instead_of_a_second_pass(
    synthetic: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When Whoosh runs the query (one the arrays decline), the count is "about N", from document frequencies."""
    from paperreader import fastsearch

    real = synthetic.search("language models", limit=None).total

    def second_pass(self: searching.Results) -> int:
        raise AssertionError("len(results) runs the whole query again")

    def decline(*args: object, **kwargs: object) -> fastsearch.Ranked:
        raise fastsearch.Unsupported("test: Whoosh's own search")

    monkeypatch.setattr(searching.Results, "__len__", second_pass)
    monkeypatch.setattr(fastsearch.ArrayEngine, "run", decline)
    outcome = synthetic.search("language models", limit=5, sort="digest")
    assert len(outcome.hits) == 5 and not outcome.exact
    assert 0.7 * real <= outcome.total <= 1.3 * real, (outcome.total, real)


def test_cli_search_count_is_exact_when_every_match_is_shown(
    capsys: pytest.CaptureFixture[str], synthetic_dir: Path
) -> None:
    with Library(synthetic_dir) as library:
        outcome = library.search("title:experts", limit=None)
    assert 1 < outcome.total < 100 and outcome.exact
    status, _out, err = run(capsys, synthetic_dir, "search", "title:experts", "--limit", "1")
    assert status == 0
    assert f"(1 of {outcome.total} matches; --limit shows more)" in err


def test_opening_the_index_counts_from_its_table_of_contents(
    synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Index.doc_count()`` opens a reader on every segment just to count."""

    def counting_reader(self: whoosh_index.FileIndex) -> int:
        raise AssertionError("doc_count() opens every segment")

    monkeypatch.setattr(whoosh_index.FileIndex, "doc_count", counting_reader)
    with Library(synthetic_dir) as library:
        assert library.search("model", limit=3).hits
        assert library.notices == []
        assert library.index().doc_count() == library.store.count()


def test_opening_a_searcher_reads_the_segment_files_in_place(synthetic_dir: Path) -> None:
    """Whoosh's BytesIO(memoryview) copied each mapped segment file whole on every open."""
    segments = sum(path.stat().st_size for path in (synthetic_dir / INDEX_NAME).glob("*.seg"))
    assert segments > 1_000_000
    ix = whoosh_index.open_dir(str(synthetic_dir / INDEX_NAME))
    tracemalloc.start()
    try:
        searcher = ix.searcher()
        assert searcher.doc_count() == 600
        allocated = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    searcher.close()
    assert allocated < segments / 10, (allocated, segments)


def test_a_view_finds_the_current_version_of_a_changed_paper(synthetic: Library) -> None:
    """Ids are read per segment: a replaced (deleted) version must not stand for the paper."""
    hit = synthetic.search("model", limit=1).hits[0]
    try:
        synthetic.store.set_tags([hit.id], replace=["zebra"])
        synthetic.store.set_state([hit.id], bookmarked=True)
        synthetic.update_index()
        found = synthetic.search("zebra", view="bookmarked")
        assert [h.id for h in found.hits] == [hit.id]
        assert [h.id for h in synthetic.search("model", view="bookmarked").hits] == [hit.id]
    finally:
        synthetic.store.set_tags([hit.id], replace=[])
        synthetic.store.set_state([hit.id], bookmarked=False)
        synthetic.update_index()


def test_no_word_is_indexed_twice_for_spelling() -> None:
    """Spelling fields indexed every word a second time, unstemmed: a build ~1.5x slower, for "did you mean" alone."""
    from paperreader.index import SCHEMA

    assert [name for name, field in SCHEMA.items() if getattr(field, "spelling", False)] == []


@pytest.mark.parametrize(
    ("typed", "meant"), [("langauge models", "language models"), ("reward modle", "reward model"), ("rewrd", "reward")]
)
def test_did_you_mean_turns_the_stem_found_back_into_a_word(synthetic: Library, typed: str, meant: str) -> None:
    outcome = synthetic.search(typed)
    assert outcome.total == 0 and outcome.suggestion == meant
    assert synthetic.search(meant).total > 0


def test_a_view_is_read_once_until_the_library_changes(
    synthetic_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each keystroke searched in the same view; reading its ids took ~0.1 s at 100,000 papers."""
    from paperreader.store import Store

    with Library(synthetic_dir) as library:
        reads: list[str] = []
        ids = library.store.ids

        def counted(view: str = "all", **kwargs: object) -> list[str]:
            reads.append(view)
            return ids(view, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(library.store, "ids", counted)
        first = library.search("model", view="unread", limit=5)
        assert library.search("language", view="unread", limit=5).total > 0
        assert reads == ["unread"]
        read = first.hits[0].id
        try:
            library.store.set_state([read], read=True)  # this connection
            assert read not in {hit.id for hit in library.search("model", view="unread", limit=None).hits}
            assert reads == ["unread", "unread"]
            with Store.open(synthetic_dir / "library.sqlite3") as other:  # another process, say the CLI
                other.set_state([read], read=False)
            assert read in {hit.id for hit in library.search("model", view="unread", limit=None).hits}
            assert reads == ["unread", "unread", "unread"]
        finally:
            library.store.set_state([read], read=False)


def test_a_fuzzy_word_builds_its_automaton_once_per_query(
    synthetic: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fuzzy word is expanded in each of four fields and again to highlight: 7 automata, ~7 ms each at 100k."""
    from whoosh.automata import lev

    import paperreader.index as index_module

    built: list[str] = []
    original = lev.levenshtein_automaton

    def counting(text: str, *args: object, **kwargs: object) -> object:
        built.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(lev, "levenshtein_automaton", counting)
    monkeypatch.setattr(index_module, "levenshtein_automaton", counting)
    index_module._levenshtein_dfa.cache_clear()
    outcome = synthetic.search("lenguage~ models")
    assert outcome.total > 0 and "languag" in outcome.terms["abstract"]
    assert sorted(built) == ["lenguag", "lenguage"]  # the stem (title, abstract, note), the tag's own word


def test_the_clean_text_check_covers_every_character_the_cleaning_touches() -> None:
    """A text the quick check passes must be one the three substitutions leave as it is."""
    from paperreader import text

    for code in range(0x110000):
        char = chr(code)
        touched = text._STRIP.match(char) or text._ESCAPE_SEQUENCE.match(char) or (char != " " and text._SPACE.match(char))
        if touched:
            assert text._NEEDS_CLEANING.match(char), hex(code)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_quickly_checked_text_is_cleaned_exactly_as_before(value: str) -> None:
    import unicodedata

    from paperreader import text

    slow = text._SPACE.sub(" ", text._STRIP.sub("", text._ESCAPE_SEQUENCE.sub("", value)))
    assert text.clean_text(value) == unicodedata.normalize("NFC", slow).strip()


def test_binary_detection_counts_the_same_control_characters_as_before() -> None:
    """The parser counts control characters with a regex, not a Python loop over 64 KB a file."""
    from paperreader.parser import _CONTROL_CHARS

    for code in range(0x110000):
        char = chr(code)
        before = (char < " " and char not in "\t\n\r\f") or "\x7f" <= char <= "\x9f"
        assert bool(_CONTROL_CHARS.match(char)) == before, hex(code)


def _side_segments(folder: Path) -> set[str]:
    return {path.name.split(".")[0] for path in folder.glob("*.prside_meta.json")}


def test_every_segment_has_side_files_and_retired_segments_lose_them(tmp_path: Path) -> None:
    """Side files are written after every index write, and Whoosh deletes them with the segment a merge retires."""
    from paperreader.index import _write_sidecars

    files = generate(tmp_path / "digests", 700, seed=3)
    with Library(tmp_path / "data") as library:
        for start in range(0, len(files), 1):
            library.import_paths(files[start : start + 1])
            searcher = library.index()._current_searcher()
            current = {leaf.segment().segment_id() for leaf, _ in searcher.reader().leaf_readers()}
            assert _side_segments(tmp_path / "data" / INDEX_NAME) == current
        assert len(current) >= 2
        for side in (tmp_path / "data" / INDEX_NAME).glob("*.prside_*"):
            side.unlink()
        _write_sidecars(tmp_path / "data" / INDEX_NAME, procs=2)  # one process per segment
        assert _side_segments(tmp_path / "data" / INDEX_NAME) == current
        library.index()._engine = None
        index = library.index()
        engine = index._engine_for(index._current_searcher())
        assert all(side is not None for side in engine._sides)
        assert library.search("model", limit=3).total > 0


@pytest.mark.parametrize("sort", ["digest", "published", "upvotes", "title"])
def test_a_sorted_search_is_ordered_as_whoosh_orders_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """Sorted by a field, the arrays give Whoosh's order (ties, missing values, reversed sorts), and an exact count."""
    from paperreader import fastsearch

    from .digests import WITH_META, page, write

    generate(tmp_path / "digests", 300, seed=2)
    write(tmp_path / "digests" / "meta.txt", page("Nov 12", WITH_META * 1))
    with Library(tmp_path / "data") as library:
        assert all(report.ok for report in library.import_paths([tmp_path / "digests"]))
        ids = library.store.ids()
        library.store.set_state(ids[::2], read=True)
        for query in ("model", "language models", "title:experts", "reward OR protein OR folding"):
            for view in ("all", "unread"):
                fast = library.search(query, limit=40, sort=sort, view=view)
                with monkeypatch.context() as patch:

                    def decline(*args: object, **kwargs: object) -> fastsearch.Ranked:
                        raise fastsearch.Unsupported("test: Whoosh's own search")

                    patch.setattr(fastsearch.ArrayEngine, "run", decline)
                    whoosh = library.search(query, limit=None, sort=sort, view=view)
                assert fast.exact and fast.total == whoosh.total, (query, view)
                assert [hit.id for hit in fast.hits] == [hit.id for hit in whoosh.hits[:40]], (query, view)


def test_side_files_the_disk_refuses_leave_the_index_working(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Side files only save time: a full disk while writing them must not fail the import or the search."""
    import errno

    import numpy as np

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    files = generate(tmp_path / "digests", 200, seed=4)
    monkeypatch.setattr(np, "save", full_disk)
    with Library(tmp_path / "data") as library:
        reports = library.import_paths(files)
        assert all(report.ok for report in reports) and library.notices == []
        assert _side_segments(tmp_path / "data" / INDEX_NAME) == set()
        assert not list((tmp_path / "data" / INDEX_NAME).glob("*.tmp"))
        assert library.search("model", limit=5).total == library.search("model", limit=None).total > 0


def test_ctrl_c_reaching_a_side_file_worker_leaves_it_to_the_parent(tmp_path: Path) -> None:
    """A terminal's Ctrl+C reaches the worker processes too: they must not die of it (a traceback, a hung pool)."""
    import subprocess
    import sys

    files = generate(tmp_path / "digests", 400, seed=6)
    with Library(tmp_path / "data") as library:
        for file in files:
            library.import_paths([file])  # several segments
        assert len(_side_segments(tmp_path / "data" / INDEX_NAME)) >= 2
    for side in (tmp_path / "data" / INDEX_NAME).glob("*.prside_*"):
        side.unlink()
    script = f"""
import os, signal
from pathlib import Path
import paperreader.index as index_module

real = index_module._write_segment_sidecars

def interrupted(folder, segment):
    os.kill(os.getpid(), signal.SIGINT)  # what Ctrl+C sends to every process of the group
    real(folder, segment)

index_module._write_segment_sidecars = interrupted
index_module._write_sidecars(Path({str(tmp_path / "data" / INDEX_NAME)!r}), procs=2)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert len(_side_segments(tmp_path / "data" / INDEX_NAME)) >= 2
