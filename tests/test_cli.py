"""The ``paperreader`` command end to end, in temporary data dirs."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperreader.cli import main

from .digests import HOSTILE, MONDAY, TUESDAY, WITH_META, page, write


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def listing(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> list[dict]:
    status, out, _ = run(capsys, data_dir, "list", "--json", *args)
    assert status == 0
    return json.loads(out)


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    write(folder / "mon.txt", page("Mar 10", MONDAY))
    write(folder / "tue.txt", page("Mar 11", TUESDAY))
    write(folder / "nested" / "meta.txt", page("Nov 12", WITH_META, daily_papers=True))
    write(folder / "notes.md", "not a digest: ignored by folder imports")
    return folder


def test_import_folder_then_again(capsys, data_dir: Path, digests: Path) -> None:
    status, out, err = run(capsys, data_dir, "import", str(digests), "--date", "2025-11-20")
    assert status == 0, err
    assert "mon.txt: 3 new, 0 already known (digest 2025-03-10)" in out
    assert "tue.txt: 2 new, 1 already known (digest 2025-03-11)" in out
    assert "Imported 3 of 3 files: 8 new papers" in out
    papers = listing(capsys, data_dir)
    assert len(papers) == 8 and len({p["id"] for p in papers}) == 8
    status, out, _ = run(capsys, data_dir, "import", str(digests))
    assert status == 0 and "already imported" in out and "0 new papers" in out
    assert listing(capsys, data_dir) == papers


def test_list_json_shape_and_order(capsys, data_dir: Path, digests: Path) -> None:
    run(capsys, data_dir, "import", str(digests), "--date", "2025-11-20")
    papers = listing(capsys, data_dir)
    keys = {"id", "title", "abstract", "authors", "organization", "published", "upvotes", "digests", "read", "bookmarked"}
    assert all(keys <= set(p) for p in papers)
    newest = [p["digests"][-1] for p in papers]
    assert newest == sorted(newest, reverse=True)  # newest digest first
    reward = next(p for p in papers if p["title"].startswith("Reward Models"))
    assert (reward["authors"], reward["published"], reward["upvotes"], reward["digests"]) == (6, "2024-10-31", 2, ["2025-11-12"])
    protein = next(p for p in papers if p["title"].startswith("Protein"))
    assert protein["organization"] == "TinyLab" and protein["authors"] is None
    # Tuesday repeats a Monday paper (in other case): it keeps the title first seen.
    tuesday = {p["title"] for p in listing(capsys, data_dir, "--digest", "2025-03-11")}
    assert tuesday == {p.title for p in TUESDAY[1:]} | {MONDAY[1].title}


def test_bad_input_is_reported_and_changes_nothing(capsys, data_dir: Path, digests: Path, tmp_path: Path) -> None:
    run(capsys, data_dir, "import", str(digests))
    run(capsys, data_dir, "mark", "bookmark", listing(capsys, data_dir)[0]["id"])
    before = listing(capsys, data_dir)
    garbage = write(tmp_path / "bad" / "garbage.bin", bytes(range(256)) * 8)
    empty = write(tmp_path / "bad" / "empty.txt", "")
    chrome = write(tmp_path / "bad" / "chrome.txt", page("Mar 12", []))
    good = write(tmp_path / "bad" / "good.txt", page("Mar 12", HOSTILE[:2]))
    status, out, err = run(
        capsys, data_dir, "import", str(garbage), str(empty), str(chrome), str(tmp_path / "missing.txt"), str(good)
    )
    assert status == 1
    assert f"{garbage}: not a text digest (binary data)" in err
    assert f"{empty}: no papers found (empty file)" in err
    assert f"{chrome}: no papers found" in err
    assert f"{tmp_path / 'missing.txt'}: no such file or folder" in err
    assert "Traceback" not in out + err
    assert "good.txt: 2 new" in out  # the others were still imported
    after = listing(capsys, data_dir)
    assert [p for p in after if p["id"] in {b["id"] for b in before}] == before


def test_search(capsys, data_dir: Path, digests: Path) -> None:
    run(capsys, data_dir, "import", str(digests))
    status, out, _ = run(capsys, data_dir, "search", "diffusion", "--json")
    hits = json.loads(out)
    assert status == 0 and hits[0]["title"].lower() == "diffusion policies for robot grasping"
    assert all("score" in h for h in hits)
    status, out, _ = run(capsys, data_dir, "search", '"mixture-of-experts"', "--limit", "1")
    assert status == 0 and "Sparse Mixtures of Experts" in out
    status, out, err = run(capsys, data_dir, "search", "difusion")
    assert status == 0 and out == "" and "No papers match" in err and "Did you mean" in err
    status, _, err = run(capsys, data_dir, "search", "robot", "--bookmarked", "--json")
    assert status == 0


def test_mark_and_views(capsys, data_dir: Path, digests: Path, monkeypatch) -> None:
    run(capsys, data_dir, "import", str(digests))
    ids = [p["id"] for p in listing(capsys, data_dir)]
    status, out, err = run(capsys, data_dir, "mark", "bookmark", ids[0], "deadbeef00", "notanid", "zz")
    assert status == 1 and "unknown ids: deadbeef00, notanid" in err and "nothing was changed" in err
    assert "too short to be an id (give 4 or more of its 10 characters): zz" in err
    assert listing(capsys, data_dir, "--bookmarked") == []
    assert run(capsys, data_dir, "mark", "bookmark", ids[0][:6])[0] == 0
    assert [p["id"] for p in listing(capsys, data_dir, "--bookmarked")] == [ids[0]]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(ids[:2]) + "\n"))
    status, out, _ = run(capsys, data_dir, "mark", "read", "-")
    assert status == 0 and "Marked 2 papers read" in out
    # `search --json | mark -` works too: the ids are taken from the JSON.
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(listing(capsys, data_dir)[:3])))
    status, out, _ = run(capsys, data_dir, "mark", "read", "-")
    assert status == 0 and "Marked 1 paper read (2 already were)." in out
    assert len(listing(capsys, data_dir, "--unread")) == len(ids) - 3
    run(capsys, data_dir, "mark", "unread", ids[0])
    assert len(listing(capsys, data_dir, "--read")) == 2
    status, out, _ = run(capsys, data_dir, "stats", "--json")
    stats = json.loads(out)
    assert (stats["papers"], stats["unread"], stats["bookmarked"], stats["digests"]) == (len(ids), len(ids) - 2, 1, 3)


def test_export_formats(capsys, data_dir: Path, tmp_path: Path) -> None:
    write(tmp_path / "h.txt", page("Mar 10", HOSTILE))
    run(capsys, data_dir, "import", str(tmp_path / "h.txt"))
    status, out, _ = run(capsys, data_dir, "export")
    assert status == 0 and out.startswith("# Bookmarked papers (0)")
    run(capsys, data_dir, "mark", "bookmark", *[p["id"] for p in listing(capsys, data_dir)])
    for fmt in ("md", "csv", "json", "bibtex"):
        target = tmp_path / f"out.{fmt}"
        status, out, err = run(capsys, data_dir, "export", "--format", fmt, "-o", str(target))
        assert status == 0 and out == "" and f"Exported {len(HOSTILE)} papers" in err
        text = target.read_text("utf-8")
        if fmt == "csv":
            assert len(list(csv.DictReader(io.StringIO(text, newline="")))) == len(HOSTILE)
        elif fmt == "json":
            assert len(json.loads(text)) == len(HOSTILE)
        elif fmt == "bibtex":
            assert text.count("@misc{") == len(HOSTILE)
    status, _, err = run(capsys, data_dir, "export", "-o", str(tmp_path / "no" / "such" / "dir.md"))
    assert status == 1 and f"{tmp_path / 'no' / 'such'}: No such folder" in err


def test_reindex_and_help(capsys, data_dir: Path, digests: Path) -> None:
    run(capsys, data_dir, "import", str(digests))
    status, out, _ = run(capsys, data_dir, "reindex")
    assert status == 0 and "8 papers" in out
    for command in ("import", "search", "list", "mark", "export", "reindex", "stats"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert "example" in capsys.readouterr().out


def test_env_var_selects_the_data_dir(capsys, tmp_path: Path, digests: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERREADER_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["import", str(digests / "mon.txt")]) == 0
    assert (tmp_path / "from-env" / "library.sqlite3").exists()
    assert (tmp_path / "from-env").stat().st_mode & 0o077 == 0  # owner only


def _python(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120, **kw
    )


def test_search_process_does_not_import_textual(tmp_path: Path, digests: Path) -> None:
    env = {"PAPERREADER_DATA_DIR": str(tmp_path / "data")}
    assert _python("-m", "paperreader", "import", str(digests), env=env).returncode == 0
    code = (
        "import sys; from paperreader.cli import main; "
        "status = main(['search', 'robot']); "
        "print('TEXTUAL' if 'textual' in sys.modules else 'NO-TEXTUAL', status)"
    )
    result = _python("-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("NO-TEXTUAL 0")
    assert "robot" in result.stdout.lower()
