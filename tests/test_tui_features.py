"""Tags, notes, saved views, the digests screen and the inbox, through the reader's keys."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, Sparkline, TextArea

from paperreader.config import Config
from paperreader.library import Library
from paperreader.tui.annotate import NoteScreen, TagScreen
from paperreader.tui.app import PaperReaderApp
from paperreader.tui.digests import DigestsScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import PaperViewer
from paperreader.tui.views import ViewScreen, ViewsPanel

from .digests import MONDAY, TUESDAY, page, write
from .tui_helpers import make_app, row_lines, settle

SIZE = (120, 35)


async def opened(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let a dialog open (settle() would wait for the worker that awaits the dialog)."""
    for _ in range(4):
        await pilot.pause(0.05)


def paper(data_dir: Path, paper_id: str):  # type: ignore[no-untyped-def]
    with Library(data_dir) as library:
        return library.store.get(paper_id)


async def test_tags_with_completion_search_and_undo(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        first = papers.current_id
        await pilot.press("t")
        await opened(pilot)
        assert isinstance(app.screen, TagScreen)
        await pilot.press(*"to-read RL", "enter")
        await settle(pilot)
        assert paper(sample_dir, first).tags == ("rl", "to-read")
        assert "#rl #to-read" in row_lines(app)[0]
        assert "#rl  #to-read" in app.query_one(PaperViewer).text.plain
        # The next paper: "t" then "to" completes from the tags in use with tab.
        await pilot.press("j", "t")
        await opened(pilot)
        await pilot.press("t", "o", "tab")
        await opened(pilot)
        assert app.screen.query_one("#tags", Input).value == "to-read "
        await pilot.press("enter")
        await settle(pilot)
        second = papers.current_id
        assert paper(sample_dir, second).tags == ("to-read",)
        # The filter finds tags (after the index caught up in its worker).
        await pilot.press("slash", *"tag:to-read", "enter")
        await settle(pilot)
        assert set(papers.ids) == {first, second}
        # u takes the last tagging back, in the store and in the search.
        await pilot.press("u")
        await settle(pilot)
        assert paper(sample_dir, second).tags == ()
        assert list(papers.ids) == [first]


async def test_note_is_written_shown_searched_and_undone(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        first = papers.current_id
        await pilot.press("N")
        await opened(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"check [b]xylophone[/b]", "enter", *"second line")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert paper(sample_dir, first).note == "check [b]xylophone[/b]\nsecond line"
        assert "Note  (N edits)\ncheck [b]xylophone[/b]" in app.query_one(PaperViewer).text.plain
        assert "✎" in row_lines(app)[0]
        await pilot.press("slash", *"xylophone", "enter")
        await settle(pilot)
        assert list(papers.ids) == [first]
        # Escape with unsaved changes asks for a second escape; nothing is stored.
        await pilot.press("N")
        await opened(pilot)
        app.screen.query_one(TextArea).insert(" more")
        await pilot.press("escape")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, NoteScreen)
        assert paper(sample_dir, first).note == "check [b]xylophone[/b]\nsecond line"
        await pilot.press("u")
        await settle(pilot)
        assert paper(sample_dir, first).note == ""


async def test_save_a_view_see_counts_select_edit_delete_undo(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("slash", *"diffusion", "enter", "2")  # query + unread
        await settle(pilot)
        wanted = list(papers.ids)
        assert wanted
        await pilot.press("S")
        await opened(pilot)
        assert isinstance(app.screen, ViewScreen)
        name = app.screen.query_one("#view-name", Input)
        assert name.value == "diffusion, unread"
        name.value = "Diffusion to read"
        await pilot.press("enter")
        await settle(pilot)
        (view,) = app.library.store.views()
        assert (view.name, view.query, view.state, view.digest) == ("Diffusion to read", "diffusion", "unread", None)

        await pilot.press("escape", "1")  # back to everything
        await settle(pilot)
        assert len(papers.ids) == 22
        await pilot.press("v")
        await settle(pilot)
        panel = app.query_one(ViewsPanel)
        assert panel.has_class("visible") and app.focused is panel.query_one(OptionList)
        options = panel.query_one(OptionList)
        labels = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
        assert [label.split()[0] for label in labels[:5]] == ["All", "Today", "Unread", "Bookmarked", "For"]
        assert labels[5].startswith("Diffusion to read") and labels[5].split()[-1] == str(len(wanted))
        assert labels[0].split()[-1] == "22"  # all papers are unread
        await pilot.press("end", "enter")
        await settle(pilot)
        assert list(papers.ids) == wanted and app.query == "diffusion" and app.view == "unread"
        # Today: the newest digest.
        await pilot.press("v", "v", "home", "down", "enter")
        await settle(pilot)
        newest = app.library.store.digests()[0][0]
        assert app.digest == newest and app.query == ""
        assert len(papers.ids) == app.library.store.count(digest=newest)
        # Edit: rename it.
        await pilot.press("v", "v", "end", "e")
        await opened(pilot)
        assert isinstance(app.screen, ViewScreen)
        app.screen.query_one("#view-name", Input).value = "Diffusion"
        await pilot.press("enter")
        await settle(pilot)
        assert [v.name for v in app.library.store.views()] == ["Diffusion"]
        # Delete (confirmed), then undo.
        app.query_one(ViewsPanel).focus_list()
        await pilot.press("end", "x")
        await opened(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.library.store.views() == []
        await pilot.press("u")
        await settle(pilot)
        assert [v.name for v in app.library.store.views()] == ["Diffusion"]
        # Built-in views cannot be deleted.
        app.query_one(ViewsPanel).focus_list()
        await pilot.press("home", "x")
        await settle(pilot)
        assert len(app.library.store.views()) == 1


async def test_digests_screen_rows_sparkline_topics_and_filters(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", "b")  # one read, one bookmarked in the newest digest
        await pilot.press("D")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DigestsScreen)
        days = app.library.store.digest_days()
        table = screen.query_one(DataTable)
        assert table.row_count == len(days) == 3
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[1].strip() == str(days[0].papers) and row[2].strip() == str(days[0].papers - 1)
        assert row[3].strip() == "1" and "%" in row[4]
        spark = screen.query_one(Sparkline)
        recent = [d for d in days if (days[0].date - d.date).days < 56]  # the last 8 weeks
        assert len(spark.data) == 56 and spark.data[-1] == days[0].papers
        assert sum(spark.data) == sum(d.papers for d in recent)
        await screen.workers.wait_for_complete()
        await pilot.pause()
        topics = screen.query_one("#topics", OptionList)
        assert topics.option_count > 0
        first_topic = topics.get_option_at_index(0).id
        # enter on a day filters the list by it
        await pilot.press("down", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, DigestsScreen)
        assert app.digest == days[1].date and app.query == ""
        assert len(app.query_one(PaperList).ids) == days[1].papers
        await pilot.press("escape")  # back to every digest
        await settle(pilot)
        assert app.digest is None and len(app.query_one(PaperList).ids) == 22
        # a topic filters that day's papers by it
        await pilot.press("D")
        await settle(pilot)
        await app.screen.workers.wait_for_complete()
        await pilot.press("tab", "enter")
        await settle(pilot)
        assert app.query == first_topic and app.digest == days[0].date
        assert 0 < len(app.query_one(PaperList).ids) <= days[0].papers


async def test_inbox_imports_at_start_and_while_running(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    old = write(inbox / "mon.txt", page("Mar 10", MONDAY))
    os.utime(old, (time.time() - 60, time.time() - 60))
    config = Config(tmp_path / "config.toml", exists=True, inbox=inbox, inbox_interval=1.0)
    app = PaperReaderApp(tmp_path / "data", config=config, debounce=0.01, poll_interval=0.2)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(40):
            await settle(pilot)
            if len(app.query_one(PaperList).ids) == 3:
                break
        assert len(app.query_one(PaperList).ids) == 3
        assert any(note.startswith("3 new papers from Mar 10") for note in notes)
        new = write(inbox / "later" / "tue.txt", page("Mar 11", TUESDAY))
        os.utime(new, (time.time() - 10, time.time() - 10))
        for _ in range(80):
            await pilot.pause(0.1)
            if len(app.query_one(PaperList).ids) == 5:
                break
        await settle(pilot)
        assert len(app.query_one(PaperList).ids) == 5  # 2 new, 1 seen on Monday already
        assert any(note.startswith("2 new papers from Mar 11") for note in notes)


async def test_config_theme_and_keymap(sample_dir: Path, tmp_path: Path) -> None:
    config = Config(tmp_path / "c.toml", exists=True, theme="nord", keys={"toggle_bookmark": "B", "nope": "x"})
    app = PaperReaderApp(sample_dir, config=config, debounce=0.01, poll_interval=0.2)
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "nord"
        assert any("unknown key binding ids nope" in note for note in notes)
        first = app.query_one(PaperList).current_id
        await pilot.press("b")
        assert not paper(sample_dir, first).bookmarked  # b was remapped
        await pilot.press("B")
        assert paper(sample_dir, first).bookmarked
