"""The Catch up screen (C) through the reader's keys: a week triaged in a few keys, clusters read and undone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Label

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
        await keys("escape")  # back to the list as it was: every day
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
        # The same words as on the Catch up screen; what does not fit one line of the pane takes two, uncut.
        flat = " ".join(shown.split())  # its lines read as one
        assert flat.startswith(f"◆ {cluster.label}") and flat.endswith(f" ({cluster.size}, {cluster.size} unread)")
        assert all(len(line) <= options.scrollable_content_region.width for line in shown.split("\n"))
        await pilot.press("r")
        await pilot.pause()
        assert all(p.read for p in store.get_many(list(cluster.ids)).values())
        assert store.journal.actions(limit=1)[0].label == f"marked {cluster.size} papers read (cluster {cluster.label})"
        table = screen.query_one(DataTable)
        assert str(table.get_row_at(0)[2]).strip() == str(60 - cluster.size)  # the day's row follows
        assert str(options.get_option_at_index(0).prompt).endswith(f" ({cluster.size}, all read)")
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


WHY = "for you: like 3 papers you kept (diffusion, video, editing)"


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_the_why_of_a_pick_reads_whole_under_a_long_title(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    """At 80 columns the why was cut to "for you: like 3 paper…" (at 120 to "(s…"): it gets a line of its own."""
    import paperreader.catchup as core
    from textual.widgets import OptionList

    from tests.digests import P, page, write

    long_title = "A Very Long Title " + " ".join(f"word{n}" for n in range(60))
    papers = [P(long_title if n == 0 else f"P{n}", f"About things number {n}.", ("  • 2 authors", f"Nov 1, 2026 {50 - n}")) for n in range(8)]
    with Library(data_dir) as library:
        library.import_paths([write(tmp_path / "h.txt", page("Nov 20", papers))], date=LAST)

    def trained(library: Library, ids: list[str]) -> tuple[dict[str, float], dict[str, str | None]]:
        """A model's answer: the long title first, every pick with the model's why."""
        titles = library.store.get_many(ids)
        return {pid: 1.0 if titles[pid].title.startswith("A Very") else 0.5 for pid in ids}, {pid: WHY for pid in ids}

    monkeypatch.setattr(core, "_interest", trained)
    app = make_app(data_dir)
    async with app.run_test(size=size) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        options = screen.query_one(OptionList)
        width = options.scrollable_content_region.width
        first = options.get_option_at_index(1).prompt
        assert isinstance(first, Text)
        title_line, why_line = first.split("\n")
        assert title_line.plain.lstrip(" ★●").split("▲50 ")[1].startswith("A Very Long Title word0")
        assert why_line.plain.strip() == WHY  # whole, under the title
        assert title_line.cell_len <= width and why_line.cell_len <= width  # no line wrapped by the list
        short = options.get_option_at_index(2).prompt  # "P1" and its why fit on one line: one line
        assert isinstance(short, Text) and "\n" not in short.plain and short.plain.endswith(WHY)
        assert "the top of each ranked for you" in str(screen.query_one("#catchup-title", Label).render())


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


def build_repeats(data_dir: Path, tmp_path: Path) -> None:
    """Nov 19 with 12 papers, Nov 20 with 10 of which 4 were Nov 19's too (real pages repeat papers)."""
    from tests.digests import P, page, write

    def paper(name: str, votes: int) -> P:
        return P(f"Paper {name} on learning", f"About {name} and its results.", ("  • 2 authors", f"Nov 1, 2026 {votes}"))

    older = [paper(f"old{n}", 10 + n) for n in range(12)]
    newer = older[:4] + [paper(f"new{n}", 30 + n) for n in range(6)]
    with Library(data_dir) as library:
        library.import_paths([write(tmp_path / "d" / "a.txt", page("Nov 19", older))], date=LAST - dt.timedelta(days=1))
        library.import_paths([write(tmp_path / "d" / "b.txt", page("Nov 20", newer))], date=LAST)


async def test_a_days_heading_counts_it_as_the_digests_screen_and_names_those_under_a_later_day(
    data_dir: Path, tmp_path: Path
) -> None:
    """Nothing read: Nov 19 said "8 unread of 12" (its 4 repeats shown under Nov 20), which reads as 4 read."""
    from textual.widgets import OptionList

    build_repeats(data_dir, tmp_path)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        options = screen.query_one(OptionList)
        headings = [str(options.get_option_at_index(n).prompt) for n, row in enumerate(screen._rows) if row.kind == "day"]
        assert headings == [
            "── Fri Nov 20, 2026 · 10 unread of 10 ──",
            "── Thu Nov 19, 2026 · 12 unread of 12 · 4 shown under a later day ──",
        ]
        days = {day.date: day for day in app.library.store.digest_days()}
        assert days[LAST - dt.timedelta(days=1)].unread == 12  # what the digests screen says
        rest = [str(options.get_option_at_index(n).prompt) for n, row in enumerate(screen._rows) if row.kind == "rest"]
        assert rest[1].startswith("  + 3 more unread")  # 8 shown under Nov 19: 5 picks and the rest, 3
        while screen.current is not None and screen.current.day.date == LAST:
            await pilot.press("j")
        await pilot.press("x")  # the rest of Nov 19 is the 3 shown as its rest, nothing else
        await pilot.pause()
        assert app.library.store.count("unread") == 18 - 3  # 12 + 6 papers
        assert app.library.store.journal.actions(limit=1)[0].label == "marked 3 papers read (the rest of Nov 19)"


async def test_opening_a_cluster_keeps_the_users_list_and_escape_brings_it_back_exactly(data_dir: Path, tmp_path: Path) -> None:
    """Enter on a cluster put id:(… OR …) in the filter bar and switched unread to all; escape did not come back."""
    from textual.widgets import Input, Static

    build(data_dir, tmp_path, 2, 60)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.library.store
        await pilot.press("2")  # unread papers
        await settle(pilot)
        papers = app.query_one(PaperList)
        await pilot.press("j", "j", "j")
        cursor_before = papers.current_id
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        while screen.current is not None and screen.current.kind != "cluster":
            await keys("j")
        cluster = screen.current.cluster  # type: ignore[union-attr]
        assert cluster is not None
        store.set_state([cluster.ids[0]], read=True)  # one of its papers read meanwhile (by a command)
        app.reload()  # as the reader does when it notices
        await keys("enter")
        await settle(pilot)
        assert app.view == "unread" and app.query_one("#query", Input).value == ""
        assert set(papers.ids) == set(cluster.ids[1:])  # its unread papers: the state the user had holds
        status = str(app.query_one("#list-status", Static).render())
        info = str(app.query_one("#filter-info", Static).render())
        label = f"cluster: {cluster.label} ({cluster.size})"
        assert status.startswith(f"{cluster.size - 1} of {label}") and f"{label} (esc)" in info
        assert "id:" not in status + info
        await keys("escape")
        await settle(pilot)
        assert app.view == "unread" and app.chosen is None and app.query_one("#query", Input).value == ""
        assert len(papers.ids) == 119 and papers.current_id == cursor_before


async def test_a_cluster_opened_from_the_digests_screen_goes_back_to_the_search_it_replaced(
    data_dir: Path, tmp_path: Path
) -> None:
    from textual.widgets import Input, OptionList

    from paperreader.tui.digests import DigestsScreen

    build(data_dir, tmp_path, 2, 60)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"learning", "enter")
        await settle(pilot)
        papers = app.query_one(PaperList)
        searched = list(papers.ids)
        assert searched and app.sort == "relevance"
        await pilot.press("j")
        cursor_before = papers.current_id
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        screen = app.screen
        assert isinstance(screen, DigestsScreen)
        options = screen.query_one("#clusters", OptionList)
        await until(pilot, lambda: LAST in screen._clusters and options.option_count > 1, "the day's clusters")
        await pilot.press("tab", "tab")
        cluster = screen.current_cluster
        assert cluster is not None
        await pilot.press("enter")
        await settle(pilot)
        assert set(papers.ids) == set(cluster.ids) and app.query_one("#query", Input).value == ""
        await pilot.press("escape")
        await settle(pilot)
        assert app.query_one("#query", Input).value == "learning" and app.sort == "relevance"
        assert list(papers.ids) == searched and papers.current_id == cursor_before


async def test_the_tag_dialog_of_a_cluster_says_it_adds_and_an_empty_line_changes_nothing(
    data_dir: Path, tmp_path: Path
) -> None:
    """It said "an empty line removes all", and enter on an empty line did nothing, silently."""
    from paperreader.tui.annotate import TagScreen

    build(data_dir, tmp_path, 1, 45)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        store = app.library.store
        while screen.current is not None and screen.current.kind != "cluster":
            await keys("j")
        cluster = screen.current.cluster  # type: ignore[union-attr]
        assert cluster is not None
        store.set_tags([cluster.ids[0]], add=["kept"])
        actions = len(store.journal.actions(limit=100))
        await keys("t")
        await until(pilot, lambda: isinstance(app.screen, TagScreen), "the tags dialog")
        said = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert "removes all" not in said and "adds them to every paper" in said and "Tags to add to" in said
        await keys("enter")  # an empty line
        await until(pilot, lambda: app.screen is screen, "the tags dialog to close")
        await pilot.pause()
        assert store.get(cluster.ids[0]).tags == ("kept",)  # type: ignore[union-attr]
        assert len(store.journal.actions(limit=100)) == actions
        assert any("No tags given: nothing changed." in str(n.message) for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_the_digests_screen_reads_whole_and_shows_undo(data_dir: Path, tmp_path: Path, size: tuple[int, int]) -> None:
    """At 80x24 the Triaged percent was pushed out (a stray scrollbar in its place), the hint was cut, u was not shown."""
    from textual.widgets import DataTable, OptionList
    from textual.widgets._footer import FooterKey

    from paperreader.tui.digests import DigestsScreen

    build(data_dir, tmp_path, 12, 20)
    with Library(data_dir) as library:
        library.store.set_state(library.store.ids("all", digest=LAST)[:5], read=True)
    app = make_app(data_dir)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await until(pilot, lambda: isinstance(app.screen, DigestsScreen), "the digests screen")
        screen = app.screen
        await until(pilot, lambda: LAST in screen._clusters, "the day's clusters")  # type: ignore[attr-defined]
        await pilot.pause()
        table = screen.query_one(DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width  # every column shows
        assert not table.show_horizontal_scrollbar
        first_row = "".join(table.render_line(1).text)
        assert first_row.rstrip().endswith("25%")  # the Triaged percent of Nov 20
        hint = screen.query_one("#digests-help", Label)
        shown = " ".join(line.text.strip() for line in hint.render_lines(hint.region.reset_offset))
        assert shown.endswith("tag a cluster") and "a topic's that day" in shown  # wrapped, not cut
        options = screen.query_one("#clusters", OptionList)
        for number, cluster in enumerate(screen._clusters[LAST]):  # type: ignore[attr-defined]
            row = str(options.get_option_at_index(number).prompt)
            flat = " ".join(row.split())  # its lines read as one
            assert cluster.label in flat and "…" not in row, row  # was "◆ retrieval · … 5" at 80 columns
            assert all(len(line) <= options.scrollable_content_region.width for line in row.split("\n"))
        assert any(key.key == "u" and key.description == "Undo" for key in screen.query(FooterKey))
        await pilot.press("tab", "tab")  # the clusters pane: its keys join the footer, which still shows them all
        await pilot.pause()
        shown = {key.description: key.region for key in screen.query(FooterKey)}
        assert {"Read", "Bookmark", "Tag", "Undo"} <= set(shown)
        palette = shown["palette"]  # the command palette's key, at the right end
        assert all(shown[name].right <= palette.x for name in ("Read", "Bookmark", "Tag", "Undo")), shown
