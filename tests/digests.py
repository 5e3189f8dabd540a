"""Digest files written by the tests themselves (no real digest text in the repo).

``page()`` renders papers in the real layout of FORMAT.md; ``HOSTILE`` holds
the hostile titles and abstracts seen in the wild, as the tests need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CHROME = ["new", "Get trending papers in your email inbox!", "Subscribe", "byAK and the research community"]

SHARED_DIGESTS = Path(__file__).resolve().parents[2] / "shared" / "digests"


@dataclass(frozen=True)
class P:
    """A paper to write into a test digest; ``meta`` is the 3-line block, if any."""

    title: str
    abstract: str
    meta: tuple[str, str] | None = None  # (who, "Oct 31, 2024 2")


def page(date: str | None, papers: Sequence[P], *, daily_papers: bool = False) -> str:
    blocks = list(CHROME)
    if daily_papers:
        blocks.insert(3, "Daily Papers")
    if date:
        blocks.append(date)
    for paper in papers:
        blocks += [paper.title, paper.abstract]
        if paper.meta:
            who, when = paper.meta
            blocks.append(f"  • {who}\n·\n{when}")
    return "\n\n".join(blocks) + "\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def abstract(topic: str, n: int = 6) -> str:
    """A plausible abstract about ``topic`` (invented text)."""
    sentences = [
        f"We study {topic} in a controlled setting.",
        f"Prior work on {topic} relies on large labelled datasets.",
        "We propose a simple method that needs no extra supervision.",
        "Experiments on three benchmarks show consistent gains over strong baselines.",
        "Ablations isolate the contribution of each component.",
        "Code and models will be released.",
    ]
    return " ".join(sentences[:n])


MONDAY = [
    P("Sparse Mixtures of Experts Route Tokens Cheaply", abstract("sparse mixture-of-experts transformers")),
    P("Diffusion Policies for Robot Grasping", abstract("diffusion models for robot control")),
    P("Retrieval Helps Small Language Models Reason", abstract("retrieval-augmented large language models")),
]
TUESDAY = [
    P("diffusion policies for robot grasping", abstract("diffusion models for robot control")),  # repeat, other case
    P("Quantized Speech Recognition on Phones", abstract("speech recognition with quantization")),
    P("Graph Networks Learn Molecular Forces", abstract("graph neural networks for chemistry")),
]
WITH_META = [
    P("Reward Models Disagree More Than We Think", abstract("reinforcement learning from human feedback"), ("6 authors", "Oct 31, 2024 2")),
    P("Code Generation With Tests In The Loop", abstract("code generation"), ("1 authors", "Mar 31")),
    P("Protein Folding At The Edge", abstract("protein structure prediction"), ("tinylab TinyLab", "Sep 8 12")),
]

LONG_TITLE = "Very Long Title " * 200  # 3,200 characters
HUGE_ABSTRACT = ("An abstract sentence about transformers and attention. " * 1900)[:100_000]

# Hostile text of FORMAT.md: markup, escapes, controls, formula prefixes, BibTeX specials.
HOSTILE = [
    P("[bold red]Markup[/] in a title", "An abstract with [/] and [@click=app.quit]click me[/] inside."),
    P("[Re] Reproducing Sparse Attention", "A reproduction study of sparse attention mechanisms."),
    P("\x1b[31mRed\x1b[0m Escapes \x1b]0;pwned title\x07in titles", "Abstract \x1b[2J\x1b[Hthat clears \x1b[?1049hthe screen."),
    P("Bell\x07 and back\x08space and \x9b31m C1 controls", "Bidi \u202eoverride\u202c and a NUL-free control \x01 char."),
    P("=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1 is a formula too, and so is -2+3 or @SUM(A1)."),
    P("@SUM(A1:A9) Formula Title", "-starts with a minus"),
    P("Unbalanced } brace { and \\input{/etc/passwd} 100% #1 & ~ $x$ a_b c^d", "Backslash \\ and {unbalanced and 50% & more #tags ~tilde $math$ under_score caret^"),
    P("[a link](http://evil.example) *bold* `code` <img src=x onerror=alert(1)> # not a heading", "1. not a list item <script>alert(1)</script> &amp; ![img](x)"),
    P(LONG_TITLE.strip(), "A paper whose title is thousands of characters long."),
    P("A Paper With A Huge Abstract", HUGE_ABSTRACT),
]


_WORDS = (
    "sparse dense attention transformer diffusion policy reward model language vision graph protein speech "
    "robot retrieval agent benchmark scaling quantization pruning distillation token expert routing memory "
    "planning reasoning alignment preference feedback contrastive generative latent video image audio code "
    "molecule structure kernel gradient optimizer curriculum synthetic evaluation robust efficient adaptive"
).split()


def synthetic_digests(folder: Path, files: int, per_file: int, seed: int = 7) -> list[Path]:
    """Digest files of invented papers (unique titles), for volume and crash tests."""
    import random

    rng = random.Random(seed)
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    paths = []
    for f in range(files):
        papers = []
        for n in range(per_file):
            title = f"{' '.join(rng.choice(_WORDS).title() for _ in range(5))} {f}-{n}"
            text = " ".join(rng.choice(_WORDS) for _ in range(180)) + "."
            papers.append(P(title, text.capitalize()))
        date = f"{months[f % 12]} {1 + f // 12 % 28}"
        paths.append(write(folder / f"digest-{f:04d}.txt", page(date, papers)))
    return paths
