"""The journal: every change of user state is recorded, in the transaction that made it."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import pytest

from paperreader import journal
from paperreader.library import Library
from paperreader.models import SavedView
from paperreader.store import SCHEMA_VERSION, Store

from .digests import MONDAY, TUESDAY, page, write


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "tue.txt", page("Mar 11", TUESDAY))
    library = Library(tmp_path / "data")
    library.import_paths([tmp_path / "mon.txt", tmp_path / "tue.txt"], date=dt.date(2025, 3, 12))
    yield library
    library.close()


def newest(lib: Library) -> tuple[journal.Action, list[journal.Change]]:
    action = lib.store.journal.actions(limit=1)[0]
    return action, lib.store.journal.changes(action.number)


def test_imports_are_journaled_with_the_days_each_paper_came_with(lib: Library) -> None:
    tuesday, monday = lib.store.journal.actions()
    assert (monday.kind, monday.label, monday.papers) == ("import", f"imported Mar 10 ({len(MONDAY)} papers)", len(MONDAY))
    assert monday.source is not None and monday.device == lib.store.device
    changes = lib.store.journal.changes(tuesday.number)
    assert {field for _, field, _, _ in changes} == {journal.IMPORTED}
    assert {new for *_, new in changes} == {"2025-03-11"}
    monday_ids = {pid for pid, *_ in lib.store.journal.changes(monday.number)}
    # old: None for a paper this import brought first, "1" for one known already.
    assert {pid for pid, _, old, _ in changes if old == "1"} == monday_ids & {pid for pid, *_ in changes}
    assert all(old in (None, "1") for _, _, old, _ in changes)


def test_every_kind_of_state_change_is_recorded(lib: Library) -> None:
    store = lib.store
    a, b = store.ids()[:2]
    store.set_state([a], read=True)
    assert newest(lib)[0].label == "marked read" and newest(lib)[1] == [(a, "read", "0", "1")]
    store.set_state([a, b], bookmarked=True)
    action, changes = newest(lib)
    assert action.label == "bookmarked 2 papers" and action.papers == 2
    assert sorted(changes) == sorted([(a, "bookmarked", "0", "1"), (b, "bookmarked", "0", "1")])
    store.set_tags([a], add=["rl", "agents"])
    assert newest(lib)[1] == [(a, "tag:agents", "0", "1"), (a, "tag:rl", "0", "1")]
    store.set_tags([a], replace=["rl", "moe"])
    assert newest(lib)[1] == [(a, "tag:moe", "0", "1"), (a, "tag:agents", "1", "0")]
    store.set_note(a, "first")
    store.set_note(a, "second")
    assert newest(lib)[1] == [(a, "note", "first", "second")] and newest(lib)[0].label == "edited the note"
    store.save_view(SavedView("RL", "rl", "unread"))
    value = journal.view_value("rl", "unread", None)
    assert newest(lib)[1] == [("", "view:RL", None, value)] and newest(lib)[0].papers == 0
    store.save_view(SavedView("RL only", "rl", "unread"), replacing="RL")
    assert newest(lib)[1] == [("", "view:RL", value, None), ("", "view:RL only", None, value)]
    store.delete_view("RL only")
    assert newest(lib)[1] == [("", "view:RL only", value, None)]
    before = store.snapshot([a])
    store.set_state([a], read=False)
    store.restore_state(before)
    assert newest(lib)[1] == [(a, "read", "0", "1")]
    # Nothing changed, nothing recorded: no empty action to undo.
    count = len(store.journal.actions())
    store.set_state([a], read=True)
    store.set_tags([a], add=["rl"])
    store.set_note(a, "second")
    store.save_view(SavedView("RL", "rl", "unread"))
    store.save_view(SavedView("RL", "rl", "unread"))
    assert len(store.journal.actions()) == count + 1  # only the first save of "RL"


def test_one_action_per_intent_even_for_many_papers(lib: Library) -> None:
    ids = lib.store.ids()
    lib.store.set_state(ids[:1], read=True)
    lib.store.set_state(ids, read=True)
    action, changes = newest(lib)
    assert action.label == f"marked {len(ids) - 1} papers read" and action.papers == len(ids) - 1
    assert {pid for pid, *_ in changes} == set(ids[1:])  # the paper read already is not in it


def test_a_backup_merged_in_is_one_action(lib: Library, tmp_path: Path) -> None:
    moe = lib.store.ids()[0]
    lib.store.set_state([moe], bookmarked=True)
    lib.store.set_tags([moe], add=["kept"])
    with (tmp_path / "backup.json").open("w") as handle:
        lib.write_backup(handle)
    other = Library(tmp_path / "other")
    try:
        other.import_paths([tmp_path / "backup.json"])
        action, changes = other.store.journal.actions()[0], other.store.journal.changes(other.store.journal.actions()[0].number)
        assert action.kind == "restore" and action.label.startswith("restored a backup")
        assert (moe, "bookmarked", "0", "1") in changes and (moe, "tag:kept", "0", "1") in changes
        assert sum(1 for _, field, old, _ in changes if field == journal.IMPORTED and old is None) == lib.store.count()
    finally:
        other.close()


def test_a_change_and_its_record_are_one_transaction(lib: Library) -> None:
    """If the record cannot be written, the change is not made either (and the other way round)."""
    store = lib.store
    ids = store.ids()
    actions = len(store.journal.actions())
    store._db.execute("CREATE TEMP TRIGGER no_journal BEFORE INSERT ON changes BEGIN SELECT RAISE(ABORT, 'no room'); END")
    with pytest.raises(sqlite3.IntegrityError):  # RAISE(ABORT) in a trigger
        store.set_state(ids, read=True)
    with pytest.raises(sqlite3.IntegrityError):  # RAISE(ABORT) in a trigger
        store.set_tags(ids[:1], add=["x"])
    assert store.count("read") == 0 and store.all_tags() == []
    store._db.execute("DROP TRIGGER no_journal")
    store._db.execute("CREATE TEMP TRIGGER no_read BEFORE UPDATE OF read ON papers BEGIN SELECT RAISE(ABORT, 'no'); END")
    with pytest.raises(sqlite3.IntegrityError):  # RAISE(ABORT) in a trigger
        store.set_state(ids, read=True)
    assert len(store.journal.actions()) == actions
    assert store._db.execute("SELECT count(*) FROM changes WHERE field = 'read'").fetchone()[0] == 0


def test_device_name_is_kept_and_differs_between_libraries(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.sqlite3") as a, Store.open(tmp_path / "b.sqlite3") as b:
        name = a.device
        assert name and b.device and name != b.device
        assert all(c.isalnum() or c in ".-" for c in name)
    with Store.open(tmp_path / "a.sqlite3") as a:
        assert a.device == name


def test_clock_never_goes_back_and_follows_other_devices(lib: Library) -> None:
    store = lib.store
    pid = store.ids()[0]

    def stamp_of_a_change_at(seconds: float) -> str:
        store.clock = lambda: seconds
        store.set_state([pid], read=not store.get(pid).read)
        return store.journal.actions(limit=1)[0].hlc

    now = int(time.time()) + 10  # later than the import's actions
    first = stamp_of_a_change_at(now + 2.0)
    second = stamp_of_a_change_at(now + 1.0)  # the wall clock stepped back
    assert first < second and second.startswith(f"{(now + 2) * 1000:013d}.")
    ahead = f"{(now + 500) * 1000:013d}.000007"  # another device, 500 s ahead
    journal.observe_hlc(store._db, ahead, wall_ms=(now + 2) * 1000)
    third = stamp_of_a_change_at(now + 3.0)
    assert third > ahead > second
    journal.observe_hlc(store._db, "9999999999999.000000", wall_ms=(now + 3) * 1000)  # absurdly far ahead: not followed
    assert stamp_of_a_change_at(now + 4.0) < f"{(now + 600) * 1000:013d}"


def test_a_library_from_before_the_journal_gains_it(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    with Store.open(path) as store:
        store.add([], sha256="x", path="x", warnings=0)
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE changes; DROP TABLE actions; DELETE FROM meta WHERE key = 'device';"
                     "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    db.close()
    with Store.open(path) as store:
        assert store.device and store.journal.actions() == []
        assert store._meta("schema_version") == str(SCHEMA_VERSION)


def test_action_json_shape(lib: Library) -> None:
    lib.store.set_state(lib.store.ids()[:3], read=True)
    shown = lib.store.journal.actions(limit=1)[0].to_json()
    assert set(shown) == {"number", "when", "device", "kind", "what", "papers", "undone", "target"}
    assert shown["what"] == "marked 3 papers read" and shown["papers"] == 3
    json.dumps(shown)


def test_journal_benchmark_smoke_run(tmp_path: Path) -> None:
    """A small run of ``python -m benchmarks.journal``, so that it cannot rot (no timing is asserted)."""
    import subprocess
    import sys

    output = tmp_path / "JOURNAL.md"
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.journal", "--papers", "300", "--repeat", "2", "--output", str(output)],
        cwd=root, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = output.read_text()
    for figure in (
        "| mark one paper read",
        "| `A`: mark all 300 papers read, one transaction",
        "| library growth per `A` of 300 papers",
        "| undo that `A`",
        "| sync: send 10,000 changes (1,000 actions)",
        "| sync: apply 10,000 changes from another device",
    ):
        assert figure in report, figure


# -- compaction ---------------------------------------------------------------------------------------


def backdate(store: Store, up_to: int, days: int) -> None:
    """Make the actions up to number ``up_to`` look ``days`` days old (as a year of use would)."""
    with store.transaction():
        for number, at in store._db.execute("SELECT id, at FROM actions WHERE id <= ?", (up_to,)).fetchall():
            moved = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) - dt.timedelta(days=days)
            store._db.execute(
                "UPDATE actions SET at = ? WHERE id = ?",
                (moved.isoformat(timespec="milliseconds").replace("+00:00", "Z"), number),
            )


def test_compaction_drops_old_actions_and_keeps_the_window_whole(lib: Library) -> None:
    store, jr = lib.store, lib.store.journal
    a, b, c = store.ids()[:3]
    store.set_state([a], read=True)
    store.set_tags([b], add=["rl"])
    old = jr.actions(limit=1)[0].number
    backdate(store, old, 400)
    middle = dt.datetime.now().astimezone() - dt.timedelta(seconds=1)  # inside the kept window
    time.sleep(0.01)
    store.set_state([c], bookmarked=True)
    store.set_note(c, "kept")
    before = [(p.id, p.read, p.bookmarked, p.tags, p.note) for p in store.papers(order="title")]
    done = jr.compact(365)
    assert done is not None and (done.actions, done.held) == (old, 0)  # the two imports and the two changes
    assert done.first == old + 1 and "the history goes back to #" + str(old + 1) in done.message()
    # The state is what it was; only the record of how it came about is shorter.
    assert [(p.id, p.read, p.bookmarked, p.tags, p.note) for p in store.papers(order="title")] == before
    assert [x.label for x in jr.actions()] == ["wrote a note", "bookmarked"] and jr.action(old) is None
    assert store._db.execute("SELECT count(*) FROM changes WHERE action <= ? AND field != 'imported'", (old,)).fetchone()[0] == 0
    with pytest.raises(journal.JournalError, match=f"action #{old} was compacted: the history goes back to #{old + 1}"):
        jr.undo_to(old)
    with pytest.raises(journal.JournalError, match="older than the history"):
        jr.undo_to(dt.datetime.now().astimezone() - dt.timedelta(days=410))
    # undo --to a moment inside the window still finds every action after it.
    assert jr.undo_to(middle).writes and store.get(c).bookmarked is False and store.get(c).note == ""
    assert store.get(a).read and store.get(b).tags == ("rl",)
    jr.undo()  # the going back
    # Undo reaches no further than the window: the compacted mark and tag stay.
    assert [jr.undo().target.label for _ in range(2)] == ["wrote a note", "bookmarked"]
    assert jr.undo().target is None and store.get(a).read and store.get(b).tags == ("rl",)
    # What the imports brought is kept: forget still knows what each file added.
    forgotten = jr.forget(jr.find_import("2"))
    assert forgotten.removed and all(store.get(pid) is None for pid in forgotten.removed)
    assert jr.compact(365) is not None and jr.compact(365, due=True) is None  # once a day when automatic


def test_compaction_keeps_the_newest_action_so_numbers_are_never_given_twice(lib: Library) -> None:
    store, jr = lib.store, lib.store.journal
    store.set_state(store.ids()[:1], read=True)
    newest = jr.actions(limit=1)[0].number
    backdate(store, newest, 400)
    assert jr.compact(365).first == newest and [x.number for x in jr.actions()] == [newest]
    store.set_state(store.ids()[:1], read=False)
    assert jr.actions(limit=1)[0].number == newest + 1
    assert jr.compact(0) is None  # 0 keeps everything


def test_the_clock_stamp_written_by_sqlite_is_the_one_python_would_make(tmp_path: Path) -> None:
    """record() works the stamp out in SQL (one statement); next_hlc() is the same rule in Python."""
    with Store.open(tmp_path / "library.sqlite3") as store:
        db = store._db
        for seen, wall in ((None, 1_000), ("0000000005000.000007", 1_000), ("0000000000999.000003", 1_000), (None, 1_000)):
            with store.transaction():
                if seen:
                    db.execute("INSERT INTO meta (key, value) VALUES ('hlc', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", (seen,))
                expected = journal.next_hlc(db, wall)
                number = journal.record(db, None, "change", "x", [("p", "read", "0", "1")], stamp="now", wall_ms=wall)
                row = db.execute("SELECT hlc, device FROM actions WHERE id = ?", (number,)).fetchone()
            assert tuple(row) == (expected, store.device)
        assert [r[0] for r in db.execute("SELECT hlc FROM actions ORDER BY id")] == [
            "0000000001000.000000", "0000000005000.000008", "0000000005000.000009", "0000000005000.000010",
        ]
