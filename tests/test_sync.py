"""Sync through a folder: three devices, random actions, random sync orders, clock skew and folder faults.

The property: after every device has synced twice, all three hold the same
state, and it equals a reference computed here, independently, from the
merge rules (README, "Sync between machines") over every event any device made.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import random
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperreader import sync as sync_module
from paperreader.cli import main
from paperreader.journal import VIEW, view_value
from paperreader.library import Library
from paperreader.models import ParsedPaper, SavedView
from paperreader.store import Store
from paperreader.sync import SyncError, sync
from paperreader.text import paper_id

from .digests import MONDAY, TUESDAY, page, write
from .mounts import read_only_view

DAY = dt.date(2025, 3, 10)
TITLES = ["Sparse Experts Route Tokens", "Diffusion Policies Grasp", "Retrieval Helps Reasoning", "A Paper That Arrives Late"]
IDS = [paper_id(title) for title in TITLES]
PAPERS = [ParsedPaper(pid, title, "An abstract of the paper.", (DAY,)) for pid, title in zip(IDS, TITLES)]
TAGS = ["rl", "moe", "to-read"]
NOTES = ["", "first thoughts", "compare with the baseline", "x"]
VIEW_NAMES = ["Mine", "RL"]


# -- the reference: the merge rules, written again from the README --------------------------------


@dataclass(frozen=True)
class Event:
    hlc: str
    device: str
    order: int  # its place within its action
    paper: str
    field: str
    old: str | None
    new: str | None


def events_of(store: Store) -> list[Event]:
    """Every event a device made itself (its own actions' changes of state)."""
    rows = store._db.execute(
        "SELECT a.hlc, a.device, c.rowid, c.paper, c.field, c.old, c.new FROM actions a JOIN changes c ON c.action = a.id "
        "WHERE a.seq IS NULL AND (c.field IN ('read', 'bookmarked', 'note') OR c.field LIKE 'tag:%' OR c.field LIKE 'view:%')"
    ).fetchall()
    return [Event(*row) for row in rows]


def reference(events: list[Event]) -> dict[tuple[str, str], str | None]:
    """The value of every field, by the rules: the newest event wins; a note is folded, concurrent edits kept both."""
    by_key: dict[tuple[str, str], list[Event]] = {}
    for event in events:
        by_key.setdefault((event.paper, event.field), []).append(event)
    values: dict[tuple[str, str], str | None] = {}
    for key, found in by_key.items():
        found.sort(key=lambda e: (e.hlc, e.device, e.order))
        if key[1] != "note":
            values[key] = found[-1].new
            continue
        text, author = "", ""
        for event in found:
            new = event.new or ""
            if new == text:
                author = event.device
            elif event.old == text or text == "":
                text, author = new, event.device
            elif new:  # made without seeing the text it meets: both kept, the newer on top
                text = new + "\n\n── note from " + author + " ──\n" + text
                author = event.device
        values[key] = text
    return values


def state_of(store: Store) -> dict[tuple[str, str], str | None]:
    """A device's state as field values (defaults left out, as the reference has no event for them)."""
    values: dict[tuple[str, str], str | None] = {}
    for paper in store.papers():
        values[(paper.id, "read")] = "1" if paper.read else "0"
        values[(paper.id, "bookmarked")] = "1" if paper.bookmarked else "0"
        values[(paper.id, "note")] = paper.note
        for tag in TAGS:
            values[(paper.id, "tag:" + tag)] = "1" if tag in paper.tags else "0"
    for name in VIEW_NAMES:
        view = next((v for v in store.views() if v.name == name), None)
        values[("", VIEW + name)] = view_value(view.query, view.state, view.digest) if view else None
    return values


def expected(events: list[Event], paper_ids: list[str]) -> dict[tuple[str, str], str | None]:
    merged = reference(events)
    values: dict[tuple[str, str], str | None] = {}
    for pid in paper_ids:
        for name, default in (("read", "0"), ("bookmarked", "0"), ("note", "")):
            values[(pid, name)] = merged.get((pid, name), default) or default
        for tag in TAGS:
            values[(pid, "tag:" + tag)] = merged.get((pid, "tag:" + tag), "0")
    for name in VIEW_NAMES:
        values[("", VIEW + name)] = merged.get(("", VIEW + name))
    return values


# -- three devices and a folder ---------------------------------------------------------------------


class Devices:
    def __init__(self, root: Path, skews: list[float]) -> None:
        self.folder = root / "folder"
        self.folder.mkdir()
        self.dirs = [root / name for name in "abc"]
        self.stores: list[Store] = []
        for number, (data_dir, skew) in enumerate(zip(self.dirs, skews)):
            data_dir.mkdir()
            store = Store.open(data_dir / "library.sqlite3")
            store.clock = (lambda skew=skew: time.time() + skew)  # type: ignore[misc]
            # The third device has not imported the last paper yet: others' state for it waits.
            store.add(PAPERS if number < 2 else PAPERS[:-1], sha256="digest", path="d.txt", warnings=0)
            self.stores.append(store)

    def close(self) -> None:
        for store in self.stores:
            store.close()

    def file_of(self, number: int) -> Path:
        return self.folder / (self.stores[number].device + ".log")

    def sync(self, number: int) -> None:
        sync(self.stores[number], self.folder, self.dirs[number])


def act(store: Store, rng: random.Random, op: str) -> None:
    ids = [pid for pid in IDS if store.get(pid) is not None]
    pid = rng.choice(ids)
    if op == "read":
        store.set_state([pid], read=rng.random() < 0.7)
    elif op == "all read":
        store.set_state(ids, read=True)
    elif op == "bookmark":
        store.set_state([pid], bookmarked=rng.random() < 0.6)
    elif op == "tag":
        tags = rng.sample(TAGS, rng.randint(1, 2))
        store.set_tags([pid], **({"add": tags} if rng.random() < 0.6 else {"remove": tags}))
    elif op == "note":  # on the first two papers, so that devices meet on the same note
        store.set_note(rng.choice(ids[:2]), rng.choice(NOTES))
    elif op == "view":
        name = rng.choice(VIEW_NAMES)
        if rng.random() < 0.7:
            store.save_view(SavedView(name, rng.choice(["rl", "diffusion", ""]), rng.choice(["all", "unread"])))
        else:
            store.delete_view(name)
    elif op == "undo":
        store.journal.undo()
    elif op == "redo":
        store.journal.redo()


def fault(devices: Devices, rng: random.Random, kind: str, number: int) -> None:
    path = devices.file_of(number)
    if kind == "half line" and path.exists():
        # A sync tool delivers the file mid-copy to the others, then finishes.
        whole = path.read_bytes()
        if whole:
            path.write_bytes(whole[: rng.randrange(len(whole))])
            devices.sync((number + 1) % 3)
            path.write_bytes(whole)
    elif kind == "conflicted copy" and path.exists():
        shutil.copy(path, devices.folder / f"{devices.stores[number].device} (conflicted copy {rng.randrange(99)}).log")
    elif kind == "truncated" and path.exists():
        data = path.read_bytes()
        path.write_bytes(data[: rng.randrange(len(data) + 1)])
    elif kind == "deleted":
        path.unlink(missing_ok=True)
    elif kind == "twice at once":
        # Two processes of one device sync at the same moment.
        other = Store.open(devices.dirs[number] / "library.sqlite3")
        try:
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    sync(other, devices.folder, devices.dirs[number])
                except BaseException as error:  # noqa: BLE001 - reported below
                    errors.append(error)

            thread = threading.Thread(target=run)
            thread.start()
            devices.sync(number)
            thread.join()
            assert errors == []
        finally:
            other.close()


OPS = ["read", "all read", "bookmark", "tag", "note", "note", "view", "undo", "redo"]
FAULTS = ["half line", "conflicted copy", "truncated", "deleted", "twice at once"]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("act"), st.integers(0, 2), st.sampled_from(OPS)),
        st.tuples(st.just("sync"), st.integers(0, 2), st.just("")),
        st.tuples(st.just("fault"), st.integers(0, 2), st.sampled_from(FAULTS)),
    ),
    min_size=4,
    max_size=28,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=steps,
    skews=st.lists(st.sampled_from([-300.0, 0.0, 0.5, 240.0]), min_size=3, max_size=3),
    seed=st.integers(0, 2**16),
    order=st.permutations([0, 1, 2]),
)
def test_three_devices_converge_on_the_merge_rules(
    steps: list[tuple[str, int, str]], skews: list[float], seed: int, order: list[int]
) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        devices = Devices(Path(tmp), skews)
        try:
            for kind, number, what in steps:
                if kind == "act":
                    act(devices.stores[number], rng, what)
                elif kind == "sync":
                    devices.sync(number)
                else:
                    fault(devices, rng, what, number)
            devices.stores[2].add(PAPERS[-1:], sha256="late", path="late.txt", warnings=0)  # the late paper arrives
            for _ in range(2):  # everyone syncs twice, in a random order
                for number in order:
                    devices.sync(number)
            events = [event for store in devices.stores for event in events_of(store)]
            want = expected(events, IDS)
            states = [state_of(store) for store in devices.stores]
            assert states[0] == want
            assert states[1] == want
            assert states[2] == want
        finally:
            devices.close()


# -- the same through the CLI, with real data dirs -----------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def three(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[list[Path], Path]:
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "tue.txt", page("Mar 11", TUESDAY))
    dirs = [tmp_path / name for name in ("laptop", "desktop", "server")]
    for data in dirs:
        assert cli(capsys, data, "import", "-q", "--date", "2025-03-12", str(tmp_path / "mon.txt"), str(tmp_path / "tue.txt"))[0] == 0
    (tmp_path / "Sync").mkdir()
    return dirs, tmp_path / "Sync"


def papers_json(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, dict[str, object]]:
    status, out, _ = cli(capsys, data, "list", "--json")
    assert status == 0
    return {paper["id"]: paper for paper in json.loads(out)}


def test_cli_three_data_dirs_through_one_folder(capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path]) -> None:
    (laptop, desktop, server), folder = three
    first, second = sorted(papers_json(capsys, laptop))[:2]
    cli(capsys, laptop, "mark", "read", first)
    cli(capsys, laptop, "tag", "add", "rl,agents", first)
    assert cli(capsys, laptop, "sync", "--folder", str(folder)) == (0, "sync: sent 3 changes, applied 0 from 0 devices\n", "")
    cli(capsys, desktop, "mark", "bookmark", second)
    assert cli(capsys, desktop, "sync", "--folder", str(folder)) == (0, "sync: sent 1 change, applied 3 from 1 device\n", "")
    cli(capsys, desktop, "tag", "remove", "agents", first)  # tags merge one by one: rl stays
    assert cli(capsys, desktop, "sync")[1] == "sync: sent 1 change, applied 0 from 0 devices\n"
    # The folder is remembered; the server catches up with both.
    assert cli(capsys, server, "sync", "--folder", str(folder))[1] == "sync: sent 0 changes, applied 5 from 2 devices\n"
    assert cli(capsys, laptop, "sync")[1] == "sync: sent 0 changes, applied 2 from 1 device\n"
    for data in (laptop, desktop, server):
        papers = papers_json(capsys, data)
        assert papers[first]["read"] and papers[first]["tags"] == ["rl"] and papers[second]["bookmarked"]
    # An undo that was synced already is a new action, which syncs like any other.
    assert cli(capsys, desktop, "undo")[1] == f'Undone: untagged agents "{papers[first]["title"]}"\n'
    cli(capsys, desktop, "sync")
    cli(capsys, laptop, "sync")
    assert papers_json(capsys, laptop)[first]["tags"] == ["agents", "rl"]
    status, out, _ = cli(capsys, laptop, "sync", "--json")
    assert status == 0 and json.loads(out)["sent"] == 0
    status, out, _ = cli(capsys, laptop, "sync", "--status")
    with Library(laptop) as library:
        assert status == 0 and out.startswith(f"device      {library.store.device}\n") and "heard from  " in out
    status, out, _ = cli(capsys, laptop, "history", "--limit", "1")
    assert "untagged agents" in out  # another device's action, in this device's history
    with Library(desktop) as library:
        assert library.store.device in out


def test_cli_note_edited_on_two_devices_keeps_both(capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path]) -> None:
    (laptop, desktop, _), folder = three
    first = sorted(papers_json(capsys, laptop))[0]
    cli(capsys, laptop, "note", first, "laptop's thoughts")
    cli(capsys, desktop, "note", first, "desktop's thoughts")
    for data in (laptop, desktop, laptop):
        assert cli(capsys, data, "sync", "--folder", str(folder))[0] == 0
    notes = {papers_json(capsys, data)[first]["note"] for data in (laptop, desktop)}
    assert len(notes) == 1
    (note,) = notes
    assert "laptop's thoughts" in note and "desktop's thoughts" in note and "── note from " in note
    # The newer edit on top, the other under a line naming the device it came from.
    top, _, rest = note.partition("\n\n── note from ")
    assert top == "desktop's thoughts" and rest.endswith(" ──\nlaptop's thoughts")


def test_sync_folder_faults_give_one_line(capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    (laptop, desktop, _), folder = three
    status, _, err = cli(capsys, laptop, "sync", "--folder", str(folder / "missing"))
    assert status == 1 and err == f"paperreader: {folder / 'missing'}: no such folder (create it, or check [sync] folder / --folder); nothing was synced\n"
    status, _, err = cli(capsys, laptop, "sync")  # a folder that could not be used is not remembered
    assert status == 2 and "no sync folder" in err
    first = sorted(papers_json(capsys, laptop))[0]
    cli(capsys, laptop, "mark", "read", first)  # local use goes on
    assert papers_json(capsys, laptop)[first]["read"]
    status, _, err = cli(capsys, desktop, "sync")
    assert status == 2 and "no sync folder" in err
    # A folder that can be read but not written: the others' changes still come in.
    cli(capsys, desktop, "mark", "bookmark", first)
    assert cli(capsys, desktop, "sync", "--folder", str(folder))[0] == 0

    def refuse(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(sync_module, "_append", refuse)
    status, out, err = cli(capsys, laptop, "sync", "--folder", str(folder))
    assert status == 1 and "applied 1 from 1 device" in out and "read-only file system" in err
    assert papers_json(capsys, laptop)[first]["bookmarked"]
    monkeypatch.undo()
    assert cli(capsys, laptop, "sync")[1].startswith("sync: sent 1 change")


def test_a_read_only_folder_for_real(capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path], tmp_path: Path) -> None:
    (laptop, desktop, _), folder = three
    first = sorted(papers_json(capsys, laptop))[0]
    cli(capsys, desktop, "mark", "bookmark", first)
    cli(capsys, desktop, "sync", "--folder", str(folder))
    cli(capsys, laptop, "mark", "read", first)
    with read_only_view(folder, tmp_path / "ro") as view:
        status, out, err = cli(capsys, laptop, "sync", "--folder", str(view))
    assert status == 1 and "applied 1 from 1 device" in out and "read-only file system" in err
    assert papers_json(capsys, laptop)[first]["bookmarked"]


def test_state_for_a_paper_not_imported_yet_waits_for_it(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        devices = Devices(Path(tmp), [0.0, 0.0, 0.0])
        try:
            late = IDS[-1]
            devices.stores[0].set_state([late], bookmarked=True)
            devices.stores[0].set_tags([late], add=["rl"])
            devices.sync(0)
            devices.sync(2)
            assert devices.stores[2].get(late) is None
            devices.stores[2].add(PAPERS[-1:], sha256="late", path="late.txt", warnings=0)
            paper = devices.stores[2].get(late)
            assert paper is not None and paper.bookmarked and paper.tags == ("rl",)
        finally:
            devices.close()


def test_sync_without_a_folder_is_an_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "library.sqlite3") as store:
        with pytest.raises(SyncError, match="no such folder"):
            sync(store, tmp_path / "nope", tmp_path)


# -- the reader: syncs at start, when the folder changes, and on quit ---------------------------------


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait on a condition (polls and workers take their time), never on a fixed sleep."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def test_reader_syncs_at_start_while_running_and_on_quit(
    capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path], tmp_path: Path
) -> None:
    from paperreader.config import Config
    from paperreader.tui.app import PaperReaderApp

    from .tui_helpers import settle

    (laptop, desktop, _), folder = three
    first, second = sorted(papers_json(capsys, laptop))[:2]
    cli(capsys, desktop, "mark", "bookmark", first)
    cli(capsys, desktop, "sync", "--folder", str(folder))
    with Library(desktop) as library:
        desktop_name = library.store.device
    app = PaperReaderApp(
        laptop, config=Config(tmp_path / "config.toml", sync_folder=folder, sync_interval=0.2), debounce=0.01, poll_interval=0.2
    )
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        # At start: the desktop's bookmark arrived, and the reader said so.
        await wait_for(pilot, lambda: app.rows[first].bookmarked)
        assert f"Synced 1 change from {desktop_name}" in notes and app.counts.bookmarked == 1
        # While it runs: the desktop tags a paper and syncs; the reader notices the folder changed.
        cli(capsys, desktop, "tag", "add", "rl", second)
        cli(capsys, desktop, "sync")
        await wait_for(pilot, lambda: app.rows[second].tags == ("rl",))
        # The reader's own change is sent while it runs (the reader holds stdout: states are read, not lines).
        target = app.query_one("#papers").current_id
        assert target is not None and not app.rows[target].read
        await pilot.press("r")

        def desktop_read_it() -> bool:
            assert main(["--data-dir", str(desktop), "sync"]) == 0
            with Library(desktop) as library:
                paper = library.store.get(target)
                return paper is not None and paper.read

        await wait_for(pilot, desktop_read_it)
        # ...and one made just before quitting goes on quit.
        app.library.store.set_note(first, "written at the last moment")
    cli(capsys, desktop, "sync")
    assert papers_json(capsys, desktop)[first]["note"] == "written at the last moment"
    assert papers_json(capsys, desktop)[target]["read"]


async def test_reader_tells_a_missing_sync_folder_once(capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path], tmp_path: Path) -> None:
    from paperreader.config import Config
    from paperreader.tui.app import PaperReaderApp

    from .tui_helpers import settle

    (laptop, _, _), folder = three
    app = PaperReaderApp(
        laptop, config=Config(tmp_path / "c.toml", sync_folder=folder / "gone", sync_interval=0.2), debounce=0.01, poll_interval=0.2
    )
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: any(note.startswith("Sync: ") for note in notes))
        await pilot.pause(0.6)  # three more polls: told once
        await pilot.press("r")  # local use goes on
        await settle(pilot)
    assert [note for note in notes if note.startswith("Sync: ")] == [
        f"Sync: {folder / 'gone'}: no such folder (create it, or check [sync] folder / --folder); nothing was synced"
    ]
    assert any(paper["read"] for paper in papers_json(capsys, laptop).values())


# -- compaction and sync ------------------------------------------------------------------------------


def backdate_all(store: Store, days: int = 400) -> None:
    """Every action of the journal made ``days`` days ago (as a year of use would leave them)."""
    with store.transaction():
        for number, at in store._db.execute("SELECT id, at FROM actions").fetchall():
            moved = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) - dt.timedelta(days=days)
            store._db.execute(
                "UPDATE actions SET at = ? WHERE id = ?", (moved.isoformat(timespec="milliseconds").replace("+00:00", "Z"), number)
            )


def test_compaction_keeps_what_sync_has_not_sent(tmp_path: Path) -> None:
    devices = Devices(tmp_path, [0.0, 0.0, 0.0])
    try:
        one, two = devices.stores[0], devices.stores[1]
        one.set_state([IDS[0]], read=True)
        devices.sync(0)
        one.set_state([IDS[1]], bookmarked=True)  # not in the folder yet
        one.set_tags([IDS[2]], add=["rl"])
        backdate_all(one)
        done = one.journal.compact(365)
        # The read mark was sent and goes; the bookmark waits for sync (the tag is the newest, kept anyway).
        assert done is not None and (done.actions, done.held) == (2, 1) and "kept until 'paperreader sync'" in done.message()
        unsent = [a.label for a in one.journal.actions()]
        assert unsent[:2] == ["tagged rl", "bookmarked"]
        devices.sync(0)
        devices.sync(1)
        assert two.get(IDS[1]).bookmarked and two.get(IDS[2]).tags == ("rl",) and two.get(IDS[0]).read
        # Sent now: they may go, but for the newest (numbers are never given twice).
        assert one.journal.compact(365).held == 0 and len(one.journal.actions()) == 1
    finally:
        devices.close()


def test_compacted_events_still_weigh_in_the_merge(tmp_path: Path) -> None:
    """A device compacts what it applied; a late, older event from a third device must not win over it.

    The third device's clock is an hour behind: its bookmark and unbookmark are
    older than the first device's bookmark, so every device ends bookmarked.
    """
    devices = Devices(tmp_path, [0.0, 0.0, -3600.0])
    try:
        one, two, three = devices.stores
        paper = IDS[0]
        three.set_state([paper], bookmarked=True)
        three.set_state([paper], bookmarked=False)
        one.set_state([paper], bookmarked=True)
        one.set_tags([IDS[1]], add=["rl"])  # the newest action, which compaction keeps
        devices.sync(0)
        devices.sync(1)
        assert two.get(paper).bookmarked
        backdate_all(two)
        assert two.journal.compact(365).actions > 0
        assert [a.label for a in two.journal.actions()] == ["tagged rl"]  # the bookmark's event is gone
        devices.sync(2)
        devices.sync(1)
        assert [store.get(paper).bookmarked for store in devices.stores] == [True, True, True]
        # The first device's file read again from its start (replaced by a sync tool): nothing is applied twice.
        with two.transaction():
            two._db.execute("DELETE FROM sync_files")
        newest = two.journal.actions(limit=1)[0].number
        report = sync(two, devices.folder, devices.dirs[1])
        assert report.applied == 0 and two.journal.actions(limit=1)[0].number == newest
    finally:
        devices.close()


def test_a_copied_data_dir_does_not_write_the_original_devices_log(
    capsys: pytest.CaptureFixture[str], three: tuple[list[Path], Path], tmp_path: Path
) -> None:
    """Two libraries under one device name would append to one log and skip each other's actions as their own."""
    (laptop, _, _), folder = three
    ids = sorted(papers_json(capsys, laptop))[:3]
    cli(capsys, laptop, "mark", "read", ids[0])
    assert cli(capsys, laptop, "sync", "--folder", str(folder))[1] == "sync: sent 1 change, applied 0 from 0 devices\n"
    copy = tmp_path / "copy"
    shutil.copytree(laptop, copy)  # the data dir taken to another machine
    cli(capsys, laptop, "mark", "bookmark", ids[1])
    cli(capsys, copy, "mark", "read", ids[2])
    (log,) = folder.glob("*.log")
    written = log.read_bytes()
    status, out, err = cli(capsys, copy, "sync")
    assert status == 1 and "sent nothing (this library was copied from another machine or folder" in out
    assert err.count("\n") == 1 and "run 'paperreader sync --rename-device'" in err
    assert log.read_bytes() == written  # nothing appended under the original's name
    assert "a copy of a library elsewhere" in cli(capsys, copy, "sync", "--status")[1]
    assert "a copy of a library elsewhere" not in cli(capsys, laptop, "sync", "--status")[1]
    assert cli(capsys, laptop, "sync")[1] == "sync: sent 1 change, applied 0 from 0 devices\n"
    status, out, _ = cli(capsys, copy, "sync", "--rename-device")
    assert status == 0 and out.startswith("This library is now the device ")
    # Only what the copy did since: the history it shares with the original is neither sent nor applied again.
    assert cli(capsys, copy, "sync") == (0, "sync: sent 1 change, applied 1 from 1 device\n", "")
    assert cli(capsys, laptop, "sync")[1] == "sync: sent 0 changes, applied 1 from 1 device\n"
    for data in (laptop, copy):
        papers = papers_json(capsys, data)
        assert (papers[ids[0]]["read"], papers[ids[1]]["bookmarked"], papers[ids[2]]["read"]) == (True, True, True)
    # A data dir moved (renamed) on its file system is still the same device.
    moved = tmp_path / "moved"
    laptop.rename(moved)
    cli(capsys, moved, "mark", "unread", ids[0])
    assert cli(capsys, moved, "sync") == (0, "sync: sent 1 change, applied 0 from 0 devices\n", "")
