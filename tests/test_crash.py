"""``kill -9`` in the middle of an import leaves a library that opens and is consistent."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperreader.library import Library
from paperreader.parser import parse_digest

from .digests import synthetic_digests

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")


def _ids_of(path: Path) -> set[str]:
    return {p.id for p in parse_digest(path.read_bytes(), dt.date(2025, 11, 20)).papers}


def _check_consistent(data_dir: Path, files: list[Path], bookmarked: set[str]) -> int:
    with Library(data_dir) as library:
        store = library.store
        assert store.integrity_check() == []
        imported = {Path(row).name for row in (r[0] for r in store._db.execute("SELECT path FROM sources"))}
        expected = set().union(*(_ids_of(f) for f in files if f.name in imported)) | bookmarked
        papers = store.papers()
        # Each file is in the library whole or not at all.
        assert {p.id for p in papers} == expected
        assert store.stats().papers == len(papers) and all(p.digests for p in papers)
        # Previously stored user state did not change.
        assert set(store.ids("bookmarked")) == bookmarked
        # The index was caught up or rebuilt: search finds exactly the stored papers.
        index = library.index()
        assert index.doc_count() == len(papers)
        outcome = library.search("*", limit=None)
        assert {h.id for h in outcome.hits} == {p.id for p in papers}
        return len(imported)


def _stored_files(data_dir: Path) -> int:
    with sqlite3.connect(f"file:{data_dir / 'library.sqlite3'}?mode=ro", uri=True, timeout=5) as db:
        return db.execute("SELECT count(*) FROM sources").fetchone()[0]


def test_kill_during_import(tmp_path: Path) -> None:
    files = synthetic_digests(tmp_path / "digests", files=80, per_file=25)
    data_dir = tmp_path / "data"
    # A library with some state before the big import.
    with Library(data_dir) as library:
        library.import_paths(files[:1], date=dt.date(2025, 11, 20))
        keep = set(library.store.ids()[:5])
        library.store.set_state(sorted(keep), bookmarked=True)
    rng = random.Random(3)
    env = {**os.environ, "PAPERREADER_DATA_DIR": str(data_dir)}
    counts = []
    # Three kills while files are being stored (once the store holds a random
    # number of them, polled from outside), then two while the index is written.
    for run in range(5):
        process = subprocess.Popen(
            [sys.executable, "-m", "paperreader", "import", str(tmp_path / "digests"), "--date", "2025-11-20", "-q"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stored = counts[-1] if counts else 1
        target = rng.randint(stored + 5, stored + 20) if run < 3 else len(files)
        deadline = time.monotonic() + 60
        while _stored_files(data_dir) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        if run >= 3:
            time.sleep(rng.uniform(0.05, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        counts.append(_check_consistent(data_dir, files, keep))
    # A last import completes what the killed ones left.
    subprocess.run([sys.executable, "-m", "paperreader", "import", str(tmp_path / "digests")], env=env, check=True, capture_output=True)
    assert _check_consistent(data_dir, files, keep) == len(files)
    assert counts == sorted(counts)
    print('files imported after each kill:', counts)
