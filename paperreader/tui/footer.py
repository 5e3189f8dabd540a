"""The reader's footer: Textual's Footer in a fixed order, fitted to the terminal's width.

Textual's Footer lists the keys in the order of the screen's active
bindings, where a key remapped in the config's ``[keys]`` comes last (so
``toggle_bookmark = "B"`` moved Bookmark to the end, where it was cut off),
and it shows every key at any width (at 80 columns ``? Help`` was cut off).
This footer keeps the keys of the part in focus first (the views panel's
``e x esc``, the abstract's ``q``), then the reader's in the order of its
bindings whatever their keys, and leaves out the reader's keys that do not
fit, least needed first, so what it shows is never cut and ``? Help`` (which
lists the rest) is always there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["ReaderFooter"]


class ReaderFooter(Footer):
    """Footer keys: the focused part's own, then ``bindings``' in their order; fitted by ``drop_order``.

    ``bindings`` are the reader's, in order (a key remapped keeps its binding's
    action, and so its place).  ``drop_order`` names
    (by binding id) the reader's keys that may be left out when the footer is
    too narrow, the first one first; the others (the focused part's keys, Help)
    are always shown.  Each key is measured with its own styles as Textual
    applied them (what it renders, its padding, border and margin), so the fit
    follows the keys in force and the CSS, and happens before the footer is
    drawn: no frame shows keys cut off.
    """

    def __init__(self, bindings: Iterable[Binding], drop_order: Sequence[str]) -> None:
        super().__init__()
        #: Where each of the reader's actions goes in the footer, and its binding's id.
        self._places: dict[str, tuple[int, str]] = {}
        for position, binding in enumerate(bindings):
            self._places.setdefault(binding.action, (position, binding.id or ""))
        self._drop_order = {binding_id: rank for rank, binding_id in enumerate(drop_order)}
        #: The binding id of each reader key on show (the focused part's keys have none).
        self._ids: dict[Widget, str] = {}
        self._fitted_width = 0

    def compose(self) -> ComposeResult:
        places = self._places
        own: list[Widget] = []
        reader: list[tuple[int, Widget]] = []
        rest: list[Widget] = []  # the command palette's key, docked right
        self._ids = {}
        for widget in super().compose():
            if not isinstance(widget, FooterKey) or widget.has_class("-command-palette"):
                rest.append(widget)
            elif widget.action in places:
                position, binding_id = places[widget.action]
                reader.append((position, widget))
                self._ids[widget] = binding_id
            else:
                own.append(widget)
        reader.sort(key=lambda item: item[0])
        yield from own
        yield from (widget for _position, widget in reader)
        yield from rest

    async def recompose(self) -> None:
        await super().recompose()  # the keys are mounted, with their styles, not yet laid out
        self._fit()

    @staticmethod
    def _width(key: FooterKey) -> int:
        """The cells ``key`` takes in the footer (as laid out: its text, padding, border and margin)."""
        return key.render().cell_len + key.styles.gutter.width + key.styles.margin.width

    def _fit(self) -> None:
        """Leave out the reader's keys that do not fit beside the palette's key, least needed first."""
        width = self.size.width or self.app.size.width
        if not width or not self.is_attached:
            return
        self._fitted_width = width
        keys = list(self.query_children(FooterKey))
        palette = sum(self._width(key) for key in keys if key.has_class("-command-palette"))
        shown = [key for key in keys if not key.has_class("-command-palette")]
        used = sum(self._width(key) for key in shown)
        droppable = sorted(
            (key for key in shown if self._ids.get(key, "") in self._drop_order),
            key=lambda key: self._drop_order[self._ids[key]],
        )
        for key in droppable:
            if used <= width - palette:
                break
            used -= self._width(key)
            key.display = False

    def on_resize(self, event: events.Resize) -> None:
        """Another width: every key again, then fitted (wider shows more, narrower fewer)."""
        if self._fitted_width and event.size.width != self._fitted_width:
            self._fitted_width = 0
            self.call_after_refresh(self.recompose)
