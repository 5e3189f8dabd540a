"""The reader's "for you": the sort cycle, the why line, the built-in view, learning from b, n and enter."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from paperreader import interest
from paperreader.library import Library
from paperreader.tui.paper_list import PaperList
from paperreader.tui.viewer import PaperViewer
from paperreader.tui.views import ViewsPanel

from .test_interest import TOPICS, topic_library
from .tui_helpers import make_app, settle

SIZE = (120, 35)


@pytest.fixture
def topics_dir(data_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, list[str]]]:
    library, ids = topic_library(data_dir, tmp_path)
    library.close()
    return data_dir, ids


async def sort_to_for_you(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Press s until the list is sorted "for you" (the cycle's other sorts come and go)."""
    for _ in range(10):
        if app.sort == "interest":
            break
        await pilot.press("s")
        await settle(pilot)
    assert app.sort == "interest"
    assert "sort: for you" in str(app.query_one("#filter-info", Static).render())


def why_line(app) -> str:  # type: ignore[no-untyped-def]
    return app.query_one(PaperViewer).text.plain.splitlines()


async def test_sort_cycle_reaches_for_you_and_a_bookmark_trains_it_off_the_ui_thread(
    topics_dir: tuple[Path, dict[str, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir, ids = topics_dir
    with Library(data_dir) as library:  # one kept paper short of a model
        library.store.set_state(ids["video"][: interest.THRESHOLD - 1], bookmarked=True, label="bookmarked")
    threads: list[str] = []
    rank = interest.rank

    def recording(library: Library, ids: list[str]):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        return rank(library, ids)

    monkeypatch.setattr(interest, "rank", recording)
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sort_to_for_you(pilot, app)
        papers = app.query_one(PaperList)
        await pilot.press("g")
        await settle(pilot)
        # No model yet: ranked by upvotes (the robot papers have the most), and the why line says how many more.
        assert set(papers.ids[: len(ids["robots"])]) == set(ids["robots"])
        lines = why_line(app)
        assert "for you needs 1 more kept paper (bookmark, tag or note them); ranked by upvotes meanwhile" in lines
        # Bookmark one more video paper with b: the list is ranked again, by the model now.
        papers.cursor = papers.ids.index(ids["video"][interest.THRESHOLD - 1])
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        video = set(ids["video"])
        assert set(papers.ids[: len(video)]) == video
        current = app.current
        assert current is not None and current.id == ids["video"][interest.THRESHOLD - 1]  # the cursor stayed on it
        (line,) = [line for line in why_line(app) if line.startswith("for you:")]
        assert line.startswith("for you: you kept this; like ") and "other papers you kept (" in line  # not like itself
        assert any(word in line for word in TOPICS["video"])
    assert threads and threading.main_thread().name not in threads  # ranked in workers only


async def test_for_you_view_enter_and_n_are_learnt_from(topics_dir: tuple[Path, dict[str, list[str]]]) -> None:
    data_dir, ids = topics_dir
    with Library(data_dir) as library:
        library.store.set_state(ids["proteins"][: interest.THRESHOLD], bookmarked=True, label="bookmarked")
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        options = app.query_one(ViewsPanel).query_one(OptionList)
        labels = [str(options.get_option_at_index(n).prompt) for n in range(options.option_count)]
        await pilot.press(*["down"] * next(n for n, label in enumerate(labels) if label.startswith("For you")), "enter")
        await settle(pilot)
        assert app.sort == "interest" and app.view == "unread"
        papers = app.query_one(PaperList)
        assert set(papers.ids[: len(ids["proteins"])]) == set(ids["proteins"])
        await pilot.press("escape")  # the panel closes
        await settle(pilot)
        first = ids["proteins"][interest.THRESHOLD]  # not kept
        papers.cursor = papers.ids.index(first)
        await settle(pilot)
        await pilot.press("enter")  # opened: a weak positive
        await settle(pilot)
        await pilot.press("q", "j")  # back to the list, the next paper
        await settle(pilot)
        passed = papers.current_id
        await pilot.press("n")  # passed over without opening it: a weak negative
        await settle(pilot)
    with Library(data_dir) as library:
        signals = library.store.interest_signals()
        assert first in signals.opened and passed in signals.passed and passed != first


async def until(pilot, condition, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a condition (a worker's answer, a poll), never a fixed sleep."""
    waited = 0.0
    while not condition():
        assert waited < timeout, f"timed out waiting for {what}"
        await pilot.pause(0.05)
        waited += 0.05


def for_you_line(app) -> str:  # type: ignore[no-untyped-def]
    (line,) = [line for line in why_line(app) if line.startswith("for you")]
    return line


async def test_undo_redo_and_a_command_rank_for_you_again(
    topics_dir: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever changes what the model learns from re-ranks the list: b, u (and redo), a command then u."""
    from paperreader.cli import main

    data_dir, ids = topics_dir
    with Library(data_dir) as library:
        library.store.set_state(ids["video"][: interest.THRESHOLD], bookmarked=True, label="bookmarked")
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sort_to_for_you(pilot, app)
        papers = app.query_one(PaperList)
        protein = ids["proteins"][0]
        papers.cursor = papers.ids.index(protein)
        await settle(pilot)
        order, line = list(papers.ids), for_you_line(app)
        assert papers.ids.index(protein) >= len(ids["video"])  # below the kept topic
        await pilot.press("b")
        await settle(pilot)
        kept_order, kept_line = list(papers.ids), for_you_line(app)
        assert kept_order != order and kept_line != line
        await pilot.press("u")
        await settle(pilot)
        assert app.current is not None and app.current.id == protein
        assert (list(papers.ids), for_you_line(app)) == (order, line)  # as before the b
        await pilot.press("ctrl+y")  # redo: kept again
        await settle(pilot)
        assert (list(papers.ids), for_you_line(app)) == (kept_order, kept_line)
        await pilot.press("u")
        await settle(pilot)
        assert list(papers.ids) == order
        # A bookmark from the shell: the reader's poll ranks again; then u takes it back, and ranks again.
        assert main(["--data-dir", str(data_dir), "mark", "bookmark", protein]) == 0
        capsys.readouterr()
        await until(pilot, lambda: list(papers.ids) == kept_order, "the poll to rank the command's bookmark")
        await settle(pilot)
        assert for_you_line(app) == kept_line
        await pilot.press("u")
        await settle(pilot)
        assert (list(papers.ids), for_you_line(app)) == (order, line)


async def test_the_readers_why_and_the_clis_because_agree(
    topics_dir: tuple[Path, dict[str, list[str]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Same library state, same model and words: in the reader after b and u, and in `list --sort interest --json`."""
    import json

    from paperreader.cli import main

    data_dir, ids = topics_dir
    with Library(data_dir) as library:
        library.store.set_state(ids["video"][: interest.THRESHOLD], bookmarked=True, label="bookmarked")
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sort_to_for_you(pilot, app)
        papers = app.query_one(PaperList)
        unkept, kept = ids["video"][interest.THRESHOLD], ids["video"][interest.THRESHOLD + 1]
        for pid, keys in ((kept, ["b"]), (unkept, ["b", "u"])):  # one left kept, one kept and taken back
            papers.cursor = papers.ids.index(pid)
            await settle(pilot)
            await pilot.press(*keys)
            await settle(pilot)
        lines: dict[str, str] = {}
        for pid in (kept, unkept, ids["proteins"][0]):
            papers.cursor = papers.ids.index(pid)
            await settle(pilot)
            lines[pid] = for_you_line(app)
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "list", "--sort", "interest", "--json", "--limit", "100"]) == 0
    because = {paper["id"]: paper["because"] for paper in json.loads(capsys.readouterr().out)}
    for pid, line in lines.items():
        assert because[pid] and line.endswith(f"({', '.join(because[pid])})"), (line, because[pid])
    assert lines[kept].startswith("for you: you kept this; ") and lines[unkept].startswith("for you: like ")
