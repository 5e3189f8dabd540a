"""The reader driven through its real keys (Textual's Pilot)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from paperreader.library import Library
from paperreader.tui.app import ReaderScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.screens import ConfirmScreen, ExportScreen, HelpScreen
from paperreader.tui.viewer import PaperViewer

from .digests import HOSTILE, page, synthetic_digests, write
from .tui_helpers import make_app, row_lines, screen_lines, settle, visible_titles

SIZE = (120, 35)


def state(data_dir: Path, title: str) -> tuple[bool, bool]:
    with Library(data_dir) as library:
        (paper,) = [p for p in library.store.papers() if p.title == title]
        return paper.read, paper.bookmarked


async def test_triage_with_n_b_r_u(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = visible_titles(app)
        assert len(titles) == 22
        first, second = titles[0], titles[1]
        assert app.query_one(PaperList).has_focus

        await pilot.press("n")  # marks the first read, moves to the next unread
        assert state(sample_dir, first) == (True, False)
        assert app.query_one(PaperList).current_id == app.query_one(PaperList).ids[1]

        await pilot.press("b")
        assert state(sample_dir, second) == (False, True)
        await pilot.press("r")
        assert state(sample_dir, second) == (True, True)
        await pilot.press("u")  # undo the read
        assert state(sample_dir, second) == (False, True)
        await pilot.press("u")  # undo the bookmark
        assert state(sample_dir, second) == (False, False)
        await pilot.press("u")  # undo the n
        assert state(sample_dir, first) == (False, False)
        assert (app.counts.unread, app.counts.bookmarked) == (22, 0)
        await pilot.press("r", "b")
        assert (app.counts.unread, app.counts.bookmarked) == (21, 1) == (
            app.library.store.count("unread"), app.library.store.count("bookmarked"))
        # The list shows the state: the marker for unread, a star for bookmarks.
        await pilot.pause()
        lines = row_lines(app)
        assert lines[0].startswith("●   ") and first[:20] in lines[0]
        assert lines[1].startswith("  ★ ") and second[:20] in lines[1]


async def test_enter_opens_and_marks_read_and_space_pages(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = visible_titles(app)[0]
        await pilot.press("enter")
        assert app.query_one(PaperViewer).has_focus
        assert state(sample_dir, first) == (True, False)
        assert app.query_one(PaperViewer).text.plain.startswith(first)
        # The abstracts fit on screen, so space goes to the next paper.
        await pilot.press("space")
        assert app.query_one(PaperList).cursor == 1


async def test_filter_as_you_type_and_escape(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.query_one("#query", Input).has_focus
        await pilot.press(*"diffusion")
        await settle(pilot)
        titles = visible_titles(app)
        assert 0 < len(titles) < 22
        with Library(sample_dir) as library:
            expected = {p.title for p in library.papers_for([h.id for h in library.search("diffusion").hits])}
        assert set(titles) == expected
        assert app.sort == "relevance"
        # The matched words are highlighted in the viewer.
        page = app.query_one(PaperViewer).text
        marked = [page.plain[s.start : s.end].lower() for s in page.spans if "reverse" in str(s.style)]
        assert marked and all(word.startswith("diffusion") for word in marked)
        await pilot.press("enter")  # back to the list
        assert app.query_one(PaperList).has_focus
        await pilot.press("slash", "escape")  # escape clears the filter
        await settle(pilot)
        assert len(visible_titles(app)) == 22


async def test_bad_query_and_did_you_mean(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"difusion")
        await settle(pilot)
        message = str(app.query_one("#message", Static).render())
        assert "Did you mean: diffusion" in message
        await pilot.press(*" [/] title:(")  # hostile/broken syntax: no crash
        await settle(pilot)
        assert app.is_running


async def test_views_and_digest(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r", "j", "b")  # first read, second bookmarked
        await pilot.press("2")
        await settle(pilot)
        assert len(visible_titles(app)) == 21
        await pilot.press("3")
        await settle(pilot)
        assert len(visible_titles(app)) == 1
        await pilot.press("1", "d")  # newest digest only
        await settle(pilot)
        assert app.digest == dt.date(2025, 11, 12) and len(visible_titles(app)) == 8


async def test_sort_cycle_and_more_like_this(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # digest -> published
        await settle(pilot)
        assert app.sort == "published"
        await pilot.press("s")
        await settle(pilot)
        assert app.sort == "upvotes"
        assert visible_titles(app)[0].startswith("WorldSketch")  # 23 upvotes, the most
        await pilot.press("m")
        await settle(pilot)
        similar = visible_titles(app)
        assert similar and "WorldSketch: Video Diffusion World Models for Embodied Planning" not in similar
        await pilot.press("escape")
        await settle(pilot)
        assert len(visible_titles(app)) == 22


async def test_mark_all_read_asks_and_undoes(tmp_path: Path) -> None:
    synthetic_digests(tmp_path / "d", files=1, per_file=30)
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "d"])
    app = make_app(tmp_path / "data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.library.store.count("unread") == 30
        await pilot.press("A")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.library.store.count("unread") == 0
        await pilot.press("u")
        assert app.library.store.count("unread") == 30


async def test_export_dialog_writes_and_asks_before_overwriting(sample_dir: Path, tmp_path: Path) -> None:
    app = make_app(sample_dir)
    target = tmp_path / "out" / "bookmarks.json"
    target.parent.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b", "j", "b", "e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#format").value = "json"
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        data = json.loads(target.read_text())
        assert [p["title"] for p in data] and all(p["bookmarked"] for p in data) and len(data) == 2
        target.write_text("keep me")
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(target)
        app.screen.query_one("#path", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert target.read_text() == "keep me"


async def test_help_lists_every_binding(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = {binding_id: (keys, what) for keys, what, binding_id in app.help_rows()}
        for binding in ReaderScreen.BINDINGS:
            keys = " ".join(app.get_key_display(type(binding)(k, "")) for k in binding.key.split(","))
            assert rows[binding.id] == (keys, binding.tooltip)
        for binding in PaperList.BINDINGS:  # the list's keys too, with their ids
            assert binding.id in rows
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_hostile_titles_render_literally(tmp_path: Path) -> None:
    write(tmp_path / "h.txt", page("Mar 10", HOSTILE))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "h.txt"], date=dt.date(2025, 11, 20))
    app = make_app(tmp_path / "data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        assert any("[bold red]Markup[/] in a title" in line for line in lines)
        assert any("[Re] Reproducing Sparse Attention" in line for line in lines)
        assert all("\x1b" not in line and len(line) == app.query_one(PaperList).size.width for line in lines)
        # Walk every paper: the viewer shows each title literally, nothing crashes.
        await pilot.pause(0.1)
        for _ in HOSTILE:
            shown = app.query_one(PaperViewer).text.plain
            assert "\x1b" not in shown
            assert app.current is not None and shown.startswith(app.current.title)
            await pilot.press("j")
            await pilot.pause(0.1)  # the viewer follows the cursor when it rests
        svg = app.export_screenshot()
        assert "pwned" not in svg and "Red&#160;Escapes" in svg
        await pilot.press("slash", *"[/]")
        await settle(pilot)
        assert app.is_running


async def test_empty_library_shows_welcome(tmp_path: Path) -> None:
    app = make_app(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.has_class("empty")
        assert "paperreader import" in str(app.query_one("#welcome", Static).render())


async def test_import_from_the_tui(tmp_path: Path) -> None:
    synthetic_digests(tmp_path / "d", files=2, per_file=5)
    app = make_app(tmp_path / "empty")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        await pilot.press(*str(tmp_path / "d"), "enter")
        await settle(pilot)
        await settle(pilot)
        assert not app.screen.has_class("empty")
        assert len(visible_titles(app)) == 10


async def test_picks_up_changes_from_another_process(sample_dir: Path, tmp_path: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        write(tmp_path / "new.txt", page("Nov 13", HOSTILE[:1]))
        with Library(sample_dir) as other:  # the CLI, say
            other.import_paths([tmp_path / "new.txt"], date=dt.date(2025, 11, 20))
            other.store.set_state(other.store.ids()[:3], bookmarked=True)
        await pilot.pause(0.5)
        await settle(pilot)
        assert len(visible_titles(app)) == 23
        assert visible_titles(app)[0] == "[bold red]Markup[/] in a title"


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_sizes(sample_dir: Path, size: tuple[int, int]) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        lines = screen_lines(app)
        # The newest digest's heading, then its first paper.
        assert lines[0].startswith("── Wed Nov 12, 2025 · 8 papers ─") and lines[1].startswith("●")


async def test_a_failing_worker_is_reported_not_fatal(sample_dir: Path, monkeypatch) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("database disk image is malformed")

        monkeypatch.setattr(app.library, "search", broken)
        await pilot.press("slash", *"robot")
        await settle(pilot)
        assert app.is_running
        assert any("database disk image is malformed" in str(n.message) for n in app._notifications)
