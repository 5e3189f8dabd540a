"""What a new user's first hour with the reader found (issue 11's follow-ups), pressed with real keys.

Each test fails on the reader as it was before the fix it covers.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select, Static
from textual.widgets._footer import FooterKey

from paperreader.config import Config
from paperreader.library import Library
from paperreader.models import SavedView
from paperreader.paths import READ_ONLY
from paperreader.store import Store, StoreError
from paperreader.tui.app import PaperReaderApp, ReaderScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.screens import ExportScreen, HelpScreen
from paperreader.tui.viewer import PaperViewer
from paperreader.tui.views import ViewsPanel

from .tui_helpers import make_app, settle

SIZE = (120, 35)
SMALL = (80, 24)


async def until(pilot: Pilot, condition, what: str, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition()``, failing with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def notices(app: PaperReaderApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


def cursor_on_screen(app: PaperReaderApp) -> bool:
    """The highlighted paper's row is one of the lines the list shows now, and shows that paper."""
    papers = app.query_one(PaperList)
    y = papers.line_of(papers.cursor) - int(papers.scroll_y)
    if not 0 <= y < papers.scrollable_content_region.height:
        return False
    current = papers.current_id
    return current is not None and app.rows[current].title[:20] in papers.render_line(y).text


# -- 1. the cursor row is always on screen -----------------------------------------------------


async def test_the_cursor_row_stays_on_screen_after_escape_a_view_and_a_sort(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        assert papers.scrollable_content_region.height < len(papers.ids)  # the list does not fit
        # A query's short list, its last paper, then escape: the whole list, the same paper highlighted.
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, lambda: 0 < len(papers.ids) < 10, "the search results")
        await pilot.press("G")
        chosen = papers.current_id
        await pilot.press("escape")
        await until(pilot, lambda: len(papers.ids) == 22, "the whole list again")
        await settle(pilot)
        assert papers.current_id == chosen and papers.cursor > papers.scrollable_content_region.height
        assert cursor_on_screen(app)
        for _ in range(4):  # every order
            await pilot.press("s")
            await settle(pilot)
            assert papers.current_id == chosen and cursor_on_screen(app), app.sort
        # A view opened from the views panel (below 100 columns the panel takes the list's height).
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, lambda: 0 < len(papers.ids) < 10, "the search results")
        await pilot.press("G")
        chosen = papers.current_id
        await pilot.press("v")
        await until(pilot, lambda: app.query_one(ViewsPanel).has_class("visible"), "the views panel")
        await pilot.press("enter")  # All papers
        await until(pilot, lambda: len(papers.ids) == 22, "the view's list")
        await settle(pilot)
        assert papers.current_id == chosen and cursor_on_screen(app)


# -- 6. in published order the rows show the published date -------------------------------------


async def test_sorted_by_published_date_the_rows_show_it(sample_dir: Path) -> None:
    with Library(sample_dir) as library:
        stored = {paper.id: paper for paper in library.store.papers()}
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("s")  # digest -> published
        await until(pilot, lambda: app.sort == "published" and not papers.grouped, "the published order")
        await settle(pilot)
        shown = [papers.render_line(y).text.rstrip() for y in range(len(papers.ids))]
        dated = 0
        for line, paper_id in zip(shown, papers.ids):
            paper = stored[paper_id]
            digest = max(paper.digests)
            if paper.published is None:
                assert not line.endswith(f"{digest:%b} {digest.day:2d}"), line  # no date rather than the wrong one
                continue
            dated += 1
            published = paper.published
            expected = f"{published:%b} {published.day:2d}" if published.year == digest.year else f"{published:%b} {published.year}"
            assert line.endswith(" " + expected), (line, published, digest)
        assert dated >= 5  # the sample has papers published on other days, and in other years, than their digest
        assert any(stored[pid].published and stored[pid].published.year < max(stored[pid].digests).year for pid in papers.ids)
        await pilot.press("s")  # upvotes: the digest's day again
        await until(pilot, lambda: app.sort == "upvotes", "the upvotes order")
        await settle(pilot)
        first = stored[papers.ids[0]]
        day = max(first.digests)
        assert papers.render_line(0).text.rstrip().endswith(f"{day:%b} {day.day:2d}")


# -- 3. q in the opened abstract goes back to the list; in the list it quits ----------------------


async def test_q_in_the_opened_abstract_goes_back_to_the_list(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("j", "enter")
        assert app.query_one(PaperViewer).has_focus
        await pilot.press("q")
        await settle(pilot)
        assert app.is_running and papers.has_focus and papers.cursor == 1
        rows = dict((description, keys) for keys, description, _id in app.help_rows())
        assert rows["back to the list (q in the list quits)"] == "q"
        await pilot.press("q")  # in the list: quit
        await until(pilot, lambda: not app.is_running, "the reader to quit")


# -- 5. a read-only library says so at start --------------------------------------------------------


async def test_a_read_only_library_says_so_once_at_start(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(cls: type[Store], path: Path) -> Store:
        raise StoreError(f"{path}: cannot open the library for writing", reason=READ_ONLY)

    monkeypatch.setattr(Store, "_open_writable", classmethod(refused))
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.library.store.read_only == READ_ONLY
        said = [note for note in notices(app) if "read-only" in note]
        assert len(said) == 1
        assert "reading and searching work" in said[0] and "cannot be saved" in said[0]
        assert READ_ONLY in said[0]  # why, and where
        status = str(app.query_one("#list-status", Static).render())
        assert status.startswith("22 of 22 papers") and status.endswith("· read-only")
        await pilot.press("b")  # refused, as before, and still said only once at start
        await settle(pilot)
        assert len([note for note in notices(app) if "read-only here" in note]) == 1


async def test_a_writable_library_says_nothing_of_it(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not [note for note in notices(app) if "read-only" in note]
        assert "read-only" not in str(app.query_one("#list-status", Static).render())


# -- 7. escape closes the views panel after a view was opened ---------------------------------------


async def test_escape_closes_the_views_panel_after_enter_opened_a_view(sample_dir: Path) -> None:
    with Library(sample_dir) as library:
        library.store.save_view(SavedView("Diffusion", "diffusion", "all"))
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.query_one(ViewsPanel)
        papers = app.query_one(PaperList)
        await pilot.press("v")
        await until(pilot, lambda: panel.has_class("visible"), "the views panel")
        await pilot.press("end", "enter")  # the saved view, the last one
        await until(pilot, lambda: app.query == "diffusion" and 0 < len(papers.ids) < 22, "the view's papers")
        assert papers.has_focus and panel.has_class("visible")
        await pilot.press("escape")
        await settle(pilot)
        assert not panel.has_class("visible") and papers.has_focus
        assert app.query == "diffusion"  # the view stays: escape closed the panel and did nothing else
        await pilot.press("escape")  # the next escape steps back as before: the query goes
        await until(pilot, lambda: app.query == "" and len(papers.ids) == 22, "the query cleared")


# -- 8. j and k scroll the help -------------------------------------------------------------------


async def test_j_and_k_scroll_the_help_like_the_arrows(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        box = app.screen.query_one("#help-box")
        await settle(pilot)
        assert box.max_scroll_y > 3 and box.scroll_y == 0
        await pilot.press("j", "j", "j")
        await until(pilot, lambda: box.scroll_y == 3, "three lines down")
        await pilot.press("k")
        await until(pilot, lambda: box.scroll_y == 2, "one line up")
        await pilot.press("down")  # the same steps as the arrows
        await until(pilot, lambda: box.scroll_y == 3, "the arrow's line")


# -- 9. the welcome screen names the data dir ------------------------------------------------------


async def test_the_welcome_screen_names_the_library_it_looked_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for data_dir, shown in ((home / "papres", "~/papres"), (tmp_path / "elsewhere", str(tmp_path / "elsewhere"))):
        app = make_app(data_dir)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.screen.has_class("empty")
            welcome = str(app.query_one("#welcome", Static).render())
            assert f"Your library at {shown} is empty." in " ".join(welcome.split())
            assert "--data-dir" in welcome


# -- 2. a failed export keeps what the user typed --------------------------------------------------


async def test_a_failed_export_reopens_the_dialog_with_the_users_choices_and_the_reason(
    sample_dir: Path, tmp_path: Path
) -> None:
    app = make_app(sample_dir)
    missing = tmp_path / "no-such-folder" / "marks.json"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        await pilot.press("tab", "enter", "down", "down", "enter")  # JSON
        await until(pilot, lambda: app.screen.query_one("#format", Select).value == "json", "JSON chosen")
        dialog = app.screen
        await pilot.press("tab", "home", "ctrl+k", *str(missing), "enter")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen) and app.screen is not dialog, "the dialog again")
        screen = app.screen  # (no settle() while a dialog is open: the export's worker waits on it)
        await until(pilot, lambda: screen.focused is screen.query_one("#path", Input), "the dialog's focus")
        error = str(screen.query_one("#export-error", Label).render())
        assert error == f"Cannot export to {missing.parent}: No such folder"
        assert screen.query_one("#format", Select).value == "json"
        assert screen.query_one("#what", Select).value == "bookmarks"
        assert screen.query_one("#path", Input).value == str(missing)
        assert screen.focused is screen.query_one("#path", Input)  # ready to correct
        assert not [note for note in notices(app) if "Exported" in note]
        # Corrected: the folder's name fixed in place, the export goes through.
        target = tmp_path / "marks.json"
        await pilot.press("home", "ctrl+k", *str(target), "enter")
        await until(pilot, target.exists, "the export")
        assert not isinstance(app.screen, ExportScreen)
        assert len(json.loads(target.read_text())) == 1


async def test_an_empty_file_name_is_said_in_the_export_dialog(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "e")
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        screen = app.screen
        await pilot.press("tab", "tab", "home", "ctrl+k", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert "Type the file to export to" in str(screen.query_one("#export-error", Label).render())
        assert screen.focused is screen.query_one("#path", Input)


# -- 4. the footer: a stable order, and ? Help visible at 80 columns ----------------------------------


def footer(app: PaperReaderApp) -> list[str]:
    """The footer's keys on show, left to right ("B Bookmark"), when every one fits beside the palette's key.

    An empty list while some are cut off or under the palette's key (as
    happens for a frame while the footer is fitted again): tests wait for
    what they expect.
    """
    keys = sorted(app.main_screen.query(FooterKey), key=lambda key: key.region.x)
    palettes = [key for key in keys if key.has_class("-command-palette")]
    shown = [key for key in keys if key not in palettes and key.display]
    if len(palettes) != 1 or palettes[0].region.right > app.size.width:
        return []
    if any(key.region.right > palettes[0].region.x for key in shown):
        return []
    return [f"{key.key_display} {key.description}" for key in shown]


async def test_the_footer_keeps_its_order_and_shows_help_at_80_columns(sample_dir: Path, tmp_path: Path) -> None:
    config = Config(tmp_path / "config.toml", exists=True, keys={"toggle_bookmark": "B"})
    app = PaperReaderApp(sample_dir, config=config, debounce=0.01, poll_interval=0.2)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # What a new user needs first: open, undo, filter, catch up, help (and the next unread paper).
        essentials = ["⏎ Open", "n Next unread", "u Undo", "/ Filter", "C Catch up", "? Help"]
        await until(pilot, lambda: footer(app) == essentials, "the footer at 80 columns")
        await pilot.press("enter")  # in the abstract q goes back: the footer says so first
        await until(
            pilot, lambda: footer(app) == ["q Back", "⏎ Open", "u Undo", "/ Filter", "C Catch up", "? Help"],
            "q Back in the footer",
        )
        await pilot.press("q")
        await until(pilot, lambda: footer(app) == essentials, "the essentials again")
        # Wider, more keys, in the order of the reader's bindings whatever their keys.
        await pilot.resize_terminal(170, 35)
        order = [
            f"{app.get_key_display(Binding(keys[0], ''))} {binding.description}"
            for binding, keys in app.keys_in_force(ReaderScreen)
            if binding.show
        ]
        assert "B Bookmark" in order and "h History" in order and len(order) == 14
        await until(pilot, lambda: footer(app) == order, "every key at 170 columns, in order")
        await pilot.resize_terminal(*SIZE)
        at_120 = [key for key in order if key not in ("h History", "e Export", "v Views")]
        await until(pilot, lambda: footer(app) == at_120, "the least needed left out at 120 columns")
        # The views panel's own keys come first; the reader's that do not fit beside them are left out.
        await pilot.resize_terminal(*SMALL)
        await pilot.press("v")
        await until(
            pilot,
            lambda: footer(app)[:3] == ["e Edit view", "x Delete view", "esc Close views"] and "? Help" in footer(app),
            "the panel's keys and ? Help",
        )
