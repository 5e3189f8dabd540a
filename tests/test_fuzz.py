"""Property tests of the parser (Hypothesis): it never raises, cleans everything,
is deterministic, and what it reads can be written back and read again the same."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperreader.parser import parse_digest
from paperreader.text import clean_text, is_clean

from .digests import CHROME, P, page

REF = dt.date(2025, 11, 20)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_clean(result) -> None:  # type: ignore[no-untyped-def]
    for paper in result.papers:
        for text in (paper.title, paper.abstract):
            assert is_clean(text)
            assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text)
            assert "\x1b" not in text and "\u202e" not in text
        assert paper.title and paper.digests


@SETTINGS
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    result = parse_digest(data, REF)
    _assert_clean(result)
    assert (result.error is None) == bool(result.papers)


@SETTINGS
@given(st.text(max_size=3000))
def test_arbitrary_unicode(text: str) -> None:
    for encoding in ("utf-8", "utf-16"):
        result = parse_digest(text.encode(encoding, errors="surrogatepass"), REF)
        _assert_clean(result)


# Blocks that digests are made of, and hostile ones.
_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), min_size=1, max_size=80
)
_blocks = st.one_of(
    st.sampled_from(CHROME + ["Daily Papers", "Mar 11", "Nov 2", "  • 6 authors\n·\nOct 31, 2024 2", "·"]),
    _line,
    st.sampled_from(["[bold]x[/]", "\x1b[31mred\x1b[0m", "=SUM(A1)", "{\\}%#&~$_^", "\x1b]0;t\x07", "\u202e"]),
)


@SETTINGS
@given(st.lists(_blocks, max_size=40), st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
def test_random_blocks_line_endings_encodings(blocks: list[str], newline: str, encoding: str) -> None:
    text = (newline * 2).join(blocks).replace("\n", newline) if newline != "\n" else "\n\n".join(blocks)
    data = text.encode(encoding, errors="replace")
    first, second = parse_digest(data, REF), parse_digest(data, REF)
    assert first == second  # deterministic
    _assert_clean(first)


_CHROME = {c.casefold() for c in CHROME + ["Daily Papers"]}


def _plain_block(text: str) -> bool:
    """Not a line that means something else in a digest (chrome, a date, metadata).

    A paper titled "Subscribe" or "Mar 11" cannot be told from page chrome in
    this format; the round trip is asserted for every other text.
    """
    return (
        bool(text)
        and text.casefold() not in _CHROME
        and not re.fullmatch(r"[A-Za-z]{3,9}\.?\s+\d{1,2}", text)
        and not text.startswith("•")
        and "·" != text
    )


_title = _line.map(clean_text).filter(lambda t: any(c.isalnum() for c in t)).filter(_plain_block)
_abstract = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=300)
    .map(clean_text)
    .filter(_plain_block)
)


@SETTINGS
@given(st.lists(st.tuples(_title, _abstract), min_size=1, max_size=12, unique_by=lambda p: p[0].casefold()))
def test_round_trip(pairs: list[tuple[str, str]]) -> None:
    """Papers parsed from a digest, written back as a digest, parse to the same papers."""
    first = parse_digest(page("Mar 11", [P(t, a) for t, a in pairs]).encode(), REF)
    rewritten = page("Mar 11", [P(p.title, p.abstract) for p in first.papers]).encode()
    second = parse_digest(rewritten, REF)
    assert second.papers == first.papers


@SETTINGS
@given(st.text(max_size=500))
def test_cleaning_is_idempotent_and_complete(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert is_clean(once) and "  " not in once and once == once.strip()
