"""Snapshots of the Catch up and digests screens at 80x24 and 120x35: every line reads whole.

A trial at 80x24 found the why of a pick cut to "for you: like 3 paper…", the
digests table's Triaged percent pushed out by a stray scrollbar, and the
digests hint cut mid-word; these pin the screens as they read now.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from .tui_helpers import make_app, settle

SIZES = [(80, 24), (120, 35)]


async def _screen_ready(pilot: Pilot) -> None:
    """Until the screen's threads (clusters, topics) have answered and their rows are drawn."""
    for _ in range(3):
        await settle(pilot)
        await pilot.app.screen.workers.wait_for_complete()
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x35"])
def test_catch_up_screen(snap_compare, sample_dir: Path, size: tuple[int, int]) -> None:
    """Each day's heading counts it as the digests screen does; a why that does not fit goes under its title."""

    async def catch_up(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "b", "C")
        await _screen_ready(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=size, run_before=catch_up)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x35"])
def test_digests_screen_sizes(snap_compare, sample_dir: Path, size: tuple[int, int]) -> None:
    """The table with its Triaged percent, the clusters "(5, 4 unread)" as on Catch up, the hint whole, u in the footer."""

    async def digests(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("n", "n", "b", "D")
        await _screen_ready(pilot)
        await pilot.press("tab", "tab")  # the clusters pane: its keys in the footer
        await settle(pilot)

    assert snap_compare(make_app(sample_dir), terminal_size=size, run_before=digests)
