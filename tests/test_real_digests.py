"""The five real digests of ../shared/digests, when that folder is there.

A user's clone has no ../shared, so these tests skip; CI has it.  Nothing
from those files is copied into the repo: expectations are derived from the
files themselves at test time.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from paperreader.library import Library
from paperreader.parser import parse_digest

from .digests import SHARED_DIGESTS

pytestmark = pytest.mark.skipif(not SHARED_DIGESTS.is_dir(), reason="../shared/digests is not here")
REF = dt.date(2025, 11, 20)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Library:
    library = Library(tmp_path_factory.mktemp("real") / "data")
    reports = library.import_paths([SHARED_DIGESTS], date=REF)
    assert len(reports) == 5 and all(r.ok and not r.warnings for r in reports), [(r.path.name, r.error, r.warnings) for r in reports]
    yield library
    library.close()


def _blocks(path: Path) -> list[str]:
    return [b for b in re.split(r"\n\s*\n", path.read_text("utf-8")) if b.strip()]


def test_every_paper_exactly_once(real: Library) -> None:
    per_file = {f.name: parse_digest(f.read_bytes(), REF).papers for f in sorted(SHARED_DIGESTS.glob("*.txt"))}
    ids = [p.id for papers in per_file.values() for p in papers]
    assert len(set(ids)) < len(ids)  # the files do share papers...
    stored = real.store.papers()
    assert sorted(p.id for p in stored) == sorted(set(ids))  # ...and each is stored once
    # A paper seen in two files keeps both digest dates.
    for paper in stored:
        files = [name for name, papers in per_file.items() if paper.id in {p.id for p in papers}]
        dates = {d for name in files for p in per_file[name] if p.id == paper.id for d in p.digests}
        assert set(paper.digests) == dates


def test_paper_count_matches_the_layout(real: Library) -> None:
    # Pages without metadata: chrome, a date line, then title/abstract pairs.
    for path in sorted(SHARED_DIGESTS.glob("*.txt")):
        blocks = _blocks(path)
        meta = sum(1 for b in blocks if "\n·\n" in b)
        chrome = next(i for i, b in enumerate(blocks) if re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", b.strip()))
        assert len(parse_digest(path.read_bytes(), REF).papers) == (len(blocks) - chrome - 1 - meta) // 2


def test_reimport_adds_nothing(real: Library) -> None:
    before = real.store.stats()
    reports = real.import_paths([SHARED_DIGESTS], date=REF)
    assert all(r.already_imported for r in reports)
    assert real.store.stats() == before


def test_metadata_page(real: Library) -> None:
    with_meta = [p for p in real.store.papers() if p.authors is not None or p.organization]
    assert len(with_meta) > 50
    assert any(p.upvotes for p in with_meta) and any(p.published and p.published.year < 2025 for p in with_meta)


def test_search_by_abstract_word_phrase_prefix(real: Library) -> None:
    paper = max(real.store.papers(), key=lambda p: len(p.abstract))
    words = [w for w in re.findall(r"[A-Za-z]{9,}", paper.abstract)]
    rare = min(words, key=lambda w: real.search(w).total)
    assert paper.id in {h.id for h in real.search(rare, limit=None).hits}
    phrase = " ".join(paper.abstract.split()[10:14])
    phrase = re.sub(r"[^\w\s-]", " ", phrase)
    assert paper.id in {h.id for h in real.search(f'"{phrase}"', limit=None).hits}
    assert paper.id in {h.id for h in real.search(rare[:6].lower() + "*", limit=None).hits}


def test_title_match_ranks_first(real: Library) -> None:
    # For words that are in exactly one title but in other papers' abstracts too,
    # that title's paper comes first.
    from whoosh.analysis import StemmingAnalyzer

    analyzer = StemmingAnalyzer()

    def stems(text: str) -> set[str]:
        return {token.text for token in analyzer(text)}

    papers = real.store.papers()
    titles = {p.id: stems(p.title) for p in papers}
    abstracts = {p.id: stems(p.abstract) for p in papers}
    checked = 0
    for paper in papers:
        for word in set(re.findall(r"[A-Za-z]{6,}", paper.title)):
            (stem,) = stems(word) or {""}
            in_titles = [p for p in papers if stem in titles[p.id]]
            in_abstracts = [p for p in papers if stem in abstracts[p.id] and p.id != paper.id]
            if len(in_titles) == 1 and len(in_abstracts) >= 2:
                outcome = real.search(word, limit=3)
                assert outcome.hits[0].id == paper.id, (word, paper.title)
                checked += 1
        if checked >= 15:
            break
    assert checked >= 5
