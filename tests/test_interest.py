"""The "for you" model (paperreader/interest.py) and the observations it learns from (store)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from paperreader import interest
from paperreader.library import Library

from .digests import P, page, write

#: Three topics with words of their own, and words every paper shares.
TOPICS = {
    "video": ["diffusion", "video", "frames", "temporal", "denoising", "generation", "motion", "synthesis"],
    "robots": ["robot", "grasping", "manipulation", "gripper", "tactile", "locomotion", "policy", "embodied"],
    "proteins": ["protein", "folding", "residue", "molecular", "enzyme", "binding", "sequence", "structure"],
}
COMMON = ["we", "study", "a", "new", "approach", "with", "strong", "results", "on", "benchmarks", "and", "analysis"]


def topic_paper(rng: random.Random, topic: str, number: int, upvotes: int) -> P:
    words = TOPICS[topic]
    title = " ".join(rng.sample(words, 3)).capitalize() + f" study number {number}"
    body = " ".join(rng.choice(words) if rng.random() < 0.4 else rng.choice(COMMON) for _ in range(60))
    return P(title, body.capitalize() + ".", ("Lab", f"Oct 31, 2024 {upvotes}"))


def topic_library(data_dir: Path, tmp_path: Path, *, per_topic: int = 12) -> tuple[Library, dict[str, list[str]]]:
    """A library of three topics, robot papers given the most upvotes; returns it and the ids per topic."""
    rng = random.Random(3)
    papers: list[tuple[str, P]] = []
    number = 0
    for topic in TOPICS:
        for _ in range(per_topic):
            number += 1
            upvotes = 200 + number if topic == "robots" else number
            papers.append((topic, topic_paper(rng, topic, number, upvotes)))
    rng.shuffle(papers)
    path = write(tmp_path / "digests" / "day.txt", page("Nov 12", [p for _t, p in papers]))
    library = Library(data_dir)
    library.import_paths([path], date=__import__("datetime").date(2025, 11, 12))
    by_title = {paper.title: paper.id for paper in library.store.papers()}
    ids = {topic: [] for topic in TOPICS}  # type: dict[str, list[str]]
    for topic, paper in papers:
        ids[topic].append(by_title[paper.title])
    return library, ids


@pytest.fixture
def topics(data_dir: Path, tmp_path: Path) -> tuple[Library, dict[str, list[str]]]:
    library, ids = topic_library(data_dir, tmp_path)
    yield library, ids
    library.close()


def test_no_model_below_the_threshold_and_status_says_how_many_more(topics: tuple[Library, dict[str, list[str]]]) -> None:
    library, ids = topics
    library.store.set_state(ids["video"][:2], bookmarked=True, label="bookmarked")
    assert interest.score_papers(library, ids["robots"]) is None
    status = interest.status(library)
    assert (status.kept, status.needed) == (2, interest.THRESHOLD - 2)
    needed = interest.THRESHOLD - 2
    assert f"needs {needed} more kept paper{'s' if needed != 1 else ''} (bookmark, tag or note them)" in status.describe()
    # Meanwhile rank() orders by upvotes: the robot papers (most upvoted) first.
    every = [pid for group in ids.values() for pid in group]
    order, scores = interest.rank(library, every)
    assert scores is None
    assert set(order[: len(ids["robots"])]) == set(ids["robots"])


def test_kept_papers_of_a_topic_rank_that_topic_first_and_say_why(topics: tuple[Library, dict[str, list[str]]]) -> None:
    library, ids = topics
    # One kept paper of each kind: a bookmark, a tag, a note (and bookmarks up to the threshold).
    kept = ids["video"][: max(3, interest.THRESHOLD)]
    library.store.set_tags([kept[0]], add=["gen"])
    library.store.set_note(kept[1], "read this")
    library.store.set_state(kept[2:], bookmarked=True, label="bookmarked")
    unseen = [pid for group in ids.values() for pid in group if pid not in kept]
    order, scores = interest.rank(library, unseen)
    assert scores is not None and scores.kept == len(kept)
    rest = [pid for pid in ids["video"] if pid not in kept]
    assert set(order[: len(rest)]) == set(rest)  # above the more upvoted robot papers
    top = order[0]
    assert scores.because[top] and set(scores.because[top]) <= set(TOPICS["video"])
    assert scores.like[top] >= 1
    why = scores.why(top)
    assert why is not None and why.startswith("for you: like ") and "you kept (" in why


def test_a_bookmark_changes_the_ranking_at_the_next_call(topics: tuple[Library, dict[str, list[str]]]) -> None:
    library, ids = topics
    library.store.set_state(ids["video"][: interest.THRESHOLD], bookmarked=True, label="bookmarked")
    proteins = ids["proteins"]
    before = interest.score_papers(library, proteins)
    assert before is not None
    library.store.set_state(proteins[:6], bookmarked=True, label="bookmarked")
    after = interest.score_papers(library, proteins)
    assert after is not None and after.kept == interest.THRESHOLD + 6
    assert sum(after.score[p] for p in proteins[6:]) > sum(before.score[p] for p in proteins[6:])


def test_passed_papers_count_against_their_words(topics: tuple[Library, dict[str, list[str]]]) -> None:
    library, ids = topics
    kept = ids["video"][:3] + ids["robots"][:3]
    library.store.set_state(kept, bookmarked=True, label="bookmarked")
    robots = ids["robots"][3:]
    even = interest.score_papers(library, robots)
    for pid in ids["robots"][3:9]:
        assert library.store.observe(pid, "passed")
    against = interest.score_papers(library, robots)
    assert even is not None and against is not None
    assert sum(against.score.values()) < sum(even.score.values())
    # Opening one of them takes it out of the passed ones.
    library.store.observe(ids["robots"][3], "opened")
    signals = library.store.interest_signals()
    assert ids["robots"][3] in signals.opened and ids["robots"][3] not in signals.passed


def test_observations_are_not_user_state(topics: tuple[Library, dict[str, list[str]]], tmp_path: Path) -> None:
    """Not journaled (u never takes one back), not in a backup; forgetting the import takes them along."""
    library, ids = topics
    store = library.store
    actions = [action.number for action in store.journal.actions()]
    assert store.observe(ids["video"][0], "opened") and store.observe(ids["video"][1], "passed")
    assert not store.observe("0" * 16, "opened")  # an unknown paper: nothing written
    assert [action.number for action in store.journal.actions()] == actions
    assert store.interest_signals().opened == [ids["video"][0]]
    backup = tmp_path / "backup.json"
    with backup.open("w", encoding="utf-8") as handle:
        library.write_backup(handle)
    assert "opened" not in backup.read_text() and "passed" not in backup.read_text()
    # Taking the import back removes the papers with their observations, and undoing that works.
    (imported,) = store.journal.imports()
    store.journal.forget(imported)
    assert store.count() == 0 and store.interest_signals().opened == []
    store.journal.undo()
    assert store.count() == sum(len(group) for group in ids.values())


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    from paperreader.cli import main

    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_sort_interest_without_a_model_ranks_by_upvotes_and_says_so(
    topics: tuple[Library, dict[str, list[str]]], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library, _ids = topics
    most_upvoted = [paper.id for paper in library.store.papers(order="upvotes", limit=5)]
    library.close()
    status, out, err = run(capsys, data_dir, "list", "--sort", "interest", "--json", "--limit", "5")
    assert status == 0
    papers = json.loads(out)
    assert [p["id"] for p in papers] == most_upvoted
    assert all(p["interest"] is None and p["because"] == [] for p in papers)
    assert f"needs {interest.THRESHOLD} more kept papers" in err


def test_cli_list_and_search_sort_interest_with_json(
    topics: tuple[Library, dict[str, list[str]]], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library, ids = topics
    library.close()
    kept = ids["proteins"][:6]
    assert run(capsys, data_dir, "mark", "bookmark", *kept)[0] == 0
    status, out, err = run(capsys, data_dir, "list", "--unread", "--sort", "interest", "--json", "--limit", "12")
    assert status == 0 and err == ""
    papers = json.loads(out)
    assert {p["id"] for p in papers} == set(ids["proteins"])  # the kept topic first, over the upvoted robots
    assert all(isinstance(p["interest"], float) for p in papers)
    assert papers[0]["interest"] >= papers[-1]["interest"] > 0
    assert set(papers[0]["because"]) <= set(TOPICS["proteins"]) and papers[0]["because"]
    # search: the matches reordered by interest, not cut to the best few by relevance first.
    status, out, _err = run(capsys, data_dir, "search", "study", "--sort", "interest", "--json", "--limit", "3")
    found = json.loads(out)
    assert status == 0 and {p["id"] for p in found} <= set(ids["proteins"]) and len(found) == 3
    assert all(p["score"] > 0 and "interest" in p for p in found)  # each its own relevance score
    # The built-in view "For you": unread papers, ranked by interest.
    status, out, _err = run(capsys, data_dir, "list", "--view", "For you", "--json", "--limit", "12")
    assert status == 0 and {p["id"] for p in json.loads(out)} == set(ids["proteins"])
    status, out, _err = run(capsys, data_dir, "views", "--json")
    assert "For you" in {view["name"] for view in json.loads(out)}


def test_kept_papers_are_found_without_reading_every_paper(topics: tuple[Library, dict[str, list[str]]]) -> None:
    """The signals are read at every ranking: at 100,000 papers a scan of the papers table took 0.2 s."""
    library, ids = topics
    library.store.set_state(ids["video"][:2], bookmarked=True, label="bookmarked")
    library.store.set_note(ids["robots"][0], "later")
    library.store.set_tags([ids["proteins"][0]], add=["bio"])
    statements: list[str] = []
    db = library.store._db
    db.set_trace_callback(statements.append)
    try:
        kept = library.store.interest_signals().kept
    finally:
        db.set_trace_callback(None)
    assert kept == sorted([*ids["video"][:2], ids["robots"][0], ids["proteins"][0]])
    reading = [sql for sql in statements if "FROM papers" in sql]
    assert reading
    for sql in reading:
        plan = [str(row[3]) for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
        # A scan of papers may only be one of the kept papers' partial index (its primary key is every paper).
        assert not any(step.startswith("SCAN papers") and "papers_kept" not in step for step in plan), plan


def test_stop_words_are_neither_reasons_nor_score(data_dir: Path, tmp_path: Path) -> None:
    """Words like "but", "been", "after" say nothing of a topic: not in the profile, so not in a score or a why."""
    filler = "but it has been so after all that they were doing it because of those"
    kept = [
        P(f"Sparse activation pruning {n}", f"Sparse activation {filler} sparse gating {n}.", ("Lab", f"Oct 31, 2024 {n}"))
        for n in range(1, interest.THRESHOLD + 1)
    ]
    only_stop = P("Quarterly report", f"{filler.capitalize()} {filler}.", ("Lab", "Oct 31, 2024 50"))
    topical = P("Activation sparsity in gating", "Sparse activation and gating for pruning.", ("Lab", "Oct 31, 2024 40"))
    path = write(tmp_path / "digests" / "day.txt", page("Nov 12", [*kept, only_stop, topical]))
    with Library(data_dir) as library:
        library.import_paths([path])
        by_title = {paper.title: paper.id for paper in library.store.papers()}
        library.store.set_state([by_title[p.title] for p in kept], bookmarked=True, label="bookmarked")
        scores = interest.score_papers(library, list(by_title.values()))
        assert scores is not None
        assert scores.score[by_title[only_stop.title]] == 0.0  # it shares nothing but stop words
        assert scores.score[by_title[topical.title]] > 0.0
        stop = set(filler.split())
        assert all(not stop.intersection(scores.because[pid]) for pid in by_title.values())
        assert scores.because[by_title[topical.title]]


def test_a_kept_papers_why_names_what_it_shares_with_the_other_kept_papers(data_dir: Path, tmp_path: Path) -> None:
    """A kept paper is not like itself: its why says it was kept, and names only words other kept papers hold."""
    kept = [
        P("Emergence of essential sparse activation", "Essential emergence of sparse activation.", ("Lab", "Oct 31, 2024 3")),
        P("Sparse activation for pruning", "Sparse activation pruning of transformers.", ("Lab", "Oct 31, 2024 2")),
        P("Gating sparse activation", "Sparse activation with gating of transformers.", ("Lab", "Oct 31, 2024 1")),
    ]
    other = P("Sparse activation gating", "Sparse activation and gating.", ("Lab", "Oct 31, 2024 9"))
    robots = [P(f"Robot grasping {n}", f"Tactile robot grasping {n}.", ("Lab", f"Oct 31, 2024 {n}")) for n in range(10, 20)]
    path = write(tmp_path / "digests" / "day.txt", page("Nov 12", [*kept, other, *robots]))
    with Library(data_dir) as library:
        library.import_paths([path])
        by_title = {paper.title: paper.id for paper in library.store.papers()}
        library.store.set_state([by_title[p.title] for p in kept], bookmarked=True, label="bookmarked")
        scores = interest.score_papers(library, list(by_title.values()))
        assert scores is not None and scores.kept == len(kept)
        first = by_title[kept[0].title]
        words = scores.because[first]
        assert words and not {"emergence", "essential"}.intersection(words)  # its own words are not a likeness
        assert set(words) <= {"sparse", "activation", "transformers", "gating", "pruning"}
        assert scores.like[first] == 2
        assert scores.why(first) == f"for you: you kept this; like 2 other papers you kept ({', '.join(words)})"
        # A paper not kept is like all three, and its why is as before.
        unkept = by_title[other.title]
        assert scores.like[unkept] == 3 and scores.why(unkept).startswith("for you: like 3 papers you kept (")
