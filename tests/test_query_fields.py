"""Query fields for what the page gives: upvotes, org, authors, published, digest; malformed values say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperreader import fastsearch
from paperreader.cli import main
from paperreader.library import Library

from .digests import P, abstract, page, write

NOV_10 = [
    P("Giant Team Trains A Giant Model", abstract("large language model pretraining"), ("31 authors", "Nov 3 12")),
    P("DeepMind Plays Go Again", abstract("reinforcement learning for games"), ("deepmind Google DeepMind", "Nov 5 50")),
    P("A Small Lab Paper", abstract("sparse attention"), ("2 authors", "Oct 31, 2024 3")),
]
NOV_12 = [
    P("DeepMind Plays Go Again", abstract("reinforcement learning for games"), ("deepmind Google DeepMind", "Nov 5 90")),
    P("NVIDIA Speeds Up Kernels", abstract("gpu kernels for attention"), ("nvidia NVIDIA", "Nov 11 120")),
    P("Twenty Authors Exactly", abstract("benchmark evaluation"), ("20 authors", "Nov 1 7")),
]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("fields")
    write(root / "d" / "a.txt", page("Nov 10", NOV_10))
    write(root / "d" / "b.txt", page("Nov 12", NOV_12))
    with Library(root / "data") as library:
        assert all(r.ok for r in library.import_paths([root / "d"], date=dt.date(2026, 11, 20)))
        yield library


def titles(lib: Library, query: str, **kw: object) -> set[str]:
    outcome = lib.search(query, **kw)
    assert outcome.error is None, outcome.error
    return {p.title for p in lib.papers_for([h.id for h in outcome.hits])}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("upvotes:>50", {"DeepMind Plays Go Again", "NVIDIA Speeds Up Kernels"}),
        ("upvotes:[10 TO 100]", {"DeepMind Plays Go Again", "Giant Team Trains A Giant Model"}),
        ("org:deepmind", {"DeepMind Plays Go Again"}),
        ('org:"google deepmind"', {"DeepMind Plays Go Again"}),
        ("org:nvidia", {"NVIDIA Speeds Up Kernels"}),
        ("authors:>20", {"Giant Team Trains A Giant Model"}),
        ("authors:[20 TO 40]", {"Giant Team Trains A Giant Model", "Twenty Authors Exactly"}),
        ("authors:<3", {"A Small Lab Paper"}),
        ("published:2024", {"A Small Lab Paper"}),
        ("digest:>2026-11-10", {"DeepMind Plays Go Again", "NVIDIA Speeds Up Kernels", "Twenty Authors Exactly"}),
        ("digest:<2026-11-12", {"Giant Team Trains A Giant Model", "DeepMind Plays Go Again", "A Small Lab Paper"}),
        ("digest:[2026-11-11 TO 2026-11-30]", {"DeepMind Plays Go Again", "NVIDIA Speeds Up Kernels", "Twenty Authors Exactly"}),
        ("digest:2026-11-12 AND attention", {"NVIDIA Speeds Up Kernels"}),
        ("digest:>2026-11-10 authors:>10", {"Twenty Authors Exactly"}),
    ],
)
def test_each_query_field(lib: Library, query: str, expected: set[str]) -> None:
    assert titles(lib, query) == expected


def test_momentum_sorts_search_and_list(lib: Library) -> None:
    """DeepMind's paper went from 50 to 90 upvotes between the two digests: the only rise."""
    outcome = lib.search("upvotes:>0", sort="momentum")
    first = lib.papers_for([outcome.hits[0].id])[0]
    assert first.title == "DeepMind Plays Go Again" and first.rise == 40
    listed = lib.store.papers(order="momentum")
    assert listed[0].title == "DeepMind Plays Go Again"
    assert [p.upvotes for p in listed[1:4]] == [120, 12, 7]  # no rise: by upvotes


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("upvotes:>abc", "upvotes:>abc: not a whole number; upvotes takes a whole number"),
        ("upvotes:abc", "upvotes takes a whole number"),
        ("attention upvotes:[ten TO 100]", "upvotes takes a whole number"),
        ("authors:abc", "authors:abc: not a whole number; authors takes a whole number"),
        ("authors:>", "authors:>: nothing to compare with"),
        ("digest:>notadate", "digest:>notadate: not a date; digest takes a date YYYY-MM-DD"),
        ("digest:2026-13-40", "digest takes a date"),
        ("digest:[2026-11-01 TO soon]", "digest takes a date"),
        ("published:notadate", "published takes a date or a year"),
        ("organisation:deepmind", "unknown field organisation; fields are: title, abstract, tag, note, org, authors"),
    ],
)
def test_a_malformed_value_is_a_message_not_an_empty_list(lib: Library, query: str, says: str) -> None:
    outcome = lib.search(query)
    assert outcome.error is not None and says in outcome.error and "\n" not in outcome.error
    assert outcome.hits == []


@pytest.mark.parametrize("query", ["upvotes:>abc", "digest:>notadate", "authors:abc", "nosuchfield:x"])
def test_cli_search_fails_with_one_line(
    lib: Library, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    status = main(["--data-dir", str(lib.data_dir), "search", query])
    out, err = capsys.readouterr()
    assert status == 1 and out == "" and len(err.splitlines()) == 1 and query.split(":")[0] in err


def test_cli_search_with_the_new_fields(lib: Library, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--data-dir", str(lib.data_dir), "search", "org:nvidia OR authors:>30", "--json"])
    out, _ = capsys.readouterr()
    import json

    assert status == 0 and {p["title"] for p in json.loads(out)} == {"NVIDIA Speeds Up Kernels", "Giant Team Trains A Giant Model"}
    status = main(["--data-dir", str(lib.data_dir), "list", "--sort", "momentum", "--json", "--limit", "1"])
    out, _ = capsys.readouterr()
    assert status == 0 and json.loads(out)[0]["title"] == "DeepMind Plays Go Again"
    status = main(["--data-dir", str(lib.data_dir), "search", "model", "--sort", "momentum", "--json", "--limit", "1"])
    out, _ = capsys.readouterr()
    assert status == 0 and json.loads(out)[0]["title"] == "DeepMind Plays Go Again"


def test_plain_momentum_and_upvotes_lists_show_what_they_sort_by(lib: Library, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the rise and the upvotes on each line, the momentum order cannot be told from any other."""
    expected = lib.store.papers(order="momentum")[:3]
    status = main(["--data-dir", str(lib.data_dir), "list", "--sort", "momentum", "--limit", "3"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0 and len(lines) == 3
    for line, paper in zip(lines, expected):
        assert line.startswith(paper.id) and line.endswith(paper.title)
        assert not paper.read and not paper.bookmarked  # the marks are "  •": the figures are words 4 and 5
        rise, upvotes = line.split()[3:5]
        assert rise == (f"+{paper.rise}" if paper.rise else "·") and upvotes == f"{paper.upvotes}↑"
    assert lines[0].split()[3:5] == ["+40", "90↑"]  # DeepMind's paper: from 50 to 90
    status = main(["--data-dir", str(lib.data_dir), "search", "model", "--sort", "momentum", "--limit", "1"])
    assert status == 0 and capsys.readouterr().out.split()[3:5] == ["+40", "90↑"]
    status = main(["--data-dir", str(lib.data_dir), "list", "--sort", "upvotes", "--limit", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3] for line in lines] == [f"{p.upvotes}↑" for p in lib.store.papers(order="upvotes")[:2]]
    status = main(["--data-dir", str(lib.data_dir), "list", "--limit", "1"])
    assert "↑" not in capsys.readouterr().out  # the default order (digest) shows no figures


#: The new fields, alone and with words: the array engine must answer as Whoosh does
#: (and answer at all, rather than leave them to Whoosh: True), whatever the order.
ENGINE_QUERIES = [
    ("org:deepmind", True),
    ("org:nvidia OR attention", True),
    ("attention upvotes:>10", True),
    ("authors:>10 OR org:google", True),
    ("authors:[1 TO 3] OR upvotes:<5", True),
    ("published:2024 OR org:nvidia", True),
    ("reinforcement digest:[2026-11-01 TO 2026-11-30]", True),  # two digest terms: each adds the boost
    ("digest:>2026-11-10 attention", False),  # one term: Whoosh weighs it as a term
]


@pytest.mark.parametrize(("query", "on_engine"), ENGINE_QUERIES)
@pytest.mark.parametrize("sort", ["relevance", "momentum"])
def test_array_engine_agrees_with_whoosh_on_the_new_fields(
    lib: Library, monkeypatch: pytest.MonkeyPatch, query: str, on_engine: bool, sort: str
) -> None:
    answered: list[bool] = []
    run = fastsearch.ArrayEngine.run

    def spy(self: fastsearch.ArrayEngine, *args: object, **kwargs: object) -> fastsearch.Ranked:
        try:
            ranked = run(self, *args, **kwargs)
        except fastsearch.Unsupported:
            answered.append(False)
            raise
        answered.append(True)
        return ranked

    with monkeypatch.context() as patch:
        patch.setattr(fastsearch.ArrayEngine, "run", spy)
        fast = lib.search(query, limit=None, sort=sort)
    assert answered == [on_engine]
    with monkeypatch.context() as patch:

        def decline(*args: object, **kwargs: object) -> fastsearch.Ranked:
            raise fastsearch.Unsupported("test: Whoosh's own ranking")

        patch.setattr(fastsearch.ArrayEngine, "run", decline)
        whoosh = lib.search(query, limit=None, sort=sort)
    assert fast.error is None and whoosh.error is None and whoosh.total > 0
    assert fast.total == whoosh.total
    assert {(h.id, round(h.score, 9)) for h in fast.hits} == {(h.id, round(h.score, 9)) for h in whoosh.hits}
    if sort == "momentum":
        rises = [p.rise if p.rise is not None else -1 for p in lib.papers_for([h.id for h in fast.hits])]
        assert rises == sorted(rises, reverse=True)
