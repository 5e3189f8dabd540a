"""Run the reader headless on a library and time it; prints one JSON object.

    python -m benchmarks.tui_probe DATA_DIR SPAWN_TIME

SPAWN_TIME is ``time.time()`` taken by the parent just before it started this
process, so "start to populated list" includes the interpreter's start-up and
every import, as a user would feel it.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

QUERIES = ["model", "language models", '"reward model"', "trans*", "langauge~", "title:experts"]


async def probe(data_dir: Path, spawned: float) -> dict[str, object]:
    from paperreader.tui.app import PaperReaderApp
    from paperreader.tui.paper_list import PaperList

    app = PaperReaderApp(data_dir, debounce=0.0, poll_interval=3600)
    out: dict[str, object] = {}
    async with app.run_test(size=(120, 35)) as pilot:
        papers = app.query_one(PaperList)
        while not papers.ids:
            await asyncio.sleep(0.002)
        await pilot.pause()
        out["start_to_list_s"] = time.time() - spawned
        await app.workers.wait_for_complete()
        await pilot.pause()

        # Cursor: a key press minus a press of an unbound key (the pilot's own cost).
        async def press_times(key: str, n: int = 40) -> list[float]:
            times = []
            for _ in range(n):
                t = time.perf_counter()
                await pilot.press(key)
                times.append(time.perf_counter() - t)
            return times

        import paperreader.tui.app as app_module

        idle = statistics.median(await press_times("f12"))
        # The cursor move itself (the list repaints its two lines)...
        app_module.VIEWER_DELAY, delay = 10.0, app_module.VIEWER_DELAY
        moves = sorted(max(0.0, t - idle) for t in await press_times("j"))
        app_module.VIEWER_DELAY = delay
        out["cursor_ms"] = {"median": 1000 * statistics.median(moves), "p95": 1000 * moves[int(0.95 * (len(moves) - 1))]}
        # ...and the abstract viewer following it once the cursor rests.
        follow = sorted(max(0.0, t - idle - delay) for t in await press_times("j", 20))
        out["viewer_follow_ms"] = {"median": 1000 * statistics.median(follow), "p95": 1000 * follow[int(0.95 * (len(follow) - 1))]}

        # Filter: from the query's value changing (debounce 0) to the first frame
        # drawn after the list received the results.
        import textual._compositor as compositor

        marks: dict[str, float] = {}
        set_rows, render = PaperList.set_rows, compositor.Compositor._render_chops

        def timed_set_rows(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            set_rows(self, *args, **kwargs)
            marks["rows"] = time.perf_counter()

        def timed_render(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = render(self, *args, **kwargs)
            if "rows" in marks and "frame" not in marks:
                marks["frame"] = time.perf_counter()
            return result

        PaperList.set_rows = timed_set_rows  # type: ignore[method-assign]
        compositor.Compositor._render_chops = timed_render  # type: ignore[method-assign]
        latencies: dict[str, list[float]] = {}
        for _round in range(5):
            for query in QUERIES:
                app.query = ""
                while any(not worker.is_finished for worker in app.workers):
                    await asyncio.sleep(0.001)
                await pilot.pause(0.1)
                app._forget_results()  # measure the search, not the cache
                marks.clear()
                t = time.perf_counter()
                app.query = query
                deadline = time.perf_counter() + 60
                while "frame" not in marks:
                    if time.perf_counter() > deadline:  # a query that fails never draws: say so
                        raise SystemExit(f"no results drawn for {query!r} within 60 s")
                    await asyncio.sleep(0.0005)
                latencies.setdefault(query, []).append(marks["frame"] - t)
        PaperList.set_rows = set_rows  # type: ignore[method-assign]
        compositor.Compositor._render_chops = render  # type: ignore[method-assign]
        every = sorted(v for values in latencies.values() for v in values)
        out["filter_ms"] = {
            "median": 1000 * statistics.median(every),
            "p95": 1000 * every[int(0.95 * (len(every) - 1))],
            "per_query_median": {q: 1000 * statistics.median(v) for q, v in latencies.items()},
        }
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(probe(Path(sys.argv[1]), float(sys.argv[2])))))
