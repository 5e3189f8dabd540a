"""Quitting while timers, polls and workers are in flight: nothing outlives its widget.

At shutdown Textual closes the screens first and the App's own message pump
last, so anything the App schedules that reaches into the screen (a viewer
timer, a debounce, a worker's answer) can fire between the two and raise
``NoMatches``. These tests widen that window on purpose: after the screens are
closed, the App keeps running for a while before it closes itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.app import App

from paperreader.tui.app import PaperReaderApp

from .tui_helpers import settle

SIZE = (120, 35)


@pytest.fixture
def slow_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the App alive for 0.3 s after its screens have been closed.

    The viewer's follow-the-cursor delay becomes 0.15 s, so a timer started by
    the last key is surely still pending when the test quits, and surely fires
    inside the window.
    """
    import paperreader.tui.app as app_module

    monkeypatch.setattr(app_module, "VIEWER_DELAY", 0.15)
    close_all = App._close_all

    async def close_all_then_wait(self: App) -> None:  # type: ignore[type-arg]
        await close_all(self)
        await asyncio.sleep(0.3)

    monkeypatch.setattr(App, "_close_all", close_all_then_wait)


async def _quit_with(sample_dir: Path, *keys: str) -> None:
    app = PaperReaderApp(sample_dir, debounce=0.15, poll_interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*keys)
    # run_test re-raises what the app raised while closing; reaching here means it closed cleanly.
    assert app.return_code in (None, 0)


async def test_quit_while_the_viewer_is_about_to_follow_the_cursor(sample_dir: Path, slow_close: None) -> None:
    await _quit_with(sample_dir, "j", "j")


async def test_quit_while_a_query_is_debounced(sample_dir: Path, slow_close: None) -> None:
    await _quit_with(sample_dir, "slash", "m", "o")


async def test_quit_while_polling_for_outside_changes(sample_dir: Path, slow_close: None) -> None:
    # The poll interval is 0.1 s here: within the widened window it fires at least once.
    await _quit_with(sample_dir, "j")
