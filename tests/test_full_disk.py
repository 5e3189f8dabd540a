"""A full disk and a read-only library: nothing is lost, reading goes on, one clear line says what happened.

Each promise is tested on a real file system where the machine allows
mounting (a small tmpfs, a read-only bind mount; CI runs as root), and with
the failure injected at the SQLite and Whoosh write paths everywhere else.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage

from paperreader import paths
from paperreader.cli import main
from paperreader.config import Config
from paperreader.demo import sample_files
from paperreader.library import Library, LibraryError
from paperreader.store import Store, StoreError
from paperreader.tui.app import PaperReaderApp
from paperreader.tui.paper_list import PaperList

from .digests import MONDAY, TUESDAY, page, synthetic_digests, write
from .mounts import RefusingConnection, fill, read_only_view, resize, tmpfs
from .tui_helpers import make_app, settle

SIZE = (120, 35)


def run(capsys: pytest.CaptureFixture[str], data: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data), *args])
    out, err = capsys.readouterr()
    return status, out, err


def papers(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, dict[str, object]]:
    status, out, err = run(capsys, data, "list", "--json")
    assert status == 0, err
    return {paper["id"]: paper for paper in json.loads(out)}


def start_library(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, dict[str, object]]:
    """The bundled sample digests imported and five papers bookmarked: what must never change."""
    assert run(capsys, data, "import", *map(str, sample_files()))[0] == 0
    ids = sorted(papers(capsys, data))[:5]
    assert run(capsys, data, "mark", "bookmark", *ids)[0] == 0
    return papers(capsys, data)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def check_full_disk_import(err: str, data: Path, files: int) -> int:
    """One line for the refused import (and at most one about the index); returns the files imported."""
    stopped = [line for line in lines(err) if line.startswith("disk full: imported ")]
    assert len(stopped) == 1, err
    assert f"{data / 'library.sqlite3'} could not be written" in stopped[0]
    assert "run the same command again to import the rest" in stopped[0] and "Free about " in stopped[0]
    assert "not imported" not in err and "Traceback" not in err
    about_index = [line for line in lines(err) if "search index" in line]
    assert len(about_index) <= 1 and all("disk full" in line and "papers behind" in line for line in about_index)
    assert len(lines(err)) == 1 + len(about_index), err
    found = re.search(rf"imported (\d+) of {files} files", stopped[0])
    assert found, stopped[0]
    return int(found.group(1))


def check_unchanged(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> None:
    """Every paper stored before is still there, exactly as it was (state and all)."""
    assert {pid: after.get(pid) for pid in before} == before


# -- the CLI on a real full disk ---------------------------------------------------------


def test_full_disk_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    days = synthetic_digests(tmp_path / "days", files=24, per_file=40)
    with tmpfs(tmp_path / "disk", "2m") as disk:
        data = disk / "lib"
        before = start_library(capsys, data)
        status, out, err = run(capsys, data, "import", str(tmp_path / "days"))
        assert status == 1
        imported = check_full_disk_import(err, data, len(days))
        assert 0 < imported < len(days)
        assert "free on" not in err or str(disk) in err
        stored = papers(capsys, data)
        check_unchanged(before, stored)
        assert len(stored) == len(before) + 40 * imported

        # Reading goes on: search answers from the index as it is, and says it is behind.
        fill(disk)
        status, out, err = run(capsys, data, "search", "quantization", "--limit", "3")
        assert status == 0 and out.count("\n    …") >= 1
        assert "papers behind the library" in err and f"disk full: 0 B free on {disk}" in err
        fill(disk)
        status, out, err = run(capsys, data, "stats", "--days", "3")
        assert status == 0 and f"{len(stored):,}" in out
        fill(disk)
        status, out, err = run(capsys, data, "doctor")
        assert status == 1 and "Traceback" not in err
        assert f"problem  {disk}: the disk is full (0 B free)" in out
        # A change cannot be stored: one line naming the file and the free space.  (SQLite
        # reuses the room a refused change took in its log, so a small change may still fit
        # there: first fold the log into the library, as a moment with space would, and fill
        # the disk again.)
        (disk / "filler").unlink()
        resize(disk, "16m")
        with sqlite3.connect(data / "library.sqlite3") as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fill(disk)
        some = sorted(before)[7]
        status, out, err = run(capsys, data, "mark", "read", some)
        assert status == 1 and lines(err) == [
            f"paperreader: {data / 'library.sqlite3'}: cannot write the library (disk full: 0 B free on {disk}); "
            "nothing was changed"
        ]
        assert papers(capsys, data) == stored

        # Space freed: everything catches up by itself.
        (disk / "filler").unlink()
        resize(disk, "64m")
        status, out, err = run(capsys, data, "search", "quantization", "--limit", "3")
        assert status == 0 and "disk full" not in err
        status, out, err = run(capsys, data, "import", "-q", str(tmp_path / "days"))
        assert status == 0, err
        final = papers(capsys, data)
        check_unchanged(before, final)
        assert len(final) == len(before) + 40 * len(days)
        status, out, err = run(capsys, data, "doctor")
        assert status == 0 and "ok       index/: the search index matches the library" in out
        assert not (data / "index.new").exists()


# -- the same with the failures injected (runs everywhere) --------------------------------------


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """Make the disk "full": SQLite writes fail after ``files`` files, the index's writes with ENOSPC."""
    state: dict[str, object] = {"files": 0, "full": False}
    open_writable = Store._open_writable.__func__  # type: ignore[attr-defined]

    def refusing_open(cls: type[Store], path: Path) -> Store:
        store = open_writable(cls, path)
        if state["full"]:
            store._db = RefusingConnection(store._db, after=int(state["files"]))  # type: ignore[assignment]
        return store

    create_file = FileStorage.create_file

    def no_space(self: FileStorage, name: str, *args: object, **kwargs: object) -> object:
        if state["full"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(self.folder, name))
        return create_file(self, name, *args, **kwargs)

    monkeypatch.setattr(Store, "_open_writable", classmethod(refusing_open))
    monkeypatch.setattr(FileStorage, "create_file", no_space)
    yield state


def test_full_disk_cli_injected(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, refusing: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    days = synthetic_digests(tmp_path / "days", files=8, per_file=20)
    data = tmp_path / "lib"
    before = start_library(capsys, data)
    refusing.update(full=True, files=3)
    tried: list[Path] = []
    import_file = Library.import_file

    def counted(self: Library, path: Path, **kwargs: object) -> object:
        tried.append(path)
        return import_file(self, path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Library, "import_file", counted)
    status, out, err = run(capsys, data, "import", str(tmp_path / "days"))
    assert status == 1
    assert check_full_disk_import(err, data, len(days)) == 3
    assert tried == days[:4]  # stopped at the first refused file: the rest would only be refused too
    # Again, with room for two more files: the index, behind from the start, is told of once, at the end.
    refusing.update(files=2)
    status, out, err = run(capsys, data, "import", str(tmp_path / "days"))
    assert status == 1 and check_full_disk_import(err, data, len(days)) == 5
    assert [line for line in lines(err) if "search index" in line][0].endswith(
        "it is 100 papers behind the library; searches answer from what it holds, and it catches up by itself "
        f"once {data / 'index'} can be written"
    )
    stored = papers(capsys, data)
    check_unchanged(before, stored)
    assert len(stored) == len(before) + 5 * 20

    refusing.update(files=0)
    status, out, err = run(capsys, data, "search", "quantization", "--limit", "3")
    assert status == 0 and out
    assert lines(err)[0].startswith("paperreader: the search index could not be updated (disk full: ")
    assert "it is 100 papers behind the library" in err
    status, out, err = run(capsys, data, "stats", "--days", "3")
    assert status == 0 and "papers behind" in err
    status, out, err = run(capsys, data, "doctor")
    assert status == 1 and "Traceback" not in err
    assert re.search(r"problem  index/: .*disk full", out) or "problem  the search index could not be updated (disk full" in out
    status, out, err = run(capsys, data, "mark", "read", sorted(before)[7])
    assert status == 1 and len(lines(err)) == 1
    assert err.startswith(f"paperreader: {data / 'library.sqlite3'}: cannot write the library (disk full: ")
    assert papers(capsys, data) == stored
    # An index that must be rebuilt cannot be: doctor says so (it does not die of it), search too.
    (data / "index" / "paperreader-index.json").unlink()
    status, out, err = run(capsys, data, "doctor")
    assert status == 1 and "Traceback" not in err and err == ""
    assert re.search(
        r"problem  index/: .*: cannot rebuild the search index \(disk full: .*\); the search index was missing: "
        "searching works again once it can be written",
        out,
    ), out
    status, out, err = run(capsys, data, "search", "quantization")
    assert status == 1 and lines(err) == [
        f"paperreader: {data / 'index'}: the search index was missing and cannot be rebuilt "
        f"({paths.describe_refusal(paths.DISK_FULL, data)}); searching works again once it can be written"
    ]

    refusing.update(full=False)  # space freed
    assert run(capsys, data, "import", "-q", str(tmp_path / "days"))[0] == 0
    check_unchanged(before, papers(capsys, data))
    status, out, err = run(capsys, data, "doctor")
    assert status == 0 and "the search index matches the library" in out


def test_library_opened_on_a_full_disk_is_read_not_called_damaged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A clean library (no -shm file) on a disk already full: SQLite cannot make its -shm; it is read anyway."""
    with tmpfs(tmp_path / "disk", "2m") as disk:
        data = disk / "lib"
        before = start_library(capsys, data)
        assert not (data / "library.sqlite3-shm").exists()
        filler = fill(disk)
        for command in (["list", "--json"], ["search", "robot"], ["export", "--all"], ["stats", "--no-topics"]):
            status, out, err = run(capsys, data, *command)
            assert status == 0 and "damaged" not in err, (command, err)
        status, out, err = run(capsys, data, "mark", "read", sorted(before)[0])
        assert status == 1 and "cannot write the library (disk full: " in err and "damaged" not in err
        # A reader left open: its library, opened for reading, takes changes again once there is room.
        with Store.open(data / "library.sqlite3") as store:
            assert store.read_only == paths.DISK_FULL
            with pytest.raises(StoreError, match="cannot write the library \\(disk full: "):
                store.set_state([sorted(before)[0]], read=True)
            filler.unlink()  # space freed
            store.set_state([sorted(before)[0]], read=True)
            assert store.read_only is None and sorted(before)[0] in store.ids("read")
        assert run(capsys, data, "mark", "read", sorted(before)[1])[0] == 0


# -- a read-only library (issue 11, point 14) -------------------------------------------------


def make_read_only_library(capsys: pytest.CaptureFixture[str], data: Path) -> dict[str, dict[str, object]]:
    """A library whose index is one paper behind (a tag added by the CLI, which does not open it)."""
    before = start_library(capsys, data)
    assert run(capsys, data, "tag", "add", "later", sorted(before)[3])[0] == 0
    return papers(capsys, data)


def check_read_only(capsys: pytest.CaptureFixture[str], data: Path, before: dict[str, dict[str, object]], mount: str) -> None:
    for command in (["list"], ["export", "--all", "--format", "json"], ["stats"]):
        status, out, err = run(capsys, data, *command)
        assert status == 0 and out and "damaged" not in err, (command, err)
    status, out, err = run(capsys, data, "search", "robot")
    assert status == 0 and out
    assert "it is 1 paper behind the library" in err and f"(read-only file system: {mount})" in err
    status, out, err = run(capsys, data, "doctor")
    assert status == 1 and "damaged" not in out + err and "Traceback" not in err
    assert f"read-only file system: {mount}" in out
    status, out, err = run(capsys, data, "mark", "read", sorted(before)[0])
    assert status == 1 and lines(err) == [
        f"paperreader: {data / 'library.sqlite3'}: cannot write the library (read-only file system: {mount}); nothing was changed"
    ]
    assert papers(capsys, data) == before


def test_read_only_mount(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "src" / "lib"
    before = make_read_only_library(capsys, source)
    (source / "index.new").mkdir()  # what doctor would repair, if it could write
    source.chmod(0o755)
    with read_only_view(tmp_path / "src", tmp_path / "ro") as view:
        data = view / "lib"
        check_read_only(capsys, data, before, str(view))
        status, out, err = run(capsys, data, "doctor")
        assert f"problem  index.new/: a half-built index left by an interrupted rebuild; cannot remove it (read-only file system: {view})" in out
        assert f"problem  {data}: readable by others (755); cannot change it (read-only file system: {view})" in out
        write(tmp_path / "new.txt", page("Mar 12", TUESDAY))
        status, out, err = run(capsys, data, "import", str(tmp_path / "new.txt"))
        assert status == 1 and lines(err)[0] == (
            f"read-only file system: {view}: imported 0 of 1 file (0 new papers); {data / 'library.sqlite3'} could not "
            "be written. Import into a library where it can be written, or run the same command again once it can."
        )
        assert lines(err)[1:] == [line for line in lines(err)[1:] if "1 paper behind" in line][:1]  # the index, once
    assert papers(capsys, tmp_path / "src" / "lib") == before


_CRASH_AFTER_A_CHANGE = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA wal_autocheckpoint = 0")
db.execute("UPDATE papers SET bookmarked = 1, bookmarked_at = '2026-01-01T00:00:00.000Z' WHERE id = ?", (sys.argv[2],))
os.kill(os.getpid(), 9)  # no checkpoint at close: the change lives in the write-ahead log only
"""


def test_read_only_mount_with_a_write_ahead_log(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A library whose last changes are still in its -wal file (its program was killed), seen read-only."""
    source = tmp_path / "src" / "lib"
    before = start_library(capsys, source)
    late = sorted(before)[9]
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", _CRASH_AFTER_A_CHANGE, str(source / "library.sqlite3"), late], check=False)
    assert (source / "library.sqlite3-wal").stat().st_size > 0 and (source / "library.sqlite3-shm").exists()
    with read_only_view(tmp_path / "src", tmp_path / "ro") as view:
        data = view / "lib"
        # The -shm file is there: SQLite reads the log read-only, and the change in it shows.
        status, out, err = run(capsys, data, "list", "--bookmarked")
        assert status == 0 and late in out, err
    (source / "library.sqlite3-shm").unlink()
    with read_only_view(tmp_path / "src", tmp_path / "ro") as view:
        data = view / "lib"
        # Without it SQLite cannot read the log where it may not write: said so, not "damaged".
        status, out, err = run(capsys, data, "list")
        assert status == 1 and out == "" and lines(err) == [
            f"paperreader: {data / 'library.sqlite3'}: cannot read the library (read-only file system: {view}): its "
            "write-ahead log library.sqlite3-wal holds changes SQLite reads only where it may write "
            "library.sqlite3-shm. Nothing was changed; open it where the folder can be written and try again."
        ]
    status, out, err = run(capsys, source, "list", "--bookmarked")  # where it can be written: all there
    assert status == 0 and late in out


def test_read_only_injected(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same, everywhere: SQLite cannot open the library for writing (as on a read-only mount, where
    it cannot make its -shm file), the file system reports itself read-only, and index writes get EROFS."""
    data = tmp_path / "lib"
    before = make_read_only_library(capsys, data)
    real_statvfs = os.statvfs

    class ReadOnlyStat:
        def __init__(self, real: os.statvfs_result) -> None:
            self.f_flag = real.f_flag | os.ST_RDONLY
            self.f_bavail, self.f_frsize = real.f_bavail, real.f_frsize

    def statvfs(path: str | os.PathLike[str]) -> object:
        result = real_statvfs(path)
        return ReadOnlyStat(result) if str(path).startswith(str(tmp_path)) else result

    def cannot_open(cls: type[Store], path: Path) -> Store:
        error = sqlite3.OperationalError("unable to open database file")
        error.sqlite_errorname = "SQLITE_CANTOPEN"  # type: ignore[attr-defined]
        raise error

    def read_only(self: FileStorage, name: str, *args: object, **kwargs: object) -> object:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.path.join(self.folder, name))

    monkeypatch.setattr(paths.os, "statvfs", statvfs)
    monkeypatch.setattr(paths, "mount_point", lambda path: tmp_path)
    monkeypatch.setattr(Store, "_open_writable", classmethod(cannot_open))
    monkeypatch.setattr(FileStorage, "create_file", read_only)
    check_read_only(capsys, data, before, str(tmp_path))


# -- the reader ----------------------------------------------------------------------------


async def press_b_refused(app: PaperReaderApp, data: Path, make_full: object, words: str) -> None:
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        paper_list = app.query_one(PaperList)
        current = paper_list.current_id
        assert current is not None and not app.rows[current].bookmarked
        make_full()  # type: ignore[operator]
        await pilot.press("b")
        await settle(pilot)
        # Told once, clearly; the screen shows what is stored (not bookmarked), not what b meant.
        refused = [note for note in notes if "Not saved (bookmarked)" in note]
        assert len(refused) == 1 and f"{data / 'library.sqlite3'}: cannot write the library ({words}" in refused[0]
        assert not app.rows[current].bookmarked and "★" not in paper_list.render_line(1).text
        assert app.counts.bookmarked == 0
    with Library(data) as library:
        assert library.store.count("bookmarked") == 0
        assert library.store.journal.undoable() is None  # nothing recorded: nothing to undo


async def test_reader_bookmark_on_a_full_disk(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk", "2m") as disk:
        data = disk / "lib"
        with Library(data) as library:
            for path in sample_files():
                library.import_file(path)
            library.update_index()
        await press_b_refused(make_app(data), data, lambda: fill(disk), f"disk full: 0 B free on {disk}")


async def test_reader_on_a_read_only_mount(tmp_path: Path) -> None:
    source = tmp_path / "src" / "lib"
    with Library(source) as library:
        for path in sample_files():
            library.import_file(path)
        library.update_index()
    with read_only_view(tmp_path / "src", tmp_path / "ro") as view:
        data = view / "lib"
        await press_b_refused(make_app(data), data, lambda: None, f"read-only file system: {view}")


async def test_reader_bookmark_refused_injected(sample_dir: Path) -> None:
    app = make_app(sample_dir)

    def make_full() -> None:
        app.library.store._db = RefusingConnection(app.library.store._db)  # type: ignore[assignment]

    await press_b_refused(app, sample_dir, make_full, "disk full: ")


async def test_inbox_on_a_full_disk_says_so_once(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    for name, day, papers_of in (("mon.txt", "Mar 10", MONDAY), ("tue.txt", "Mar 11", TUESDAY)):
        path = write(inbox / name, page(day, papers_of))
        os.utime(path, (path.stat().st_mtime - 60,) * 2)
    data = tmp_path / "data"
    with Library(data):
        pass
    config = Config(tmp_path / "config.toml", exists=True, inbox=inbox, inbox_interval=0.1)
    app = PaperReaderApp(data, config=config, debounce=0.01, poll_interval=0.2)
    refusing = RefusingConnection(app.library.store._db)
    app.library.store._db = refusing  # type: ignore[assignment]
    tries: list[int] = []
    import_paths = app.library.import_paths

    def counted(*args: object, **kwargs: object) -> object:
        tries.append(1)
        return import_paths(*args, **kwargs)  # type: ignore[arg-type]

    app.library.import_paths = counted  # type: ignore[method-assign]
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):  # several polls, each trying again
            await pilot.pause(0.05)
            if len(tries) >= 4:
                break
        await settle(pilot)
        assert len(tries) >= 4
        told = [note for note in notes if note.startswith("Inbox: ")]
        assert len(told) == 1 and "mon.txt" in told[0] and "cannot write the library (disk full: " in told[0]
        assert len(app.query_one(PaperList).ids) == 0
        refusing.free()  # space freed: the next poll imports both files, no key pressed
        for _ in range(100):
            await pilot.pause(0.05)
            if len(app.query_one(PaperList).ids) == 5:
                break
        await settle(pilot)
        assert len(app.query_one(PaperList).ids) == 5
        assert any(note.startswith("3 new papers from Mar 10") for note in notes)
        assert len([note for note in notes if note.startswith("Inbox: ")]) == 1


@pytest.fixture
def no_gc() -> Iterator[None]:
    """The garbage collector off: what it would free by chance (a lock) must be freed by the code."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_index_catches_up_unasked_once_space_is_freed(
    tmp_path: Path, refusing: dict[str, object], monkeypatch: pytest.MonkeyPatch, no_gc: None
) -> None:
    """A reader left open on a full disk: its index catches up by itself once space is freed (the
    refused write left no lock behind), and meanwhile a query does not try (and fill the disk
    again) at every keystroke."""
    import paperreader.library as library_module
    from paperreader.index import SearchIndex

    data = tmp_path / "lib"
    first, second, third = sample_files()
    with Library(data) as library:
        library.import_paths([first, second])
        library.import_file(third)  # stored, not indexed yet
        late = {pid for pid in library.store.ids(digest=dt.date.fromisoformat(third.stem))}
    calls: list[str] = []

    def counting(name: str) -> object:
        method = getattr(SearchIndex, name)

        def counted(self: SearchIndex, *args: object, **kwargs: object) -> object:
            calls.append(name)
            return method(self, *args, **kwargs)

        return counted

    for name in ("ensure", "update"):
        monkeypatch.setattr(SearchIndex, name, counting(name))
    refusing.update(full=True, files=1000)  # the index's writes fail; SQLite has room
    monkeypatch.setattr(library_module, "_RETRY_REFUSED", 3600.0)
    with Library(data) as library:
        found = library.search("*", limit=None)
        assert not late & {hit.id for hit in found.hits} and found.hits  # the index as it is
        assert len(library.notices) == 1 and "behind the library" in library.notices[0]
        for _ in range(5):
            library.search("model")
        assert calls == ["ensure"]  # no try at each query
        refusing.update(full=False)  # space freed
        monkeypatch.setattr(library_module, "_RETRY_REFUSED", 0.0)
        found = library.search("*", limit=None)
        assert late <= {hit.id for hit in found.hits}
        assert library.index().lag is None and calls == ["ensure", "update"]

    (data / "index" / "paperreader-index.json").unlink()  # now it must be rebuilt, and there is no room
    refusing.update(full=True)
    monkeypatch.setattr(library_module, "_RETRY_REFUSED", 3600.0)
    calls.clear()
    with Library(data) as library:
        for _ in range(3):
            with pytest.raises(LibraryError, match="the search index was missing: searching works again|cannot be rebuilt"):
                library.search("model")
        assert calls == ["ensure"]
        refusing.update(full=False)
        monkeypatch.setattr(library_module, "_RETRY_REFUSED", 0.0)
        assert late <= {hit.id for hit in library.search("*", limit=None).hits}
