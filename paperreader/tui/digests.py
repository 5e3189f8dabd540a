"""The digests screen: a picture of each day.

One row per digest date with its papers, unread and bookmarked counts and a
triage progress bar; a sparkline of papers per day over the last weeks; and
the highlighted day's topics (key terms).  Enter on a day, or on one of its
topics, returns the choice; the app filters the list by it.
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

from ..models import DigestDay
from ..overview import SPARK_WEEKS, papers_per_day, progress_bar

__all__ = ["DigestChoice", "DigestsScreen"]

#: Topics shown per digest.
TOPICS = 8


@dataclass(frozen=True, slots=True)
class DigestChoice:
    """What the user picked: a digest date, and perhaps one of its topics."""

    date: dt.date
    topic: str | None = None


class DigestsScreen(Screen[DigestChoice | None]):
    """Every digest at a glance; the app passes the figures and a way to get topics.

    ``topics_for`` is called in a thread (it asks the search index), once per
    day the cursor rests on; its answers are kept for the screen's life.
    """

    BINDINGS = [
        Binding("escape,q,D", "dismiss(None)", "Back", tooltip="back to the reader", id="digests.close"),
        Binding("tab", "switch_pane", "Days / topics", tooltip="between the days and the topics", id="digests.switch"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="next day or topic (as ↓)", id="digests.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous day or topic (as ↑)", id="digests.up"),
    ]

    class TopicsReady(Message):
        def __init__(self, date: dt.date, topics: list[str]) -> None:
            self.date = date
            self.topics = topics
            super().__init__()

    def __init__(self, days: Sequence[DigestDay], topics_for: Callable[[dt.date], list[str]]) -> None:
        super().__init__()
        self._days = list(days)
        self._topics_for = topics_for
        self._topics: dict[dt.date, list[str]] = {}

    def compose(self) -> ComposeResult:
        per_day = papers_per_day(self._days, weeks=SPARK_WEEKS)
        counts = [n for _day, n in per_day]
        with Vertical(id="digests-top"):
            if per_day:
                yield Label(
                    Text.assemble(
                        ("Papers per day", "bold"),
                        f"  {per_day[0][0]:%b %d} – {per_day[-1][0]:%b %d}  ·  max {max(counts)} a day"
                        f"  ·  {len(self._days)} digest{'s' if len(self._days) != 1 else ''}",
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
                yield Label(Text("enter on a day: its papers\nenter on a topic: its papers that day", style="dim"))
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Digest", key="date")
        table.add_column("Papers", key="papers")
        table.add_column("Unread", key="unread")
        table.add_column("★", key="bookmarked")
        table.add_column("Triaged", key="triaged")
        for day in self._days:
            share = day.triaged
            table.add_row(
                Text(f"{day.date:%a %Y-%m-%d}"),
                Text(f"{day.papers:,}", justify="right"),
                Text(f"{day.unread:,}" if day.unread else "·", justify="right"),
                Text(f"{day.bookmarked:,}" if day.bookmarked else "", justify="right"),
                Text.assemble(
                    (progress_bar(share, 12), "green" if share >= 1 else ""), f" {share:>4.0%}"
                ),
                key=day.date.isoformat(),
            )
        table.focus()

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
            self.query_one(OptionList).clear_options()
            self.query_one(OptionList).loading = True
            self._load_topics(day)

    @work(thread=True, exclusive=True, group="topics", exit_on_error=False)
    def _load_topics(self, day: dt.date) -> None:
        self.post_message(self.TopicsReady(day, self._topics_for(day)))

    def on_digests_screen_topics_ready(self, message: TopicsReady) -> None:
        self._topics[message.date] = message.topics
        if message.date == self.current_day:
            self._show_topics(message.date)

    def _show_topics(self, day: dt.date) -> None:
        options = self.query_one(OptionList)
        options.loading = False
        options.clear_options()
        topics = self._topics.get(day, [])
        options.add_options([Option(Text(topic), id=topic) for topic in topics] or [Option(Text("(none)"), disabled=True)])
        if topics:
            options.highlighted = 0

    # -- choosing -----------------------------------------------------------------------

    @on(DataTable.RowSelected)
    def _day_selected(self, event: DataTable.RowSelected) -> None:
        day = self.current_day
        if day is not None:
            self.dismiss(DigestChoice(day))

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
        table, topics = self.query_one(DataTable), self.query_one(OptionList)
        if table.has_focus:
            topics.focus()
            if topics.highlighted is None and topics.option_count:
                topics.highlighted = 0
        else:
            table.focus()
