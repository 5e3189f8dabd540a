"""Leaving the reader: a link to a browser, text to the terminal's clipboard.

Both can fail where the reader cannot see it.  Over SSH there is no browser
to open, and a console browser (lynx, w3m) would draw over the reader, so the
reader shows the link in a dialog instead, with a key to copy it.  The
clipboard is reached through the terminal (OSC 52), which never answers: the
reader says what it sent and where that is known not to arrive, never "copied".
"""

from __future__ import annotations

import os
import webbrowser
from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from ..links import safe_url, search_links

__all__ = ["LinkScreen", "LinkPickerScreen", "arxiv_search_url", "clipboard_notice", "open_in_browser", "link_choices"]


def arxiv_search_url(title: str) -> str:
    """arXiv's title search for ``title`` (digests carry no arXiv id, only the title).

    The same URL the ``L`` picker offers (:func:`paperreader.links.search_links`):
    ``o`` and ``L`` must lead to the same page for the same paper.
    """
    return search_links(title)[0][1]


def _takes_the_terminal(browser: webbrowser.BaseBrowser) -> bool:
    """A console browser (lynx, w3m, links, elinks, a plain $BROWSER command) runs in our terminal.

    Python starts those in the foreground and waits for them: under a running
    reader both would draw on one screen.
    """
    if isinstance(browser, webbrowser.GenericBrowser) and not isinstance(browser, webbrowser.BackgroundBrowser):
        return True
    return isinstance(browser, webbrowser.UnixBrowser) and not browser.background


def open_in_browser(url: str) -> bool:
    """Open ``url`` in a browser with a window of its own; False if there is none (SSH, say).

    ``webbrowser.open`` says False when no browser could be started; a console
    browser counts as none (see :func:`_takes_the_terminal`).
    """
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if _takes_the_terminal(browser):
        return False
    try:
        return bool(browser.open(url, new=2))
    except OSError:
        return False


def clipboard_notice(what: str, environ: Mapping[str, str] | None = None) -> str:
    """What to tell after sending ``what`` to the clipboard by OSC 52: the truth, as far as it is known.

    The terminal never confirms an OSC 52 request.  Where it is known to be
    dropped (tmux without ``set-clipboard on``, macOS Terminal), say so and how
    to get the text anyway.
    """
    env = os.environ if environ is None else environ
    sent = f"Sent the {what} to the terminal's clipboard (OSC 52)"
    if env.get("TMUX"):
        return f"{sent}. Inside tmux it arrives only with `set -g set-clipboard on` in tmux.conf."
    if env.get("TERM_PROGRAM") == "Apple_Terminal":
        return f"{sent}, but macOS Terminal ignores it: select the text with the mouse instead."
    if env.get("STY"):
        return f"{sent}. GNU screen does not pass it on: select the text with the mouse instead."
    return f"{sent}; most terminals accept it, paste to check."


class LinkScreen(ModalScreen[None]):
    """The link that could not be opened, to read, select or copy (``c``)."""

    BINDINGS = [
        Binding("c", "copy", "Copy the link", id="link.copy"),
        Binding("escape,enter,q", "dismiss(None)", "Close", id="link.close"),
    ]

    def __init__(self, url: str, reason: str) -> None:
        super().__init__()
        self.url = url
        self._reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="link-dialog"):
            yield Static(Text(self._reason), classes="question")
            # The URL carries an untrusted title (percent-encoded): shown as text, never markup.
            yield Static(Text(self.url, style="underline", overflow="fold"), id="link-url", classes="question")
            with Horizontal(classes="buttons"):
                yield Button(Text("Copy the link (c)"), variant="primary", id="copy")
                yield Button(Text("Close (escape)"), id="close")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.url)
        self.app.notify(clipboard_notice("link"), markup=False, timeout=6)
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.dismiss(None)


def link_choices(title: str, links: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """What the link picker offers, ``(label, url)``: the abstract's links, then the title searches.

    The abstract's links are checked again here (:func:`paperreader.links.safe_url`):
    what reaches the browser and the screen is an http(s) URL of URL characters only.
    """
    found = [("link in the abstract", url) for url in links if safe_url(url) is not None]
    return found + search_links(title)


class LinkPickerScreen(ModalScreen[str | None]):
    """``L``: the paper's links and title searches; enter opens the one chosen (dismissed with its URL).

    Each choice is a rich ``Text`` (an OptionList parses plain strings as
    markup) of a URL already checked to hold only URL characters.
    """

    BINDINGS = [
        Binding("escape,q", "dismiss(None)", "Close", id="links.close"),
    ]

    DEFAULT_CSS = """
    LinkPickerScreen { align: center middle; }
    LinkPickerScreen OptionList { height: auto; max-height: 16; }
    """

    def __init__(self, title: str, links: tuple[str, ...] | list[str]) -> None:
        super().__init__()
        self.choices = link_choices(title, links)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="link-picker"):
            found = sum(1 for label, _ in self.choices if label == "link in the abstract")
            # Without links only the title searches are offered: "0 links…; enter opens one" read as an error.
            heading = (
                f"{found} link{'s' if found != 1 else ''} in the abstract; enter opens one, escape closes"
                if found
                else "No links in the abstract; enter opens a search, escape closes"
            )
            yield Static(Text(heading), classes="question")
            yield OptionList(
                *(
                    Option(Text.assemble((label, "dim"), "\n", (url, "underline"), overflow="fold"), id=str(number))
                    for number, (label, url) in enumerate(self.choices)
                ),
                id="link-choices",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][1])
