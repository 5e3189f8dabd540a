"""paperreader's benchmark: ``python -m benchmarks [--sizes 10000,30000,100000] [--output FILE]``.

For each library size, in one run:

1. Generates a synthetic library (``benchmarks/synth.py``) as daily digest files.
2. Imports the folder with a real ``paperreader import FOLDER`` process, as a
   user would: "browsable" is when the last file's line is printed (every
   paper is in the store, so the reader lists it), "searchable" when the
   process ends (the index and its side files are written).
3. Times, with the postings kept in memory dropped before each run (cold), in
   every view (all, unread, bookmarked, a tag, one digest) and for every
   query class (one and two common words, phrase, prefix, fuzzy, field):
   the first screen (``Library.search(quick=True)``, 60 rows, and the
   highlighting of the 30 rows shown and the open abstract), and the exact
   final ranking that follows it (``Library.search``, 1,000 rows, exact count).
4. Times ``paperreader search`` as a whole process, and the reader headless
   (start to a populated list, cursor move, filter keystroke to list, peak RSS).
5. Builds a plain SQLite FTS5 table from the same papers and runs the same
   queries on it (in this process and as a whole process), as a reference.

It writes one table per size to ``benchmarks/RESULTS.md`` (and the raw
figures to ``RESULTS.json``), followed by ``NOTES.md``.  Timings are asserted
nowhere (machines are noisy); the test suite runs a tiny size so this script
cannot rot.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from paperreader.index import highlight_text
from paperreader.library import Library
from paperreader.parser import parse_digest

from .synth import generate

HERE = Path(__file__).resolve().parent

#: The query classes: (label, Whoosh query, FTS5 query or None).
QUERIES = [
    ("one word", "model", "model"),
    ("two words", "language models", "language AND models"),
    ("phrase", '"reward model"', '"reward model"'),
    ("prefix", "trans*", "trans*"),
    ("fuzzy", "langauge~", None),
    ("field", "title:experts", "title: experts"),
]
VIEWS = ["all", "unread", "bookmarked", "tag", "digest"]
#: Rows a first screen fetches (the list shows ~30), and what the exact ranking fetches.
FIRST_ROWS, EXACT_ROWS = 60, 1000

TARGETS = {
    "first": "p95 ≤ 50 ms, flat",
    "exact": "p95 ≤ 300 ms",
    "cli": "median ≤ 0.3 s",
    "browsable": "≤ 20 s at 100k",
    "searchable": "≤ 70 s at 100k",
    "tui_start": "≤ 1.0 s",
    "cursor": "≤ 16 ms",
    "tui_rss": "≤ 300 MB",
    "filter": "p95 ≤ 50 ms",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], object], repeat: int, before: Callable[[], object] | None = None) -> list[float]:
    """Run ``fn`` ``repeat`` times; ``before`` runs untimed ahead of each (to make it cold)."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PAPERREADER_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def run_child(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a child process; if it fails, stop with its own error output, not just its exit code."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[1:])} failed (exit {result.returncode}):\n{result.stderr.strip()[-4000:]}"
        )
    return result


def bench_import(files_dir: Path, data_dir: Path, papers: int, files: int) -> dict[str, float]:
    """``paperreader import FOLDER`` into an empty data dir: browsable when the last file is told, searchable at exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "paperreader", "import", str(files_dir)],
        env=_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    told = 0
    browsable = None
    for line in process.stdout:
        if line.startswith(str(files_dir)) or ".txt:" in line:
            told += 1
            if told == files:
                browsable = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr is not None else ""
    if process.wait() != 0:
        raise SystemExit(f"paperreader import failed (exit {process.returncode}):\n{stderr[-4000:]}")
    searchable = time.perf_counter() - start
    rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {
        "browsable_s": browsable if browsable is not None else searchable,
        "searchable_s": searchable,
        "papers_per_s": papers / searchable,
        "peak_rss_mb": rss,
    }


def _cold(library: Library) -> None:
    """Drop the posting lists the array engine keeps in memory (the side files on disk stay: they are the index)."""
    index = library.index()
    engine = index._engine_for(index._current_searcher())
    with engine._lock:
        engine._postings.clear()
        engine._cached = 0


def _show(library: Library, outcome: object) -> None:
    """What the reader does with a first screen: the 30 rows shown and the open abstract, highlighted."""
    hits = outcome.hits  # type: ignore[attr-defined]
    terms = outcome.terms  # type: ignore[attr-defined]
    shown = library.papers_for([hit.id for hit in hits[:30]])
    for paper in shown:
        highlight_text(paper.title, terms.get("title", frozenset()), top=1)
    if shown:
        highlight_text(shown[0].abstract, terms.get("abstract", frozenset()), whole=True)


def bench_search(library: Library, repeat: int, tag: str, digest: dt.date) -> dict[str, dict[str, dict[str, list[float]]]]:
    """First screen and exact ranking, cold, per view and query class."""
    views: dict[str, dict[str, object]] = {
        "all": {},
        "unread": {"view": "unread"},
        "bookmarked": {"view": "bookmarked"},
        "tag": {"tags": [tag]},
        "digest": {"digest": digest},
    }
    results: dict[str, dict[str, dict[str, list[float]]]] = {"first": {}, "exact": {}}
    for view, options in views.items():
        library.search("model", limit=1, **options)  # type: ignore[arg-type] # the view's ids, as the reader has them
        for label, query, _fts in QUERIES:

            def first(q: str = query, o: dict = options) -> None:  # type: ignore[type-arg]
                _show(library, library.search(q, limit=FIRST_ROWS, quick=True, **o))

            def exact(q: str = query, o: dict = options) -> None:  # type: ignore[type-arg]
                library.search(q, limit=EXACT_ROWS, **o)

            results["first"].setdefault(view, {})[label] = timed(first, repeat, lambda: _cold(library))
            # The exact ranking right after a first screen (what the reader asks next), cold before the pair.
            pairs = []
            for _ in range(repeat):
                _cold(library)
                first()
                pairs += timed(exact, 1)
            results["exact"].setdefault(view, {})[label] = pairs
    return results


def bench_view_change(library: Library, repeat: int) -> list[float]:
    """The first search in the unread view after a paper was marked read (the view's ids are read again)."""
    ids = library.store.ids("unread")[:repeat]
    times = []
    for paper in ids:
        library.store.set_state([paper], read=True)
        times += timed(lambda: library.search("model", view="unread", limit=FIRST_ROWS, quick=True), 1)
    library.store.set_state(ids, read=False)
    return times


def bench_cli_search(data_dir: Path, repeat: int) -> list[float]:
    command = [sys.executable, "-m", "paperreader", "search", "language models", "--limit", "10"]
    run_child(command, env=_env(data_dir))  # the first one after the import
    return timed(lambda: run_child(command, env=_env(data_dir)), repeat)


def bench_tui(data_dir: Path) -> dict[str, object]:
    spawned = time.time()
    result = run_child([sys.executable, "-m", "benchmarks.tui_probe", str(data_dir), str(spawned)], cwd=HERE.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the FTS5 reference ----------------------------------------------------------------

_FTS5_SEARCH = (
    "SELECT id, bm25(papers, 0.0, 3.0, 1.0), snippet(papers, 2, '[', ']', '…', 20) "
    "FROM papers WHERE papers MATCH ? ORDER BY bm25(papers, 0.0, 3.0, 1.0) LIMIT ?"
)


def fts5_build(files: list[Path], path: Path) -> dict[str, float]:
    """Parse the same digests and load them into an FTS5 table (porter stemming)."""
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract, tokenize = 'porter')")
    count = 0
    with db:
        for file in files:
            parsed = parse_digest(file.read_bytes(), dt.date(2026, 1, 1))
            db.executemany(
                "INSERT INTO papers (id, title, abstract) VALUES (?, ?, ?)",
                [(p.id, p.title, p.abstract) for p in parsed.papers],
            )
            count += len(parsed.papers)
    wall = time.perf_counter() - start
    db.close()
    return {"wall_s": wall, "papers_per_s": count / wall}


def fts5_search(path: Path, repeat: int) -> dict[str, list[float]]:
    """The first screen's query on FTS5 (60 rows, ranked, with a snippet), per query class."""
    db = sqlite3.connect(path)
    results = {}
    for label, _query, fts in QUERIES:
        if fts is None:
            continue
        results[label] = timed(lambda q=fts: db.execute(_FTS5_SEARCH, (q, FIRST_ROWS)).fetchall(), repeat)
    db.close()
    return results


def fts5_process(path: Path, repeat: int) -> list[float]:
    """The same search as ``paperreader search`` as a whole Python process, on FTS5."""
    script = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
        f"rows = db.execute({_FTS5_SEARCH!r}, ('language AND models', 10)).fetchall(); "
        "print('\\n'.join(r[0] + ' ' + r[2] for r in rows))"
    )
    return timed(lambda: run_child([sys.executable, "-c", script, str(path)]), repeat)


# -- the report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0095 else f"{seconds * 1000:,.1f} ms"


def _all(values: dict[str, dict[str, list[float]]]) -> list[float]:
    return [v for per_view in values.values() for per_query in per_view.values() for v in per_query]


def size_table(data: dict, papers: int) -> list[str]:  # type: ignore[type-arg]
    """One size's figures: ours, the target, FTS5 beside it."""
    imp, fts = data["import"], data["fts5_import"]
    first, exact, tui = data["search"]["first"], data["search"]["exact"], data["tui"]
    lines = [
        f"## {papers:,} papers",
        "",
        "| figure | ours | target | FTS5 reference |",
        "|---|---|---|---|",
        f"| import, `paperreader import FOLDER` ({data['files']} daily files): browsable | {imp['browsable_s']:,.1f} s | "
        f"{TARGETS['browsable']} | {fts['wall_s']:,.1f} s (load, searchable) |",
        f"| import: searchable | {imp['searchable_s']:,.1f} s ({imp['papers_per_s']:,.0f} papers/s, peak RSS "
        f"{imp['peak_rss_mb']:,.0f} MB) | {TARGETS['searchable']} | {fts['papers_per_s']:,.0f} papers/s |",
    ]
    every_first, every_exact = _all(first), _all(exact)
    lines.append(
        f"| first screen, every query class in every view (cold) | median {ms(statistics.median(every_first))}, "
        f"p95 {ms(percentile(every_first, 0.95))} | {TARGETS['first']} | "
        f"p95 {ms(percentile([v for vs in data['fts5_search'].values() for v in vs], 0.95))} (view all, no fuzzy) |"
    )
    lines.append(
        f"| exact final ranking after it (1,000 rows, exact count) | median {ms(statistics.median(every_exact))}, "
        f"p95 {ms(percentile(every_exact, 0.95))} | {TARGETS['exact']} | |"
    )
    for label, _q, _fts in QUERIES:
        per_view = ", ".join(f"{view} {ms(percentile(first[view][label], 0.95))}" for view in VIEWS)
        ref = data["fts5_search"].get(label)
        ref_text = f"p95 {ms(percentile(ref, 0.95))}" if ref else "no fuzzy in FTS5"
        exact_p95 = percentile([v for view in VIEWS for v in exact[view][label]], 0.95)
        lines.append(f"| first screen p95, {label}: {per_view}; exact p95 {ms(exact_p95)} | | | {ref_text} |")
    change = data["view_change"]
    lines.append(
        f"| first search in the unread view after a paper was marked read | median {ms(statistics.median(change))}, "
        f"p95 {ms(percentile(change, 0.95))} | (no target) | |"
    )
    cli, fts_cli = data["cli_search"], data["fts5_process"]
    lines += [
        f"| `paperreader search` as a whole process | median {ms(statistics.median(cli))}, p95 "
        f"{ms(percentile(cli, 0.95))} | {TARGETS['cli']} | median {ms(statistics.median(fts_cli))} (a Python process) |",
        f"| reader start to a populated list | {tui['start_to_list_s']:,.2f} s | {TARGETS['tui_start']} | |",
        f"| cursor move, key to frame drawn | median {tui['cursor_ms']['median']:,.1f} ms, p95 {tui['cursor_ms']['p95']:,.1f} ms | "
        f"{TARGETS['cursor']} | |",
        f"| reader: filter keystroke to list (debounce excluded, result cache cleared) | median "
        f"{tui['filter_ms']['median']:,.0f} ms, p95 {tui['filter_ms']['p95']:,.0f} ms | {TARGETS['filter']} | |",
        f"| reader peak memory after the benchmark's searches | {tui['peak_rss_mb']:,.0f} MB | {TARGETS['tui_rss']} | |",
        "",
    ]
    return lines


def report(data: dict) -> str:  # type: ignore[type-arg]
    sizes = sorted(data["sizes"], key=int)
    lines = [
        "# paperreader benchmark results",
        "",
        f"{', '.join(f'{int(s):,}' for s in sizes)} synthetic papers · {data['date']} · {data['cpu']} "
        f"({os.cpu_count()} cores) · Python {platform.python_version()} · load average at start {data['load']}",
        "",
        "Produced by `python -m benchmarks` (see benchmarks/run.py): one run, every size, SQLite FTS5 beside it. "
        "Cold = the posting lists kept in memory dropped before each timed search.",
        "",
        "## Growth",
        "",
        "| figure | " + " | ".join(f"{int(s):,}" for s in sizes) + " | target |",
        "|---|" + "---|" * len(sizes) + "---|",
    ]

    def row(name: str, target: str, value: Callable[[dict], str]) -> None:  # type: ignore[type-arg]
        lines.append(f"| {name} | " + " | ".join(value(data["sizes"][s]) for s in sizes) + f" | {target} |")

    row("first screen p95 (cold, all classes and views)", TARGETS["first"],
        lambda d: ms(percentile(_all(d["search"]["first"]), 0.95)))
    row("exact final ranking p95", TARGETS["exact"], lambda d: ms(percentile(_all(d["search"]["exact"]), 0.95)))
    row("FTS5, the same queries p95", "", lambda d: ms(percentile([v for vs in d["fts5_search"].values() for v in vs], 0.95)))
    row("`paperreader search` median", TARGETS["cli"], lambda d: ms(statistics.median(d["cli_search"])))
    row("FTS5 search process median", "", lambda d: ms(statistics.median(d["fts5_process"])))
    row("import: browsable", TARGETS["browsable"], lambda d: f"{d['import']['browsable_s']:,.1f} s")
    row("import: searchable", TARGETS["searchable"], lambda d: f"{d['import']['searchable_s']:,.1f} s")
    row("FTS5 load", "", lambda d: f"{d['fts5_import']['wall_s']:,.1f} s")
    row("reader start to list", TARGETS["tui_start"], lambda d: f"{d['tui']['start_to_list_s']:,.2f} s")
    row("cursor move (key to frame) median", TARGETS["cursor"], lambda d: f"{d['tui']['cursor_ms']['median']:,.1f} ms")
    row("reader filter keystroke p95", TARGETS["filter"], lambda d: f"{d['tui']['filter_ms']['p95']:,.0f} ms")
    row("reader peak memory", TARGETS["tui_rss"], lambda d: f"{d['tui']['peak_rss_mb']:,.0f} MB")
    lines.append("")
    for size in sizes:
        lines += size_table(data["sizes"][size], int(size))
    return "\n".join(lines)


def bench_size(root: Path, papers: int, repeat: int) -> dict:  # type: ignore[type-arg]
    files_dir, data_dir = root / "digests", root / "data"
    print(f"{papers:,} papers: generating…", file=sys.stderr)
    files = generate(files_dir, papers)
    data: dict = {"files": len(files)}  # type: ignore[type-arg]
    print(f"{papers:,} papers: importing…", file=sys.stderr)
    data["import"] = bench_import(files_dir, data_dir, papers, len(files))
    print(f"{papers:,} papers: FTS5 reference…", file=sys.stderr)
    data["fts5_import"] = fts5_build(files, root / "fts5.sqlite3")
    data["fts5_search"] = fts5_search(root / "fts5.sqlite3", repeat)
    data["fts5_process"] = fts5_process(root / "fts5.sqlite3", max(5, repeat // 2))
    with Library(data_dir) as library:
        ids = library.store.ids()
        library.store.set_state(ids[: len(ids) // 2], read=True)  # half read
        library.store.set_state(ids[:: max(1, len(ids) // 500)], bookmarked=True)  # ~500 bookmarks
        library.store.set_tags(ids[:: max(1, len(ids) // 1000)], add=["rl"])  # ~1,000 tagged
        library.update_index()
        digest = library.store.digests()[0][0]
        print(f"{papers:,} papers: searching…", file=sys.stderr)
        data["search"] = bench_search(library, repeat, "rl", digest)
        data["view_change"] = bench_view_change(library, max(5, repeat // 2))
    print(f"{papers:,} papers: the reader and the CLI…", file=sys.stderr)
    data["tui"] = bench_tui(data_dir)
    data["cli_search"] = bench_cli_search(data_dir, max(5, repeat // 2))
    return data


def kept_sections(output: Path) -> str:
    """The sections other benchmarks wrote into ``output`` between their markers, kept as they were.

    ``python -m benchmarks.interest`` writes its own section (``<!-- interest:start -->``
    ... ``<!-- interest:end -->``); rewriting the report here must not lose it.
    """
    if not output.exists():
        return ""
    text = output.read_text("utf-8")
    sections = [match.group(0) for match in re.finditer(r"(?s)<!-- (\w+):start -->.*?<!-- \1:end -->", text)]
    return "".join("\n" + section + "\n" for section in sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="10000,30000,100000", help="library sizes, comma-separated (default 10000,30000,100000)"
    )
    parser.add_argument("--papers", type=int, help="one size only (same as --sizes N)")
    parser.add_argument("--repeat", type=int, default=10, help="runs per timed figure (default 10)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="the Markdown report")
    parser.add_argument("--keep", type=Path, help="build the libraries here and keep them (default: a temp dir)")
    args = parser.parse_args(argv)
    sizes = [args.papers] if args.papers else [int(size) for size in args.sizes.split(",") if size.strip()]

    data: dict = {  # type: ignore[type-arg]
        "date": dt.date.today().isoformat(),
        "cpu": cpu_name(),
        "load": " ".join(f"{value:.1f}" for value in os.getloadavg()),
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="paperreader-bench-") as tmp:
        for papers in sizes:
            root = (args.keep or Path(tmp)) / f"{papers}"
            data["sizes"][str(papers)] = bench_size(root, papers, args.repeat)
    data["load_end"] = " ".join(f"{value:.1f}" for value in os.getloadavg())
    text = report(data)
    notes = HERE / "NOTES.md"
    if notes.exists():
        text += "\n" + notes.read_text("utf-8")
    text += kept_sections(args.output)
    print(text)
    args.output.write_text(text, encoding="utf-8")
    args.output.with_suffix(".json").write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
