"""A synthetic library in the real digest format, seeded and reproducible.

Words come from the bundled sample digests (invented text), drawn with a Zipf
distribution so that a few words are very common and most are rare, as in
real abstracts; titles are 6-14 words, abstracts 120-260 words (about 1.2 KB),
about 100 papers per digest, one digest per day.
"""

from __future__ import annotations

import datetime as dt
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
