"""The reader shows the page's own signals and links: momentum, the day's top badge, the link picker."""

from __future__ import annotations

import re
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from paperreader.library import Library
from paperreader.tui.link import LinkPickerScreen, LinkScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import PaperViewer

from .digests import P, abstract, page, write
from .tui_helpers import make_app, row_lines, settle

SIZE = (120, 35)
HOT = "Hot Paper Keeps Climbing"
LINKED = "A Paper With Code"
HOSTILE = (
    "Code at https://github.com/org/repo. Also javascript:alert(1) and data:text/html,x and "
    "https://evil.example/a\x1b]8;;https://phish.example\x07b and \x1b[2J."
)


async def wait_for(pilot: Pilot, condition: Callable[[], object], timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the reader"
        await pilot.pause(0.05)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    others = [P(f"Quiet Paper {n}", abstract(f"topic {n}"), ("3 authors", f"Nov 1 {n}")) for n in range(1, 10)]
    write(tmp_path / "d" / "a.txt", page("Nov 12", [P(HOT, abstract("diffusion"), ("5 authors", "Nov 10 91")), *others]))
    write(
        tmp_path / "d" / "b.txt",
        page(
            "Nov 15",
            [P(HOT, abstract("diffusion"), ("5 authors", "Nov 10 128")), P(LINKED, HOSTILE, ("2 authors", "Nov 14 4")), *others],
        ),
    )
    with Library(tmp_path / "data") as library:
        assert all(r.ok for r in library.import_paths([tmp_path / "d"]))
    return tmp_path / "data"


async def _go_to(pilot: Pilot, title: str) -> None:
    app = pilot.app
    papers = app.query_one(PaperList)
    index = next(i for i, pid in enumerate(papers.ids) if app.rows[pid].title == title)
    papers.cursor = index
    await wait_for(pilot, lambda: title in app.query_one(PaperViewer).text.plain)


async def test_the_viewer_and_the_list_show_momentum_and_the_days_top(data: Path) -> None:
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _go_to(pilot, HOT)
        page_text = app.query_one(PaperViewer).text.plain
        assert "▲128, +37 since Nov 12" in page_text
        assert "top 10% of Nov 15" in page_text  # the best of that day's 11 papers
        row = next(line for line in row_lines(app) if HOT in line)
        assert "◆▲128 +37" in row  # the day's top tenth, and its rise
        quiet = next(line for line in row_lines(app) if "Quiet Paper 9" in line)
        assert "◆" not in quiet and "+" not in quiet  # second of 11: no badge; no rise: nothing shown
        await _go_to(pilot, "Quiet Paper 9")
        assert "▲9 · top 19% of Nov 15" in app.query_one(PaperViewer).text.plain
        await _go_to(pilot, "Quiet Paper 1")  # the last of its day: its upvotes, no "top 100%"
        shown = app.query_one(PaperViewer).text.plain
        assert "▲1\n" in shown and "% of Nov 15" not in shown


async def test_s_cycles_through_momentum(data: Path) -> None:
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one(PaperList).focus()
        for _ in range(4):
            await pilot.press("s")
            await settle(pilot)
            if app.sort == "momentum":
                break
        assert app.sort == "momentum"
        assert app.rows[app.query_one(PaperList).ids[0]].title == HOT


async def test_the_link_picker_opens_a_link_in_the_browser(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []

    class Browser(webbrowser.BackgroundBrowser):
        def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
            opened.append(url)
            return True

    monkeypatch.setattr(webbrowser, "get", lambda using=None: Browser("fake"))
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _go_to(pilot, LINKED)
        viewer_text = app.query_one(PaperViewer).text
        assert "https://github.com/org/repo" in viewer_text.plain and "javascript" not in "".join(
            str(span.style) for span in viewer_text.spans
        )
        links = [span.style.link for span in viewer_text.spans if not isinstance(span.style, str) and span.style.link]
        # The parser took the OSC 8 sequence out whole (its hidden target with it) before links were found.
        assert links == ["https://github.com/org/repo", "https://evil.example/ab"]
        assert "\x1b" not in viewer_text.plain
        # What reaches the terminal: the OSC 8 hyperlinks Textual writes for the links, and no other OSC.
        body = app.query_one("#paper-body", Static)
        drawn = "".join(strip.render(app.console) for strip in body.render_lines(Region(0, 0, *body.size)))
        osc = [part for part in re.findall(r"\x1b\]([^\x1b\x07]*)", drawn) if part != "8;;"]
        assert osc and all(re.fullmatch(r"8;id=[^;]*;https://(github\.com/org/repo|evil\.example/ab)", part) for part in osc)
        assert len(osc) == 2  # one hyperlink per link shown; the abstract's own words (javascript:, phish) are plain text
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert len(shown) == 4 and all("\x1b" not in line and "javascript" not in line for line in shown)
        assert "https://github.com/org/repo" in shown[0]
        assert "arxiv.org/search/?query=" in shown[2] and "huggingface.co/papers?q=" in shown[3]
        await pilot.press("down", "down", "down", "enter")
        await wait_for(pilot, lambda: opened)
        assert opened[0].startswith("https://huggingface.co/papers?q=") and "Code" in opened[0]
        assert not isinstance(app.screen, (LinkPickerScreen, LinkScreen))


async def test_the_link_picker_of_a_paper_without_links_offers_the_searches(data: Path) -> None:
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with Library(data) as library:  # the first paper's abstract has no links
            assert not library.store.get(app.query_one(PaperList).current_id).links
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        heading = str(app.screen.query_one(".question", Static).render())
        assert heading == "No links in the abstract; enter opens a search, escape closes"
        options = app.screen.query_one(OptionList)
        assert options.option_count == 2  # the arXiv and Hugging Face searches by title
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LinkPickerScreen))


async def test_the_link_picker_without_a_browser_shows_the_link_to_copy(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def none(using: object = None) -> webbrowser.BaseBrowser:
        raise webbrowser.Error("no browser")

    monkeypatch.setattr(webbrowser, "get", none)
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _go_to(pilot, LINKED)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkScreen))
        assert app.screen.url == "https://github.com/org/repo"
        assert "https://github.com/org/repo" in str(app.screen.query_one("#link-url", Static).render())
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, LinkScreen))
        assert app.clipboard == "https://github.com/org/repo"
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPickerScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LinkPickerScreen))


async def test_the_help_lists_the_query_fields_and_the_link_key(data: Path) -> None:
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = {keys: what for keys, what, _id in app.help_rows()}
        assert any("org:deepmind" in keys for keys in rows) and any("authors:>20" in keys for keys in rows)
        assert any("digest:>2026-11-01" in keys for keys in rows)
        assert any(binding_id == "pick_link" for _k, _w, binding_id in app.help_rows())


@pytest.mark.parametrize(
    ("typed", "says"),
    [("upvotes:>abc", "upvotes:>abc: not a whole number"), ("digest:>notadate", "digest:>notadate: not a date")],
)
async def test_a_malformed_field_value_is_said_in_the_filter_bar(data: Path, typed: str, says: str) -> None:
    app = make_app(data)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *typed)
        await wait_for(pilot, lambda: says in str(app.query_one("#message", Static).render()))
        message = str(app.query_one("#message", Static).render())
        assert "last results kept" in message and "\n" not in message
