"""The page's own signals: upvotes per appearance, momentum, the day percentile."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from paperreader import signals
from paperreader.models import ParsedPaper
from paperreader.store import SCHEMA_VERSION, Store
from paperreader.text import paper_id


def parsed(title: str, *days: str, upvotes: int | None = None, abstract: str = "An abstract.") -> ParsedPaper:
    return ParsedPaper(paper_id(title), title, abstract, tuple(dt.date.fromisoformat(d) for d in days), upvotes=upvotes)


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "library.sqlite3") as s:
        yield s


def history(store: Store, title: str) -> list[tuple[str, int | None]]:
    return [(day.isoformat(), up) for day, up in store.upvote_history([paper_id(title)])[paper_id(title)]]


def test_each_appearance_keeps_its_own_upvotes_across_imports(store: Store) -> None:
    store.add([parsed("Sparse Experts", "2025-11-12", upvotes=91)], sha256="a", path="a.txt", warnings=0)
    store.add([parsed("Sparse Experts", "2025-11-14")], sha256="b", path="b.txt", warnings=0)  # page without figures
    store.add([parsed("Sparse Experts", "2025-11-15", upvotes=128)], sha256="c", path="c.txt", warnings=0)
    # The first page again (another file, same day): its own figure stays.
    store.add([parsed("Sparse Experts", "2025-11-12", upvotes=300)], sha256="d", path="d.txt", warnings=0)
    assert history(store, "Sparse Experts") == [("2025-11-12", 91), ("2025-11-14", None), ("2025-11-15", 128)]
    assert store.get(paper_id("Sparse Experts")).upvotes == 128
    # A later file giving the figure the first page lacked fills it in.
    store.add([parsed("Sparse Experts", "2025-11-14", upvotes=100)], sha256="e", path="e.txt", warnings=0)
    assert history(store, "Sparse Experts")[1] == ("2025-11-14", 100)
    found = signals.momenta(store, [paper_id("Sparse Experts")])[paper_id("Sparse Experts")]
    assert (found.latest, found.rise, found.since) == (128, 37, dt.date(2025, 11, 12))
    assert signals.describe_momentum(found) == "▲128, +37 since Nov 12"


def test_momentum_without_a_rise_or_without_figures() -> None:
    flat = signals.momentum([(dt.date(2025, 11, 12), 5), (dt.date(2025, 11, 13), 5)])
    assert flat is not None and not flat.rising and signals.describe_momentum(flat) == "▲5"
    assert signals.momentum([(dt.date(2025, 11, 12), None)]) is None
    assert signals.momentum([]) is None


def test_upgrade_from_a_schema_3_library(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Store.open(path) as store:
        store.add(
            [parsed("Old Paper", "2025-11-10", "2025-11-12", upvotes=40, abstract="Code: https://github.com/a/b.")],
            sha256="a", path="a.txt", warnings=0,
        )
        store.add([parsed("Other Paper", "2025-11-12")], sha256="b", path="b.txt", warnings=0)
    db = sqlite3.connect(path)  # take the library back to schema 3
    db.executescript(
        "ALTER TABLE appearances DROP COLUMN upvotes; ALTER TABLE papers DROP COLUMN links;"
        "UPDATE meta SET value = '3' WHERE key = 'schema_version';"
    )
    db.close()
    with Store.open(path) as store:
        assert store._meta("schema_version") == str(SCHEMA_VERSION) == "4"
        # The current figure goes on the newest (meta_digest) appearance; older ones are not known.
        assert history(store, "Old Paper") == [("2025-11-10", None), ("2025-11-12", 40)]
        assert history(store, "Other Paper") == [("2025-11-12", None)]
        assert store.get(paper_id("Old Paper")).links == ("https://github.com/a/b",)


def test_day_percentiles_share_ties_and_put_unknown_last(store: Store) -> None:
    day = "2025-11-12"
    figures = {"A": 50, "B": 50, "C": 10, "D": 3, "E": None}
    store.add([parsed(t, day, upvotes=u) for t, u in figures.items()], sha256="a", path="a.txt", warnings=0)
    store.add([parsed("Elsewhere", "2025-11-13", upvotes=999)], sha256="b", path="b.txt", warnings=0)
    got = signals.day_percentiles(store, dt.date.fromisoformat(day))
    assert got == {paper_id("A"): 1.0, paper_id("B"): 1.0, paper_id("C"): 0.6, paper_id("D"): 0.4, paper_id("E"): 0.0}
    tops = signals.day_tops(store, dt.date.fromisoformat(day))
    assert tops == {paper_id("A"): 0.4, paper_id("B"): 0.4, paper_id("C"): 0.6, paper_id("D"): 0.8}
    assert signals.describe_top(tops[paper_id("A")], dt.date.fromisoformat(day)) == "top 40% of Nov 12"
    assert signals.describe_top(0.05, dt.date(2025, 11, 12)) == "top 5% of Nov 12"
    assert signals.day_percentiles(store, dt.date(2020, 1, 1)) == {}


def test_forget_and_its_undo_keep_each_appearances_upvotes(store: Store) -> None:
    store.add(
        [parsed("Shared Paper", "2025-11-12", upvotes=10), parsed("Only Here", "2025-11-12", upvotes=7)],
        sha256="a", path="a.txt", warnings=0,
    )
    store.add([parsed("Shared Paper", "2025-11-13", upvotes=25)], sha256="b", path="b.txt", warnings=0)
    before = store._db.execute("SELECT * FROM appearances ORDER BY paper_id, digest").fetchall()
    journal = store.journal
    done = journal.forget(journal.find_import("1"))
    assert done.removed == [paper_id("Only Here")] and history(store, "Shared Paper") == [("2025-11-13", 25)]
    journal.undo()
    assert store._db.execute("SELECT * FROM appearances ORDER BY paper_id, digest").fetchall() == before
    assert history(store, "Shared Paper") == [("2025-11-12", 10), ("2025-11-13", 25)]
    assert history(store, "Only Here") == [("2025-11-12", 7)]
    assert journal.redo().message().startswith("Redone: forgot a.txt")
    assert history(store, "Shared Paper") == [("2025-11-13", 25)] and store.get(paper_id("Only Here")) is None


@pytest.mark.parametrize(("bookmarked", "then"), [("2025-11-13", 91), ("2025-11-15", 128), ("2025-11-01", 91)])
def test_exports_give_the_upvotes_when_bookmarked_not_todays(tmp_path: Path, bookmarked: str, then: int) -> None:
    """Issue 15: the provenance is the figure of the newest page on or before the bookmark (else the earliest)."""
    import json

    import yaml

    from paperreader.exports import to_csljson, to_json, to_markdown, to_ris, write_notes

    with Store.open(tmp_path / "library.sqlite3") as store:
        store.add([parsed("Kept Paper", "2025-11-12", upvotes=91)], sha256="a", path="a.txt", warnings=0)
        store.add([parsed("Kept Paper", "2025-11-15", upvotes=128)], sha256="b", path="b.txt", warnings=0)
        store.add([parsed("Kept Paper", "2025-11-20", upvotes=300)], sha256="c", path="c.txt", warnings=0)
        store.set_state([paper_id("Kept Paper")], bookmarked=True)
        store._db.execute("UPDATE papers SET bookmarked_at = ?", (f"{bookmarked}T20:00:00.000Z",))  # as if then
        (paper,) = store.papers()
    assert paper.upvotes == 300 and paper.bookmark_upvotes == then
    said = f"bookmarked {bookmarked} at {then} upvotes"
    assert said in to_markdown([paper]) and said in to_ris([paper]) and said in json.loads(to_csljson([paper]))[0]["note"]
    assert json.loads(to_json([paper]))[0]["upvotes_when_bookmarked"] == then
    write_notes(tmp_path / "notes", [paper])
    (note,) = (tmp_path / "notes").iterdir()
    front = yaml.safe_load(note.read_text("utf-8").split("---\n")[1])
    assert front["upvotes"] == 300 and front["upvotes_when_bookmarked"] == then


def test_exports_carry_the_links(tmp_path: Path) -> None:
    import json

    import yaml

    from paperreader.exports import to_csljson, to_json, to_markdown, write_notes

    abstract = "Code: https://github.com/a/b_c. Project page https://x.org/p?q=1&r=2 and javascript:alert(1)."
    with Store.open(tmp_path / "library.sqlite3") as store:
        store.add([parsed("Linked Paper", "2025-11-12", abstract=abstract)], sha256="a", path="a.txt", warnings=0)
        (paper,) = store.papers()
    links = ["https://github.com/a/b_c", "https://x.org/p?q=1&r=2"]
    assert json.loads(to_json([paper]))[0]["links"] == links
    assert "links: https://github.com/a/b_c https://x.org/p?q=1&r=2" in json.loads(to_csljson([paper]))[0]["note"]
    assert "Links: <https://github.com/a/b_c> · <https://x.org/p?q=1&r=2>" in to_markdown([paper])
    write_notes(tmp_path / "notes", [paper])
    (note,) = (tmp_path / "notes").iterdir()
    assert yaml.safe_load(note.read_text("utf-8").split("---\n")[1])["links"] == links


def test_a_paper_on_several_days_of_one_file_has_only_the_newest_pages_figure(store: Store) -> None:
    """Pasted pages (or a backup) give a paper several days but one figure, the newest page's."""
    store.add([parsed("Pasted Paper", "2025-11-12", "2025-11-14", upvotes=60)], sha256="a", path="a.txt", warnings=0)
    assert history(store, "Pasted Paper") == [("2025-11-12", None), ("2025-11-14", 60)]
    found = signals.momenta(store, [paper_id("Pasted Paper")])[paper_id("Pasted Paper")]
    assert (found.latest, found.rise) == (60, 0)  # no rise made up from one figure
