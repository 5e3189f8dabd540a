"""The Catch up screen (C) through the reader's keys: a week triaged in a few keys, clusters read and undone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from benchmarks.clusters import write_days
from paperreader.library import Library
from paperreader.tui.catchup import CatchupScreen
from paperreader.tui.paper_list import PaperList

from .tui_helpers import make_app, settle

SIZE = (120, 35)
LAST = dt.date(2026, 11, 20)


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait for a condition (a worker's answer landing), never a fixed sleep."""
    waited = 0.0
    while not condition():
        assert waited < timeout, f"timed out waiting for {what}"
        await pilot.pause(0.05)
        waited += 0.05


def build(data_dir: Path, tmp_path: Path, days: int, per_day: int) -> None:
    with Library(data_dir) as library:
        reports = library.import_paths(write_days(tmp_path / "digests", days, per_day, last=LAST))
        assert all(report.ok for report in reports)


class Keys:
    """Presses keys and counts them: the test's budget is keys, not time."""

    def __init__(self, pilot: Pilot) -> None:
        self.pilot = pilot
        self.count = 0

    async def __call__(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)


async def open_catch_up(pilot: Pilot, keys: Keys) -> CatchupScreen:
    await settle(pilot)
    await keys("C")
    await until(pilot, lambda: isinstance(pilot.app.screen, CatchupScreen), "the Catch up screen")
    screen = pilot.app.screen
    assert isinstance(screen, CatchupScreen)
    # Each day's clusters come from a thread; they add rows, so the keys wait for them.
    await until(pilot, lambda: len(screen._clusters) == len(screen._found.days), "the clusters")
    await pilot.pause()
    return screen


async def test_a_week_of_700_papers_is_triaged_in_under_60_keys(data_dir: Path, tmp_path: Path) -> None:
    build(data_dir, tmp_path, 7, 100)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        assert screen.unread_count() == 700 and len(screen._found.days) == 7
        title = str(screen.query_one("#catchup-title").render())
        from paperreader.interest import THRESHOLD

        assert "700 unread in 7 days" in title and f"for you needs {THRESHOLD} more kept papers" in title
        for day in range(7):
            assert screen.current is not None and screen.current.kind == "paper"
            assert screen.current.day.date == LAST - dt.timedelta(days=day)  # x went on to the next day
            await keys("b")  # keep the day's best paper
            await keys("j", "r")  # the second one: read it here
            await keys("x")  # the other 95 of the day: read, as one action
        await keys("escape")
        await settle(pilot)
        assert keys.count < 60, keys.count
        with Library(data_dir) as library:
            store = library.store
            # Per day: 5 picks kept unread but the one marked read, 95 others read.
            assert store.count("unread") == 7 * 4
            assert store.count("bookmarked") == 7
            labels = [action.label for action in store.journal.actions(limit=30)]
        assert labels.count("marked 95 papers read (the rest of Nov 20)") == 1
        assert sum(label.startswith("marked 95 papers read (the rest of Nov ") for label in labels) == 7
        assert app.counts.unread == 28  # the reader under the screen followed


async def test_a_cluster_is_marked_read_and_undone_and_enter_shows_it_in_the_list(data_dir: Path, tmp_path: Path) -> None:
    build(data_dir, tmp_path, 2, 60)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        while screen.current is not None and screen.current.kind != "cluster":
            await keys("j")
        row = screen.current
        assert row is not None and row.cluster is not None and not row.cluster.other
        cluster = row.cluster
        await keys("r")
        await pilot.pause()
        store = app.library.store
        assert all(p.read for p in store.get_many(list(cluster.ids)).values())
        assert store.journal.actions(limit=1)[0].label == (
            f"marked {cluster.size} papers read (cluster {cluster.label})"
        )
        assert screen.unread_count() == 120 - cluster.size
        await keys("u")
        await pilot.pause()
        assert not any(p.read for p in store.get_many(list(cluster.ids)).values())
        assert screen.unread_count() == 120
        await keys("b")  # the whole cluster bookmarked, one action
        await pilot.pause()
        assert all(p.bookmarked for p in store.get_many(list(cluster.ids)).values())
        await keys("enter")  # the list shows the cluster's papers
        await settle(pilot)
        assert not isinstance(app.screen, CatchupScreen)
        assert set(app.query_one(PaperList).ids) == set(cluster.ids)
        await keys("escape")  # clears the query: the cluster's day
        await settle(pilot)
        assert len(app.query_one(PaperList).ids) == 60
        await keys("escape")  # and every day again
        await settle(pilot)
        assert len(app.query_one(PaperList).ids) == 120


async def test_a_cluster_is_tagged_in_one_action(data_dir: Path, tmp_path: Path) -> None:
    build(data_dir, tmp_path, 1, 45)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        while screen.current is not None and screen.current.kind != "cluster":
            await keys("j")
        cluster = screen.current.cluster  # type: ignore[union-attr]
        assert cluster is not None
        await keys("t")
        await until(pilot, lambda: app.screen is not screen, "the tags dialog")
        await keys(*"topic-a", "enter")
        await until(pilot, lambda: app.screen is screen, "the tags dialog to close")
        await settle(pilot)
        store = app.library.store
        assert all(p.tags == ("topic-a",) for p in store.get_many(list(cluster.ids)).values())
        assert store.journal.actions(limit=1)[0].label == f"tagged topic-a ({cluster.size} papers, cluster {cluster.label})"


async def test_catch_up_is_in_the_help_and_the_palette(data_dir: Path, tmp_path: Path) -> None:
    build(data_dir, tmp_path, 1, 10)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sections = dict(app.help_sections())
        assert any(row[2] == "catch_up" for row in sections["The reader"])
        assert {row[2] for row in sections["The Catch up screen (C)"]} >= {"catchup.rest", "catchup.read", "catchup.undo"}
        assert any(command.title == "Catch up" for command in app.get_system_commands(app.screen))


@pytest.mark.parametrize("hostile", ["[bold red]x[/] \x1b[2J", "\x1b]8;;javascript:alert(1)\x1b\\link"])
async def test_hostile_titles_are_shown_as_text(data_dir: Path, tmp_path: Path, hostile: str) -> None:
    from tests.digests import P, page, write

    papers = [P(f"Paper {n} {hostile}", f"About {hostile} things number {n}.", ("  • 2 authors", f"Nov 1, 2026 {n}")) for n in range(8)]
    with Library(data_dir) as library:
        library.import_paths([write(tmp_path / "h.txt", page("Nov 20", papers))], date=LAST)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        from textual.widgets import OptionList

        options = screen.query_one(OptionList)
        for index in range(options.option_count):
            prompt = options.get_option_at_index(index).prompt
            assert "\x1b" not in str(prompt)
        if "[bold" in hostile:  # shown as typed, not as markup
            assert "[bold red]x[/]" in str(options.get_option_at_index(1).prompt)


async def test_the_digests_screen_shows_the_days_clusters_and_acts_on_them(data_dir: Path, tmp_path: Path) -> None:
    from textual.widgets import DataTable, OptionList

    from paperreader.tui.digests import DigestsScreen

    build(data_dir, tmp_path, 2, 60)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        screen = app.screen
        assert isinstance(screen, DigestsScreen)
        options = screen.query_one("#clusters", OptionList)
        await until(pilot, lambda: LAST in screen._clusters and options.option_count > 1, "the day's clusters")
        await pilot.press("r")  # on the days: not a cluster key
        await pilot.pause()
        store = app.library.store
        assert store.count("unread") == 120
        await pilot.press("tab", "tab")  # days -> topics -> clusters
        assert options.has_focus
        cluster = screen.current_cluster
        assert cluster is not None and not cluster.other
        shown = str(options.get_option_at_index(0).prompt)
        assert shown.startswith(f"◆ {cluster.label[:10]}") and shown.endswith(f" {cluster.size}") and len(shown) <= 27
        await pilot.press("r")
        await pilot.pause()
        assert all(p.read for p in store.get_many(list(cluster.ids)).values())
        assert store.journal.actions(limit=1)[0].label == f"marked {cluster.size} papers read (cluster {cluster.label})"
        table = screen.query_one(DataTable)
        assert str(table.get_row_at(0)[2]).strip() == str(60 - cluster.size)  # the day's row follows
        assert str(options.get_option_at_index(0).prompt).endswith(f" 0/{cluster.size}")
        await pilot.press("u")
        await pilot.pause()
        assert not any(p.read for p in store.get_many(list(cluster.ids)).values())
        assert str(table.get_row_at(0)[2]).strip() == "60"
        await pilot.press("enter")  # the list shows the cluster
        await settle(pilot)
        assert not isinstance(app.screen, DigestsScreen)
        assert set(app.query_one(PaperList).ids) == set(cluster.ids)
        assert app.counts.unread == 120


async def test_the_cursor_stays_on_its_row_when_clusters_land_above_it(data_dir: Path, tmp_path: Path) -> None:
    """Each day's clusters arrive from a thread, whenever: rows added above must not move the cursor's paper."""
    build(data_dir, tmp_path, 2, 40)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        while screen.current is not None and screen.current.day.date == LAST:
            await keys("j")
        before = screen.current
        assert before is not None and before.kind == "paper"
        newest = screen._clusters[LAST]
        # The newest day's clusters, computed again with one more: a row more above the cursor.
        screen.post_message(CatchupScreen.ClustersReady(LAST, [*newest, newest[0]]))
        await pilot.pause()
        await pilot.pause()
        assert len(screen._clusters[LAST]) == len(newest) + 1
        assert screen.current is not None and screen.current.ids == before.ids and screen.current.kind == "paper"


async def test_a_long_title_takes_one_line_at_80_columns(data_dir: Path, tmp_path: Path) -> None:
    from textual.widgets import OptionList

    from tests.digests import P, page, write

    long_title = "A Very Long Title " + " ".join(f"word{n}" for n in range(60))
    papers = [P(long_title if n == 0 else f"Paper {n} on things", f"About things number {n}.", ("  • 2 authors", f"Nov 1, 2026 {50 - n}")) for n in range(8)]
    with Library(data_dir) as library:
        library.import_paths([write(tmp_path / "h.txt", page("Nov 20", papers))], date=LAST)
    app = make_app(data_dir)
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        options = screen.query_one(OptionList)
        first = options.get_option_at_index(1).prompt
        assert str(first).lstrip(" ★●").split("▲50 ")[1].startswith("A Very Long Title word0")
        assert "top 13% of Nov 20"[:4] in str(first)  # the why is still there, cut if need be
        assert options.get_option_at_index(1).prompt.cell_len <= options.scrollable_content_region.width


async def test_leaving_and_quitting_while_the_clusters_are_computed_is_quiet(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clusters' threads may finish after the screen is gone: no NoMatches, no traceback at quit."""
    import threading

    import paperreader.tui.catchup as screen_module

    build(data_dir, tmp_path, 3, 30)
    release = threading.Event()
    finished: list[dt.date] = []
    real = screen_module.day_clusters

    def late_clusters(store, day):  # type: ignore[no-untyped-def]
        release.wait(10)  # until the screen is gone
        found = real(store, day)
        finished.append(day)
        return found

    monkeypatch.setattr(screen_module, "day_clusters", late_clusters)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CatchupScreen), "the Catch up screen")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CatchupScreen), "the reader")
        release.set()
        await until(pilot, lambda: len(finished) == 3, "the clusters' threads")
        await pilot.pause(0.1)
        await pilot.press("q")
    assert app.return_code in (0, None)
