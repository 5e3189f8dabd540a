"""The Catch up screen: after days away, each day's few papers worth reading, and the rest in one key.

One block per day with unread papers, newest first: a heading, the day's top
picks (see :mod:`paperreader.catchup`), a row for "the rest" of its unread
papers, and the day's topic clusters (computed in a thread, they appear when
ready).  The keys act on the highlighted row: a paper, the rest of a day or a
cluster.  ``x`` marks the rest of the day read and goes on to the next day, so
a week is triaged in a few keys a day.  Each change is one journaled action
(``u`` takes it back, here or in the reader).  ``enter`` shows the row's
papers in the reader's list.

The selection is made once, when the screen opens: marking a pick read does
not pull another paper into its place, so the rows stay where the eye left
them; only their marks and counts follow the changes.  Titles and cluster
words come from the digests (untrusted): every row is a rich ``Text``, made
printable.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from .. import catchup as core
from ..catchup import Catchup, CatchupDay
from ..clusters import Cluster, day_clusters
from ..journal import JournalError
from ..library import Library
from ..store import StoreError, View
from ..text import parse_tags, printable
from .annotate import TagScreen, ask_tags_to_add

__all__ = ["CatchupScreen", "CatchupChoice", "ChosenPapers", "Before", "cluster_row"]

RowKind = Literal["day", "paper", "rest", "cluster"]


@dataclass(frozen=True, slots=True)
class CatchupChoice:
    """Papers to show in the reader: a day's picks, its rest or a cluster, and what to call them."""

    date: dt.date
    ids: tuple[str, ...]
    what: str


@dataclass(frozen=True, slots=True)
class Before:
    """The reader's list as it was before a chosen set of papers replaced it: what escape brings back."""

    query: str
    view: View
    digest: dt.date | None
    cursor: str | None


@dataclass(frozen=True, slots=True)
class ChosenPapers:
    """The reader's list showing a chosen set of papers (a cluster, a day's top, its rest) under a name.

    Not a query on their ids: the filter bar stays the user's, the status names
    the set ("cluster: diffusion · video · editing (9)"), the state filter in
    force still applies, and ``before`` is the list escape returns to.
    """

    ids: tuple[str, ...]
    label: str
    before: Before

    def describe(self) -> str:
        """ "cluster: diffusion · video · editing (9)": the set's name and size, made printable."""
        return f"{printable(self.label)} ({len(self.ids):,})"


@dataclass(frozen=True, slots=True)
class _Row:
    kind: RowKind
    day: CatchupDay
    ids: tuple[str, ...]
    cluster: Cluster | None = None


def _same_row(a: _Row, b: _Row) -> bool:
    """The same row of the screen, rebuilt: same kind, day and papers."""
    return a.kind == b.kind and a.day.date == b.day.date and a.ids == b.ids


def chosen_label(cluster: Cluster) -> str:
    """How the reader's status names a cluster opened in the list: "cluster: diffusion · video · editing"."""
    return f"cluster: {cluster.label}"


def cluster_row(cluster: Cluster, unread: int, *, width: int | None = None, indent: str = "  ") -> Text:
    """ "◆ diffusion · video · editing (9, 7 unread)": a cluster as a row (its words made printable).

    ``width`` fits it to a narrow pane (an option list would wrap a long
    prompt anywhere, or a cut one would read "retrieval · …"): what does not
    fit one line goes on to the next, word by word, the counts last.  The
    counts read the same on the Catch up and digests screens.
    """
    counts = f"({cluster.size:,}, " + (f"{unread:,} unread)" if unread else "all read)")
    mark = indent + ("◆ " if not cluster.other else "◇ ")
    words_style = "dim italic" if cluster.other else "bold"
    words = [printable(word) for word in (cluster.terms if not cluster.other and cluster.terms else (cluster.label,))]
    one = f"{mark}{' · '.join(words)} {counts}"
    if width is None or len(one) <= width:
        row = Text(mark, style="dim" if cluster.other else "", no_wrap=True, overflow="ellipsis")
        row.append(" · ".join(words), style=words_style)
        row.append(" " + counts, style="dim")
        return row
    lines: list[Text] = []
    line = Text(mark, style="dim" if cluster.other else "")
    pending = ""  # the separator owed before the next word on this line
    for word in words:
        if line.cell_len + len(pending) + len(word) > width and line.cell_len > len(mark):
            line.append(pending.rstrip(), style=words_style)
            lines.append(line)
            line, pending = Text(" " * len(mark)), ""
        line.append(pending + word, style=words_style)
        pending = " · "
    if line.cell_len + 1 + len(counts) <= width:
        line.append(" " + counts, style="dim")
        lines.append(line)
    else:
        lines += [line, Text(" " * len(mark) + counts, style="dim")]
    for part in lines:  # a single word longer than the pane is cut, never wrapped by the list
        part.no_wrap, part.overflow = True, "ellipsis"
        part.truncate(max(4, width), overflow="ellipsis")
    return Text("\n", no_wrap=True).join(lines)


class CatchupList(OptionList):
    """The screen's rows: ↓/j stop at the last row and ↑/k at the first, as in the reader's list.

    Textual's option list wraps round from the last row to the first; here that
    jumped from the oldest day back to the newest.  A day's heading is a
    disabled row: reaching the day's first row scrolls its heading into view
    too, so the top of the list shows the first day's heading again.
    """

    def _step(self, direction: Literal[-1, 1]) -> None:
        here = self.highlighted
        if here is None:
            self.action_first() if direction == 1 else self.action_last()
            return
        index = here + direction
        while 0 <= index < self.option_count:
            if not self.get_option_at_index(index).disabled:
                self.highlighted = index
                return
            index += direction
        if direction == -1:  # on the first row already: show what is above it (its day's heading)
            self.scroll_to_highlight()

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def scroll_to_highlight(self, top: bool = False) -> None:
        """Bring the highlighted row into view whole, with the disabled rows (its day's heading) just above it."""
        highlighted = self.highlighted
        if highlighted is None or not self.is_mounted:
            return
        first = highlighted
        while first > 0 and self.get_option_at_index(first - 1).disabled:
            first -= 1
        self._update_lines()
        try:
            start = self._index_to_line[first]
            end = self._index_to_line[highlighted] + self._heights[highlighted]
        except KeyError:
            super().scroll_to_highlight(top)
            return
        height = self.scrollable_content_region.height
        if end - start > height:  # no room for the heading: the row itself, whole
            super().scroll_to_highlight(top)
            return
        self.scroll_to_region(
            Region(0, start, self.scrollable_content_region.width, end - start),
            force=True,
            animate=False,
            top=top,
            immediate=True,
        )


class CatchupScreen(Screen[CatchupChoice | None]):
    """The days to catch up on; the app passes the library and what to do after each change."""

    DEFAULT_CSS = """
    CatchupScreen #catchup-body { height: 1fr; padding: 0 1; }
    CatchupScreen #catchup-title { height: auto; width: 100%; padding: 0 0 1 0; }
    CatchupScreen #catchup-list { height: 1fr; border: none; }
    CatchupScreen #catchup-help { height: auto; width: 100%; color: $text-muted; }
    """

    BINDINGS = [
        Binding("escape,q,C", "dismiss(None)", "Back", tooltip="back to the reader", id="catchup.close"),
        Binding("x", "rest_read", "Rest read", tooltip="mark the rest of this day read, go on to the next day", id="catchup.rest"),
        Binding("r", "read", "Read", tooltip="toggle the paper read; on a cluster or the rest: mark them all read", id="catchup.read"),
        Binding("b", "bookmark", "Bookmark", tooltip="toggle the bookmark; on a cluster: bookmark all of it", id="catchup.bookmark"),
        Binding("t", "tag", "Tag", tooltip="tag the paper, or every paper of the cluster", id="catchup.tag"),
        Binding("u", "undo", "Undo", tooltip="undo the newest change (here or in the reader)", id="catchup.undo"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="next row (as ↓)", id="catchup.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous row (as ↑)", id="catchup.up"),
        Binding("g", "first", "First", show=False, tooltip="the first paper (as Home)", id="catchup.first"),
        Binding("G", "last", "Last", show=False, tooltip="the last row (as End)", id="catchup.last"),
    ]

    class ClustersReady(Message):
        def __init__(self, date: dt.date, clusters: list[Cluster]) -> None:
            self.date = date
            self.clusters = clusters
            super().__init__()

    def __init__(self, library: Library, found: Catchup, on_change: Callable[[bool], None]) -> None:
        """``on_change(content)`` is called after each change (content: tags changed, the index must follow)."""
        super().__init__()
        self._library = library
        self._found = found
        self._on_change = on_change
        self._clusters: dict[dt.date, list[Cluster]] = {}
        self._rows: list[_Row] = []
        #: (read, bookmarked) of every paper the screen shows or counts.
        self._state: dict[str, tuple[bool, bool]] = {}
        #: Days in the range shown with unread papers all shown under a later day (the title names them).
        self._hidden_days: list[dt.date] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="catchup-body"):
            yield Label(self._title(), id="catchup-title")
            yield CatchupList(id="catchup-list")
            yield Label(
                Text(
                    "x: the rest of the day read, next day · r b t: read, bookmark, tag the row "
                    "(a paper, a cluster, the rest) · enter: show them in the list · u: undo",
                    style="dim",
                ),
                id="catchup-help",
            )
        yield Footer()

    def _title(self) -> Text:
        found = self._found
        if not found.days:
            return Text("Nothing to catch up on: every paper is read.", style="bold")
        how = "for you" if found.ranking == "for you" else "by upvotes within each day"
        unread = self.unread_count() if self._state else found.unread
        title = Text.assemble(
            ("Catch up", "bold"),
            f"  {unread:,} unread in {len(found.days)} day{'s' if len(found.days) != 1 else ''}"
            f" · the top of each ranked {how}",
        )
        hidden = self._hidden_days
        if hidden:
            names = ", ".join(f"{day:%b} {day.day}" for day in hidden)
            title.append(f" · {names}'s unread all show under a later day", style="dim")
        if found.older_unread:
            title.append(f" · {found.older_unread:,} more on older days", style="dim")
        if found.note:
            title.append(f"\n{printable(found.note)}", style="dim")
        return title

    def _days_under_later_days(self) -> list[dt.date]:
        """Days among those shown whose unread papers are all in a later digest too, so have no block.

        The digests screen and ``stats`` count such a day as a day with unread
        papers: the title names it, or "in 3 days" would contradict their 4.
        """
        shown = {day.date for day in self._found.days}
        if not shown:
            return []
        first, last = min(shown), max(shown)
        return [
            day.date
            for day in self._library.store.digest_days()
            if day.unread and first <= day.date <= last and day.date not in shown
        ]

    def on_mount(self) -> None:
        self._read_states()
        self._build()
        options = self.query_one(OptionList)
        options.focus()
        first = next((n for n, row in enumerate(self._rows) if row.kind != "day"), None)
        if first is not None:
            options.highlighted = first
        for day in self._found.days:
            self._load_clusters(day.date)

    # -- the rows ------------------------------------------------------------------------------

    def _all_ids(self) -> list[str]:
        ids: list[str] = []
        for day in self._found.days:
            ids += [pick.paper.id for pick in day.top] + list(day.rest) + list(day.later)
            for cluster in self._clusters.get(day.date, []):
                ids += cluster.ids
        return list(dict.fromkeys(ids))

    def _read_states(self) -> None:
        self._hidden_days = self._days_under_later_days()
        self._state = {snap.id: (snap.read, snap.bookmarked) for snap in self._library.store.snapshot(self._all_ids())}

    def unread_count(self) -> int:
        """Unread papers of the days shown, as they are now (the title's figure)."""
        return sum(self._unread([pick.paper.id for pick in day.top]) + self._unread(day.rest) for day in self._found.days)

    def _unread(self, ids: Sequence[str]) -> int:
        return sum(1 for pid in ids if not self._state.get(pid, (True, False))[0])

    def _build(self) -> None:
        """(Re)draw every row from the selection, the clusters so far and the papers' states; the cursor stays."""
        options = self.query_one(OptionList)
        was = self.current  # the cursor stays on its row, though clusters arriving above it add rows
        keep = options.highlighted
        rows: list[_Row] = []
        prompts: list[Option] = []
        for day in self._found.days:
            picks = tuple(pick.paper.id for pick in day.top)
            later = self._unread(day.later)  # counted as the digests screen counts the day, shown under a later one
            unread = self._unread(picks) + self._unread(day.rest) + later
            heading = Text(no_wrap=True, overflow="ellipsis")
            heading.append(f"── {day.date:%a %b} {day.date.day}, {day.date.year} ", style="bold")
            heading.append(f"· {unread:,} unread of {day.papers:,}", style="dim")
            if later:
                heading.append(f" · {day.later_text(later)}", style="dim")
            heading.append(" ──", style="dim")
            rows.append(_Row("day", day, picks))
            prompts.append(Option(heading, disabled=True))
            for pick in day.top:
                rows.append(_Row("paper", day, (pick.paper.id,)))
                prompts.append(Option(self._paper_row(pick)))
            left = self._unread(day.rest)
            rest = Text(no_wrap=True)
            if left:
                rest.append(f"  + {left:,} more unread", style="bold")
                rest.append("  (x marks them read)", style="dim")
            else:
                rest.append(f"  ✓ the other {len(day.rest):,} read" if day.rest else "  (no others)", style="dim")
            rows.append(_Row("rest", day, day.rest))
            prompts.append(Option(rest))
            for cluster in self._clusters.get(day.date, []):
                rows.append(_Row("cluster", day, cluster.ids, cluster))
                prompts.append(Option(cluster_row(cluster, self._unread(cluster.ids))))
        self._rows = rows
        options.clear_options()
        options.add_options(prompts)
        same = [n for n, row in enumerate(rows) if was is not None and _same_row(row, was)]
        if same:
            options.highlighted = same[0]
        elif keep is not None and keep < len(rows):
            options.highlighted = keep
        self.query_one("#catchup-title", Label).update(self._title())

    def _paper_row(self, pick: core.Pick) -> Text:
        read, marked = self._state.get(pick.paper.id, (pick.paper.read, pick.paper.bookmarked))
        row = Text(no_wrap=True, overflow="ellipsis")
        row.append("  ")
        row.append("★" if marked else " ", style="yellow")
        row.append(" " if read else "●", style="bold")
        votes = f"▲{pick.paper.upvotes}" if pick.paper.upvotes is not None else ""
        row.append(f" {votes:>5} ", style="dim")
        row.append(printable(pick.paper.title), style="" if read else "bold")
        if not pick.why:
            return row
        why = Text(f"  {printable(pick.why)}", style="dim italic")
        width = self._row_width()
        if row.cell_len + why.cell_len <= width:  # title and why fit on one line
            row.append_text(why)
            return row
        # Else the why gets a line of its own under the title (a why cut to "(s…" says nothing):
        # each line is cut to the row's width, never wrapped by the option list.
        # The why wraps, word by word, on as many lines as it needs: cut, "(sparsity, accele…" hid the words.
        indent = 2 + 1 + 1 + 7  # under the title: "  ", the star, the dot, " ▲1234 "
        row.truncate(max(12, width), overflow="ellipsis")
        lines = [row]
        for part in textwrap.wrap(printable(pick.why), max(8, width - indent), break_on_hyphens=False):
            line = Text(" " * indent, no_wrap=True, overflow="ellipsis")
            line.append(part, style="dim italic")
            line.truncate(max(12, width), overflow="ellipsis")
            lines.append(line)
        return Text("\n", no_wrap=True).join(lines)

    def _row_width(self) -> int:
        """Columns a row has (an option list wraps a longer prompt onto a second line)."""
        width = self.query_one(OptionList).scrollable_content_region.width
        return (width if width > 0 else self.app.size.width - 4) - 1

    def on_resize(self) -> None:
        if self._rows:
            self._build()

    # -- clusters, in a thread ---------------------------------------------------------------------

    @work(thread=True, group="catchup-clusters", exit_on_error=False)
    def _load_clusters(self, day: dt.date) -> None:
        self.post_message(self.ClustersReady(day, day_clusters(self._library.store, day)))

    def on_catchup_screen_clusters_ready(self, message: ClustersReady) -> None:
        self._clusters[message.date] = message.clusters
        self._read_states()
        self._build()

    # -- acting on the highlighted row ----------------------------------------------------------------

    @property
    def current(self) -> _Row | None:
        highlighted = self.query_one(OptionList).highlighted
        return self._rows[highlighted] if highlighted is not None and highlighted < len(self._rows) else None

    def _what(self, row: _Row) -> str:
        """How the history names the row's papers: "cluster diffusion · video", "the rest of Nov 12"."""
        if row.cluster is not None:
            return core.cluster_what(row.cluster)
        return core.rest_what(row.day.date)

    def _changed(self, message: str, *, content: bool = False) -> None:
        self._read_states()
        self._build()
        self._on_change(content)
        self.notify(message, markup=False, timeout=3)

    def _refused(self, error: Exception) -> None:
        self.notify(f"Not saved: {error}", severity="error", markup=False, timeout=8)

    def action_rest_read(self) -> None:
        """x: the rest of the highlighted row's day read (one action), and the cursor on to the next day."""
        row = self.current
        if row is None:
            return
        try:
            count = core.mark_read(self._library.store, row.day.rest, core.rest_what(row.day.date))
        except StoreError as error:
            self._refused(error)
            return
        self._changed(
            f"Marked {count:,} paper{'s' if count != 1 else ''} of {row.day.date:%b} {row.day.date.day} read. u undoes it."
            if count else "The rest of this day is read already.",
        )
        self._next_day(row.day)

    def _next_day(self, day: CatchupDay) -> None:
        """The cursor on the first pick of the day after ``day`` (the next one older)."""
        days = [d.date for d in self._found.days]
        later = days.index(day.date) + 1
        if later >= len(days):
            return
        for number, row in enumerate(self._rows):
            if row.day.date == days[later] and row.kind != "day":
                self.query_one(OptionList).highlighted = number
                return

    def action_read(self) -> None:
        row = self.current
        if row is None or row.kind == "day":
            return
        store = self._library.store
        try:
            if row.kind == "paper":
                pid = row.ids[0]
                read = not self._state.get(pid, (False, False))[0]
                store.set_state([pid], read=read)
                self._changed("Marked read." if read else "Marked unread.")
                return
            count = core.mark_read(store, row.ids, self._what(row))
        except StoreError as error:
            self._refused(error)
            return
        what = f"cluster {printable(row.cluster.label)}" if row.cluster is not None else "the rest"
        self._changed(f"Marked {count:,} papers read ({what}). u undoes it." if count else "All read already.")

    def action_bookmark(self) -> None:
        row = self.current
        if row is None or row.kind in ("day", "rest"):
            return
        store = self._library.store
        try:
            if row.kind == "paper":
                pid = row.ids[0]
                marked = not self._state.get(pid, (False, False))[1]
                store.set_state([pid], bookmarked=marked)
                self._changed("Bookmarked." if marked else "Removed the bookmark.")
                return
            count = core.bookmark(store, row.ids, self._what(row))
        except StoreError as error:
            self._refused(error)
            return
        self._changed(f"Bookmarked {count:,} papers (the cluster). u undoes it." if count else "All bookmarked already.")

    @work(exclusive=True, group="catchup-tag")
    async def action_tag(self) -> None:
        row = self.current
        if row is None or row.kind in ("day", "rest"):
            return
        store = self._library.store
        if row.kind == "paper":
            paper = store.get(row.ids[0])
            if paper is None:
                return
            tags = await self.app.push_screen_wait(TagScreen(printable(paper.title), paper.tags, store.all_tags(), adding=True))
            if tags is None:
                return
            try:
                store.set_tags([paper.id], replace=parse_tags(" ".join(tags)))
            except StoreError as error:
                self._refused(error)
                return
            self._changed("Tags saved.", content=True)
            return
        assert row.cluster is not None
        tags = await ask_tags_to_add(self, row.cluster, store.all_tags())
        if tags is None:
            return
        try:
            count = core.tag(store, row.ids, parse_tags(" ".join(tags)), self._what(row))
        except StoreError as error:
            self._refused(error)
            return
        self._changed(f"Tagged {count:,} papers. u undoes it.", content=True)

    def action_undo(self) -> None:
        try:
            outcome = self._library.store.journal.undo()
        except (StoreError, JournalError) as error:
            self._refused(error)
            return
        self._changed(outcome.message(), content=outcome.reindex)

    @on(OptionList.OptionSelected, "#catchup-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        """enter: show the row's papers in the reader (a paper: its day's picks; the rest; a cluster)."""
        row = self.current
        if row is None or not row.ids:
            return
        if row.kind == "paper":
            ids = tuple(pick.paper.id for pick in row.day.top)
            what = f"the top of {row.day.date:%b} {row.day.date.day}"
        elif row.cluster is not None:
            ids, what = row.ids, chosen_label(row.cluster)
        else:
            ids, what = row.ids, core.rest_what(row.day.date)
        self.dismiss(CatchupChoice(row.day.date, ids, what))

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_first(self) -> None:
        self.query_one(OptionList).action_first()

    def action_last(self) -> None:
        self.query_one(OptionList).action_last()
