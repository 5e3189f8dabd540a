"""Undo and redo from the journal: field-exact, across restarts, between the reader and the CLI."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.library import Library
from paperreader.models import ParsedPaper, SavedView
from paperreader.store import Store
from paperreader.text import paper_id

from .digests import MONDAY, TUESDAY, page, write
from paperreader.tui.annotate import NoteScreen

from .tui_helpers import make_app, settle


@pytest.fixture
def data(tmp_path: Path) -> Path:
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "tue.txt", page("Mar 11", TUESDAY))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "mon.txt", tmp_path / "tue.txt"], date=dt.date(2025, 3, 12))
    return tmp_path / "data"


def cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_undo_and_redo_every_kind_of_change(data: Path) -> None:
    with Library(data) as library:
        store, journal = library.store, library.store.journal
        a, b = store.ids()[:2]
        store.set_state([a, b], read=True)
        store.set_state([a], bookmarked=True)
        store.set_tags([a], add=["rl"])
        store.set_note(b, "a note")
        store.save_view(SavedView("RL", "rl", "unread"))
        store.delete_view("RL")
        assert journal.undo().message() == "Undone: deleted the view 'RL'"
        assert [v.name for v in store.views()] == ["RL"]
        assert journal.undo().message() == "Undone: saved the view 'RL'" and store.views() == []
        title_a, title_b = store.get(a).title, store.get(b).title  # an action on one paper names it
        assert journal.undo().message() == f'Undone: wrote a note "{title_b}"' and store.get(b).note == ""
        assert journal.undo().message() == f'Undone: tagged rl "{title_a}"' and store.get(a).tags == ()
        assert journal.undo().message() == f'Undone: bookmarked "{title_a}"' and not store.get(a).bookmarked
        assert journal.undo().message() == "Undone: marked 2 papers read" and store.count("read") == 0
        assert journal.undo().message() == "Nothing to undo."  # imports are not undone (forget is)
        assert store.count() == len({*map(paper_id, [p.title for p in MONDAY + TUESDAY])})
        # Redo, newest undo first, until a new action is made.
        assert journal.redo().message() == "Redone: marked 2 papers read" and store.count("read") == 2
        assert journal.redo().message() == f'Redone: bookmarked "{title_a}"' and store.get(a).bookmarked
        store.set_state([b], bookmarked=True)
        assert journal.redo().message() == "Nothing to redo."
        assert journal.undo().message() == f'Undone: bookmarked "{title_b}"' and not store.get(b).bookmarked
        assert journal.undo().message() == f'Undone: bookmarked "{title_a}"' and not store.get(a).bookmarked  # the redo
        assert [action.kind for action in journal.actions(limit=3)] == ["undo", "undo", "change"]


def test_undo_is_field_exact(data: Path) -> None:
    """Undo puts back only fields that still hold what the action set, and says what it left."""
    with Library(data) as library:
        store = library.store
        ids = store.ids()
        store.set_state(ids, read=True)
        store.set_tags(ids[:2], add=["rl", "moe"])
        # Someone else (a synced device) changes one paper's read mark and one tag since.
        store._db.execute("UPDATE papers SET read = 0 WHERE id = ?", (ids[0],))
        store._db.execute("DELETE FROM tags WHERE paper_id = ? AND tag = 'moe'", (ids[1],))
        store._db.execute("INSERT INTO tags VALUES (?, 'zzz')", (ids[1],))
        outcome = store.journal.undo()
        assert outcome.message() == "Undone: tagged rl, moe (2 papers) (1 paper changed since, left as it is)"
        assert store.get(ids[0]).tags == () and store.get(ids[1]).tags == ("zzz",)
        store._db.execute("UPDATE papers SET bookmarked = 1 WHERE id = ?", (ids[2],))  # not a field A set
        store._db.execute("UPDATE papers SET read = 0 WHERE id = ?", (ids[3],))
        store._db.execute("UPDATE papers SET read = 1 WHERE id = ?", (ids[0],))  # back to what A set
        outcome = store.journal.undo()
        assert outcome.message() == f"Undone: marked {len(ids)} papers read (1 paper changed since, left as it is)"
        assert store.count("read") == 0 and store.get(ids[2]).bookmarked  # ids[0], set back to read, is undone
        # A note edited elsewhere since is left as it is, and the line says so.
        store.set_note(ids[0], "mine")
        store._db.execute("UPDATE papers SET note = 'theirs' WHERE id = ?", (ids[0],))
        outcome = store.journal.undo()
        assert outcome.message() == (
            f'Nothing undone: wrote a note "{store.get(ids[0]).title}" (1 paper changed since, left as it is)'
        )
        assert store.get(ids[0]).note == "theirs"
        assert store.journal.undoable() is None  # still taken off the list: u goes on to older actions
        store._db.execute("UPDATE papers SET bookmarked = 0")
        store.set_state(ids[:3], bookmarked=True)
        store._db.execute("UPDATE papers SET bookmarked = 0 WHERE id = ?", (ids[0],))
        assert store.journal.undo().message() == "Undone: bookmarked 3 papers (1 paper changed since, left as it is)"
        assert store.count("bookmarked") == 0


def test_undo_message_counts_papers_left_as_they_are(data: Path) -> None:
    with Library(data) as library:
        store = library.store
        ids = store.ids()
        store.set_state(ids, read=True)
        store._db.execute("UPDATE papers SET read = 0 WHERE id IN (?, ?)", tuple(ids[:2]))  # another device
        assert store.journal.undo().message() == (
            f"Undone: marked {len(ids)} papers read (2 papers changed since, left as they are)"
        )
        store.set_state(ids[:1], read=True)
        store._db.execute("UPDATE papers SET read = 0 WHERE id = ?", (ids[0],))
        store._db.execute("UPDATE papers SET read = 1 WHERE id = ?", (ids[0],))
        store._db.execute("UPDATE papers SET note = 'x'")  # not a field the action set
        assert store.journal.undo().message() == f'Undone: marked read "{store.get(ids[0]).title}"'


def test_undo_survives_a_restart(data: Path) -> None:
    with Library(data) as library:
        first = library.store.ids()[0]
        library.store.set_state([first], bookmarked=True)
    with Library(data) as library:
        title = library.store.get(first).title
        assert library.store.journal.undo().message() == f'Undone: bookmarked "{title}"'
        assert not library.store.get(first).bookmarked
    with Library(data) as library:
        assert library.store.journal.redo().message() == f'Redone: bookmarked "{title}"'
        assert library.store.get(first).bookmarked


def test_cli_undo_and_redo(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    with Library(data) as library:
        first = library.store.ids()[0]
        title = library.store.get(first).title
    assert cli(capsys, data, "mark", "read", first)[0] == 0
    assert cli(capsys, data, "tag", "add", "rl,agents", first)[0] == 0
    assert cli(capsys, data, "undo") == (0, f'Undone: tagged rl, agents "{title}"\n', "")
    assert cli(capsys, data, "undo") == (0, f'Undone: marked read "{title}"\n', "")
    assert cli(capsys, data, "undo") == (1, "", "paperreader: nothing to undo\n")
    assert cli(capsys, data, "redo") == (0, f'Redone: marked read "{title}"\n', "")
    with Library(data) as library:
        assert library.store.get(first).read and library.store.get(first).tags == ()
    assert cli(capsys, data, "mark", "bookmark", first)[0] == 0
    assert cli(capsys, data, "redo") == (1, "", "paperreader: nothing to redo\n")
    status, out, err = cli(capsys, data.parent / "nowhere", "undo")
    assert status == 1 and "no library here" in err and not (data.parent / "nowhere").exists()


async def test_reader_undoes_a_cli_change_and_the_cli_the_reader_s(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """The trial of the issue: read in the reader, bookmarked from the CLI, u in the reader."""
    app = make_app(data)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        current = app.query_one("#papers").current_id
        await pilot.press("r")  # the reader marks it read
        await settle(pilot)
        assert main(["--data-dir", str(data), "mark", "bookmark", current]) == 0  # the CLI bookmarks it
        await pilot.press("u")  # the newest action of this device: the CLI's bookmark
        await settle(pilot)
        assert notes[-1] == f'Undone: bookmarked "{app.rows[current].title}"'  # which paper, not only what
        with Library(data) as library:
            paper = library.store.get(current)
            assert paper.read and not paper.bookmarked  # the read mark stays
        assert not app.rows[current].bookmarked and app.rows[current].read
        await pilot.press("ctrl+y")  # redo
        await settle(pilot)
        assert app.rows[current].bookmarked and app.counts.bookmarked == 1
        await pilot.press("b")  # the reader takes the bookmark off again
        await settle(pilot)
    capsys.readouterr()
    title = app.rows[current].title
    assert cli(capsys, data, "undo") == (0, f'Undone: removed bookmark "{title}"\n', "")  # the reader's b
    assert cli(capsys, data, "undo") == (0, f'Undone: bookmarked "{title}"\n', "")  # the reader's redo of the CLI's mark
    with Library(data) as library:
        assert library.store.get(current).read and not library.store.get(current).bookmarked
    assert cli(capsys, data, "undo") == (0, f'Undone: marked read "{title}"\n', "")  # the reader's r


def test_undo_names_the_one_paper_shortened_and_printable(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """A title is untrusted: no escape reaches the terminal, and a long one is shortened."""
    with Library(data) as library:
        first, second = library.store.ids()[:2]
        title = "Red\x1b[31m Tokens\x1b]0;owned\x07 " + "and more words " * 6
        library.store._db.execute("UPDATE papers SET title = ? WHERE id = ?", (title, first))
    cli(capsys, data, "mark", "bookmark", first)
    status, out, _ = cli(capsys, data, "undo")
    assert status == 0 and "\x1b" not in out and "\x07" not in out
    assert out.startswith('Undone: bookmarked "Red?[31m Tokens?]0;owned? and more words') and out.endswith('…"\n')
    assert len(out.split('"')[1]) == 48
    cli(capsys, data, "mark", "bookmark", first, second)  # two papers: counted, not named
    assert cli(capsys, data, "undo")[1] == "Undone: bookmarked 2 papers\n"


async def test_reader_says_what_undo_left_alone(data: Path) -> None:
    app = make_app(data)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        current = app.query_one("#papers").current_id
        await pilot.press("r")
        await settle(pilot)
        with Store.open(data / "library.sqlite3") as other:  # a synced device marks it unread, then read
            other._db.execute("UPDATE papers SET read = 0 WHERE id = ?", (current,))
            other._db.execute("UPDATE papers SET note = 'theirs' WHERE id = ?", (current,))
        await pilot.press("u")
        await settle(pilot)
        title = app.rows[current].title
        assert notes[-1] == f'Nothing undone: marked read "{title}" (1 paper changed since, left as it is)'
        await pilot.press("N")  # write a note, which another device changes too
        for _ in range(4):  # let the dialog open (settle would wait for the worker awaiting it)
            await pilot.pause(0.05)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"mine", "ctrl+s")
        await settle(pilot)
        with Store.open(data / "library.sqlite3") as other:
            other._db.execute("UPDATE papers SET note = 'theirs again' WHERE id = ?", (current,))
        await pilot.press("u")
        await settle(pilot)
        assert notes[-1] == f'Nothing undone: edited the note "{title}" (1 paper changed since, left as it is)'
        await pilot.press("u", "u")
        await settle(pilot)
        assert notes[-1] == "Nothing to undo."


# -- kill -9 in the middle of marking 20,000 papers read ------------------------------------------

_MARK_ALL = """
import sys
from pathlib import Path
from paperreader.store import Store
store = Store.open(Path(sys.argv[1]))
ids = store.ids()
print("ready", flush=True)
for turn in range(1000):
    store.set_state(ids, read=turn % 2 == 0)  # A, then its opposite: each one transaction
"""


def _consistent(path: Path, count: int) -> tuple[int, int]:
    """State and journal agree: every paper's read mark is the newest journaled value for it."""
    with Store.open(path) as store:
        assert store.integrity_check() == []
        read = store.count("read")
        assert read in (0, count)  # the whole A or none of it
        rows = store._db.execute(
            "SELECT a.id, a.papers, count(c.action) FROM actions a JOIN changes c ON c.action = a.id "
            "WHERE a.kind = 'change' GROUP BY a.id"
        ).fetchall()
        assert all(papers == changes == count for _, papers, changes in rows)  # no half-recorded action
        last = store._db.execute(
            "SELECT c.new FROM changes c WHERE c.field = 'read' ORDER BY c.action DESC LIMIT 1"
        ).fetchone()
        assert (last[0] if last else "0") == ("1" if read else "0")
        return read, len(rows)


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_kill_during_mark_all_on_20000_papers(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    count = 20_000
    with Store.open(path) as store:
        day = dt.date(2025, 3, 10)
        papers = [ParsedPaper(paper_id(f"Paper {n}"), f"Paper {n}", "An abstract.", (day,)) for n in range(count)]
        store.add(papers, sha256="synthetic", path="synthetic.txt", warnings=0)
    rng = random.Random(11)
    actions = [0]
    for _ in range(6):
        process = subprocess.Popen([sys.executable, "-c", _MARK_ALL, str(path)], stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        # Once it has committed one A of its own, kill it at a random moment of the next ones.
        deadline = time.monotonic() + 60
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            while db.execute("SELECT count(*) FROM actions WHERE kind = 'change'").fetchone()[0] <= actions[-1]:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        actions.append(_consistent(path, count)[1])
    assert actions == sorted(set(actions))  # every run added whole actions, none half
    # The library still works, and undo takes back exactly the last whole A.
    with Store.open(path) as store:
        read = store.count("read")
        assert store.journal.undo().target is not None
        assert store.count("read") == count - read
