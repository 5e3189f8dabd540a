"""The day in topic clusters: the core (paperreader.clusters), on synthetic days with known topics."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest

from benchmarks.clusters import FILLER, synthetic_day
from paperreader.clusters import OTHER, Cluster, DayText, cluster_papers, coherence, day_clusters
from paperreader.text import paper_id

DAY = dt.date(2026, 11, 12)


def texts_of(day: dt.date = DAY, papers: int = 120, seed: int = 3) -> tuple[list[DayText], dict[str, str]]:
    """A synthetic day as the clustering reads it, and each paper's true topic by id."""
    synth = synthetic_day(day, papers, seed=seed)
    texts = [DayText(paper_id(p.title), p.title, p.abstract) for p in synth]
    return texts, {paper_id(p.title): p.topic for p in synth}


def test_a_day_falls_into_a_handful_of_clusters_that_follow_its_topics() -> None:
    texts, topic = texts_of()
    clusters = cluster_papers(texts)
    real = [c for c in clusters if not c.other]
    assert 3 <= len(real) <= 8
    assert sorted(pid for c in clusters for pid in c.ids) == sorted(t.id for t in texts)  # each paper once
    for cluster in real:
        counts = Counter(topic[pid] for pid in cluster.ids)
        assert counts.most_common(1)[0][1] >= 0.8 * cluster.size  # one true topic dominates each cluster
        assert 1 <= len(cluster.terms) <= 3 and cluster.describe() == f"{' · '.join(cluster.terms)} ({cluster.size})"
    assert [c.size for c in real] == sorted((c.size for c in real), reverse=True)


def test_papers_in_a_cluster_share_more_key_terms_with_each_other_than_with_the_rest() -> None:
    texts, _topic = texts_of(seed=5)
    within, between, ratio = coherence(texts, cluster_papers(texts))
    assert within > between and ratio > 3
    # The measure itself: one cluster of everything shares no more within than a random cut.
    lumped = coherence(texts, [Cluster(("x",), tuple(t.id for t in texts))])
    assert lumped[1] == 0.0 or lumped[2] < ratio


def test_a_cluster_is_labelled_by_its_topic_words_not_the_genre() -> None:
    texts, topic = texts_of(seed=7)
    from benchmarks.clusters import TOPICS

    for cluster in cluster_papers(texts):
        if cluster.other:
            continue
        main = Counter(topic[pid] for pid in cluster.ids).most_common(1)[0][0]
        assert set(cluster.terms) <= set(TOPICS[main]), cluster.describe()
        assert not set(cluster.terms) & set(FILLER)


def test_the_same_day_always_gives_the_same_clusters_whatever_the_order() -> None:
    texts, _topic = texts_of(seed=11)
    shuffled = list(texts)
    random.Random(1).shuffle(shuffled)
    assert cluster_papers(texts) == cluster_papers(shuffled)


def test_papers_that_fit_nowhere_go_to_other() -> None:
    texts, _topic = texts_of(papers=60, seed=2)
    # Each about something no other paper of the day mentions.
    words = ["lorem ipsum", "dolor amet", "consectetur adipiscing", "quux wibble"]
    strays = [DayText(f"stray{n:05d}", words[n].title(), f"{words[n]}, {words[n]}.") for n in range(4)]
    clusters = cluster_papers(texts + strays)
    assert clusters[-1].other and clusters[-1].label == OTHER
    assert {s.id for s in strays} <= set(clusters[-1].ids)
    assert not any(c.other for c in clusters[:-1])


def test_a_tiny_or_empty_day_is_one_other_group() -> None:
    assert cluster_papers([]) == []
    texts, _topic = texts_of(papers=4)
    clusters = cluster_papers(texts)
    assert len(clusters) == 1 and clusters[0].other and clusters[0].size == 4


def test_day_clusters_reads_the_days_papers_from_the_store(library, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from benchmarks.clusters import write_days

    library.import_paths(write_days(tmp_path / "digests", 2, 40, last=DAY))
    clusters = day_clusters(library.store, DAY)
    assert sum(c.size for c in clusters) == 40
    assert set().union(*(c.ids for c in clusters)) == set(library.store.ids("all", digest=DAY))


@pytest.mark.parametrize("hostile", ["[bold]x[/] \x1b[31m", "\x07\x1b]8;;http://x\x1b\\"])
def test_hostile_text_never_reaches_a_label_as_control_characters(hostile: str) -> None:
    texts, _topic = texts_of(papers=40)
    texts = [DayText(t.id, t.title + hostile, t.abstract + hostile) for t in texts]
    for cluster in cluster_papers(texts):
        assert cluster.label.isprintable()


def test_the_benchmark_writes_its_section_between_its_markers_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A small run of benchmarks/clusters.py, so it cannot rot (no timing is asserted)."""
    from benchmarks.clusters import END, START, main

    results = tmp_path / "RESULTS.md"
    results.write_text("# results\n\nsomeone else's table\n", encoding="utf-8")
    for _ in range(2):  # the second run replaces the section, never adds one
        assert main(["--days", "1", "--papers", "40", "--digests", str(tmp_path / "none"), "--output", str(results)]) == 0
    text = results.read_text("utf-8")
    assert text.startswith("# results\n\nsomeone else's table\n") and text.count(START) == text.count(END) == 1
    section = text.split(START)[1].split(END)[0]
    assert "| synthetic 2026-11-01 | 40 |" in section and "not present in this run" in section
