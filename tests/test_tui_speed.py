"""What keeps the reader's keys within a frame: rows rendered only when they change, a quiet collector."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from paperreader.tui.paper_list import PaperList

from .tui_helpers import make_app, settle

#: A terminal whose list shows fewer rows than the sample library has (so the list scrolls).
SHORT = (120, 14)


async def test_a_cursor_move_renders_only_the_rows_that_changed(sample_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    render_row = PaperList._render_row

    def counted(self: PaperList, row: Any, *args: Any) -> Any:
        rendered.append(row.id)
        return render_row(self, row, *args)

    monkeypatch.setattr(PaperList, "_render_row", counted)
    lines: list[int] = []
    render_line = PaperList.render_line

    def counted_line(self: PaperList, y: int) -> Any:
        lines.append(y)
        return render_line(self, y)

    monkeypatch.setattr(PaperList, "render_line", counted_line)
    app = make_app(sample_dir)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        papers = app.query_one(PaperList)
        height = papers.scrollable_content_region.height
        assert len(papers.ids) > height + 3
        # Within the screen: the row left and the row reached, not the whole list.
        rendered.clear()
        lines.clear()
        await pilot.press("j")
        await pilot.pause()
        assert sorted(rendered) == sorted(papers.ids[:2])
        assert len(lines) == 2  # Textual was asked for those two lines only, not a repaint of the list
        # Past the bottom, every line moves up by one: only the rows not drawn before are rendered.
        await pilot.press(*["j"] * (height + 2))
        await pilot.pause()
        rendered.clear()
        await pilot.press("j")
        await pilot.pause()
        assert 1 <= len(rendered) <= 2, rendered
        assert papers.current_id in rendered


async def test_the_reader_keeps_its_start_up_heap_out_of_the_collector(sample_dir: Path) -> None:
    gc.unfreeze()
    app = make_app(sample_dir)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        assert gc.get_freeze_count() > 0
