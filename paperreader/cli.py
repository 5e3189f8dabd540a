"""The ``paperreader`` command: the TUI by default, and scriptable subcommands.

Non-interactive commands never import Textual (and ``list``, ``mark``, ``tag``,
``note`` not even Whoosh), so they start fast enough for pipes and cron jobs.  Errors
are one line on stderr, naming the file or id and the reason; the exit status is
0 on success, 1 when something failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .journal import Reverted
from .library import FileReport, ImportInterrupted, Library, LibraryError
from .models import Paper, SavedView
from .paths import DB_NAME, ENV_VAR, resolve_data_dir
from .store import StoreError
from .text import printable

if TYPE_CHECKING:
    from .config import AutoExport
    from .interest import Scores

EXAMPLES = """\
examples:
  paperreader import ~/digests                 import every *.txt digest under a folder
  paperreader search '"language model" AND rl' ranked search (Whoosh query language)
  paperreader list --unread --json             the unread papers as JSON
  paperreader mark bookmark 3f2a9c01bd         bookmark a paper by id (or unique prefix)
  paperreader tag add rl 3f2a9c01bd            tag a paper; list --tag rl lists them
  paperreader export --format bibtex -o refs.bib
  paperreader backup -o ~/paperreader.json     everything: papers, state, tags, notes, views
  paperreader                                  open the reader (TUI)
"""

QUERY_HELP = """\
query language (Whoosh):
  diffusion video          both words (stemmed: "models" finds "model")
  "language model"         a phrase
  rl OR reinforcement      either; also AND, NOT, parentheses
  trans*                   a prefix
  langauge~                fuzzy: up to two edits (term~1: at most one)
  title:diffusion          one field: title, abstract
  published:2024           published in 2024; also published:>2024-06
  upvotes:>10              metadata fields: upvotes, digest:2025-03-11
  tag:rl  note:baseline    your tags and notes (plain words search them too)
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def _add_view_options(parser: argparse.ArgumentParser) -> None:
    views = parser.add_mutually_exclusive_group()
    views.add_argument("--unread", dest="view_state", action="store_const", const="unread", help="only unread papers")
    views.add_argument("--read", dest="view_state", action="store_const", const="read", help="only read papers")
    views.add_argument(
        "--bookmarked", dest="view_state", action="store_const", const="bookmarked", help="only bookmarked papers"
    )
    parser.set_defaults(view_state="all")
    parser.add_argument("--digest", type=_date, metavar="YYYY-MM-DD", help="only papers from this digest")
    parser.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="only papers with this tag (repeat: all of them)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperreader",
        description="A calm, keyboard-first reader for daily AI-paper digests. "
        "Without a command, opens the reader on your library.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"paperreader {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"library folder (default: ${ENV_VAR}, else the platform's user data dir)",
    )
    parser.add_argument(
        "--config", metavar="FILE", help="config file (default: $PAPERREADER_CONFIG, else the platform's; see 'config')"
    )
    parser.add_argument(
        "--demo", action="store_true", help="open the reader on a bundled sample library in a temporary folder"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, example: str, description: str | None = None) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help,
            description=description or help,
            epilog=f"example:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        # Also accepted after the command (paperreader stats --data-dir X).
        sub.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="library folder")
        sub.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="config file")
        return sub

    p = command(
        "import",
        "import digest files or folders (*.txt, recursively)",
        "paperreader import ~/Downloads/digests --date 2025-03-11",
        "Import digest files, or folders of them (*.txt, recursively). Each file is added whole "
        "or not at all; a file imported before changes nothing. Exit 1 if any file failed "
        "(the others are still imported).",
    )
    p.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH",
        help="a digest file, a folder (every *.txt below it), or a JSON backup from 'backup'; "
        "none: the inbox folder of the config file",
    )
    p.add_argument(
        "--date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the day the digest was saved: gives the year to the page's date "
        "(default: the file's modification time)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing unless a file failed (for cron)")

    p = command(
        "search",
        "ranked full-text search",
        "paperreader search 'diffusion AND video' --unread --limit 5",
        "Search titles and abstracts, best match first (BM25F, titles weigh more).\n\n" + QUERY_HELP,
    )
    p.add_argument("query", help="a query in Whoosh's language (see above)")
    p.add_argument("--limit", type=_positive, default=20, metavar="N", help="at most N results (default 20)")
    p.add_argument("--json", action="store_true", help="print a JSON array (adds 'score')")
    p.add_argument(
        "--sort", choices=("relevance", "momentum", "interest"), default="relevance",
        help="order: relevance (default), momentum (the most upvotes gained since first seen), or interest "
        "(\"for you\": learnt from what you kept and read; --json adds 'interest' and 'because')",
    )
    _add_view_options(p)

    p = command(
        "list",
        "list the library, newest digest first",
        "paperreader list --unread --digest 2025-03-11",
        "List the library, newest digest first: one line per paper with its id, newest digest "
        "date, * if bookmarked, • if unread, and its title.",
    )
    _add_view_options(p)
    p.add_argument("--view", metavar="NAME", help="a saved view (its query, state and digest); see 'views'")
    p.add_argument(
        "--sort", choices=("digest", "published", "upvotes", "momentum", "title", "interest"), default="digest",
        help="order (default: digest; momentum: the most upvotes gained since first seen; interest: \"for you\", "
        "learnt from what you kept and read, --json adds 'interest' and 'because')",
    )
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N papers")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = command(
        "mark",
        "mark papers read, unread, bookmarked or unbookmarked",
        "paperreader search rl --json | jq -r '.[].id' | paperreader mark bookmark -",
        "Change the state of papers given by id (or a unique prefix of 4+ characters). "
        "'-' reads ids from standard input: words, the output of --json, or the lines of plain "
        "'list' or 'search' output (the id that starts each line). If any id is unknown, nothing is changed.",
    )
    p.add_argument("action", choices=("read", "unread", "bookmark", "unbookmark"))
    p.add_argument("ids", nargs="+", metavar="ID")

    p = command(
        "export",
        "export a reading list: the bookmarks, a tag, a view, a query... in Markdown, CSV, JSON, BibTeX, RIS, "
        "CSL JSON or a notes folder",
        "paperreader export --tag thesis --format bibtex -o ~/thesis/papers.bib",
        "Export papers: the bookmarks, unless a selection is given; every selection given must hold "
        "(--tag rl --unread: the unread papers tagged rl). Each paper gets a citation key at its first "
        "export, kept from then on (see 'key'). --auto rewrites the auto-exports of the config file.",
    )
    p.add_argument(
        "--format", choices=("md", "csv", "json", "bibtex", "ris", "csljson", "notes"),
        help="default: md; notes: one Markdown file per paper in the folder -o DIR (Obsidian, Logseq)",
    )
    states = p.add_mutually_exclusive_group()
    states.add_argument("--all", dest="state", action="store_const", const="all", help="every paper")
    states.add_argument("--unread", dest="state", action="store_const", const="unread", help="unread papers")
    states.add_argument("--read", dest="state", action="store_const", const="read", help="read papers")
    states.add_argument(
        "--bookmarked", dest="state", action="store_const", const="bookmarked", help="bookmarked papers (the default alone)"
    )
    p.add_argument(
        "--tag", action="append", default=[], metavar="TAG", help="papers with this tag (repeat: with every one)"
    )
    p.add_argument("--view", metavar="NAME", help="the papers of a view (built-in or saved; see 'views')")
    p.add_argument("--query", metavar="QUERY", help="papers matching a search query (as 'search')")
    p.add_argument("--digest", type=_date, metavar="YYYY-MM-DD", help="papers from this digest")
    p.add_argument("--since", type=_date, metavar="YYYY-MM-DD", help="papers bookmarked or tagged since this day")
    p.add_argument(
        "--new", action="store_true",
        help="only the papers not exported to this same file before (a weekly list); needs -o",
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE",
        help="write to FILE (or the folder, for notes), replacing it (default or '-': standard output)",
    )
    p.add_argument("--auto", action="store_true", help="rewrite every auto-export of the config file ([[export]])")
    p.add_argument("--force", action="store_true", help="with --auto: also replace files edited by hand")

    p = command(
        "key",
        "show a paper's citation key, or pin one of your choosing",
        "paperreader key 3f2a9c01bd attention2017",
        "Without NEWKEY, print the paper's citation key (BibTeX, RIS, CSL JSON), choosing it now if it "
        "has none yet: the first significant words of its title and the year, unique in the library. "
        "With NEWKEY, pin that key instead (ASCII letters, digits and _ : . + -); a key another paper "
        "has is refused. Keys never change otherwise, so documents that cite them never break.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("newkey", nargs="?", metavar="NEWKEY")

    p = command(
        "tag",
        "add or remove tags, or list the tags in use",
        "paperreader tag add rl,agents 3f2a9c01bd 81c0",
        "Tags are short labels (letters, digits, - . +; lower case). 'tag add TAGS ID...' and "
        "'tag remove TAGS ID...' take comma-separated tags and ids (or '-' for ids on standard "
        "input, as for 'mark'); 'tag list' prints every tag with its number of papers.",
    )
    p.add_argument("action", choices=("add", "remove", "list"))
    p.add_argument("tags", nargs="?", metavar="TAGS", help="comma-separated tags (add, remove)")
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--json", action="store_true", help="list: print a JSON object")

    p = command(
        "note",
        "print or set the note of a paper",
        "echo 'compare with our baseline' | paperreader note 3f2a9c01bd -",
        "Without TEXT, print the paper's note. With TEXT (or '-' to read it from standard input) "
        "set it; --clear removes it. Notes are searched by the filter and exported.",
    )
    p.add_argument("id", metavar="ID")
    p.add_argument("text", nargs="?", metavar="TEXT")
    p.add_argument("--clear", action="store_true", help="remove the note")

    p = command("views", "list the saved views with their counts", "paperreader views --json")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = command(
        "backup",
        "write everything to one JSON file: papers, state, tags, notes, saved views",
        "paperreader backup -o ~/backups/paperreader.json",
        "Write the whole library as JSON. 'paperreader import FILE' merges it back (into this "
        "library or a new one): for each paper's read, bookmark, tags and note, and for each "
        "saved view, the newer change wins.",
    )
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write to FILE (default or '-': standard output)")

    p = command(
        "config",
        "show where the config file is and what it sets",
        "paperreader config --init && $EDITOR \"$(paperreader config --path)\"",
        "Print the config file's location and its settings (inbox folder, theme, key overrides), "
        "with a warning for each setting that cannot be used (an unknown key binding id too). "
        "Exit 1 if the file cannot be read.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--path", action="store_true", help="print only the file's path")
    p.add_argument("--example", action="store_true", help="print an example config file")
    p.add_argument(
        "--init", action="store_true",
        help="write the example config file to the config path, creating its folder (never replaces a file)",
    )

    command("reindex", "rebuild the search index from the library", "paperreader reindex")
    command(
        "doctor",
        "check the library, the index and permissions; repair what can be",
        "paperreader doctor",
        "Check the library database (SQLite integrity check), that the search index matches "
        "it (rebuilding it if not), and that the data dir is readable by you only. "
        "Exit 1 if a problem is left that needs you.",
    )
    p = command(
        "stats",
        "the library at a glance: counts, papers per day, each digest's triage and topics",
        "paperreader stats --days 7",
        "Totals, a sparkline of papers per day over the last weeks, and a table of the newest "
        "digests: papers, unread, bookmarked, triage progress and the day's topics (key terms).",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.add_argument("--days", type=_positive, default=14, metavar="N", help="the N newest digests (default 14)")
    p.add_argument("--all", action="store_true", help="every digest")
    p.add_argument("--no-topics", action="store_true", help="skip the key terms (faster: no search index)")
    p = command(
        "catchup",
        "after days away: each day's top papers, newest day first, and how many more are unread",
        "paperreader catchup --days 7 --top 5",
        "For each day with unread papers, newest first, its top K unread papers: ranked \"for you\" when "
        "your triage has trained the model, otherwise by the upvotes the day's page gave them (a "
        "percentile within the day). The rest of each day is listed by count; with --json each day "
        "carries its 'rest' ids, so: paperreader catchup --json | jq -r '.[].rest[]' | paperreader mark read -",
    )
    p.add_argument("--days", type=_positive, default=7, metavar="N", help="the N newest days with unread papers (default 7)")
    p.add_argument("--top", type=_positive, default=5, metavar="K", help="papers picked per day (default 5)")
    p.add_argument("--clusters", action="store_true", help="also each day's topic clusters, with their sizes")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per day")

    p = command(
        "undo",
        "take back the newest change made on this device, by the reader or a command",
        "paperreader undo --to '2026-11-28 18:00'",
        "Undo the newest action made on this device (read, bookmarks, tags, a note, a saved view, a "
        "restored backup, a forget), whether the reader or a command made it; it survives restarts. "
        "Field-exact: a field changed since (by the reader, a command, another device) is left as it "
        "is, and the line says so. An import is taken back with 'forget'.\n\n"
        "--to takes the read marks, bookmarks, tags, notes and saved views back to a moment: a time "
        "(local, YYYY-MM-DD HH:MM) or an action number from 'history' (that action and every later one "
        "are taken back). That is one new action, which undo takes back in turn.",
    )
    p.add_argument("--to", metavar="TIME|N", help="go back to a time or to before action N (see 'history')")
    p = command(
        "imports",
        "the files imported, with a number for 'forget'",
        "paperreader imports --json",
        "Every digest file in the library: its number, when it was imported, how many papers it held "
        "(and how many were new), the digest days it brought, and its path.",
    )
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p = command(
        "forget",
        "take back one import: what it added and nothing else",
        "paperreader forget 3",
        "Remove what one import added: the papers only that file brought, and the digest days only it "
        "brought to papers that another import (or a backup) also brought, which stay. A paper you "
        "bookmarked, tagged or annotated is kept and listed, unless --force is given. The file's record "
        "goes too, so it can be imported again. 'paperreader undo' puts everything back.",
    )
    p.add_argument("source", metavar="SOURCE", help="the import's number (see 'imports') or the imported file's path")
    p.add_argument("--force", action="store_true", help="take out bookmarked, tagged and annotated papers too")
    p = command(
        "sync",
        "sync with your other machines through a folder (Syncthing, Dropbox, a git repo...)",
        "paperreader sync --folder ~/Sync/paperreader",
        "Append this device's new actions to its own file in the sync folder and apply the other "
        "devices' (read and bookmark: the newest wins; tags: added and removed one by one; a note "
        "edited on two devices keeps both texts; saved views: the newest wins). The folder is "
        "--folder (remembered), else [sync] folder of the config file. Prints one line of counts.\n\n"
        "A data dir copied to another machine or folder keeps its device name; sync then sends nothing "
        "(the original writes that name's file) until --rename-device gives the copy a name of its own.",
    )
    p.add_argument("--folder", type=Path, metavar="DIR", help="the sync folder (remembered for next time)")
    p.add_argument("--status", action="store_true", help="show this device's name, the folder and the devices heard from")
    p.add_argument(
        "--rename-device",
        action="store_true",
        help="give this library a new device name (for a data dir copied from another machine or folder)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p = command(
        "history",
        "the actions that changed the library, newest first",
        "paperreader history --limit 5",
        "Every change of your state as one action per intent (one mark, one 'mark all read', an import, "
        "an undo): its number, when, on which device, how many papers, and what. 'undo --to N' goes "
        "back to before one of them.\n\n"
        "Actions older than [journal] keep_days of the config file (default 365) are compacted once a "
        "day, after a command changed the library; --compact does it now. Compacted actions can no "
        "longer be undone or listed; what this device has not sent to its sync folder yet is kept.",
    )
    p.add_argument("--limit", type=_positive, default=20, metavar="N", help="the N newest actions (default 20)")
    p.add_argument("--json", action="store_true", help="print a JSON array (with --compact: a JSON object)")
    p.add_argument(
        "--compact", action="store_true", help="drop the actions older than [journal] keep_days now, and say how far back the history goes"
    )
    command(
        "redo",
        "take back the last undo (until a new change is made)",
        "paperreader undo && paperreader redo",
        "Redo the newest undo of this device, field-exact like undo; a change made since the undo "
        "ends what can be redone.",
    )
    return parser


# -- output helpers -------------------------------------------------------------


def _n(count: int, noun: str) -> str:
    """``_n(1, "paper")`` is "1 paper", ``_n(2, "paper")`` "2 papers"."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _error(message: str) -> None:
    print(f"paperreader: {printable(message)}", file=sys.stderr)


def _color(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _emphasis(text: str, spans: Sequence[tuple[int, int]], color: bool) -> str:
    """Bold the matched spans for a terminal (the text itself is already clean)."""
    if not color or not spans:
        return text
    out, index = [], 0
    for start, end in spans:
        out += [text[index:start], "\x1b[1;4m", text[start:end], "\x1b[0m"]
        index = end
    out.append(text[index:])
    return "".join(out)


def _figures(paper: Paper, sort: str) -> str:
    """The figures a sort orders by, so the order can be told: ``momentum``'s rise and upvotes, ``upvotes``'."""
    upvotes = f"{paper.upvotes:>5,}↑" if paper.upvotes is not None else "     ·"
    if sort == "momentum":
        rise = f"+{paper.rise:,}" if paper.rise else "·"
        return f"{rise:>6} {upvotes} "
    if sort == "upvotes":
        return f"{upvotes} "
    return ""


def _line(paper: Paper, width: int, sort: str = "") -> str:
    marks = ("*" if paper.bookmarked else " ") + (" " if paper.read else "•")
    day = paper.last_digest.isoformat() if paper.digests else "          "
    head = f"{paper.id}  {day}  {marks} {_figures(paper, sort)}"
    title = paper.title
    room = max(width - len(head), 20)
    if len(title) > room:
        title = title[: room - 1] + "…"
    return head + title


def _width() -> int:
    if sys.stdout.isatty():
        return os.get_terminal_size(sys.stdout.fileno()).columns
    return 10_000  # pipes get whole titles


def _print_json(items: list[dict[str, object]]) -> None:
    json.dump(items, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# -- commands -------------------------------------------------------------------


def _summary(report: FileReport) -> str:
    name = printable(str(report.path))
    if report.error:
        return f"{name}: {report.error}"
    if report.already_imported:
        return f"{name}: already imported ({_n(report.known, 'paper')}), nothing changed"
    if report.restored is not None:
        return (
            f"{name}: backup of {_n(report.new + report.known, 'paper')} ({report.new} new, {report.known} already "
            f"known); {_n(report.restored, 'newer change')} restored (read, bookmarks, tags, notes, saved views)"
        )
    days = ", ".join(d.isoformat() for d in report.digests)
    text = f"{name}: {report.new} new, {report.known} already known (digest {days})"
    if report.other_pages:
        crowded = ", ".join(f"{day.isoformat()} ({_n(count, 'paper')})" for day, count in report.other_pages.items())
        text += (
            f"; {crowded} already had a different page, now merged with this one "
            "(a page from another year needs --date YYYY-MM-DD, the day it was saved)"
        )
    if report.warnings:
        text += f", {_n(len(report.warnings), 'warning')}"
    return text


def cmd_import(library: Library, args: argparse.Namespace) -> int:
    from .library import find_digest_files

    if not args.paths:
        config = _load_config(args)
        if config is None:
            return 1
        if config.inbox is None:
            _error(f"no files given and no inbox folder set in {config.path} (see 'paperreader config --example')")
            return 2
        args.paths = [config.inbox]

    files, _ = find_digest_files(args.paths)
    show_progress = sys.stderr.isatty() and len(files) >= 5
    reports: list[FileReport]

    def report_file(report: FileReport, number: int = 0, total: int = 0) -> None:
        if report.refused:
            return  # the file system refused it: one line at the end says so (and for the files after it)
        if report.error:
            print(_summary(report), file=sys.stderr)
        elif not args.quiet:
            print(_summary(report))
        if not args.quiet:
            for warning in report.warnings:
                print(f"  {printable(str(report.path))}: {warning}", file=sys.stderr)

    try:
        if show_progress:
            from rich.progress import Progress

            with Progress(transient=True, console=_rich_console()) as progress:
                task = progress.add_task("Importing", total=len(files))

                def advance(report: FileReport, number: int, total: int) -> None:
                    report_file(report)
                    progress.update(task, completed=number, description=f"Importing {report.path.name}")

                def indexing(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total, description="Indexing")

                reports = library.import_paths(args.paths, date=args.date, progress=advance, index_progress=indexing)
        else:
            reports = library.import_paths(args.paths, date=args.date, progress=report_file)
            for report in reports:  # paths that did not exist never reached the callback
                if report.error == "no such file or folder":
                    report_file(report)
    except ImportInterrupted as stop:
        # Ctrl+C: each file is stored whole or not at all, so one line says how far it got.
        done = f"{stop.imported} of {_n(stop.total, 'file')} imported"
        if stop.indexing:  # every file is stored: what is unfinished is the search index
            done += ", the search index not yet"
        print(f"interrupted: {done}; run the same command again to finish", file=sys.stderr)
        return 130
    refused = next((r for r in reports if r.refused), None)
    if refused is not None:
        _stopped_import(library, refused, reports, files)
        return 1
    failed = [r for r in reports if r.error]
    new = sum(r.new for r in reports)
    known = sum(r.known for r in reports if not r.already_imported)
    skipped = sum(1 for r in reports if r.already_imported)
    if not reports:
        _error(f"no digest files (*.txt) found in {', '.join(printable(str(p)) for p in args.paths)}")
        return 1
    if not args.quiet or failed:  # -q: silent unless something failed (cron mails only then)
        print(
            f"Imported {len(reports) - len(failed) - skipped} of {_n(len(reports), 'file')}: "
            f"{_n(new, 'new paper')}, {known} already known"
            + (f"; {skipped} already imported before" if skipped else "")
            + (f"; {len(failed)} failed" if failed else "")
            + "."
        )
    return 1 if failed else 0


def _stopped_import(library: Library, refused: FileReport, reports: list[FileReport], files: list[Path]) -> None:
    """The one line for an import the file system stopped (a full disk, a read-only mount)."""
    from .library import space_needed
    from .paths import DISK_FULL, describe_refusal, format_bytes, free_bytes, mount_point

    assert refused.refused is not None
    database = library.store.path
    done = sum(1 for r in reports if r.ok)
    new = sum(r.new for r in reports)
    head = (
        f"{'disk full' if refused.refused == DISK_FULL else describe_refusal(refused.refused, database)}: "
        f"imported {done:,} of {_n(len(files), 'file')} ({_n(new, 'new paper')}); {printable(str(database))} could not be written. "
    )
    if refused.refused == DISK_FULL:
        rest = files[files.index(refused.path) :] if refused.path in files else [refused.path]
        free = free_bytes(database)
        tail = (
            f"Free about {format_bytes(space_needed(rest))} on {printable(str(mount_point(database)))}"
            + (f" ({format_bytes(free)} free now)" if free is not None else "")
            + " and run the same command again to import the rest."
        )
    else:
        tail = "Import into a library where it can be written, or run the same command again once it can."
    print(head + tail, file=sys.stderr)


def _rich_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def cmd_search(library: Library, args: argparse.Namespace) -> int:
    tags = _tags_option(args.tag)
    if tags is None:
        return 2
    if not _digest_exists(library, args.digest):
        return 1
    # No exact count: it would run the query a second time over every match
    # (longer than the search itself); the summary line says "about" instead.
    # "For you" reorders every match, not just the best few by relevance.
    by_interest = args.sort == "interest"
    outcome = library.search(
        args.query, view=args.view_state, digest=args.digest, tags=tags, limit=None if by_interest else args.limit,
        quick=not by_interest, sort="momentum" if args.sort == "momentum" else "relevance",
    )
    _flush_notices(library)
    if outcome.error:
        _error(outcome.error)
        return 1
    ids = [hit.id for hit in outcome.hits]
    scores = {hit.id: hit.score for hit in outcome.hits}
    interest = None
    if by_interest:
        ids, interest = _by_interest(library, ids)
        ids = ids[: args.limit]
        outcome.hits = outcome.hits[: args.limit]
    papers = library.papers_for(ids)
    if args.json:
        _print_json([
            {**paper.to_json(), "score": round(scores.get(paper.id, 0.0), 4), **_interest_json(interest, paper.id, args.sort)}
            for paper in papers
        ])
    else:
        from .index import highlight_text

        color = _color(sys.stdout)
        width = _width()
        for paper in papers:
            print(_line(paper, width, args.sort))
            for snippet in highlight_text(paper.abstract, outcome.terms.get("abstract", frozenset()), top=1):
                print("    …" + _emphasis(snippet.text, snippet.spans, color) + "…")
    if not outcome.hits:
        hint = f" Did you mean: {outcome.suggestion}" if outcome.suggestion else ""
        if library.store.count() == 0:
            hint = " The library is empty: import digests with 'paperreader import PATH'."
        shown = args.query if len(args.query) <= 80 else args.query[:79] + "…"
        print(f"No papers match {printable(shown)!r}.{hint}", file=sys.stderr)
    elif not args.json and outcome.total > len(outcome.hits):
        about = "" if outcome.exact else "about "
        print(f"({len(outcome.hits)} of {about}{_round_count(outcome.total, outcome.exact)} matches; --limit shows more)", file=sys.stderr)
    return 0


def _by_interest(library: Library, ids: list[str]) -> tuple[list[str], Scores | None]:
    """``ids`` ranked "for you"; without a model yet (too few kept papers), by upvotes, and a line says so."""
    from .interest import rank, status

    ranked, scores = rank(library, ids)
    if scores is None:
        print(status(library).describe(), file=sys.stderr)
    return ranked, scores


def _interest_json(scores: Scores | None, paper_id: str, sort: str) -> dict[str, object]:
    """The 'interest' (a number; null without a model) and 'because' (its terms) of ``--sort interest``."""
    if sort != "interest":
        return {}
    if scores is None:
        return {"interest": None, "because": []}
    return {"interest": round(scores.score.get(paper_id, 0.0), 4), "because": scores.because.get(paper_id, [])}


def _round_count(total: int, exact: bool) -> str:
    """A count for people: exact as it is, an estimate to two significant digits (about 16,000)."""
    if exact or total < 100:
        return f"{total:,}"
    digits = len(str(total)) - 2
    return f"{round(total, -digits):,}"


def _digest_exists(library: Library, day: dt.date | None) -> bool:
    """True if there is no ``--digest`` or it names a digest; else a one-line error with the nearest ones."""
    if day is None or library.store.count(digest=day):
        return True
    nearest = library.nearest_digests(day)
    if nearest:
        _error(f"no digest on {day.isoformat()}; the nearest: {', '.join(d.isoformat() for d in sorted(nearest))}")
    else:
        _error(f"no digest on {day.isoformat()}: the library has no digests yet")
    return False


def _tags_option(values: Sequence[str]) -> list[str] | None:
    """The tags of ``--tag`` options, normalised; None (after an error line) if one is not a tag."""
    from .text import normalize_tag

    tags = []
    for value in values:
        tag = normalize_tag(value)
        if tag is None:
            _error(f"not a tag: {value!r} (letters, digits, - . +)")
            return None
        tags.append(tag)
    return tags


def _named_view(library: Library, name: str) -> SavedView | None:
    """A built-in or saved view by name, or None after a one-line error listing the views."""
    view = library.find_view(name)
    if view is None:
        names = ", ".join(repr(view.name) for view in library.views())
        _error(f"no view named {name!r}; views: {names}")
    return view


def cmd_list(library: Library, args: argparse.Namespace) -> int:
    tags = _tags_option(args.tag)
    if tags is None:
        return 2
    if not _digest_exists(library, args.digest):
        return 1
    if args.view is not None:
        saved = _named_view(library, args.view)
        if saved is None:
            return 1
        state = saved.state if args.view_state == "all" else args.view_state
        digest = args.digest or library.view_digest(saved)
        if saved.sort is not None and args.sort == "digest":
            args.sort = saved.sort  # the view's own order ("For you"), unless another was asked
        found: list[str] | None = None
        if saved.query:
            by_interest = args.sort == "interest"
            outcome = library.search(
                saved.query, view=state, digest=digest, tags=tags, limit=None if by_interest else args.limit,
                sort="relevance" if by_interest else args.sort,
            )
            _flush_notices(library)
            if outcome.error:
                _error(f"saved view {saved.name!r}: {outcome.error}")
                return 1
            found = [hit.id for hit in outcome.hits]
        elif args.sort == "interest":
            found = library.store.ids(state, digest=digest, tags=tags)  # type: ignore[arg-type]
        else:
            papers = library.store.papers(state, digest=digest, tags=tags, order=args.sort, limit=args.limit)
    elif args.sort == "interest":
        found = library.store.ids(args.view_state, digest=args.digest, tags=tags)
    else:
        found = None
        papers = library.store.papers(args.view_state, digest=args.digest, tags=tags, order=args.sort, limit=args.limit)
    interest = None
    if found is not None:
        if args.sort == "interest":
            found, interest = _by_interest(library, found)
        papers = library.papers_for(found[: args.limit])
    if args.json:
        _print_json([{**paper.to_json(), **_interest_json(interest, paper.id, args.sort)} for paper in papers])
    else:
        width = _width()
        for paper in papers:
            print(_line(paper, width, args.sort))
    return 0


def _read_ids(tokens: Sequence[str]) -> list[str]:
    """Ids from the arguments; ``-`` reads them from stdin (one per word, or --json output)."""
    ids: list[str] = []
    for token in tokens:
        if token != "-":
            ids.append(token)
            continue
        text = sys.stdin.read()
        try:
            items = json.loads(text) if text.lstrip().startswith("[") else None
        except ValueError:
            items = None
        if isinstance(items, list):
            ids.extend(str(item["id"]) for item in items if isinstance(item, dict) and "id" in item)
        else:
            for line in text.splitlines():
                ids.extend(_line_ids(line))
    return ids


_ID_LIKE = re.compile(r"[0-9a-fA-F]{4,10}")


def _line_ids(line: str) -> list[str]:
    """The ids of one line of standard input.

    A line of ``list`` or ``search`` output starts with the paper's id and goes
    on with its date and title, which are no ids: only the first word counts.
    A line of nothing but id-like words (``3f2a 81c0``) gives them all; the
    snippet lines that ``search`` prints under a paper give none.  Anything
    else is taken word by word, so a mistyped id is reported, not skipped.
    """
    words = line.split()
    if not words or line.startswith("    …"):
        return []
    if all(_ID_LIKE.fullmatch(word) for word in words):
        return words
    if _ID_LIKE.fullmatch(words[0]):
        return words[:1]
    return words


def _resolve_ids(library: Library, tokens: Sequence[str]) -> list[str] | None:
    """Ids for the tokens given; None (after error lines) if any is unknown or ambiguous."""
    ids, unknown, ambiguous = library.store.resolve(_read_ids(tokens))
    if unknown or ambiguous:
        short = [t for t in unknown if len(t.strip()) < 4]
        unknown = [t for t in unknown if t not in short]
        if short:
            _error(f"too short to be an id (give 4 or more of its 10 characters): {', '.join(short[:10])}")
        if unknown:
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            _error(f"unknown id{'s' if len(unknown) > 1 else ''}: {', '.join(unknown[:10])}{more}")
        if ambiguous:
            _error(f"ambiguous id prefix{'es' if len(ambiguous) > 1 else ''}: {', '.join(ambiguous)}")
        _error("nothing was changed")
        return None
    return ids


def cmd_mark(library: Library, args: argparse.Namespace) -> int:
    ids = _resolve_ids(library, args.ids)
    if ids is None:
        return 1
    change = {
        "read": {"read": True},
        "unread": {"read": False},
        "bookmark": {"bookmarked": True},
        "unbookmark": {"bookmarked": False},
    }[args.action]
    before = library.store.set_state(ids, **change)
    field, value = next(iter(change.items()))
    changed = sum(1 for snap in before if getattr(snap, field) != value)
    verb = {"read": "read", "unread": "unread", "bookmark": "bookmarked", "unbookmark": "unbookmarked"}[args.action]
    already = len(ids) - changed
    print(f"Marked {_n(changed, 'paper')} {verb}" + (f" ({already} already {'was' if already == 1 else 'were'})." if already else "."))
    return 0


def cmd_tag(library: Library, args: argparse.Namespace) -> int:
    if args.action == "list":
        tags = library.store.all_tags()
        if args.json:
            json.dump(dict(tags), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif not tags:
            print("No tags yet: paperreader tag add TAG ID… (or t in the reader).")
        else:
            for tag, count in tags:
                print(f"{count:>6}  {tag}")
        return 0
    from .text import parse_tags

    tags = parse_tags(args.tags or "")
    if not tags or not args.ids:
        _error(f"tag {args.action} needs tags and ids: paperreader tag {args.action} TAG[,TAG...] ID [ID...]")
        return 2
    ids = _resolve_ids(library, args.ids)
    if ids is None:
        return 1
    if args.action == "add":
        changed = library.store.set_tags(ids, add=tags)
    else:
        changed = library.store.set_tags(ids, remove=tags)
    verb = "Tagged" if args.action == "add" else "Untagged"
    print(f"{verb} {_n(len(changed), 'paper')} ({', '.join(tags)})" + (
        f"; {len(ids) - len(changed)} had {'them' if args.action == 'add' else 'none of them'} already." if len(changed) < len(ids) else "."
    ))
    return 0


def cmd_note(library: Library, args: argparse.Namespace) -> int:
    from .text import clean_note

    ids = _resolve_ids(library, [args.id])
    if ids is None:
        return 1
    (paper_id,) = ids
    if args.text is None and not args.clear:
        paper = library.store.get(paper_id)
        if paper is not None and paper.note:
            print(paper.note)
        return 0
    if args.clear and args.text is not None:
        _error("give TEXT or --clear, not both")
        return 2
    text = "" if args.clear else clean_note(sys.stdin.read() if args.text == "-" else args.text)
    before = library.store.set_note(paper_id, text)
    if before is None:
        print("The note was already so; nothing changed.")
    else:
        print(f"{'Removed the note of' if not text else 'Saved the note of'} {paper_id}.")
    return 0


def cmd_views(library: Library, args: argparse.Namespace) -> int:
    from .models import BUILTIN_VIEWS

    views = library.views()
    rows = []
    for number, view in enumerate(views):
        papers, unread = library.view_counts(view)
        rows.append({**view.to_json(), "builtin": number < len(BUILTIN_VIEWS), "papers": papers, "unread": unread})
    _flush_notices(library)
    if args.json:
        _print_json(rows)
        return 0
    for row, view in zip(rows, views):
        print(f"{printable(view.name):<24} {row['unread']:>6,} unread {row['papers']:>7,} papers  {printable(view.describe())}")
    if len(views) == len(BUILTIN_VIEWS):
        print("No saved views yet: in the reader, filter the list and press S.", file=sys.stderr)
    return 0


def cmd_backup(library: Library, args: argparse.Namespace) -> int:
    if args.output is None or str(args.output) == "-":
        library.write_backup(sys.stdout)
        return 0
    from .exports import open_atomically

    with open_atomically(args.output) as handle:
        count = library.write_backup(handle)
    views = len(library.store.views())
    print(f"Backed up {_n(count, 'paper')} and {_n(views, 'saved view')} to {printable(str(args.output))}", file=sys.stderr)
    return 0


def cmd_export(library: Library, args: argparse.Namespace) -> int:
    from .exports import FORMAT_NAMES, Selection, SelectionError, export_selection

    if args.auto:
        given = [name for name, value in (
            ("--format", args.format), ("--tag", args.tag), ("--view", args.view), ("--query", args.query),
            ("--digest", args.digest), ("--since", args.since), ("--new", args.new), ("-o", args.output),
            ("--all/--unread/--read/--bookmarked", args.state),
        ) if value]
        if given:
            _error(f"--auto rewrites the auto-exports as the config file sets them; it takes no {', '.join(given)}")
            return 2
        return _auto_export(library, args)
    if args.force:
        _error("--force goes with --auto (replacing auto-exports edited by hand)")
        return 2
    args.format = args.format or "md"
    output = None if args.output is None or str(args.output) == "-" else args.output
    if output is None and (args.format == "notes" or args.new):
        _error(f"{'--format notes' if args.format == 'notes' else '--new'} needs -o {'DIR' if args.format == 'notes' else 'FILE'}")
        return 2
    tags = _tags_option(args.tag)
    if tags is None:
        return 2
    if not _digest_exists(library, args.digest):
        return 1
    if args.view is not None and _named_view(library, args.view) is None:
        return 1
    criteria = bool(tags or args.view or args.query or args.digest or args.since)
    selection = Selection(
        state=args.state or ("all" if criteria else "bookmarked"),
        tags=tuple(tags),
        view=args.view,
        query=args.query,
        digest=args.digest,
        since=args.since,
    )
    try:
        result = export_selection(library, selection, args.format, output, new_only=args.new)
    except SelectionError as error:
        _error(str(error))
        return 1
    _flush_notices(library)
    count = len(result.papers)
    if output is None:
        sys.stdout.write(result.text or "")
        return 0
    where = printable(str(output))
    if args.new and not result.papers:
        print(
            f"No new papers for {where} ({_n(result.already, 'paper')} of this selection exported there before); "
            "the file was left as it was.",
            file=sys.stderr,
        )
        return 0
    told = f"Exported {_n(count, 'paper')} ({selection.describe().lower()}) to {where} as {FORMAT_NAMES[args.format]}"
    if result.already:
        told += f"; {result.already} exported there before, left out"
    if result.notes is not None:
        told += f": {len(result.notes.written)} written, {result.notes.unchanged} unchanged"
        for skipped in result.notes.skipped:
            _error(f"{printable(str(skipped))}: no paperreader marker line, so it holds your text only; left as it is")
    print(told + ".", file=sys.stderr)
    return 0


def _auto_export(library: Library, args: argparse.Namespace) -> int:
    """``export --auto``: every auto-export of the config file, now; exit 1 if one could not be written."""
    from .autoexport import AutoExporter

    config = _load_config(args)
    if config is None:
        return 1
    for warning in config.warnings:
        _error(f"warning: {warning}")
    if not config.exports:
        _error(f"no auto-exports in {printable(str(config.path))} (add an [[export]]; see 'paperreader config --example')")
        return 1
    outcomes = AutoExporter(library, config.exports).flush(force=args.force)
    for outcome in outcomes:
        if outcome.status == "written":
            print(f"wrote      {outcome.message}")
        elif outcome.status == "unchanged":
            print(f"unchanged  {printable(str(outcome.export.path))}: {_n(outcome.papers, 'paper')}")
        else:
            _error(outcome.message)
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def _watch_changes(library: Library) -> list[bool]:
    """A list that gets an item at each change the command commits (for the auto-exports)."""
    changed: list[bool] = []
    library.store.add_commit_hook(lambda: changed.append(True))
    return changed


def _update_auto_exports(library: Library, args: argparse.Namespace) -> None:
    """After a command changed the library: rewrite the auto-exports whose papers changed.

    The config file is read only now, when something changed; a problem with
    it or with an export is a warning, never the command's failure (its
    change is made).
    """
    from .autoexport import AutoExporter
    from .config import ConfigError, config_path, load_config

    try:
        config = load_config(config_path(getattr(args, "config", None)))
    except ConfigError as error:
        _error(f"{error}; auto-exports not updated")
        return
    if not config.exports:
        return
    quiet = getattr(args, "quiet", False)
    for outcome in AutoExporter(library, config.exports, notify=lambda message: _error(message)).flush():
        if outcome.status == "written" and not quiet:
            print(f"Updated the auto-export {outcome.message}.", file=sys.stderr)


def cmd_key(library: Library, args: argparse.Namespace) -> int:
    from .text import valid_cite_key

    ids = _resolve_ids(library, [args.id])
    if ids is None:
        return 1
    (paper_id,) = ids
    if args.newkey is None:
        print(library.store.ensure_keys([paper_id])[paper_id])
        return 0
    if not valid_cite_key(args.newkey):
        _error(f"not a citation key: {args.newkey!r} (ASCII letters, digits and _ : . + -, starting with a letter or digit); nothing was changed")
        return 1
    try:
        old = library.store.pin_key(paper_id, args.newkey)
    except ValueError as error:
        _error(f"{error}; nothing was changed")
        return 1
    if old == args.newkey:
        print(f"{paper_id} has the key {args.newkey} already; it is pinned.")
    else:
        print(f"Pinned the key {args.newkey} on {paper_id}" + (f" (it was {old})." if old else "."))
    return 0


def _load_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The config file's settings, or None after a one-line error."""
    from .config import ConfigError, config_path, load_config

    try:
        return load_config(config_path(args.config))
    except ConfigError as error:
        _error(str(error))
        return None


def cmd_config(args: argparse.Namespace) -> int:
    from .config import EXAMPLE, config_path

    if args.example:
        sys.stdout.write(EXAMPLE)
        return 0
    if args.init:
        path = config_path(args.config)
        # The platform's config folder often does not exist yet: a shell
        # redirection into it would fail, so this creates it.
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(EXAMPLE)
        except FileExistsError:
            _error(f"{printable(str(path))}: a config file is there already; nothing was changed")
            return 1
        print(f"Wrote an example config file to {printable(str(path))}; edit it to taste.", file=sys.stderr)
        return 0
    if args.path:
        print(config_path(args.config))
        return 0
    config = _load_config(args)
    if config is None:
        return 1
    written = _auto_export_records(args, config.exports)
    remembered = _remembered_sync_folder(args)
    if args.json:
        data = config.to_json()
        in_effect = config.sync_folder or (Path(remembered) if remembered else None)
        data["sync"]["in_effect"] = str(in_effect) if in_effect else None  # type: ignore[index]
        data["sync"]["from"] = (  # type: ignore[index]
            "config" if config.sync_folder is not None else "sync --folder" if remembered else None
        )
        from .exports import export_target

        for item, export in zip(data["exports"], config.exports):  # type: ignore[call-overload]
            record = written.get(export_target(export.path))
            item["last_written"] = record[2] if record else None
            item["papers"] = record[1] if record else None
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for line in config.describe(written, remembered):
            print(line)
    return 0


def _remembered_sync_folder(args: argparse.Namespace) -> str | None:
    """The folder ``sync --folder`` remembered in the library's settings (None: none, or no library)."""
    try:
        with Library(resolve_data_dir(args.data_dir), create=False) as library:
            return library.store.setting("sync.folder")
    except (LibraryError, StoreError, sqlite3.Error):
        return None


def _auto_export_records(args: argparse.Namespace, exports: Sequence[AutoExport]) -> dict[str, tuple[str, int, str]]:
    """When each auto-export was last written, from the library (none if there is no library)."""
    from .exports import export_target

    if not exports:
        return {}
    try:
        with Library(resolve_data_dir(args.data_dir), create=False) as library:
            records = {}
            for export in exports:
                target = export_target(export.path)
                record = library.store.auto_export_record(target)
                if record is not None:
                    records[target] = record
            return records
    except (LibraryError, StoreError, sqlite3.Error):
        return {}


def cmd_reindex(library: Library, args: argparse.Namespace) -> int:
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=_rich_console()) as progress:
            task = progress.add_task("Indexing", total=None)
            count = library.reindex(lambda done, total: progress.update(task, completed=done, total=total))
    else:
        count = library.reindex()
    print(f"Rebuilt the search index: {count:,} papers.")
    return 0


def cmd_doctor(library: Library, args: argparse.Namespace) -> int:
    findings = library.doctor()
    for status, message in findings:
        print(f"{status:<8} {message}")
    return 1 if any(status == "problem" for status, _ in findings) else 0


def cmd_stats(library: Library, args: argparse.Namespace) -> int:
    from .overview import overview, progress_bar, sparkline

    topics = 0 if args.no_topics else 5
    data = overview(library, limit=None if args.all else args.days, topics=topics)
    _flush_notices(library)
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    from rich.table import Table
    from rich.text import Text

    console = _stdout_console()
    totals = Table.grid(padding=(0, 2))
    totals.add_column(style="bold", justify="right")
    totals.add_column()
    totals.add_row(f"{data['papers']:,}", f"papers in {_n(data['digests'], 'digest')} ({data['oldest_digest'] or '-'} to {data['newest_digest'] or '-'})")  # type: ignore[index]
    totals.add_row(f"{data['unread']:,}", "unread")
    totals.add_row(f"{data['bookmarked']:,}", "bookmarked")
    totals.add_row(f"{data['tagged']:,}", f"tagged, {data['with_notes']:,} with notes")
    totals.add_row("", Text(f"from {_n(data['files'], 'file')} in {printable(str(data['data_dir']))}", style="dim"))  # type: ignore[arg-type]
    console.print(totals)
    per_day = data["papers_per_day"]
    if per_day:
        counts = [day["papers"] for day in per_day]  # type: ignore[index, union-attr]
        console.print()
        console.print(Text(f"Papers per day, {per_day[0]['date']} to {per_day[-1]['date']} (max {max(counts)}):", style="bold"))  # type: ignore[index]
        console.print(Text(sparkline(counts), style="cyan"))
    if not data["days"]:
        return 0
    table = Table(title=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("Digest")
    table.add_column("Papers", justify="right")
    table.add_column("Unread", justify="right")
    table.add_column("★", justify="right")
    table.add_column("Triaged")
    if topics:
        table.add_column("Topics of the day", overflow="fold")
    for day in data["days"]:  # type: ignore[union-attr]
        cells = [
            Text(day["date"]),
            Text(f"{day['papers']:,}"),
            Text(f"{day['unread']:,}"),
            Text(f"{day['bookmarked']:,}" if day["bookmarked"] else ""),
            Text(f"{progress_bar(day['triaged'])} {day['triaged']:>4.0%}", style="green" if day["triaged"] >= 1 else ""),
        ]
        if topics:
            cells.append(Text(", ".join(day["topics"])))
        table.add_row(*cells)
    console.print()
    console.print(table)
    shown, total = len(data["days"]), data["digests"]  # type: ignore[arg-type]
    if shown < total:
        console.print(Text(f"({shown} newest of {total} digests; --all shows every one)", style="dim"))
    return 0


def cmd_catchup(library: Library, args: argparse.Namespace) -> int:
    """The days to catch up on, each with its top papers; the rest by count (ids in --json)."""
    from .catchup import catch_up

    found = catch_up(library, days=args.days, top=args.top)
    clusters = {}
    if args.clusters:
        from .clusters import day_clusters

        clusters = {day.date: day_clusters(library.store, day.date) for day in found.days}
    if args.json:
        days: list[dict[str, object]] = []
        for day in found.days:
            item = {**day.to_json(), "ranking": found.ranking}
            if args.clusters:
                item["clusters"] = [cluster.to_json() for cluster in clusters[day.date]]
            days.append(item)
        _print_json(days)
        return 0
    if not found.days:
        print("Nothing to catch up on: every paper is read.")
        return 0
    ranking = "for you" if found.ranking == "for you" else "by upvotes within each day"
    print(f"{_n(found.unread, 'unread paper')} in {_n(len(found.days), 'day')}, the top of each ranked {ranking}:")
    if found.note:
        print(f"({found.note})")
    width = _width()
    for day in found.days:
        print()
        later = f" · {day.later_text()}" if day.later else ""
        print(f"{day.date:%a %b %d, %Y} · {day.unread:,} unread of {day.papers:,}{later}")
        for pick in day.top:
            votes = f"▲{pick.paper.upvotes}" if pick.paper.upvotes is not None else ""
            head = f"  {pick.paper.id}  {votes:>5}  "
            why = f"  ({printable(pick.why)})" if pick.why else ""
            room = max(width - len(head) - len(why), 20)
            title = printable(pick.paper.title)
            print(head + (title if len(title) <= room else title[: room - 1] + "…") + why)
        if day.rest:
            print(f"  + {len(day.rest):,} more unread")
        for cluster in clusters.get(day.date, []):
            print(f"  · {printable(cluster.describe())}")
    if found.older_unread:
        print()
        print(f"({_n(found.older_unread, 'more unread paper')} on older days; --days shows more)")
    return 0


def _stdout_console():  # type: ignore[no-untyped-def]
    """Rich on standard output: colour only on a terminal, whole lines in pipes."""
    from rich.console import Console

    color = _color(sys.stdout)
    return Console(
        highlight=False,
        no_color=not color,
        color_system="auto" if color else None,
        width=None if sys.stdout.isatty() else 200,
    )


def _reverted(outcome: Reverted) -> int:
    """One line for an undo or a redo; exit 1 when there was nothing to take back."""
    if outcome.target is None:
        _error(outcome.message().rstrip(".").lower())
        return 1
    print(printable(outcome.message()))
    return 0


def cmd_undo(library: Library, args: argparse.Namespace) -> int:
    from .journal import JournalError, parse_moment

    if args.to is None:
        return _reverted(library.store.journal.undo())
    try:
        moment = parse_moment(args.to)
    except JournalError as error:
        _error(str(error))
        return 2
    try:
        outcome = library.store.journal.undo_to(moment)
    except JournalError as error:
        _error(str(error))
        return 1
    print(printable(outcome.message()))
    return 0


def _days_text(days: Sequence[str]) -> str:
    """``2025-11-14``, or ``2025-11-10..2025-11-14 (5 days)`` for a file of many pages."""
    if len(days) <= 2:
        return " ".join(days)
    return f"{days[0]}..{days[-1]} ({len(days)} days)"


def cmd_imports(library: Library, args: argparse.Namespace) -> int:
    from .journal import local_time

    records = library.store.journal.imports()
    if args.json:
        _print_json([record.to_json() for record in records])
        return 0
    if not records:
        print("Nothing imported yet.", file=sys.stderr)
        return 0
    for record in records:
        print(
            f"{'#' + str(record.number):>6}  {local_time(record.when)}  {_n(record.papers, 'paper'):>12} "
            f"({record.new:,} new)  {_days_text(record.digests)}  {printable(record.path)}"
        )
    return 0


def cmd_forget(library: Library, args: argparse.Namespace) -> int:
    from .journal import JournalError

    journal = library.store.journal
    try:
        record = journal.find_import(args.source)
    except JournalError as error:
        _error(str(error))
        return 1
    done = journal.forget(record, force=args.force)
    parts = [f"{_n(len(done.removed), 'paper')} taken out"]
    if done.shared:
        parts.append(f"{_n(len(done.shared), 'paper')} stay{'s' if len(done.shared) == 1 else ''}, brought by another import too")
    if done.kept:
        parts.append(
            f"{_n(len(done.kept), 'paper')} kept: you bookmarked, tagged or annotated "
            f"{'it' if len(done.kept) == 1 else 'them'} (--force takes {'it' if len(done.kept) == 1 else 'them'} out too)"
        )
    print(f"Forgot #{record.number} {printable(record.path)}: " + "; ".join(parts) + ". 'paperreader undo' puts it back.")
    papers = library.store.get_many(done.kept)
    for paper_id in done.kept:
        if paper_id in papers:
            print(f"  {paper_id}  {printable(papers[paper_id].title)}")
    return 0


def sync_folder(library: Library, config_folder: Path | None) -> Path | None:
    """The sync folder: the config file's ``[sync] folder``, else the one ``sync --folder`` remembered."""
    if config_folder is not None:
        return config_folder
    remembered = library.store.setting("sync.folder")
    return Path(remembered) if remembered else None


def cmd_sync(library: Library, args: argparse.Namespace) -> int:
    from .sync import SyncError, rename_device, sync, sync_status

    if args.rename_device:
        old, new = rename_device(library.store)
        print(
            f"This library is now the device {printable(new)} (it was {printable(old)}); "
            f"its changes go to {printable(new)}.log in the sync folder from the next sync."
        )
        return 0

    config = _load_config(args)
    if args.folder is not None:
        folder: Path | None = args.folder.expanduser().absolute()
    else:
        folder = sync_folder(library, config.sync_folder if config is not None else None)
    if args.status:
        status = sync_status(library.store, folder)
        if args.json:
            json.dump(status, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
            return 0
        print(f"device      {printable(str(status['device']))}")
        if status["copied"]:
            print("            (a copy of a library elsewhere: sends nothing until 'paperreader sync --rename-device')")
        last = status["last_sync"]
        print(f"folder      {printable(str(folder)) if folder else '(not set: sync --folder DIR, or [sync] folder in the config file)'}"
              + (f"  (last sync {str(last)[:16].replace('T', ' ')} UTC)" if last else "  (never synced)"))
        if status["unsent_actions"] is not None:
            print(f"unsent      {_n(int(status['unsent_actions']), 'action')}")  # type: ignore[call-overload]
        for seen in status["devices"]:  # type: ignore[attr-defined]
            print(f"heard from  {printable(seen['device'])}  ({_n(seen['actions'], 'action')}, newest {str(seen['newest'])[:16].replace('T', ' ')})")
        return 0
    if folder is None:
        _error("no sync folder: give --folder DIR (remembered), or set [sync] folder in the config file")
        return 2
    try:
        report = sync(library.store, folder, library.data_dir)
    except SyncError as error:
        _error(str(error))
        return 1
    if args.folder is not None:  # remembered once it worked
        library.store.set_setting("sync.folder", str(folder))
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(printable(report.line()))
    if report.error:
        _error(f"{report.error}; the other devices' changes were applied, this device's were not sent")
        return 1
    return 0


def cmd_history(library: Library, args: argparse.Namespace) -> int:
    from .journal import Action, local_time, standing

    journal = library.store.journal
    if args.compact:
        config = _load_config(args)
        if config is None:
            return 1
        for warning in config.warnings:
            _error(f"warning: {warning}")
        if not config.keep_days:
            print("Nothing compacted: [journal] keep_days = 0 keeps every action; " + journal.reach() + ".")
            return 0
        done = journal.compact(config.keep_days)
        assert done is not None
        if args.json:
            json.dump(
                {"compacted": done.actions, "changes": done.changes, "kept_unsent": done.held,
                 "first": done.first, "first_at": done.first_at, "before": done.limit},
                sys.stdout, indent=2,
            )
            sys.stdout.write("\n")
        else:
            print(printable(done.message()) + ".")
        return 0
    actions = journal.actions(limit=args.limit)
    listed = {action.number: action for action in actions}  # the takers-back are newer: listed, or looked up

    def find(number: int) -> Action | None:
        return listed.get(number) or journal.action(number)

    if args.json:
        shown = []
        for action in actions:
            entry = action.to_json()
            entry["undone"] = action.kind != "undo" and standing(action, find)[0]  # redone: in effect again
            shown.append(entry)
        _print_json(shown)
        return 0
    if not actions:
        print("No changes yet.", file=sys.stderr)
        return 0
    width = max(len(action.device) for action in actions)
    for action in actions:
        mark = standing(action, find)[1]
        papers = f"{action.papers:,} paper{'s' if action.papers != 1 else ''}" if action.papers else ""
        print(
            f"{action.number:>6}  {local_time(action.when)}  {printable(action.device):<{width}}  {papers:>14}  "
            f"{printable(action.label)}{f'  ({mark})' if mark else ''}"
        )
    older = journal.count() - len(actions)
    if older > 0:
        print(f"… {older:,} older action{'s' if older != 1 else ''} (history --limit N)")
    if journal.first() > 1:
        print(f"(older actions were compacted, [journal] keep_days: {journal.reach()})")
    return 0


def _compact_if_due(library: Library, args: argparse.Namespace) -> None:
    """After a command changed the library: drop the journal's actions older than [journal] keep_days.

    At most once a day (the check is one read), so it costs nothing on the
    commands of a busy day; a config file that cannot be read compacts
    nothing, and a refusal to write (a full disk) is not the command's failure.
    """
    from .config import ConfigError, config_path, load_config

    try:
        config = load_config(config_path(getattr(args, "config", None)))
        library.store.journal.compact(config.keep_days, due=True)
    except (ConfigError, StoreError):
        pass


def cmd_redo(library: Library, args: argparse.Namespace) -> int:
    return _reverted(library.store.journal.redo())


COMMANDS = {
    "undo": cmd_undo,
    "redo": cmd_redo,
    "history": cmd_history,
    "imports": cmd_imports,
    "sync": cmd_sync,
    "forget": cmd_forget,
    "import": cmd_import,
    "search": cmd_search,
    "list": cmd_list,
    "mark": cmd_mark,
    "export": cmd_export,
    "key": cmd_key,
    "reindex": cmd_reindex,
    "doctor": cmd_doctor,
    "stats": cmd_stats,
    "catchup": cmd_catchup,
    "tag": cmd_tag,
    "note": cmd_note,
    "views": cmd_views,
    "backup": cmd_backup,
}


def _flush_notices(library: Library) -> None:
    for notice in library.notices:
        _error(notice)
    library.notices.clear()


def run_tui(data_dir: Path, config_option: str | None = None) -> int:
    """Open the reader; Textual is imported only here.

    A config file that cannot be read does not keep the reader closed: it
    opens with the defaults and says why.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _error("the reader needs a terminal; in scripts use the commands (paperreader --help)")
        return 2
    from .config import Config, ConfigError, config_path, load_config

    notices: list[str] = []
    path = config_path(config_option)
    try:
        config = load_config(path)
    except ConfigError as error:
        config = Config(path)
        notices.append(f"{error}; using the defaults")
    notices += config.warnings
    from .tui.app import PaperReaderApp

    PaperReaderApp(data_dir, config=config, notices=notices).run()
    return 0


def run_demo() -> int:
    """Open the reader on the bundled sample digests, in a throw-away data dir."""
    import signal

    from .demo import build_demo_library

    # A terminal closed under the demo sends SIGTERM: still remove its folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="paperreader-demo-") as tmp:
        build_demo_library(Path(tmp))
        return run_tui(Path(tmp), os.devnull)  # the demo ignores the user's config (and inbox)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.demo:
            if args.command:
                parser.error("--demo opens the reader; it takes no command")
            return run_demo()
        if args.data_dir is not None and not args.data_dir.strip():
            parser.error("--data-dir needs a folder")
        if args.command == "config":
            return cmd_config(args)
        data_dir = resolve_data_dir(args.data_dir)
        if args.command is None:
            return run_tui(data_dir, args.config)
        # The CLI is single-threaded, so big index builds may fork writer processes.
        # Only an import starts a library: any other command on a folder without
        # one (a mistyped --data-dir) says so instead of creating an empty one.
        create = args.command == "import"
        with Library(data_dir, index_procs=min(4, os.cpu_count() or 1), create=create) as library:
            changed = _watch_changes(library)
            status = COMMANDS[args.command](library, args)
            if changed and not (args.command == "export" and args.auto):
                _update_auto_exports(library, args)
            if changed:
                _compact_if_due(library, args)
            _flush_notices(library)
            return status
    except (LibraryError, StoreError) as error:
        _error(str(error))
        return 1
    except sqlite3.DatabaseError as error:
        # Damage past the header shows only when a page is read.
        _error(
            f"{resolve_data_dir(args.data_dir) / DB_NAME}: the library database is damaged ({error}). "
            "Run 'paperreader doctor'; restore it from a backup (a JSON export imported into a new data dir)."
        )
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of a pipe went away (| head): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        _error(f"{where}{error.strerror or error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
