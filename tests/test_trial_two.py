"""Findings of a second new-user trial: the viewer's metadata line, Catch up's keys and rows, messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual.geometry import Region
from textual.widgets import Static

from paperreader.library import Library
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import PaperViewer, meta_line

from .digests import P, abstract, page, write
from .test_reader_flow import wait_for
from .tui_helpers import make_app, settle


async def test_the_metadata_line_never_leaves_a_state_mark_alone_on_a_line(tmp_path: Path) -> None:
    """At any width the line wraps between its parts: "★ bookmarked" stays whole, never "★" / "bookmarked"."""
    papers = [P(f"A Paper About Sparse Activations {n}", abstract("sparsity"), ("Some Research Organization", "Oct 31, 2024 123")) for n in range(2)]
    write(tmp_path / "d.txt", page("Nov 12", papers))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "d.txt"], date=dt.date(2026, 11, 13))
    app = make_app(tmp_path / "data")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("b", "r")
        viewer = app.query_one(PaperViewer)
        await wait_for(pilot, lambda: "★ bookmarked" in viewer.text.plain and "· read" in viewer.text.plain)
        meta = viewer.query_one("#paper-meta", Static)
        seen: set[int] = set()
        for width in range(30, 104, 3):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            lines = [strip.text.rstrip() for strip in meta.render_lines(Region(0, 0, *meta.size))]
            assert any("★ bookmarked" in line for line in lines), (width, lines)
            assert " ".join(lines) == meta_line(app.library.store.get(app.query_one(PaperList).current_id)), (width, lines)
            seen.add(len(lines))
        assert len(seen) > 1  # the widths tried do wrap the line somewhere
