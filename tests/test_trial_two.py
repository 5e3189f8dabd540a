"""Findings of a second new-user trial: the viewer's metadata line, Catch up's keys and rows, messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widgets import OptionList, Static

from paperreader.cli import main
from paperreader.library import Library
from paperreader.tui.catchup import CatchupScreen
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import PaperViewer, meta_line

from .digests import P, abstract, page, write
from .test_catchup_tui import Keys, build, open_catch_up
from .test_reader_flow import notes, wait_for
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


# -- Catch up at 80x24 --------------------------------------------------------------------------------

LONG_WHY = "for you: like 2 papers you kept (sparsity, activation, acceleration, kernels, inference, pruning)"


def _trained_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """The for-you model's answer for every pick: a long why (as with a few kept papers on a real library)."""
    import paperreader.catchup as core

    def trained(library: Library, ids: list[str]) -> tuple[dict[str, float], dict[str, str | None]]:
        return {pid: 1.0 / (n + 1) for n, pid in enumerate(ids)}, {pid: LONG_WHY for pid in ids}

    monkeypatch.setattr(core, "_interest", trained)


def _list_lines(screen: CatchupScreen) -> list[str]:
    options = screen.query_one(OptionList)
    return [options.render_line(y).text for y in range(options.size.height)]


async def test_catch_up_wraps_a_long_why_whole_at_80_columns(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(data_dir, tmp_path, 2, 20)
    _trained_everywhere(monkeypatch)
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        options = screen.query_one(OptionList)
        width = options.scrollable_content_region.width
        prompt = options.get_option_at_index(1).prompt
        assert isinstance(prompt, Text)
        title, *why = prompt.split("\n")
        assert len(why) >= 2 and all(line.cell_len <= width for line in [title, *why])
        assert " ".join(line.plain.strip() for line in why) == LONG_WHY  # every word, none cut to "accele…"


async def test_catch_up_keys_stop_at_the_ends_and_the_first_days_heading_comes_back(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(data_dir, tmp_path, 3, 20)
    _trained_everywhere(monkeypatch)
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        options = screen.query_one(OptionList)
        first = options.highlighted
        heading = str(options.get_option_at_index(0).prompt)
        assert heading.startswith("── ") and first == 1
        await keys("j", "j", "j", "k", "k", "k")
        await pilot.pause()
        assert options.highlighted == first
        lines = _list_lines(screen)
        assert lines[0].startswith(heading[:20]), lines[:3]  # the day's heading is on screen again
        await keys("j", "j", "j", "home")
        await pilot.pause()
        assert options.highlighted == first and _list_lines(screen)[0].startswith(heading[:20])
        await keys("k")  # on the first paper k stays (it does not wrap round to the last row)
        assert options.highlighted == first
        await keys("G")
        await pilot.pause()
        last = options.option_count - 1
        assert options.highlighted == last
        await keys("j")  # on the last row j stays, as in the reader's list
        await pilot.pause()
        assert options.highlighted == last
        await keys("g")
        await pilot.pause()
        assert options.highlighted == first and _list_lines(screen)[0].startswith(heading[:20])
        for _ in range(12):  # a paper's title is on screen whenever its why line is
            await keys("j")
            await pilot.pause()
            row = options.get_option_at_index(options.highlighted).prompt
            assert isinstance(row, Text)
            assert any(row.plain.split("\n")[0][:30] in line for line in _list_lines(screen))


async def test_catch_up_names_a_day_whose_unread_papers_all_show_under_a_later_day(data_dir: Path, tmp_path: Path) -> None:
    """Stats and the digests screen count 3 days with unread papers; the title said "in 2 days" with no word why."""
    papers = [P(f"Paper {n} on learning", f"About {n}.", ("  • 2 authors", f"Nov 1, 2026 {n + 1}")) for n in range(11)]
    with Library(data_dir) as library:
        library.import_paths([write(tmp_path / "d" / "a.txt", page("Nov 18", papers[:3]))], date=dt.date(2026, 11, 18))
        library.import_paths([write(tmp_path / "d" / "b.txt", page("Nov 19", papers[:3]))], date=dt.date(2026, 11, 19))
        library.import_paths([write(tmp_path / "d" / "c.txt", page("Nov 20", papers[:9]))], date=dt.date(2026, 11, 20))
        library.import_paths([write(tmp_path / "d" / "e.txt", page("Nov 17", papers[9:]))], date=dt.date(2026, 11, 17))
        assert sum(1 for day in library.store.digest_days() if day.unread) == 4
    app = make_app(data_dir)
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_catch_up(pilot, Keys(pilot))
        assert [day.date.day for day in screen._found.days] == [20, 17]
        title = str(screen.query_one("#catchup-title").render())
        assert "11 unread in 2 days" in title
        assert "Nov 19, Nov 18's unread all show under a later day" in title


# -- messages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("undo_in", ["shell", "reader"])
async def test_papers_put_back_by_undoing_a_forget_are_announced_as_back_not_new(tmp_path: Path, undo_in: str) -> None:
    data = tmp_path / "data"
    monday = [P(f"Monday paper number {n}", abstract(f"monday topic {n}")) for n in range(3)]
    tuesday = [P(f"Tuesday paper number {n}", abstract(f"tuesday topic {n}")) for n in range(2)]
    write(tmp_path / "d" / "mon.txt", page("Mar 10", monday))
    write(tmp_path / "d" / "tue.txt", page("Mar 11", tuesday))
    assert main(["--data-dir", str(data), "import", "-q", "--date", "2025-03-12", str(tmp_path / "d" / "mon.txt")]) == 0
    assert main(["--data-dir", str(data), "import", "-q", "--date", "2025-03-12", str(tmp_path / "d" / "tue.txt")]) == 0
    app = make_app(data)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        assert main(["--data-dir", str(data), "forget", "1"]) == 0
        await wait_for(pilot, lambda: app.counts.papers == 2)
        if undo_in == "shell":
            assert main(["--data-dir", str(data), "undo"]) == 0
        else:
            app.query_one(PaperList).focus()
            await pilot.press("u")
        await wait_for(pilot, lambda: app.counts.papers == 5)
        if undo_in == "shell":
            await wait_for(pilot, lambda: any("back" in note or "new paper" in note for note in notes(app)))
        await settle(pilot)
        said = [note for note in notes(app) if "back from" in note or "new paper" in note]
        # u in the reader says "Undone: forgot …" itself; from the shell the poll says what came back.
        assert said == (["3 papers back from Mar 10 (the forget undone)"] if undo_in == "shell" else []), said
        # A real import afterwards is still news.
        write(tmp_path / "d" / "wed.txt", page("Mar 12", [P("Wednesday paper", abstract("wednesday"))]))
        assert main(["--data-dir", str(data), "import", "-q", "--date", "2025-03-13", str(tmp_path / "d" / "wed.txt")]) == 0
        await wait_for(pilot, lambda: any("new paper" in note for note in notes(app)))
        assert [note for note in notes(app) if "new paper" in note] == ["1 new paper from Mar 12"]


async def test_an_id_prefix_in_the_filter_finds_the_paper_as_the_cli_does(sample_dir: Path) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        wanted = app.query_one(PaperList).ids[4]
        others = [pid for pid in app.query_one(PaperList).ids if pid != wanted]
        prefix = next(wanted[:n] for n in range(4, 11) if not any(pid.startswith(wanted[:n]) for pid in others))
        await pilot.press("slash", *f"id:{prefix.upper()}")
        await settle(pilot)
        assert app.query_one(PaperList).ids == [wanted]


async def test_the_help_opens_on_the_query_fields_with_id(sample_dir: Path) -> None:
    """A filter error says "(? help)": the fields, id: among them, are on the help's first screen at 80x24."""
    from paperreader.tui.screens import HelpScreen

    app = make_app(sample_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"foo:bar")
        await settle(pilot)
        assert str(app.query_one("#message", Static).render()).startswith("unknown field foo (? help)")
        await pilot.press("escape", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())  # what the terminal shows
        assert "Searching (/): fields of the query" in shown
        assert "id:22cf" in shown and "org:deepmind" in shown and "title:word" in shown


@pytest.mark.parametrize("sort", ["digest", "interest", "upvotes"])
async def test_did_you_mean_is_offered_under_every_sort(sample_dir: Path, sort: str) -> None:
    app = make_app(sample_dir)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        app.query_one(PaperList).focus()
        for _ in range(8):
            if app.sort == sort:
                break
            await pilot.press("s")
            await settle(pilot)
        assert app.sort == sort
        await pilot.press("slash", *"difusion")
        await wait_for(pilot, lambda: "Did you mean" in str(app.query_one("#message", Static).render()))
        assert str(app.query_one("#message", Static).render()) == "No matches. Did you mean: diffusion"


async def test_a_long_cluster_name_leaves_the_query_field_usable_at_80_columns(data_dir: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from textual.widgets import Input

    build(data_dir, tmp_path, 2, 40)
    app = make_app(data_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        keys = Keys(pilot)
        screen = await open_catch_up(pilot, keys)
        day = screen._found.days[0].date
        clusters = screen._clusters[day]
        words = ("supervised", "self", "vision", "representation", "contrastive")
        screen.post_message(CatchupScreen.ClustersReady(day, [replace(clusters[0], terms=words), *clusters[1:]]))
        await pilot.pause()
        await pilot.pause()
        while screen.current is not None and screen.current.kind != "cluster":
            await keys("j")
        assert screen.current is not None and screen.current.cluster is not None
        size = screen.current.cluster.size
        await keys("enter")
        await settle(pilot)
        assert app.chosen is not None
        query = app.query_one("#query", Input)
        info = app.query_one("#filter-info", Static)
        assert query.outer_size.width >= 30
        shown = str(info.render()).rstrip()
        assert shown.endswith(f"({size}) (esc)") and "cluster: " in shown and "…" in shown
        assert info.region.right <= app.size.width
        await pilot.press("slash", *"diffusion")
        assert query.value == "diffusion"


@pytest.mark.parametrize("size", [(80, 24), (120, 35)])
async def test_the_digests_header_names_the_charts_range_and_every_digests(tmp_path: Path, size: tuple[int, int]) -> None:
    """Two digests in March lay outside the chart's weeks: "Sep 19 – Nov 13 · 4 digests" counted them in it."""
    from paperreader.tui.digests import DigestsScreen

    data = tmp_path / "data"
    days = [dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2026, 11, 12), dt.date(2026, 11, 13)]
    with Library(data) as library:
        for number, day in enumerate(days):
            digest = write(tmp_path / "d" / f"{number}.txt", page(f"{day:%b} {day.day}", [P(f"Paper {number} on things", abstract("things"))]))
            library.import_paths([digest], date=day)
    app = make_app(data)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, DigestsScreen))
        await pilot.pause()
        shown = " ".join(strip.text.strip() for strip in app.screen._compositor.render_strips())
        assert "(the chart)" in shown
        assert "4 digests, Mar 10, 2025 – Nov 13, 2026 (2 before the chart)" in " ".join(shown.split())
