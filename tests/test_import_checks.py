"""Imports that must not pass silently: text that is not a digest, two pages for one day."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from paperreader.cli import main

from .digests import MONDAY, SHARED_DIGESTS, TUESDAY, WITH_META, P, abstract, page, write

README = Path(__file__).resolve().parents[1] / "README.md"


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def titles(capsys: pytest.CaptureFixture[str], data_dir: Path) -> list[str]:
    status, out, _ = run(capsys, data_dir, "list", "--json")
    assert status == 0
    return sorted(paper["title"] for paper in json.loads(out))


def test_readme_and_other_text_are_refused_beside_real_digests(capsys, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "mon.txt", page("Mar 10", MONDAY))
    shutil.copy(README, folder / "readme.txt")
    write(folder / "notes.txt", "Things to read\n\nthe MoE paper\nthe diffusion one\nask Sam about\nthe benchmark\n")
    write(folder / "chrome-notes.txt", page("Mar 12", []) + "\n".join(f"note line {n}" for n in range(9)) + "\n")
    status, out, err = run(capsys, data_dir, "import", str(folder), "--date", "2025-11-20")
    assert status == 1
    errors = err.splitlines()
    readme = [line for line in errors if "readme.txt" in line]
    assert readme == [f'{folder / "readme.txt"}: not a digest (no page date such as "Mar 11" and no page chrome)']
    assert any(line.startswith(f"{folder / 'notes.txt'}: not a digest (") for line in errors)
    assert any(line.startswith(f"{folder / 'chrome-notes.txt'}: not a digest (most of its blocks") for line in errors)
    assert len(errors) == 3  # one line per refused file, no warnings about their "papers"
    assert "Imported 1 of 4 files: 3 new papers" in out
    assert titles(capsys, data_dir) == sorted(p.title for p in MONDAY)


def test_real_and_tricky_digests_still_import(capsys, data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "meta.txt", page("Nov 12", WITH_META, daily_papers=True))
    write(folder / "no-date.txt", page(None, TUESDAY))  # chrome, the date line lost
    write(folder / "crlf.txt", page("Mar 10", MONDAY).replace("\n", "\r\n"))
    write(folder / "joined.txt", page("Mar 9", []) + "\nJoined Title\nIts abstract directly below.\n")
    if SHARED_DIGESTS.is_dir():
        for path in sorted(SHARED_DIGESTS.glob("*.txt")):
            shutil.copy(path, folder / path.name)
    status, out, err = run(capsys, data_dir, "import", str(folder), "--date", "2025-11-20")
    assert status == 0, err
    assert "failed" not in out and "not a digest" not in err


def test_second_different_page_for_a_day_is_told(capsys, data_dir: Path, tmp_path: Path) -> None:
    first = write(tmp_path / "a.txt", page("Mar 11", MONDAY))
    other = [P(f"Another Day's Paper {n}", abstract(f"topic {n}")) for n in range(4)]
    second = write(tmp_path / "b.txt", page("Mar 11", other))
    status, out, _ = run(capsys, data_dir, "import", str(first), "--date", "2025-11-20")
    assert status == 0 and "different page" not in out
    status, out, _ = run(capsys, data_dir, "import", str(second), "--date", "2025-11-20")
    assert status == 0
    (line,) = [line for line in out.splitlines() if line.startswith(str(second))]
    assert "2025-03-11 (3 papers) already had a different page" in line
    assert "--date YYYY-MM-DD" in line


def test_same_page_saved_again_is_not_a_different_page(capsys, data_dir: Path, tmp_path: Path) -> None:
    first = write(tmp_path / "a.txt", page("Mar 11", MONDAY))
    # Saved again later that day: other line endings, one more paper.
    again = write(tmp_path / "b.txt", page("Mar 11", [*MONDAY, TUESDAY[1]]).replace("\n", "\r\n"))
    other_day = write(tmp_path / "c.txt", page("Mar 12", TUESDAY))
    status, out, _ = run(capsys, data_dir, "import", str(first), str(again), str(other_day), "--date", "2025-11-20")
    assert status == 0
    assert f"{again}: 1 new, 3 already known (digest 2025-03-11)\n" in out
    assert "different page" not in out
