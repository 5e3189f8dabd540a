"""Exports of hostile papers, each read back by a real parser of its format."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from pathlib import Path

import bibtexparser
import pytest
import rispy
from markdown_it import MarkdownIt

from paperreader.exports import (
    CSV_COLUMNS, NOTES_MARKER, to_bibtex, to_csljson, to_csv, to_json, to_markdown, to_ris, write_notes,
)
from paperreader.models import Paper
from paperreader.parser import parse_digest

from .digests import HOSTILE, MONDAY, page


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    parsed = parse_digest(page("Mar 10", HOSTILE + MONDAY).encode(), dt.date(2025, 11, 20)).papers
    return [
        Paper(
            id=p.id,
            title=p.title,
            abstract=p.abstract,
            digests=p.digests,
            authors=3 if i % 2 else None,
            organization="Org & {Co} 100%" if i == 2 else None,
            published=dt.date(2024, 5, 1) if i % 3 == 0 else None,
            upvotes=i,
            bookmarked=True,
        )
        for i, p in enumerate(parsed)
    ]


def test_csv_round_trips_and_neutralises_formulas(papers: list[Paper]) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(papers), newline="")))
    assert list(rows[0].keys()) == list(CSV_COLUMNS)
    assert len(rows) == len(papers)
    for row, paper in zip(rows, papers):
        for column in ("title", "abstract"):
            cell, original = row[column], getattr(paper, column)
            # No cell a spreadsheet would evaluate...
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
            # ...and the text is intact behind the neutralising apostrophe.
            assert (cell[1:] if original.startswith(("=", "+", "-", "@")) else cell) == original
        assert row["id"] == paper.id and row["bookmarked"] == "true"
        assert row["digests"] == "2025-03-10"
    assert any(p.title.startswith("=HYPERLINK") for p in papers)


def _bibtex_unescape(text: str) -> str:
    table = {
        r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^",
        r"\{": "{", r"\}": "}", r"\%": "%", r"\#": "#", r"\&": "&", r"\$": "$", r"\_": "_",
    }
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return pattern.sub(lambda m: table[m.group(0)], text)


def test_bibtex_parses_back_with_the_same_titles(papers: list[Paper]) -> None:
    library = bibtexparser.parse_string(to_bibtex(papers))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [p.id for p in papers]
    for entry, paper in zip(library.entries, papers):
        assert entry.entry_type == "misc"
        title = entry.fields_dict["title"].value
        assert title.startswith("{") and title.endswith("}")  # capitalisation kept
        assert _bibtex_unescape(title[1:-1]) == paper.title
        assert _bibtex_unescape(entry.fields_dict["abstract"].value) == paper.abstract
        upvotes = f"{paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"
        assert entry.fields_dict["note"].value == f"Daily Papers digest 2025-03-10; {upvotes}"
        assert entry.fields_dict["year"].value == str(paper.published.year if paper.published else 2025)
        for field in entry.fields:  # no raw special can reach LaTeX
            value = field.value if isinstance(field.value, str) else str(field.value)
            stripped = re.sub(r"\\(textbackslash|textasciitilde|textasciicircum)\{\}|\\[{}%#&$_]", "", value)
            assert not re.search(r"[\\%#&~$_^]", stripped), (field.key, value[:80])


def test_markdown_titles_render_literally(papers: list[Paper]) -> None:
    md = MarkdownIt("commonmark").enable("strikethrough").enable("table")
    tokens = md.parse(to_markdown(papers, heading="Bookmarked papers"))
    headings = [tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert len(headings) == len(papers)
    for inline, paper in zip(headings, papers):
        kinds = {child.type for child in inline.children}
        assert kinds == {"text"}, (paper.title[:60], kinds)  # no link, emphasis, code or html
        assert "".join(c.content for c in inline.children) == paper.title
    quotes = [tokens[i + 2] for i, t in enumerate(tokens) if t.type == "blockquote_open"]
    for inline, paper in zip(quotes, papers):
        assert {child.type for child in inline.children} == {"text"}
        assert "".join(c.content for c in inline.children) == paper.abstract
    assert not any(t.type in ("html_block", "bullet_list_open", "ordered_list_open") for t in tokens)


def test_json_shape(papers: list[Paper]) -> None:
    data = json.loads(to_json(papers))
    assert len(data) == len(papers)
    for item, paper in zip(data, papers):
        assert {"id", "title", "abstract", "authors", "organization", "published", "upvotes", "digests", "read", "bookmarked"} <= set(item)
        assert item["title"] == paper.title and item["digests"] == ["2025-03-10"]


# -- RIS, CSL JSON, the notes folder (issue 15) --------------------------------------


@pytest.fixture(scope="module")
def annotated(papers: list[Paper]) -> list[Paper]:
    """The hostile papers with what the user adds: keys, tags, a hostile note, a bookmark date."""
    return [
        dataclasses.replace(
            paper,
            key=f"key{number}",
            tags=("rl", "to_read") if number % 2 else (),
            note="=cmd|' /C calc'!A0 {unbalanced \\input{x}\n- not a list [link](x)\nER  - fake end" if number % 3 == 0 else "",
            bookmarked_at="2025-11-12T08:00:00.000Z",
        )
        for number, paper in enumerate(papers)
    ]


def test_ris_parses_back_with_rispy(annotated: list[Paper]) -> None:
    records = rispy.loads(to_ris(annotated))
    assert len(records) == len(annotated)  # no title, abstract or note ended a record early
    for record, paper in zip(records, annotated):
        assert record["type_of_reference"] == "UNPB"
        assert record["id"] == paper.key
        assert record["title"] == paper.title
        assert record["abstract"] == paper.abstract
        assert record.get("keywords", []) == list(paper.tags)
        # Papers made by hand carry no appearance history: their figure stands in for the one when bookmarked.
        assert record["notes"][0] == f"Daily Papers digest 2025-03-10; bookmarked 2025-11-12 at {paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"
        if paper.note:
            assert record["notes"][1] == " ".join(paper.note.split())  # one line: "ER  -" cannot end the record
        assert record["year"] == str(paper.published.year if paper.published else 2025)


def test_ris_values_are_one_line_without_controls() -> None:
    raw = Paper(id="0123456789", title="Line\nTY  - JOUR\x1b[31m red\x07", abstract="a\r\nER  - \x9b2J", digests=(dt.date(2025, 3, 10),))
    text = to_ris([raw])
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", text)
    (record,) = rispy.loads(text)
    assert record["title"] == "Line TY - JOUR red" and record["abstract"] == "a ER -"


@pytest.mark.filterwarnings("ignore:The following arguments for Reference are unsupported")
def test_csl_json_items_have_the_required_fields_and_render_with_citeproc(annotated: list[Paper]) -> None:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(to_csljson(annotated))
    assert [item["id"] for item in items] == [paper.key for paper in annotated]
    for item, paper in zip(items, annotated):
        assert isinstance(item["id"], str) and item["type"] == "article"  # CSL's required fields
        assert item["title"] == paper.title and item["abstract"] == paper.abstract
        assert item["issued"]["date-parts"][0][0] == (paper.published.year if paper.published else 2025)
        assert "Daily Papers digest 2025-03-10" in item["note"] and (paper.note in item["note"])
    bibliography = CitationStylesBibliography(
        CitationStylesStyle("harvard-cite-them-right", validate=False), CiteProcJSON(items), formatter.plain
    )
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = "\n".join(str(entry) for entry in bibliography.bibliography())
    for paper in annotated[:8]:  # the hostile titles come out as the words they are
        assert paper.title in rendered


def test_notes_folder_front_matter_and_safe_names(tmp_path: Path, annotated: list[Paper]) -> None:
    from ruamel.yaml import YAML

    outcome = write_notes(tmp_path / "notes", annotated)
    files = sorted((tmp_path / "notes").iterdir())
    assert len(outcome.written) == len(files) == len(annotated)
    yaml = YAML(typ="safe", pure=True)
    md = MarkdownIt("commonmark")
    for path in files:
        assert re.fullmatch(r"[^<>:\"/\\|?*#^\[\]\x00-\x1f]+\.md", path.name) and len(path.name) <= 100
        assert not path.stem.endswith((" ", ".")) and path.stem.upper() not in ("CON", "PRN", "AUX", "NUL")
        text = path.read_text("utf-8")
        front, body = text.split("\n---\n", 1)
        data = yaml.load(front.removeprefix("---\n"))
        paper = next(p for p in annotated if p.id == data["id"])
        assert data["title"] == paper.title and data["key"] == paper.key
        assert data["digests"] == [dt.date(2025, 3, 10)] and data["upvotes"] == paper.upvotes
        assert data["tags"] == list(paper.tags) and data.get("note", "") == paper.note
        assert data["bookmarked"] == dt.date(2025, 11, 12)
        tokens = md.parse(body)
        heading = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open")
        assert "".join(c.content for c in heading.children if c.type == "text") == paper.title
        assert {c.type for c in heading.children} <= {"text", "softbreak"}
        assert body.rstrip().endswith(NOTES_MARKER)


def test_notes_update_in_place_and_keep_the_users_text(tmp_path: Path, annotated: list[Paper]) -> None:
    folder = tmp_path / "notes"
    first = write_notes(folder, annotated[:3])
    mine = first.written[0]
    renamed = mine.with_name("my own name.md")
    mine.rename(renamed)  # found again by the id in its front matter
    renamed.write_text(renamed.read_text("utf-8") + "\nMy thoughts: [[link]] *kept*.\n", encoding="utf-8")
    bare = first.written[1]
    mine_only = bare.read_text("utf-8").split(NOTES_MARKER)[0] + "no marker any more: all mine\n"
    bare.write_text(mine_only, encoding="utf-8")
    changed = [dataclasses.replace(p, tags=("new-tag",)) for p in annotated[:3]]
    again = write_notes(folder, changed)
    assert renamed in again.written and again.skipped == [bare]
    assert bare.read_text("utf-8") == mine_only
    text = renamed.read_text("utf-8")
    assert text.endswith(f"{NOTES_MARKER}\n\nMy thoughts: [[link]] *kept*.\n") and "- new-tag" in text
    assert len(list(folder.iterdir())) == 3
    assert write_notes(folder, changed).unchanged == 2  # nothing to write: files untouched
