"""The SQLite store: identity across digests, state, atomicity, damaged files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from paperreader.models import ParsedPaper
from paperreader.store import Store, StoreError
from paperreader.text import paper_id


def parsed(title: str, day: str, upvotes: int | None = None, abstract: str = "An abstract.") -> ParsedPaper:
    return ParsedPaper(paper_id(title), title, abstract, (dt.date.fromisoformat(day),), upvotes=upvotes)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "library.sqlite3") as s:
        yield s


def test_wal_and_full_sync(store: Store) -> None:
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_same_paper_in_two_digests(store: Store) -> None:
    a = store.add([parsed("Sparse Experts", "2025-03-10", upvotes=1)], sha256="a", path="a.txt", warnings=0)
    b = store.add([parsed("sparse   experts!", "2025-03-11", upvotes=5)], sha256="b", path="b.txt", warnings=0)
    assert len(a.new) == 1 and b.new == [] and b.known == a.new and b.updated == a.new
    (paper,) = store.papers()
    assert paper.digests == (dt.date(2025, 3, 10), dt.date(2025, 3, 11))
    assert paper.upvotes == 5  # newer metadata wins
    assert store.stats().papers == 1 and store.stats().digests == 2


def test_known_paper_keeps_its_words(store: Store) -> None:
    store.add([parsed("Sparse Experts", "2025-03-10", abstract="First words.")], sha256="a", path="a", warnings=0)
    store.add([parsed("SPARSE experts", "2025-03-11", upvotes=3, abstract="Other words.")], sha256="b", path="b", warnings=0)
    (paper,) = store.papers()
    assert (paper.title, paper.abstract, paper.upvotes) == ("Sparse Experts", "First words.", 3)


def test_older_digest_does_not_override_newer_metadata(store: Store) -> None:
    store.add([parsed("Sparse Experts", "2025-03-11", upvotes=5)], sha256="b", path="b", warnings=0)
    store.add([parsed("Sparse Experts", "2025-03-10", upvotes=1, abstract="Old.")], sha256="a", path="a", warnings=0)
    (paper,) = store.papers()
    assert paper.upvotes == 5 and paper.abstract == "An abstract."
    assert paper.digests == (dt.date(2025, 3, 10), dt.date(2025, 3, 11))


def test_missing_metadata_does_not_erase_known_metadata(store: Store) -> None:
    store.add([parsed("Sparse Experts", "2025-03-10", upvotes=5)], sha256="a", path="a", warnings=0)
    store.add([parsed("Sparse Experts", "2025-03-11", upvotes=None)], sha256="b", path="b", warnings=0)
    assert store.papers()[0].upvotes == 5


def test_rev_grows_only_with_content_changes(store: Store) -> None:
    store.add([parsed("One", "2025-03-10")], sha256="a", path="a", warnings=0)
    rev = store.rev
    store.set_state([paper_id("One")], read=True)
    assert store.rev == rev  # state is not indexed
    store.add([parsed("Two", "2025-03-11")], sha256="b", path="b", warnings=0)
    assert store.rev == rev + 1
    assert [p.title for p in store.changed_since(rev)] == ["Two"]


def test_state_and_undo(store: Store) -> None:
    store.add([parsed(t, "2025-03-10") for t in ("One", "Two", "Three")], sha256="a", path="a", warnings=0)
    ids = store.ids()
    before = store.set_state(ids, read=True)
    assert store.count("unread") == 0 and all(p.read_at for p in store.papers())
    store.restore_state(before)
    assert store.count("unread") == 3 and all(p.read_at is None for p in store.papers())
    store.set_state(ids[:1], bookmarked=True)
    assert store.ids("bookmarked") == ids[:1]


def test_state_survives_reopen(tmp_path: Path) -> None:
    with Store.open(tmp_path / "db") as store:
        store.add([parsed("One", "2025-03-10")], sha256="a", path="a", warnings=0)
        store.set_state([paper_id("One")], bookmarked=True)
    with Store.open(tmp_path / "db") as store:
        assert store.get(paper_id("One")).bookmarked


def test_add_is_all_or_nothing(store: Store) -> None:
    store.add([parsed("One", "2025-03-10")], sha256="a", path="a", warnings=0)
    bad = [parsed("Two", "2025-03-11"), ParsedPaper("x", None, "abstract", (dt.date(2025, 3, 11),))]  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        store.add(bad, sha256="b", path="b", warnings=0)
    assert [p.title for p in store.papers()] == ["One"]
    assert store.source("b") is None and store.stats().sources == 1


def test_resolve_ids_and_prefixes(store: Store) -> None:
    store.add([parsed(t, "2025-03-10") for t in ("One", "Two")], sha256="a", path="a", warnings=0)
    one = paper_id("One")
    ids, unknown, ambiguous = store.resolve([one, one[:5].upper(), "zzzz", "ab", "ffffffff00"])
    assert ids == [one, one] and unknown == ["zzzz", "ab", "ffffffff00"] and ambiguous == []


def test_sorts(store: Store) -> None:
    store.add([parsed("Old", "2025-03-10", upvotes=9)], sha256="a", path="a", warnings=0)
    store.add([parsed("New", "2025-03-11", upvotes=1), parsed("Alpha", "2025-03-11")], sha256="b", path="b", warnings=0)
    assert [p.title for p in store.papers()][0] in ("New", "Alpha")
    assert [p.title for p in store.papers(order="upvotes")] == ["Old", "New", "Alpha"]
    assert [p.title for p in store.papers(order="title")] == ["Alpha", "New", "Old"]
    assert [p.title for p in store.papers(digest=dt.date(2025, 3, 10))] == ["Old"]


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_damaged_database_is_an_error_not_an_empty_library(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "library.sqlite3"
    path.write_bytes(content)
    with pytest.raises(StoreError) as error:
        Store.open(path)
    assert str(path) in str(error.value) and "Restore" in str(error.value)
    assert path.read_bytes() == content  # never replaced
