"""Catching up after days away: the selection (paperreader.catchup), its actions, and ``paperreader catchup``."""

from __future__ import annotations

import datetime as dt
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from benchmarks.clusters import write_days
from paperreader.catchup import bookmark, catch_up, cluster_what, mark_read, rest_what, tag
from paperreader.cli import main
from paperreader.clusters import day_clusters
from paperreader.library import Library

LAST = dt.date(2026, 11, 20)


@pytest.fixture
def week(library: Library, tmp_path: Path) -> Library:
    """Seven synthetic days of 30 papers, ending on LAST, with upvotes."""
    reports = library.import_paths(write_days(tmp_path / "digests", 7, 30, last=LAST))
    assert all(report.ok for report in reports)
    return library


def test_each_day_with_unread_papers_newest_first_with_its_top_by_upvotes(week: Library) -> None:
    store = week.store
    # The newest day read already: it has nothing to catch up on.
    store.set_state(store.ids("all", digest=LAST), read=True)
    found = catch_up(week, days=None, top=4)
    assert found.ranking == "upvotes"
    assert [day.date for day in found.days] == [LAST - dt.timedelta(days=n) for n in range(1, 7)]
    for day in found.days:
        assert len(day.top) == 4 and day.unread == 30 and len(day.rest) == 26
        papers = store.get_many(store.ids("unread", digest=day.date))
        best = sorted((p.upvotes or 0 for p in papers.values()), reverse=True)[:4]
        assert sorted((pick.paper.upvotes or 0 for pick in day.top), reverse=True) == best
        assert {pick.paper.id for pick in day.top}.isdisjoint(day.rest)
        assert all(pick.why and pick.why.startswith("top ") for pick in day.top)  # "top 3% of Nov 19"
    assert found.unread == 6 * 30 and found.older_unread == 0


def test_days_limits_the_days_and_says_how_many_are_left_older(week: Library) -> None:
    found = catch_up(week, days=2, top=3)
    assert [day.date for day in found.days] == [LAST, LAST - dt.timedelta(days=1)]
    assert found.older_unread == 5 * 30


@dataclass
class FakeScores:
    score: dict[str, float]
    because: dict[str, str] = field(default_factory=dict)


def test_a_trained_model_ranks_the_picks_for_you(week: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``paperreader.interest`` scoring (helper R's API), its order wins over upvotes, with its reason."""
    favourite = sorted(week.store.ids("all", digest=LAST))[:2]
    module = types.ModuleType("paperreader.interest")

    def score_papers(library: Library, ids: list[str]) -> FakeScores:
        return FakeScores({pid: (1.0 if pid in favourite else 0.1) for pid in ids}, {pid: "like 3 papers you kept" for pid in favourite})

    module.score_papers = score_papers  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "paperreader.interest", module)
    found = catch_up(week, days=1, top=2)
    assert found.ranking == "for you"
    assert {pick.paper.id for pick in found.days[0].top} == set(favourite)
    assert found.days[0].top[0].why == "like 3 papers you kept"
    module.score_papers = lambda library, ids: FakeScores({pid: 1.0 for pid in ids}, {pid: ["video", "editing"] for pid in ids})  # type: ignore[attr-defined]
    assert catch_up(week, days=1, top=1).days[0].top[0].why == "for you: video, editing"  # the model's terms
    module.score_papers = lambda library, ids: None  # type: ignore[attr-defined]  # no model yet: upvotes
    assert catch_up(week, days=1, top=2).ranking == "upvotes"


def test_the_rest_of_a_day_is_marked_read_as_one_undoable_action(week: Library) -> None:
    store = week.store
    day = catch_up(week, days=1, top=5).days[0]
    assert mark_read(store, day.rest, rest_what(day.date)) == 25
    action = store.journal.actions(limit=1)[0]
    assert action.label == "marked 25 papers read (the rest of Nov 20)" and action.papers == 25
    assert store.count("unread", digest=LAST) == 5
    assert mark_read(store, day.rest, rest_what(day.date)) == 0  # nothing left to change: no new action
    assert store.journal.actions(limit=1)[0].number == action.number
    store.journal.undo()
    assert store.count("unread", digest=LAST) == 30


def test_cluster_actions_are_one_undoable_action_each_named_for_the_cluster(week: Library) -> None:
    store = week.store
    cluster = next(c for c in day_clusters(store, LAST) if not c.other)
    what = cluster_what(cluster)
    assert mark_read(store, cluster.ids, what) == cluster.size
    assert store.journal.actions(limit=1)[0].label == f"marked {cluster.size} papers read (cluster {cluster.label})"
    assert bookmark(store, cluster.ids, what) == cluster.size
    assert store.journal.actions(limit=1)[0].label == f"bookmarked {cluster.size} papers (cluster {cluster.label})"
    assert tag(store, cluster.ids, ["video"], what) == cluster.size
    assert store.journal.actions(limit=1)[0].label == f"tagged video ({cluster.size} papers, cluster {cluster.label})"
    assert all(p.tags == ("video",) and p.bookmarked and p.read for p in store.get_many(list(cluster.ids)).values())
    for _ in range(3):
        store.journal.undo()
    assert not any(p.tags or p.bookmarked or p.read for p in store.get_many(list(cluster.ids)).values())


# -- the command -------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def week_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "import", "-q", *map(str, write_days(tmp_path / "d", 3, 20, last=LAST))]) == 0
    capsys.readouterr()
    return data


def test_catchup_prints_each_days_top_and_the_count_of_the_rest(week_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, week_dir, "catchup", "--top", "2")
    assert status == 0 and err == ""
    assert out.startswith("60 unread papers in 3 days, the top of each ranked by upvotes within each day:")
    from paperreader.interest import THRESHOLD

    assert out.splitlines()[1].startswith(f"(for you needs {THRESHOLD} more kept papers")  # no model yet: says what it needs
    assert out.count("+ 18 more unread") == 3
    assert "Fri Nov 20, 2026 · 20 unread of 20" in out and "(top " in out


def test_catchup_json_gives_the_rest_ids_for_mark(week_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, week_dir, "catchup", "--days", "1", "--top", "3", "--json", "--clusters")
    assert status == 0
    days = json.loads(out)
    assert [d["date"] for d in days] == ["2026-11-20"] and days[0]["ranking"] == "upvotes"
    assert len(days[0]["top"]) == 3 and len(days[0]["rest"]) == 17 and days[0]["top"][0]["why"].startswith("top ")
    assert sum(c["size"] for c in days[0]["clusters"]) == 20
    assert main(["--data-dir", str(week_dir), "mark", "read", *days[0]["rest"]]) == 0
    capsys.readouterr()
    status, out, _ = run(capsys, week_dir, "catchup", "--days", "1", "--json")
    assert json.loads(out)[0]["unread"] == 3


def test_catchup_with_nothing_unread_says_so(week_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Library(week_dir) as library:
        library.store.set_state(library.store.ids("all"), read=True)
    status, out, _ = run(capsys, week_dir, "catchup")
    assert status == 0 and out == "Nothing to catch up on: every paper is read.\n"
    status, out, _ = run(capsys, week_dir, "catchup", "--json")
    assert status == 0 and json.loads(out) == []


def test_catchup_usage_errors(week_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--data-dir", str(week_dir), "catchup", "--top", "0"])
    assert exit_info.value.code == 2
    status, _, err = run(capsys, tmp_path / "nothing-here", "catchup")
    assert status == 1 and "no library here" in err


def test_with_the_real_model_the_picks_follow_what_was_kept(library: Library, tmp_path: Path) -> None:
    """Bookmarks on one topic train "for you" (paperreader.interest): each day's picks are of that topic, and say why."""
    from benchmarks.clusters import TOPICS, synthetic_day
    from paperreader.text import paper_id

    library.import_paths(write_days(tmp_path / "digests", 4, 40, last=LAST))
    topic_of: dict[str, str] = {}
    for back in range(4):
        day = LAST - dt.timedelta(days=back)
        topic_of |= {paper_id(p.title): p.topic for p in synthetic_day(day, 40)}
    # The oldest day: six papers of one of its topics kept (bookmarked) and the day read.
    oldest = LAST - dt.timedelta(days=3)
    ids = library.store.ids("all", digest=oldest)
    liked = topic_of[sorted(ids)[0]]
    library.store.set_state([pid for pid in ids if topic_of[pid] == liked][:6], bookmarked=True)
    library.store.set_state(ids, read=True)
    found = catch_up(library, days=None, top=3)
    assert found.ranking == "for you"
    for day in found.days:
        present = {topic_of[pid] for pid in library.store.ids("all", digest=day.date)}
        if liked in present:  # a day with papers of the liked topic: they come first
            assert all(topic_of[pick.paper.id] == liked for pick in day.top), (day.date, liked)
        assert all(pick.why and pick.why.startswith("for you") for pick in day.top)
    assert any(liked in {topic_of[pid] for pid in library.store.ids("all", digest=d.date)} for d in found.days)
    assert set(TOPICS[liked]) & {w for d in found.days for p in d.top for w in (p.why or "").replace(",", " ").replace("(", " ").replace(")", " ").split()}


@pytest.fixture
def repeats_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Nov 19 with ten papers; Nov 20 with eight, three of them Nov 19's again (as real pages repeat papers)."""
    from tests.digests import P, page, write

    def paper(name: str, votes: int) -> P:
        return P(f"Paper {name} on learning", f"About {name} and its results.", ("  • 2 authors", f"Nov 1, 2026 {votes}"))

    older = [paper(f"old{n}", 10 + n) for n in range(10)]
    newer = older[:3] + [paper(f"new{n}", 30 + n) for n in range(5)]
    data = tmp_path / "data"
    first = write(tmp_path / "d" / "nov19.txt", page("Nov 19", older))
    second = write(tmp_path / "d" / "nov20.txt", page("Nov 20", newer))
    assert main(["--data-dir", str(data), "import", "-q", "--date", "2026-11-19", str(first)]) == 0
    assert main(["--data-dir", str(data), "import", "-q", "--date", "2026-11-20", str(second)]) == 0
    capsys.readouterr()
    return data


def test_a_day_counts_as_the_digests_screen_counts_it_and_says_what_is_shown_under_a_later_day(
    repeats_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nov 19's three papers also in Nov 20 are shown under Nov 20, yet Nov 19 still counts 10 unread, not "7 unread of 10"."""
    with Library(repeats_dir) as library:
        store = library.store
        days = {day.date: day for day in store.digest_days()}
        found = catch_up(library, days=None, top=2)
        newest, older = found.days
        assert (newest.papers, newest.unread, newest.later) == (8, 8, ())
        assert (older.papers, older.unread) == (days[older.date].papers, days[older.date].unread) == (10, 10)
        assert len(older.later) == 3 and set(older.later) <= {pick.paper.id for pick in newest.top} | set(newest.rest)
        assert older.here == 7 and len(older.top) + len(older.rest) == 7  # the rest is what the day shows
        assert found.unread == 15  # each paper once
        store.set_state([older.later[0]], read=True)
    status, out, _ = run(capsys, repeats_dir, "catchup", "--top", "2")
    assert status == 0
    assert "Thu Nov 19, 2026 · 9 unread of 10 · 2 shown under a later day" in out
    assert "Fri Nov 20, 2026 · 7 unread of 8\n" in out
    assert out.count("+ 5 more unread") == 2  # Nov 20: 7 - 2 picks; Nov 19: 7 - 2 picks
    status, out, _ = run(capsys, repeats_dir, "catchup", "--json")
    by_day = {day["date"]: day for day in json.loads(out)}
    assert by_day["2026-11-19"]["unread"] == 9 and by_day["2026-11-19"]["unread_under_later_days"] == 2
    assert by_day["2026-11-20"]["unread_under_later_days"] == 0
    status, out, _ = run(capsys, repeats_dir, "stats", "--json")
    stats_days = {row["date"]: row for row in json.loads(out)["days"]}
    assert stats_days["2026-11-19"]["unread"] == 9  # the same figure as stats and the digests screen
