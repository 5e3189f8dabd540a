"""The reader's filter bar and "similar papers", driven through the real keys."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from paperreader.library import Library
from paperreader.tui.paper_list import PaperList

from .tui_helpers import make_app, settle, visible_titles

SIZE = (120, 35)


async def test_unknown_field_is_told_in_the_filter_bar(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"diffusion")
        await settle(pilot)
        shown = visible_titles(app)
        assert 0 < len(shown) < 22
        await pilot.press(*" foo:bar")
        await settle(pilot)
        message = str(app.query_one("#message", Static).render())
        assert message.startswith("unknown field foo; fields are: title, abstract, tag, note, ")
        await pilot.press(*["backspace"] * len(" foo:bar"))
        await settle(pilot)
        assert visible_titles(app) == shown
        assert str(app.query_one("#message", Static).render()) == ""


async def test_similar_papers_shows_only_the_clearly_similar_and_counts_them(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        paper = app.rows[papers.current_id].title  # type: ignore[index]
        await pilot.press("m")
        await settle(pilot)
        with Library(sample_dir) as library:
            (source,) = [p for p in library.store.papers() if p.title == paper]
            index = library.index()
            expected = [hit.id for hit in index.more_like(source, limit=1000)]
            everything = index.more_like(source, limit=1000, ratio=0.0)
        assert len(expected) < len(everything)
        assert papers.ids == expected
        status = str(app.query_one("#list-status", Static).render())
        assert status.startswith(f"{len(expected)} similar paper")
