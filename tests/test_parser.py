"""The parser on digests the tests write, one case of FORMAT.md at a time."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest

from paperreader.parser import parse_digest, resolve_month_day
from paperreader.text import clean_text, is_clean, normalize_title, paper_id

from .digests import HOSTILE, LONG_TITLE, MONDAY, TUESDAY, WITH_META, P, page

REF = dt.date(2025, 11, 20)


def titles(result) -> list[str]:
    return [p.title for p in result.papers]


def test_plain_page() -> None:
    result = parse_digest(page("Mar 10", MONDAY).encode(), REF)
    assert result.error is None and result.warnings == []
    assert titles(result) == [p.title for p in MONDAY]
    assert [p.abstract for p in result.papers] == [p.abstract for p in MONDAY]
    assert all(p.digests == (dt.date(2025, 3, 10),) for p in result.papers)
    assert all(p.authors is None and p.published is None and p.upvotes is None for p in result.papers)


def test_metadata_blocks() -> None:
    result = parse_digest(page("Nov 12", WITH_META, daily_papers=True).encode(), REF)
    assert result.error is None and result.warnings == []
    reward, code, protein = result.papers
    assert (reward.authors, reward.organization, reward.published, reward.upvotes) == (6, None, dt.date(2024, 10, 31), 2)
    # No year means the digest's year; "1 authors" is one author.
    assert (code.authors, code.published, code.upvotes) == (1, dt.date(2025, 3, 31), None)
    # An organisation instead of a count ("handle Name"), day followed by upvotes.
    assert (protein.authors, protein.organization, protein.published, protein.upvotes) == (
        None, "TinyLab", dt.date(2025, 9, 8), 12,
    )


def test_organisation_without_bullet() -> None:
    text = page("Nov 12", WITH_META[:1]).replace("  • 6 authors", "bigco BigCo")
    (paper,) = parse_digest(text.encode(), REF).papers
    assert paper.organization == "BigCo" and paper.authors is None and paper.upvotes == 2


def test_published_date_without_year_after_digest_is_last_year() -> None:
    text = page("Jan 5", [P("A Paper", "An abstract.", ("3 authors", "Dec 30"))])
    (paper,) = parse_digest(text.encode(), dt.date(2025, 1, 6)).papers
    assert paper.digests == (dt.date(2025, 1, 5),)
    assert paper.published == dt.date(2024, 12, 30)


@pytest.mark.parametrize(
    ("month", "day", "reference", "expected"),
    [
        (3, 11, dt.date(2025, 3, 11), dt.date(2025, 3, 11)),
        (3, 11, dt.date(2025, 6, 1), dt.date(2025, 3, 11)),
        (12, 31, dt.date(2025, 1, 2), dt.date(2024, 12, 31)),  # saved just after new year
        (1, 1, dt.date(2024, 12, 31), dt.date(2025, 1, 1)),  # a time-zone's grace
        (2, 29, dt.date(2025, 3, 1), dt.date(2024, 2, 29)),
        (2, 30, dt.date(2025, 3, 1), None),
    ],
)
def test_year_of_a_page_date(month: int, day: int, reference: dt.date, expected: dt.date | None) -> None:
    assert resolve_month_day(month, day, reference) == expected


def test_bom_crlf() -> None:
    data = codecs.BOM_UTF8 + page("Mar 10", MONDAY).replace("\n", "\r\n").encode()
    result = parse_digest(data, REF)
    assert titles(result) == [p.title for p in MONDAY] and result.warnings == []


def test_old_mac_line_endings() -> None:
    result = parse_digest(page("Mar 10", MONDAY).replace("\n", "\r").encode(), REF)
    assert titles(result) == [p.title for p in MONDAY]


def test_latin1() -> None:
    papers = [P("Café Networks Über Alles", "Résumé of a naïve approach, 5 µm.")]
    result = parse_digest(page("Mar 10", papers).encode("latin-1"), REF)
    assert titles(result) == ["Café Networks Über Alles"]
    assert result.papers[0].abstract == "Résumé of a naïve approach, 5 µm."
    assert any("not UTF-8" in w for w in result.warnings)


def test_utf16_with_bom() -> None:
    result = parse_digest(page("Mar 10", MONDAY).encode("utf-16"), REF)
    assert titles(result) == [p.title for p in MONDAY]


def test_pasted_pages_and_repeats() -> None:
    text = page("Mar 10", MONDAY) + "\n" + page("Mar 11", TUESDAY)
    result = parse_digest(text.encode(), REF)
    # Tuesday repeats Monday's diffusion paper (in other case): one paper, two dates.
    assert len(result.papers) == 5
    repeated = [p for p in result.papers if "iffusion" in p.title]
    assert len(repeated) == 1
    assert repeated[0].digests == (dt.date(2025, 3, 10), dt.date(2025, 3, 11))
    assert any("appears 2 times" in w for w in result.warnings)


def test_same_paper_twice_on_one_page() -> None:
    result = parse_digest(page("Mar 10", MONDAY + MONDAY[:1]).encode(), REF)
    assert len(result.papers) == 3
    assert any("appears 2 times" in w for w in result.warnings)


def test_repeat_keeps_newest_metadata() -> None:
    old = P("Reward Models Disagree", "Abstract.", ("6 authors", "Oct 31, 2024 2"))
    new = P("Reward Models Disagree", "Abstract.", ("6 authors", "Oct 31, 2024 9"))
    text = page("Mar 11", [new]) + page("Mar 10", [old])
    (paper,) = parse_digest(text.encode(), REF).papers
    assert paper.upvotes == 9


def test_hostile_text_is_cleaned_but_kept_literally() -> None:
    result = parse_digest(page("Mar 10", HOSTILE).encode(), REF)
    assert result.error is None
    assert len(result.papers) == len(HOSTILE)
    for paper in result.papers:
        assert is_clean(paper.title) and is_clean(paper.abstract), paper.title[:80]
        for text in (paper.title, paper.abstract):
            assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text)
            assert "\u202e" not in text
    by_title = {p.title: p for p in result.papers}
    assert "[bold red]Markup[/] in a title" in by_title  # markup stays literal text
    assert "[Re] Reproducing Sparse Attention" in by_title
    assert "Red Escapes in titles" in by_title  # escape sequences removed whole
    assert "Abstract that clears the screen." in {p.abstract for p in result.papers}
    assert '=HYPERLINK("http://evil.example","click")' in by_title


def test_very_long_fields_survive() -> None:
    result = parse_digest(page("Mar 10", HOSTILE[-2:]).encode(), REF)
    long_title, huge = result.papers
    assert long_title.title == LONG_TITLE.strip()
    assert len(huge.abstract) > 99_000


def test_empty_file() -> None:
    result = parse_digest(b"", REF)
    assert result.error == "no papers found (empty file)" and result.papers == []
    assert parse_digest(b"\n\n  \r\n", REF).error == "no papers found (empty file)"


def test_chrome_only() -> None:
    result = parse_digest(page("Mar 10", []).encode(), REF)
    assert result.error == "no papers found"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04" + bytes(500),
        bytes([0x01, 0x02, 0x03, 0x04, 0x1b, 0x05]) * 100,
    ],
)
def test_binary_files(data: bytes) -> None:
    result = parse_digest(data, REF)
    assert result.error == "not a text digest (binary data)"
    assert result.papers == []


def test_page_without_date_uses_reference() -> None:
    text = page(None, [P("Title One", "Abstract one.")])  # page chrome, but the date line lost
    result = parse_digest(text.encode(), REF)
    assert result.papers[0].digests == (REF,)
    assert any("no page date" in w for w in result.warnings)


def test_date_without_chrome_is_a_digest() -> None:
    text = "\n\n".join(["Mar 10", *(f"{p.title}\n\n{p.abstract}" for p in MONDAY)]) + "\n"
    assert titles(parse_digest(text.encode(), REF)) == [p.title for p in MONDAY]


README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # This repository's README as readme.txt: 47 "papers" titled "# paperreader" before.
        (README.read_bytes(), "no page date"),
        (b"Title One\n\nAbstract one.\n\nTitle Two\n\nAbstract two.\n", "no page date"),
        (b"id,title\n1,a\n2,b\n", "no page date"),
        # Page chrome pasted above something else: its blocks are not title-then-abstract.
        (page("Mar 11", []).encode() + README.read_bytes(), "not a title line then an abstract"),
        (page("Mar 11", []).encode() + Path(__file__).read_bytes(), "not a title line then an abstract"),
    ],
    ids=["readme", "pairs-without-date-or-chrome", "csv", "chrome-then-readme", "chrome-then-python"],
)
def test_text_that_is_not_a_digest_is_refused(data: bytes, reason: str) -> None:
    result = parse_digest(data, REF)
    assert result.papers == [] and result.warnings == []
    assert result.error is not None and result.error.startswith("not a digest (") and reason in result.error
    assert "\n" not in result.error


def test_a_few_odd_blocks_do_not_refuse_a_digest() -> None:
    # Two odd blocks (a wrapped paragraph, a title without abstract) among three papers.
    odd = "a wrapped\nparagraph of\nshort lines\nthat is no abstract\n\nA Dangling Title"
    result = parse_digest((page("Mar 10", MONDAY) + "\n" + odd + "\n").encode(), REF)
    assert result.error is None and titles(result)[:3] == [p.title for p in MONDAY]
    assert any("A Dangling Title" in w for w in result.warnings)


def test_title_without_abstract_is_skipped_with_a_warning() -> None:
    text = page("Mar 10", MONDAY[:1]) + "\nA Dangling Title\n"
    result = parse_digest(text.encode(), REF)
    assert titles(result) == [MONDAY[0].title]
    assert any("A Dangling Title" in w and "no abstract" in w for w in result.warnings)


def test_missing_blank_line_between_title_and_abstract() -> None:
    text = page("Mar 10", []) + "\nJoined Title\nIts abstract directly below.\n"
    (paper,) = parse_digest(text.encode(), REF).papers
    assert (paper.title, paper.abstract) == ("Joined Title", "Its abstract directly below.")


def test_metadata_without_paper_is_ignored() -> None:
    text = page("Mar 10", []) + "\n  • 3 authors\n·\nMar 1\n"
    result = parse_digest(text.encode(), REF)
    assert result.error == "no papers found"
    assert any("metadata block without a paper" in w for w in result.warnings)


def test_parser_is_deterministic() -> None:
    data = (page("Mar 10", MONDAY + HOSTILE) + page("Mar 11", TUESDAY)).encode()
    assert parse_digest(data, REF) == parse_digest(data, REF)


# -- identity ------------------------------------------------------------------


def test_identity_folds_case_space_and_punctuation() -> None:
    a = "TrAct: Making First-layer Pre-Activations Trainable"
    b = "  tract making   first layer pre-activations, trainable "
    assert normalize_title(a) == normalize_title(b) == "tract making first layer pre activations trainable"
    assert paper_id(a) == paper_id(b)
    assert paper_id(a) != paper_id("TrAct: Making Second-layer Pre-Activations Trainable")


def test_id_is_stable_across_machines() -> None:
    # Pinned: ids are citation keys and CLI arguments; they must never change.
    assert paper_id("TrAct: Making First-layer Pre-Activations Trainable") == "fc32a9df8d"
    assert len(paper_id("x")) == 10 and all(c in "0123456789abcdef" for c in paper_id("x"))


def test_clean_text() -> None:
    assert clean_text("\x1b[1;31mred\x1b[0m") == "red"
    assert clean_text("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b") == "alinkb"
    assert clean_text("tab\tnew\nline  spaces\u2028sep") == "tab new line spaces sep"
    assert clean_text("rtl\u202egnp.exe") == "rtlgnp.exe"
    assert clean_text("[bold]kept[/]") == "[bold]kept[/]"
    # An unterminated OSC loses only its introducer, not the rest of the text.
    assert clean_text("\x1b]0;rest of the abstract") == "0;rest of the abstract"
