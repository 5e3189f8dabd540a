"""Dialogs for the user's own words on a paper: its tags and its note.

Both are typed modal screens: the app awaits the new value (or None when the
user cancels) and does the storing, so these know nothing of the library.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, TextArea

from ..text import clean_note, parse_tags, printable

if TYPE_CHECKING:
    from ..clusters import Cluster

__all__ = ["TagSuggester", "TagScreen", "NoteScreen", "ask_tags_to_add"]

_LAST_WORD = re.compile(r"([^,\s]*)$")


class TagSuggester(Suggester):
    """Completes the tag being typed (the last word) from the tags in use.

    Textual's ``SuggestFromList`` completes the whole value; a tag line holds
    several tags, so only its last word is matched, most used tags first.
    """

    def __init__(self, tags: Sequence[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._tags = list(tags)

    async def get_suggestion(self, value: str) -> str | None:
        word = _LAST_WORD.search(value)
        prefix = word.group(1).lower().lstrip("#") if word else ""
        if not prefix:
            return None
        typed = set(parse_tags(value[: len(value) - len(word.group(1))])) if word else set()
        for tag in self._tags:
            if tag.startswith(prefix) and tag != prefix and tag not in typed:
                return value[: len(value) - len(word.group(1))] + tag
        return None


class TagScreen(ModalScreen[list[str] | None]):
    """Edit a paper's tags: one line, tags separated by spaces or commas.

    Tab or → accepts the completion, enter saves (an empty line removes every
    tag), escape cancels.  With ``adding`` (many papers at once, a cluster) the
    tags given are added to each paper's own, and the dialog says so: an empty
    line there changes nothing.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="tags dialog (t): cancel", id="tags.cancel")]

    def __init__(
        self, title: str, tags: Sequence[str], known: Sequence[tuple[str, int]], *, adding: bool = False
    ) -> None:
        super().__init__()
        self._title = title
        self._adding = adding
        self._tags = list(tags)
        self._known = list(known)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="tag-dialog"):
            heading = "Tags to add to " if self._adding else "Tags of "
            yield Label(Text.assemble((heading, "bold"), self._title[:200]), classes="question")
            value = " ".join(self._tags) + (" " if self._tags else "")
            yield Input(
                value,
                placeholder="rl agents survey (tab completes)",
                suggester=TagSuggester([tag for tag, _count in self._known]),
                id="tags",
            )
            if self._known:
                shown = ", ".join(f"{tag} ({count})" for tag, count in self._known[:12])
                more = f" and {len(self._known) - 12} more" if len(self._known) > 12 else ""
                yield Label(Text(f"In use: {shown}{more}", style="dim"), id="known-tags")
            hint = (
                "enter adds them to every paper (their other tags stay) · escape cancels"
                if self._adding
                else "enter saves · escape cancels · an empty line removes all"
            )
            yield Label(Text(hint, style="dim"))

    def on_mount(self) -> None:
        tags_input = self.query_one("#tags", Input)
        tags_input.cursor_position = len(tags_input.value)

    def on_key(self, event: events.Key) -> None:
        # Tab accepts the completion (as → does) rather than leaving the only input.
        if event.key == "tab":
            event.stop()
            event.prevent_default()
            tags_input = self.query_one("#tags", Input)
            before = tags_input.value
            tags_input.cursor_position = len(before)
            tags_input.action_cursor_right()  # at the end: takes the suggestion, if any
            if tags_input.value != before:
                tags_input.insert_text_at_cursor(" ")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(parse_tags(event.value))


class NoteScreen(ModalScreen[str | None]):
    """Write a paper's note in a text area; ctrl+s saves, escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", tooltip="note dialog (N): save", id="note.save"),
        Binding("escape", "cancel", "Cancel", tooltip="note dialog: cancel (twice if you typed)", id="note.cancel"),
    ]

    def __init__(self, title: str, note: str) -> None:
        super().__init__()
        self._title = title
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="note-dialog"):
            yield Label(Text.assemble(("Note on ", "bold"), self._title[:200]), classes="question")
            yield TextArea(self._note, soft_wrap=True, show_line_numbers=False, id="note")
            with Horizontal(classes="buttons"):
                yield Label(Text("ctrl+s saves · escape cancels", style="dim"), id="note-hint")
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        area = self.query_one("#note", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        self.dismiss(clean_note(self.query_one("#note", TextArea).text))

    def action_cancel(self) -> None:
        """Cancel; what was typed is only thrown away after a second escape."""
        text = clean_note(self.query_one("#note", TextArea).text)
        hint = self.query_one("#note-hint", Label)
        if text == clean_note(self._note) or hint.has_class("warn"):
            self.dismiss(None)
            return
        hint.add_class("warn")
        hint.update(Text("Unsaved changes: escape again discards them, ctrl+s saves"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)


async def ask_tags_to_add(
    screen: Screen[object], cluster: Cluster, known: Sequence[tuple[str, int]]
) -> list[str] | None:
    """The tags to add to every paper of a cluster (the Catch up and digests screens ask alike).

    None if the dialog was closed, or nothing was typed (said: an empty line
    changes nothing, it never removes tags from a whole cluster).
    """
    title = printable(f"the {cluster.size:,} papers of {cluster.label}")
    tags = await screen.app.push_screen_wait(TagScreen(title, (), known, adding=True))
    if tags is not None and not tags:
        screen.notify("No tags given: nothing changed.", markup=False, timeout=3)
    return tags or None

