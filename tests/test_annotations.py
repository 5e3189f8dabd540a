"""Tags, notes and saved views: in the store, the index, the backup and the exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import bibtexparser
import pytest

from paperreader.exports import to_bibtex, to_csv, to_markdown
from paperreader.library import Library
from paperreader.models import SavedView
from paperreader.store import SCHEMA_VERSION, Store
from paperreader.text import normalize_tag, parse_tags

from .digests import HOSTILE, MONDAY, P, TUESDAY, abstract, page, write


@pytest.fixture
def lib(tmp_path: Path) -> Library:
    write(tmp_path / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "tue.txt", page("Mar 11", TUESDAY))
    library = Library(tmp_path / "data")
    library.import_paths([tmp_path / "mon.txt", tmp_path / "tue.txt"], date=dt.date(2025, 3, 12))
    yield library
    library.close()


def ids_by_title(library: Library) -> dict[str, str]:
    return {p.title: p.id for p in library.store.papers()}


def test_tags_are_normalised_from_what_the_user_types() -> None:
    assert normalize_tag("#Reinforcement Learning") == "reinforcement-learning"
    assert normalize_tag("tag:rl") == "tagrl"  # no query syntax inside a tag
    assert normalize_tag('"(*)"') is None
    assert parse_tags("RL, #rl  agents,,c++ ") == ["rl", "agents", "c++"]


def test_set_tags_add_remove_replace_and_undo(lib: Library) -> None:
    ids = ids_by_title(lib)
    moe, diffusion = ids["Sparse Mixtures of Experts Route Tokens Cheaply"], ids["Diffusion Policies for Robot Grasping"]
    rev = lib.store.rev
    changed = lib.store.set_tags([moe, diffusion], add=["rl", "agents"])
    assert {s.id for s in changed} == {moe, diffusion} and all(s.tags == () for s in changed)
    assert lib.store.rev > rev  # the index must see the new tags
    assert lib.store.get(moe).tags == ("agents", "rl")
    # Adding a tag a paper has changes nothing (and returns nothing to undo).
    assert lib.store.set_tags([moe], add=["rl"]) == []
    removed = lib.store.set_tags([moe], remove=["rl"])
    assert lib.store.get(moe).tags == ("agents",)
    replaced = lib.store.set_tags([diffusion], replace=["robots"])
    assert lib.store.get(diffusion).tags == ("robots",)
    assert lib.store.all_tags() == [("agents", 1), ("robots", 1)]
    assert lib.store.ids(tags=["robots"]) == [diffusion]
    assert lib.store.count(tags=["agents", "robots"]) == 0
    # Undo, newest first, puts back exactly what was there.
    lib.store.restore_state(replaced)
    lib.store.restore_state(removed)
    assert lib.store.get(moe).tags == ("agents", "rl") and lib.store.get(diffusion).tags == ("agents", "rl")
    lib.store.restore_state(changed)
    assert lib.store.get(moe).tags == () and lib.store.all_tags() == []


def test_notes_are_stored_undone_and_searchable(lib: Library) -> None:
    ids = ids_by_title(lib)
    moe = ids["Sparse Mixtures of Experts Route Tokens Cheaply"]
    before = lib.store.set_note(moe, "Compare with our zygomorphic baseline.\nSecond line.")
    assert before is not None and before.note == ""
    assert lib.store.set_note(moe, lib.store.get(moe).note) is None  # unchanged: nothing to undo
    lib.update_index()
    outcome = lib.search("zygomorphic")
    assert [hit.id for hit in outcome.hits] == [moe]
    assert "zygomorphic" in outcome.terms["note"]  # the viewer highlights it in the note
    assert [h.id for h in lib.search("note:baseline").hits] == [moe]
    lib.store.restore_state([before])
    assert lib.store.get(moe).note == ""
    lib.index().update(lib.store)
    assert lib.search("zygomorphic").hits == []


def test_tags_are_searchable_with_and_without_the_field(lib: Library) -> None:
    ids = ids_by_title(lib)
    speech = ids["Quantized Speech Recognition on Phones"]
    lib.store.set_tags([speech], add=["to-read", "asr"])
    lib.update_index()
    lib.index()  # opened (and caught up) here if it was not yet
    assert [h.id for h in lib.search("tag:asr").hits] == [speech]
    assert [h.id for h in lib.search("tag:to-read").hits] == [speech]
    assert [h.id for h in lib.search("asr").hits] == [speech]  # a plain word finds tags too
    # Phrases still work over every default field (the tag field has positions).
    outcome = lib.search('"robot grasping"')
    assert outcome.error is None and outcome.total == 1
    assert [h.id for h in lib.search("speech", tags=["asr"]).hits] == [speech]
    assert lib.search("diffusion", tags=["asr"]).hits == []


def test_saved_views_crud(lib: Library) -> None:
    store = lib.store
    first = store.save_view(SavedView("RL, unread", "reinforcement learning", "unread"))
    assert first.created_at and first.updated_at
    store.save_view(SavedView("Today", "", "all", "newest"))
    assert [v.name for v in store.views()] == ["RL, unread", "Today"]
    edited = store.save_view(SavedView("RL", "rl OR reinforcement", "unread"), replacing="RL, unread")
    assert edited.created_at == first.created_at  # renamed, not a new view
    assert [v.name for v in store.views()] == ["RL", "Today"]
    deleted = store.delete_view("RL")
    assert deleted == edited and [v.name for v in store.views()] == ["Today"]
    store.put_view(deleted)  # undo of the deletion
    assert store.views()[0] == edited
    with pytest.raises(ValueError):
        store.save_view(SavedView("bad", state="starred"))


def test_view_counts_follow_query_state_and_digest(lib: Library) -> None:
    ids = ids_by_title(lib)
    lib.store.set_state([ids["Diffusion Policies for Robot Grasping"]], read=True)
    assert lib.view_counts(SavedView("all")) == (5, 4)
    assert lib.view_counts(SavedView("d", "diffusion")) == (1, 0)
    assert lib.view_counts(SavedView("today", digest="newest")) == (3, 2)  # Mar 11
    assert lib.view_digest(SavedView("today", digest="newest")) == dt.date(2025, 3, 11)
    assert lib.view_counts(SavedView("unread robots", "robot", "unread")) == (0, 0)


def test_backup_round_trips_tags_notes_and_views(lib: Library, tmp_path: Path) -> None:
    ids = ids_by_title(lib)
    moe = ids["Sparse Mixtures of Experts Route Tokens Cheaply"]
    lib.store.set_tags([moe], add=["moe", "to-read"])
    lib.store.set_note(moe, "Line one [b]not markup[/b]\nLine two")
    lib.store.set_state([moe], bookmarked=True)
    view = lib.store.save_view(SavedView("MoE", "experts", "bookmarked", "2025-03-10"))
    backup = tmp_path / "backup.json"
    with open(backup, "w", encoding="utf-8") as handle:
        assert lib.write_backup(handle) == 5
    document = json.loads(backup.read_text("utf-8"))
    assert document["format"] == "paperreader-backup" and document["views"][0]["name"] == "MoE"

    with Library(tmp_path / "restored") as other:
        (report,) = other.import_paths([backup])
        assert report.ok and report.new == 5 and report.views == 1
        paper = other.store.get(moe)
        assert paper.tags == ("moe", "to-read") and paper.note == "Line one [b]not markup[/b]\nLine two"
        assert paper.bookmarked
        assert other.store.views() == [view]
        assert [h.id for h in other.search("tag:moe").hits] == [moe]
        # Importing the same backup again changes nothing; a newer local change wins.
        other.store.set_tags([moe], replace=["mine"])
        other.import_paths([backup])
        assert other.store.get(moe).tags == ("mine",)


def test_backup_newer_tags_and_note_win(lib: Library, tmp_path: Path) -> None:
    ids = ids_by_title(lib)
    moe = ids["Sparse Mixtures of Experts Route Tokens Cheaply"]
    lib.store.set_tags([moe], add=["old"])
    backup = tmp_path / "b.json"
    with open(backup, "w", encoding="utf-8") as handle:
        lib.write_backup(handle)
    data = json.loads(backup.read_text("utf-8"))
    for item in data["papers"]:
        if item["id"] == moe:
            item.update(tags=["New Tag", "[x]"], tags_at="2099-01-01T00:00:00.000Z")  # from the future: refused
            item.update(note="\x1b[31mred\x1b[0m note", note_at="2025-01-01T00:00:00.000Z")
    backup.write_text(json.dumps(data), "utf-8")
    lib.import_paths([backup])
    paper = lib.store.get(moe)
    assert paper.tags == ("old",)  # a timestamp in the future never wins
    assert paper.note == "red note"  # cleaned, and newer than no note at all


def test_upgrade_from_schema_1_keeps_everything(tmp_path: Path) -> None:
    """A library written by the first release opens, gains the new columns, loses nothing."""
    path = tmp_path / "library.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE papers (id TEXT PRIMARY KEY, title TEXT NOT NULL, abstract TEXT NOT NULL, authors INTEGER,
            organization TEXT, published TEXT, upvotes INTEGER, meta_digest TEXT NOT NULL, last_digest TEXT NOT NULL,
            added_at TEXT NOT NULL, rev INTEGER NOT NULL, read INTEGER NOT NULL DEFAULT 0, read_at TEXT,
            bookmarked INTEGER NOT NULL DEFAULT 0, bookmarked_at TEXT);
        CREATE TABLE sources (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, path TEXT NOT NULL,
            imported_at TEXT NOT NULL, papers INTEGER NOT NULL, new INTEGER NOT NULL, warnings INTEGER NOT NULL);
        CREATE TABLE appearances (paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            digest TEXT NOT NULL, source_id INTEGER REFERENCES sources (id), PRIMARY KEY (paper_id, digest)) WITHOUT ROWID;
        INSERT INTO meta VALUES ('schema_version', '1'), ('store_uuid', 'abc'), ('rev', '1');
        INSERT INTO papers VALUES ('0123456789', 'Old Paper', 'An abstract.', 3, NULL, NULL, 5, '2024-05-01',
            '2024-05-01', '2024-05-02T00:00:00.000Z', 1, 1, '2024-05-02T00:00:00.000Z', 1, '2024-05-02T00:00:01.000Z');
        INSERT INTO appearances VALUES ('0123456789', '2024-05-01', NULL);
        """
    )
    db.commit()
    db.close()
    with Store.open(path) as store:
        paper = store.get("0123456789")
        assert (paper.title, paper.read, paper.bookmarked, paper.tags, paper.note) == ("Old Paper", True, True, (), "")
        store.set_tags(["0123456789"], add=["kept"])
        store.save_view(SavedView("v"))
    with Store.open(path) as store:
        assert store.get("0123456789").tags == ("kept",) and store.uuid == "abc"
        assert store._meta("schema_version") == str(SCHEMA_VERSION)


def test_exports_carry_tags_and_notes_escaped(lib: Library) -> None:
    ids = ids_by_title(lib)
    moe = ids["Sparse Mixtures of Experts Route Tokens Cheaply"]
    lib.store.set_tags([moe], add=["moe", "to_read"])
    lib.store.set_note(moe, "=cmd|' /C calc'!A0 {unbalanced \\input{x}\n- not a list [link](x)")
    paper = lib.store.get(moe)

    rows = list(csv.DictReader(io.StringIO(to_csv([paper]))))
    assert rows[0]["tags"] == "moe;to_read"
    assert rows[0]["note"].startswith("'=cmd")  # neutralised for spreadsheets

    entry = bibtexparser.parse_string(to_bibtex([paper])).entries[0]
    assert entry.fields_dict["keywords"].value == r"moe, to\_read"
    assert r"\{unbalanced \textbackslash{}input\{x\}" in entry.fields_dict["annote"].value

    md = to_markdown([paper])
    assert "tags: moe, to\\_read" in md
    assert "**Note:** \\=cmd\\|' /C calc'\\!A0 {unbalanced \\\\input{x}  \n\\- not a list \\[link\\](x)" in md


def test_topics_of_a_digest_are_its_distinctive_words(tmp_path: Path) -> None:
    """Key terms: a day about one subject shows that subject, not words every day shares."""
    subjects = ["diffusion", "retrieval", "speech", "graphs", "robots", "proteins"]
    for day, subject in enumerate(subjects, start=10):
        papers = [
            P(f"{subject.title()} Paper {n} On Something", abstract(f"{subject} for problem {n}"))
            for n in range(6)
        ]
        write(tmp_path / f"{day}.txt", page(f"Mar {day}", papers))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path], date=dt.date(2025, 3, 20))
        for day, subject in enumerate(subjects, start=10):
            topics = library.topics(dt.date(2025, 3, day), top=3)
            assert topics[0] == subject, (subject, topics)
            assert "propose" not in topics and "method" not in topics
        assert library.topics(dt.date(2025, 1, 1)) == []  # no such digest


def test_hostile_text_in_a_tag_or_note_stays_text(lib: Library) -> None:
    ids = ids_by_title(lib)
    moe = ids["Sparse Mixtures of Experts Route Tokens Cheaply"]
    from paperreader.text import clean_note

    note = clean_note(HOSTILE[2].title + "\n" + HOSTILE[3].abstract)
    lib.store.set_note(moe, note)
    assert "\x1b" not in lib.store.get(moe).note and "\u202e" not in lib.store.get(moe).note
    assert normalize_tag("\x1b[31mred") == "red"  # the escape sequence goes whole
