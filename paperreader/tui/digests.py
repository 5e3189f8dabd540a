"""The digests screen: a picture of each day.

One row per digest date with its papers, unread and bookmarked counts and a
triage progress bar; a sparkline of papers per day over the last weeks; and
the highlighted day's topics (key terms) and topic clusters.  Enter on a day,
on one of its topics or on a cluster returns the choice; the app filters the
list by it.  On a cluster, ``r`` marks it read, ``b`` bookmarks it and ``t``
tags it, each as one undoable action (``u``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, OptionList, Sparkline
from textual.widgets.option_list import Option

from .. import catchup as actions
from ..clusters import Cluster, day_clusters
from ..journal import JournalError
from ..library import Library
from ..models import DigestDay
from ..overview import SPARK_WEEKS, papers_per_day, progress_bar
from ..store import StoreError
from ..text import parse_tags, printable
from .annotate import ask_tags_to_add
from .catchup import chosen_label, cluster_row

__all__ = ["DigestChoice", "DigestsScreen"]

#: Topics shown per digest.
TOPICS = 8


@dataclass(frozen=True, slots=True)
class DigestChoice:
    """What the user picked: a digest date, and perhaps one of its topics or clusters (its papers' ids)."""

    date: dt.date
    topic: str | None = None
    ids: tuple[str, ...] = ()
    what: str | None = None


class DigestsScreen(Screen[DigestChoice | None]):
    """Every digest at a glance; the app passes the figures and a way to get topics.

    ``topics_for`` is called in a thread (it asks the search index), once per
    day the cursor rests on; its answers are kept for the screen's life.
    """

    BINDINGS = [
        Binding("escape,q,D", "dismiss(None)", "Back", tooltip="back to the reader", id="digests.close"),
        Binding("tab", "switch_pane", "Days / topics", tooltip="between the days, the topics and the clusters", id="digests.switch"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="next day or topic (as ↓)", id="digests.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous day or topic (as ↑)", id="digests.up"),
        Binding("r", "cluster_read", "Read", tooltip="on a cluster: mark all its papers read", id="digests.cluster_read"),
        Binding("b", "cluster_bookmark", "Bookmark", tooltip="on a cluster: bookmark all its papers", id="digests.cluster_bookmark"),
        Binding("t", "cluster_tag", "Tag", tooltip="on a cluster: tag all its papers", id="digests.cluster_tag"),
        Binding("u", "undo", "Undo", tooltip="undo the newest change", id="digests.undo"),
    ]

    DEFAULT_CSS = """
    DigestsScreen #clusters { height: 1fr; border: none; padding: 0; }
    DigestsScreen #digests-help { width: 100%; height: auto; }
    DigestsScreen #spark-label { width: 100%; height: auto; }
    """

    class TopicsReady(Message):
        def __init__(self, date: dt.date, topics: list[str]) -> None:
            self.date = date
            self.topics = topics
            super().__init__()

    class ClustersReady(Message):
        def __init__(self, date: dt.date, clusters: list[Cluster]) -> None:
            self.date = date
            self.clusters = clusters
            super().__init__()

    def __init__(
        self,
        days: Sequence[DigestDay],
        topics_for: Callable[[dt.date], list[str]],
        *,
        library: Library | None = None,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        """``library`` brings the day's clusters and their actions; ``on_change(content)`` follows each change."""
        super().__init__()
        self._days = list(days)
        self._topics_for = topics_for
        self._topics: dict[dt.date, list[str]] = {}
        self._library = library
        self._on_change = on_change
        self._clusters: dict[dt.date, list[Cluster]] = {}
        self._unread_ids: set[str] = set()
        #: The triage bar's width, the topics pane's and the narrow dates the table was made with (they follow the screen's width).
        self._laid_out: tuple[int, int, bool] = (12, 0, False)

    def _all_digests(self, chart_from: dt.date) -> str:
        """ "6 digests, Mar 10, 2025 – Nov 13, 2026 (2 before the chart)": every digest, not only the chart's.

        The header named the chart's weeks next to the count of all digests,
        so digests older than the chart seemed to be in it.
        """
        dates = sorted(day.date for day in self._days)
        count = f"{len(dates)} digest{'s' if len(dates) != 1 else ''}"
        first, last = dates[0], dates[-1]
        if first.year != last.year:
            span = f"{first:%b} {first.day}, {first.year} – {last:%b} {last.day}, {last.year}"
        else:
            span = f"{first:%b} {first.day} – {last:%b} {last.day}"
        before = sum(1 for day in dates if day < chart_from)
        return f"{count}, {span}" + (f" ({before} before the chart)" if before else "")

    def compose(self) -> ComposeResult:
        per_day = papers_per_day(self._days, weeks=SPARK_WEEKS)
        counts = [n for _day, n in per_day]
        with Vertical(id="digests-top"):
            if per_day:
                yield Label(
                    Text.assemble(
                        ("Papers per day", "bold"),
                        f"  {per_day[0][0]:%b %d} – {per_day[-1][0]:%b %d} (the chart)  ·  max {max(counts)} a day"
                        f"  ·  {self._all_digests(per_day[0][0])}",
                    ),
                    id="spark-label",
                )
                yield Sparkline(counts, summary_function=max, id="papers-per-day")
            else:
                yield Label("No digests yet.", id="spark-label")
        with Horizontal(id="digests-body"):
            yield DataTable(cursor_type="row", zebra_stripes=True, id="digests-table")
            with Vertical(id="topics-pane"):
                yield Label(Text("Topics of the day", style="bold"), id="topics-title")
                yield OptionList(id="topics")
                if self._library is not None:
                    yield Label(Text("Clusters", style="bold"), id="clusters-title")
                    yield OptionList(id="clusters")
                yield Label(
                    Text(
                        "enter: its papers (a day's, a topic's that day"
                        + (", a cluster's) · r b t: read, bookmark, tag a cluster" if self._library else ")"),
                        style="dim",
                    ),
                    id="digests-help",
                )
        yield Footer()

    def on_mount(self) -> None:
        self._fill_table()
        self.query_one(DataTable).focus()

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def _narrow(self) -> bool:
        """Below 100 columns the days drop their weekday, so the triage bar keeps a few cells."""
        return self._width() < 100

    def _pane_width(self) -> int:
        """The topics pane's columns: room for a cluster's words and its counts, "(21, 3 unread)"."""
        return max(30, self._width() * 9 // 20)  # 45%: the table's columns need no more than the rest

    def _date_text(self, day: dt.date) -> str:
        return f"{day:%Y-%m-%d}" if self._narrow() else f"{day:%a %Y-%m-%d}"

    def _bar_width(self) -> int:
        """The triage bar's cells: what the table has left beside its other columns, 3 to 12.

        At 80 columns a 12-cell bar pushed the percent out of sight (and a
        horizontal scrollbar in); the percent always shows, the bar gives way.
        """
        table = self._width() - self._pane_width()
        date = len(self._date_text(dt.date.today()))
        # The date, papers 6, unread 6, ★ 1, " 100%" 5; a cell's padding 2 each; a scrollbar 2.
        return max(3, min(12, table - (date + 6 + 6 + 1 + 5 + 5 * 2 + 2)))

    def _fill_table(self) -> None:
        """The days' rows, (re)made to the screen's width; the cursor stays on its day."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        bar = self._bar_width()
        self.query_one("#topics-pane").styles.width = self._pane_width()
        table.clear(columns=True)
        table.add_column("Digest", key="date")
        table.add_column("Papers", key="papers")
        table.add_column("Unread", key="unread")
        table.add_column("★", key="bookmarked")
        table.add_column("Triaged", key="triaged")
        for day in self._days:
            share = day.triaged
            table.add_row(
                Text(self._date_text(day.date)),
                Text(f"{day.papers:,}", justify="right"),
                Text(f"{day.unread:,}" if day.unread else "·", justify="right"),
                Text(f"{day.bookmarked:,}" if day.bookmarked else "", justify="right"),
                Text.assemble((progress_bar(share, bar), "green" if share >= 1 else ""), f" {share:>4.0%}"),
                key=day.date.isoformat(),
            )
        if row and row < len(self._days):
            table.move_cursor(row=row, animate=False)
        self._laid_out = (bar, self._pane_width(), self._narrow())
        self.call_after_refresh(self._fit_clusters)

    def on_resize(self) -> None:
        if (self._bar_width(), self._pane_width(), self._narrow()) != self._laid_out:
            self._fill_table()
        self.call_after_refresh(self._fit_clusters)

    def _fit_clusters(self) -> None:
        """The day's cluster rows cut again to the pane's width, once the new layout is known."""
        day = self.current_day
        if self._library is not None and day is not None and day in self._clusters and self.is_attached:
            self._show_clusters(day)

    # -- topics ---------------------------------------------------------------------

    @property
    def current_day(self) -> dt.date | None:
        table = self.query_one(DataTable)
        if not self._days or table.cursor_row is None or table.cursor_row >= len(self._days):
            return None
        return self._days[table.cursor_row].date

    @on(DataTable.RowHighlighted)
    def _day_highlighted(self, event: DataTable.RowHighlighted) -> None:
        day = self.current_day
        if day is None:
            return
        self.query_one("#topics-title", Label).update(Text(f"Topics of {day:%b %d}", style="bold"))
        if day in self._topics:
            self._show_topics(day)
        else:
            self.query_one("#topics", OptionList).clear_options()
            self.query_one("#topics", OptionList).loading = True
            self._load_topics(day)
        if self._library is not None:
            if day in self._clusters:
                self._show_clusters(day)
            else:
                self.query_one("#clusters", OptionList).clear_options()
                self.query_one("#clusters", OptionList).loading = True
                self._load_clusters(day)

    @work(thread=True, exclusive=True, group="topics", exit_on_error=False)
    def _load_topics(self, day: dt.date) -> None:
        self.post_message(self.TopicsReady(day, self._topics_for(day)))

    def on_digests_screen_topics_ready(self, message: TopicsReady) -> None:
        self._topics[message.date] = message.topics
        if message.date == self.current_day:
            self._show_topics(message.date)

    def _show_topics(self, day: dt.date) -> None:
        options = self.query_one("#topics", OptionList)
        options.loading = False
        options.clear_options()
        topics = self._topics.get(day, [])
        options.add_options([Option(Text(topic), id=topic) for topic in topics] or [Option(Text("(none)"), disabled=True)])
        if topics:
            options.highlighted = 0

    # -- clusters ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="clusters", exit_on_error=False)
    def _load_clusters(self, day: dt.date) -> None:
        assert self._library is not None
        self.post_message(self.ClustersReady(day, day_clusters(self._library.store, day)))

    def on_digests_screen_clusters_ready(self, message: ClustersReady) -> None:
        self._clusters[message.date] = message.clusters
        if message.date == self.current_day:
            self._show_clusters(message.date)

    def _show_clusters(self, day: dt.date) -> None:
        """The day's clusters, each with its unread count (read afresh: the actions change it)."""
        assert self._library is not None
        options = self.query_one("#clusters", OptionList)
        keep = options.highlighted
        options.loading = False
        options.clear_options()
        clusters = self._clusters.get(day, [])
        width = self._cluster_width()
        ids = [pid for cluster in clusters for pid in cluster.ids]
        self._unread_ids = {snap.id for snap in self._library.store.snapshot(ids) if not snap.read}
        options.add_options(
            [
                Option(cluster_row(c, sum(pid in self._unread_ids for pid in c.ids), width=width, indent=""), id=str(n))
                for n, c in enumerate(clusters)
            ]
            or [Option(Text("(none)"), disabled=True)]
        )
        if clusters:
            options.highlighted = keep if keep is not None and keep < len(clusters) else 0

    def _cluster_width(self) -> int:
        """Columns a cluster's row has in the topics pane (an option list would wrap a longer one).

        From the pane's width, not the list's region: the clusters may land
        before the pane's new width is laid out.  Less its border and padding (3)
        and a scrollbar's room (2), for when there are many clusters.
        """
        return self._pane_width() - 5

    @property
    def current_cluster(self) -> Cluster | None:
        """The highlighted cluster, when the clusters pane has the focus."""
        if self._library is None:
            return None
        options = self.query_one("#clusters", OptionList)
        day = self.current_day
        clusters = self._clusters.get(day, []) if day is not None else []
        if not options.has_focus or options.highlighted is None or options.highlighted >= len(clusters):
            return None
        return clusters[options.highlighted]

    def on_descendant_focus(self) -> None:
        """The footer shows the cluster keys only while the clusters pane has the focus.

        So they are named short ("Read", not "Cluster read"): with undo they fit 80 columns.
        """
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The cluster keys act only on the clusters pane (elsewhere they do nothing, and the footer hides them)."""
        if action in ("cluster_read", "cluster_bookmark", "cluster_tag"):
            return self.current_cluster is not None
        if action == "undo":
            return self._library is not None
        return True

    def _changed(self, message: str, *, content: bool = False) -> None:
        """After a change: the clusters' counts, the day's row and the reader below follow."""
        assert self._library is not None
        day = self.current_day
        if day is not None:
            self._show_clusters(day)
            self._refresh_days()
        if self._on_change is not None:
            self._on_change(content)
        self.notify(message, markup=False, timeout=3)

    def _refresh_days(self) -> None:
        """The table's unread, bookmarked and triaged cells, read afresh from the store."""
        assert self._library is not None
        table = self.query_one(DataTable)
        known = {day.date.isoformat() for day in self._days}
        self._days = [day for day in self._library.store.digest_days() if day.date.isoformat() in known]
        for day in self._days:
            key = day.date.isoformat()
            table.update_cell(key, "unread", Text(f"{day.unread:,}" if day.unread else "·", justify="right"))
            table.update_cell(key, "bookmarked", Text(f"{day.bookmarked:,}" if day.bookmarked else "", justify="right"))
            table.update_cell(
                key, "triaged",
                Text.assemble(
                    (progress_bar(day.triaged, self._laid_out[0]), "green" if day.triaged >= 1 else ""), f" {day.triaged:>4.0%}"
                ),
            )

    def _refused(self, error: Exception) -> None:
        self.notify(f"Not saved: {error}", severity="error", markup=False, timeout=8)

    def action_cluster_read(self) -> None:
        cluster = self.current_cluster
        if cluster is None or self._library is None:
            return
        try:
            count = actions.mark_read(self._library.store, cluster.ids, actions.cluster_what(cluster))
        except StoreError as error:
            self._refused(error)
            return
        label = printable(cluster.label)
        self._changed(f"Marked {count:,} papers read (cluster {label}). u undoes it." if count else "All read already.")

    def action_cluster_bookmark(self) -> None:
        cluster = self.current_cluster
        if cluster is None or self._library is None:
            return
        try:
            count = actions.bookmark(self._library.store, cluster.ids, actions.cluster_what(cluster))
        except StoreError as error:
            self._refused(error)
            return
        self._changed(f"Bookmarked {count:,} papers. u undoes it." if count else "All bookmarked already.")

    @work(exclusive=True, group="cluster-tag")
    async def action_cluster_tag(self) -> None:
        cluster = self.current_cluster
        if cluster is None or self._library is None:
            return
        store = self._library.store
        tags = await ask_tags_to_add(self, cluster, store.all_tags())
        if tags is None:
            return
        try:
            count = actions.tag(store, cluster.ids, parse_tags(" ".join(tags)), actions.cluster_what(cluster))
        except StoreError as error:
            self._refused(error)
            return
        self._changed(f"Tagged {count:,} papers. u undoes it.", content=True)

    def action_undo(self) -> None:
        if self._library is None:
            return
        try:
            outcome = self._library.store.journal.undo()
        except (StoreError, JournalError) as error:
            self._refused(error)
            return
        self._changed(outcome.message(), content=outcome.reindex)

    # -- choosing -----------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _day_selected(self, event: DataTable.RowSelected) -> None:
        day = self.current_day
        if day is not None:
            self.dismiss(DigestChoice(day))

    @on(OptionList.OptionSelected, "#clusters")
    def _cluster_selected(self, event: OptionList.OptionSelected) -> None:
        day = self.current_day
        clusters = self._clusters.get(day, []) if day is not None else []
        if day is not None and event.option_index < len(clusters):
            cluster = clusters[event.option_index]
            self.dismiss(DigestChoice(day, ids=cluster.ids, what=chosen_label(cluster)))

    @on(OptionList.OptionSelected, "#topics")
    def _topic_selected(self, event: OptionList.OptionSelected) -> None:
        day = self.current_day
        if day is not None and event.option.id:
            self.dismiss(DigestChoice(day, event.option.id))

    def action_cursor_down(self) -> None:
        """j moves in the focused pane (days or topics) as ↓ does, as it does in the paper list."""
        focused = self.focused
        if isinstance(focused, (DataTable, OptionList)):
            focused.action_cursor_down()

    def action_cursor_up(self) -> None:
        focused = self.focused
        if isinstance(focused, (DataTable, OptionList)):
            focused.action_cursor_up()

    def action_switch_pane(self) -> None:
        """tab: the days, then the topics, then the clusters (when shown), and round again."""
        panes: list[DataTable | OptionList] = [self.query_one(DataTable), self.query_one("#topics", OptionList)]
        if self._library is not None:
            panes.append(self.query_one("#clusters", OptionList))
        now = next((n for n, pane in enumerate(panes) if pane.has_focus), len(panes) - 1)
        target = panes[(now + 1) % len(panes)]
        target.focus()
        if isinstance(target, OptionList) and target.highlighted is None and target.option_count:
            target.highlighted = 0
