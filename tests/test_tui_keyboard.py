"""The reader from the keyboard alone: dialogs, layout on resize, remapped keys, j/k, paging.

Each test presses real keys (Textual's Pilot) the way a new user would, with
no reaching into a dialog's widgets to set values.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, OptionList, Select, Static, TextArea
from textual.widgets._footer import FooterKey

from paperreader.config import Config
from paperreader.library import Library
from paperreader.models import Paper
from paperreader.tui.annotate import NoteScreen
from paperreader.tui.app import PaperReaderApp
from paperreader.tui.digests import DigestsScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.screens import ConfirmScreen, ExportScreen, HelpScreen
from paperreader.tui.viewer import PaperViewer
from paperreader.tui.views import ViewScreen, ViewsPanel

from .tui_helpers import make_app, settle

SIZE = (120, 35)


async def until(pilot: Pilot, condition, what: str, tries: int = 100) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition()`` (a dialog opening, a worker's effect), failing with ``what``."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def stored(data_dir: Path, paper_id: str) -> Paper:
    with Library(data_dir) as library:
        paper = library.store.get(paper_id)
        assert paper is not None
        return paper


def focused_id(pilot: Pilot) -> str | None:
    focused = pilot.app.screen.focused
    return focused.id if focused is not None else None


async def type_path(pilot: Pilot, path: Path) -> None:
    """Replace the focused input's text with ``path``, key by key."""
    await pilot.press("home", "ctrl+k", *str(path))


# -- 3. Tab and shift+Tab in every dialog -------------------------------------------------


async def test_export_from_the_keyboard_alone(sample_dir: Path, tmp_path: Path) -> None:
    app = make_app(sample_dir)
    target = tmp_path / "out" / "marks.json"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "j", "b", "e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        assert focused_id(pilot) == "what"  # the bookmarks, this list, a tag
        await pilot.press("tab")
        assert focused_id(pilot) == "format"
        await pilot.press("enter", "down", "down", "enter")  # open the formats, pick JSON
        await until(pilot, lambda: app.screen.query_one("#format", Select).value == "json", "JSON chosen")
        assert app.screen.query_one("#path", Input).value.endswith(".json")
        await pilot.press("tab")
        assert focused_id(pilot) == "path"
        await pilot.press("shift+tab")
        assert focused_id(pilot) == "format"
        await pilot.press("shift+tab")
        assert focused_id(pilot) == "what"
        await pilot.press("tab", "tab", "tab")
        assert focused_id(pilot) == "export"
        await pilot.press("shift+tab")
        assert focused_id(pilot) == "path"
        await type_path(pilot, target)
        await pilot.press("enter")  # enter in the last field exports
        await until(pilot, target.exists, "the export file")
        data = json.loads(target.read_text())
        assert len(data) == 2 and all(paper["bookmarked"] for paper in data)

        # Again, to the same file: the confirmation is answered from the keyboard too.
        target.write_text("keep me")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        await pilot.press("tab", "tab")
        await type_path(pilot, target)
        await pilot.press("tab", "enter")  # the Export button
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert focused_id(pilot) == "yes"
        await pilot.press("tab")
        assert focused_id(pilot) == "no"
        await pilot.press("shift+tab")
        assert focused_id(pilot) == "yes"
        await pilot.press("tab", "enter")  # No
        await until(pilot, lambda: not isinstance(app.screen, (ConfirmScreen, ExportScreen)), "the dialogs to close")
        await settle(pilot)
        assert target.read_text() == "keep me"

        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        await pilot.press("tab", "enter", "down", "down", "enter", "tab")  # JSON again, then the path
        await type_path(pilot, target)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("enter")  # Yes, focused first
        await until(pilot, lambda: target.read_text() != "keep me", "the file to be replaced")
        assert len(json.loads(target.read_text())) == 2


async def test_tab_moves_through_the_save_view_dialog(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, ViewScreen), "the view dialog")
        order = ["view-name", "view-query", "view-state", "view-digest", "save", "cancel"]
        assert focused_id(pilot) == order[0]
        for expected in order[1:]:
            await pilot.press("tab")
            assert focused_id(pilot) == expected
        for expected in reversed(order[:-1]):
            await pilot.press("shift+tab")
            assert focused_id(pilot) == expected
        await pilot.press("home", "ctrl+k", *"Mine", "tab", *"diffusion", "enter")  # enter in the query saves
        await until(pilot, lambda: not isinstance(app.screen, ViewScreen), "the dialog to close")
        await settle(pilot)
        (view,) = app.library.store.views()
        assert (view.name, view.query) == ("Mine", "diffusion")


async def test_tab_moves_through_the_note_dialog(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.query_one(PaperList).current_id
        assert first is not None
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, NoteScreen), "the note dialog")
        assert isinstance(app.screen.focused, TextArea)
        await pilot.press(*"good baseline", "tab")
        assert focused_id(pilot) == "save"
        await pilot.press("tab")
        assert focused_id(pilot) == "cancel"
        await pilot.press("shift+tab", "shift+tab")
        assert isinstance(app.screen.focused, TextArea)
        await pilot.press("tab", "enter")  # the Save button
        await until(pilot, lambda: not isinstance(app.screen, NoteScreen), "the dialog to close")
        await settle(pilot)
        assert stored(sample_dir, first).note == "good baseline"


async def test_the_reader_keys_stay_out_of_dialogs_and_the_digests_screen(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.query_one(PaperList).current_id
        assert first is not None
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        await pilot.press("b", "r", "n")  # the reader's keys: not here
        await settle(pilot)
        assert (stored(sample_dir, first).read, stored(sample_dir, first).bookmarked) == (False, False)
        assert isinstance(app.screen, DigestsScreen)


# -- 4. The layout follows the terminal's width ----------------------------------------------


def layout(app: PaperReaderApp) -> str:
    """ "stacked" when the abstract sits below the list, "side by side" when beside it."""
    left: Widget = app.query_one("#left")
    viewer = app.query_one(PaperViewer)
    if viewer.region.y >= left.region.bottom:
        return "stacked"
    if viewer.region.x >= left.region.right:
        return "side by side"
    return "overlapping"


async def test_layout_follows_each_resize(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert layout(app) == "stacked"
        for width, expected in [(120, "side by side"), (80, "stacked"), (90, "stacked"), (110, "side by side"),
                                (99, "stacked"), (100, "side by side")]:
            await pilot.resize_terminal(width, 30)
            await until(pilot, lambda: app.screen.size.width == width and layout(app) == expected,
                        f"{expected} at {width} columns")
            await pilot.pause(0.1)  # and it stays so
            assert layout(app) == expected, f"at {width} columns"
        # A resize while another screen is on top is not lost either.
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        await pilot.resize_terminal(80, 30)
        await until(pilot, lambda: app.screen.size.width == 80, "width 80")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DigestsScreen), "the reader")
        await until(pilot, lambda: layout(app) == "stacked", "stacked after the digests screen")


# -- 5. Help and footer show the keys in force -------------------------------------------------


def footer_keys(app: PaperReaderApp) -> dict[str, str]:
    """Description -> key shown, for every key in the main screen's footer."""
    return {key.description: key.key_display for key in app.main_screen.query(FooterKey)}


async def test_help_and_footer_show_the_configured_keys_and_ids(sample_dir: Path, tmp_path: Path) -> None:
    keys = {"toggle_bookmark": "B", "next_unread": "n,J", "list.down": "J,down", "views.close": "h"}
    config = Config(tmp_path / "c.toml", exists=True, keys=keys)
    app = PaperReaderApp(sample_dir, config=config, debounce=0.01, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = footer_keys(app)
        assert footer["Bookmark"] == "B"
        assert footer["Next unread"] == app.get_key_display(Binding("n", ""))
        palette = {command.title: command.help for command in app.get_system_commands(app.main_screen)}
        assert palette["Bookmark"].endswith("(key: B)")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        rows = {binding_id: shown for shown, _what, binding_id in app.help_rows()}
        assert rows["toggle_bookmark"] == "B"
        assert rows["next_unread"] == "n J"
        assert rows["list.down"] == "J ↓"
        assert rows["views.close"] == "h"
        assert rows["toggle_read"] == "r"  # not remapped: its default
        text = help_text(app)
        for binding_id in ("toggle_bookmark", "next_unread", "list.down", "views.close", "digests.close"):
            assert binding_id in text
        line = next(line for line in text.splitlines() if "toggle_bookmark" in line)
        assert line.split()[0] == "B"


def help_text(app: PaperReaderApp) -> str:
    """What the help screen shows, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#help-table", Static).content)
    return console.export_text()


# -- 6. j and k everywhere; escape closes the views panel --------------------------------------


async def test_j_k_and_escape_in_the_views_panel(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        panel = app.query_one(ViewsPanel)
        options = panel.query_one(OptionList)
        assert app.focused is options and options.highlighted == 0
        await pilot.press("j", "j")
        assert options.highlighted == 2
        await pilot.press("k")
        assert options.highlighted == 1
        await pilot.press("enter")  # Today
        await settle(pilot)
        assert app.digest is not None and panel.has_class("visible")
        assert app.focused is app.query_one(PaperList)
        await pilot.press("v")  # v hides it; so does escape
        await settle(pilot)
        assert not panel.has_class("visible")
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not panel.has_class("visible")
        assert app.focused is app.query_one(PaperList)
        assert app.digest is not None  # escape closed the panel and did nothing else


async def test_j_k_on_the_digests_screen(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count >= 3 and table.cursor_row == 0
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        topics = screen.query_one("#topics", OptionList)
        await until(pilot, lambda: topics.option_count >= 2 and not topics.loading, "the topics")
        await pilot.press("tab")
        assert app.screen.focused is topics and topics.highlighted == 0
        await pilot.press("j")
        assert topics.highlighted == 1
        await pilot.press("k")
        assert topics.highlighted == 0


async def test_j_k_in_the_opened_paper_go_to_the_next_and_previous_paper(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers, viewer = app.query_one(PaperList), app.query_one(PaperViewer)
        ids = list(papers.ids)
        await pilot.press("enter")
        assert viewer.has_focus
        await pilot.press("j")
        await settle(pilot)
        assert papers.cursor == 1 and viewer.has_focus
        assert viewer.text.plain.startswith(app.rows[ids[1]].title)
        assert stored(sample_dir, ids[1]).read  # it is open, as after enter
        await pilot.press("j", "k")
        await settle(pilot)
        assert papers.cursor == 1 and viewer.has_focus
        assert viewer.text.plain.startswith(app.rows[ids[1]].title)
        assert not stored(sample_dir, ids[3]).read  # never opened


# -- 7. Paging past the end of an abstract marks it read ------------------------------------------


async def test_space_past_the_end_marks_the_paper_read(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=(120, 14)) as pilot:  # short: long abstracts take pages
        await settle(pilot)
        papers = app.query_one(PaperList)
        first = papers.current_id
        assert first is not None
        presses = 0
        while papers.cursor == 0:
            assert not stored(sample_dir, first).read, "marked read before its end was reached"
            await pilot.press("space")
            await settle(pilot)
            presses += 1
            assert presses < 20
        assert presses >= 2, "the abstract should take more than one page at this height"
        assert papers.cursor == 1 and stored(sample_dir, first).read
        assert not stored(sample_dir, papers.ids[1]).read
        assert app.counts.unread == 21
        await pilot.press("u")  # undoable like any change
        await settle(pilot)
        assert not stored(sample_dir, first).read
