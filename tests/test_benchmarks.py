"""A small run of the benchmark suite, so that it cannot rot (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "600", "--repeat", "2", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = output.read_text()
    for figure in (
        "import, `paperreader import FOLDER` (6 daily files): browsable",
        "import: searchable",
        "first screen, every query class in every view (cold)",
        "exact final ranking after it",
        "first screen p95, phrase: all",
        "first screen p95, fuzzy: all",
        "first search in the unread view after a paper was marked read",
        "`paperreader search` as a whole process",
        "reader start to a populated list",
        "cursor move",
        "reader: filter keystroke to list",
        "reader peak memory after the benchmark's searches",
    ):
        assert f"| {figure}" in report, figure
    assert "## 600 papers" in report and "## Growth" in report and "FTS5" in report
    for view in ("unread", "bookmarked", "tag", "digest"):
        assert f", {view} " in report, view


def test_a_failing_child_shows_its_own_error_output() -> None:
    """A benchmark child that fails must say why, not only that it exited non-zero."""
    from benchmarks.run import run_child

    script = "import sys; print('NoMatches: the viewer is gone', file=sys.stderr); sys.exit(3)"
    try:
        run_child([sys.executable, "-c", script])
    except SystemExit as stop:
        assert "exit 3" in str(stop.code) and "NoMatches: the viewer is gone" in str(stop.code)
    else:
        raise AssertionError("a failing child must stop the benchmark")
