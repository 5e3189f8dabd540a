"""The history of actions, and going back to a moment: in the core, the CLI and the reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from textual.widgets import OptionList

from paperreader.cli import main
from paperreader.journal import JournalError, parse_moment
from paperreader.library import Library
from paperreader.models import SavedView
from paperreader.tui.history import HistoryScreen
from paperreader.tui.screens import ConfirmScreen

from .digests import MONDAY, TUESDAY, page, write
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


def state(library: Library) -> tuple[object, ...]:
    papers = library.store.papers(order="title")
    return tuple((p.id, p.read, p.bookmarked, p.tags, p.note) for p in papers), tuple(
        (v.name, v.query, v.state, v.digest) for v in library.store.views()
    )


def test_parse_moment() -> None:
    assert parse_moment("12") == 12 and parse_moment("#7") == 7
    when = parse_moment("2026-11-28 18:00")
    assert isinstance(when, dt.datetime) and when.tzinfo is not None and when.hour == 18
    assert parse_moment("2026-11-28T18:00Z") == dt.datetime(2026, 11, 28, 18, tzinfo=dt.timezone.utc)
    with pytest.raises(JournalError, match="not a time"):
        parse_moment("yesterday")


def test_going_back_to_before_an_action_is_one_undoable_action(data: Path) -> None:
    with Library(data) as library:
        store, journal = library.store, library.store.journal
        a, b, c = store.ids()[:3]
        store.set_state([a], read=True)
        mark = journal.actions(limit=1)[0].number
        before = state(library)
        store.set_state([a, b, c], bookmarked=True)
        first_change = journal.actions(limit=1)[0].number
        at_first = state(library)
        store.set_tags([b], add=["rl"])
        store.set_note(c, "note")
        store.save_view(SavedView("Mine", "x"))
        store.set_state([a], read=False)
        journal.undo()  # an undo in between is taken back like any action
        after = state(library)
        outcome = journal.undo_to(first_change)
        assert state(library) == before
        assert outcome.message() == (
            f"Went back to before #{first_change} (bookmarked 3 papers): 3 papers and 1 saved view as they were, "
            "6 actions taken back (undo reverses this)"
        )
        assert journal.actions(limit=1)[0].kind == "back" and store.get(a).read  # #mark stays done
        assert journal.undo().message().startswith(f"Undone: went back to before #{first_change}")
        assert state(library) == after
        assert journal.undo_to(first_change + 1) and state(library) == at_first
        assert journal.undo_to(mark).message().startswith(f"Went back to before #{mark} (marked read)")
        assert library.store.count("read") == 0 and store.count("bookmarked") == 0
        with pytest.raises(JournalError, match="no action #999"):
            journal.undo_to(999)


def test_going_back_to_a_time(data: Path) -> None:
    with Library(data) as library:
        store, journal = library.store, library.store.journal
        ids = store.ids()
        store.set_state(ids[:2], read=True)
        # Stamp the first action an hour ago, as if it had been made then.
        earlier = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat(timespec="milliseconds")
        store._db.execute("UPDATE actions SET at = ?", (earlier.replace("+00:00", "Z"),))
        kept = state(library)
        store.set_state(ids, bookmarked=True)
        store.set_tags(ids[:1], add=["later"])
        outcome = journal.undo_to(dt.datetime.now().astimezone() - dt.timedelta(minutes=30))
        assert state(library) == kept and outcome.message().startswith("Went back to ")
        assert "2 actions taken back" in outcome.message()
        future = journal.undo_to(dt.datetime.now().astimezone() + dt.timedelta(days=1))
        assert future.message().startswith("Nothing to take back: the state is as it was at ")
        assert future.action is None  # nothing done, nothing recorded


def test_history_cli(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    with Library(data) as library:
        first = library.store.ids()[0]
        device = library.store.device
    cli(capsys, data, "mark", "read", first)
    cli(capsys, data, "tag", "add", "x,rl", first)
    cli(capsys, data, "undo")
    status, out, _ = cli(capsys, data, "history", "--limit", "3")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 3
    assert lines[0].split()[0] == "5" and lines[0].endswith("undo: tagged x, rl")
    assert "tagged x, rl  (undone)" in lines[1] and device in lines[1] and "1 paper" in lines[1]
    assert lines[2].endswith("marked read")
    with Library(data) as library:  # a name with an escape sequence never reaches the terminal raw
        library.store.save_view(SavedView("red\x1b[31m\x1b]0;title\x07"))
    status, out, _ = cli(capsys, data, "history", "--limit", "1")
    assert "saved the view" in out and "\x1b" not in out and "\x07" not in out
    status, out, _ = cli(capsys, data, "history", "--json")
    shown = json.loads(out)[1:]
    assert [a["number"] for a in shown] == [5, 4, 3, 2, 1]
    assert shown[1] == {**shown[1], "kind": "change", "undone": True, "papers": 1, "device": device}
    assert shown[-1]["kind"] == "import" and shown[-1]["what"].startswith("imported Mar 10")
    assert cli(capsys, data, "undo", "--to", "3") == (
        0,
        "Went back to before #3 (marked read): 1 paper and 1 saved view as they were, 4 actions taken back "
        "(undo reverses this)\n",
        "",
    )
    status, _, err = cli(capsys, data, "undo", "--to", "last tuesday")
    assert status == 2 and err == "paperreader: not a time (YYYY-MM-DD HH:MM) or an action number: 'last tuesday'\n"
    status, _, err = cli(capsys, data, "undo", "--to", "#42")
    assert status == 1 and "no action #42 in the history" in err


async def test_history_screen_goes_back_to_before_the_chosen_action(data: Path) -> None:
    with Library(data) as library:
        ids = library.store.ids()
        library.store.set_state(ids[:1], read=True)
        library.store.set_state(ids, bookmarked=True)
        library.store.set_tags(ids[:2], add=["rl"])
        library.store.set_note(ids[0], "[b]not markup[/b]")
    app = make_app(data)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        for _ in range(4):  # let the screen open (settle would wait for the worker awaiting it)
            await pilot.pause(0.05)
        assert isinstance(app.screen, HistoryScreen)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "wrote a note" in shown[0] and "bookmarked" in shown[2] and "imported Mar 10" in shown[-1]
        await pilot.press("j", "j", "enter")  # the bookmarks: they, the tags and the note are taken back
        for _ in range(4):
            await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert app.counts.bookmarked == 0 and app.counts.unread == app.counts.papers - 1
        with Library(data) as library:
            assert library.store.count("bookmarked") == 0 and library.store.get(ids[0]).note == ""
            assert library.store.all_tags() == [] and library.store.get(ids[0]).read
        await pilot.press("u")  # the going back is one action: u undoes it
        await settle(pilot)
        assert app.counts.bookmarked == app.counts.papers
        await pilot.press("h")
        for _ in range(4):
            await pilot.pause(0.05)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HistoryScreen)
    with Library(data) as library:
        assert library.store.get(ids[0]).note == "[b]not markup[/b]"
