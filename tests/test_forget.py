"""Taking an import back: ``imports`` lists the files, ``forget`` removes what one added, undo puts it back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.journal import JournalError
from paperreader.library import Library
from paperreader.text import paper_id

from .digests import MONDAY, TUESDAY, P, abstract, page, write

DAY = dt.date(2025, 3, 12)
_TUESDAY_IDS = {paper_id(t.title) for t in TUESDAY}  # the same paper may be spelt in another case
ONLY_MONDAY = [p for p in MONDAY if paper_id(p.title) not in _TUESDAY_IDS]
BOTH = [p for p in MONDAY if paper_id(p.title) in _TUESDAY_IDS]


def cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    assert ONLY_MONDAY and BOTH  # the sample days share a paper
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "tue.txt", page("Mar 11", TUESDAY))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "mon.txt", tmp_path / "tue.txt"], date=DAY)
    return tmp_path / "data"


def everything(library: Library) -> tuple[object, ...]:
    """The whole library as comparable values: papers with content, state and days; files."""
    papers = tuple(
        (p.id, p.title, p.abstract, p.digests, p.read, p.bookmarked, p.tags, p.note) for p in library.store.papers(order="title")
    )
    files = tuple((r.number, r.path, r.digests) for r in library.store.journal.imports())
    appearances = tuple(library.store._db.execute("SELECT * FROM appearances ORDER BY paper_id, digest").fetchall())
    return papers, files, tuple(tuple(row) for row in appearances)


def test_imports_lists_the_files(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path) -> None:
    status, out, _ = cli(capsys, data, "imports")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 2
    assert lines[0].split()[0] == "#1" and lines[0].endswith(f"2025-03-10  {tmp_path / 'mon.txt'}")
    assert f"{len(MONDAY)} papers ({len(MONDAY)} new)" in lines[0]
    assert f"({len(TUESDAY) - len(BOTH)} new)" in lines[1]
    status, out, _ = cli(capsys, data, "imports", "--json")
    shown = json.loads(out)
    assert [r["number"] for r in shown] == [1, 2] and shown[1]["digests"] == ["2025-03-11"]
    assert set(shown[0]) == {"number", "path", "sha256", "imported_at", "papers", "new", "digests"}


def test_forget_removes_what_one_import_added_and_undo_puts_it_back(data: Path) -> None:
    with Library(data) as library:
        store, journal = library.store, library.store.journal
        shared = paper_id(BOTH[0].title)
        mine = [paper_id(p.title) for p in ONLY_MONDAY]
        store.set_state(mine[:1], read=True)  # read is not a reason to keep a paper
        store.set_tags([shared], add=["keep"])
        library.index()  # the index is open: it must lose the forgotten papers
        before = everything(library)
        done = journal.forget(journal.find_import("1"))
        assert sorted(done.removed) == sorted(mine) and done.shared == [shared] and done.kept == []
        assert store.get_many(mine) == {}
        assert store.get(shared).digests == (dt.date(2025, 3, 11),)  # Monday's day went with Monday's file
        assert store.get(shared).tags == ("keep",)
        assert [r.number for r in journal.imports()] == [2]
        library.update_index()
        assert not {h.id for h in library.search(f'"{ONLY_MONDAY[0].title}"').hits} & set(mine)
        assert library.index().doc_count() == store.count()
        label = f"forgot mon.txt ({len(mine)} papers taken out, 1 kept: also in another import)"
        assert journal.actions(limit=1)[0].label == label
        assert journal.actions(limit=1)[0].papers == len(mine) + 1  # the history's figure: both counts of the label
        # Undo puts back everything: papers with their state, the day, the file's record.
        assert journal.undo().message() == f"Undone: {label}"
        assert everything(library) == before
        library.update_index()
        assert library.index().doc_count() == store.count()
        assert {h.id for h in library.search(f'"{ONLY_MONDAY[0].title}"').hits} >= {mine[0]}
        assert journal.redo().message().startswith("Redone: forgot mon.txt")
        assert store.get_many(mine) == {} and [r.number for r in journal.imports()] == [2]


def test_bookmarked_tagged_annotated_papers_are_kept_unless_forced(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    mine = [paper_id(p.title) for p in ONLY_MONDAY]
    with Library(data) as library:
        library.store.set_state(mine[:1], bookmarked=True)
        library.store.set_note(mine[1], "my note")
    status, out, _ = cli(capsys, data, "forget", str(tmp_path / "mon.txt"))
    lines = out.splitlines()
    assert status == 0 and lines[0].startswith(f"Forgot #1 {tmp_path / 'mon.txt'}: {len(mine) - 2} papers taken out; ")
    assert "1 paper stays, brought by another import too" in lines[0]
    assert "2 papers kept: you bookmarked, tagged or annotated them (--force takes them out too)" in lines[0]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(mine[:2])
    with Library(data) as library:
        assert set(library.store.get_many(mine)) == set(mine[:2])
        assert library.store.get(mine[0]).digests == (dt.date(2025, 3, 10),)  # kept with its day
    # The file can be imported again (its record went), and then forgotten with --force.
    with Library(data) as library:
        (report,) = library.import_paths([tmp_path / "mon.txt"], date=DAY)
        assert not report.already_imported and report.new == len(mine) - 2
    status, out, _ = cli(capsys, data, "forget", "3", "--force")
    assert status == 0 and f"{len(mine)} papers taken out" in out
    with Library(data) as library:
        assert library.store.get_many(mine) == {}


def test_a_paper_a_backup_brought_stays(data: Path, tmp_path: Path) -> None:
    with Library(data) as library:
        with (tmp_path / "backup.json").open("w") as handle:
            library.write_backup(handle)
    other = tmp_path / "other"
    extra = P("A Paper Only The Digest Has", "Its abstract, long enough to be an abstract of a paper. " * 3)
    write(tmp_path / "wed.txt", page("Mar 10", [*MONDAY, extra]))
    with Library(other) as library:
        library.import_paths([tmp_path / "backup.json"])
        library.import_paths([tmp_path / "wed.txt"], date=DAY)
        done = library.store.journal.forget(library.store.journal.find_import(str(tmp_path / "wed.txt")))
        assert done.removed == [paper_id(extra.title)]
        assert library.store.count() == len({paper_id(p.title) for p in MONDAY + TUESDAY})


def test_forget_names_the_import_clearly(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path) -> None:
    status, _, err = cli(capsys, data, "forget", "7")
    assert status == 1 and err == "paperreader: 7: no such import (paperreader imports lists them)\n"
    status, _, err = cli(capsys, data, "forget", str(tmp_path / "nope.txt"))
    assert status == 1 and "no such import" in err
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY[:1]))  # the same path, other content: a second import
    with Library(data) as library:
        library.import_paths([tmp_path / "mon.txt"], date=DAY)
        with pytest.raises(JournalError, match=r"imported 2 times \(#1, #3\); give the number"):
            library.store.journal.find_import(str(tmp_path / "mon.txt"))
    with Library(data) as library:
        assert library.store.count() == len({paper_id(p.title) for p in MONDAY + TUESDAY})


def test_forget_an_import_from_before_the_journal(data: Path) -> None:
    """Files imported by an older paperreader have no journal records: their appearances tell."""
    with Library(data) as library:
        db = library.store._db
        db.execute("DELETE FROM changes WHERE action IN (SELECT id FROM actions WHERE kind = 'import')")
        db.execute("DELETE FROM actions")
        done = library.store.journal.forget(library.store.journal.find_import("#1"))
        assert sorted(done.removed) == sorted(paper_id(p.title) for p in ONLY_MONDAY)
        assert done.shared == [paper_id(BOTH[0].title)]  # Tuesday's file brought it too
        shared = library.store.get(paper_id(BOTH[0].title))
        assert shared is not None and shared.digests == (dt.date(2025, 3, 11),)


def test_papers_imported_after_a_forget_are_announced_as_new(data: Path, tmp_path: Path) -> None:
    """A forget takes out the newest papers; the next import's papers are still "new" to a reader's mark.

    SQLite gives a new row the largest rowid plus one, so after the newest
    papers were taken out the next ones would reuse their rowids, and a mark
    kept from before (the reader's) would miss them.
    """
    fresh = [P(f"Wednesday paper number {n}", abstract(f"wednesday topic {n}")) for n in range(2)]
    write(tmp_path / "wed.txt", page("Mar 12", fresh))
    with Library(data) as library:
        store = library.store
        mark = store.last_added()
        tuesday = store.journal.find_import("2")
        forgotten = store.journal.forget(tuesday)
        assert len(forgotten.removed) >= len(fresh)  # the newest rows are gone
        assert store.added_after(mark) == (0, [])
        library.import_paths([tmp_path / "wed.txt"], date=DAY)
        assert store.added_after(mark) == (len(fresh), [dt.date(2025, 3, 12)])
        assert store.added_after(store.last_added()) == (0, [])


def test_undoing_a_forget_puts_back_citation_keys_and_export_records(data: Path) -> None:
    """A LaTeX document cites the key: the paper that comes back must have the same one, pinned or not."""
    with Library(data) as library:
        store, journal = library.store, library.store.journal
        mine = [paper_id(p.title) for p in ONLY_MONDAY]
        chosen = store.ensure_keys(mine)
        store.pin_key(mine[0], "myfavourite2025")
        store.record_export("/tmp/reading.bib", mine)
        keys_before = store._db.execute("SELECT * FROM cite_keys ORDER BY paper_id").fetchall()
        exported_before = store._db.execute("SELECT * FROM exported ORDER BY paper_id").fetchall()
        journal.forget(journal.find_import("1"))
        assert store.keys(mine) == {}  # the export records stay (they name no paper row): nothing to put back
        journal.undo()
        assert store.keys(mine) == {**chosen, mine[0]: "myfavourite2025"}
        assert store._db.execute("SELECT * FROM cite_keys ORDER BY paper_id").fetchall() == keys_before
        assert store._db.execute("SELECT * FROM exported ORDER BY paper_id").fetchall() == exported_before
        journal.redo()
        assert store.keys(mine) == {}
