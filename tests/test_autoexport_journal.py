"""Auto-exports follow the journal: only journaled changes count, and only those touching an export's papers.

The reader keeps one :class:`AutoExporter` for its whole run.  At 100,000
papers a notes folder of everything takes seconds to render, so a bookmark must
rewrite one note, and a read mark on a paper outside a ``tag:thesis`` export
must not render that export at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from paperreader import autoexport
from paperreader.config import AutoExport
from paperreader.exports import NOTES_MARKER, parse_selection
from paperreader.library import Library
from paperreader.models import SavedView

from .test_export_lists import DIFFUSION, GRAPH, REWARD, SPARSE, SPEECH, lib_dir  # noqa: F401 - the fixture

__all__ = ["lib_dir"]


def auto(path: Path, fmt: str, select: str) -> AutoExport:
    return AutoExport(path=path, format=fmt, select=select, selection=parse_selection(select))


class Calls:
    """Wraps a function of the exporter's module and records the papers each call was given."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
        self.papers: list[list[str]] = []
        real: Callable[..., Any] = getattr(autoexport, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            given = next(arg for arg in args if isinstance(arg, Sequence) and not isinstance(arg, str))
            only = kwargs.get("only")  # write_notes: the papers whose files it looks at
            self.papers.append([paper.title for paper in given if only is None or paper.id in only])
            return real(*args, **kwargs)

        monkeypatch.setattr(autoexport, name, spy)

    def take(self) -> list[list[str]]:
        calls, self.papers = self.papers, []
        return calls


def test_the_exporter_renders_only_what_journaled_changes_touch(
    lib_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    bib, notes = tmp_path / "thesis.bib", tmp_path / "notes"
    renders, note_writes = Calls(monkeypatch, "export"), Calls(monkeypatch, "write_notes")
    with Library(lib_dir) as library:
        store = library.store
        ids = {paper.title: paper.id for paper in store.papers()}
        exporter = autoexport.AutoExporter(
            library, [auto(bib, "bibtex", "tag:thesis"), auto(notes, "notes", "all")]
        ).attach()
        assert [o.status for o in exporter.flush()] == ["written", "written"]  # the first flush: everything
        assert renders.take() == [[]] and len(note_writes.take()[0]) == 8
        mine = next(path for path in notes.iterdir() if SPEECH in path.name)
        mine.write_text(mine.read_text() + "my reading notes\n")

        # A commit the journal does not record (the reader's theme) is no change of any export.
        store.set_setting("theme", "nord")
        assert not exporter.pending

        # A bookmark: the notes folder rewrites that paper's file alone; the thesis list is not rendered.
        store.set_state([ids[GRAPH]], bookmarked=True)
        assert exporter.pending
        assert [o.status for o in exporter.flush()] == ["unchanged", "written"]
        assert renders.take() == [] and note_writes.take() == [[GRAPH]]
        graph_note = next(path for path in notes.iterdir() if GRAPH in path.name).read_text()
        assert "bookmarked:" in graph_note

        # A paper entering the thesis list renders it, with that paper.
        store.set_tags([ids[REWARD]], add=["thesis"])
        assert [o.status for o in exporter.flush()] == ["written", "written"]
        assert renders.take() == [[REWARD]] and note_writes.take() == [[REWARD]]
        assert [entry["title"] for entry in bibtexparser.parse_string(bib.read_text()).entries] == ["{" + REWARD + "}"]

        # A note on a paper of the list rewrites both; the user's lines below the marker stay.
        store.set_note(ids[SPEECH], "read twice")
        store.set_tags([ids[SPEECH]], add=["thesis"])
        assert [o.status for o in exporter.flush()] == ["written", "written"]
        assert renders.take() == [[REWARD, SPEECH]] and note_writes.take() == [[SPEECH]]
        text = mine.read_text()
        assert "note: read twice" in text and text.endswith(f"{NOTES_MARKER}\nmy reading notes\n")

        # A change of a paper outside the list, and undone: the list is never rendered.
        store.set_state([ids[SPARSE]], read=True)
        store.journal.undo()
        assert [o.status for o in exporter.flush()] == ["unchanged", "written"]
        assert renders.take() == [] and note_writes.take() == [[SPARSE]]

        # The folder removed by the user: the next change writes it whole again.
        for path in notes.iterdir():
            path.unlink()
        notes.rmdir()
        store.set_state([ids[DIFFUSION]], read=True)
        exporter.flush()
        assert len(note_writes.take()[0]) == 8 and len(list(notes.iterdir())) == 8


def test_a_saved_view_export_follows_the_view(lib_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    md = tmp_path / "robots.md"
    renders = Calls(monkeypatch, "export")
    with Library(lib_dir) as library:
        exporter = autoexport.AutoExporter(library, [auto(md, "md", "view:Robots")]).attach()
        exporter.flush()
        assert renders.take() == [[DIFFUSION]]
        # The view's query changes: no paper changed, but the view did.
        library.store.save_view(SavedView("Robots", query="speech"), replacing="Robots")
        assert exporter.pending
        assert [o.status for o in exporter.flush()] == ["written"]
        assert renders.take() == [[SPEECH]] and SPEECH in md.read_text() and DIFFUSION not in md.read_text()
        # Another view's change is not this export's.
        library.store.save_view(SavedView("Other", query="graph"))
        assert [o.status for o in exporter.flush()] == ["unchanged"] and renders.take() == []


def test_a_paper_leaving_a_notes_auto_export_loses_its_file_unless_the_user_wrote_in_it(
    lib_dir: Path, tmp_path: Path  # noqa: F811
) -> None:
    notes = tmp_path / "kept"
    told: list[str] = []
    with Library(lib_dir) as library:
        store = library.store
        ids = {paper.title: paper.id for paper in store.papers()}
        exporter = autoexport.AutoExporter(library, [auto(notes, "notes", "bookmarked")], notify=told.append).attach()
        exporter.flush()
        assert sorted(path.stem for path in notes.iterdir()) == sorted([SPARSE, REWARD])

        def files() -> list[str]:
            return sorted(path.stem for path in notes.iterdir())

        # A bookmark made and undone: the paper's file comes and goes (paperreader wrote all of it).
        store.set_state([ids[GRAPH]], bookmarked=True)
        exporter.flush()
        assert files() == sorted([SPARSE, REWARD, GRAPH])
        store.journal.undo()
        exporter.flush()
        assert files() == sorted([SPARSE, REWARD])

        # A file the user wrote in stays when its paper leaves, and the user is told once.
        sparse = notes / f"{SPARSE}.md"
        sparse.write_text(sparse.read_text() + "why I kept it\n")
        store.set_state([ids[SPARSE]], bookmarked=False)
        exporter.flush()
        assert files() == sorted([SPARSE, REWARD]) and sparse.read_text().endswith("why I kept it\n")
        assert len(told) == 1 and "1 note file(s) of papers no longer selected kept" in told[0]

    # A new process (its first flush looks at the whole folder) prunes the same way.
    with Library(lib_dir) as library:
        library.store.set_state([ids[REWARD]], bookmarked=False)
        fresh = autoexport.AutoExporter(library, [auto(notes, "notes", "bookmarked")]).attach()
        (outcome,) = fresh.flush()
        assert outcome.status == "written" and files() == [SPARSE]


def test_an_export_by_hand_to_a_notes_folder_never_removes_files(
    lib_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    from paperreader.cli import main

    folder = tmp_path / "vault"
    assert main(["--data-dir", str(lib_dir), "export", "--format", "notes", "--tag", "rl", "-o", str(folder)]) == 0
    assert main(["--data-dir", str(lib_dir), "export", "--format", "notes", "--tag", "survey", "-o", str(folder)]) == 0
    capsys.readouterr()
    assert sorted(path.stem for path in folder.iterdir()) == sorted([SPARSE, DIFFUSION])  # both lists' papers
