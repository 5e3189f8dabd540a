"""A small run of the benchmark suite, so that it cannot rot (no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--papers", "2000", "--repeat", "2", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = output.read_text()
    for figure in (
        "import, end to end",
        "re-import of a known digest",
        "search, one word, view all",
        "search, prefix, view unread",
        "search, fuzzy, view bookmarked",
        "filter keystroke to list updated",
        "TUI start to populated list",
        "cursor move",
        "TUI peak RSS",
        "`paperreader search` as a whole process",
    ):
        assert f"| {figure}" in report, figure
    assert "2,000 synthetic papers" in report and "FTS5" in report


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
