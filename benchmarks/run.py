"""paperreader's benchmark: ``python -m benchmarks [--papers N] [--output FILE]``.

1. Generates a synthetic library of N papers (default 100,000) as digest files.
2. Measures, each as median and p95 where repeated: import into an empty data
   dir (a real ``paperreader import`` process: papers/s, wall, peak RSS);
   re-import of a known digest; search latency through ``Library.search`` (the
   TUI's path) with highlighting of the shown results, also restricted to the
   unread and bookmarked views; the reader headless (start to populated list,
   cursor move, filter keystroke to list updated, peak RSS); ``paperreader
   search`` as a whole process.
3. Builds a plain SQLite FTS5 table from the same papers in the same run and
   runs the same import and queries on it, as a reference point.
4. Writes a Markdown table to stdout and to ``benchmarks/RESULTS.md``.

Timings are not asserted anywhere (machines are noisy); the test suite runs a
small smoke run so this script cannot rot.
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

#: The query set: (label, Whoosh query, FTS5 query or None, kind).
QUERIES = [
    ("one word", "model", "model", "word"),
    ("two words", "language models", "language AND models", "word"),
    ("phrase", '"reward model"', '"reward model"', "word"),
    ("field", "title:experts", "title: experts", "word"),
    ("prefix", "trans*", "trans*", "prefix"),
    ("fuzzy", "langauge~", None, "fuzzy"),
]

TARGETS = {
    "import": "≥ 1,500 papers/s",
    "reimport": "≤ 0.2 s",
    "search_word": "p95 ≤ 30 ms",
    "search_prefix_fuzzy": "p95 ≤ 150 ms",
    "filter": "p95 ≤ 50 ms",
    "tui_start": "≤ 1.5 s",
    "cursor": "≤ 16 ms",
    "tui_rss": "≤ 400 MB",
    "cli_search": "≤ 0.6 s",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
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
    return {**os.environ, "PAPERREADER_DATA_DIR": str(data_dir)}


def bench_import(files_dir: Path, data_dir: Path, papers: int) -> dict[str, float]:
    """A real ``paperreader import`` process into an empty data dir."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    run_child([sys.executable, "-m", "paperreader", "import", "-q", str(files_dir)], env=_env(data_dir))
    wall = time.perf_counter() - start
    rss = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"wall_s": wall, "papers_per_s": papers / wall, "peak_rss_mb": rss}


def bench_reimport(library: Library, known: Path, repeat: int) -> list[float]:
    return timed(lambda: library.import_paths([known]), repeat)


def bench_search(library: Library, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Search + highlighting of what the reader shows (30 rows, the open abstract)."""

    def run(query: str, view: str) -> None:
        outcome = library.search(query, view=view)  # type: ignore[arg-type]
        shown = library.papers_for([hit.id for hit in outcome.hits[:30]])
        for paper in shown:
            highlight_text(paper.title, outcome.terms.get("title", frozenset()), top=1)
        if shown:
            highlight_text(shown[0].abstract, outcome.terms.get("abstract", frozenset()), whole=True)

    results: dict[str, dict[str, list[float]]] = {}
    for view in ("all", "unread", "bookmarked"):
        for label, query, _fts, _kind in QUERIES:
            run(query, view)  # warm: the first search opens the searcher
            results.setdefault(view, {})[label] = timed(lambda q=query, v=view: run(q, v), repeat)
    return results


def bench_cli_search(data_dir: Path, repeat: int) -> list[float]:
    command = [sys.executable, "-m", "paperreader", "search", "language models", "--limit", "10"]
    return timed(
        lambda: run_child(command, env=_env(data_dir)),
        repeat,
    )


def run_child(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a child process; if it fails, stop with its own error output, not just its exit code."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[1:])} failed (exit {result.returncode}):\n{result.stderr.strip()[-4000:]}"
        )
    return result


def bench_tui(data_dir: Path) -> dict[str, object]:
    spawned = time.time()
    result = run_child([sys.executable, "-m", "benchmarks.tui_probe", str(data_dir), str(spawned)], cwd=HERE.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- the FTS5 reference ----------------------------------------------------------------


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
    db = sqlite3.connect(path)

    def run(query: str) -> None:
        db.execute(
            "SELECT id, bm25(papers, 0.0, 3.0, 1.0), snippet(papers, 2, '[', ']', '…', 20) "
            "FROM papers WHERE papers MATCH ? ORDER BY bm25(papers, 0.0, 3.0, 1.0) LIMIT 1000",
            (query,),
        ).fetchall()

    results = {}
    for label, _query, fts, _kind in QUERIES:
        if fts is None:
            continue
        run(fts)
        results[label] = timed(lambda q=fts: run(q), repeat)
    db.close()
    return results


# -- the report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0095 else f"{seconds * 1000:,.1f} ms"


def report(data: dict, papers: int) -> str:  # type: ignore[type-arg]
    lines = [
        "# paperreader benchmark results",
        "",
        f"{papers:,} synthetic papers · {data['date']} · {data['cpu']} ({os.cpu_count()} cores) · "
        f"Python {platform.python_version()}",
        "",
        "Produced by `python -m benchmarks` (see benchmarks/run.py). p95 over the repeated runs.",
        "",
        "| figure | ours | target | FTS5 reference | ratio (ours / FTS5) |",
        "|---|---|---|---|---|",
    ]
    imp, fts = data["import"], data["fts5_import"]
    lines.append(
        f"| import, end to end | {imp['papers_per_s']:,.0f} papers/s ({imp['wall_s']:,.1f} s, "
        f"peak RSS {imp['peak_rss_mb']:,.0f} MB) | {TARGETS['import']} | {fts['papers_per_s']:,.0f} papers/s | "
        f"{fts['papers_per_s'] / imp['papers_per_s']:,.1f}× slower |"
    )
    re_ = data["reimport"]
    lines.append(f"| re-import of a known digest | median {ms(statistics.median(re_))}, p95 {ms(percentile(re_, 0.95))} | {TARGETS['reimport']} | | |")
    for view in ("all", "unread", "bookmarked"):
        for label, _q, _fts, kind in QUERIES:
            values = data["search"][view][label]
            p95 = percentile(values, 0.95)
            target = TARGETS["search_word"] if kind == "word" else TARGETS["search_prefix_fuzzy"]
            ref = data["fts5_search"].get(label) if view == "all" else None
            ref_text = f"p95 {ms(percentile(ref, 0.95))}" if ref else ("no fuzzy in FTS5" if view == "all" else "")
            ratio = f"{p95 / percentile(ref, 0.95):,.1f}×" if ref else ""
            lines.append(
                f"| search, {label}, view {view} | median {ms(statistics.median(values))}, p95 {ms(p95)} | "
                f"{target} | {ref_text} | {ratio} |"
            )
    tui = data["tui"]
    lines += [
        f"| filter keystroke to list updated (debounce excluded) | median {tui['filter_ms']['median']:,.0f} ms, "
        f"p95 {tui['filter_ms']['p95']:,.0f} ms | {TARGETS['filter']} | | |",
        f"| TUI start to populated list | {tui['start_to_list_s']:,.2f} s | {TARGETS['tui_start']} | | |",
        f"| cursor move | median {tui['cursor_ms']['median']:,.1f} ms, p95 {tui['cursor_ms']['p95']:,.1f} ms | "
        f"{TARGETS['cursor']} | | |",
        f"| abstract viewer following the cursor (after it rests {int(1000 * 0.05)} ms) | median "
        f"{tui['viewer_follow_ms']['median']:,.0f} ms, p95 {tui['viewer_follow_ms']['p95']:,.0f} ms | (no target) | | |",
        f"| TUI peak RSS | {tui['peak_rss_mb']:,.0f} MB | {TARGETS['tui_rss']} | | |",
    ]
    cli = data["cli_search"]
    lines.append(
        f"| `paperreader search` as a whole process | median {ms(statistics.median(cli))}, p95 {ms(percentile(cli, 0.95))} | "
        f"{TARGETS['cli_search']} | | |"
    )
    lines += ["", "Filter latency per query (median, ms): " + ", ".join(
        f"`{q}` {v:,.0f}" for q, v in tui["filter_ms"]["per_query_median"].items()
    ), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="library size (default 100,000)")
    parser.add_argument("--repeat", type=int, default=20, help="runs per timed figure (default 20)")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="the Markdown report")
    parser.add_argument("--keep", type=Path, help="build the library here and keep it (default: a temp dir)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="paperreader-bench-") as tmp:
        root = args.keep or Path(tmp)
        files_dir, data_dir = root / "digests", root / "data"
        print(f"generating {args.papers:,} papers…", file=sys.stderr)
        files = generate(files_dir, args.papers)
        data: dict = {"date": dt.date.today().isoformat(), "cpu": cpu_name()}  # type: ignore[type-arg]
        print("importing…", file=sys.stderr)
        data["import"] = bench_import(files_dir, data_dir, args.papers)
        print("FTS5 reference…", file=sys.stderr)
        data["fts5_import"] = fts5_build(files, root / "fts5.sqlite3")
        data["fts5_search"] = fts5_search(root / "fts5.sqlite3", args.repeat)
        with Library(data_dir) as library:
            ids = library.store.ids()
            library.store.set_state(ids[: len(ids) // 2], read=True)  # half read
            library.store.set_state(ids[:: max(1, len(ids) // 500)], bookmarked=True)  # ~500 bookmarks
            data["reimport"] = bench_reimport(library, files[len(files) // 2], args.repeat)
            print("searching…", file=sys.stderr)
            data["search"] = bench_search(library, args.repeat)
        print("the reader…", file=sys.stderr)
        data["tui"] = bench_tui(data_dir)
        data["cli_search"] = bench_cli_search(data_dir, max(5, args.repeat // 4))
        text = report(data, args.papers)
        notes = HERE / "NOTES.md"
        if notes.exists():
            text += "\n" + notes.read_text("utf-8")
        print(text)
        args.output.write_text(text, encoding="utf-8")
        (args.output.with_suffix(".json")).write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
