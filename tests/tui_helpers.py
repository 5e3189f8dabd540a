"""Helpers for driving the reader in tests."""

from __future__ import annotations

from textual.pilot import Pilot

from paperreader.tui.app import PaperReaderApp
from paperreader.tui.paper_list import PaperList


async def settle(pilot: Pilot) -> None:
    """Let debounce timers fire, workers finish and their messages land."""
    app = pilot.app
    for _ in range(3):
        await pilot.pause(0.03)
        await app.workers.wait_for_complete()
        await pilot.pause()


def visible_titles(app: PaperReaderApp) -> list[str]:
    papers = app.query_one(PaperList)
    return [app.rows[pid].title for pid in papers.ids]  # rows are fetched on demand


def screen_lines(app: PaperReaderApp) -> list[str]:
    """What the list pane shows, line by line, as plain text."""
    papers = app.query_one(PaperList)
    return [papers.render_line(y).text for y in range(papers.size.height)]


def row_lines(app: PaperReaderApp) -> list[str]:
    """The list's paper rows on screen, without the date headings between them."""
    papers = app.query_one(PaperList)
    top = int(papers.scroll_y)
    return [
        papers.render_line(y).text for y in range(papers.size.height) if papers.index_at(top + y) is not None
    ]


def make_app(data_dir) -> PaperReaderApp:  # type: ignore[no-untyped-def]
    return PaperReaderApp(data_dir, debounce=0.01, poll_interval=0.2)
