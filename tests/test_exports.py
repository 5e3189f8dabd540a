"""Exports of hostile papers, each read back by a real parser of its format."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import bibtexparser
import pytest
from markdown_it import MarkdownIt

from paperreader.exports import CSV_COLUMNS, to_bibtex, to_csv, to_json, to_markdown
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
        assert entry.fields_dict["note"].value == "Daily Papers digest 2025-03-10"
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
