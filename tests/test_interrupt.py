"""Ctrl+C during a long import: one line saying how far it got, exit 130, nothing lost.

A terminal sends Ctrl+C's SIGINT to the whole foreground process group, so
the tests run the import in its own session and signal the group, as a
terminal does: the index build's worker processes get it too.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperreader.library import Library

from .digests import synthetic_digests

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs process groups and SIGINT")

#: The CLI as a user runs it, with the parallel index build starting at 100
#: papers instead of 5,000 (so a build with worker processes takes a second).
_CLI = """
import sys
import paperreader.index
paperreader.index._PARALLEL_FROM = 100
from paperreader.cli import main
sys.exit(main(sys.argv[1:]))
"""

LINE = "interrupted: {} of {} files imported; run the same command again to finish"
INDEXING_LINE = "interrupted: {} of {} files imported, the search index not yet; run the same command again to finish"


def _stored_files(data: Path) -> int:
    try:
        with sqlite3.connect(f"file:{data / 'library.sqlite3'}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM sources").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the index build's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _import(folder: Path, data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CLI, "--data-dir", str(data), "import", "-q", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(condition, process: subprocess.Popen[str], seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never got there"
        time.sleep(0.002)


def _import_until_indexing(folder: Path, data: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """Start importing 30 files and wait for the index build's worker processes: (import, workers)."""
    synthetic_digests(folder, files=30, per_file=40)
    process = _import(folder, data)
    workers: list[int] = []

    def indexing() -> bool:
        workers[:] = _children(process.pid)
        return bool(workers)

    _wait_for(indexing, process)
    return process, workers


def _finish_and_check(folder: Path, data: Path, files: int) -> None:
    """The same command again completes the import; library and index agree."""
    done = subprocess.run(
        [sys.executable, "-c", _CLI, "--data-dir", str(data), "import", "-q", str(folder)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with Library(data) as library:
        assert library.store.integrity_check() == []
        assert _stored_files(data) == files
        assert library.index().doc_count() == library.store.count() == files * 40


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_ctrl_c_while_storing(tmp_path: Path) -> None:
    synthetic_digests(tmp_path / "d", files=30, per_file=40)
    data = tmp_path / "lib"
    process = _import(tmp_path / "d", data)
    _wait_for(lambda: _stored_files(data) >= 8, process)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.splitlines() == [LINE.format(_stored_files(data), 30)], err
    assert 8 <= _stored_files(data) < 30
    _finish_and_check(tmp_path / "d", data, 30)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_ctrl_c_while_indexing_with_worker_processes(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    process, workers = _import_until_indexing(tmp_path / "d", data)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130
    # One line: no worker's traceback, no KeyboardInterrupt.
    assert err.splitlines() == [INDEXING_LINE.format(30, 30)], err
    # The workers are gone and the half-built index with them.
    for worker in workers:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]
    assert not (data / "index.new").exists()
    _finish_and_check(tmp_path / "d", data, 30)


def test_ctrl_c_just_after_a_file_was_stored_counts_it(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+C landing between a file's commit and its report: the line still says what is stored."""
    from paperreader.cli import main
    from paperreader.store import Store

    synthetic_digests(tmp_path / "d", files=5, per_file=10)
    data = tmp_path / "lib"
    add = Store.add

    def add_then_interrupted(self: Store, *args: object, **kwargs: object) -> object:
        outcome = add(self, *args, **kwargs)  # type: ignore[arg-type]
        if _stored_files(data) == 3:
            raise KeyboardInterrupt  # as if SIGINT arrived the moment the third file was committed
        return outcome

    monkeypatch.setattr(Store, "add", add_then_interrupted)
    assert main(["--data-dir", str(data), "import", "-q", str(tmp_path / "d")]) == 130
    assert capsys.readouterr().err.splitlines() == [LINE.format(3, 5)]
    assert _stored_files(data) == 3


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_index_workers_die_with_a_killed_import(tmp_path: Path) -> None:
    """kill -9 of an import must not leave its index workers waiting on their queue for ever.

    The workers hold both ends of their job queue's pipe, so they never see
    it close; they block Ctrl+C (the parent handles it). Only the parent's
    death can tell them to go.
    """
    data = tmp_path / "lib"
    process, workers = _import_until_indexing(tmp_path / "d", data)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)  # not communicate(): orphaned workers would hold its pipes open
    for worker in workers:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        alive = Path(f"/proc/{worker}").exists() and "Z" not in Path(f"/proc/{worker}/stat").read_text().split()[2]
        if alive:
            os.kill(worker, signal.SIGKILL)  # leave no orphan behind, then fail
        assert not alive, f"index worker {worker} outlived the killed import"
