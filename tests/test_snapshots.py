"""Snapshot tests of the reader's screens (pytest-textual-snapshot).

The sample library is invented and fixed, the size is fixed, and nothing on
screen depends on the clock, so the SVGs are stable.  After an intended
change of the screens: ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from .tui_helpers import make_app, settle

SIZE = (120, 35)


def test_main_screen(snap_compare, sample_dir: Path) -> None:
    async def triage(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "n", "b", "j")
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=SIZE, run_before=triage)


def test_search_screen(snap_compare, sample_dir: Path) -> None:
    async def search(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("slash", *"diffusion", "enter")
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=SIZE, run_before=search)


def test_help_screen(snap_compare, sample_dir: Path) -> None:
    async def help_(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=SIZE, run_before=help_)


def test_welcome_screen(snap_compare, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def wait(pilot: Pilot) -> None:
        await settle(pilot)

    # The welcome names the data dir ("~/empty"): the same on every run.
    monkeypatch.setenv("HOME", str(tmp_path))
    assert snap_compare(make_app(tmp_path / "empty"), terminal_size=SIZE, run_before=wait)


def test_narrow_screen(snap_compare, sample_dir: Path) -> None:
    async def wait(pilot: Pilot) -> None:
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=(80, 24), run_before=wait)


def test_hostile_library_screen(snap_compare, tmp_path: Path) -> None:
    """Markup, escapes, controls, formula and BibTeX characters, a 3 KB title: all literal."""
    import datetime as dt

    from paperreader.library import Library

    from .digests import HOSTILE, page, write

    write(tmp_path / "h.txt", page("Mar 10", HOSTILE))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "h.txt"], date=dt.date(2025, 11, 20))

    async def wait(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("j", "j")  # the escapes paper in the viewer

    assert snap_compare(make_app(tmp_path / "data"), terminal_size=SIZE, run_before=wait)


def test_views_panel(snap_compare, sample_dir: Path) -> None:
    """The saved views panel with built-in and saved views and their unread counts."""
    from paperreader.library import Library
    from paperreader.models import SavedView

    with Library(sample_dir) as library:
        library.store.save_view(SavedView("Diffusion, unread", "diffusion", "unread"))
        library.store.save_view(SavedView("Agents", "agent*"))

    async def views(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "n", "v")
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=SIZE, run_before=views)


def test_digests_screen(snap_compare, sample_dir: Path) -> None:
    """One row per digest with triage bars, the sparkline, the newest day's topics."""

    async def digests(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "n", "b", "D")
        await settle(pilot)
        await pilot.app.screen.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=SIZE, run_before=digests)
