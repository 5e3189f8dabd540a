"""The config file, the inbox watcher, and the CLI commands of tags, notes, views and stats."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.config import ConfigError, config_path, load_config
from paperreader.inbox import InboxWatcher

from .digests import MONDAY, TUESDAY, page, write


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


# -- config -----------------------------------------------------------------------


def test_missing_config_means_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "none.toml")
    assert not config.exists and config.inbox is None and config.theme is None and config.keys == {}
    assert "does not exist" in config.describe()[0]


def test_full_config(tmp_path: Path) -> None:
    path = write(
        tmp_path / "cfg" / "config.toml",
        'theme = "gruvbox"\n[inbox]\nfolder = "inbox"\ninterval = 0.2\n'
        '[keys]\ntoggle_bookmark = "B"\nnext_unread = "n, J"\nlist.down = "j,down,ctrl+n"\n',
    )
    config = load_config(path)
    assert config.theme == "gruvbox"
    assert config.inbox == tmp_path / "cfg" / "inbox"  # relative to the config file
    assert config.inbox_interval == 1.0 and "below" in config.warnings[0]
    assert config.keys == {"toggle_bookmark": "B", "next_unread": "n,J", "list.down": "j,down,ctrl+n"}


def test_wrong_types_warn_and_bad_toml_fails_naming_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "a.toml", 'theme = 3\ncolour = "x"\n[inbox]\nfolder = 5\n[keys]\nquit = ""\n'))
    assert config.theme is None and config.inbox is None and config.keys == {}
    assert len(config.warnings) == 4 and all(str(tmp_path / "a.toml") in w for w in config.warnings)
    with pytest.raises(ConfigError, match=r"b\.toml: invalid TOML \(.*line 2"):
        load_config(write(tmp_path / "b.toml", 'theme = "x"\n[inbox\n'))


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERREADER_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "opt.toml") == tmp_path / "opt.toml"
    monkeypatch.delenv("PAPERREADER_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "paperreader" / "config.toml"


def test_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "c.toml", f'theme = "nord"\n[inbox]\nfolder = "{tmp_path}"\n[keys]\nquit = "Q"\n')
    status, out, _ = run(capsys, "--config", str(path), "config")
    assert status == 0
    assert f"config file     {path}" in out and "theme           nord" in out and "keys.quit" in out
    assert f"inbox.folder    {tmp_path}" in out
    status, out, _ = run(capsys, "config", "--json", "--config", str(path))
    assert json.loads(out)["keys"] == {"quit": "Q"}
    status, out, _ = run(capsys, "config", "--example")
    example = write(tmp_path / "example.toml", out)
    assert load_config(example).warnings == [] and load_config(example).theme == "gruvbox"
    bad = write(tmp_path / "bad.toml", "theme = \n")
    status, out, err = run(capsys, "--config", str(bad), "config")
    assert status == 1 and err.count("\n") == 1 and "bad.toml: invalid TOML" in err


def test_import_without_paths_takes_the_inbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inbox = tmp_path / "inbox"
    write(inbox / "mon.txt", page("Mar 10", MONDAY))
    cfg = write(tmp_path / "c.toml", f'[inbox]\nfolder = "{inbox}"\n')
    data = str(tmp_path / "data")
    status, out, _ = run(capsys, "--config", str(cfg), "--data-dir", data, "import", "--date", "2025-03-12")
    assert status == 0 and "3 new papers" in out
    status, _, err = run(capsys, "--config", str(tmp_path / "none.toml"), "--data-dir", data, "import")
    assert status == 2 and "no inbox folder" in err


# -- the inbox watcher -------------------------------------------------------------


def test_inbox_takes_settled_files_once(tmp_path: Path) -> None:
    now = [1_000_000.0]
    watcher = InboxWatcher(tmp_path, settle=2.0, clock=lambda: now[0])
    old = write(tmp_path / "old.txt", "a")
    os.utime(old, (now[0] - 60, now[0] - 60))
    write(tmp_path / ".hidden.txt", "x")
    write(tmp_path / "notes.md", "x")
    assert watcher.scan() == [old]
    assert watcher.scan() == []  # unchanged: not again
    # A file being written (fresh mtime): taken only once it stops changing.
    fresh = write(tmp_path / "sub" / "fresh.txt", "part")
    os.utime(fresh, (now[0], now[0]))
    assert watcher.scan() == []
    write(fresh, "part and more")
    os.utime(fresh, (now[0] + 1, now[0] + 1))
    assert watcher.scan() == []  # still changing
    assert watcher.scan() == [fresh]  # the same for one look: settled
    # A file changed later is offered again; forget() offers it again too.
    write(old, "changed")
    os.utime(old, (now[0] - 30, now[0] - 30))
    assert watcher.scan() == [old]
    watcher.forget(old)
    assert watcher.scan() == [old]


def test_inbox_missing_folder(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path / "nope")
    assert watcher.scan() == [] and "no such folder" in (watcher.error or "")
    (tmp_path / "nope").mkdir()
    assert watcher.scan() == [] and watcher.error is None


# -- tags, notes, views, stats from the shell ---------------------------------------


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    write(tmp_path / "d" / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "d" / "tue.txt", page("Mar 11", TUESDAY))
    data_dir = str(tmp_path / "data")
    assert run(capsys, "--data-dir", data_dir, "import", str(tmp_path / "d"), "--date", "2025-03-12")[0] == 0
    return data_dir


def ids(capsys: pytest.CaptureFixture[str], data: str, *args: str) -> list[str]:
    status, out, _ = run(capsys, "--data-dir", data, "list", "--json", *args)
    assert status == 0
    return [paper["id"] for paper in json.loads(out)]


def test_tag_commands_and_list_tag(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--data-dir", data, "tag", "list")
    assert status == 0 and out.startswith("No tags yet")  # not a blank answer
    everything = ids(capsys, data)
    first, second = everything[:2]
    status, out, _ = run(capsys, "--data-dir", data, "tag", "add", "RL,#Agents", first, second[:6])
    assert status == 0 and out.startswith("Tagged 2 papers (rl, agents)")
    assert ids(capsys, data, "--tag", "rl") == [first, second]
    assert ids(capsys, data, "--tag", "rl", "--tag", "agents", "--unread") == [first, second]
    run(capsys, "--data-dir", data, "tag", "remove", "rl", first)
    assert ids(capsys, data, "--tag", "rl") == [second]
    status, out, _ = run(capsys, "--data-dir", data, "tag", "list", "--json")
    assert json.loads(out) == {"agents": 2, "rl": 1}
    status, out, _ = run(capsys, "--data-dir", data, "search", "--tag", "agents", "--json", "robot OR speech OR experts")
    assert {p["id"] for p in json.loads(out)} <= {first, second}
    status, _, err = run(capsys, "--data-dir", data, "list", "--tag", "***")
    assert status == 2 and "not a tag" in err
    status, _, err = run(capsys, "--data-dir", data, "tag", "add", "x", "ffff0000")
    assert status == 1 and "unknown id" in err and "nothing was changed" in err


def test_note_command(data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    first = ids(capsys, data)[0]
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin \x1b[31mred\nline two\n"))
    assert run(capsys, "--data-dir", data, "note", first, "-")[0] == 0
    status, out, _ = run(capsys, "--data-dir", data, "note", first)
    assert out == "from stdin red\nline two\n"
    status, out, _ = run(capsys, "--data-dir", data, "search", "--json", "stdin")
    assert [p["id"] for p in json.loads(out)] == [first] and json.loads(out)[0]["note"].startswith("from stdin")
    run(capsys, "--data-dir", data, "note", first, "--clear")
    assert run(capsys, "--data-dir", data, "note", first)[1] == ""


def test_views_and_list_view(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    from paperreader.library import Library
    from paperreader.models import SavedView

    with Library(Path(data)) as library:
        library.store.save_view(SavedView("Robots", "robot", "unread"))
        library.store.save_view(SavedView("Newest", "", "all", "newest"))
    status, out, _ = run(capsys, "--data-dir", data, "views", "--json")
    views = {v["name"]: v for v in json.loads(out)}
    assert (views["Robots"]["papers"], views["Robots"]["unread"]) == (1, 1)
    assert (views["Newest"]["papers"], views["Newest"]["unread"]) == (3, 3)
    assert len(ids(capsys, data, "--view", "Newest")) == 3
    robots = ids(capsys, data, "--view", "Robots")
    assert len(robots) == 1
    status, _, err = run(capsys, "--data-dir", data, "list", "--view", "Nope")
    assert status == 1 and "no view named 'Nope'" in err


def test_stats_table_and_json(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    first = ids(capsys, data)[0]
    run(capsys, "--data-dir", data, "mark", "read", first)
    status, out, _ = run(capsys, "--data-dir", data, "stats", "--json")
    stats = json.loads(out)
    assert (stats["papers"], stats["unread"], stats["digests"]) == (5, 4, 2)
    assert [d["date"] for d in stats["days"]] == ["2025-03-11", "2025-03-10"]
    assert stats["days"][0]["papers"] == 3 and stats["days"][0]["unread"] == 2
    assert abs(stats["days"][0]["triaged"] - 1 / 3) < 0.01
    assert all(isinstance(day["topics"], list) and day["topics"] for day in stats["days"])
    per_day = stats["papers_per_day"]
    assert len(per_day) == 56 and per_day[-1] == {"date": "2025-03-11", "papers": 3} and per_day[-2]["papers"] == 3
    status, out, _ = run(capsys, "--data-dir", data, "stats")
    assert status == 0 and "Topics of the day" in out and "2025-03-11" in out and "33%" in out
    assert "Papers per day" in out and "\x1b" not in out  # no colour codes in a pipe
    status, out, _ = run(capsys, "--data-dir", data, "stats", "--no-topics", "--days", "1")
    assert "Topics" not in out and "2025-03-10" not in out.split("Digest")[1]


def test_config_shows_the_sync_folder_in_effect_and_where_it_comes_from(
    capsys: pytest.CaptureFixture[str], data: str, tmp_path: Path
) -> None:
    """`sync --folder DIR` is remembered in the library: `config` shows it, not "(not set)"."""
    empty = write(tmp_path / "empty.toml", "")
    status, out, _ = run(capsys, "--data-dir", data, "--config", str(empty), "config")
    assert status == 0 and "sync.folder     (not set: sync --folder DIR" in out
    folder = tmp_path / "sync"
    folder.mkdir()
    assert run(capsys, "--data-dir", data, "--config", str(empty), "sync", "--folder", str(folder))[0] == 0
    status, out, _ = run(capsys, "--data-dir", data, "--config", str(empty), "config")
    assert f"sync.folder     {folder}  (remembered by sync --folder)\n" in out
    shown = json.loads(run(capsys, "--data-dir", data, "--config", str(empty), "config", "--json")[1])["sync"]
    assert shown["folder"] is None and shown["in_effect"] == str(folder) and shown["from"] == "sync --folder"
    other = tmp_path / "elsewhere"
    configured = write(tmp_path / "sync.toml", f'[sync]\nfolder = "{other}"\n')
    status, out, _ = run(capsys, "--data-dir", data, "--config", str(configured), "config")
    assert f"sync.folder     {other}  (from the config file, no such folder yet)\n" in out
    assert f"(sync --folder remembered {folder}: the config file's wins)" in out
    shown = json.loads(run(capsys, "--data-dir", data, "--config", str(configured), "config", "--json")[1])["sync"]
    assert shown["in_effect"] == str(other) and shown["from"] == "config"
