"""What a new user's first hour with the reader found (issue 11's follow-ups), pressed with real keys.

Each test fails on the reader as it was before the fix it covers.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot

from paperreader.tui.app import PaperReaderApp
from paperreader.tui.paper_list import PaperList
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
