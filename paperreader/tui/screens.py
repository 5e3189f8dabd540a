"""Modal screens: help, confirmation, export and import dialogs.

Each modal is typed by what it returns (``ModalScreen[bool]`` ...), so the app
awaits a value instead of reaching into the dialog.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static

from ..exports import FORMAT_NAMES, FORMATS

__all__ = ["HelpRow", "HelpScreen", "ConfirmScreen", "ExportScreen", "ExportRequest", "ExportChoice", "ImportScreen"]


#: One help row: the keys in force, what they do, the binding id (what ``[keys]`` in the config remaps).
HelpRow = tuple[str, str, str]


class HelpScreen(ModalScreen[None]):
    """Every binding, by the part of the reader it acts in: its keys now, what it does, its id.

    The app passes the keys in force (the config's ``[keys]`` applied), so the
    help never tells a key that no longer works; the id is what to remap.
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", tooltip="close this help", id="help.close"),
        # j/k as everywhere else in the reader (the list, the views panel, the digests screen).
        Binding("j", "scroll_help('down')", "Down", show=False, tooltip="help: scroll down (as ↓)", id="help.down"),
        Binding("k", "scroll_help('up')", "Up", show=False, tooltip="help: scroll up (as ↑)", id="help.up"),
    ]

    def __init__(self, sections: Sequence[tuple[str, Sequence[HelpRow]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        tables: list[Table | Text] = []
        # The column names head the first table of bindings (the query fields, first, have no ids).
        headed = next((n for n, (_title, rows) in enumerate(self._sections) if any(row[2] for row in rows)), 0)
        for number, (title, rows) in enumerate(self._sections):
            if number:
                tables.append(Text(""))
            table = Table(
                box=None,
                title=Text(title, style="bold underline"),
                title_justify="left",
                show_header=number == headed,
                header_style="dim",
                padding=(0, 2, 0, 0),
                expand=True,
            )
            with_ids = any(row[2] for row in rows)  # the query fields have none: their text gets the room
            table.add_column(Text("keys"), style="bold", min_width=14, max_width=20 if with_ids else 24)
            table.add_column(Text("what it does"), ratio=1)
            if with_ids:
                table.add_column(Text("id ([keys] in the config)"), style="dim", min_width=24)
            for keys, description, binding_id in rows:
                table.add_row(Text(keys), Text(description), *([Text(binding_id)] if with_ids else []))
            tables.append(table)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "escape to close"
            yield Static(Group(*tables), id="help-table")

    def action_scroll_help(self, direction: str) -> None:
        """What the arrows do in the help: the scrolling box's own scroll actions."""
        box = self.query_one("#help-box", VerticalScroll)
        if direction == "down":
            box.action_scroll_down()
        else:
            box.action_scroll_up()


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; y or enter confirms, n or escape declines."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", tooltip="confirmation: yes (enter on the No button: no)", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", tooltip="confirmation: no", id="confirm.no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._question), classes="question")
            with Horizontal(classes="buttons"):
                yield Button("Yes (y)", variant="primary", id="yes")
                yield Button("No (n)", id="no")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """One thing the export dialog offers: its key, what it is called, how many papers it holds, a file stem."""

    key: str
    label: str
    count: int
    stem: str


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What the export dialog was asked: which choice, in which format, to which file (or notes folder)."""

    choice: str
    fmt: str
    path: Path


class ExportScreen(ModalScreen[ExportRequest | None]):
    """Choose what to export (the bookmarks, this list as filtered now, a tag), a format and a file.

    Each choice shows how many papers it holds, so the user knows before
    anything is written.  Labels are rich ``Text``: a tag or a query is never
    read as markup.

    An export that failed (a missing folder, a refused write) opens the dialog
    again with what the user chose (``request``) and why it failed (``error``),
    so one mistyped folder costs a correction, not the whole dialog again.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="export dialog: cancel (tab moves between fields)", id="export.cancel")]

    def __init__(
        self,
        choices: Sequence[ExportChoice],
        directory: Path,
        *,
        initial: str | None = None,
        request: ExportRequest | None = None,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self._choices = {choice.key: choice for choice in choices}
        self._directory = directory
        self._initial = initial if initial in self._choices else choices[0].key
        self._request = request if request is not None and request.choice in self._choices else None
        self._error = error
        #: The value each Select shows (by id), to tell the user's changes from the Selects' own.
        self._selected: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        first = self._choices[self._request.choice if self._request else self._initial]
        fmt = self._request.fmt if self._request else "md"
        path = str(self._request.path) if self._request else str(self._directory / f"{first.stem}.md")
        self._selected = {"what": first.key, "format": fmt}
        with Vertical(classes="dialog"):
            yield Label(Text("Export"), classes="question")
            yield Select(
                [(Text(f"{choice.label} ({choice.count:,})"), choice.key) for choice in self._choices.values()],
                value=first.key,
                allow_blank=False,
                id="what",
            )
            yield Select(
                [(Text(name), fmt) for fmt, name in FORMAT_NAMES.items()],
                value=fmt,
                allow_blank=False,
                id="format",
            )
            yield Input(path, id="path")
            yield Label(Text(self._error or ""), id="export-error")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="export")
                yield Button("Cancel", id="cancel")

    def _suggest_path(self) -> None:
        """The file name follows the choice and the format (a notes folder has no suffix)."""
        path_input = self.query_one("#path", Input)
        choice = self._choices[str(self.query_one("#what", Select).value)]
        suffix = FORMATS[str(self.query_one("#format", Select).value)][1]
        folder = Path(path_input.value).parent if path_input.value.strip() else self._directory
        stem = f"{choice.stem}-notes" if not suffix else choice.stem
        path_input.value = str(folder / f"{stem}{suffix}")

    def on_mount(self) -> None:
        if self._error:  # opened again after a failure: the file name is what to correct
            path_input = self.query_one("#path", Input)
            path_input.focus()
            path_input.cursor_position = len(path_input.value)

    def on_select_changed(self, event: Select.Changed) -> None:
        """A choice changed by the user renames the file; the Changed each Select posts as it mounts does not.

        (Otherwise a dialog opened again after a failure would replace the
        file name the user typed with a suggested one.)
        """
        if self._selected.get(str(event.select.id)) == event.value:
            return
        self._selected[str(event.select.id)] = event.value
        self._suggest_path()

    def _submit(self) -> None:
        path_input = self.query_one("#path", Input)
        value = path_input.value.strip()
        if not value:
            self.query_one("#export-error", Label).update(Text("Type the file to export to (or a folder, for a notes folder)."))
            path_input.focus()
            return
        choice = str(self.query_one("#what", Select).value)
        fmt = str(self.query_one("#format", Select).value)
        self.dismiss(ExportRequest(choice, fmt, Path(value).expanduser()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)


class ImportScreen(ModalScreen[Path | None]):
    """Ask for a digest file or folder to import."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", tooltip="import dialog: cancel", id="import.cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Import digests: a .txt file or a folder of them", classes="question")
            yield Input(placeholder="~/Downloads/digests", id="path")
            yield Label("", id="import-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip() or not path.exists():
            self.query_one("#import-error", Label).update(Text(f"No such file or folder: {path}"))
            return
        self.dismiss(path)


class ProgressScreen(ModalScreen[None]):
    """A progress bar for long work (import, reindex); the app closes it."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self._title), id="progress-title", classes="question")
            yield ProgressBar(id="progress", show_eta=False)

    def advance(self, label: str, done: int, total: int | None) -> None:
        self.query_one("#progress-title", Label).update(Text(label))
        self.query_one("#progress", ProgressBar).update(total=total, progress=done)
