"""The reader's search in pages: a first screen, then the full ranking, then more as the list scrolls.

Driven through the real keys on the bundled sample library (22 papers), with
the page sizes made small so that "model" (20 matches) spans several pages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import paperreader.tui.app as app_module
import paperreader.tui.paper_list as paper_list_module
from paperreader.index import SearchCancelled, SearchOutcome
from paperreader.library import Library
from paperreader.tui.app import PaperReaderApp
from paperreader.tui.paper_list import PaperList

from .tui_helpers import make_app, settle

SIZE = (120, 35)
#: A short terminal, so that a page of rows does not fit on the screen (a list that
#: fits whole, end included, fetches its next page at once).
SHORT = (120, 14)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Pause until ``condition`` holds (a condition, not a fixed sleep); fail naming ``what``."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def status(app: app_module.PaperReaderApp) -> str:
    return str(app.query_one("#list-status", Static).render())


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "FIRST_SCREEN", 3)
    monkeypatch.setattr(app_module, "PAGE", 12)
    monkeypatch.setattr(paper_list_module, "NEAR_END", 0)


async def test_typing_fast_abandons_stale_searches(sample_dir: Path) -> None:
    """A search made stale by the next keystroke is cancelled, not run to the end and thrown away."""
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        real = app.library.search
        abandoned: dict[str, bool] = {}

        def slow_search(query: str, **options: Any) -> SearchOutcome:
            """Every search but the last query's is slow: it runs until its cancel event is set."""
            if query.strip() != "model":
                cancel = options.get("cancel")
                abandoned[query] = cancel is not None and cancel.wait(3)
                if abandoned[query]:
                    raise SearchCancelled(query)
            return real(query, **options)

        app.library.search = slow_search  # type: ignore[method-assign]
        await pilot.press("slash", *"model")
        await settle(pilot)
        with Library(sample_dir) as library:
            expected = [hit.id for hit in library.search("model").hits]
        assert app.query_one(PaperList).ids == expected
        assert set(abandoned) == {"m", "mo", "mod", "mode"}
        assert all(abandoned.values()), abandoned


async def test_cursor_stays_put_when_the_full_ranking_replaces_the_first_screen(
    sample_dir: Path, small_pages: None
) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        real = app.library.search
        gate = threading.Event()

        def held_search(query: str, **options: Any) -> SearchOutcome:
            """The full ranking waits for the test, so the first screen can be looked at and moved in."""
            if not options.get("quick"):
                gate.wait(10)
            return real(query, **options)

        app.library.search = held_search  # type: ignore[method-assign]
        papers = app.query_one(PaperList)
        await pilot.press("slash", *"model", "enter")
        await wait_until(pilot, lambda: app.provisional, "the first screen")
        assert len(papers.ids) == 3
        assert "searching…" in status(app)  # the first screen is never passed off as the answer
        await pilot.press("j", "j")
        assert papers.cursor == 2
        chosen = papers.current_id
        gate.set()
        await wait_until(pilot, lambda: not app.provisional, "the full ranking")
        await settle(pilot)
        assert len(papers.ids) == 12
        assert papers.ids[:3] == [hit.id for hit in real("model", limit=3).hits]
        assert (papers.cursor, papers.current_id) == (2, chosen)
        assert status(app).startswith("12 of 20 matches (+ for more)")
        assert "searching" not in status(app)


async def test_scrolling_past_the_fetched_rows_fetches_more(sample_dir: Path, small_pages: None) -> None:
    # A debounce longer than a keystroke: only "model" is searched, not "m", "mo"... whose
    # lists would leave the cursor wherever their papers fall (maybe near the end of a page).
    app = PaperReaderApp(sample_dir, debounce=0.5, poll_interval=0.2)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("slash", *"model", "enter")
        await settle(pilot)
        assert papers.scrollable_content_region.height < 12
        assert len(papers.ids) == 12
        assert status(app).startswith("12 of 20 matches")
        last = papers.ids[-1]
        await pilot.press("G")  # the last row fetched: the next page comes
        await wait_until(pilot, lambda: len(papers.ids) == 20, "the next page")
        await settle(pilot)
        assert (papers.cursor, papers.current_id) == (11, last)  # still on the paper it was on
        with Library(sample_dir) as library:
            assert papers.ids == [hit.id for hit in library.search("model").hits]
        assert status(app).startswith("20 of 20 matches")


async def test_an_estimated_count_says_about(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A phrase with slop runs through Whoosh, whose count past the page is an estimate."""
    monkeypatch.setattr(app_module, "FIRST_SCREEN", 1)
    monkeypatch.setattr(app_module, "PAGE", 2)
    with Library(sample_dir) as library:
        outcome = library.search('"language model"~3', limit=2)
    assert not outcome.exact
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen: list[str] = []
        update_info = app._update_info

        def recorded() -> None:
            update_info()
            seen.append(status(app))

        app._update_info = recorded  # type: ignore[method-assign]
        await pilot.press("slash", *'"language model"~3', "enter")
        await settle(pilot)
        # The whole list fits on the screen, so the next pages follow at once: the first one said "about".
        assert f"2 of about {outcome.total:,} matches (+ for more) · 22 unread · 0 bookmarked" in seen


async def test_the_full_ranking_waits_for_the_first_screen_to_be_drawn(sample_dir: Path, small_pages: None) -> None:
    """The full search starts once the first screen is on screen, not while its frame waits for the interpreter."""
    app = make_app(sample_dir)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        real = app.library.search
        papers = app.query_one(PaperList)
        listed_at_start: list[int] = []

        def watched_search(query: str, **options: Any) -> SearchOutcome:
            if not options.get("quick") and query == "model":
                listed_at_start.append(len(papers.ids))
            return real(query, **options)

        app.library.search = watched_search  # type: ignore[method-assign]
        await pilot.press("slash", *"model", "enter")
        await settle(pilot)
        assert listed_at_start == [3]  # the first screen's rows were in the list when it began
        assert len(papers.ids) == 12


async def test_results_arriving_after_the_list_is_gone_are_dropped(sample_dir: Path) -> None:
    """A search finishing while the reader closes (its list already removed) must not raise NoMatches."""
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.query_one(PaperList).remove()
        with Library(sample_dir) as library:
            outcome = library.search("model")
        results = app._search_results(app._token, outcome, "relevance")
        app.on_paper_reader_app_results_ready(app.ResultsReady(results))
        assert results.drawn.is_set()  # a worker waiting on it goes on (and finds itself stale)


async def test_results_arriving_after_the_viewer_is_gone_are_dropped(sample_dir: Path) -> None:
    """At quit the viewer may go before the list: the rows landing then move the cursor without a viewer."""
    from paperreader.tui.viewer import PaperViewer

    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        before = papers.current_id
        await app.query_one(PaperViewer).remove()
        with Library(sample_dir) as library:
            outcome = library.search("model")
        ids = [hit.id for hit in outcome.hits if hit.id != before]
        app._token += 1
        app.on_paper_reader_app_results_ready(app.ResultsReady(app._search_results(app._token, outcome, "relevance")))
        await pilot.pause()
        assert papers.ids[0] in ids  # the rows were shown; the cursor's report found no viewer, quietly


async def test_the_list_asking_for_more_as_it_goes_is_ignored(sample_dir: Path) -> None:
    """A list near its end posts NearEnd; at quit the list may be gone by the time the app reads it."""
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        rows = len(papers.ids)
        await papers.remove()
        app._near_end(PaperList.NearEnd(rows))
        assert app.limit == app_module.PAGE  # nothing fetched, nothing raised
    app._near_end(PaperList.NearEnd(rows))  # after quitting, with no screen left
