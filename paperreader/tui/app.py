"""The triage reader: a paper list, an abstract viewer and a filter bar.

The app only composes the core: the library answers queries (in thread
workers, so typing never waits for Whoosh), the store takes every state change
at once (no "save" step), and the widgets report up with messages while the
app drives them down.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Literal

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingsMap, BindingType
from textual.dom import DOMNode
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer
from textual.worker import Worker, WorkerState
from textual.widgets import Input, Static

from .. import interest
from ..config import KEEP_DAYS, Config
from ..autoexport import AutoExporter
from ..exports import FORMAT_NAMES, Selection, SelectionError, export_selection
from ..inbox import InboxWatcher
from ..index import QUERY_HELP, SearchCancelled, SearchOutcome, brief_error
from ..library import FileReport, Library, LibraryError
from ..models import DigestDay, Paper, SavedView
from ..paths import describe_refusal
from ..journal import BOOKMARKED, DIGEST, PAPER, READ, JournalError, Reverted, describe_days
from ..store import Counts, Observation, RowCache, StoreError, View
from ..sync import SyncError, SyncReport, changed_signature, sync
from ..text import printable
from .annotate import NoteScreen, TagScreen
from .catchup import Before, CatchupChoice, CatchupScreen, ChosenPapers
from .digests import DigestChoice, DigestsScreen
from .footer import ReaderFooter
from .history import HistoryScreen
from .link import LinkPickerScreen, LinkScreen, arxiv_search_url, clipboard_notice, open_in_browser
from .paper_list import PaperList
from .screens import ConfirmScreen, ExportChoice, ExportRequest, ExportScreen, HelpScreen, ImportScreen, ProgressScreen
from .viewer import PaperViewer
from .views import ViewScreen, ViewsPanel

__all__ = ["PaperReaderApp"]

#: Sorts offered by ``s``, in order; "relevance" only while searching.
SORTS = ("relevance", "digest", "published", "upvotes", "momentum", "title", "interest")
#: How a sort is named to the user where its id is not the word ("interest" is "for you").
SORT_NAMES = {"interest": "for you"}
VIEWS: tuple[View, ...] = ("all", "unread", "bookmarked")
#: "Mark all read" asks first above this many papers.
CONFIRM_ABOVE = 20
#: Search results fetched at once; "+" (or scrolling near the end) fetches more.
PAGE = 1000
#: Rows of a search's first screen, fetched before the full page (a few screens' worth).
FIRST_SCREEN = 60
#: Actions the history screen lists (the newest); ``paperreader history --limit`` shows more.
HISTORY_ROWS = 1000
#: The Catch up screen (C): days with unread papers shown, and picks per day.
CATCHUP_DAYS = 7
CATCHUP_TOP = 5
#: Seconds the cursor must rest before the abstract viewer follows it.
VIEWER_DELAY = 0.05


@dataclass(slots=True)
class Results:
    """What the list should show, computed off the UI thread."""

    token: int
    ids: list[str]
    total: int
    terms: dict[str, frozenset[str]] = field(default_factory=dict)
    error: str | None = None
    suggestion: str | None = None
    exact: bool = True
    #: Where each digest day's run starts, for a list in digest order: (index, day).
    groups: list[tuple[int, dt.date]] = field(default_factory=list)
    #: The date the rows show: the one they are sorted by (published), else their digest's.
    dates: Literal["digest", "published"] = "digest"
    #: A search's first screen: its rows are the top of the final list, which is on its way.
    provisional: bool = False
    #: Set once these results are on screen (or dropped): the full search waits for it.
    drawn: threading.Event = field(default_factory=threading.Event)
    #: Ranked "for you": each paper's interest and why (None: no model yet, see ``interest_status``).
    scores: interest.Scores | None = None
    interest_status: interest.Status | None = None


def _shown_path(path: Path) -> str:
    """A folder as the user would type it: absolute, ``~`` for the home folder, no control characters."""
    full = path.expanduser().absolute()
    with contextlib.suppress(ValueError, RuntimeError):  # not under the home folder, or no home folder
        return printable(str(Path("~") / full.relative_to(Path.home())))
    return printable(str(full))


#: Columns the filter bar's query field keeps however long the status beside it (app.tcss says the same).
QUERY_MIN = 30


def _new_papers(count: int, days: list[dt.date]) -> str:
    """ "12 new papers from Nov 14": one wording for the inbox and for imports from the shell."""
    return f"{count:,} new paper{'s' if count != 1 else ''} from {describe_days(days)}"


#: Below this many columns the list sits above the abstract instead of beside it.
NARROW_BELOW = 100
#: The reader's keys the footer leaves out when they do not fit, the first first (by binding id);
#: ? Help, which lists every key, always stays.  The last to go are what a new user needs first:
#: open a paper, undo a slip, filter, catch up after days away (at 80 columns: ⏎ u / C ? and n).
FOOTER_DROP_ORDER = ("history", "export", "toggle_views", "edit_tags", "digests", "toggle_bookmark", "toggle_read",
                     "quit", "next_unread", "catch_up", "focus_filter", "undo", "open")


class ReaderScreen(Screen[None]):
    """The reader's own screen: the list, the abstract, the filter bar and their keys.

    The reader's keys are this screen's bindings (acting on the app), so they
    are in force only while it is on top: a dialog or the digests screen has
    its own keys, and Textual's own (Tab between fields) keep working there.
    The layout follows the width through Textual's breakpoints: ``-narrow``
    stacks the panes.  (Textual passes a resize on to the screen under the one
    on top, so a resize made on the digests screen is not lost either.)
    """

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (NARROW_BELOW, "-wide")]

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "app.open", "Open", tooltip="open the paper: focus the abstract, mark it read", id="open"),
        Binding("space", "app.page", "Page", show=False, tooltip="page down the abstract; at its end, mark it read and go on to the next", id="page"),
        Binding("j", "app.next_paper", "Next paper", show=False, tooltip="in the abstract: open the next paper (in the list: down)", id="next_paper"),
        Binding("k", "app.previous_paper", "Prev paper", show=False, tooltip="in the abstract: open the previous paper (in the list: up)", id="previous_paper"),
        Binding("n", "app.next_unread", "Next unread", tooltip="mark read, go to the next unread paper", id="next_unread"),
        Binding("p", "app.previous_unread", "Prev unread", show=False, tooltip="mark read, go to the previous unread paper", id="previous_unread"),
        Binding("r", "app.toggle_read", "Read", tooltip="toggle read", id="toggle_read"),
        Binding("b", "app.toggle_bookmark", "Bookmark", tooltip="toggle bookmark", id="toggle_bookmark"),
        Binding("A", "app.mark_all_read", "All read", show=False, tooltip="mark every paper in this list read (asks above 20)", id="mark_all_read"),
        Binding("t", "app.edit_tags", "Tags", tooltip="tag the paper (tab completes from your tags)", id="edit_tags"),
        Binding("N", "app.edit_note", "Note", show=False, tooltip="write a note on the paper (ctrl+s saves)", id="edit_note"),
        Binding("u", "app.undo", "Undo", tooltip="undo the newest change, the reader's or a command's", id="undo"),
        Binding("ctrl+y", "app.redo", "Redo", show=False, tooltip="redo what u undid (until a new change is made)", id="redo"),
        Binding("h", "app.history", "History", tooltip="every change, newest first; enter goes back to before one", id="history"),
        Binding("slash", "app.focus_filter", "Filter", tooltip="type a query (enter: back to the list, escape: clear)", id="focus_filter"),
        Binding("1", "app.view('all')", "All", show=False, tooltip="view all papers", id="view_all"),
        Binding("2", "app.view('unread')", "Unread", show=False, tooltip="view unread papers", id="view_unread"),
        Binding("3", "app.view('bookmarked')", "Bookmarked", show=False, tooltip="view bookmarked papers", id="view_bookmarked"),
        Binding("d", "app.cycle_digest", "Digest", show=False, tooltip="only one digest: newest, older, ..., all again", id="cycle_digest"),
        Binding("s", "app.cycle_sort", "Sort", show=False, tooltip="sort: relevance, digest, published, upvotes, momentum (upvotes gained), title, for you", id="cycle_sort"),
        Binding("v", "app.toggle_views", "Views", tooltip="show or hide the saved views panel", id="toggle_views"),
        Binding("S", "app.save_view", "Save view", show=False, tooltip="save the current filter as a view", id="save_view"),
        Binding("D", "app.digests", "Digests", tooltip="the digests screen: each day's papers, triage and topics", id="digests"),
        Binding("C", "app.catch_up", "Catch up", tooltip="catch up: each day's top unread papers, the rest read in one key", id="catch_up"),
        Binding("m", "app.more_like_this", "Similar", show=False, tooltip="papers like this one (escape: back)", id="more_like_this"),
        Binding("plus", "app.more_results", "More results", show=False, tooltip="show 1,000 more search results", id="more_results"),
        Binding("e", "app.export", "Export", tooltip="export the bookmarks, this list or a tag, in any format", id="export"),
        Binding("o", "app.open_browser", "Browser", show=False, tooltip="search the paper's title on arXiv in the browser", id="open_browser"),
        Binding("c", "app.copy_title", "Copy title", show=False, tooltip="copy the title to the clipboard", id="copy_title"),
        Binding("L", "app.pick_link", "Links", show=False, tooltip="the abstract's links, arXiv and Hugging Face searches by title: enter opens one", id="pick_link"),
        Binding("i", "app.import", "Import", show=False, tooltip="import a digest file or folder", id="import"),
        Binding("ctrl+r", "app.reload", "Reload", show=False, tooltip="reload the library from disk", id="reload"),
        Binding("escape", "app.back", "Back", show=False, tooltip="leave similar papers, clear the filter", id="back"),
        Binding("question_mark", "app.help", "Help", tooltip="this help", id="help"),
        Binding("q", "app.quit", "Quit", tooltip="quit (everything is saved already)", id="quit"),
    ]


#: Who owns bindings, by the part of the reader they act in: the help screen's sections.
BINDING_OWNERS: tuple[tuple[str, tuple[type[DOMNode], ...]], ...] = (
    ("The reader", (ReaderScreen,)),
    ("The list", (PaperList,)),
    ("The abstract (enter)", (PaperViewer,)),
    ("The views panel (v)", (ViewsPanel,)),
    ("The digests screen (D)", (DigestsScreen,)),
    ("The Catch up screen (C)", (CatchupScreen,)),
    ("The history (h)", (HistoryScreen,)),
    ("Dialogs", (ConfirmScreen, ExportScreen, ImportScreen, ViewScreen, TagScreen, NoteScreen, LinkPickerScreen, LinkScreen, HelpScreen)),
)


class PaperReaderApp(App[None]):
    """paperreader's TUI on the library in ``data_dir``."""

    CSS_PATH = "app.tcss"
    TITLE = "paperreader"

    view: reactive[View] = reactive("all", init=False)
    """Which papers the list shows: all, unread or bookmarked."""
    digest: reactive[dt.date | None] = reactive(None, init=False)
    """Restrict the list to one digest date (None: every digest)."""
    sort: reactive[str] = reactive("digest", init=False)
    """The list's order; "relevance" applies only while a query is typed."""
    query: reactive[str] = reactive("", init=False)
    """The filter bar's query (Whoosh syntax), applied after the debounce."""

    class ResultsReady(Message):
        def __init__(self, results: Results) -> None:
            self.results = results
            super().__init__()

    class ViewCounts(Message):
        """Papers and unread counts of the views, counted in a worker."""

        def __init__(self, counts: dict[tuple[bool, str], tuple[int, int]]) -> None:
            self.counts = counts
            super().__init__()

    def __init__(
        self,
        data_dir: Path,
        *,
        config: Config | None = None,
        notices: Iterable[str] = (),
        debounce: float = 0.15,
        poll_interval: float = 2.0,
    ) -> None:
        """Open the reader on ``data_dir``.

        ``config`` brings the inbox folder, the theme and key overrides;
        ``notices`` are shown once the app runs (a config file's warnings).
        """
        super().__init__()
        self.data_dir = data_dir
        self.config = config
        self.startup_notices = list(notices)
        self.inbox = InboxWatcher(config.inbox) if config is not None and config.inbox is not None else None
        self.library = Library(data_dir)
        #: The config's auto-exports, rewritten a moment after each change (in a thread of their own).
        self.auto_exports = AutoExporter(
            self.library, config.exports if config is not None else [], notify=self._auto_export_notice, delay=0.2
        ).attach()
        self.debounce = debounce
        self.poll_interval = poll_interval
        #: The folder shared with the user's other machines (the config's, else the one 'sync --folder' kept).
        remembered = self.library.store.setting("sync.folder")
        self.sync_folder: Path | None = (config.sync_folder if config is not None else None) or (
            Path(remembered) if remembered else None
        )
        self._sync_busy = False
        #: What the folder and the journal looked like at the last sync: a change brings another.
        self._sync_seen: tuple[object, ...] | None = None
        #: The last sync failure told (said once, until a sync works again).
        self._sync_error: str | None = None
        #: Rows of the papers, fetched as the list draws them.
        self.rows = RowCache(self.library.store)
        #: The status line's counts: read on (re)load, then kept by deltas.
        self.counts = Counts(0, 0, 0)
        self.limit = PAGE
        self.similar_to: Paper | None = None
        #: A cluster (or a day's top, its rest) opened from Catch up or the digests screen: the list shows
        #: just those papers, named in the status; escape brings back the list it replaced.
        self.chosen: ChosenPapers | None = None
        #: The paper the cursor goes back to when the next results land (escape out of chosen papers).
        self._cursor_back: str | None = None
        self.terms: dict[str, frozenset[str]] = {}
        #: The list's "for you" scores and why (sorted by interest), or the model's status while it has too few kept papers.
        self.interest_scores: interest.Scores | None = None
        self.interest_status: interest.Status | None = None
        self.total_matches = 0
        self.exact_total = True
        #: The list shows a search's first screen; the full page (and the exact count) is coming.
        self.provisional = False
        self._token = 0
        #: Set to abandon the search in flight (a newer keystroke made it stale).
        self._cancel = threading.Event()
        self._debounce_timer: Timer | None = None
        self._viewer_timer: Timer | None = None
        self._data_version = 0
        #: The store's mark of the papers already shown: newer ones are announced (see _poll_store).
        self._last_added = 0
        #: The theme in the library's settings (or the config's): a change to another is kept.
        self._kept_theme = ""
        #: After n at the end of the list: (the list and cursor it was made at, the digest offered).
        self._digest_offer: tuple[tuple[object, ...], dt.date] | None = None
        #: The next results put the cursor on their first unread paper (n went on to another digest).
        self._seek_unread = False
        self._cache: dict[tuple[object, ...], Results] = {}
        self._views_timer: Timer | None = None
        self._inbox_busy = False
        #: Why the inbox's last import was refused (a full disk...): told once, until an import succeeds.
        self._inbox_refused: str | None = None
        #: The config's key overrides in force (binding id -> keys), for help and the palette.
        self.keymap: dict[str, str] = {}

    # -- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield ViewsPanel(id="views")
            with Vertical(id="left"):
                yield Static(id="list-status", markup=False)
                yield PaperList(id="papers")
            yield PaperViewer(id="viewer")
        with Horizontal(id="filter-bar"):
            yield Input(placeholder="/ filter: words  \"a phrase\"  trans*  title:x  NOT y", id="query")
            yield Static(id="filter-info", markup=False)
        yield Static(id="message", markup=False)
        yield Static(
            Text.assemble(
                ("Welcome to paperreader\n\n", "bold"),
                # Where it looked, so a mistyped --data-dir shows at once.
                "Your library at ",
                (_shown_path(self.data_dir), "bold"),
                " is empty. Import the digests you saved:\n\n",
                ("    paperreader import ~/path/to/digests\n\n", "bold"),
                "or press ",
                ("i", "bold reverse"),
                " to import a file or folder now.  ",
                ("q", "bold reverse"),
                " quits, ",
                ("?", "bold reverse"),
                " lists every key.\n\n",
                ("Not the folder you meant? Start paperreader with --data-dir DIR.", "dim"),
            ),
            id="welcome",
        )
        yield ReaderFooter(Binding.make_bindings(ReaderScreen.BINDINGS), FOOTER_DROP_ORDER)

    def get_default_screen(self) -> Screen:
        """The reader's screen, which owns the reader's keys and the responsive layout."""
        return ReaderScreen(id="_default")

    @property
    def main_screen(self) -> Screen:
        """The reader's own screen (``self.screen`` may be a dialog on top)."""
        return self.screen_stack[0]

    def on_mount(self) -> None:
        self._apply_config()
        self._tell_read_only()
        self.query_one(PaperList).loading = True  # until the first results arrive
        self._update_info()
        self.reload()
        self.prepare_index()
        # The polls belong to the reader's screen: at quit they stop with it.
        self.main_screen.set_interval(self.poll_interval, self._poll_store)
        if self.inbox is not None:
            self.check_inbox()
            self.main_screen.set_interval(self.config.inbox_interval if self.config else 5.0, self.check_inbox)
        if self.sync_folder is not None:  # at start, then whenever the folder or the journal changes
            self.check_sync()
            self.main_screen.set_interval(self.config.sync_interval if self.config else 10.0, self.check_sync)

    def _tell_read_only(self) -> None:
        """Say once, at start, that the library can be read but not changed (a read-only mount, a full disk).

        Otherwise the first sign is a refused bookmark, after the user has begun work.
        """
        store = self.library.store
        if store.read_only is None:
            return
        self.notify(
            f"The library at {_shown_path(store.path.parent)} is read-only here "
            f"({printable(describe_refusal(store.read_only, store.path))}): reading and searching work, "
            "but changes (read, bookmarks, tags, notes, views) cannot be saved.",
            title="Read-only library", severity="warning", markup=False, timeout=15,
        )

    def _apply_config(self) -> None:
        """The theme and key overrides of the config file; what cannot be used is said, not fatal."""
        for notice in self.startup_notices:
            self.notify(notice, severity="warning", markup=False, timeout=8)
        self._apply_theme()
        if self.config is None:
            return
        if self.config.keys:
            known = {b.id for b in self._all_bindings() if b.id}
            unknown = sorted(set(self.config.keys) - known)
            if unknown:
                self.notify(
                    f"{self.config.path}: unknown key binding ids {', '.join(unknown)} (? lists them)",
                    severity="warning", markup=False, timeout=10,
                )
            self.keymap = {k: v for k, v in self.config.keys.items() if k in known}
            self.set_keymap(self.keymap)

    def _apply_theme(self) -> None:
        """The config file's theme if it sets one, else the one last picked in the reader (kept in the library).

        Then every theme change (ctrl+p, "Change theme") is kept in the library's
        settings, so the next start opens with it.
        """
        config_theme = self.config.theme if self.config is not None else None
        try:
            picked = self.library.store.setting("theme")
        except Exception:  # noqa: BLE001 - a damaged library is reported by the first query
            picked = None
        if config_theme:
            if config_theme in self.available_themes:
                self.theme = config_theme
            else:
                assert self.config is not None
                names = ", ".join(sorted(self.available_themes))
                self.notify(
                    f"{self.config.path}: unknown theme {config_theme!r}; themes: {names}",
                    severity="warning", markup=False, timeout=10,
                )
        elif picked and picked in self.available_themes:
            self.theme = picked
        self._kept_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        """Keep a theme picked in the reader for the next start."""
        if theme.name == self._kept_theme:
            return  # the start-up theme being applied, or no change
        try:
            self.library.store.set_setting("theme", theme.name)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        self._kept_theme = theme.name
        if self.config is not None and self.config.theme and self.config.theme != theme.name:
            self.notify(
                f"Theme {theme.name!r} kept, but {printable(str(self.config.path))} sets theme = "
                f"{self.config.theme!r}, which wins at the next start (remove it there to keep this one).",
                markup=False, timeout=8,
            )

    def _all_bindings(self) -> list[Binding]:
        """Every binding with an id, of the app and its widgets and screens (what a keymap can remap)."""
        found: list[Binding] = []
        for _title, owners in BINDING_OWNERS:
            for owner in owners:
                found += [b for b in owner.BINDINGS if isinstance(b, Binding)]
        return found

    def on_unmount(self) -> None:
        self.auto_exports.close()  # a change made just before quitting is still exported
        if self.sync_folder is not None:  # and sent to the other machines
            with contextlib.suppress(Exception):  # nobody left to tell; the next sync sends it
                sync(self.library.store, self.sync_folder, self.data_dir)
        # Old actions go at most once a day (after the sync: what it had to send is sent).
        with contextlib.suppress(StoreError):  # a full disk: the next time
            self.library.store.journal.compact(self.config.keep_days if self.config is not None else KEEP_DAYS, due=True)
        self.library.close()

    def _auto_export_notice(self, message: str) -> None:
        """An auto-export could not be written (a missing folder, a file edited by hand): say so, keep running."""
        if threading.current_thread() is threading.main_thread():
            self.notify(message, severity="warning", markup=False, timeout=10)
            return
        with contextlib.suppress(RuntimeError):  # the reader is closing: nobody to tell
            self.call_from_thread(self.notify, message, severity="warning", markup=False, timeout=10)

    # -- loading --------------------------------------------------------------------

    def reload(self) -> None:
        """Forget what was read from the store and show the list afresh."""
        # The mark first: a commit landing between the two is announced at the next poll, not lost.
        self._last_added = self.library.store.last_added()
        self._data_version = self.library.store.data_version()
        self.rows.clear()
        self._forget_results()
        self.counts = self.library.store.counts()
        self.main_screen.set_class(self.counts.papers == 0, "empty")
        self.refresh_results()
        self._refresh_views()

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def prepare_index(self) -> None:
        """Open the index (catching up or rebuilding it) before the first query needs it."""

        def progress(done: int, total: int) -> None:
            text = f"Rebuilding the search index: {done:,} of {total:,} papers…" if done < total else None
            self.call_from_thread(self._show_message, text)

        self.library.index(progress)
        for notice in self.library.notices:
            self.call_from_thread(self.notify, notice, markup=False)
        self.library.notices.clear()
        # What start-up loaded (Textual, Whoosh, the index's readers) lives as long as the reader:
        # out of the collector's sight, a full collection no longer walks it, which took
        # 35-45 ms at random moments (a keystroke's frame drawn that much later).
        gc.freeze()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed (a damaged library, a full disk) says so; the reader stays."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            if isinstance(self.screen, ProgressScreen):
                self.screen.dismiss()  # the import's progress dialog
            self.notify(f"{event.worker.name}: {event.worker.error}", severity="error", markup=False, timeout=10)

    def _poll_store(self) -> None:
        """Pick up changes another process (an import, the CLI) committed.

        New papers are announced as the inbox announces its imports ("12 new
        papers from Nov 14"), so an import from the shell does not change the
        counts unseen.
        """
        try:
            version = self.library.store.data_version()
            if version == self._data_version:
                return
            new, days = self.library.store.added_after(self._last_added)
            back, back_days = self.library.store.put_back_after(self._last_added) if new else (0, [])
        except Exception:  # noqa: BLE001 - the next poll will tell
            return
        if back:  # a forget undone (here or in the shell): the papers are back, not new
            self.notify(
                f"{back:,} paper{'s' if back != 1 else ''} back from {describe_days(back_days)} (the forget undone)",
                markup=False,
                timeout=6,
            )
        if new > back:
            fresh_days = [day for day in days if day not in back_days] or days
            self.notify(_new_papers(new - back, fresh_days), markup=False, timeout=6)
        self.reload()

    # -- results --------------------------------------------------------------------

    def refresh_results(self) -> None:
        """Recompute the list for the current query, view, digest and sort.

        Answers are cached until the library changes, so going back to an
        earlier query (backspace, escape) is instant.
        """
        self._token += 1
        # The search in flight is stale now: let it stop instead of holding the index.
        self._cancel.set()
        self._cancel = threading.Event()
        key = (self.query.strip(), self.view, self.digest, self.sort, self.limit, self.similar_to, self.chosen)
        cached = self._cache.get(key)
        if cached is not None:
            cached.token = self._token
            self._post_to_reader(self.ResultsReady(cached))
            return
        # A new search shows its first screen first; more rows of the same one come whole.
        first = FIRST_SCREEN if self.limit <= PAGE else None
        self.compute_results(
            self._token, self.query, self.view, self.digest, self.sort, self.limit, self.similar_to, first, self._cancel,
            chosen=self.chosen.ids if self.chosen is not None else None,
        )

    @work(thread=True, exclusive=True, group="results", exit_on_error=False)
    def compute_results(
        self,
        token: int,
        query: str,
        view: View,
        digest: dt.date | None,
        sort: str,
        limit: int,
        similar: Paper | None,
        first: int | None = None,
        cancel: threading.Event | None = None,
        chosen: tuple[str, ...] | None = None,
    ) -> None:
        """The list for a filter, off the UI thread.

        A search posts its top ``first`` rows as soon as they are ranked
        (``quick``: a few milliseconds at any size) and then the full page
        with the exact count; the first screen's rows are the top of the full
        list, so the cursor stays on its paper when the page replaces it.
        ``cancel`` set by a newer keystroke abandons either search.  ``chosen``:
        just these papers (a cluster), in the view's state and the sort's order.
        """
        store = self.library.store
        if chosen is not None and similar is None:
            self._post_to_reader(self.ResultsReady(self._chosen_results(token, chosen, view, sort)))
            return
        if sort == "interest" and similar is None:
            found = self._interest_results(token, query, view, digest, limit, cancel)
            if found is not None:
                self._post_to_reader(self.ResultsReady(found))
            return
        if similar is not None:
            allowed = set(store.ids(view, digest=digest)) if view != "all" or digest else None
            hits = self.library.index().more_like(similar, allowed=allowed, limit=limit)
            results = Results(token, [h.id for h in hits], len(hits))
        elif query.strip():
            try:
                if first is not None and first < limit:
                    quick = self.library.search(
                        query, view=view, digest=digest, limit=first, sort=sort, cancel=cancel, quick=True
                    )
                    shown = self._search_results(token, quick, sort)
                    if quick.error or (quick.exact and len(quick.hits) >= quick.total):
                        self._post_to_reader(self.ResultsReady(shown))  # that was all of it: final
                        return
                    shown.provisional = True
                    self._post_to_reader(self.ResultsReady(shown))
                    # Let the first screen be drawn before the full ranking takes the
                    # interpreter (it held the GIL the frame waited for); a keystroke meanwhile cancels it.
                    shown.drawn.wait(0.5)
                    if cancel is not None and cancel.is_set():
                        return
                outcome = self.library.search(query, view=view, digest=digest, limit=limit, sort=sort, cancel=cancel)
            except SearchCancelled:
                return  # a newer query is on its way
            results = self._search_results(token, outcome, sort)
        elif sort in ("digest", "relevance"):
            ids, groups = store.ids_by_day(view, digest=digest)  # the list puts a heading over each day
            results = Results(token, ids, len(ids), groups=groups)
        else:
            ids = store.ids(view, digest=digest, order=sort)
            results = Results(token, ids, len(ids))
        if sort == "published" and similar is None:
            results.dates = "published"
        self._post_to_reader(self.ResultsReady(results))

    def _chosen_results(self, token: int, chosen: tuple[str, ...], view: View, sort: str) -> Results:
        """A chosen set of papers (a cluster) as the list shows it: those in the view, in the sort's order."""
        order = sort if sort in ("published", "upvotes", "title", "momentum") else "digest"
        keep = set(chosen)
        ids = [pid for pid in self.library.store.ids(view, order=order) if pid in keep]
        results = Results(token, ids, len(ids))
        if order == "published":
            results.dates = "published"
        return results

    def _interest_results(
        self, token: int, query: str, view: View, digest: dt.date | None, limit: int, cancel: threading.Event | None
    ) -> Results | None:
        """The list ranked "for you" (in a worker): the view's papers, or a search's best ``limit``, by interest.

        Without a model yet (too few kept papers) they are ranked by upvotes and
        the results carry the status that says how many more it needs.  None
        when a newer query cancelled the search.
        """
        terms: dict[str, frozenset[str]] = {}
        suggestion: str | None = None  # "No matches. Did you mean: diffusion", as under every sort
        if query.strip():
            try:
                outcome = self.library.search(query, view=view, digest=digest, limit=limit, cancel=cancel)
            except SearchCancelled:
                return None
            if outcome.error:
                return self._search_results(token, outcome, "relevance")
            ids, terms, suggestion = [hit.id for hit in outcome.hits], outcome.terms, outcome.suggestion
        else:
            ids = self.library.store.ids(view, digest=digest)
        ranked, scores = interest.rank(self.library, ids)
        results = Results(token, ranked, len(ranked), terms, suggestion=suggestion, scores=scores)
        if scores is None:
            results.interest_status = interest.status(self.library)
        return results

    @staticmethod
    def _search_results(token: int, outcome: SearchOutcome, sort: str) -> Results:
        """The list's rows for a search's answer."""
        results = Results(
            token,
            [h.id for h in outcome.hits],
            outcome.total,
            outcome.terms,
            outcome.error,
            outcome.suggestion,
            outcome.exact,
        )
        if sort == "published":
            results.dates = "published"
        return results

    def _post_to_reader(self, message: Message) -> None:
        """Send a worker's answer by way of the reader's screen (it bubbles up to the app).

        A worker may finish while the app quits, after the screen is gone: a
        message posted to a closed screen is dropped, where one posted to the
        app would be handled and find no widgets. Safe from a worker thread.
        """
        if self.screen_stack:
            self.main_screen.post_message(message)

    def _forget_results(self) -> None:
        """The library changed: cached answers may be stale."""
        self._cache.clear()

    def on_paper_reader_app_results_ready(self, message: ResultsReady) -> None:
        results = message.results
        if results.token != self._token:
            results.drawn.set()
            return  # a newer query is on its way
        if not results.error and not results.provisional:
            key = (self.query.strip(), self.view, self.digest, self.sort, self.limit, self.similar_to, self.chosen)
            self._cache[key] = results
        try:
            papers = self.query_one(PaperList)
        except NoMatches:  # the reader is closing: a search that finished meanwhile has nowhere to go
            results.drawn.set()
            return
        if papers.loading:
            papers.loading = False
            if not self.query_one("#query", Input).has_focus:  # the user may have typed / already
                papers.focus()
        if results.error:
            # One line that is read whole at 80 columns: what is wrong; the forms are in ? help.
            kept = " (? help) · last results kept"
            width = max(24, (self.size.width or 80) - 2 - len(kept))
            self._show_message(brief_error(results.error, width) + kept)
            return
        self.terms = results.terms
        self.total_matches = results.total
        self.exact_total = results.exact
        self.provisional = results.provisional
        self.interest_scores, self.interest_status = results.scores, results.interest_status
        self.call_after_refresh(results.drawn.set)
        keep = self._cursor_back or papers.current_id  # escape out of chosen papers: back to the paper it was on
        self._cursor_back = None
        papers.set_rows(results.ids, self.rows, keep=keep, groups=results.groups, dates=results.dates)
        if self._seek_unread:
            self._seek_unread = False
            first = self._find_unread(0, +1)
            if first is not None:
                papers.cursor = first
        if not results.ids and results.suggestion:
            self._show_message(f"No matches. Did you mean: {results.suggestion}")
        elif not results.ids and (self.query.strip() or self.view != "all" or self.digest):
            self._show_message("No papers match this filter.")
        else:
            self._show_message(None)
        self._update_info()
        self._follow_cursor()

    def _show_message(self, text: str | None) -> None:
        message = self.query_one("#message", Static)
        message.update(Text(text or ""))
        message.set_class(bool(text), "visible")

    def _update_info(self) -> None:
        shown = len(self.query_one(PaperList).ids)
        counts = self.counts
        if self.similar_to is not None:
            what = f"{shown:,} similar papers"
        elif self.chosen is not None:
            what = f"{shown:,} of {self.chosen.describe()}"
        elif self.query.strip() and self.provisional:
            # Never passed off as the answer: the ranking of the rest and the count are coming.
            what = f"best {shown:,} of {'' if self.exact_total else 'about '}{self.total_matches:,} matches · searching…"
        elif self.query.strip():
            about = "" if self.exact_total else "about "
            what = f"{shown:,} of {about}{self.total_matches:,} matches"
            if shown < self.total_matches:
                what += " (+ for more)"
        else:
            what = f"{shown:,} of {counts.papers:,} papers"
        status = f"{what} · {counts.unread:,} unread · {counts.bookmarked:,} bookmarked"
        if self.library.store.read_only is not None:
            status += " · read-only"  # the start-up notice goes away; this stays while it holds
        self.query_one("#list-status", Static).update(Text(status))
        sort = self.sort if (self.query.strip() or self.sort != "relevance") else "digest"
        parts = [self.view, f"sort: {SORT_NAMES.get(sort, sort)}"]
        if self.digest:
            parts.append(f"digest {self.digest.isoformat()}")
        if self.similar_to is not None:
            parts.append("similar (esc)")
        elif self.chosen is not None:
            parts.append(self._chosen_part(len(" · ".join(parts)) + 3))
        # One line; the query field keeps its 30 columns (CSS), the status is cut first.
        self.query_one("#filter-info", Static).update(Text(" · ".join(parts), no_wrap=True, overflow="ellipsis"))

    def _chosen_part(self, used: int) -> str:
        """ "cluster: supervised · se… (21) (esc)": the chosen set's name cut to what the status has left.

        A long cluster name squeezed the query field to 6 columns; the field
        keeps :data:`QUERY_MIN` and the name is cut (the list's status line
        above names it whole).  Its size and "(esc)" stay.
        """
        assert self.chosen is not None
        label, tail = printable(self.chosen.label), f" ({len(self.chosen.ids):,}) (esc)"
        room = max(12, self.size.width - QUERY_MIN - 4 - used - len(tail))  # 4: the status's padding, a margin
        if len(label) > room:
            label = label[: room - 1].rstrip() + "…"
        return label + tail

    # -- the current paper -------------------------------------------------------------

    @property
    def current(self) -> Paper | None:
        paper_id = self.query_one(PaperList).current_id
        return self.library.store.get(paper_id) if paper_id else None

    def _show_current(self) -> None:
        if self._viewer_timer is not None:
            self._viewer_timer.stop()
            self._viewer_timer = None
        paper = self.current
        self.query_one(PaperViewer).show(paper, self.terms, why=self._why(paper))

    def _why(self, paper: Paper | None) -> str | None:
        """The viewer's "for you" line: why the paper ranks where it does, or how many more kept papers are needed."""
        if paper is None or self.sort != "interest":
            return None
        if self.interest_scores is not None:
            return self.interest_scores.why(paper.id)
        return self.interest_status.describe() if self.interest_status is not None else None

    @on(PaperList.Highlighted)
    def _highlighted(self, event: PaperList.Highlighted) -> None:
        self._follow_cursor()

    def _follow_cursor(self) -> None:
        """Show the current paper once the cursor rests for a moment.

        The list moves at once; the abstract follows, so holding j (or typing
        a query) repaints the list without laying out a page of text for every
        paper passed over.
        """
        if self._viewer_timer is not None:
            self._viewer_timer.stop()
        try:
            viewer = self.query_one(PaperViewer)
        except NoMatches:  # the reader is closing (a search's rows landed as its widgets went)
            return
        # The viewer owns the timer, so it cannot fire after the viewer is gone (at quit).
        self._viewer_timer = viewer.set_timer(VIEWER_DELAY, self._show_current)

    @on(PaperList.Selected)
    def _selected(self, event: PaperList.Selected) -> None:
        self.action_open()

    # -- the filter bar -------------------------------------------------------------

    @on(Input.Changed, "#query")
    def _query_changed(self, event: Input.Changed) -> None:
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
        # Owned by the filter bar: it dies with it, never outliving the screen at quit.
        self._debounce_timer = event.input.set_timer(self.debounce, lambda: self._apply_query(event.value))

    def _apply_query(self, value: str) -> None:
        if value != self.query:
            self.query = value

    def watch_query(self, old: str, new: str) -> None:
        self.limit = PAGE
        if new.strip():
            self.chosen = None  # a search is of the library, not of the cluster shown
        if new.strip() and not old.strip() and self.sort == "digest":
            self.sort = "relevance"  # searching ranks by relevance unless asked otherwise
        elif not new.strip() and self.sort == "relevance":
            self.sort = "digest"
        else:
            self.refresh_results()

    def watch_view(self) -> None:
        self.refresh_results()

    def watch_digest(self) -> None:
        self.chosen = None  # d: a digest instead of the cluster shown
        self.refresh_results()

    def watch_sort(self) -> None:
        self.refresh_results()

    @on(Input.Submitted, "#query")
    def _query_submitted(self, event: Input.Submitted) -> None:
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
        self._apply_query(event.value)
        self.query_one(PaperList).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#query", Input).focus()

    def action_back(self) -> None:
        """Escape: close the views panel, else leave "similar papers", else clear the filter, else focus the list.

        The panel first: enter on a view gives the focus to the list (to read
        the view's papers), and the escape that follows means "close the panel",
        not "clear the view's query" (in the filter bar, escape still clears it).
        """
        query_input = self.query_one("#query", Input)
        if self.query_one(ViewsPanel).has_class("visible") and not query_input.has_focus:
            self._show_views(False)
        elif self.similar_to is not None:
            self.similar_to = None
            self.refresh_results()
        elif self.chosen is not None:
            self._leave_chosen()
        elif query_input.has_focus or self.query:
            query_input.value = ""
            self._apply_query("")
        elif self.digest is not None:
            self.digest = None  # a day picked on the digests screen: back to every digest
        self.query_one(PaperList).focus()

    def apply_filter(self, query: str, state: View, digest: dt.date | None) -> None:
        """Show a whole filter at once (a saved view, a day, a topic): one search, not three."""
        self.similar_to = None
        self.chosen = None
        self.limit = PAGE
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
        self.query_one("#query", Input).value = query  # its Changed event finds the query already applied
        self.set_reactive(PaperReaderApp.query, query)
        self.set_reactive(PaperReaderApp.view, state)
        self.set_reactive(PaperReaderApp.digest, digest)
        if query.strip() and self.sort == "digest":
            self.set_reactive(PaperReaderApp.sort, "relevance")
        elif not query.strip() and self.sort == "relevance":
            self.set_reactive(PaperReaderApp.sort, "digest")
        self.refresh_results()
        self._update_info()
        self.query_one(PaperList).focus()

    def show_chosen(self, ids: Iterable[str], label: str) -> None:
        """The list shows just these papers (a cluster...) under ``label``; escape brings back this list.

        The query and the day are set aside (kept in ``before``, put back by
        escape) and the state filter stays the user's: the set is not a query
        on ids, so no ``id:(… OR …)`` lands in the filter bar; the status names it.
        """
        papers = self.query_one(PaperList)
        before = self.chosen.before if self.chosen is not None else Before(
            self.query, self.view, self.digest, papers.current_id
        )
        self.chosen = ChosenPapers(tuple(ids), label, before)
        self.similar_to = None
        self.limit = PAGE
        if self._debounce_timer is not None:
            self._debounce_timer.stop()
        self.query_one("#query", Input).value = ""  # its Changed event finds the query already applied
        self.set_reactive(PaperReaderApp.query, "")
        self.set_reactive(PaperReaderApp.digest, None)
        if self.sort == "relevance":
            self.set_reactive(PaperReaderApp.sort, "digest")
        self.refresh_results()
        self._update_info()
        papers.focus()

    def _leave_chosen(self) -> None:
        """Escape out of chosen papers: the query, state, day and cursor they replaced, exactly."""
        assert self.chosen is not None
        before = self.chosen.before
        self._cursor_back = before.cursor
        self.apply_filter(before.query, before.view, before.digest)  # apply_filter drops the chosen set

    def action_view(self, view: View) -> None:
        self.view = view

    def action_cycle_digest(self) -> None:
        days = [day for day, _count in self.library.store.digests()]
        if not days:
            return
        if self.digest is None:
            self.digest = days[0]
        else:
            later = [d for d in days if d < self.digest]
            self.digest = later[0] if later else None

    def action_cycle_sort(self) -> None:
        choices = SORTS if self.query.strip() else SORTS[1:]
        current = self.sort if self.sort in choices else choices[0]
        self.sort = choices[(choices.index(current) + 1) % len(choices)]
        self.notify(f"Sorted by {SORT_NAMES.get(self.sort, self.sort)}", markup=False, timeout=2)

    def action_more_results(self) -> None:
        """Fetch the next page of a search (``+``, or the list's end coming into view)."""
        shown = len(self.query_one(PaperList).ids)
        if not self.query.strip() or self.similar_to is not None or self.provisional:
            return  # every row is listed (or the full page is on its way)
        if shown < self.total_matches and self.limit <= shown:  # else a bigger page is being fetched
            self.limit = shown + PAGE
            self.refresh_results()

    @on(PaperList.NearEnd)
    def _near_end(self, event: PaperList.NearEnd) -> None:
        lists = self.main_screen.query(PaperList) if self.screen_stack else []  # none while the reader closes
        if lists and event.rows == len(lists.first().ids):  # not about a list since replaced
            self.action_more_results()

    def action_more_like_this(self) -> None:
        paper = self.current
        if paper is not None:
            self.similar_to = paper
            self.refresh_results()
            self.notify(f"Papers similar to: {paper.title[:80]}", markup=False, timeout=3)

    # -- reading --------------------------------------------------------------------

    def action_open(self) -> None:
        paper = self.current
        if paper is None:
            return
        if not paper.read:
            self._set_state([paper.id], "marked read", read=True)
        self._observe(paper.id, "opened")
        self.query_one(PaperViewer).focus()

    def _observe(self, paper_id: str, kind: Observation) -> None:
        """Note a "for you" signal (opened, passed over) in a thread: an observation, never worth a keystroke's wait."""
        self.run_worker(
            lambda: self.library.store.observe(paper_id, kind), thread=True, group="observe", exit_on_error=False
        )

    def action_close_paper(self) -> None:
        """q in the opened abstract: back to the list, on the same paper (as q leaves mutt's pager)."""
        self.query_one(PaperList).focus()

    def action_page(self) -> None:
        """Space pages the abstract; past its end the paper has been read, as paging does in mutt and newsboat."""
        if self._viewer_timer is not None:  # the viewer is about to change anyway
            self._show_current()
        viewer = self.query_one(PaperViewer)
        papers = self.query_one(PaperList)
        current = papers.current_id
        if not viewer.at_end:
            viewer.scroll_page_down(animate=False)
            if current is not None:
                self._observe(current, "opened")  # paging through an abstract is reading it
            return
        if current is not None and not self.rows[current].read:
            self._set_state([current], "marked read", read=True)
        papers.action_cursor_down()

    def _step_paper(self, step: int) -> None:
        """j/k in the opened abstract: open the next/previous paper, as mutt's pager does.

        (In the list, the list's own j/k move the cursor; these fire only when
        the abstract has the focus.)  The paper opened is marked read, as enter does.
        """
        papers = self.query_one(PaperList)
        index = papers.cursor + step
        if 0 <= index < len(papers.ids):
            papers.cursor = index
            self.action_open()

    def action_next_paper(self) -> None:
        self._step_paper(+1)

    def action_previous_paper(self) -> None:
        self._step_paper(-1)

    def _step_unread(self, step: int) -> None:
        papers = self.query_one(PaperList)
        current = papers.current_id
        if current is None:
            return
        if not self.rows[current].read:
            if step > 0:
                self._observe(current, "passed")  # n on a paper never opened: passed over
            self._set_state([current], "marked read", read=True)
        index = self._find_unread(papers.cursor + step, step)
        if index is not None:
            papers.cursor = index
        elif step > 0:
            self._at_the_end(current)
        else:
            self.notify("No unread papers above in this list.", markup=False, timeout=3)

    def _find_unread(self, index: int, step: int) -> int | None:
        """The first unread paper of the list from ``index`` on, going ``step`` (None: none)."""
        ids = self.query_one(PaperList).ids
        while 0 <= index < len(ids):
            # Fetch rows ahead a page at a time while scanning.
            chunk = ids[index : index + 200] if step > 0 else ids[max(0, index - 199) : index + 1]
            self.rows.load(chunk)
            if not self.rows[ids[index]].read:
                return index
            index += step
        return None

    def _at_the_end(self, current: str) -> None:
        """``n`` found nothing unread below: offer the next digest with unread papers, one more ``n`` away.

        The offer holds while the list and the cursor stay as they were; pressing
        ``n`` there again takes it.
        """
        where = (self.query.strip(), self.view, self.digest, self.similar_to, current)
        if self._digest_offer is not None and self._digest_offer[0] == where:
            day = self._digest_offer[1]
            self._digest_offer = None
            self._seek_unread = True  # the cursor goes to the day's first unread paper
            self.apply_filter("", "unread" if self.view == "unread" else "all", day)
            self.notify(f"The digest of {day:%b} {day.day} (escape: every digest)", markup=False, timeout=3)
            return
        offer = self._next_unread_digest()
        if offer is None:
            self._digest_offer = None
            done = "Everything is read." if self.counts.unread == 0 else "No more unread papers in this list."
            self.notify(done, markup=False, timeout=3)
            return
        self._digest_offer = (where, offer.date)
        key = self._key_for("next_unread", "n")
        self.notify(
            f"No more unread here — {key}: go on to {offer.date:%b} {offer.date.day} ({offer.unread:,} unread)",
            markup=False,
            timeout=6,
        )

    def _next_unread_digest(self) -> DigestDay | None:
        """The digest to read next: the next older one with unread papers, else the newest (newest first, as d goes)."""
        days = [day for day in self.library.store.digest_days() if day.unread]
        if self.digest is None:
            return days[0] if days else None
        older = [day for day in days if day.date < self.digest]
        newer = [day for day in days if day.date > self.digest]
        if older:
            return older[0]
        return newer[0] if newer else None

    def _key_for(self, binding_id: str, default: str) -> str:
        """The key that runs a binding now (the config's [keys] may have moved it)."""
        for active in self.main_screen.active_bindings.values():
            if active.binding.id == binding_id:
                return self.get_key_display(active.binding)
        return default

    def action_next_unread(self) -> None:
        self._step_unread(+1)

    def action_previous_unread(self) -> None:
        self._step_unread(-1)

    # -- state changes (written at once, undoable) ----------------------------------------

    def _set_state(self, ids: list[str], label: str, *, read: bool | None = None, bookmarked: bool | None = None) -> None:
        """Write a change through the store, which journals it as one action (``u`` takes it back)."""
        try:
            before = self.library.store.set_state(ids, read=read, bookmarked=bookmarked, label=label)
        except StoreError as error:  # disk full, read-only: say which change was lost; the rows stay as stored
            self.notify(f"Not saved ({label}): {error}", severity="error", markup=False, timeout=10)
            return
        changed = [s for s in before if (read is not None and s.read != read) or (bookmarked is not None and s.bookmarked != bookmarked)]
        if changed:
            after = [
                replace(s, read=s.read if read is None else read, bookmarked=s.bookmarked if bookmarked is None else bookmarked)
                for s in changed
            ]
            self.counts.apply(changed, after)
        self._apply_states(ids, read=read, bookmarked=bookmarked)

    def _apply_states(self, ids: Iterable[str], *, read: bool | None = None, bookmarked: bool | None = None) -> None:
        papers = self.query_one(PaperList)
        for pid in ids:
            row = self.rows.get(pid)
            if row is None:  # not drawn yet: will be fetched fresh
                continue
            if read is not None:
                row.read = read
            if bookmarked is not None:
                row.bookmarked = bookmarked
            papers.refresh_paper(pid)
        self._forget_results()
        self._data_version = self.library.store.data_version()
        self._update_info()
        self._show_current()
        self._refresh_views(delay=0.5)
        if bookmarked is not None:
            self._interest_changed()

    def _interest_changed(self) -> None:
        """A bookmark, tag or note changed what "for you" learns from: rank the list again, in a worker."""
        if self.sort == "interest" and self.similar_to is None:
            self._forget_results()
            self.refresh_results()

    def action_toggle_read(self) -> None:
        paper = self.current
        if paper is not None:
            self._set_state([paper.id], "marked " + ("unread" if paper.read else "read"), read=not paper.read)

    def action_toggle_bookmark(self) -> None:
        paper = self.current
        if paper is not None:
            self._set_state(
                [paper.id], "removed bookmark" if paper.bookmarked else "bookmarked", bookmarked=not paper.bookmarked
            )

    @work(exclusive=True, group="confirm")
    async def action_mark_all_read(self) -> None:
        listed = self.query_one(PaperList).ids
        self.rows.load(listed)
        ids = [pid for pid in listed if not self.rows[pid].read]
        if not ids:
            self.notify("Everything here is read already.", markup=False, timeout=3)
            return
        if len(ids) > CONFIRM_ABOVE:
            if not await self.push_screen_wait(ConfirmScreen(f"Mark {len(ids):,} papers read? (u undoes it)")):
                return
        self._set_state(ids, f"marked {len(ids):,} papers read", read=True)
        self.notify(f"Marked {len(ids):,} papers read. Press u to undo.", markup=False, timeout=4)

    def action_undo(self) -> None:
        """Undo the newest action of this device (the reader's or a command's): the journal decides."""
        self._take_back(self.library.store.journal.undo)

    def action_redo(self) -> None:
        self._take_back(self.library.store.journal.redo)

    @work(exclusive=True, group="history")
    async def action_history(self) -> None:
        """The journal's actions (the reader's, the commands', other devices'); enter goes back to before one."""
        journal = self.library.store.journal
        reach = journal.reach() if journal.first() > 1 else None  # older actions were compacted
        chosen = await self.push_screen_wait(
            HistoryScreen(
                actions := journal.actions(limit=HISTORY_ROWS), self.library.store.device, reach=reach,
                older=journal.count() - len(actions),
            )
        )
        action = journal.action(chosen) if chosen is not None else None
        if action is None:
            return
        later = len(journal.actions(limit=HISTORY_ROWS + 1, after=action.number))
        question = (
            f"Go back to before #{action.number} ({printable(action.label)})? It"
            + (f" and the {later:,}{'+' if later > HISTORY_ROWS else ''} later action{'s' if later != 1 else ''}" if later else "")
            + " will be taken back; u undoes this."
        )
        if not await self.push_screen_wait(ConfirmScreen(question)):
            return
        self._take_back(lambda: journal.undo_to(action.number))

    def _take_back(self, journal_call: Callable[[], Reverted]) -> None:
        """Run an undo or a redo in the core, then show what it wrote."""
        # A command may have changed the library since the last poll (and it may
        # be what is undone): then the whole list is read afresh, not patched.
        outside = self.library.store.data_version() != self._data_version
        try:
            outcome = journal_call()
        except (StoreError, JournalError) as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        self._show_reverted(outcome, outside=outside)

    def _show_reverted(self, outcome: Reverted, *, outside: bool = False) -> None:
        """Bring the rows, the counts and the index up to what an undo (redo, undo --to) wrote."""
        if outside:
            if outcome.reindex:
                self.update_index()
            self._poll_store()  # announces what the commands brought, and reloads
            self.notify(outcome.message(), markup=False, timeout=4 if outcome.target else 2)
            return
        papers = self.query_one(PaperList)
        touched: list[str] = []
        content = learnt = False
        for paper, field, old, new in outcome.writes:
            if not paper:
                continue  # a saved view: the panel is refreshed below
            touched.append(paper)
            content = content or field == PAPER or field.startswith(DIGEST)
            learnt = learnt or interest.learns_from(field)
            if field == READ:
                self.counts.unread += int(old == "1") - int(new == "1")
            elif field == BOOKMARKED:
                self.counts.bookmarked += int(new == "1") - int(old == "1")
        self.rows.forget(touched)
        for pid in dict.fromkeys(touched):
            papers.refresh_paper(pid)
        if outcome.reindex or content:
            self.update_index()  # tags and notes are searchable
        self._forget_results()
        self._data_version = self.library.store.data_version()
        if content:  # papers came back or went (forget): the list itself changed
            self.action_reload()
        else:
            self._update_info()
            self._show_current()
            if learnt:  # a bookmark, tag or note came back or went: "for you" learns from them
                self._interest_changed()
        self._refresh_views()
        self.notify(outcome.message(), markup=False, timeout=4 if outcome.target else 2)

    # -- tags and notes ------------------------------------------------------------------

    @work(exclusive=True, group="annotate")
    async def action_edit_tags(self) -> None:
        paper = self.current
        if paper is None:
            return
        tags = await self.push_screen_wait(TagScreen(paper.title, paper.tags, self.library.store.all_tags()))
        if tags is None:
            return
        try:
            changed = self.library.store.set_tags([paper.id], replace=tags)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        if changed:
            self._annotated([paper.id])

    @work(exclusive=True, group="annotate")
    async def action_edit_note(self) -> None:
        paper = self.current
        if paper is None:
            return
        note = await self.push_screen_wait(NoteScreen(paper.title, paper.note))
        if note is None:
            return
        try:
            before = self.library.store.set_note(paper.id, note)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        if before is not None:
            self._annotated([paper.id])
            self.notify("Note removed." if not note else "Note saved. u undoes it.", markup=False, timeout=2)

    def _annotated(self, ids: list[str]) -> None:
        """Tags or a note changed: redraw those rows, the viewer, and re-index them."""
        self.rows.forget(ids)
        papers = self.query_one(PaperList)
        for pid in ids:
            papers.refresh_paper(pid)
        self._data_version = self.library.store.data_version()
        self._show_current()
        self.update_index()
        self._interest_changed()

    @work(thread=True, group="index-update", exit_on_error=False)
    def update_index(self) -> None:
        """Index the papers whose tags or note changed, then re-run a search that may see them."""
        self.library.update_index()
        self.call_from_thread(self._index_updated)

    def _index_updated(self) -> None:
        self._forget_results()
        if self.query.strip():
            self.refresh_results()
        self._refresh_views()

    # -- saved views -----------------------------------------------------------------------

    def action_toggle_views(self) -> None:
        self._show_views(not self.query_one(ViewsPanel).has_class("visible"))

    @on(ViewsPanel.CloseRequested)
    def _views_close_requested(self, event: ViewsPanel.CloseRequested) -> None:
        self._show_views(False)

    def _show_views(self, show: bool) -> None:
        """Show the views panel with the focus in it, or hide it and give the focus back to the list."""
        panel = self.query_one(ViewsPanel)
        panel.set_class(show, "visible")
        if show:
            self._refresh_views()
            panel.focus_list()
        else:
            self.query_one(PaperList).focus()

    def _refresh_views(self, delay: float = 0.0) -> None:
        """Re-read the saved views and recount them (soon, if the panel is shown)."""
        panel = self.query_one(ViewsPanel)
        panel.set_views(self.library.store.views())
        if not panel.has_class("visible"):
            return
        if self._views_timer is not None:
            self._views_timer.stop()
        self._views_timer = panel.set_timer(delay, self.count_views) if delay else None  # dies with the panel
        if not delay:
            self.count_views()

    @work(thread=True, exclusive=True, group="view-counts", exit_on_error=False)
    def count_views(self) -> None:
        panel_views = self.query_one(ViewsPanel).entries
        counts = {ViewsPanel.key(view): self.library.view_counts(view) for view in panel_views}
        self._post_to_reader(self.ViewCounts(counts))

    def on_paper_reader_app_view_counts(self, message: ViewCounts) -> None:
        self.query_one(ViewsPanel).set_counts(message.counts)

    @on(ViewsPanel.Chosen)
    def _view_chosen(self, event: ViewsPanel.Chosen) -> None:
        view = event.view
        if view.sort is not None:  # "For you": ranked by interest
            self.set_reactive(PaperReaderApp.sort, view.sort)
        self.apply_filter(view.query, view.state, self.library.view_digest(view))  # type: ignore[arg-type]
        self.notify(f"View: {view.name}", markup=False, timeout=2)

    def _current_filter_name(self) -> str:
        parts = [self.query.strip()] if self.query.strip() else []
        if self.view != "all":
            parts.append(self.view)
        if self.digest is not None:
            parts.append(f"{self.digest:%b %d}")
        return ", ".join(parts)[:60] or "All papers"

    @work(exclusive=True, group="views")
    async def action_save_view(self) -> None:
        draft = SavedView(
            self._current_filter_name(),
            self.query.strip(),
            self.view,
            self.digest.isoformat() if self.digest else None,
        )
        await self._edit_view(draft, replacing=None, heading="Save the current filter as a view")

    @on(ViewsPanel.EditRequested)
    def _view_edit_requested(self, event: ViewsPanel.EditRequested) -> None:
        self._edit_view_worker(event.view)

    @work(exclusive=True, group="views")
    async def _edit_view_worker(self, view: SavedView) -> None:
        await self._edit_view(view, replacing=view.name, heading=f"Edit the view {view.name!r}")

    async def _edit_view(self, draft: SavedView, *, replacing: str | None, heading: str) -> None:
        days = [day for day, _count in self.library.store.digests()]
        view = await self.push_screen_wait(ViewScreen(draft, days, heading=heading))
        if view is None:
            return
        existing = {v.name for v in self.library.store.views()}
        if view.name in existing and view.name != replacing:
            if not await self.push_screen_wait(ConfirmScreen(f"A view named {view.name!r} exists. Replace it?")):
                return
        try:
            self.library.store.save_view(view, replacing=replacing)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        self._data_version = self.library.store.data_version()
        self._refresh_views()
        shown = "" if self.query_one(ViewsPanel).has_class("visible") else " v shows your views."
        self.notify(f"Saved the view {view.name!r}.{shown}", markup=False, timeout=3)

    @on(ViewsPanel.DeleteRequested)
    def _view_delete_requested(self, event: ViewsPanel.DeleteRequested) -> None:
        self._delete_view(event.view)

    @work(exclusive=True, group="views")
    async def _delete_view(self, view: SavedView) -> None:
        if not await self.push_screen_wait(ConfirmScreen(f"Delete the view {view.name!r}? (u undoes it)")):
            return
        try:
            self.library.store.delete_view(view.name)
        except StoreError as error:
            self.notify(str(error), severity="error", markup=False, timeout=8)
            return
        self._data_version = self.library.store.data_version()
        self._refresh_views()
        self.notify(f"Deleted the view {view.name!r}. u undoes it.", markup=False, timeout=3)

    # -- the digests screen --------------------------------------------------------------------

    def action_digests(self) -> None:
        days = self.library.store.digest_days()
        self.push_screen(
            DigestsScreen(days, self.library.topics, library=self.library, on_change=self._caught_up),
            callback=self._digest_chosen,
        )

    def _digest_chosen(self, choice: DigestChoice | None) -> None:
        if choice is None:
            return
        if choice.ids:  # a cluster: its papers, by a query on their ids (escape clears it)
            self._catch_up_chosen(CatchupChoice(choice.date, choice.ids, choice.what or "a cluster"))
            return
        self.apply_filter(choice.topic or "", "all", choice.date)
        what = f"{choice.topic!r} in " if choice.topic else ""
        self.notify(f"Showing {what}the digest of {choice.date:%b %d} (escape: back)", markup=False, timeout=3)

    # -- catch up ------------------------------------------------------------------------------------

    def action_catch_up(self) -> None:
        """C: the Catch up screen; the selection (and the "for you" model, if any) is made in a thread."""
        self._open_catch_up()

    @work(thread=True, exclusive=True, group="catchup", exit_on_error=False)
    def _open_catch_up(self) -> None:
        from ..catchup import catch_up

        try:
            found = catch_up(self.library, days=CATCHUP_DAYS, top=CATCHUP_TOP)
        except (LibraryError, StoreError) as error:
            self.call_from_thread(self.notify, f"Catch up: {error}", severity="error", markup=False, timeout=8)
            return
        self.call_from_thread(self._show_catch_up, found)

    def _show_catch_up(self, found: object) -> None:
        if self.screen is not self.main_screen:
            return  # another screen or dialog opened meanwhile: it keeps the keys
        self.push_screen(CatchupScreen(self.library, found, self._caught_up), callback=self._catch_up_chosen)  # type: ignore[arg-type]

    def _caught_up(self, content: bool) -> None:
        """A change made on the Catch up screen: the list and counts follow (and the index, for tags)."""
        self.reload()
        if content:
            self.update_index()

    def _catch_up_chosen(self, choice: CatchupChoice | None) -> None:
        """enter on the Catch up screen: the reader's list shows those papers (a query on their ids; escape clears it)."""
        if choice is None or not choice.ids:
            return
        self.show_chosen(choice.ids, choice.what)
        self.notify(
            f"Showing {printable(choice.what)} ({len(choice.ids):,} papers; escape: back)", markup=False, timeout=3
        )

    # -- sync with the other machines ------------------------------------------------------------

    def _sync_state(self) -> tuple[object, ...]:
        """The folder's files (names, sizes, times) and the journal's newest action: what a sync depends on."""
        assert self.sync_folder is not None
        newest = self.library.store.journal.actions(limit=1)
        return changed_signature(self.sync_folder), newest[0].number if newest else 0

    def check_sync(self) -> None:
        """Sync when another device's file changed, or this device made a change (polling the folder)."""
        if self.sync_folder is None or self._sync_busy:
            return
        if self._sync_seen is not None and self._sync_state() == self._sync_seen:
            return
        self._sync_busy = True
        self.run_sync()

    @work(thread=True, group="sync", exit_on_error=False)
    def run_sync(self) -> None:
        assert self.sync_folder is not None
        try:
            report = sync(self.library.store, self.sync_folder, self.data_dir)
            seen = self._sync_state()
        except (SyncError, StoreError, OSError) as error:
            self.call_from_thread(self._sync_failed, str(error))
            return
        finally:
            self._sync_busy = False
        self.call_from_thread(self._synced, report, seen)

    def _sync_failed(self, message: str) -> None:
        self._sync_seen = None
        if message != self._sync_error:  # said once; the next polls try again quietly
            self._sync_error = message
            self.notify(f"Sync: {message}", severity="warning", markup=False, timeout=10)

    def _synced(self, report: SyncReport, seen: tuple[object, ...]) -> None:
        """Show what another device's changes changed here, and say so."""
        self._sync_seen = seen
        if report.error and report.error != self._sync_error:
            self._sync_error = report.error
            self.notify(f"Sync: {report.error}", severity="warning", markup=False, timeout=10)
        elif not report.error:
            self._sync_error = None
        if report.applied_actions and report.changed:
            who = ", ".join(report.devices)
            self.notify(
                f"Synced {report.changed:,} change{'s' if report.changed != 1 else ''} from {who}", markup=False, timeout=5
            )
        if report.changed:
            if report.reindex:
                self.update_index()
            self.reload()

    # -- the inbox folder --------------------------------------------------------------------

    def check_inbox(self) -> None:
        """Look for new digest files in the inbox folder (a worker imports them)."""
        if self.inbox is not None and not self._inbox_busy:
            self._inbox_busy = True
            self.import_inbox()

    @work(thread=True, group="inbox", exit_on_error=False)
    def import_inbox(self) -> None:
        assert self.inbox is not None
        try:
            error = self.inbox.error
            files = self.inbox.scan()
            if self.inbox.error and self.inbox.error != error:
                self.call_from_thread(
                    self.notify, f"Inbox: {self.inbox.error}", severity="warning", markup=False, timeout=8
                )
            if not files:
                return
            reports = self.library.import_paths(files)
            tried = {report.path for report in reports}
            for path in files:
                if path not in tried:  # the import stopped before it (a full disk): next time
                    self.inbox.forget(path)
            for report in reports:
                if report.refused or (report.error and report.error.startswith("not imported")):
                    self.inbox.forget(report.path)  # the library refused (disk full?): try again later
            self.call_from_thread(self._inbox_imported, reports)
        finally:
            self._inbox_busy = False

    def _inbox_imported(self, reports: list[FileReport]) -> None:
        refused = next((report for report in reports if report.refused), None)
        if refused is None:
            self._inbox_refused = None if any(r.ok for r in reports) else self._inbox_refused
        elif refused.refused != self._inbox_refused:  # said once; every poll tries again, quietly
            self._inbox_refused = refused.refused
            self.notify(
                f"Inbox: {printable(refused.path.name)}: {refused.error}. New files wait in the inbox and are "
                "imported by themselves once the library can be written.",
                severity="error", markup=False, timeout=12,
            )
        for report in reports:
            if report.refused:
                continue
            if report.error:
                self.notify(
                    f"Inbox: {printable(report.path.name)}: {report.error}", severity="warning", markup=False, timeout=8
                )
            elif report.new:
                self.notify(_new_papers(report.new, report.digests), markup=False, timeout=6)
        if any(r.new or r.updated for r in reports):
            self.reload()

    def action_reload(self) -> None:
        self.reload()
        self.notify("Reloaded the library.", markup=False, timeout=2)

    # -- outside the app -------------------------------------------------------------

    def action_open_browser(self) -> None:
        """arXiv's search for the title in a browser; where none can open, the link in a dialog."""
        paper = self.current
        if paper is None:
            return
        url = arxiv_search_url(paper.title)
        if self.is_web:  # served by textual-web: the user's own browser opens it
            self.open_url(url)
        else:
            self.open_link(url)

    @work(thread=True, exclusive=True, group="browser", exit_on_error=False)
    def open_link(self, url: str, what: str = "arXiv's search for the title") -> None:
        """Start the browser off the UI thread (xdg-open can take a while), then say what happened."""
        if open_in_browser(url):
            self.call_from_thread(self.notify, f"Opened {what[0].lower()}{what[1:]} in the browser.", markup=False, timeout=3)
        else:
            reason = f"No browser can be opened from this terminal (over SSH, say). {what}:"
            self.call_from_thread(self.push_screen, LinkScreen(url, reason))

    def action_pick_link(self) -> None:
        """``L``: the link picker (the abstract's links, title searches); the one chosen opens as ``o`` does."""
        paper = self.current
        if paper is None:
            return

        def chosen(url: str | None) -> None:
            if url is None:
                return
            if self.is_web:
                self.open_url(url)
            else:
                self.open_link(url, "The link")

        self.push_screen(LinkPickerScreen(paper.title, paper.links), chosen)

    def action_copy_title(self) -> None:
        paper = self.current
        if paper is not None:
            self.copy_to_clipboard(paper.title)
            self.notify(clipboard_notice("title"), markup=False, timeout=6)

    def _export_choices(self) -> tuple[list[ExportChoice], dict[str, Selection]]:
        """What ``e`` offers: the bookmarks, this list as filtered now, each tag; with their counts."""
        store = self.library.store
        listed = tuple(self.query_one(PaperList).ids)
        described = [f"matching {self.query.strip()!r}"] if self.query.strip() else []
        described += [self.view] if self.view != "all" else []
        described += [f"digest {self.digest.isoformat()}"] if self.digest else []
        heading = "Papers" + (f" ({', '.join(described)})" if described else "")
        choices = [
            ExportChoice("bookmarks", "The bookmarks", store.count("bookmarked"), "paperreader-bookmarks"),
            ExportChoice("list", "This list as filtered now", len(listed), "paperreader-list"),
        ]
        selections = {"bookmarks": Selection(), "list": Selection(ids=listed, label=heading)}
        for tag, count in store.all_tags():
            choices.append(ExportChoice(f"tag:{tag}", f"Tagged #{tag}", count, f"paperreader-{tag}"))
            selections[f"tag:{tag}"] = Selection(state="all", tags=(tag,))
        return choices, selections

    @work(exclusive=True, group="export")
    async def action_export(self) -> None:
        choices, selections = self._export_choices()
        if not any(choice.count for choice in choices):
            self.notify("Nothing to export yet: no bookmarks, and the list is empty.", markup=False, timeout=3)
            return
        initial = "bookmarks" if choices[0].count else "list"
        request: ExportRequest | None = None
        error: str | None = None
        while True:  # a failed export opens the dialog again with the user's choices and why it failed
            request = await self.push_screen_wait(
                ExportScreen(choices, Path.cwd(), initial=initial, request=request, error=error)
            )
            if request is None:
                return
            if request.fmt != "notes" and request.path.exists() and not await self.push_screen_wait(
                ConfirmScreen(f"{printable(str(request.path))} exists. Replace it?")
            ):
                return
            try:
                # Off the event loop: a notes folder of a thousand papers is a thousand files.
                result = await asyncio.to_thread(
                    export_selection, self.library, selections[request.choice], request.fmt, request.path
                )
                break
            except (OSError, SelectionError, StoreError) as failure:
                reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else str(failure)
                where = getattr(failure, "filename", None) or request.path
                error = f"Cannot export to {printable(str(where))}: {printable(reason)}"
        count = len(result.papers)
        told = f"Exported {count:,} paper{'s' if count != 1 else ''} to {printable(str(request.path))} ({FORMAT_NAMES[request.fmt]})"
        if result.notes is not None:
            told += f": {len(result.notes.written)} written, {result.notes.unchanged} unchanged"
            if result.notes.skipped:
                told += f", {len(result.notes.skipped)} without the marker line left as they were"
        self.notify(told, markup=False)

    @work(exclusive=True, group="import")
    async def action_import(self) -> None:
        path = await self.push_screen_wait(ImportScreen())
        if path is not None:
            progress = ProgressScreen(f"Importing {printable(path.name)}…")
            await self.push_screen(progress)
            self.import_paths(path, progress)

    @work(thread=True, exclusive=True, group="import-run", exit_on_error=False)
    def import_paths(self, path: Path, progress: ProgressScreen) -> None:
        def file_done(report: FileReport, number: int, total: int) -> None:
            self.call_from_thread(progress.advance, f"Importing {printable(report.path.name)}", number, total)

        def indexing(done: int, total: int) -> None:
            self.call_from_thread(progress.advance, "Indexing…", done, total)

        reports = self.library.import_paths([path], progress=file_done, index_progress=indexing)
        self.call_from_thread(self._import_finished, reports, progress)

    def _import_finished(self, reports: list[FileReport], progress: ProgressScreen) -> None:
        progress.dismiss()
        new = sum(r.new for r in reports)
        failed = [r for r in reports if r.error]
        summary = f"Imported {len(reports) - len(failed)} of {len(reports)} files: {new} new papers."
        for report in failed[:5]:
            summary += f"\n{printable(report.path.name)}: {report.error}"
        self.notify(summary, markup=False, severity="warning" if failed else "information", timeout=6)
        self.reload()

    # -- help and commands -----------------------------------------------------------

    def keys_in_force(self, owner: type[DOMNode]) -> list[tuple[Binding, list[str]]]:
        """``owner``'s bindings, each with the keys that trigger it now (the config's [keys] applied).

        Textual applies the keymap only to the live binding chain; help and the
        command palette must tell the same keys, so they apply it the same way.
        """
        bindings = BindingsMap(owner.BINDINGS)
        bindings.apply_keymap(self._normalize_keymap(self.keymap))
        keys: dict[tuple[str | None, str], list[str]] = {}
        for key, binding in bindings:
            found = keys.setdefault((binding.id, binding.action), [])
            if key not in found:  # Textual repeats remapped keys once per old key
                found.append(key)
        seen: set[tuple[str | None, str]] = set()
        result: list[tuple[Binding, list[str]]] = []
        for binding in Binding.make_bindings(owner.BINDINGS):  # one per key: keep the first
            if (binding.id, binding.action) not in seen:
                seen.add((binding.id, binding.action))
                result.append((binding, keys.get((binding.id, binding.action), [])))
        return result

    def _key_display(self, keys: list[str]) -> str:
        return " ".join(self.get_key_display(Binding(key, "")) for key in keys) or "(none)"

    def help_sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """What ``?`` shows: per part of the reader, each binding's keys in force, what it does, its id."""
        sections: list[tuple[str, list[tuple[str, str, str]]]] = []
        for title, owners in BINDING_OWNERS:
            rows: list[tuple[str, str, str]] = []
            for owner in owners:
                for binding, keys in self.keys_in_force(owner):
                    rows.append((self._key_display(keys), binding.tooltip or binding.description, binding.id or ""))
            sections.append((title, rows))
        sections[0][1].append((self._key_display(["ctrl+p"]), "command palette: every action by name", ""))
        # First: a filter-bar error ends "(? help)", and its answer must not be a long scroll away.
        sections.insert(0, ("Searching (/): fields of the query", list(QUERY_HELP)))
        return sections

    def help_rows(self) -> list[tuple[str, str, str]]:
        """Every row of the help screen: (keys, what it does, binding id)."""
        return [row for _title, rows in self.help_sections() for row in rows]

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_sections()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is not self.main_screen:
            return  # the reader's actions act on the reader, not under the digests screen
        for binding, keys in self.keys_in_force(ReaderScreen):
            if binding.id in ("quit", "help", "back", "next_paper", "previous_paper"):
                continue
            help_text = f"{binding.tooltip or binding.description} (key: {self._key_display(keys)})"
            yield SystemCommand(binding.description, help_text, self._runner(binding.action))

    def _runner(self, action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await self.run_action(action)

        return run
