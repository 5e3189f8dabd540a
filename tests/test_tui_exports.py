"""Reading lists from the reader: ``e`` offers the bookmarks, this list as filtered now and each tag,
with their counts; auto-exports follow a bookmark made in the reader.  Real keys only."""

from __future__ import annotations

import time
from pathlib import Path

import bibtexparser
import rispy
from textual.pilot import Pilot
from textual.widgets import Select

from paperreader.config import load_config
from paperreader.library import Library
from paperreader.tui.app import PaperReaderApp
from paperreader.tui.paper_list import PaperList
from paperreader.tui.screens import ExportScreen

from .tui_helpers import make_app, settle, visible_titles

SIZE = (120, 35)


async def until(pilot: Pilot, condition, what: str, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition()``, failing with ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def focused_id(pilot: Pilot) -> str | None:
    focused = pilot.app.screen.focused
    return focused.id if focused is not None else None


def notices(app: PaperReaderApp) -> list[str]:
    return [str(notification.message) for notification in app._notifications]


async def test_export_this_list_as_filtered_now_from_the_keyboard(sample_dir: Path, tmp_path: Path) -> None:
    with Library(sample_dir) as library:  # a tag, so the dialog offers one
        library.store.set_tags(library.store.ids()[:3], add=["survey"])
    app = make_app(sample_dir)
    target = tmp_path / "diffusion.ris"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"diffusion", "enter")
        await until(pilot, lambda: 0 < len(app.query_one(PaperList).ids) < 10, "the filtered list")
        await settle(pilot)
        listed = visible_titles(app)
        await pilot.press("b", "e")  # one bookmark: the dialog opens on the bookmarks
        await until(pilot, lambda: isinstance(app.screen, ExportScreen), "the export dialog")
        what = app.screen.query_one("#what", Select)
        offered = [str(prompt) for prompt, _value in what._options]
        assert offered == ["The bookmarks (1)", f"This list as filtered now ({len(listed)})", "Tagged #survey (3)"]
        assert focused_id(pilot) == "what" and what.value == "bookmarks"
        await pilot.press("enter", "down", "enter")  # this list as filtered now
        await until(pilot, lambda: what.value == "list", "the list chosen")
        await pilot.press("tab", "enter", *["down"] * 4, "enter")  # Markdown, CSV, JSON, BibTeX, RIS
        await until(pilot, lambda: app.screen.query_one("#format", Select).value == "ris", "RIS chosen")
        await pilot.press("tab")
        assert focused_id(pilot) == "path"
        await pilot.press("home", "ctrl+k", *str(target), "enter")
        await until(pilot, target.exists, "the export")
        records = rispy.loads(target.read_text())
        assert [record["title"] for record in records] == listed  # in the list's order
        assert all(record["id"] for record in records)
        await until(pilot, lambda: any(f"Exported {len(listed)} paper" in n for n in notices(app)), "the notice")


async def test_a_bookmark_made_in_the_reader_updates_the_auto_export(sample_dir: Path, tmp_path: Path) -> None:
    bib = tmp_path / "reading" / "bookmarks.bib"
    bib.parent.mkdir()
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[[export]]\npath = "{bib}"\nformat = "bibtex"\n'
        f'[[export]]\npath = "{tmp_path / "gone" / "list.md"}"\nformat = "md"\n'
    )
    app = PaperReaderApp(sample_dir, config=load_config(config_file), debounce=0.01, poll_interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        title = visible_titles(app)[0]
        started = time.monotonic()
        await pilot.press("b")
        await until(pilot, lambda: bib.exists() and title in bib.read_text().replace("{", "").replace("}", ""), "the .bib")
        assert time.monotonic() - started < 1.0
        assert len(bibtexparser.parse_string(bib.read_text()).entries) == 1
        # The export that cannot be written is a notice; the reader goes on.
        await until(pilot, lambda: any("cannot write the auto-export (No such folder" in n for n in notices(app)), "the notice")
        await pilot.press("j", "b")
        await until(pilot, lambda: len(bibtexparser.parse_string(bib.read_text()).entries) == 2, "the second bookmark")
        await pilot.press("b")  # and unbookmarked: taken out again, even if the reader quits at once
    assert len(bibtexparser.parse_string(bib.read_text()).entries) == 1
