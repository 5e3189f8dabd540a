"""The journal's cost: ``python -m benchmarks.journal [--papers N] [--output FILE]``.

Measures, on a synthetic library of N papers (default 100,000) built straight
into the store (no search index: none of this touches it):

* marking one paper read, with the journal and without it (the journal's
  ``record`` replaced by a no-op for the "without" runs), in turns, median
  and p95;
* ``A``: marking every paper read in one transaction, with and without the
  journal, and undoing it;
* how much the library grows per ``A`` (the journal's rows);
* sync: one device sends 10,000 changes (1,000 actions of 10), another
  applies them.

Writes a Markdown table to stdout and to ``benchmarks/JOURNAL.md``.  Timings
are not asserted anywhere; a test runs a small smoke run so this cannot rot.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from paperreader import journal
from paperreader.models import ParsedPaper
from paperreader.store import Store
from paperreader.sync import rename_device, sync
from paperreader.text import paper_id

from .run import cpu_name, ms, percentile

HERE = Path(__file__).resolve().parent
#: Changes one device sends in the sync figure, in actions of this many.
SYNC_CHANGES = 10_000
SYNC_BATCH = 10


def build(path: Path, papers: int) -> Store:
    """A store with ``papers`` synthetic papers over 100 digest days (one transaction)."""
    store = Store.open(path)
    start = dt.date(2026, 1, 1)
    batch = [
        ParsedPaper(paper_id(f"Synthetic paper {n}"), f"Synthetic paper {n}", "An abstract.", (start + dt.timedelta(days=n % 100),))
        for n in range(papers)
    ]
    store.add(batch, sha256="synthetic", path="synthetic.txt", warnings=0)
    return store


@contextlib.contextmanager
def without_journal() -> Iterator[None]:
    """The store exactly as it is, but nothing journaled: what the journal costs is the difference."""
    original = journal.record
    journal.record = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        journal.record = original  # type: ignore[assignment]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def size_of(store: Store) -> int:
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages, size = (store._db.execute(f"PRAGMA {name}").fetchone()[0] for name in ("page_count", "page_size"))
    return pages * size


def bench_mark_one(stores: dict[str, Store], repeat: int) -> dict[str, list[float]]:
    """Marking one paper, in turns with and without the journal (one mark each, ``repeat`` times).

    In turns, so that what else the machine does at the moment (it is
    shared) weighs on both figures alike instead of on whichever ran then.
    """
    ids = stores["with"].ids()
    rng = random.Random(1)
    state = {label: {pid: False for pid in ids} for label in stores}
    times: dict[str, list[float]] = {label: [] for label in stores}
    contexts = {"with": contextlib.nullcontext, "without": without_journal}
    for _ in range(repeat):
        pid = rng.choice(ids)
        for label, store in stores.items():
            with contexts[label]():
                state[label][pid] = not state[label][pid]
                start = time.perf_counter()
                store.set_state([pid], read=state[label][pid])
                times[label].append(time.perf_counter() - start)
    return times


def bench_mark_all(store: Store, repeat: int) -> tuple[list[float], list[float]]:
    """``A`` over the whole library, and marking it all unread again (each one transaction)."""
    ids = store.ids()
    read, unread = [], []
    for _ in range(repeat):
        read += timed(lambda: store.set_state(ids, read=True), 1)
        unread += timed(lambda: store.set_state(ids, read=False), 1)
    return read, unread


def bench_sync(root: Path, template: Path) -> dict[str, float]:
    """One device sends 10,000 changes through a folder; another applies them."""
    folder = root / "folder"
    folder.mkdir(parents=True)
    stores = []
    for name in ("a", "b"):
        (root / name).mkdir()
        shutil.copy(template, root / name / "library.sqlite3")
        store = Store.open(root / name / "library.sqlite3")
        rename_device(store)  # a copied library is another device
        stores.append(store)
    sender, receiver = stores
    ids = sender.ids()
    for number in range(SYNC_CHANGES // SYNC_BATCH):
        # Every action changes all its ten fields: fresh papers, or the other value on a second pass.
        start = (number // 3) * SYNC_BATCH
        batch = [ids[(start + k) % len(ids)] for k in range(SYNC_BATCH)]
        value = (start // len(ids)) % 2 == 0
        if number % 3 == 0:
            sender.set_state(batch, read=value)
        elif number % 3 == 1:
            sender.set_state(batch, bookmarked=value)
        else:
            sender.set_tags(batch, add=[f"t{number}"])
    sync(receiver, folder, root / "b")  # its own baseline first, so only the applying is timed below
    start = time.perf_counter()
    sent = sync(sender, folder, root / "a")
    send_s = time.perf_counter() - start
    start = time.perf_counter()
    applied = sync(receiver, folder, root / "b")
    apply_s = time.perf_counter() - start
    log = folder / (sender.device + ".log")
    figures = {
        "sent": float(sent.sent),
        "applied": float(applied.applied),
        "send_s": send_s,
        "apply_s": apply_s,
        "log_bytes": float(log.stat().st_size),
    }
    for store in stores:
        store.close()
    return figures


def run(papers: int, repeat: int, root: Path) -> dict[str, object]:
    print(f"{papers:,} papers: building…", file=sys.stderr)
    template = root / "template.sqlite3"
    build(template, papers).close()
    data: dict[str, object] = {"papers": papers}
    for label in ("with", "without"):
        shutil.copy(template, root / f"{label}.sqlite3")
    stores = {label: Store.open(root / f"{label}.sqlite3") for label in ("with", "without")}
    print(f"{papers:,} papers: marking one paper, with and without the journal in turns…", file=sys.stderr)
    for label, times in bench_mark_one(stores, repeat * 50).items():
        data[f"one_{label}"] = times
    for label, context in (("with", contextlib.nullcontext), ("without", without_journal)):
        store = stores[label]
        with context():
            print(f"{papers:,} papers: marking all, {label} the journal…", file=sys.stderr)
            before = size_of(store)
            read, unread = bench_mark_all(store, max(2, repeat // 3))
            data[f"all_{label}"], data[f"unall_{label}"] = read, unread
            data[f"growth_{label}"] = (size_of(store) - before) / (2 * len(read))
            if label == "with":
                store.set_state(store.ids(), read=True)
                data["undo_all"] = timed(store.journal.undo, 1)
    for store in stores.values():
        store.close()
    print(f"{papers:,} papers: sync of {SYNC_CHANGES:,} changes…", file=sys.stderr)
    data["sync"] = bench_sync(root / "sync", template)
    return data


def report(data: dict, date: str) -> str:  # type: ignore[type-arg]
    papers = int(data["papers"])

    def both(key: str, fmt: Callable[[float], str] = ms) -> str:
        with_, without = data[f"{key}_with"], data[f"{key}_without"]
        return (
            f"median {fmt(statistics.median(with_))}, p95 {fmt(percentile(with_, 0.95))} | "
            f"median {fmt(statistics.median(without))}, p95 {fmt(percentile(without, 0.95))}"
        )

    def fine(seconds: float) -> str:
        """Hundredths of a millisecond: the journal's share of one mark is that small."""
        return f"{seconds * 1000:.2f} ms"

    sync_figures = data["sync"]
    lines = [
        "# The journal's cost",
        "",
        f"{papers:,} synthetic papers · {date} · {cpu_name()} ({os.cpu_count()} cores) · Python "
        f"{platform.python_version()} · load average at start {' '.join(f'{v:.1f}' for v in os.getloadavg())}",
        "",
        "Produced by `python -m benchmarks.journal` (see benchmarks/journal.py). \"Without\" is the same store "
        "with the journal's `record` replaced by a no-op. Every change is one SQLite transaction with "
        "`synchronous=FULL`, so marking one paper is mostly the fsync of its commit. One paper is marked "
        f"{len(data['one_with']):,} times in each store, with and without the journal in turns, so that the "
        "machine's other work weighs on both alike.",
        "",
        "| figure | with the journal | without |",
        "|---|---|---|",
        f"| mark one paper read (`r`, `n`, `paperreader mark`) | {both('one', fine)} |",
        f"| `A`: mark all {papers:,} papers read, one transaction | {both('all')} |",
        f"| mark all {papers:,} unread again | {both('unall')} |",
        f"| library growth per `A` of {papers:,} papers | {data['growth_with'] / 1e6:,.1f} MB | "
        f"{data['growth_without'] / 1e6:,.1f} MB |",
        f"| undo that `A` (field-exact, one transaction) | {ms(data['undo_all'][0])} | (no undo) |",
        f"| sync: send {int(sync_figures['sent']):,} changes ({SYNC_CHANGES // SYNC_BATCH:,} actions) | "
        f"{ms(sync_figures['send_s'])} ({sync_figures['log_bytes'] / 1e6:,.1f} MB of log) | |",
        f"| sync: apply {int(sync_figures['applied']):,} changes from another device | {ms(sync_figures['apply_s'])} | |",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.journal", description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="library size (default 100,000)")
    parser.add_argument("--repeat", type=int, default=10, help="runs per timed figure (default 10; one paper: 50x)")
    parser.add_argument("--output", type=Path, default=HERE / "JOURNAL.md", help="the Markdown report")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="paperreader-journal-bench-") as tmp:
        data = run(args.papers, args.repeat, Path(tmp))
    text = report(data, dt.date.today().isoformat())
    print(text)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
