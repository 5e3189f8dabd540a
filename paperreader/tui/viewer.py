"""The abstract viewer: the full title, metadata and the abstract, highlighted.

Everything shown here is untrusted text, so it is put into ``rich.text.Text``
objects (never parsed as markup) before it reaches a widget.

The title is shown at most :data:`TITLE_LINES` lines, ending in an ellipsis:
a digest can hold a title of thousands of characters, and the metadata and
the abstract below it must stay on screen (``c`` copies the whole title).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..index import highlight_text
from ..signals import describe_signals
from ..text import printable
from ..models import Paper

__all__ = ["PaperViewer", "paper_text", "ClampedText", "TITLE_LINES"]

#: The most lines the viewer gives a title.
TITLE_LINES = 4


def _highlighted(text: str, terms: Collection[str], style: str) -> Text:
    result = Text(text)
    if terms:
        (snippet,) = highlight_text(text, terms, whole=True)
        for start, end in snippet.spans:
            result.stylize(style, start, end)
    return result


class ClampedText:
    """A Text wrapped to the width it is given, cut after ``max_lines`` lines with an ellipsis.

    A renderable rather than a cut string, because where the lines break
    depends on the width, which changes with the terminal.
    """

    def __init__(self, text: Text, max_lines: int) -> None:
        self.text = text
        self.max_lines = max_lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        lines = list(self.text.wrap(console, width, overflow="fold"))
        if len(lines) > self.max_lines:
            del lines[self.max_lines :]
            last = lines[-1]
            last.rstrip()
            last.truncate(width - 1)
            last.append("…", style=self.text.style)
        for line in lines:
            line.rstrip()
            line.end = "\n"  # Textual counts a renderable's lines by its newlines
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text)


def meta_line(paper: Paper) -> str:
    state = ["read" if paper.read else "unread"]
    if paper.bookmarked:
        state.append("★ bookmarked")
    return " · ".join(paper.describe() + state)


def title_text(paper: Paper, terms: dict[str, frozenset[str]], match_style: str) -> Text:
    title = _highlighted(paper.title, terms.get("title", frozenset()), match_style)
    title.stylize("bold")
    return title


def paper_text(paper: Paper, terms: dict[str, frozenset[str]], match_style: str, tag_style: str = "bold") -> Text:
    """The whole page of one paper as one Text (title, metadata, tags, abstract, note)."""
    return Text.assemble(
        title_text(paper, terms, match_style), "\n", body_text(paper, terms, match_style, tag_style), end=""
    )


def links_text(links: Sequence[str], style: str = "underline") -> Text:
    """The abstract's links, one a line, each a terminal hyperlink (OSC 8, through Rich's ``Style(link=)``).

    The links were checked at import (links.py): http(s) only, URL characters
    only, so neither the text shown nor the link target can carry an escape
    sequence; Rich writes the OSC 8 sequence itself.
    """
    text = Text()
    for number, url in enumerate(links):
        text.append("\n" if number else "")
        text.append(url, style=Style.parse(style) + Style(link=url))
    return text


def body_text(
    paper: Paper, terms: dict[str, frozenset[str]], match_style: str, tag_style: str = "bold", signals: str | None = None
) -> Text:
    """The page below the title: metadata, the page's signals (momentum, day rank), tags, abstract, links, note."""
    page = Text.assemble(Text(meta_line(paper), style="dim"), end="")
    if signals:
        page.append("\n" + signals, style="bold")
    page.append(f"\n{paper.id}")
    if paper.tags:
        page.append("\n")
        for number, tag in enumerate(paper.tags):
            page.append(("  " if number else "") + "#" + tag, style=tag_style)
    page.append("\n\n")
    page.append_text(_highlighted(paper.abstract, terms.get("abstract", frozenset()), match_style))
    if paper.links:
        page.append("\n\nLinks", style="bold")
        page.append("  (L: open, search arXiv or Hugging Face)\n", style="dim")
        page.append_text(links_text(paper.links))
    if paper.note:
        page.append("\n\nNote", style="bold")
        page.append("  (N edits)\n", style="dim")
        page.append_text(_highlighted(paper.note, terms.get("note", frozenset()), match_style))
    return page


class PaperViewer(VerticalScroll, can_focus=True):
    """A scrollable page showing one paper; the app tells it what to show.

    In the opened abstract ``q`` goes back to the list, as it leaves the pager
    in mutt and newsboat (where users' fingers expect it); in the list ``q``
    still quits.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.close_paper", "Back", tooltip="back to the list (q in the list quits)", id="viewer.back"),
    ]

    DEFAULT_CSS = """
    PaperViewer { padding: 0 1; scrollbar-size-vertical: 1; }
    PaperViewer > #paper-title { width: 100%; }
    PaperViewer > #paper-body { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: The whole page (a Text, never markup); on screen the title is cut at TITLE_LINES lines.
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(id="paper-title", markup=False)
        yield Static(id="paper-body", markup=False)

    def show(self, paper: Paper | None, terms: dict[str, frozenset[str]] | None = None, *, why: str | None = None) -> None:
        """Show ``paper``; ``why`` is the "for you" line (why it ranks there), shown under its metadata."""
        if paper is None:
            title, body = Text(), Text("No paper selected.", style="dim")
            self.text = body
        else:
            theme = self.app.current_theme
            match = f"bold reverse {theme.accent or 'yellow'}"
            title = title_text(paper, terms or {}, match)
            library = getattr(self.app, "library", None)
            signals = describe_signals(library.store, paper.id) if library is not None else None
            body = body_text(paper, terms or {}, match, f"bold {theme.secondary or 'cyan'}", signals)
            if why:
                # Its words come from abstracts: a Text, never markup, with no control characters.
                body = Text.assemble(Text(printable(why), style=f"italic {theme.secondary or 'cyan'}"), "\n", body, end="")
            self.text = Text.assemble(title, "\n", body, end="")
        title_widget = self.query_one("#paper-title", Static)
        title_widget.display = bool(title)
        title_widget.update(ClampedText(title, TITLE_LINES))
        self.query_one("#paper-body", Static).update(body)
        if self.scroll_y:
            self.scroll_home(animate=False)

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y
