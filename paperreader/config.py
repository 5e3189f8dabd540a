"""The user's config file: the inbox folder, the theme and key overrides (TOML).

It lives in the platform's user config dir (``paperreader config`` prints
where); ``--config FILE`` or ``PAPERREADER_CONFIG`` point elsewhere.  A missing
file means defaults.  A file that cannot be read or parsed is an error naming
it; a setting of the wrong kind is a warning and is ignored, so a typo never
keeps the reader from opening.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exports import FORMATS, Selection, SelectionError, export_target, parse_selection
from .text import printable

__all__ = ["Config", "ConfigError", "AutoExport", "config_path", "load_config", "CONFIG_ENV", "EXAMPLE", "BINDING_IDS"]

CONFIG_ENV = "PAPERREADER_CONFIG"
#: The inbox is not checked more often than this (seconds).
MIN_INTERVAL = 1.0

EXAMPLE = """\
# paperreader's config file (TOML).  Every setting is optional.

theme = "gruvbox"                       # any Textual theme; wins over the one picked with ctrl+p

[inbox]
folder = "~/Downloads/daily-papers"     # new *.txt digests here are imported
interval = 5                            # seconds between checks while the reader runs

[keys]                                  # binding id = keys, comma-separated (? shows the ids)
toggle_bookmark = "B"
next_unread = "n,J"

[[export]]                              # a file kept up to date (as many as you like)
path = "~/thesis/papers.bib"
format = "bibtex"                       # md, csv, json, bibtex, ris, csljson, notes (a folder)
select = "tag:thesis"                   # bookmarked (default), all, unread, read, tag:TAG,
                                        # view:NAME, digest:DATE, since:DATE; last, query:QUERY

[sync]                                  # sync between machines through a folder (Syncthing, Dropbox...)
folder = "~/Sync/paperreader"
interval = 10                           # seconds between the reader's looks at the folder

[journal]                               # the record of every change: undo, history, sync
keep_days = 365                         # older actions are compacted (0: keep them all)
"""

_BINDING_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")

#: Every key binding id of the reader, what ``[keys]`` may remap.  The bindings
#: live in the TUI, which the CLI must not import (start-up time, no terminal);
#: a test checks that this list equals the ids of the TUI's bindings.
BINDING_IDS: frozenset[str] = frozenset(
    """
    open page next_paper previous_paper next_unread previous_unread toggle_read toggle_bookmark
    mark_all_read edit_tags edit_note undo redo history focus_filter view_all view_unread view_bookmarked
    cycle_digest cycle_sort toggle_views save_view digests more_like_this more_results export
    open_browser copy_title import reload back help quit
    list.down list.up list.first list.last list.page_down list.page_up
    views.up views.down views.edit views.delete views.close view.cancel
    digests.up digests.down digests.switch digests.close digests.cluster_read digests.cluster_bookmark digests.cluster_tag digests.undo
    catch_up catchup.close catchup.rest catchup.read catchup.bookmark catchup.tag catchup.undo catchup.down catchup.up catchup.first catchup.last
    history.up history.down history.close
    tags.cancel note.save note.cancel help.close help.up help.down confirm.yes confirm.no export.cancel import.cancel
    viewer.back
    link.copy link.close pick_link links.close
    """.split()
)


class ConfigError(Exception):
    """The config file cannot be used at all; the message names it and says why."""


#: The format an auto-export's file name implies when ``format`` is not given.
_SUFFIX_FORMATS = {".bib": "bibtex", ".ris": "ris", ".csv": "csv", ".md": "md"}


@dataclass(frozen=True, slots=True)
class AutoExport:
    """One ``[[export]]`` of the config file: a file (or notes folder) kept up to date."""

    path: Path
    format: str
    select: str
    selection: Selection

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "format": self.format, "select": self.select}


#: How many days of the journal's actions are kept by default (a year; see paperreader/journal.py).
KEEP_DAYS = 365


@dataclass(slots=True)
class Config:
    path: Path
    exists: bool = False
    inbox: Path | None = None
    inbox_interval: float = 5.0
    theme: str | None = None
    #: Binding id -> keys, as ``App.set_keymap`` takes them.
    keys: dict[str, str] = field(default_factory=dict)
    #: The ``[[export]]`` tables: files kept up to date (paperreader/autoexport.py).
    exports: list[AutoExport] = field(default_factory=list)
    #: ``[sync] folder``: the folder another tool keeps in sync between machines (paperreader/sync.py).
    sync_folder: Path | None = None
    #: ``[sync] interval``: seconds between the reader's looks at the folder.
    sync_interval: float = 10.0
    #: ``[journal] keep_days``: actions older than this many days are compacted (0: never).
    keep_days: int = KEEP_DAYS
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "exists": self.exists,
            "inbox": {"folder": str(self.inbox) if self.inbox else None, "interval": self.inbox_interval},
            "theme": self.theme,
            "keys": dict(self.keys),
            "exports": [export.to_json() for export in self.exports],
            "sync": {"folder": str(self.sync_folder) if self.sync_folder else None, "interval": self.sync_interval},
            "journal": {"keep_days": self.keep_days},
            "warnings": list(self.warnings),
        }

    def describe(
        self, written: dict[str, tuple[str, int, str]] | None = None, remembered_sync: str | None = None
    ) -> list[str]:
        """What ``paperreader config`` prints: where the file is and what is set.

        ``remembered_sync``: the folder ``sync --folder`` remembered in the
        library's settings; the sync folder in effect is the config file's,
        else that one, and the line says which (it said "not set" while sync
        went on using the remembered one).
        """
        where = printable(str(self.path))
        lines = [f"config file     {where}" + ("" if self.exists else "  (does not exist; defaults in use)")]
        if self.inbox is None:
            lines.append("inbox.folder    (not set)")
        else:
            state = "" if self.inbox.is_dir() else "  (no such folder yet)"
            lines.append(f"inbox.folder    {printable(str(self.inbox))}{state}")
        lines.append(f"inbox.interval  {self.inbox_interval:g} s")
        lines.append(f"theme           {printable(self.theme) if self.theme else '(not set: the one last picked in the reader, else textual-dark)'}")
        if not self.keys:
            lines.append("keys            (no overrides)")
        for binding, keys in sorted(self.keys.items()):
            lines.append(f"keys.{binding:<11}{printable(keys)}" if len(binding) < 11 else f"keys.{binding} {printable(keys)}")
        if not self.exports:
            lines.append("export          (no auto-exports)")
        for export in self.exports:
            record = (written or {}).get(export_target(export.path))
            when = f"last written {record[2][:16].replace('T', ' ')} UTC ({record[1]} paper{'s' if record[1] != 1 else ''})" if record else "not written yet"
            lines.append(f"export          {printable(str(export.path))}  {export.format}  {printable(export.select)!r}  {when}")
        folder = self.sync_folder or (Path(remembered_sync) if remembered_sync else None)
        if folder is None:
            lines.append("sync.folder     (not set: sync --folder DIR, remembered, or [sync] folder in the config file)")
        else:
            state = "" if folder.is_dir() else ", no such folder yet"
            source = "from the config file" if self.sync_folder is not None else "remembered by sync --folder"
            lines.append(f"sync.folder     {printable(str(folder))}  ({source}{state})")
            if self.sync_folder is not None and remembered_sync and Path(remembered_sync) != self.sync_folder:
                lines.append(f"                (sync --folder remembered {printable(remembered_sync)}: the config file's wins)")
        lines.append(f"journal.keep_days {self.keep_days}" + ("  (actions are never compacted)" if not self.keep_days else ""))
        lines += [f"warning: {printable(w)}" for w in self.warnings]
        return lines


def config_path(option: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: the option, then ``$PAPERREADER_CONFIG``, then the platform's."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV]).expanduser()
    from platformdirs import user_config_dir  # only when needed: start-up time

    return Path(user_config_dir("paperreader", appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Read the config file (defaults if it does not exist)."""
    path = path or config_path()
    config = Config(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return config
    except OSError as error:
        raise ConfigError(f"{printable(str(path))}: cannot read the config file ({error.strerror or error})") from error
    config.exists = True
    try:
        document = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{printable(str(path))}: the config file is not UTF-8 text") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{printable(str(path))}: invalid TOML ({error})") from error
    _read(document, config)
    return config


def _read(document: dict[str, Any], config: Config) -> None:
    where = printable(str(config.path))

    def warn(message: str) -> None:
        config.warnings.append(f"{where}: {message}")

    for key, value in document.items():
        if key == "theme":
            if isinstance(value, str) and value.strip():
                config.theme = value.strip()
            else:
                warn("'theme' must be a theme's name (text); ignored")
        elif key == "inbox":
            if isinstance(value, dict):
                _read_inbox(value, config, warn)
            else:
                warn("[inbox] must be a table (folder = ..., interval = ...); ignored")
        elif key == "export":
            tables = value if isinstance(value, list) else [value]
            for number, table in enumerate(tables, 1):
                if isinstance(table, dict):
                    _read_export(table, number, config, warn)
                else:
                    warn(f"export {number} must be a table ([[export]] with path, format, select); ignored")
        elif key == "sync":
            if isinstance(value, dict):
                _read_sync(value, config, warn)
            else:
                warn("[sync] must be a table (folder = ..., interval = ...); ignored")
        elif key == "journal":
            if isinstance(value, dict):
                _read_journal(value, config, warn)
            else:
                warn("[journal] must be a table (keep_days = ...); ignored")
        elif key == "keys":
            if isinstance(value, dict):
                _read_keys(value, config, warn)
            else:
                warn("[keys] must be a table (binding_id = \"keys\"); ignored")
        else:
            warn(f"unknown setting {key!r}; ignored (known: theme, [inbox], [keys], [[export]], [sync], [journal])")


def _read_inbox(table: dict[str, Any], config: Config, warn: Any) -> None:
    for key, value in table.items():
        if key == "folder":
            if isinstance(value, str) and value.strip():
                folder = Path(value.strip()).expanduser()
                config.inbox = folder if folder.is_absolute() else config.path.parent / folder
            else:
                warn("inbox.folder must be a folder's path (text); ignored")
        elif key == "interval":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < MIN_INTERVAL:
                    warn(f"inbox.interval {value} is below {MIN_INTERVAL:g} s; using {MIN_INTERVAL:g}")
                config.inbox_interval = max(float(value), MIN_INTERVAL)
            else:
                warn("inbox.interval must be a number of seconds; ignored")
        else:
            warn(f"unknown setting inbox.{key}; ignored (known: folder, interval)")


def _read_sync(table: dict[str, Any], config: Config, warn: Any) -> None:
    """``[sync]``: the folder shared between machines, and how often the reader looks at it."""
    for key, value in table.items():
        if key == "folder":
            if isinstance(value, str) and value.strip():
                folder = Path(value.strip()).expanduser()
                config.sync_folder = folder if folder.is_absolute() else config.path.parent / folder
            else:
                warn("sync.folder must be a folder's path (text); ignored")
        elif key == "interval":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if value < MIN_INTERVAL:
                    warn(f"sync.interval {value} is below {MIN_INTERVAL:g} s; using {MIN_INTERVAL:g}")
                config.sync_interval = max(float(value), MIN_INTERVAL)
            else:
                warn("sync.interval must be a number of seconds; ignored")
        else:
            warn(f"unknown setting sync.{key}; ignored (known: folder, interval)")


def _read_journal(table: dict[str, Any], config: Config, warn: Any) -> None:
    """``[journal]``: how long the journal keeps actions (undo, history) before compacting them."""
    for key, value in table.items():
        if key == "keep_days":
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                config.keep_days = value
            else:
                warn("journal.keep_days must be a whole number of days (0: keep every action); using 365")
        else:
            warn(f"unknown setting journal.{key}; ignored (known: keep_days)")


def _read_keys(table: dict[str, Any], config: Config, warn: Any) -> None:
    def flatten(prefix: str, items: dict[str, Any]) -> None:
        # TOML reads ``list.down = "J"`` as a nested table: put the dots back.
        for key, value in items.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                flatten(name + ".", value)
            elif not _BINDING_ID.match(name):
                warn(f"keys.{name}: not a binding id; ignored")
            elif name not in BINDING_IDS:
                close = difflib.get_close_matches(name, BINDING_IDS, n=1)
                hint = f"did you mean {close[0]}?" if close else "? in the reader lists them"
                warn(f"keys.{name}: unknown binding id; ignored ({hint})")
            elif not isinstance(value, str) or not value.strip():
                warn(f"keys.{name} must be keys as text, e.g. \"B\" or \"n,J\"; ignored")
            else:
                config.keys[name] = ",".join(part.strip() for part in value.split(",") if part.strip())

    flatten("", table)


def _read_export(table: dict[str, Any], number: int, config: Config, warn: Any) -> None:
    """One ``[[export]]``: a bad one is a warning naming it, and is left out (the others still run)."""
    name = f"export {number}"
    path_text = table.get("path")
    if not isinstance(path_text, str) or not path_text.strip():
        warn(f"{name}: 'path' must be a file's (or a notes folder's) path; ignored")
        return
    path = Path(path_text.strip()).expanduser()
    path = path if path.is_absolute() else config.path.parent / path
    name = f"export {printable(str(path))}"
    fmt = table.get("format", _SUFFIX_FORMATS.get(path.suffix.lower()))
    if not isinstance(fmt, str) or fmt not in FORMATS:
        known = ", ".join(FORMATS)
        warn(f"{name}: " + (f"unknown format {fmt!r}" if fmt is not None else "no format") + f" (known: {known}); ignored")
        return
    select = table.get("select", "bookmarked")
    if not isinstance(select, str):
        warn(f"{name}: 'select' must be text such as \"tag:thesis\"; ignored")
        return
    try:
        selection = parse_selection(select)
    except SelectionError as error:
        warn(f"{name}: select: {error}; ignored")
        return
    for key in table:
        if key not in ("path", "format", "select"):
            warn(f"{name}: unknown setting {key!r} (known: path, format, select)")
    if any(other.path == path for other in config.exports):
        warn(f"{name}: named twice; the first one is used")
        return
    config.exports.append(AutoExport(path, fmt, select, selection))
