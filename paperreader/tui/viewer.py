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
from textual.geometry import Size
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


def meta_parts(paper: Paper) -> list[str]:
    """The metadata line's parts: "6 authors", "published 2024-10-31", …, "read", "★ bookmarked"."""
    state = ["read" if paper.read else "unread"]
    if paper.bookmarked:
        state.append("★ bookmarked")
    return paper.describe() + state


def meta_line(paper: Paper) -> str:
    return " · ".join(meta_parts(paper))


def wrap_parts(parts: Sequence[str], width: int) -> list[str]:
    """``parts`` joined by " · " in lines of ``width``, broken only between parts.

    Textual wraps at any space (a no-break space too), which left "★" at the
    end of one line and "bookmarked" alone on the next.  A part wider than the
    whole line gets a line of its own (and is folded there).
    """
    lines: list[str] = []
    for number, part in enumerate(parts):
        room = width if number == len(parts) - 1 else width - 2  # a line goes on with " ·"
        if lines and len(lines[-1]) + 3 + len(part) <= room:
            lines[-1] += " · " + part
        elif lines and len(lines[-1]) + 2 <= width:
            lines[-1] += " ·"
            lines.append(part)
        else:  # no room left for the separator: it opens the next line
            lines.append(("· " if lines else "") + part)
    return lines


class MetaLine(Static):
    """The metadata line, wrapped between its parts only (see :func:`wrap_parts`), at the width it has."""

    DEFAULT_CSS = "MetaLine { width: 100%; height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.parts: list[str] = []

    def show(self, parts: Sequence[str]) -> None:
        self.parts = list(parts)
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_region.width or self.app.size.width
        return Text("\n".join(wrap_parts(self.parts, max(1, width))), style="dim")

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        lines = wrap_parts(self.parts, max(1, width))
        return sum(max(1, -(-len(line) // max(1, width))) for line in lines)


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
    return Text.assemble(
        Text(meta_line(paper), style="dim"), "\n", below_meta(paper, terms, match_style, tag_style, signals), end=""
    )


def below_meta(
    paper: Paper, terms: dict[str, frozenset[str]], match_style: str, tag_style: str = "bold", signals: str | None = None
) -> Text:
    """The page below the metadata line (which the viewer shows in a widget of its own, :class:`MetaLine`)."""
    page = Text(end="")
    if signals:
        page.append(signals + "\n", style="bold")
    page.append(paper.id)
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
    PaperViewer > #paper-why { width: 100%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: The whole page (a Text, never markup); on screen the title is cut at TITLE_LINES lines.
        self.text = Text()

    def compose(self) -> ComposeResult:
        yield Static(id="paper-title", markup=False)
        yield Static(id="paper-why", markup=False)
        yield MetaLine(id="paper-meta")
        yield Static(id="paper-body", markup=False)

    def show(self, paper: Paper | None, terms: dict[str, frozenset[str]] | None = None, *, why: str | None = None) -> None:
        """Show ``paper``; ``why`` is the "for you" line (why it ranks there), shown under its metadata."""
        why_text = Text()
        parts: list[str] = []
        if paper is None:
            title, body = Text(), Text("No paper selected.", style="dim")
            self.text = shown = body
        else:
            theme = self.app.current_theme
            match = f"bold reverse {theme.accent or 'yellow'}"
            tag_style = f"bold {theme.secondary or 'cyan'}"
            title = title_text(paper, terms or {}, match)
            library = getattr(self.app, "library", None)
            signals = describe_signals(library.store, paper.id) if library is not None else None
            body = body_text(paper, terms or {}, match, tag_style, signals)
            # On screen the metadata line has a widget of its own, wrapped between its parts only.
            parts, shown = meta_parts(paper), below_meta(paper, terms or {}, match, tag_style, signals)
            if why:
                # Its words come from abstracts: a Text, never markup, with no control characters.
                why_text = Text(printable(why), style=f"italic {theme.secondary or 'cyan'}")
                body = Text.assemble(why_text, "\n", body, end="")
            self.text = Text.assemble(title, "\n", body, end="")
        title_widget = self.query_one("#paper-title", Static)
        title_widget.display = bool(title)
        title_widget.update(ClampedText(title, TITLE_LINES))
        why_widget = self.query_one("#paper-why", Static)
        why_widget.display = bool(why_text)
        why_widget.update(why_text)
        meta = self.query_one(MetaLine)
        meta.display = bool(parts)
        meta.show(parts)
        self.query_one("#paper-body", Static).update(shown)
        if self.scroll_y:
            self.scroll_home(animate=False)

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y
