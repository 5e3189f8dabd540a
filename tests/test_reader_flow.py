"""What a new user hit in the reader (issue 11, part 2): the list's columns, long titles,
the browser and the clipboard, imports from the shell, the theme, and n at the end."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Static

from paperreader.cli import main
from paperreader.config import Config
from paperreader.library import Library
from paperreader.store import Store
from paperreader.tui.app import PaperReaderApp
from paperreader.links import search_links
from paperreader.tui.link import LinkPickerScreen, LinkScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import TITLE_LINES, PaperViewer

from .digests import P, abstract, page, write
from .tui_helpers import make_app, row_lines, screen_lines, settle

SIZE = (120, 35)
NARROW = (80, 24)
FIRST = "Expert Merging: Compressing Mixture-of-Experts Models After Training"


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 8.0) -> None:
    """Wait until ``condition()`` holds (a poll, a worker, a dialog); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the reader"
        await pilot.pause(0.05)


def notes(app: PaperReaderApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


# -- 8. the list: the title gets the room ------------------------------------------------------


@pytest.mark.parametrize("size", [SIZE, NARROW])
async def test_rows_sit_under_date_headings_and_the_title_gets_the_room(sample_dir: Path, size: tuple[int, int]) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        width = papers.scrollable_content_region.width
        lines = screen_lines(app)
        assert all(len(line) == width for line in lines)
        assert lines[0].startswith("── Wed Nov 12, 2025 · 8 papers ──")
        # Mar 11's heading comes after Nov 12's eight rows; the rows are counted without it.
        assert papers.index_at(9) is None and papers.line_of(8) == 10
        assert papers._render_heading(1, width).text.startswith("── Tue Mar 11, 2025 · 8 papers ──")
        rows = row_lines(app)
        # No date on the rows: the heading says it once.
        assert not any("2025" in row or "Nov 12" in row or "11-12" in row for row in rows)
        # The title runs up to the upvotes column: only the markers and "  ▲14" beside it.
        first = rows[0]
        assert first.endswith("  ▲14") and first.startswith("●   ")
        shown = first[4:-5]
        room = width - 4 - 5
        assert shown == (FIRST.ljust(room) if len(FIRST) <= room else FIRST[: room - 1] + "…")


async def test_a_single_digest_has_one_heading_and_other_orders_date_each_row(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")  # the newest digest only
        await settle(pilot)
        lines = screen_lines(app)
        assert lines[0].startswith("── Wed Nov 12, 2025 · 8 papers")
        assert sum(line.startswith("──") for line in lines) == 1
        await pilot.press("d", "d", "d", "s", "s")  # every digest again; sorted by upvotes
        await settle(pilot)
        assert app.digest is None and app.sort == "upvotes"
        lines = screen_lines(app)
        assert not any(line.startswith("──") for line in lines)
        # Rows from different days: each says its day, as the digest page does (no year).
        assert lines[0].rstrip().endswith("▲23 Nov 12")
        assert any(line.rstrip().endswith("Mar 10") for line in lines)


@pytest.mark.parametrize("size", [SIZE, NARROW])
async def test_tags_follow_a_shortened_title_and_never_push_out_the_note_mark(
    sample_dir: Path, size: tuple[int, int]
) -> None:
    with Library(sample_dir) as library:
        (first,) = [p.id for p in library.store.papers() if p.title == FIRST]
        library.store.set_tags([first], replace=["agents", "benchmarks", "reinforcement-learning", "survey", "to-read"])
        library.store.set_note(first, "compare with pruning")
    app = make_app(sample_dir)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        row = row_lines(app)[0]
        room = app.query_one(PaperList).scrollable_content_region.width - 4 - 5
        assert row.replace(" ", "").endswith("✎▲14")
        tags = row[row.index(" #") : row.index(" ✎")]
        # Whole tags, then how many more: never a tag cut in the middle.
        words = tags.split()
        assert words[-1].startswith("+") and int(words[-1][1:]) == 5 - (len(words) - 1)
        assert all(word.startswith("#") and word[1:] in {"agents", "benchmarks"} for word in words[:-1])
        title = row[4 : row.index(" #")]
        assert FIRST.startswith(title.rstrip("…")) and len(title) >= (room - 2) * 2 // 3


async def test_the_cursor_skips_headings_and_clicks_map_to_rows(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("G")
        assert papers.cursor == len(papers.ids) - 1
        assert papers.line_of(papers.cursor) == 22 + 3 - 1  # three headings above the last row
        await pilot.press("g")
        assert papers.cursor == 0 and papers.scroll_y == 0  # the first heading is back in view
        await pilot.click(PaperList, offset=(10, 0))  # the heading: no row there
        assert papers.cursor == 0
        await pilot.click(PaperList, offset=(10, 3))
        assert papers.cursor == 2
        for _ in range(6):
            await pilot.press("j")
        assert papers.cursor == 8  # Mar 11's first paper, past its heading
        assert papers.index_at(papers.line_of(8) - 1) is None


# -- 9. a very long title ---------------------------------------------------------------------


async def test_a_huge_title_is_capped_and_the_abstract_stays_on_screen(tmp_path: Path) -> None:
    title = " ".join(f"Word{i}" for i in range(1000))[:5000]
    write(tmp_path / "long.txt", page("Nov 12", [P(title, abstract("very long titles"))]))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "long.txt"], date=dt.date(2025, 11, 20))
    app = make_app(tmp_path / "data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        viewer = app.query_one(PaperViewer)
        await wait_for(pilot, lambda: viewer.text.plain.startswith("Word0"))
        await pilot.pause()
        shown_title = viewer.query_one("#paper-title", Static)
        assert shown_title.size.height == TITLE_LINES
        last = shown_title.render_line(TITLE_LINES - 1).text.rstrip()
        assert last.endswith("…")
        body = viewer.query_one("#paper-body", Static)
        meta = viewer.query_one("#paper-meta", Static)
        # The metadata line comes right under the capped title, the abstract a few lines on: on screen.
        assert meta.region.y - viewer.content_region.y == TITLE_LINES
        assert "unread" in meta.render_line(0).text
        assert body.region.y == meta.region.bottom
        assert body.region.y + 4 < viewer.content_region.bottom
        assert viewer.text.plain.startswith(title[:4000])  # the page still holds the whole title


# -- 10. the browser and the clipboard --------------------------------------------------------


class FakeBrowser(webbrowser.BackgroundBrowser):
    """A browser with a window of its own that records what it was asked to open."""

    def __init__(self, works: bool) -> None:
        super().__init__("fake-browser")
        self.works = works
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        return self.works


class ConsoleBrowser(webbrowser.GenericBrowser):
    """lynx, say: it would take over the reader's terminal, so it must not be started."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        raise AssertionError("a console browser was started under the reader")


def no_browser() -> webbrowser.BaseBrowser:
    raise webbrowser.Error("could not locate runnable browser")


@pytest.mark.parametrize("get", [no_browser, lambda: FakeBrowser(works=False), lambda: ConsoleBrowser("lynx")])
async def test_o_without_a_browser_shows_the_link_and_copies_it(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch, get: Callable[[], webbrowser.BaseBrowser]
) -> None:
    monkeypatch.setattr(webbrowser, "get", lambda using=None: get())
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("STY", raising=False)
    monkeypatch.delenv("TERM_PROGRAM", raising=False)
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkScreen))
        url = app.screen.url
        assert url == search_links(FIRST)[0][1]  # the URL the L picker offers for the same title
        assert url in str(app.screen.query_one("#link-url", Static).render())
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, LinkScreen))
        assert app.clipboard == url
        assert any("Sent the link to the terminal's clipboard (OSC 52)" in note for note in notes(app))
        assert not any(note.startswith("Copied") for note in notes(app))


async def test_o_with_a_browser_opens_it_and_says_so(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = FakeBrowser(works=True)
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: browser.opened and notes(app))
        assert len(browser.opened) == 1 and browser.opened[0].startswith("https://arxiv.org/search/?query=")
        assert any("Opened arXiv's search" in note for note in notes(app))
        assert not isinstance(app.screen, LinkScreen)
        # L's first search (the paper has no links) is arXiv's by title: the very URL o opened.
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(browser.opened) == 2)
        assert browser.opened[1] == browser.opened[0]
        assert "%22" in browser.opened[0]  # the title searched as one quoted phrase


@pytest.mark.parametrize(
    ("env", "says"),
    [({}, "most terminals accept it"), ({"TMUX": "/tmp/tmux-1/default,1,0"}, "set-clipboard on")],
)
async def test_c_says_what_was_sent_not_that_it_was_copied(
    sample_dir: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    for name in ("TMUX", "STY", "TERM_PROGRAM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert app.clipboard == FIRST
        (note,) = notes(app)
        assert note.startswith("Sent the title to the terminal's clipboard (OSC 52)") and says in note


# -- 11. an import from the shell while the reader runs ------------------------------------------


async def test_an_import_from_the_shell_is_announced(sample_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    digest = write(
        tmp_path / "nov13.txt",
        page("Nov 13", [P("Quiet Gradients: A Study", abstract("gradients")), P("Loud Losses", abstract("losses"))]),
    )
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # A change of state from the shell is picked up, and is no news.
        assert main(["--data-dir", str(sample_dir), "mark", "bookmark", app.query_one(PaperList).ids[3]]) == 0
        await wait_for(pilot, lambda: app.counts.bookmarked == 1)
        assert not any("new paper" in note for note in notes(app))
        assert main(["--data-dir", str(sample_dir), "import", "-q", "--date", "2025-11-20", str(digest)]) == 0
        await wait_for(pilot, lambda: any("new paper" in note for note in notes(app)))
        await settle(pilot)
        assert [note for note in notes(app) if "new paper" in note] == ["2 new papers from Nov 13"]
        assert app.counts.papers == 24 and len(app.query_one(PaperList).ids) == 24
        # The next change from the shell does not announce them again.
        assert main(["--data-dir", str(sample_dir), "mark", "read", app.query_one(PaperList).ids[5]]) == 0
        await wait_for(pilot, lambda: app.counts.unread == 23)
        assert len([note for note in notes(app) if "new paper" in note]) == 1


# -- 12. the theme picked in the reader is kept ----------------------------------------------------


def first_command(app: PaperReaderApp) -> str:
    """The command palette's first suggestion ("" while it has none)."""
    found = app.screen.query(CommandList)
    if not found or not found.first().option_count:
        return ""
    return str(found.first().get_option_at_index(0).prompt).split("\n")[0]  # the name, not its help


async def pick_theme(pilot: Pilot, name: str) -> None:
    """ctrl+p, "Theme", then the theme: as a user picks one."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    await pilot.press(*"theme")
    await wait_for(pilot, lambda: first_command(app) == "Theme")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette) and first_command(app) in app.available_themes)
    await pilot.press(*name)
    await wait_for(pilot, lambda: first_command(app) == name)
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.theme == name)


async def test_the_theme_picked_in_the_palette_is_kept_for_the_next_start(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        await pick_theme(pilot, "nord")
    with Library(sample_dir) as library:
        assert library.store.setting("theme") == "nord"
    again = make_app(sample_dir)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "nord"


async def test_the_config_files_theme_wins_and_picking_another_says_so(sample_dir: Path, tmp_path: Path) -> None:
    with Library(sample_dir) as library:
        library.store.set_setting("theme", "dracula")
    config = Config(tmp_path / "config.toml", exists=True, theme="gruvbox")
    app = PaperReaderApp(sample_dir, config=config, debounce=0.01, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "gruvbox"
        await pick_theme(pilot, "nord")
        assert any("sets theme = 'gruvbox', which wins at the next start" in note for note in notes(app))
    with Library(sample_dir) as library:
        assert library.store.setting("theme") == "nord"


def test_an_older_library_gains_the_settings_table_in_place(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Store.open(path) as store:
        store.set_setting("theme", "nord")
    db = sqlite3.connect(path)
    db.execute("DROP TABLE settings")  # as a library written before settings existed
    db.commit()
    db.close()
    with Store.open(path) as store:
        assert store.setting("theme") is None
        store.set_setting("theme", "monokai")
    with Store.open(path) as store:
        assert store.setting("theme") == "monokai"


# -- 13. n at the end of the list ---------------------------------------------------------------


async def test_n_at_the_end_offers_the_next_digest_one_key_away(sample_dir: Path) -> None:
    nov12, mar11, mar10 = dt.date(2025, 11, 12), dt.date(2025, 3, 11), dt.date(2025, 3, 10)
    with Library(sample_dir) as library:  # Mar 11 partly read already: its first two papers
        library.store.set_state(library.store.ids(digest=mar11, order="digest")[:2], read=True)

    def unread(day: dt.date) -> int:
        return app.library.store.count("unread", digest=day)

    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("d")  # Nov 12 only: 8 papers
        await settle(pilot)
        await pilot.press(*"n" * 8)  # reads all eight; the last n finds nothing below
        assert unread(nov12) == 0 and unread(mar11) == 6
        assert notes(app)[-1] == "No more unread here — n: go on to Mar 11 (6 unread)"
        assert app.digest == nov12
        await pilot.press("n")
        await settle(pilot)
        assert app.digest == mar11 and len(papers.ids) == 8
        assert papers.cursor == 2 and not app.rows[papers.current_id].read  # its first unread paper
        # The oldest digest: no older one to go on to, so the newer one with unread papers.
        await pilot.press("d")
        await settle(pilot)
        assert app.digest == mar10
        await pilot.press("G", "n")
        assert notes(app)[-1] == f"No more unread here — n: go on to Mar 11 ({unread(mar11)} unread)"
        await pilot.press("escape")  # every digest again: that offer was for another list
        await settle(pilot)
        await pilot.press("G", "n")
        await settle(pilot)
        assert app.digest is None  # a fresh offer for this list, not yet taken
        assert notes(app)[-1] == f"No more unread here — n: go on to Mar 11 ({unread(mar11)} unread)"
        await pilot.press("n")
        await settle(pilot)
        assert app.digest == mar11


async def test_n_when_everything_is_read_says_so(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"n" * 22)
        assert app.counts.unread == 0
        assert notes(app)[-1] == "Everything is read."
        await pilot.press("n")
        assert app.digest is None
