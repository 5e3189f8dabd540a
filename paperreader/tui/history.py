"""The history screen: the journal's actions, newest first; enter goes back to before one.

The list is the one ``paperreader history`` prints (the journal is the core's;
this screen only shows it): number, when, device (for an action another
device made: the reader's own are most of them), papers, what, and whether
it is taken back now.  Labels hold names the user typed (tags, views), so
every row is a rich ``Text``, never a string parsed as markup, and is made
printable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..journal import Action, local_time, standing
from ..text import printable

__all__ = ["HistoryScreen", "history_row"]


def history_row(action: Action, device: str, find: Callable[[int], Action | None] = lambda _number: None) -> Text:
    """One action as a row: number, when, where (if not here), papers, what; those taken back struck through.

    ``find`` looks up the actions that took this one back (newer ones, so on
    the list): an action undone then redone is in effect again, and says so.
    """
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(f"{action.number:>5}  ", style="dim")
    row.append(local_time(action.when) + "  ")
    if action.device != device:
        row.append(printable(action.device) + "  ", style="italic")
    papers = f"{action.papers:,} paper{'s' if action.papers != 1 else ''}" if action.papers else ""
    row.append(f"{papers:>12}  ", style="dim")
    taken_back, mark = standing(action, find)
    undone = taken_back and action.kind != "undo"
    row.append(printable(action.label), style="strike dim" if undone else "bold" if action.kind != "import" else "")
    if mark:
        row.append(f"  ({mark})", style="dim")
    return row


class HistoryScreen(ModalScreen[int | None]):
    """Every action, newest first; returns the number of the one to go back to before (None: closed)."""

    DEFAULT_CSS = """
    HistoryScreen { align: center middle; }
    HistoryScreen > Vertical { width: 90%; height: 80%; border: round $accent; background: $surface; padding: 0 1; }
    HistoryScreen OptionList { height: 1fr; border: none; }
    HistoryScreen #history-help, HistoryScreen #history-reach, HistoryScreen #history-older {
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape,q,h", "dismiss(None)", "Close", tooltip="close the history", id="history.close"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="next action (as ↓)", id="history.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous action (as ↑)", id="history.up"),
    ]

    def __init__(self, actions: Sequence[Action], device: str, *, reach: str | None = None, older: int = 0) -> None:
        """``reach``: how far back the history goes, when older actions were compacted (said below the list).

        ``older``: how many older actions the list leaves out (said below it, never cut silently).
        """
        super().__init__()
        self._actions = list(actions)
        self._device = device
        self._reach = reach
        self._older = older

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("History: every change, newest first", style="bold"))
            # A Static wraps at any width (a Label was cut at 80 columns); a Text is never read as markup.
            yield Static(
                Text(
                    "enter: go back to before the chosen action (it and every later one are taken back; u undoes "
                    "that). Actions made on another device name it."
                ),
                id="history-help",
            )
            listed = {action.number: action for action in self._actions}
            options = [
                Option(history_row(action, self._device, listed.get), id=str(action.number)) for action in self._actions
            ]
            yield OptionList(*options, id="history-list")
            if self._older:
                older = f"… {self._older:,} older action{'s' if self._older != 1 else ''} (paperreader history --limit N)"
                yield Label(Text(older), id="history-older")
            if self._reach:
                yield Label(Text(f"Older actions were compacted: {self._reach}."), id="history-reach")

    def on_mount(self) -> None:
        if not self._actions:
            self.query_one("#history-help", Static).update(Text("No changes yet."))
        self.query_one(OptionList).focus()

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0) or None)
