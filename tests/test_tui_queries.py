"""The reader's filter bar and "similar papers", driven through the real keys."""

from __future__ import annotations

from pathlib import Path

import pytest

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
        assert message == "unknown field foo (? help) · last results kept"
        await pilot.press(*["backspace"] * len(" foo:bar"))
        await settle(pilot)
        assert visible_titles(app) == shown
        assert str(app.query_one("#message", Static).render()) == ""


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("upvotes:>abc", "upvotes:>abc: not a whole number"),
        ("foo:bar", "unknown field foo"),
        ("digest:>notadate", "digest:>notadate: not a date"),
        ("authors:abc", "authors:abc: not a whole number"),
        ("upvotes:>" + "x" * 90, "xxx…xxx"),
    ],
)
async def test_a_query_error_is_read_whole_at_80_columns(sample_dir: Path, typed: str, says: str) -> None:
    """The status line says what is wrong, short enough to be read whole; the examples are in ? help."""
    app = make_app(sample_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *typed)
        await settle(pilot)
        line = app.query_one("#message", Static)
        message = str(line.render())
        assert says in message and message.endswith(" (? help) · last results kept")
        if not typed.startswith("foo"):
            assert message.startswith(typed[:9]) and ": not a " in message
        assert len(message) <= line.content_size.width
        assert "takes" not in message and "fields are" not in message


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
