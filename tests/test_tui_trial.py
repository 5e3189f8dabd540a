"""What a new user's first hour with the reader found (issue 11's follow-ups), pressed with real keys.

Each test fails on the reader as it was before the fix it covers.
"""

from __future__ import annotations

import time
from pathlib import Path

from textual.pilot import Pilot

from paperreader.library import Library
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
