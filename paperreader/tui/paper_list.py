"""The paper list: a line-API widget that renders only the rows on screen.

A library can hold 100,000 papers.  DataTable or OptionList would build a
widget row for each (seconds to fill); this list keeps plain ids and renders
the visible lines on demand, so filling it and moving the cursor cost the same
at any size.

Sorted by digest, the rows sit under one heading per digest day instead of
repeating the date on every row (as mutt's and newsboat's date-grouped
listings do), which leaves the width to the title; other orders show a short
date on each row, where it says something.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Literal

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

from ..signals import BADGE_TOP, day_tops
from ..store import Row, RowCache

__all__ = ["PaperList"]

#: Room for the upvotes column: " ▲123".
VOTES_WIDTH = 5
#: The badge before the upvotes of a paper in the top tenth of its day (signals.BADGE_TOP).
TOP_BADGE = "◆"
#: Lines before the end of the list at which it asks for more rows (:class:`PaperList.NearEnd`).
NEAR_END = 40
#: Rendered rows kept for reuse: a scroll by one line then renders one row, not the screen's.
STRIP_CACHE = 512
#: The component styles a row is drawn with, looked up once per repaint.
_STYLE_NAMES = ("read", "unread", "marker", "star", "meta", "tags", "cursor")


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


def _tag_labels(tags: Sequence[str], width: int) -> str:
    """" #rl #agents +2": whole tags that fit in ``width`` cells, then how many did not.

    A tag cut in the middle reads as another tag; a count says there is more.
    """
    out = ""
    for number, tag in enumerate(tags):
        rest = len(tags) - number - 1
        piece = f" #{tag}"
        if cell_len(out + piece + (f" +{rest}" if rest else "")) > width:
            more = f" +{len(tags) - number}"
            return out + more if cell_len(out + more) <= width else out
        out += piece
    return out


def _short_day(iso: str) -> str:
    """ "Nov 12", "Mar  3": a digest's date as the page itself gives it (no year)."""
    day = dt.date.fromisoformat(iso)
    return f"{day:%b} {day.day:2d}"


def _published_day(iso: str | None, digest: str) -> str:
    """ "Nov 10", "Sep 2024": when a paper was published, with the year when it is not its digest's.

    Papers in a digest are often months or years old; "Sep  3" would read as
    this year's.  (As ``ls -l`` does: the year instead of the day for older dates.)
    """
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return _short_day(iso) if iso[:4] == digest[:4] else f"{day:%b} {day.year}"


def _heading(day: dt.date, count: int) -> str:
    return f"{day:%a %b} {day.day}, {day.year} · {count:,} paper{'s' if count != 1 else ''}"


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
        "paper-list--heading",
        "paper-list--rule",
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
    PaperList > .paper-list--heading { color: $text-accent; text-style: bold; }
    PaperList > .paper-list--rule { color: $text-muted; }
    """

    # No repaint of the whole list on a move: the watcher repaints the two lines that changed
    # (a full repaint, every visible line rendered again, cost a frame's time per key).
    cursor: reactive[int] = reactive(0, init=False, repaint=False)
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

    class NearEnd(Message):
        """The cursor or the scroll came within :data:`NEAR_END` lines of the last row.

        A search fetches its rows a page at a time; the app answers this by
        fetching the next page when there is one, before the user runs out.
        ``rows``: how many rows the list had, so that a message about a list
        since replaced (a search's first screen) is told from a current one.
        """

        def __init__(self, rows: int) -> None:
            self.rows = rows
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._ids: list[str] = []
        self._rows: RowCache | None = None
        self._last_reported: str | None = None
        #: Date headings: the index of the first row under each, its day, and the
        #: line each heading takes (headings are lines, not rows: the cursor skips them).
        self._starts: list[int] = []
        self._days: list[dt.date] = []
        self._head_lines: list[int] = []
        #: The date each row shows when no heading gives it: its digest's, or when it was published.
        self._dates: Literal["digest", "published"] = "digest"
        #: The base and component styles of the current repaint (None: look them up again).
        self._styles: tuple[Style, dict[str, Style]] | None = None
        #: Rows already rendered, by everything that decides their look (see :meth:`render_line`).
        self._strips: dict[tuple[object, ...], Strip] = {}
        #: Each digest day's top shares (signals.day_tops), read once per day shown and per set_rows.
        self._tops: dict[str, dict[str, float]] = {}

    # -- data -------------------------------------------------------------------

    @property
    def ids(self) -> Sequence[str]:
        return self._ids

    @property
    def current_id(self) -> str | None:
        return self._ids[self.cursor] if 0 <= self.cursor < len(self._ids) else None

    @property
    def grouped(self) -> bool:
        """Rows sit under date headings (and show no date of their own)."""
        return bool(self._starts)

    def set_rows(
        self,
        ids: list[str],
        rows: RowCache,
        *,
        keep: str | None = None,
        groups: Sequence[tuple[int, dt.date]] = (),
        dates: Literal["digest", "published"] = "digest",
    ) -> None:
        """Show ``ids`` (their rows come from ``rows``); keep the cursor on ``keep`` if listed.

        ``groups``: ``(first index, day)`` of each digest day's run, for a list
        in digest order; each gets a heading line.  ``dates``: the date a row
        shows without a heading, the one the list is sorted by when it is sorted
        by a date (the published date in published order).
        """
        self._ids = ids
        self._rows = rows
        self._dates = dates
        self._tops = {}  # the library may have changed (an import brings new figures)
        self._starts = [start for start, _day in groups]
        self._days = [day for _start, day in groups]
        self._head_lines = [start + number for number, start in enumerate(self._starts)]
        self.virtual_size = Size(0, len(self._ids) + len(self._starts))
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
        self.refresh(Region(0, self.line_of(index) - int(self.scroll_y), self.size.width, 1))

    # -- lines and rows (headings take lines between rows) -------------------------

    def line_of(self, index: int) -> int:
        """The line (from the top of the whole list) that shows row ``index``."""
        return index + bisect_right(self._starts, index)

    def index_at(self, line: int) -> int | None:
        """The row shown on ``line``; None for a heading or past the end."""
        before = bisect_right(self._head_lines, line)
        if before and self._head_lines[before - 1] == line:
            return None
        index = line - before
        return index if 0 <= index < len(self._ids) else None

    def _heading_number(self, line: int) -> int | None:
        number = bisect_left(self._head_lines, line)
        return number if number < len(self._head_lines) and self._head_lines[number] == line else None

    # -- cursor -----------------------------------------------------------------

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self._ids) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self._cursor_changed()
        for index in (old, new):
            self.refresh(Region(0, self.line_of(index) - int(self.scroll_y), self.size.width, 1))

    def _cursor_changed(self) -> None:
        self._scroll_cursor_into_view()
        current = self.current_id
        if current != self._last_reported:
            self._last_reported = current
            self.post_message(self.Highlighted(current))
        self._check_near_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._check_near_end()  # the mouse wheel or the scrollbar scrolls without moving the cursor

    def _check_near_end(self) -> None:
        """Ask for more rows when the cursor or the bottom of the window nears the last row."""
        if not self._ids:
            return
        last_line = len(self._ids) + len(self._starts) - 1
        bottom = int(self.scroll_y) + max(0, self.scrollable_content_region.height)
        if max(self.line_of(self.cursor), bottom) >= last_line - NEAR_END:
            self.post_message(self.NearEnd(len(self._ids)))

    def _scroll_cursor_into_view(self) -> None:
        """Scroll so the cursor's row (and the heading over a day's first row) is on screen.

        ``force``: right after :meth:`set_rows` made the list longer, Textual has
        not yet decided the list needs a scrollbar, and an unforced scroll is
        dropped while there is none; the cursor would sit below the screen.
        """
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = int(self.scroll_y)
        line = self.line_of(self.cursor)
        # The first row of a day brings its heading into view with it.
        first = line - 1 if self._heading_number(line - 1) is not None else line
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True, force=True)
        elif line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True, force=True)

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
        index = self.index_at(event.y + int(self.scroll_y))
        if index is not None:
            self.cursor = index
            if event.chain >= 2:
                self.select_current()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, len(self._ids) + len(self._starts))
        self._scroll_cursor_into_view()

    # -- rendering --------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Fetch the rows of the whole window in one query before drawing it.
        if self._rows is not None:
            top = int(self.scroll_y) + crop.y
            first = top - bisect_right(self._head_lines, top)  # the first row at or below the top line
            self._rows.load(self._ids[max(0, first) : first + crop.height])
        # Styles are looked up once per repaint (focus or theme may have changed since the last).
        self._styles = None
        return super().render_lines(crop)

    def _row_styles(self) -> tuple[Style, dict[str, Style]]:
        """The base style and the component styles, looked up once per repaint, not per line.

        Each lookup walks the DOM; done five times for each of 30 lines it was
        most of a cursor move's cost.
        """
        if self._styles is None:
            components = {name: self.get_component_rich_style(f"paper-list--{name}", partial=True) for name in _STYLE_NAMES}
            self._styles = (self.rich_style, components)
        return self._styles

    def render_line(self, y: int) -> Strip:
        """One line: a heading, or a paper's row, from the cache when nothing it shows changed.

        Scrolling by a line repaints every line on screen; the rows already
        rendered are reused (their key holds all they show: state, title,
        tags, note, votes, date, cursor, width and styles).
        """
        width = self.scrollable_content_region.width
        line = y + int(self.scroll_y)
        heading = self._heading_number(line)
        if heading is not None:
            return self._render_heading(heading, width)
        index = self.index_at(line)
        row = self._rows.get(self._ids[index]) if self._rows is not None and index is not None else None
        if row is None:
            return Strip.blank(width, self.rich_style)
        base, styles = self._row_styles()
        day = "" if self.grouped else self._row_day(row)
        top = self._is_top(row)
        key = (
            row.id, row.title, row.read, row.bookmarked, row.upvotes, row.tags, row.has_note, row.rise, top,
            day, index == self.cursor, width, base, *styles.values(),
        )
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) >= STRIP_CACHE:
                self._strips.clear()
            strip = self._strips[key] = self._render_row(row, day, index == self.cursor, width, base, styles, top)
        return strip

    def _is_top(self, row: Row) -> bool:
        """Is the paper among the top tenth of its newest digest day by that day's upvotes (the badge)?"""
        if row.upvotes is None or self._rows is None:
            return False
        tops = self._tops.get(row.last_digest)
        if tops is None:
            tops = self._tops[row.last_digest] = day_tops(self._rows.store, dt.date.fromisoformat(row.last_digest))
        share = tops.get(row.id)
        return share is not None and share <= BADGE_TOP

    def _render_row(
        self, row: Row, day: str, at_cursor: bool, width: int, base: Style, styles: dict[str, Style], top: bool = False
    ) -> Strip:
        """Draw a paper's row: marker, star, title, tags, note mark, upvotes (with their rise, and
        ``◆`` for the top tenth of its day) and ``day``."""
        text_style = base + styles["read" if row.read else "unread"]
        meta_style = base + styles["meta"]
        tags_style = text_style + styles["tags"]
        if at_cursor:
            cursor = styles["cursor"]
            text_style, meta_style = text_style + cursor, meta_style + cursor
            marker_style = star_style = tags_style = meta_style
        else:
            marker_style = base + styles["marker"]
            star_style = base + styles["star"]

        # The right-hand columns: upvotes, and the day when no heading gives it.
        right = ""
        votes = f"▲{row.upvotes}" if row.upvotes else ""
        if width >= 50:
            rise = f" +{row.rise}" if row.rise and row.rise > 0 else ""  # compact, only when there is a rise
            badge = TOP_BADGE if top else " "
            right = f"{badge}{votes:>{VOTES_WIDTH - 1}}{rise}{day}"  # the badge takes the column's leading space
        elif width >= 36:
            right = day or f" {votes:>{VOTES_WIDTH - 1}}"
        room = width - 4 - cell_len(right)
        # The title comes first; tags follow it in what is left (at most a third
        # when the title needs the room); the note mark is never pushed out.
        note = " ✎" if row.has_note else ""
        room_left = max(0, room - cell_len(note))
        tags = ""
        if row.tags:
            wanted = cell_len("".join(f" #{tag}" for tag in row.tags))
            tags = _tag_labels(row.tags, min(wanted, max(room_left // 3, room_left - cell_len(row.title))))
        title = _fit(row.title, room_left - cell_len(tags)).rstrip()
        pad = " " * max(0, room - cell_len(title) - cell_len(tags) - cell_len(note))
        segments = [
            Segment(" " if row.read else "●", marker_style),
            Segment(" ", text_style),
            Segment("★" if row.bookmarked else " ", star_style),
            Segment(" ", text_style),
            Segment(title, text_style),
            Segment(tags, tags_style),
            Segment(note, tags_style),
            Segment(pad, text_style),
            Segment(right, meta_style),
        ]
        return Strip(segments, width).crop_extend(0, width, Style())

    def _row_day(self, row: Row) -> str:
        """ " Nov 12": the row's date column (blank for a paper with no published date)."""
        if self._dates == "published":
            return f" {_published_day(row.published, row.last_digest):>8}"
        return " " + _short_day(row.last_digest)

    def _render_heading(self, number: int, width: int) -> Strip:
        """ "── Wed Nov 12, 2025 · 8 papers ─────": the digest day over its rows."""
        start = self._starts[number]
        end = self._starts[number + 1] if number + 1 < len(self._starts) else len(self._ids)
        base = self.rich_style
        rule = base + self.get_component_rich_style("paper-list--rule", partial=True)
        label = _fit(_heading(self._days[number], end - start), max(0, width - 4)).rstrip()
        segments = [
            Segment("── ", rule),
            Segment(label, base + self.get_component_rich_style("paper-list--heading", partial=True)),
            Segment(" " + "─" * max(0, width - 4 - cell_len(label)), rule),
        ]
        return Strip(segments, width).crop_extend(0, width, Style())
