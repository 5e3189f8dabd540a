"""Backups keep each digest appearance's upvotes, so a restored library keeps every paper's rise.

Through the CLI (``paperreader backup``, ``paperreader import BACKUP``), as a user moves a
library to a new machine; the store is read directly only to compare the upvote histories.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from paperreader import signals
from paperreader.backup import parse_backup
from paperreader.cli import main
from paperreader.journal import DIGEST
from paperreader.store import Store
from paperreader.text import paper_id

from .digests import P, abstract, page, write

RISING = "Sparse Experts Route Tokens Cheaply"
STEADY = "Graph Networks Learn Molecular Forces"
QUIET = "Quantized Speech Recognition on Phones"  # pages without figures


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def history(data_dir: Path, title: str) -> list[tuple[str, int | None]]:
    with Store.open(data_dir / "library.sqlite3") as store:
        return [(day.isoformat(), up) for day, up in store.upvote_history([paper_id(title)]).get(paper_id(title), [])]


def momentum_line(data_dir: Path, title: str) -> str | None:
    with Store.open(data_dir / "library.sqlite3") as store:
        return signals.describe_signals(store, paper_id(title))


@pytest.fixture
def digests(tmp_path: Path) -> Path:
    """Two days of pages: RISING gains 37 upvotes between them, STEADY none, QUIET shows none."""
    folder = tmp_path / "digests"
    write(
        folder / "nov12.txt",
        page("Nov 12", [
            P(RISING, abstract("sparse mixture-of-experts transformers"), ("6 authors", "Nov 10 91")),
            P(STEADY, abstract("graph neural networks for chemistry"), ("3 authors", "Nov 11 20")),
            P(QUIET, abstract("speech recognition with quantization")),
        ]),
    )
    write(
        folder / "nov15.txt",
        page("Nov 15", [
            P(RISING, abstract("sparse mixture-of-experts transformers"), ("6 authors", "Nov 10 128")),
            P(STEADY, abstract("graph neural networks for chemistry"), ("3 authors", "Nov 11 20")),
            P(QUIET, abstract("speech recognition with quantization")),
        ]),
    )
    return folder


@pytest.fixture
def backup(capsys: pytest.CaptureFixture[str], tmp_path: Path, digests: Path) -> Path:
    """A backup of a library that saw the two days."""
    source = tmp_path / "old-machine"
    assert run(capsys, source, "import", str(digests), "--date", "2025-11-20")[0] == 0
    assert history(source, RISING) == [("2025-11-12", 91), ("2025-11-15", 128)]
    target = tmp_path / "backup.json"
    assert run(capsys, source, "backup", "-o", str(target))[0] == 0
    return target


def rewrite(path: Path, change: dict[str, object]) -> Path:
    """The backup with RISING's entry changed (a backup edited by hand, or by something hostile)."""
    document = json.loads(path.read_text("utf-8"))
    for item in document["papers"]:
        if item["title"] == RISING:
            item.update(change)
    path.write_text(json.dumps(document), "utf-8")
    return path


def test_a_restored_library_keeps_each_papers_rise(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, backup: Path
) -> None:
    papers = {item["title"]: item for item in json.loads(backup.read_text("utf-8"))["papers"]}
    assert papers[RISING]["upvotes_by_digest"] == {"2025-11-12": 91, "2025-11-15": 128}
    assert papers[QUIET]["upvotes_by_digest"] == {}
    fresh = tmp_path / "new-machine"
    status, out, err = run(capsys, fresh, "import", str(backup))
    assert status == 0 and "backup of 3 papers (3 new" in out and err == ""
    old = tmp_path / "old-machine"
    for title in (RISING, STEADY, QUIET):
        assert history(fresh, title) == history(old, title)
        assert momentum_line(fresh, title) == momentum_line(old, title)
    assert momentum_line(fresh, RISING).startswith("▲128, +37 since Nov 12")
    # The reader's and the CLI's momentum order, which the index keeps, has it too.
    status, out, _ = run(capsys, fresh, "list", "--sort", "momentum")
    assert status == 0 and "+37" in out.splitlines()[0] and RISING in out.splitlines()[0]
    # Journaled with the restore, as a digest:DAY record keeping the page's upvotes.
    with Store.open(fresh / "library.sqlite3") as store:
        journal = store.journal
        number = journal.position()
        assert journal.action(number).kind == "restore"
        figures = {c[1]: (c[2], c[3]) for c in journal.changes(number) if c[0] == paper_id(RISING) and c[1].startswith(DIGEST)}
    assert figures == {DIGEST + "2025-11-12": (None, " 91")}  # the newest day's figure came with the paper


def test_restoring_twice_changes_nothing_and_a_known_figure_stays(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, backup: Path
) -> None:
    """A figure the library already has is never replaced by a backup's, as with a second digest of the day."""
    here = tmp_path / "here"
    write(
        tmp_path / "mine" / "nov12.txt",
        page("Nov 12", [P(RISING, abstract("sparse mixture-of-experts transformers"), ("6 authors", "Nov 10 50"))]),
    )
    write(
        tmp_path / "mine" / "nov13.txt",
        page("Nov 13", [P(RISING, abstract("sparse mixture-of-experts transformers"))]),
    )
    assert run(capsys, here, "import", str(tmp_path / "mine"), "--date", "2025-11-20")[0] == 0
    rewrite(backup, {"digests": ["2025-11-12", "2025-11-13", "2025-11-15"],
                     "upvotes_by_digest": {"2025-11-12": 91, "2025-11-13": 100, "2025-11-15": 128}})
    assert run(capsys, here, "import", str(backup))[0] == 0
    expected = [("2025-11-12", 50), ("2025-11-13", 100), ("2025-11-15", 128)]
    assert history(here, RISING) == expected
    with Store.open(here / "library.sqlite3") as store:
        journal = store.journal
        first = journal.position()
        filled = {
            c[1]: (c[2], c[3]) for c in journal.changes(first) if c[0] == paper_id(RISING) and c[1].startswith(DIGEST)
        }
    # The Nov 13 appearance came from this library's own file (its id in the value), the backup gave its figure.
    assert set(filled) == {DIGEST + "2025-11-13"}
    source, figure = filled[DIGEST + "2025-11-13"]
    assert source is not None and source.strip() and figure == f"{source} 100"
    assert run(capsys, here, "import", str(backup))[0] == 0
    assert history(here, RISING) == expected
    with Store.open(here / "library.sqlite3") as store:
        journal = store.journal
        assert journal.position() > first  # the second restore is an action, with no figure of its own
        assert not [c for c in journal.changes(journal.position()) if c[1].startswith(DIGEST)]


def test_an_older_backup_restores_as_before(capsys: pytest.CaptureFixture[str], tmp_path: Path, backup: Path) -> None:
    """Without upvotes_by_digest only the newest figure is known: on the newest day, no rise made up, no warning."""
    document = json.loads(backup.read_text("utf-8"))
    for item in document["papers"]:
        del item["upvotes_by_digest"]
    backup.write_text(json.dumps(document), "utf-8")
    fresh = tmp_path / "new-machine"
    status, out, err = run(capsys, fresh, "import", str(backup))
    assert status == 0 and "3 new" in out and err == ""
    assert history(fresh, RISING) == [("2025-11-12", None), ("2025-11-15", 128)]
    assert momentum_line(fresh, RISING).split(" · ")[0] == "▲128"  # no rise
    assert history(fresh, QUIET) == [("2025-11-12", None), ("2025-11-15", None)]


def test_a_hostile_upvote_history_is_skipped_with_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, backup: Path
) -> None:
    rewrite(backup, {
        "digests": ["2025-11-10", "2025-11-11", "2025-11-12", "2025-11-13", "2025-11-14", "2025-11-15"],
        "upvotes": None,
        "upvotes_by_digest": {
            "2025-11-10": "91",      # a string for a number
            "2025-11-11": -5,        # negative
            "2025-11-12": 91,        # the one good figure
            "2025-11-13": True,      # a boolean
            "2025-11-14": 1.5,       # not whole
            "2025-11-15": 10**12,    # absurd
            "2025-13-01": 7,         # not a date
            "yesterday": 7,
            "2025-11-30": 7,         # not one of its digests: no appearance to give it to
        },
    })
    document = json.loads(backup.read_text("utf-8"))
    for item in document["papers"]:
        if item["title"] == STEADY:
            item["upvotes_by_digest"] = ["2025-11-12", 20]  # not an object
    backup.write_text(json.dumps(document), "utf-8")
    fresh = tmp_path / "new-machine"
    status, out, err = run(capsys, fresh, "import", str(backup))
    assert status == 0 and "backup of 3 papers" in out
    lines = err.splitlines()
    rising = [line for line in lines if "upvote history: " in line]
    assert len(rising) == 1 and "'91' is not a count of upvotes (and 7 more); skipped" in rising[0]
    assert rising[0].startswith(f"  {backup}: item ")
    assert any("'upvotes_by_digest' is not an object" in line for line in lines)
    assert history(fresh, RISING) == [
        ("2025-11-10", None), ("2025-11-11", None), ("2025-11-12", 91),
        ("2025-11-13", None), ("2025-11-14", None), ("2025-11-15", None),
    ]
    assert history(fresh, STEADY) == [("2025-11-12", None), ("2025-11-15", 20)]  # as an older backup would


def test_parse_backup_names_each_fault_and_keeps_the_later_entry_of_a_title() -> None:
    def item(**fields: object) -> dict[str, object]:
        return {"title": RISING, "digests": ["2025-11-12", "2025-11-15"], **fields}

    parsed = parse_backup(json.dumps({"papers": [
        item(upvotes_by_digest={"2025-11-12": 5}),
        item(upvotes_by_digest={"2025-11-12": 91, "2025-11-15": 128}),
    ]}).encode())
    assert parsed.error is None
    assert parsed.upvotes == {paper_id(RISING): {dt.date(2025, 11, 12): 91, dt.date(2025, 11, 15): 128}}
    for figures, fault in (
        ({"2025-02-30": 1}, "'2025-02-30' is not a date"),
        ({"2025-11-01": 1}, "2025-11-01 is not one of its digests"),
        ({"2025-11-12": None}, "2025-11-12: 'None' is not a count of upvotes"),
        ("91", "'upvotes_by_digest' is not an object"),
    ):
        parsed = parse_backup(json.dumps([item(upvotes_by_digest=figures)]).encode())
        assert parsed.upvotes == {} and len(parsed.papers) == 1
        assert [w for w in parsed.warnings if fault in w], (figures, parsed.warnings)
    # A later entry without a history wins over an earlier one with it: one paper, one entry.
    parsed = parse_backup(json.dumps([item(upvotes_by_digest={"2025-11-12": 5}), item()]).encode())
    assert parsed.upvotes == {}
