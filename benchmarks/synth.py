"""A synthetic library in the real digest format, seeded and reproducible.

Words come from the bundled sample digests (invented text), drawn with a Zipf
distribution so that a few words are very common and most are rare, as in
real abstracts; titles are 6-14 words, abstracts 120-260 words (about 1.2 KB),
about 100 papers per digest, one digest per day.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections import Counter
from pathlib import Path

from paperreader.demo import sample_files

CHROME = ["new", "Get trending papers in your email inbox!", "Subscribe", "byAK and the research community"]


def vocabulary() -> list[str]:
    """Sample-digest words, most frequent first (the Zipf ranks)."""
    counts: Counter[str] = Counter()
    for path in sample_files():
        counts.update(w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{1,}", path.read_text("utf-8")))
    return [word for word, _ in counts.most_common()]


def generate(folder: Path, papers: int, *, per_digest: int = 100, seed: int = 1) -> list[Path]:
    """Write ``papers`` papers as digest files into ``folder``; returns the files."""
    rng = random.Random(seed)
    words = vocabulary()
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    folder.mkdir(parents=True, exist_ok=True)
    day = dt.date(2025, 1, 1)
    files: list[Path] = []
    number = 0
    while number < papers:
        blocks = list(CHROME) + [f"{day:%b} {day.day}"]
        for _ in range(min(per_digest, papers - number)):
            title_words = rng.choices(words, weights, k=rng.randint(6, 14))
            abstract_words = rng.choices(words, weights, k=rng.randint(120, 260))
            title = " ".join(title_words).capitalize() + f" ({number})"
            abstract = " ".join(abstract_words).capitalize() + "."
            blocks += [title, abstract]
            number += 1
        path = folder / f"{day.isoformat()}.txt"
        path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        files.append(path)
        day += dt.timedelta(days=1)
    return files


def generate_topics(
    folder: Path, papers: int, *, topics: int = 12, per_digest: int = 100, seed: int = 1
) -> tuple[list[Path], dict[str, int]]:
    """Like :func:`generate`, with topic structure and upvotes: for the "for you" benchmark.

    Each topic owns 30 words of the vocabulary's middle ranks (300 on: words
    neither everywhere nor unheard of).  A paper has one topic: a quarter of
    its title words and one abstract word in sixteen are its topic's,
    the rest drawn from the whole vocabulary as in :func:`generate`; one paper
    in five also borrows from a second topic, as real papers straddle fields.
    Upvotes (a heavy tail, 0 to a few hundred) are independent of the topic,
    so that upvote order knows nothing of what a user cares about.

    Returns the files and each paper's topic by title (titles end in the
    paper's number, so they are unique).
    """
    rng = random.Random(seed)
    words = vocabulary()
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    own = [words[300 + 30 * t : 330 + 30 * t] for t in range(topics)]
    folder.mkdir(parents=True, exist_ok=True)
    day = dt.date(2025, 1, 1)
    files: list[Path] = []
    topic_of: dict[str, int] = {}
    number = 0

    cumulative = list(itertools.accumulate(weights))  # drawn from in bulk: per word, choices() re-sums them all

    def draw(count: int, share: float, topic: int, other: int | None) -> list[str]:
        picked = rng.choices(words, cum_weights=cumulative, k=count)
        for place in range(count):
            if rng.random() < share:
                source = own[other] if other is not None and rng.random() < 0.4 else own[topic]
                picked[place] = rng.choice(source)
        return picked

    while number < papers:
        blocks = list(CHROME) + [f"{day:%b} {day.day}"]
        for _ in range(min(per_digest, papers - number)):
            topic = rng.randrange(topics)
            other = rng.randrange(topics) if rng.random() < 0.2 else None
            title = " ".join(draw(rng.randint(6, 14), 0.25, topic, other)).capitalize() + f" ({number})"
            abstract = " ".join(draw(rng.randint(120, 260), 0.06, topic, other)).capitalize() + "."
            upvotes = int(rng.paretovariate(1.3) * 2) - 2
            blocks += [title, abstract, f"  • {rng.randint(1, 30)} authors\n·\nOct 31, 2024 {max(upvotes, 0)}"]
            topic_of[title] = topic
            number += 1
        path = folder / f"{day.isoformat()}.txt"
        path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
        files.append(path)
        day += dt.timedelta(days=1)
    return files, topic_of
