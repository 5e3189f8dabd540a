"""The "for you" benchmark: a small run so it cannot rot (no timing or quality is asserted), and its report section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.interest import END, START, write_section
from benchmarks.run import kept_sections

ROOT = Path(__file__).resolve().parents[1]


def test_interest_benchmark_smoke_run(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    output.write_text("# results\n\nother benchmarks' tables\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.interest", "--papers", "400", "--unread", "100", "--synthetic", "400",
         "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = output.read_text()
    assert report.startswith("# results\n\nother benchmarks' tables\n")
    assert report.count(START) == 1 and report.count(END) == 1
    for figure in ("### Synthetic corpus with topics", "| papers kept | days ranked | for you", "upvote order",
                   "### Speed: ranking 100 unread papers at 400", "| warm, median |", "twice the precision@10"):
        assert figure in report, figure


def test_its_section_is_replaced_in_place_and_kept_by_the_main_benchmark(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    output.write_text("# results\n", encoding="utf-8")
    write_section(output, ["first run"])
    write_section(output, ["second run"])
    text = output.read_text()
    assert text == f"# results\n\n{START}\nsecond run\n{END}\n"
    # python -m benchmarks rewrites the report whole: the section is carried over.
    assert kept_sections(output) == f"\n{START}\nsecond run\n{END}\n"
