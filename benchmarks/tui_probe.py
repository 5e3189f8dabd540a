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

        # Cursor: from the key sent to the end of the first frame drawn after it. (Timing
        # pilot.press() itself measured Textual's test harness: it waits for the process to
        # be idle in steps of 20 ms, so any key costing over 1 ms of CPU read ~20 ms.)
        import textual._compositor as compositor

        import paperreader.tui.app as app_module

        frames: dict[str, float] = {}
        render = compositor.Compositor._render_chops

        def frame_timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = render(self, *args, **kwargs)
            frames.setdefault("drawn", time.perf_counter())
            return result

        compositor.Compositor._render_chops = frame_timed  # type: ignore[method-assign]

        async def key_to_frame(key: str, n: int) -> list[float]:
            times = []
            for _ in range(n):
                await pilot.pause()
                frames.clear()
                t = time.perf_counter()
                await pilot.press(key)
                while "drawn" not in frames:
                    await asyncio.sleep(0.0005)
                times.append(frames["drawn"] - t)
            return sorted(times)

        # The cursor move itself (the list repaints the lines that changed; past the bottom, it scrolls)...
        app_module.VIEWER_DELAY, delay = 10.0, app_module.VIEWER_DELAY
        moves = await key_to_frame("j", 60)
        app_module.VIEWER_DELAY = delay
        compositor.Compositor._render_chops = render  # type: ignore[method-assign]
        out["cursor_ms"] = {"median": 1000 * statistics.median(moves), "p95": 1000 * moves[int(0.95 * (len(moves) - 1))]}

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
