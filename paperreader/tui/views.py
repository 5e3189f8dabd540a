"""Saved views: the side panel that lists them and the dialog that edits one.

A view is a name plus a filter (query, state, digest).  The panel shows the
built-in views and the user's, each with its unread count, and reports up
what the user chose; the app applies it and does all storing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from ..models import BUILTIN_VIEWS, STATES, SavedView
from ..text import clean_text

__all__ = ["BUILTIN_VIEWS", "ViewsPanel", "ViewScreen"]


class ViewsPanel(Vertical, can_focus=False):
    """The side panel: built-in and saved views with their unread counts.

    enter opens a view, ``e`` edits a saved one, ``x`` (or delete) deletes it,
    ``j``/``k`` move as the arrows do (as in the paper list), escape closes it.
    """

    BINDINGS = [
        Binding("e", "edit", "Edit view", id="views.edit"),
        Binding("x,delete", "delete", "Delete view", id="views.delete"),
        Binding("j", "cursor_down", "Down", show=False, tooltip="next view (as ↓)", id="views.down"),
        Binding("k", "cursor_up", "Up", show=False, tooltip="previous view (as ↑)", id="views.up"),
        Binding("escape", "close", "Close views", tooltip="close the views panel (as v)", id="views.close"),
    ]

    class Chosen(Message):
        """The user opened a view."""

        def __init__(self, view: SavedView) -> None:
            self.view = view
            super().__init__()

    class CloseRequested(Message):
        """The user closed the panel (escape); the app hides it and gives the focus back."""

    class EditRequested(Message):
        def __init__(self, view: SavedView) -> None:
            self.view = view
            super().__init__()

    class DeleteRequested(Message):
        def __init__(self, view: SavedView) -> None:
            self.view = view
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._saved: list[SavedView] = []
        #: View key -> (papers, unread), as last counted (absent: not yet).
        self._counts: dict[tuple[bool, str], tuple[int, int]] = {}

    def compose(self) -> ComposeResult:
        yield Label(Text("Views"), id="views-title")
        yield OptionList(id="views-list")
        yield Label(Text("⏎ open · e edit · x delete\nS saves the current filter", style="dim"), id="views-help")

    @property
    def entries(self) -> list[SavedView]:
        return [*BUILTIN_VIEWS, *self._saved]

    @staticmethod
    def key(view: SavedView) -> tuple[bool, str]:
        """A view's key for its counts: a saved view may share a built-in's name."""
        return (view in BUILTIN_VIEWS, view.name)

    def set_views(self, saved: Sequence[SavedView], counts: dict[tuple[bool, str], tuple[int, int]] | None = None) -> None:
        """Show these saved views (and counts, if known); the highlight stays where it was."""
        self._saved = list(saved)
        if counts is not None:
            self._counts = counts
        self._rebuild()

    def set_counts(self, counts: dict[tuple[bool, str], tuple[int, int]]) -> None:
        self._counts = counts
        self._rebuild()

    def _rebuild(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([self._option(view, n < len(BUILTIN_VIEWS)) for n, view in enumerate(self.entries)])
        if self.entries:
            options.highlighted = min(highlighted or 0, len(self.entries) - 1)

    def _option(self, view: SavedView, builtin: bool) -> Option:
        counts = self._counts.get(self.key(view))
        unread = "…" if counts is None else (f"{counts[1]:,}" if counts[1] else "·")
        name = Text(view.name, style="" if not builtin else "italic", no_wrap=True, overflow="ellipsis")
        name.truncate(20, overflow="ellipsis", pad=True)
        return Option(Text.assemble(name, " ", Text(f"{unread:>6}", style="bold" if counts and counts[1] else "dim")))

    def focus_list(self) -> None:
        self.query_one(OptionList).focus()

    @property
    def current(self) -> SavedView | None:
        index = self.query_one(OptionList).highlighted
        return self.entries[index] if index is not None and 0 <= index < len(self.entries) else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.entries[event.option_index]))

    def _saved_current(self) -> SavedView | None:
        view = self.current
        if view is None or view in BUILTIN_VIEWS:
            self.notify("Built-in views cannot be changed; S saves the current filter as a view.", markup=False, timeout=3)
            return None
        return view

    def action_cursor_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_close(self) -> None:
        self.post_message(self.CloseRequested())

    def action_edit(self) -> None:
        view = self._saved_current()
        if view is not None:
            self.post_message(self.EditRequested(view))

    def action_delete(self) -> None:
        view = self._saved_current()
        if view is not None:
            self.post_message(self.DeleteRequested(view))


_STATE_LABELS = {"all": "all papers", "unread": "unread", "read": "read", "bookmarked": "bookmarked"}


class ViewScreen(ModalScreen[SavedView | None]):
    """Create or edit a saved view: its name, query, state and digest."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="view dialog (S, e): cancel", id="view.cancel")]

    def __init__(self, view: SavedView, digests: Sequence[dt.date], *, heading: str) -> None:
        super().__init__()
        self._view = view
        self._digests = list(digests)
        self._heading = heading

    def compose(self) -> ComposeResult:
        view = self._view
        digest_choices: list[tuple[str, str]] = [("every digest", ""), ("the newest digest (Today)", "newest")]
        digest_choices += [(day.isoformat(), day.isoformat()) for day in self._digests]
        if view.digest and view.digest not in {value for _label, value in digest_choices}:
            digest_choices.append((view.digest, view.digest))
        with Vertical(classes="dialog", id="view-dialog"):
            yield Label(Text(self._heading, style="bold"), classes="question")
            yield Label("Name")
            yield Input(view.name, placeholder="RL, unread", id="view-name")
            yield Label("Query")
            yield Input(view.query, placeholder="every paper (or words, \"a phrase\", tag:rl …)", id="view-query")
            with Horizontal(id="view-selects"):
                yield Select([(label, state) for state, label in _STATE_LABELS.items() if state in STATES],
                             value=view.state, allow_blank=False, id="view-state")
                yield Select(digest_choices, value=view.digest or "", allow_blank=False, id="view-digest")
            yield Label("", id="view-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        name = self.query_one("#view-name", Input)
        name.focus()
        name.cursor_position = len(name.value)

    def _submit(self) -> None:
        name = clean_text(self.query_one("#view-name", Input).value)[:80]
        if not name:
            self.query_one("#view-error", Label).update(Text("A view needs a name."))
            self.query_one("#view-name", Input).focus()
            return
        if name in {view.name for view in BUILTIN_VIEWS}:
            self.query_one("#view-error", Label).update(Text(f"{name!r} is a built-in view; choose another name."))
            return
        digest = str(self.query_one("#view-digest", Select).value) or None
        self.dismiss(
            SavedView(
                name,
                clean_text(self.query_one("#view-query", Input).value),
                str(self.query_one("#view-state", Select).value),
                digest,
            )
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self._submit()
        else:
            self.dismiss(None)
