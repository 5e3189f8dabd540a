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
    assert status == 0 and len(lines) == 4
    assert lines[0].split()[0] == "5" and lines[0].endswith("undo: tagged x, rl")
    assert "tagged x, rl  (undone by #5)" in lines[1] and device in lines[1] and "1 paper" in lines[1]
    assert lines[2].endswith("marked read")
    assert lines[3] == "… 2 older actions (history --limit N)"
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


def test_history_marks_say_what_is_in_effect_now(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """An action undone then redone is in effect again; the undo is the one taken back, by the redo."""
    first = json.loads(cli(capsys, data, "list", "--json")[1])[0]["id"]
    cli(capsys, data, "mark", "read", first)  # 3
    cli(capsys, data, "undo")  # 4
    cli(capsys, data, "redo")  # 5
    status, out, _ = cli(capsys, data, "history")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 5  # every action shown: no "older" line
    assert lines[0].endswith("  marked read") and lines[0].split()[0] == "5"
    assert lines[1].endswith("undo: marked read  (taken back by redo #5)")
    assert lines[2].endswith("marked read  (undone, then redone by #5)")
    shown = {entry["number"]: entry for entry in json.loads(cli(capsys, data, "history", "--json")[1])}
    assert shown[3]["undone"] is False and shown[4]["undone"] is False
    cli(capsys, data, "undo")  # 6: takes back the redo, so #3 is taken back again and the undo #4 holds again
    lines = cli(capsys, data, "history", "--limit", "4")[1].splitlines()
    assert lines[0].endswith("undo: marked read")
    assert lines[1].endswith("marked read  (undone by #6)")
    assert lines[2].endswith("undo: marked read  (redo #5 undone by #6)")
    assert lines[3].endswith("marked read  (undone again by #6)")
    assert json.loads(cli(capsys, data, "history", "--json")[1])[-3]["undone"] is True


async def test_history_screen_fits_80_columns_marks_redone_and_counts_the_older(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import paperreader.tui.app as reader

    monkeypatch.setattr(reader, "HISTORY_ROWS", 4)
    with Library(data) as library:
        first = library.store.ids()[0]
        library.store.set_state([first], read=True)  # 3
        library.store.journal.undo()  # 4
        library.store.journal.redo()  # 5
        library.store.set_state([first], bookmarked=True)  # 6
    app = make_app(data)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        for _ in range(10):
            if isinstance(app.screen, HistoryScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, HistoryScreen)
        await pilot.pause()
        help_text = app.screen.query_one("#history-help")
        lines = [help_text.render_line(y).text.strip() for y in range(help_text.size.height)]
        assert " ".join(lines) == (
            "enter: go back to before the chosen action (it and every later one are taken back; u undoes "
            "that). Actions made on another device name it."
        )
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(shown) == 4
        assert shown[2].endswith("undo: marked read  (taken back by redo #5)")
        assert shown[3].endswith("marked read  (undone, then redone by #5)")
        older = app.screen.query_one("#history-older")
        assert str(older.render()) == "… 2 older actions (paperreader history --limit N)"
        await pilot.press("escape")


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


# -- compaction ---------------------------------------------------------------------------------------


def backdate(data: Path, days: int = 400) -> None:
    """Every action so far made ``days`` days ago."""
    with Library(data) as library:
        store = library.store
        with store.transaction():
            for number, at in store._db.execute("SELECT id, at FROM actions").fetchall():
                moved = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) - dt.timedelta(days=days)
                store._db.execute(
                    "UPDATE actions SET at = ? WHERE id = ?",
                    (moved.isoformat(timespec="milliseconds").replace("+00:00", "Z"), number),
                )
            # The last automatic compaction too: days have passed since.
            store._db.execute("DELETE FROM meta WHERE key = 'journal.compacted_on'")


def test_history_compact_follows_the_config(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[journal]\nkeep_days = 30\n", encoding="utf-8")
    ids = [p["id"] for p in json.loads(cli(capsys, data, "list", "--json")[1])][:3]
    cli(capsys, data, "mark", "read", ids[0])
    cli(capsys, data, "mark", "bookmark", ids[1])
    backdate(data, days=45)  # older than 30 days, younger than the default year: the config decides
    assert cli(capsys, data, "--config", str(config), "mark", "read", ids[2])[0] == 0  # compacts, once today
    status, out, _ = cli(capsys, data, "history")
    assert status == 0 and out.splitlines()[0].endswith("marked read") and len(out.splitlines()) == 2
    assert out.splitlines()[-1].startswith("(older actions were compacted, [journal] keep_days: the history goes back to #5 (")
    status, _, err = cli(capsys, data, "undo", "--to", "3")
    assert status == 1 and err.startswith("paperreader: action #3 was compacted: the history goes back to #5")
    with Library(data) as library:  # compacting changed no state
        papers = library.store.get_many(ids)
        assert papers[ids[0]].read and papers[ids[1]].bookmarked and papers[ids[2]].read
    status, out, _ = cli(capsys, data, "--config", str(config), "history", "--compact")
    assert status == 0 and out.startswith("Nothing to compact (nothing from before ") and "#5" in out
    status, out, _ = cli(capsys, data, "--config", str(config), "history", "--compact", "--json")
    assert status == 0 and json.loads(out)["first"] == 5


def test_the_default_keeps_a_year_and_zero_keeps_everything(capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path) -> None:
    ids = [p["id"] for p in json.loads(cli(capsys, data, "list", "--json")[1])][:2]
    cli(capsys, data, "mark", "read", ids[0])
    backdate(data, days=200)
    cli(capsys, data, "mark", "read", ids[1])
    assert "compacted" not in cli(capsys, data, "history")[1]  # younger than a year
    backdate(data, days=200)  # now 400 and 200 days old
    never = tmp_path / "never.toml"
    never.write_text("[journal]\nkeep_days = 0\n", encoding="utf-8")
    status, out, _ = cli(capsys, data, "--config", str(never), "history", "--compact")
    assert status == 0 and out.startswith("Nothing compacted: [journal] keep_days = 0 keeps every action")
    status, out, _ = cli(capsys, data, "history", "--compact")
    assert status == 0 and out.startswith("Compacted 3 actions from before ")  # the imports and the first mark
    assert len(json.loads(cli(capsys, data, "history", "--json")[1])) == 1


def test_keep_days_in_the_config_file(tmp_path: Path) -> None:
    from paperreader.config import EXAMPLE, load_config

    example = write(tmp_path / "example.toml", EXAMPLE)
    assert load_config(example).keep_days == 365 and "[journal]" in EXAMPLE and load_config(example).warnings == []
    for text, days, warned in (("keep_days = 90", 90, False), ("keep_days = 0", 0, False), ("keep_days = -3", 365, True),
                               ("keep_days = '1y'", 365, True), ("keep = 3", 365, True)):
        config = load_config(write(tmp_path / "c.toml", f"[journal]\n{text}\n"))
        assert (config.keep_days, bool(config.warnings)) == (days, warned), text
    assert load_config(write(tmp_path / "c.toml", "[journal]\nkeep_days = 90\n")).to_json()["journal"] == {"keep_days": 90}


async def test_the_reader_compacts_on_quit_and_its_history_says_how_far_back(data: Path) -> None:
    from paperreader.config import Config
    from paperreader.tui.app import PaperReaderApp

    with Library(data) as library:
        ids = library.store.ids()
        library.store.set_state(ids[:1], read=True)
    backdate(data)  # the import and the mark: 400 days ago
    app = PaperReaderApp(data, config=Config(path=data / "none.toml", keep_days=30), debounce=0.01, poll_interval=0.2)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("b")  # today's action
        await settle(pilot)
    with Library(data) as library:  # the quit compacted the year-old actions, kept today's and its state
        journal = library.store.journal
        assert journal.first() > 1 and [action.label for action in journal.actions()] == ["bookmarked"]
        assert library.store.get(ids[0]).read
    app = make_app(data)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        for _ in range(4):
            await pilot.pause(0.05)
        assert isinstance(app.screen, HistoryScreen)
        reach = str(app.screen.query_one("#history-reach").render())
        assert reach.startswith("Older actions were compacted: the history goes back to #")
