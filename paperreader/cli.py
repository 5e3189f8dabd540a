"""The ``paperreader`` command: the TUI by default, and scriptable subcommands.

Non-interactive commands never import Textual (and ``list``, ``mark``, ``stats``
not even Whoosh), so they start fast enough for pipes and cron jobs.  Errors
are one line on stderr, naming the file or id and the reason; the exit status is
0 on success, 1 when something failed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .library import FileReport, Library, LibraryError
from .models import Paper
from .paths import DB_NAME, ENV_VAR, resolve_data_dir
from .store import StoreError
from .text import printable

EXAMPLES = """\
examples:
  paperreader import ~/digests                 import every *.txt digest under a folder
  paperreader search '"language model" AND rl' ranked search (Whoosh query language)
  paperreader list --unread --json             the unread papers as JSON
  paperreader mark bookmark 3f2a9c01bd         bookmark a paper by id (or unique prefix)
  paperreader export --format bibtex -o refs.bib
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
    views.add_argument("--unread", dest="view", action="store_const", const="unread", help="only unread papers")
    views.add_argument("--read", dest="view", action="store_const", const="read", help="only read papers")
    views.add_argument(
        "--bookmarked", dest="view", action="store_const", const="bookmarked", help="only bookmarked papers"
    )
    parser.set_defaults(view="all")
    parser.add_argument("--digest", type=_date, metavar="YYYY-MM-DD", help="only papers from this digest")


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
        "paths", nargs="+", type=Path, metavar="PATH",
        help="a digest file, a folder (every *.txt below it), or a JSON backup from 'export --format json --all'",
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
    _add_view_options(p)

    p = command(
        "list",
        "list the library, newest digest first",
        "paperreader list --unread --digest 2025-03-11",
        "List the library, newest digest first: one line per paper with its id, newest digest "
        "date, * if bookmarked, • if unread, and its title.",
    )
    _add_view_options(p)
    p.add_argument(
        "--sort", choices=("digest", "published", "upvotes", "title"), default="digest", help="order (default: digest)"
    )
    p.add_argument("--limit", type=_positive, metavar="N", help="at most N papers")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = command(
        "mark",
        "mark papers read, unread, bookmarked or unbookmarked",
        "paperreader search rl --json | jq -r '.[].id' | paperreader mark bookmark -",
        "Change the state of papers given by id (or a unique prefix of 4+ characters). "
        "'-' reads ids from standard input. If any id is unknown, nothing is changed.",
    )
    p.add_argument("action", choices=("read", "unread", "bookmark", "unbookmark"))
    p.add_argument("ids", nargs="+", metavar="ID")

    p = command(
        "export",
        "export bookmarked papers (or all) as Markdown, CSV, JSON or BibTeX",
        "paperreader export --format bibtex -o bookmarks.bib",
    )
    p.add_argument("--format", choices=("md", "csv", "json", "bibtex"), default="md", help="default: md")
    p.add_argument("--all", action="store_true", help="every paper, not only the bookmarked ones")
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE, replacing it (default or '-': standard output)"
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
    p = command("stats", "counts of papers, unread, bookmarked and digests", "paperreader stats --json")
    p.add_argument("--json", action="store_true", help="print a JSON object")
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


def _line(paper: Paper, width: int) -> str:
    marks = ("*" if paper.bookmarked else " ") + (" " if paper.read else "•")
    day = paper.last_digest.isoformat() if paper.digests else "          "
    head = f"{paper.id}  {day}  {marks} "
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
            f"known); {_n(report.restored, 'read/bookmark state')} restored"
        )
    days = ", ".join(d.isoformat() for d in report.digests)
    text = f"{name}: {report.new} new, {report.known} already known (digest {days})"
    if report.warnings:
        text += f", {_n(len(report.warnings), 'warning')}"
    return text


def cmd_import(library: Library, args: argparse.Namespace) -> int:
    from .library import find_digest_files

    files, _ = find_digest_files(args.paths)
    show_progress = sys.stderr.isatty() and len(files) >= 5
    reports: list[FileReport]

    def report_file(report: FileReport, number: int = 0, total: int = 0) -> None:
        if report.error:
            print(_summary(report), file=sys.stderr)
        elif not args.quiet:
            print(_summary(report))
        if not args.quiet:
            for warning in report.warnings:
                print(f"  {printable(str(report.path))}: {warning}", file=sys.stderr)

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


def _rich_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def cmd_search(library: Library, args: argparse.Namespace) -> int:
    outcome = library.search(args.query, view=args.view, digest=args.digest, limit=args.limit, count=not args.json)
    _flush_notices(library)
    if outcome.error:
        _error(outcome.error)
        return 1
    papers = library.papers_for([hit.id for hit in outcome.hits])
    scores = {hit.id: hit.score for hit in outcome.hits}
    if args.json:
        _print_json([{**paper.to_json(), "score": round(scores[paper.id], 4)} for paper in papers])
    else:
        from .index import highlight_text

        color = _color(sys.stdout)
        width = _width()
        for paper in papers:
            print(_line(paper, width))
            for snippet in highlight_text(paper.abstract, outcome.terms.get("abstract", frozenset()), top=1):
                print("    …" + _emphasis(snippet.text, snippet.spans, color) + "…")
    if not outcome.hits:
        hint = f" Did you mean: {outcome.suggestion}" if outcome.suggestion else ""
        if library.store.count() == 0:
            hint = " The library is empty: import digests with 'paperreader import PATH'."
        shown = args.query if len(args.query) <= 80 else args.query[:79] + "…"
        print(f"No papers match {printable(shown)!r}.{hint}", file=sys.stderr)
    elif not args.json and outcome.total > len(outcome.hits):
        print(f"({len(outcome.hits)} of {outcome.total} matches; --limit shows more)", file=sys.stderr)
    return 0


def cmd_list(library: Library, args: argparse.Namespace) -> int:
    papers = library.store.papers(args.view, digest=args.digest, order=args.sort, limit=args.limit)
    if args.json:
        _print_json([paper.to_json() for paper in papers])
    else:
        width = _width()
        for paper in papers:
            print(_line(paper, width))
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
            ids.extend(text.split())
    return ids


def cmd_mark(library: Library, args: argparse.Namespace) -> int:
    tokens = _read_ids(args.ids)
    ids, unknown, ambiguous = library.store.resolve(tokens)
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


def cmd_export(library: Library, args: argparse.Namespace) -> int:
    from .exports import export

    view = "all" if args.all else "bookmarked"
    papers = library.store.papers(view)
    if args.format == "md":
        from .exports import to_markdown

        text = to_markdown(papers, heading="Papers" if args.all else "Bookmarked papers")
    else:
        text = export(papers, args.format)
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
        return 0
    from .exports import write_atomically

    write_atomically(args.output, text)
    print(f"Exported {_n(len(papers), 'paper')} to {printable(str(args.output))}", file=sys.stderr)
    return 0


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
    stats = library.store.stats()
    data = {
        "papers": stats.papers,
        "unread": stats.unread,
        "bookmarked": stats.bookmarked,
        "digests": stats.digests,
        "files": stats.sources,
        "newest_digest": stats.newest_digest.isoformat() if stats.newest_digest else None,
        "oldest_digest": stats.oldest_digest.isoformat() if stats.oldest_digest else None,
        "data_dir": str(library.data_dir),
    }
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for key, value in data.items():
            print(f"{key.replace('_', ' '):<14} {value if value is not None else '-'}")
    return 0


COMMANDS = {
    "import": cmd_import,
    "search": cmd_search,
    "list": cmd_list,
    "mark": cmd_mark,
    "export": cmd_export,
    "reindex": cmd_reindex,
    "doctor": cmd_doctor,
    "stats": cmd_stats,
}


def _flush_notices(library: Library) -> None:
    for notice in library.notices:
        _error(notice)
    library.notices.clear()


def run_tui(data_dir: Path) -> int:
    """Open the reader; Textual is imported only here."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _error("the reader needs a terminal; in scripts use the commands (paperreader --help)")
        return 2
    from .tui.app import PaperReaderApp

    PaperReaderApp(data_dir).run()
    return 0


def run_demo() -> int:
    """Open the reader on the bundled sample digests, in a throw-away data dir."""
    import signal

    from .demo import build_demo_library

    # A terminal closed under the demo sends SIGTERM: still remove its folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="paperreader-demo-") as tmp:
        build_demo_library(Path(tmp))
        return run_tui(Path(tmp))


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
        data_dir = resolve_data_dir(args.data_dir)
        if args.command is None:
            return run_tui(data_dir)
        # The CLI is single-threaded, so big index builds may fork writer processes.
        with Library(data_dir, index_procs=min(4, os.cpu_count() or 1)) as library:
            status = COMMANDS[args.command](library, args)
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
