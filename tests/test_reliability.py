"""Promises about the user's data, tested by trying to break them."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.library import Library
from paperreader.store import Store, StoreError, now

from .digests import HOSTILE, MONDAY, TUESDAY, page, synthetic_digests, write


def run(capsys, data_dir: Path, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def papers_json(capsys, data_dir: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    status, out, _ = run(capsys, data_dir, "list", "--json")
    assert status == 0
    return json.loads(out)


# -- backup and restore ----------------------------------------------------------------


def test_backup_moves_a_library_to_a_new_machine(capsys, tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write(tmp_path / "d" / "mon.txt", page("Mar 10", MONDAY + HOSTILE))
    run(capsys, old, "import", str(tmp_path / "d"))
    ids = [p["id"] for p in papers_json(capsys, old)]
    run(capsys, old, "mark", "bookmark", *ids[:3])
    run(capsys, old, "mark", "read", *ids[2:6])
    status, _, _ = run(capsys, old, "export", "--format", "json", "--all", "-o", str(tmp_path / "backup.json"))
    assert status == 0
    status, out, _ = run(capsys, new, "import", str(tmp_path / "backup.json"))
    assert status == 0 and "7 newer changes restored" in out
    strip = lambda items: [{k: v for k, v in p.items() if k != "added_at"} for p in items]  # noqa: E731
    assert strip(papers_json(capsys, new)) == strip(papers_json(capsys, old))
    # Restoring again changes nothing.
    before = papers_json(capsys, new)
    assert run(capsys, new, "import", str(tmp_path / "backup.json"))[0] == 0
    assert papers_json(capsys, new) == before
    status, out, _ = run(capsys, new, "search", "grasping", "--json")
    assert json.loads(out)[0]["title"] == MONDAY[1].title  # and the index has them


def test_restore_merges_newer_change_wins(capsys, tmp_path: Path) -> None:
    here = tmp_path / "here"
    write(tmp_path / "d" / "a.txt", page("Mar 10", MONDAY))
    run(capsys, here, "import", str(tmp_path / "d"))
    a, b, c = [p["id"] for p in papers_json(capsys, here)]
    run(capsys, here, "mark", "bookmark", a, b)
    run(capsys, here, "export", "--format", "json", "--all", "-o", str(tmp_path / "backup.json"))
    time.sleep(0.01)
    run(capsys, here, "mark", "unbookmark", a)  # newer than the backup: must survive the restore
    backup = json.loads((tmp_path / "backup.json").read_text())
    for item in backup:  # a change made elsewhere after the backup of here...
        if item["id"] == c:
            item["read"], item["read_at"] = True, now()
    (tmp_path / "backup.json").write_text(json.dumps(backup))
    run(capsys, here, "import", str(tmp_path / "backup.json"))
    state = {p["id"]: (p["read"], p["bookmarked"]) for p in papers_json(capsys, here)}
    assert state == {a: (False, False), b: (False, True), c: (True, False)}


def test_json_dates_a_mark_only_while_it_holds_and_a_restore_still_merges_unread(capsys, tmp_path: Path) -> None:
    """read_at is when it was read: null once marked unread; the change's stamp is read_changed_at."""
    here, there = tmp_path / "here", tmp_path / "there"
    write(tmp_path / "d" / "a.txt", page("Mar 10", MONDAY))
    run(capsys, here, "import", str(tmp_path / "d"))
    first = papers_json(capsys, here)[0]["id"]
    run(capsys, here, "mark", "read", first)
    run(capsys, here, "mark", "bookmark", first)
    paper = {p["id"]: p for p in papers_json(capsys, here)}[first]
    assert paper["read"] and paper["read_at"] and paper["read_at"] == paper["read_changed_at"]
    assert paper["bookmarked"] and paper["bookmarked_at"] and paper["bookmarked_at"] == paper["bookmarked_changed_at"]
    run(capsys, here, "export", "--format", "json", "--all", "-o", str(tmp_path / "read.json"))
    time.sleep(0.01)
    run(capsys, here, "mark", "unread", first)
    run(capsys, here, "mark", "unbookmark", first)
    paper = {p["id"]: p for p in papers_json(capsys, here)}[first]
    assert not paper["read"] and paper["read_at"] is None and paper["read_changed_at"]
    assert not paper["bookmarked"] and paper["bookmarked_at"] is None and paper["bookmarked_changed_at"]
    run(capsys, here, "export", "--format", "json", "--all", "-o", str(tmp_path / "unread.json"))
    # Another machine restores the older backup, then the newer: the marks taken off win, by their stamps.
    assert run(capsys, there, "import", str(tmp_path / "read.json"))[0] == 0
    assert {p["id"]: p for p in papers_json(capsys, there)}[first]["read"] is True
    assert run(capsys, there, "import", str(tmp_path / "unread.json"))[0] == 0
    restored = {p["id"]: p for p in papers_json(capsys, there)}[first]
    assert (restored["read"], restored["bookmarked"]) == (False, False)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[1, 2", "invalid JSON"),
        (b'{"papers": 3}', "expected a list of papers"),
        (b"[]", "no papers found in the backup"),
        (b'[{"title": "", "digests": ["2025-01-01"]}, {"title": "x"}]', "no papers found in the backup"),
    ],
)
def test_bad_backups_change_nothing(capsys, tmp_path: Path, content: bytes, message: str) -> None:
    write(tmp_path / "d.txt", page("Mar 10", MONDAY))
    run(capsys, tmp_path / "lib", "import", str(tmp_path / "d.txt"))
    before = papers_json(capsys, tmp_path / "lib")
    write(tmp_path / "bad.json", content)
    status, _, err = run(capsys, tmp_path / "lib", "import", str(tmp_path / "bad.json"))
    assert status == 1 and f"bad.json: " in err and message in err
    assert papers_json(capsys, tmp_path / "lib") == before


def test_hostile_backup_is_cleaned(capsys, tmp_path: Path) -> None:
    item = {
        "id": "0000000000",
        "title": "\x1b]0;pwned\x07Title \x1b[31mred",
        "abstract": "\u202eevil",
        "digests": ["2025-03-10", "not a date"],
        "authors": "many",
        "upvotes": -5,
        "read": "yes",
        "read_at": "'; DROP TABLE papers; --",
        "bookmarked": True,
        "bookmarked_at": "2025-03-10T10:00:00.000Z",
    }
    write(tmp_path / "b.json", json.dumps([item]))
    status, _, err = run(capsys, tmp_path / "lib", "import", str(tmp_path / "b.json"))
    assert status == 0 and "does not match its title" in err
    (paper,) = papers_json(capsys, tmp_path / "lib")
    assert paper["title"] == "Title red" and paper["abstract"] == "evil"
    assert (paper["authors"], paper["upvotes"], paper["read"], paper["bookmarked"]) == (None, None, False, True)
    assert paper["digests"] == ["2025-03-10"]


def test_restore_ignores_changes_from_the_future(capsys, tmp_path: Path) -> None:
    write(tmp_path / "d.txt", page("Mar 10", MONDAY[:1]))
    run(capsys, tmp_path / "lib", "import", str(tmp_path / "d.txt"))
    (paper,) = papers_json(capsys, tmp_path / "lib")
    run(capsys, tmp_path / "lib", "mark", "bookmark", paper["id"])
    backup = [{**paper, "bookmarked": False, "bookmarked_at": "2999-01-01T00:00:00.000Z"}]
    write(tmp_path / "b.json", json.dumps(backup))
    run(capsys, tmp_path / "lib", "import", str(tmp_path / "b.json"))
    assert papers_json(capsys, tmp_path / "lib")[0]["bookmarked"] is True


# -- doctor -----------------------------------------------------------------------------


def test_doctor_repairs_index_and_permissions(capsys, tmp_path: Path) -> None:
    data = tmp_path / "lib"
    write(tmp_path / "d.txt", page("Mar 10", MONDAY))
    run(capsys, data, "import", str(tmp_path / "d.txt"))
    status, out, _ = run(capsys, data, "doctor")
    assert status == 0 and out.count("ok ") == 3
    (data / "index" / "paperreader-index.json").unlink()
    if os.name == "posix":
        data.chmod(0o755)
    status, out, _ = run(capsys, data, "doctor")
    assert status == 0 and "fixed    index/: the search index was missing; rebuilt it (3 papers)" in out
    if os.name == "posix":
        assert "now owner only" in out and data.stat().st_mode & 0o077 == 0
    assert "fixed" not in run(capsys, data, "doctor")[1]


# -- a full disk, a read-only library ----------------------------------------------------


@pytest.mark.parametrize("refusal", ["full", "read-only"])
def test_refused_writes_are_clear_errors_and_change_nothing(capsys, tmp_path: Path, monkeypatch, refusal: str) -> None:
    data = tmp_path / "lib"
    write(tmp_path / "d" / "a.txt", page("Mar 10", MONDAY))
    run(capsys, data, "import", str(tmp_path / "d"))
    before = papers_json(capsys, data)
    original = Store.open

    def refusing_open(path: Path) -> Store:
        store = original(path)
        if refusal == "full":  # SQLite's own "database or disk is full"
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]
            store._db.execute(f"PRAGMA max_page_count = {pages}")
        else:  # SQLite's own "attempt to write a readonly database"
            store._db.execute("PRAGMA query_only = ON")
        return store

    monkeypatch.setattr(Store, "open", refusing_open)
    if refusal == "read-only":  # (a full database still takes in-place updates of a flag)
        status, _, err = run(capsys, data, "mark", "bookmark", before[0]["id"])
        assert status == 1 and "cannot write the library" in err and "nothing was changed" in err
    synthetic_digests(tmp_path / "big", files=1, per_file=300)  # needs new pages: refused when full
    status, out, err = run(capsys, data, "import", str(tmp_path / "big"))
    assert status == 1 and f"{data / 'library.sqlite3'} could not be written" in err and "Traceback" not in err
    monkeypatch.setattr(Store, "open", original)
    assert papers_json(capsys, data) == before


# -- kill -9 during a burst of state changes ------------------------------------------------

_BURST = """
import sys
from pathlib import Path
from paperreader.store import StateSnapshot, Store, now
store = Store.open(Path(sys.argv[1]))
ids = sorted(store.ids())
print("ready", flush=True)
for batch in range(100_000):
    chunk = ids[(batch * 100) % len(ids):][:100]
    on = batch % 2 == 0
    if batch % 4 < 2:  # one UPDATE for the batch
        store.set_state(chunk, bookmarked=on)
    else:  # an UPDATE per paper (as an undo does): still one transaction
        stamp = now()
        store.restore_state([StateSnapshot(s.id, s.read, s.read_at, on, stamp) for s in store.snapshot(chunk)])
"""


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_kill_during_state_changes(tmp_path: Path) -> None:
    synthetic_digests(tmp_path / "d", files=3, per_file=100)
    data = tmp_path / "lib"
    with Library(data) as library:
        library.import_paths([tmp_path / "d"])
        ids = sorted(library.store.ids())
        library.store.set_state(ids[:5], read=True)  # state that must survive untouched
    rng = random.Random(5)
    for _ in range(8):
        process = subprocess.Popen([sys.executable, "-c", _BURST, str(data / "library.sqlite3")], stdout=subprocess.PIPE)
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        with Store.open(data / "library.sqlite3") as store:
            assert store.integrity_check() == []
            assert sorted(store.ids("read")) == ids[:5]
            # Each batch of a hundred is one transaction: bookmarks come in whole batches.
            marked = set(store.ids("bookmarked"))
            for start in range(0, len(ids), 100):
                chunk = set(ids[start : start + 100])
                assert chunk <= marked or not (chunk & marked)


# -- two processes at once ----------------------------------------------------------------------


async def test_reader_and_cli_at_once(sample_dir: Path, tmp_path: Path) -> None:
    from .tui_helpers import make_app, settle, visible_titles

    write(tmp_path / "new.txt", page("Nov 13", TUESDAY[1:]))
    app = make_app(sample_dir)
    env = {**os.environ, "PAPERREADER_DATA_DIR": str(sample_dir)}
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await pilot.press("b")  # the reader writes...
        first = app.query_one("#papers").current_id
        cli = [sys.executable, "-m", "paperreader"]
        # ...while the CLI imports and marks in another process.
        subprocess.run([*cli, "import", str(tmp_path / "new.txt")], env=env, check=True, capture_output=True)
        ids = [p["id"] for p in json.loads(subprocess.run([*cli, "list", "--json"], env=env, check=True, capture_output=True).stdout)]
        subprocess.run([*cli, "mark", "read", *ids[:4]], env=env, check=True, capture_output=True)
        await pilot.press("j", "b")
        for _ in range(20):  # the reader notices on its own (polling)
            await pilot.pause(0.1)
            if len(visible_titles(app)) == 24:
                break
        await settle(pilot)
        assert len(visible_titles(app)) == 24
        assert TUESDAY[1].title in visible_titles(app)
    with Library(sample_dir) as library:
        assert library.store.count("read") == 4
        assert first in library.store.ids("bookmarked") and library.store.count("bookmarked") == 2
        hits = library.papers_for([h.id for h in library.search("quantized").hits])
        assert TUESDAY[1].title in [p.title for p in hits]  # the CLI's import reached the index


@pytest.mark.parametrize("damage", ["truncate", "scribble"])
def test_damaged_library_is_a_clear_error(capsys, tmp_path: Path, damage: str) -> None:
    data = tmp_path / "lib"
    synthetic_digests(tmp_path / "d", files=4, per_file=100)
    run(capsys, data, "import", str(tmp_path / "d"))
    db = data / "library.sqlite3"
    with Store.open(db) as store:  # fold the WAL into the file, as a clean exit does
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    content = db.read_bytes()
    if damage == "truncate":
        db.write_bytes(content[: len(content) // 2])
    else:
        db.write_bytes(content[:8192] + bytes(random.Random(1).randrange(256) for _ in range(len(content) - 8192)))
    for command in (["stats"], ["list", "--json"], ["export", "--all", "--format", "json"], ["search", "model"]):
        status, out, err = run(capsys, data, *command)
        assert status == 1, command
        assert f"{db}: the library database is damaged" in err or f"{db}:" in err, (command, err)
        assert "Traceback" not in err and out == ""
    status, out, err = run(capsys, data, "doctor")
    # Either the library cannot even be opened (one line naming it), or doctor reports it.
    assert status == 1 and (out.startswith(f"problem  {db}:") or f"paperreader: {db}: the library database is damaged" in err)
