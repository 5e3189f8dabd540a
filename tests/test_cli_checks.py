"""CLI commands that used to answer wrongly or silently: views, digests, data dirs, config,
doctor, query fields, similar papers, ids from piped output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.library import Library

from .digests import MONDAY, TUESDAY, P, abstract, page, write


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A library of two digests (2025-03-10 and 2025-03-11), five papers."""
    folder = tmp_path / "digests"
    write(folder / "mon.txt", page("Mar 10", MONDAY))
    write(folder / "tue.txt", page("Mar 11", TUESDAY))
    data_dir = str(tmp_path / "data")
    status, _, err = run(capsys, "--data-dir", data_dir, "import", str(folder), "--date", "2025-11-20")
    assert status == 0, err
    return data_dir


def ids(capsys: pytest.CaptureFixture[str], data: str, *args: str) -> list[str]:
    status, out, err = run(capsys, "--data-dir", data, "list", "--json", *args)
    assert status == 0, err
    return [paper["id"] for paper in json.loads(out)]


# -- built-in views -----------------------------------------------------------------------


def test_builtin_views_work_in_list_and_views(data: str, capsys) -> None:
    every = ids(capsys, data)
    run(capsys, "--data-dir", data, "mark", "read", every[0])
    run(capsys, "--data-dir", data, "mark", "bookmark", every[1])
    assert ids(capsys, data, "--view", "Unread") == ids(capsys, data, "--unread")
    assert len(ids(capsys, data, "--view", "Unread")) == 4
    assert ids(capsys, data, "--view", "unread") == ids(capsys, data, "--unread")  # case is forgiven
    assert ids(capsys, data, "--view", "Bookmarked") == [every[1]]
    assert ids(capsys, data, "--view", "All papers") == every
    assert sorted(ids(capsys, data, "--view", "Today")) == sorted(ids(capsys, data, "--digest", "2025-03-11"))

    status, out, _ = run(capsys, "--data-dir", data, "views", "--json")
    rows = {row["name"]: row for row in json.loads(out)}
    assert [name for name, row in rows.items() if row["builtin"]] == ["All papers", "Today", "Unread", "Bookmarked", "For you"]
    assert (rows["Unread"]["papers"], rows["Unread"]["unread"]) == (4, 4)
    assert (rows["Today"]["papers"], rows["Bookmarked"]["papers"]) == (3, 1)
    status, out, _ = run(capsys, "--data-dir", data, "views")
    assert status == 0 and out.splitlines()[2].split()[:3] == ["Unread", "4", "unread"]

    status, _, err = run(capsys, "--data-dir", data, "list", "--view", "Nope")
    assert status == 1
    assert err == "paperreader: no view named 'Nope'; views: 'All papers', 'Today', 'Unread', 'Bookmarked', 'For you'\n"


def test_the_reader_and_the_cli_share_the_builtin_views() -> None:
    from paperreader import models
    from paperreader.tui import views

    assert views.BUILTIN_VIEWS is models.BUILTIN_VIEWS
    assert [view.name for view in models.BUILTIN_VIEWS] == ["All papers", "Today", "Unread", "Bookmarked", "For you"]


# -- a digest that does not exist ----------------------------------------------------------


@pytest.mark.parametrize("command", ["list", "search"])
def test_missing_digest_is_an_error_with_the_nearest_dates(data: str, capsys, command: str) -> None:
    args = ["--digest", "2026-11-13"] + (["robot"] if command == "search" else [])
    status, out, err = run(capsys, "--data-dir", data, command, *args)
    assert (status, out) == (1, "")
    assert err == "paperreader: no digest on 2026-11-13; the nearest: 2025-03-10, 2025-03-11\n"
    status, _, err = run(capsys, "--data-dir", data, command, "--digest", "2025-03-12", *args[2:])
    assert status == 1 and "the nearest: 2025-03-10, 2025-03-11" in err
    assert ids(capsys, data, "--digest", "2025-03-10")  # a real one still lists


# -- no library, no new library -----------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["list"], ["search", "robot"], ["views"], ["stats"], ["export"], ["backup"], ["doctor"], ["tag", "list"]]
)
def test_read_only_commands_do_not_create_a_library(tmp_path: Path, capsys, command: list[str]) -> None:
    typo = tmp_path / "librray"
    status, out, err = run(capsys, "--data-dir", str(typo), *command)
    assert (status, out) == (1, "")
    assert err.count("\n") == 1 and f"{typo}: no library here" in err
    assert not typo.exists()
    empty = tmp_path / "empty-folder"
    empty.mkdir()
    status, _, err = run(capsys, "--data-dir", str(empty), *command)
    assert status == 1 and "no library here" in err and list(empty.iterdir()) == []


def test_import_still_creates_a_library(tmp_path: Path, capsys) -> None:
    digest = write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    status, _, err = run(capsys, "--data-dir", str(tmp_path / "new"), "import", str(digest))
    assert status == 0, err
    assert (tmp_path / "new" / "library.sqlite3").exists()


# -- config: unknown binding ids, --init ----------------------------------------------------


def test_config_warns_about_an_unknown_binding_id(tmp_path: Path, capsys) -> None:
    config = write(tmp_path / "config.toml", '[keys]\nbogus_action = "x"\ntoggle_bookmrk = "B"\nnext_unread = "n,J"\n')
    status, out, _ = run(capsys, "--config", str(config), "config")
    assert status == 0
    assert f"warning: {config}: keys.bogus_action: unknown binding id; ignored (? in the reader lists them)" in out
    assert "keys.toggle_bookmrk: unknown binding id; ignored (did you mean toggle_bookmark?)" in out
    status, out, _ = run(capsys, "--config", str(config), "config", "--json")
    document = json.loads(out)
    assert document["keys"] == {"next_unread": "n,J"}
    assert len(document["warnings"]) == 2


def test_binding_ids_match_the_readers_bindings() -> None:
    """The CLI's list of binding ids (Textual-free) is the reader's, binding for binding."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding

    import paperreader.tui
    from paperreader.config import BINDING_IDS

    found: set[str] = set()
    for module_info in pkgutil.iter_modules(paperreader.tui.__path__, "paperreader.tui."):
        module = importlib.import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                found |= {b.id for b in vars(cls).get("BINDINGS", []) if isinstance(b, Binding) and b.id}
    assert found == BINDING_IDS


def test_config_init_creates_the_folder_and_never_replaces(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "not" / "yet" / "config.toml"
    monkeypatch.setenv("PAPERREADER_CONFIG", str(path))
    status, _, err = run(capsys, "config", "--init")
    assert status == 0 and str(path) in err
    status, example, _ = run(capsys, "config", "--example")
    assert path.read_text("utf-8") == example
    status, out, _ = run(capsys, "config", "--json")
    assert status == 0 and json.loads(out)["warnings"] == []  # the example is a valid config
    path.write_text('theme = "mine"\n', "utf-8")
    status, _, err = run(capsys, "config", "--init")
    assert status == 1 and "already" in err and path.read_text("utf-8") == 'theme = "mine"\n'
    with pytest.raises(SystemExit):
        main(["config", "--help"])
    out = capsys.readouterr().out
    assert "paperreader config --init" in out and "> \"$(paperreader config --path)\"" not in out


# -- doctor after normal use ----------------------------------------------------------------


def test_doctor_catches_up_a_lagging_index_without_rebuilding(data: str, capsys) -> None:
    first = ids(capsys, data)[0]
    status, out, _ = run(capsys, "--data-dir", data, "search", "robot")  # the index is open and current
    index = Path(data) / "index"
    before = index.stat().st_ino
    run(capsys, "--data-dir", data, "tag", "add", "keep", first)  # changes the store, not the index
    status, out, _ = run(capsys, "--data-dir", data, "doctor")
    assert status == 0
    assert "fixed" not in out and "rebuilt" not in out
    assert (
        "info     index/: 1 paper changed since the search index last saw the library "
        "(normal after commands that do not search); caught up"
    ) in out
    assert "ok       index/: the search index matches the library" in out
    assert index.stat().st_ino == before  # the same index, caught up, not a new one
    status, out, _ = run(capsys, "--data-dir", data, "search", "--json", "tag:keep")
    assert [paper["id"] for paper in json.loads(out)] == [first]


# -- unknown query fields ---------------------------------------------------------------------


def test_unknown_field_is_an_error_naming_the_fields(data: str, capsys) -> None:
    status, out, err = run(capsys, "--data-dir", data, "search", "foo:bar")
    assert (status, out) == (1, "")
    assert err.startswith("paperreader: unknown field foo; fields are: title, abstract, tag, note, ")
    assert err.count("\n") == 1
    status, _, err = run(capsys, "--data-dir", data, "search", "robot AND tags:(rl OR agents)")
    assert status == 1 and "unknown field tags;" in err
    # Known fields, a title's "Word: rest" and URLs are queries as before.
    for query in ("title:robot", "Diffusion: robot", "https://example.org/robot grasping", "digest:2025-03-10"):
        assert run(capsys, "--data-dir", data, "search", query)[0] == 0, query


# -- similar papers -----------------------------------------------------------------------------


def test_similar_papers_are_only_the_clearly_similar(tmp_path: Path) -> None:
    spin = "quantum annealing of spin glass ground states with a learned solver"
    near = [P(f"Spin Glass Annealing {n}", f"We study {spin}. Variant {n} of the annealing schedule.") for n in range(3)]
    # Each of these shares one ordinary word with the spin-glass papers, no more.
    far = [P(f"Unrelated Study {n}", abstract(f"{topic} with a learned model")) for n, topic in enumerate(
        ["speech recognition", "protein folding", "code generation", "robot grasping", "image captioning",
         "graph coloring", "music generation", "weather forecasting"]
    )]
    write(tmp_path / "d.txt", page("Mar 10", near + far))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "d.txt"])
        index = library.index()
        (paper,) = [p for p in library.store.papers() if p.title == "Spin Glass Annealing 0"]
        everything = index.more_like(paper, limit=100, ratio=0.0)
        similar = index.more_like(paper, limit=100)
        titles = {library.store.get(hit.id).title for hit in similar}  # type: ignore[union-attr]
    assert len(everything) > len(similar)  # Whoosh alone returns the unrelated ones too
    assert titles == {"Spin Glass Annealing 1", "Spin Glass Annealing 2"}
    assert all(hit.score >= 0.5 * similar[0].score for hit in similar)


# -- ids from piped output ----------------------------------------------------------------------


def test_plain_list_output_pipes_into_mark(data: str, capsys, monkeypatch) -> None:
    status, listing, _ = run(capsys, "--data-dir", data, "list", "--unread")
    assert status == 0 and len(listing.splitlines()) == 5
    monkeypatch.setattr("sys.stdin", io.StringIO(listing))
    status, out, err = run(capsys, "--data-dir", data, "mark", "read", "-")
    assert status == 0, err
    assert out == "Marked 5 papers read.\n"
    assert ids(capsys, data, "--unread") == []
    # search output too: its snippet lines carry no ids.
    status, found, _ = run(capsys, "--data-dir", data, "search", "diffusion OR speech")
    assert status == 0 and "    …" in found
    monkeypatch.setattr("sys.stdin", io.StringIO(found))
    status, out, err = run(capsys, "--data-dir", data, "mark", "bookmark", "-")
    assert status == 0, err
    assert out == "Marked 2 papers bookmarked.\n"
    # Bare ids, several to a line, still work; a wrong one is still named.
    first, second = ids(capsys, data)[:2]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{first[:6]} {second}\nnot-an-id\n"))
    status, _, err = run(capsys, "--data-dir", data, "mark", "unread", "-")
    assert status == 1 and "unknown id: not-an-id" in err
