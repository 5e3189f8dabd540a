"""The paper list: a line-API widget that renders only the rows on screen.

A library can hold 100,000 papers.  DataTable or OptionList would build a
widget row for each (seconds to fill); this list keeps plain ids and renders
the visible lines on demand, so filling it and moving the cursor cost the same
at any size.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..store import RowCache

__all__ = ["PaperList"]


def _fit(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` cells with an ellipsis; pad it to exactly that."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out, used = [], 0
    for char in text:
        size = cell_len(char)
        if used + size > width - 1:
            break
        out.append(char)
        used += size
    return "".join(out) + "…" + " " * (width - 1 - used)


class PaperList(ScrollView, can_focus=True):
    """A scrolling list of papers with a cursor; reports up with messages."""

    BINDINGS: list[BindingType] = [
        Binding("j,down", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g,home", "first", "First", show=False, id="list.first"),
        Binding("G,end", "last", "Last", show=False, id="list.last"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
    ]

    COMPONENT_CLASSES = {
        "paper-list--cursor",
        "paper-list--unread",
        "paper-list--read",
        "paper-list--marker",
        "paper-list--star",
        "paper-list--meta",
        "paper-list--tags",
    }

    DEFAULT_CSS = """
    PaperList {
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
    }
    PaperList > .paper-list--cursor {
        background: $block-cursor-blurred-background;
    }
    PaperList:focus > .paper-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    PaperList > .paper-list--unread { text-style: bold; color: $foreground; }
    PaperList > .paper-list--read { color: $text-muted; }
    PaperList > .paper-list--marker { color: $accent; }
    PaperList > .paper-list--star { color: $warning; }
    PaperList > .paper-list--meta { color: $text-muted; }
    PaperList > .paper-list--tags { color: $secondary; text-style: not bold; }
    """

    cursor: reactive[int] = reactive(0, init=False)
    """Index of the highlighted row in the current list."""

    class Highlighted(Message):
        """The cursor moved to another paper (None: the list is empty)."""

        def __init__(self, paper_id: str | None) -> None:
            self.paper_id = paper_id
            super().__init__()

    class Selected(Message):
        """The user opened a paper (enter, or a double click)."""

        def __init__(self, paper_id: str) -> None:
            self.paper_id = paper_id
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._ids: list[str] = []
        self._rows: RowCache | None = None
        self._last_reported: str | None = None

    # -- data -------------------------------------------------------------------

    @property
    def ids(self) -> Sequence[str]:
        return self._ids

    @property
    def current_id(self) -> str | None:
        return self._ids[self.cursor] if 0 <= self.cursor < len(self._ids) else None

    def set_rows(self, ids: list[str], rows: RowCache, *, keep: str | None = None) -> None:
        """Show ``ids`` (their rows come from ``rows``); keep the cursor on ``keep`` if listed."""
        self._ids = ids
        self._rows = rows
        self.virtual_size = Size(0, len(self._ids))
        index = self._ids.index(keep) if keep is not None and keep in self._ids else 0
        self._last_reported = None
        if index != self.cursor:
            self.cursor = index  # the watcher reports and scrolls
        else:
            self._cursor_changed()
        self.refresh()

    def refresh_paper(self, paper_id: str) -> None:
        """Repaint the line of one paper (its read/bookmark state changed)."""
        try:
            index = self._ids.index(paper_id)
        except ValueError:
            return
        self.refresh(Region(0, index - int(self.scroll_y), self.size.width, 1))

    # -- cursor -----------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._ids) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._cursor_changed()
        for index in (old, new):
            self.refresh(Region(0, index - int(self.scroll_y), self.size.width, 1))

    def _cursor_changed(self) -> None:
        self._scroll_cursor_into_view()
        current = self.current_id
        if current != self._last_reported:
            self._last_reported = current
            self.post_message(self.Highlighted(current))

    def _scroll_cursor_into_view(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self._ids) - 1

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def select_current(self) -> None:
        if self.current_id is not None:
            self.post_message(self.Selected(self.current_id))

    def on_click(self, event: events.Click) -> None:
        index = event.y + int(self.scroll_y)
        if 0 <= index < len(self._ids):
            self.cursor = index
            if event.chain >= 2:
                self.select_current()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, len(self._ids))
        self._scroll_cursor_into_view()

    # -- rendering --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Fetch the rows of the whole window in one query before drawing it.
        if self._rows is not None:
            top = int(self.scroll_y) + crop.y
            self._rows.load(self._ids[top : top + crop.height])
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = y + int(self.scroll_y)
        base = self.rich_style
        row = self._rows.get(self._ids[index]) if self._rows is not None and 0 <= index < len(self._ids) else None
        if row is None:
            return Strip.blank(width, base)
        style = lambda name: self.get_component_rich_style(name, partial=True)  # noqa: E731
        text_style = base + style("paper-list--read" if row.read else "paper-list--unread")
        meta_style = base + style("paper-list--meta")
        tags_style = text_style + style("paper-list--tags")
        if index == self.cursor:
            cursor = style("paper-list--cursor")
            text_style, meta_style = text_style + cursor, meta_style + cursor
            marker_style = star_style = tags_style = meta_style
        else:
            marker_style = base + style("paper-list--marker")
            star_style = base + style("paper-list--star")

        right = ""
        if width >= 50:
            votes = f"▲{row.upvotes}" if row.upvotes else ""
            right = f" {votes:>5} {row.last_digest}"
        elif width >= 36:
            right = f" {row.last_digest[5:]}"
        # Tags (and ✎ for a note) follow the title, cut first when space is short.
        labels = " ".join(f"#{tag}" for tag in row.tags) + (" ✎" if row.has_note else "")
        room = width - 4 - len(right)
        labels = _fit(" " + labels.strip(), min(cell_len(labels) + 1, room // 3)).rstrip() if labels else ""
        title = _fit(row.title, room - cell_len(labels))
        segments = [
            Segment(" " if row.read else "●", marker_style),
            Segment(" ", text_style),
            Segment("★" if row.bookmarked else " ", star_style),
            Segment(" ", text_style),
            Segment(title[: len(title.rstrip())] if labels else title, text_style),
            Segment(labels, tags_style),
            Segment(" " * (cell_len(title) - cell_len(title.rstrip())) if labels else "", text_style),
            Segment(right, meta_style),
        ]
        return Strip(segments, width).crop_extend(0, width, Style())
