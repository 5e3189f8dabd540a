"""The abstract viewer: the full title, metadata and the abstract, highlighted.

Everything shown here is untrusted text, so it is put into ``rich.text.Text``
objects (never parsed as markup) before it reaches a widget.
"""

from __future__ import annotations

from collections.abc import Collection

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..index import highlight_text
from ..models import Paper

__all__ = ["PaperViewer", "paper_text"]


def _highlighted(text: str, terms: Collection[str], style: str) -> Text:
    result = Text(text)
    if terms:
        (snippet,) = highlight_text(text, terms, whole=True)
        for start, end in snippet.spans:
            result.stylize(style, start, end)
    return result


def meta_line(paper: Paper) -> str:
    state = ["read" if paper.read else "unread"]
    if paper.bookmarked:
        state.append("★ bookmarked")
    return " · ".join(paper.describe() + state)


def paper_text(paper: Paper, terms: dict[str, frozenset[str]], match_style: str, tag_style: str = "bold") -> Text:
    """The whole page of one paper as one Text (title, metadata, tags, abstract, note)."""
    title = _highlighted(paper.title, terms.get("title", frozenset()), match_style)
    title.stylize("bold")
    page = Text.assemble(title, "\n", Text(meta_line(paper), style="dim"), f"\n{paper.id}", end="")
    if paper.tags:
        page.append("\n")
        for number, tag in enumerate(paper.tags):
            page.append(("  " if number else "") + "#" + tag, style=tag_style)
    page.append("\n\n")
    page.append_text(_highlighted(paper.abstract, terms.get("abstract", frozenset()), match_style))
    if paper.note:
        page.append("\n\nNote", style="bold")
        page.append("  (N edits)\n", style="dim")
        page.append_text(_highlighted(paper.note, terms.get("note", frozenset()), match_style))
    return page


class PaperViewer(VerticalScroll, can_focus=True):
    """A scrollable page showing one paper; the app tells it what to show."""

    DEFAULT_CSS = """
    PaperViewer { padding: 0 1; scrollbar-size-vertical: 1; }
    PaperViewer > #paper-body { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: What the page shows now (a Text, never markup).
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(id="paper-body", markup=False)

    def show(self, paper: Paper | None, terms: dict[str, frozenset[str]] | None = None) -> None:
        if paper is None:
            self.text = Text("No paper selected.", style="dim")
        else:
            theme = self.app.current_theme
            accent = theme.accent or "yellow"
            self.text = paper_text(paper, terms or {}, f"bold reverse {accent}", f"bold {theme.secondary or 'cyan'}")
        self.query_one("#paper-body", Static).update(self.text)
        if self.scroll_y:
            self.scroll_home(animate=False)

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y
