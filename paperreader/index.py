"""The full-text index: a Whoosh index derived from the store.

This module is the only one that imports Whoosh: the rest of paperreader sees
:class:`SearchIndex` and plain results, so the engine could be swapped.

The index holds no user state (read and bookmarked live only in the store, and a
search is restricted to a view by passing the allowed ids), so marking a paper
never writes to it.  It records, in a small JSON file beside its segments, which
store it mirrors and up to which content revision; :meth:`SearchIndex.ensure`
compares that with the store and catches up, or rebuilds when the index is
missing, damaged or belongs to another library.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import io
import json
import os
import re
import shutil
import signal
import threading
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import classify, collectors, highlight, index, qparser
from whoosh.qparser import syntax as qsyntax
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.analysis import LowercaseFilter, RegexTokenizer, SpaceSeparatedTokenizer, StemmingAnalyzer, StopFilter
from whoosh.automata.lev import levenshtein_automaton
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.filedb import compound as compound_files, structfile
from whoosh.matching import ReadTooFar
from whoosh.matching.binary import AndMaybeMatcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.query import And, AndNot, Every, FuzzyTerm, Not, Or, Query, Term
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.support.levenshtein import distance

import numpy as np

from .fastsearch import ArrayEngine, Cancelled, Unsupported, segment_ids, write_sidecars
from .models import Paper, SearchHit, Snippet
from .paths import describe_refusal, fs_refusal, write_refusal
from .text import normalize_title

try:  # POSIX advisory locks keep two processes from rebuilding at once.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "SearchIndex", "SearchOutcome", "brief_error", "index_terms", "GENRE_STEMS", "IndexUnavailable", "QueryError", "QUERY_FIELDS", "INDEX_VERSION", "SORTS", "highlight_text",
]

#: Bumped whenever the schema or analysis changes: an older index is rebuilt.
INDEX_VERSION = 4

_STATE_FILE = "paperreader-index.json"
#: The reason given when the index's papers do not add up to the library's.
_MISMATCH = "the search index did not match the library"
#: Catching up with this many papers or more takes long enough to say so.
_TELL_CATCH_UP = 200
#: "Did you mean" is tried for queries of at most this many words.
_SUGGEST_WORDS = 6
#: Builds of this many papers or more use several writer processes (if allowed).
_PARALLEL_FROM = 5_000
#: Memory for each index writer's posting pool, in MB.  Past it Whoosh spills
#: sorted runs to disk and merges them in Python, at about half the speed;
#: 256 filled after ~6,000 papers.
_BUILD_MB = 1024
#: Endings tried to turn a suggested stem back into a word ("backbon" -> "backbone").
_ENDINGS = ("", "e", "s", "es", "ion", "ing", "ed", "y", "ies", "al", "er", "ment", "ity", "ation")
#: "Similar papers" keeps the matches scoring at least this share of the best one:
#: on real digests that is a handful to a score of papers, not half the library.
SIMILAR_RATIO = 0.5

# One analyzer for both fields, so stemming agrees between them ("models" finds
# "model"); stop words are kept at query time by the parser's own handling.
_ANALYZER = StemmingAnalyzer()

SCHEMA = Schema(
    id=ID(stored=True, unique=True, sortable=True),
    # No spelling=True: it indexed every word twice (unstemmed as well), for
    # "did you mean" alone, and made a build ~1.5x slower; suggestions come
    # from the stemmed terms instead (see SearchIndex._suggest).
    title=TEXT(analyzer=_ANALYZER, phrase=True),
    abstract=TEXT(analyzer=_ANALYZER, phrase=True),
    digest=KEYWORD(lowercase=False, scorable=False),  # ISO dates, e.g. digest:2025-03-11
    published=DATETIME(sortable=True),
    upvotes=NUMERIC(int, bits=32, sortable=True),
    # What else the page gives: the organisation (org:deepmind, its words, not
    # stemmed), the team size (authors:>20) and the upvotes gained since the
    # paper was first seen (the momentum sort).
    org=TEXT(analyzer=RegexTokenizer() | LowercaseFilter(), phrase=True),
    authors=NUMERIC(int, bits=32),
    rise=NUMERIC(int, bits=32, signed=True, sortable=True),
    last_digest=ID(sortable=True),
    title_key=ID(sortable=True),
    # The user's own words: tags (tag:rl) and the note, found by the filter too.
    # TEXT, not KEYWORD: a phrase query over the default fields needs positions in each.
    # Stop words dropped as in the other fields: plain words are ANDed over all the
    # default fields, so a tag-only "of" made "mixture of experts" match nothing.
    tag=TEXT(analyzer=SpaceSeparatedTokenizer() | LowercaseFilter() | StopFilter(minsize=1), phrase=True),
    note=TEXT(analyzer=_ANALYZER, phrase=True),
)

#: The words of the genre: every abstract of the field uses them, so they are
#: never a day's topic (as stems, the way the index holds them).
_GENRE_STEMS = frozenset(
    token.text
    for token in _ANALYZER(
        """
    model method approach propose result show perform performance task data dataset use using base based via
    our us new work paper study pre large learn learning train training improve achieve existing evaluate
    experiment demonstrate framework state art significant significantly outperform introduce novel also
    however can may well such while both across first present effective effectively ability
    these their which into where only during find provide recent available code https github com
    specific general extensive design challenge challenges other more most than through each how what
    different over under without within between many several various
    """
    )
)

#: Fields a plain word is looked up in, with their weights (titles count most;
#: a tag the user gave is a strong signal too).
_DEFAULT_FIELDS = {"title": 3.0, "abstract": 1.0, "note": 1.0, "tag": 2.0}

#: Sort name -> (field, reverse); "relevance" is Whoosh's BM25F score.
SORTS: dict[str, tuple[str, bool] | None] = {
    "relevance": None,
    "digest": ("last_digest", True),
    "published": ("published", True),
    "upvotes": ("upvotes", True),
    "title": ("title_key", False),
    "momentum": ("rise", True),
}

#: The ``rise`` of a paper no page gave upvotes: below any real one, so the momentum sort puts it last.
_NO_RISE = -(2**30)


def index_terms(text: str) -> list[tuple[str, str]]:
    """The terms the index makes of ``text``: (stem, the word as written, lowercased) for each token.

    The same analysis the title and abstract fields get, so terms learnt
    from a text (the "for you" profile) are the terms the index can score.
    """
    return [(token.text, text[token.startchar : token.endchar].lower()) for token in _ANALYZER(text, chars=True)]


#: Stems of the genre's own words ("model", "propose"): never a paper's topic.
GENRE_STEMS = _GENRE_STEMS


def _writer(ix: index.Index, **kwargs: Any) -> Any:
    """``ix.writer()``, without leaving the index locked when opening the writer fails.

    Whoosh locks the index first, then creates the new segment's files; when
    that fails (a full disk) the half-made writer holds the lock until the
    garbage collector happens to free it, and the next write in this process
    (a reader catching up once space is freed) waits for it in vain and fails
    with ``LockError``.  Its frames are cleared and collected at once instead,
    which releases the lock.
    """
    try:
        return ix.writer(**kwargs)
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)
        gc.collect()
        raise


class IndexUnavailable(Exception):
    """The index cannot be used as it is and the file system refuses a rebuild (full, read-only)."""


def _die_with_parent(parent: int) -> None:
    """In a forked index worker: end with the parent, even a parent killed with kill -9.

    A worker holds both ends of its job queue's pipe, so it never sees the
    queue close, and it blocks or ignores Ctrl+C (the parent stops the build):
    without this, a killed import left its workers waiting for ever. Linux's
    PR_SET_PDEATHSIG does it; elsewhere the worker keeps the old behaviour.
    (The kernel watches the thread that forked: parallel builds run in the
    CLI's main thread only.)
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return
    if os.getppid() != parent:  # the parent (its pid taken before the fork) died before the request took effect
        os._exit(1)


#: The forking process's pid while _QuietMpWriter forks a worker (the fork hook acts then only).
_forking_parent: int | None = None


def _after_fork_in_child() -> None:
    if _forking_parent is not None:
        _die_with_parent(_forking_parent)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class _QuietSubWriterTask(SubWriterTask):
    """Whoosh's index worker, quiet when the build it worked for was cancelled.

    After Ctrl+C the parent ends its workers and removes the half-built index;
    a worker still between two jobs then finds its files gone. That is the
    cancellation, not an error worth a traceback over the one-line message.
    """

    def run(self) -> None:
        try:
            super().run()
        except Exception:
            folder = getattr(self.storage, "folder", "")
            if not (os.path.isdir(folder) and os.path.isdir(os.path.join(folder, f"{self.indexname}.tmp"))):
                os._exit(1)  # the build was cancelled and its files removed: nothing to tell
            raise


class _QuietMpWriter(MpWriter):
    """Whoosh's multi-process writer, with workers that leave Ctrl+C to the parent.

    A terminal sends Ctrl+C's SIGINT to every process of the foreground group,
    so each worker died of its own ``KeyboardInterrupt`` and printed a
    traceback over the parent's message.  The workers are forked with SIGINT
    blocked (blocked, not ignored, so that a Ctrl+C arriving during the fork
    still reaches the parent when it unblocks it); the parent alone stops
    the build, and :meth:`cancel` ends the workers, which Whoosh's own cancel
    only flags in the parent's copy of them (they would wait on their queue
    for ever, and the parent for them at exit).
    """

    def _new_task(self) -> Any:
        if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
            return super()._new_task()
        global _forking_parent
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        _forking_parent = os.getpid()
        try:
            # Whoosh's own _new_task, with the quiet worker class.
            task = _QuietSubWriterTask(
                self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
            )
            self.tasks.append(task)
            task.start()
            return task
        finally:
            _forking_parent = None
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def cancel(self) -> None:
        for task in self.tasks:
            with contextlib.suppress(Exception):
                task.terminate()
        for task in self.tasks:
            with contextlib.suppress(Exception):
                task.join(5)
        for queue in (self.jobqueue, self.resultqueue):
            queue.cancel_join_thread()  # nobody reads them any more: exit without flushing
        super().cancel()


@dataclass(slots=True)
class SearchOutcome:
    """The answer to one query: ranked hits (top ``limit``) and how many matched."""

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    #: How many papers match: exact when ``exact``, else at least this many.
    total: int = 0
    exact: bool = True
    #: The query's terms per field, for highlighting: {"title": {...}, "abstract": {...}}.
    terms: dict[str, frozenset[str]] = field(default_factory=dict)
    error: str | None = None
    suggestion: str | None = None


def _document(paper: Paper) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "digest": " ".join(d.isoformat() for d in paper.digests),
        "last_digest": paper.last_digest.isoformat() if paper.digests else "",
        "title_key": normalize_title(paper.title)[:200],
        "tag": " ".join(paper.tags),
        "note": paper.note,
    }
    if paper.published is not None:
        doc["published"] = dt.datetime.combine(paper.published, dt.time())
    if paper.upvotes is not None:
        doc["upvotes"] = paper.upvotes
    if paper.organization:
        doc["org"] = paper.organization
    if paper.authors is not None:
        doc["authors"] = paper.authors
    doc["rise"] = paper.rise if paper.rise is not None else _NO_RISE
    return doc


def _and_maybe_skip_to(self: AndMaybeMatcher, id: int) -> bool:
    """``AndMaybeMatcher.skip_to`` that keeps the optional side on the required one.

    Whoosh turns a field union (``title:w OR abstract:w``) into "title, and
    maybe the abstract" once the top-N threshold is out of the abstract's
    reach.  Its ``skip_to`` moves the optional side to the *requested* id,
    not to where the required side landed; inside an ``And`` the two then sit
    on different papers and the abstract's share of the score is dropped, so
    a small ``limit`` returns the wrong top N (a paper scored 25.5 instead of
    27.6).  whoosh3 3.54 and whoosh-reloaded have the same code, so it is
    corrected here, where Whoosh is imported, rather than in a vendored copy.
    """
    if not self.a.is_active():
        raise ReadTooFar
    moved_a = self.a.skip_to(id)
    moved_b = False
    if self.a.is_active() and self.b.is_active():
        moved_b = self.b.skip_to(self.a.id())
    return bool(moved_a or moved_b)


AndMaybeMatcher.skip_to = _and_maybe_skip_to  # type: ignore[method-assign]


class _ViewReader:
    """A read-only file over a memoryview that never copies it whole.

    Whoosh maps each segment file into memory, then wraps each part of it in
    ``BytesIO(memoryview)``, which copies the part: every reader open copied
    the whole postings file (~0.1 s and ~100 MB at 50,000 papers).  This
    reads the mapped pages in place; only what is read is copied.
    """

    def __init__(self, view: memoryview) -> None:
        self._view = view
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._view) if size is None or size < 0 else min(len(self._view), start + size)
        self._pos = end
        return bytes(self._view[start:end])

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        view, start = self._view, self._pos
        end = len(view) if size is None or size < 0 else min(len(view), start + size)
        found = bytes(view[start:end]).find(b"\n")
        return self.read(end - start if found < 0 else found + 1)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._view = memoryview(b"")


class _MappedBufferFile(structfile.BufferFile):
    """Whoosh's ``BufferFile`` reading a mapped segment in place (see :class:`_ViewReader`)."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        if isinstance(buf, memoryview):
            self.file = _ViewReader(buf)
        else:
            self.file = io.BytesIO(buf)  # bytes are shared by BytesIO, not copied


compound_files.BufferFile = _MappedBufferFile  # type: ignore[misc]


class _SpanFormatter(highlight.Formatter):
    """A Whoosh formatter that returns :class:`Snippet` objects, not markup."""

    def format_fragment(self, fragment: highlight.Fragment, replace: bool = False) -> Snippet:  # type: ignore[override]
        start, end = fragment.startchar, fragment.endchar
        spans: list[tuple[int, int]] = []
        for token in sorted(fragment.matches, key=lambda t: (t.startchar, -t.endchar)):
            if token.startchar is None or (spans and token.startchar < spans[-1][1]):
                continue
            spans.append((token.startchar - start, token.endchar - start))
        return Snippet(fragment.text[start:end], tuple(spans))

    def format(self, fragments: Iterable[highlight.Fragment], replace: bool = False) -> list[Snippet]:  # type: ignore[override]
        return [self.format_fragment(f) for f in fragments]


def highlight_text(text: str, terms: Collection[str], *, whole: bool = False, top: int = 3) -> list[Snippet]:
    """Find the query terms in ``text`` (a title or an abstract).

    With ``whole`` the result is one snippet covering the full text (for the
    abstract viewer); otherwise up to ``top`` short fragments around matches,
    best first by position, as search results show.
    """
    if not terms or not text:
        return [Snippet(text)] if whole else []
    fragmenter = highlight.WholeFragmenter(charlimit=None) if whole else highlight.ContextFragmenter(maxchars=160, surround=50)
    snippets = highlight.highlight(text, terms, _ANALYZER, fragmenter, _SpanFormatter(), top=1 if whole else top)
    if whole and not snippets:
        return [Snippet(text)]
    return snippets


class _LexiconFuzzyTerm(FuzzyTerm):
    """A fuzzy term matched against the field's own (stemmed) terms.

    Whoosh looks fuzzy terms up in a field's *spelling* words when the field
    has ``spelling=True``; those are unstemmed, so the words it finds do not
    exist in the stemmed field and nothing matches.  This searches the field's
    lexicon itself, with Whoosh's automaton where the segment offers one.
    """

    def _btexts(self, ixreader: Any) -> Iterable[str]:
        # A query expands its fuzzy term for each field and again to highlight:
        # the automaton is built once per word and the words found are kept
        # with the reader (they cannot change while it is open).
        key = (self.fieldname, self.text, self.maxdist, self.prefixlength)
        found_before = getattr(ixreader, "_paperreader_fuzzy", None)
        if found_before is None:
            found_before = {}
            with contextlib.suppress(AttributeError):
                ixreader._paperreader_fuzzy = found_before
        if key in found_before:
            return found_before[key]
        dfa = _levenshtein_dfa(self.text, self.maxdist, self.prefixlength)
        words: set[str] = set()
        for leaf, _base in ixreader.leaf_readers():
            try:
                automata = leaf._codec.automata(leaf._storage, leaf._segment)
                found = automata.find_matches(dfa, leaf.cursor(self.fieldname))
            except AttributeError:  # not a plain segment reader: the generic scan
                found = IndexReader.terms_within(leaf, self.fieldname, self.text, self.maxdist, self.prefixlength)
            words.update(found)
        found_before[key] = result = sorted(words)
        return result


@functools.lru_cache(maxsize=64)
def _levenshtein_dfa(text: str, maxdist: int, prefix: int) -> Any:
    """Whoosh's Levenshtein automaton for a fuzzy word (~2 ms to build; a query needs it once per field)."""
    return levenshtein_automaton(text, maxdist, prefix).to_dfa()


class _FuzzyTermPlugin(qparser.FuzzyTermPlugin):
    """``term~`` allows two edits by default, not Whoosh's one.

    Terms are stemmed before the fuzzy match, and stemming often costs an edit
    of its own: ``langauge~`` must reach the indexed ``languag``.  An explicit
    ``term~1`` still means one.  The first letter must match, which keeps the
    automaton small on a large index.
    """

    class FuzzyTermNode(qparser.FuzzyTermPlugin.FuzzyTermNode):
        qclass = _LexiconFuzzyTerm

    def create(self, parser: Any, match: Any) -> Any:
        node = super().create(parser, match)
        if match.group("maxdist") is None:
            node.maxdist = 2
        if match.group("prefix") is None:
            node.prefixlength = 1
        return node


class QueryError(ValueError):
    """A query that cannot mean what its author wants; the message says why, for the user.

    Its message is "what is wrong; what the field takes (examples)": the CLI
    prints all of it on one line, the reader's one-line status only the part
    before "; " (:func:`brief_error`), which fits at 80 columns, while its
    ``?`` help lists the forms.
    """


def brief_error(message: str, width: int = 56) -> str:
    """The essential of a query error ("upvotes:>abc: not a whole number"), at most ``width`` cells.

    The examples after "; " are left out (the ``?`` help has them); a long
    value the user typed is shortened in the middle, so the reason stays seen.
    """
    brief = message.split("; ", 1)[0]
    if len(brief) <= width:
        return brief
    value, colon, reason = brief.rpartition(": ")
    if colon and len(reason) < width - 8:
        keep = width - len(reason) - 3
        return f"{value[: keep - keep // 2]}…{value[-(keep // 2):]}: {reason}"
    return brief[: width - 1] + "…"


#: The fields a query may name (``title:diffusion``), in the order they are listed
#: to someone who named another one.
QUERY_FIELDS = ("title", "abstract", "tag", "note", "org", "authors", "upvotes", "published", "digest", "id")


#: The query's fields as the ``?`` help lists them: (example, what it finds, "").
QUERY_HELP: tuple[tuple[str, str, str], ...] = (
    ("title:word abstract:word", "a word in the title, or in the abstract (plain words look in both, tags and notes)", ""),
    ("tag:rl note:baseline", "your tags and notes", ""),
    ("org:deepmind", "the organisation the page names (org:\"google deepmind\")", ""),
    ("authors:>20", "team size: authors:<3, authors:[5 TO 10]", ""),
    ("upvotes:>50", "upvotes: upvotes:[10 TO 100]", ""),
    ("published:2024", "published that year; published:>2024-05, published:[2023 TO 2024]", ""),
    ("digest:>2026-11-01", "in a digest of that day or after; digest:2026-11-12, digest:[2026-11-01 TO 2026-11-30]", ""),
    ("id:22cf", "a paper by its id, or the first 4+ characters of it (as the CLI takes)", ""),
    ('"a phrase" a* a~ -a OR', "a phrase, a prefix, a near spelling, not, either", ""),
)

#: ``field:value`` of the fields whose values have a form: a plain value, a
#: comparison (``>50``, ``<=2026-11-01``) or a range (``[10 TO 100]``, ``{a TO b]``).
_VALUED = re.compile(
    r"(?<![\w:])(?P<field>upvotes|authors|digest|published):"
    r"(?P<value>[\[{][^\]}]*[\]}]|[<>]=?[^\s()]*|[^\s()]*)",
    re.IGNORECASE,
)
_RANGE = re.compile(r"^[\[{]\s*(?P<low>.*?)\s*\bto\b\s*(?P<high>.*?)\s*[\]}]$|^[\[{]\s*(?P<open>.*?)\s*[\]}]$", re.I)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: What is wrong with a value of each such field that is not of its form.
_NOT = {
    "upvotes": "not a whole number",
    "authors": "not a whole number",
    "digest": "not a date",
    "published": "not a date or a year",
}
#: What each such field takes, for the message when a value is not that.
_FORMS = {
    "upvotes": "a whole number: upvotes:>50, upvotes:[10 TO 100]",
    "authors": "a whole number (the team size): authors:>20, authors:[1 TO 3]",
    "digest": "a date YYYY-MM-DD: digest:2026-11-12, digest:>2026-11-01, digest:[2026-11-01 TO 2026-11-30]",
    "published": "a date or a year: published:2024, published:>2024-05, published:[2023 TO 2024]",
}


def _valid_bound(field: str, bound: str) -> bool:
    """One value or range end of a valued field (an empty range end is open)."""
    if not bound:
        return True
    if field in ("upvotes", "authors"):
        return bound.isdigit()
    if field == "digest":
        if not _ISO_DAY.match(bound):
            return False
        try:
            dt.date.fromisoformat(bound)
        except ValueError:
            return False
        return True
    return True  # published: Whoosh's date parser judges (see _check_parsed)


def check_values(text: str) -> None:
    """Raise :class:`QueryError` for a malformed value of a numeric or date field.

    Whoosh turns ``upvotes:>abc`` into a query matching nothing, silently, and
    ``digest:>notadate`` into a comparison of strings: either way the user
    sees an empty or a wrong list and no reason.  Quoted phrases are skipped.
    """
    unquoted = re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), text)
    for match in _VALUED.finditer(unquoted):
        field, value = match["field"].lower(), match["value"]
        if not value:
            continue  # "Upvotes: a study" (a colon then a space) is text, as Whoosh reads it
        ranged = _RANGE.match(value)
        if ranged:
            bounds = [ranged["low"], ranged["high"]] if ranged["open"] is None else [ranged["open"]]
        elif value[0] in "[{":
            raise QueryError(f"{field}:{value}: a range is written [LOW TO HIGH]; {field} takes {_FORMS[field]}")
        else:
            bounds = [value.lstrip("<>=")]
            if value[0] in "<>" and not bounds[0]:
                raise QueryError(f"{field}:{value}: nothing to compare with; {field} takes {_FORMS[field]}")
        for bound in bounds:
            if not _valid_bound(field, bound.strip()):
                raise QueryError(f"{field}:{value}: {_NOT[field]}; {field} takes {_FORMS[field]}")


#: ``id:22cf``: 4 to 9 characters of a paper's 10-character id (a prefix, as the CLI takes).
_ID_PREFIX = re.compile(r"(?<![\w:])id:(?P<prefix>[0-9a-f]{4,9})(?![\w*?~:])", re.IGNORECASE)


def id_prefixes(text: str) -> str:
    """``text`` with each short ``id:22cf`` made the prefix query ``id:22cf*`` (quoted phrases left alone).

    The CLI takes a unique prefix of 4+ characters for an id; in a query the
    same prefix found nothing, as an ``id`` is matched whole.
    """
    unquoted = re.sub(r'"[^"]*"', lambda m: " " * len(m.group()), text)
    spots = [match.span("prefix") for match in _ID_PREFIX.finditer(unquoted)]
    for start, end in reversed(spots):
        text = text[:start] + text[start:end].lower() + "*" + text[end:]
    return text


def _check_parsed(query: Query, text: str) -> None:
    """A value Whoosh could not read (it leaves a query with an ``error``) is the user's to know of.

    (The dates of ``published:``, which Whoosh's date parser judges.)
    """
    stack = [query]
    while stack:
        node = stack.pop()
        error = getattr(node, "error", None)
        if error:
            form = f"; published takes {_FORMS['published']}" if "published:" in text.lower() else ""
            raise QueryError(f"{error}: not a value the query can read{form}")
        stack.extend(node.children())


class _StrictFieldsPlugin(qparser.FieldsPlugin):
    """``foo:bar`` with no field ``foo`` is an error naming the fields.

    Whoosh reads an unknown field as the plain text ``foo:bar``, which quietly
    matches nothing.  A colon followed by a space ("TrAct: Making…", a pasted
    title) or by ``//`` (a URL) is text, as before; so are the index's own
    internal fields, which are no business of a query.
    """

    def do_fieldnames(self, parser: Any, group: Any) -> Any:
        for number, node in enumerate(group):
            if not isinstance(node, qsyntax.FieldnameNode) or node.fieldname in QUERY_FIELDS:
                continue
            following = group[number + 1] if number + 1 < len(group) else None
            if following is None or following.is_ws():
                continue
            if following.has_text and str(following.text).startswith("/"):
                continue
            raise QueryError(f"unknown field {node.fieldname}; fields are: {', '.join(QUERY_FIELDS)}")
        return super().do_fieldnames(parser, group)


class SearchIndex:
    """The Whoosh index in ``path`` (a folder), kept in step with a store.

    Thread-safe for one process: searches share one cached searcher, refreshed
    only when the index changed; writes are serialised by a lock.
    """

    def __init__(self, path: Path, *, procs: int = 1) -> None:
        self.path = path
        #: Writer processes for big builds.  Whoosh forks them, which is only
        #: safe from a single-threaded process: the CLI, not the TUI.
        self.procs = procs
        self._ix: index.Index | None = None
        self._searcher: Searcher | None = None
        self._doc_ids: list[str] | None = None  # docnum -> paper id, per searcher
        self._docnums: dict[str, int] | None = None
        self._lock = threading.RLock()
        #: Why the index is behind the library, when the file system refused
        #: its catch-up (a full disk, a read-only mount); None when it is not.
        #: Searches answer from what it holds meanwhile.
        self.lag: str | None = None
        # Titles weigh three times as much as abstracts (applied at query time:
        # the schema's field_boost does not reach BM25F scores in this Whoosh).
        self._parser = qparser.MultifieldParser(
            list(_DEFAULT_FIELDS), SCHEMA, fieldboosts=_DEFAULT_FIELDS, group=qparser.AndGroup
        )
        self._parser.remove_plugin_class(qparser.FieldsPlugin)
        self._parser.add_plugin(_StrictFieldsPlugin())
        self._parser.add_plugin(_FuzzyTermPlugin())
        self._parser.add_plugin(qparser.GtLtPlugin())
        self._parser.add_plugin(DateParserPlugin(free=False))

    # -- keeping in step with the store -----------------------------------------

    def _read_state(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / _STATE_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}

    def _write_state(self, directory: Path, store_uuid: str, rev: int) -> None:
        state = {"version": INDEX_VERSION, "store_uuid": store_uuid, "rev": rev}
        tmp = directory / (_STATE_FILE + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, directory / _STATE_FILE)

    @contextlib.contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Serialise index writers across threads and processes.

        On a folder that cannot be written (a read-only mount) the lock file is
        opened for reading (``flock`` needs no write access); if it cannot even
        be created, nobody can write the index there, so there is nothing to
        serialise: the caller goes on and finds any write refused.
        """
        with self._lock:
            lock = self.path.parent / "index.lock"
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handle = open(lock, "a+b")
            except OSError as error:
                if write_refusal(error, lock) is None:
                    raise
                try:
                    handle = open(lock, "rb")
                except OSError:
                    yield
                    return
            if fcntl is None:
                handle.close()
                yield
                return
            with handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def ensure(self, store: Any, progress: Callable[[int, int], None] | None = None) -> str | None:
        """Make the index match ``store``; return a notice if it had to be rebuilt.

        Catching up with a few changed papers is silent, with many it says so;
        a rebuild (missing, damaged, another library's or an older version's
        index) says why.
        """
        self._store = store  # its texts turn a suggested stem back into a word
        with self._process_lock():
            reason = self._problem(store)
            if reason is None:
                state = self._read_state()
                rev = store.rev
                changed = store.changed_since(int(state["rev"]))
                removed = store.removed_since(int(state["rev"]))  # papers taken out by forget
                behind = (
                    f"the search index was {len(changed):,} papers behind the library (an interrupted "
                    "import?); brought it up to date"
                    if len(changed) >= _TELL_CATCH_UP
                    else None
                )
                try:
                    if self._worth_rebuilding(len(changed), store):
                        self._rebuild(store, progress)  # faster than updating most of it
                        self.lag = None
                        return behind
                    if changed or removed:
                        self._write(changed, store.uuid, rev, progress, removed=removed)
                except OSError as error:
                    notice = self._left_behind(error, len(changed))
                    if notice is None:
                        raise
                    return notice
                self.lag = None
                if self._doc_count() == store.count():
                    return behind
                reason = _MISMATCH
            try:
                count = self._rebuild(store, progress)
            except OSError as error:
                notice = self._cannot_rebuild(error, reason, store)
                if notice is None:
                    raise
                return notice
            self.lag = None
            return f"{reason}; rebuilt it from the library ({count:,} papers)"

    def _left_behind(self, error: OSError, behind: int) -> str | None:
        """The notice for a catch-up the file system refused (None: it was not a refusal).

        The live index is untouched by a failed write (a rebuild happens in a
        folder beside it; a cancelled update commits nothing), so searches
        answer from what it holds; the next write catches up.
        """
        refusal = write_refusal(error, self.path) or fs_refusal(self.path)
        if refusal is None:
            return None
        self.lag = (
            f"the search index could not be updated ({describe_refusal(refusal, self.path)}): it is {behind:,} "
            f"paper{'' if behind == 1 else 's'} behind the library; searches answer from what it holds, and it "
            f"catches up by itself once {self.path} can be written"
        )
        return self.lag

    def _cannot_rebuild(self, error: OSError, reason: str, store: Any) -> str | None:
        """A rebuild the file system refused: a notice if the old index still serves, else IndexUnavailable."""
        if reason == _MISMATCH:  # a sound index holding a few papers too many or too few
            with contextlib.suppress(Exception):
                return self._left_behind(error, abs(store.count() - self._doc_count()))
        refusal = write_refusal(error, self.path) or fs_refusal(self.path)
        if refusal is None:
            return None
        raise IndexUnavailable(
            f"{self.path}: {reason} and cannot be rebuilt ({describe_refusal(refusal, self.path)}); "
            "searching works again once it can be written"
        ) from error

    def _problem(self, store: Any) -> str | None:
        """Why the index cannot simply be caught up, or None if it can."""
        if not self.path.exists() or not (self.path / _STATE_FILE).exists():
            return "the search index was missing"
        state = self._read_state()
        if state.get("version") != INDEX_VERSION or "rev" not in state:
            return "the search index was from another version"
        if state.get("store_uuid") != store.uuid:
            return "the search index belonged to another library"
        if int(state["rev"]) > store.rev:
            return "the search index was newer than the library"
        try:
            # Opening the searcher reads every segment (so damage shows here),
            # and a search right after reuses it instead of opening them again.
            self._current_searcher()
            self._doc_count()
        except Exception:  # noqa: BLE001 - any failure to read it means it is damaged
            self._close_index()
            return "the search index was damaged"
        return None

    def _open(self) -> index.Index:
        if self._ix is None:
            self._ix = index.open_dir(str(self.path))
        return self._ix

    def _doc_count(self) -> int:
        """Papers in the index, from its table of contents.

        Whoosh's ``Index.doc_count()`` opens a reader on every segment to count
        (~0.2 s at 100,000 papers); the table of contents has each segment's
        count and deletions already.
        """
        return sum(segment.doc_count() for segment in self._open()._segments())

    def _close_index(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        self._ix = None
        self._doc_ids = self._docnums = None

    def _rebuild(self, store: Any, progress: Callable[[int, int], None] | None) -> int:
        """Build a fresh index next to the live one, then swap it in.

        A build that fails (a full disk, Ctrl+C) removes its half-built folder
        at once: it would hold the space a full disk needs back, and the live
        index is still there to search.
        """
        self._close_index()
        staging = self.path.with_name(self.path.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        rev, store_uuid, total = store.rev, store.uuid, store.count()
        writer = None
        count = 0
        try:
            ix = index.create_in(str(staging), SCHEMA)
            if self.procs > 1 and total >= _PARALLEL_FROM:
                # Each process writes its own segment; no merge at the end (a
                # search reads several segments at no great cost).
                writer = _QuietMpWriter(ix, procs=self.procs, multisegment=True, limitmb=_BUILD_MB)
            else:
                writer = _writer(ix, limitmb=_BUILD_MB)
            for paper in store.iter_papers():
                writer.add_document(**_document(paper))
                count += 1
                if progress is not None and count % 500 == 0:
                    progress(count, total)
            writer.commit()
            writer = None
            if progress is not None:
                progress(count, total)
            _write_sidecars(staging, self.procs)
            self._write_state(staging, store_uuid, rev)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):  # the first failure is the one to tell
                    writer.cancel()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(staging, self.path)
        shutil.rmtree(old, ignore_errors=True)
        return count

    def check(self, store: Any) -> str | None:
        """Why the index does not match the store (None: it does), without fixing it."""
        with self._process_lock():
            reason = self._problem(store)
            if reason is not None:
                return reason
            seen = int(self._read_state()["rev"])
            behind = len(store.changed_since(seen)) + len(store.removed_since(seen))
            if behind:
                return f"the search index was {behind:,} paper{'s' if behind != 1 else ''} behind the library"
            if self._doc_count() != store.count():
                return _MISMATCH
            return None

    def behind(self, store: Any) -> int:
        """How many papers changed in the store since the index last saw it.

        A lag is normal use, not damage: CLI commands that change tags or notes
        do not open the index, which catches up (:meth:`update`) the next time.
        0 for an index with a real problem (missing, damaged, another
        library's): that is for :meth:`check` to tell.
        """
        with self._process_lock():
            if self._problem(store) is not None:
                return 0
            seen = int(self._read_state()["rev"])
            return len(store.changed_since(seen)) + len(store.removed_since(seen))

    def rebuild(self, store: Any, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the whole index from the store; returns the number of papers.

        A rebuild the file system refuses raises :class:`IndexUnavailable`
        (the live index, if any, is left as it was).
        """
        with self._process_lock():
            try:
                count = self._rebuild(store, progress)
            except OSError as error:
                refusal = write_refusal(error, self.path) or fs_refusal(self.path)
                if refusal is None:
                    raise
                problem = self._problem(store)
                raise IndexUnavailable(
                    f"{self.path}: cannot rebuild the search index ({describe_refusal(refusal, self.path)}); "
                    + (
                        "the index as it was still answers searches"
                        if problem in (None, _MISMATCH)
                        else f"{problem}: searching works again once it can be written"
                    )
                ) from error
            self.lag = None
            return count

    def update(self, store: Any, progress: Callable[[int, int], None] | None = None) -> str | None:
        """Index what changed in the store since the index last saw it.

        Returns None, or the notice (also kept in :attr:`lag`) that the file
        system refused the writes and the index stays behind until it can be
        written.
        """
        with self._process_lock():
            problem = self._problem(store)
            changed = [] if problem is not None else store.changed_since(int(self._read_state()["rev"]))
            removed = [] if problem is not None else store.removed_since(int(self._read_state()["rev"]))
            rev = store.rev
            try:
                if problem is not None or self._worth_rebuilding(len(changed), store):
                    self._rebuild(store, progress)
                elif changed or removed:
                    self._write(changed, store.uuid, rev, progress, removed=removed)
            except OSError as error:
                notice = (
                    self._left_behind(error, len(changed)) if problem is None else self._cannot_rebuild(error, problem, store)
                )
                if notice is None:
                    raise
                return notice
            self.lag = None
            return None

    def _worth_rebuilding(self, changed: int, store: Any) -> bool:
        """A fresh build beats updating when most of the library is new (a first import)."""
        return changed >= _PARALLEL_FROM and changed * 2 >= store.count()

    def _write(
        self,
        papers: list[Paper],
        store_uuid: str,
        rev: int,
        progress: Callable[[int, int], None] | None = None,
        *,
        removed: Sequence[str] = (),
    ) -> None:
        """Write changed papers (and delete those ``forget`` took out) in one commit."""
        ix = self._open()
        writer = _writer(ix, limitmb=256, timeout=30.0)
        try:
            for paper_id in removed:
                writer.delete_by_term("id", paper_id)
            for count, paper in enumerate(papers, 1):
                writer.update_document(**_document(paper))
                if progress is not None and count % 500 == 0:
                    progress(count, len(papers))
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):  # a full disk fails the cancel too; the first error is the one
                writer.cancel()
            raise
        _write_sidecars(self.path)
        self._write_state(self.path, store_uuid, rev)

    # -- searching ---------------------------------------------------------------

    def _current_searcher(self) -> Searcher:
        """The cached searcher, replaced when the index changed on disk.

        Not ``Searcher.refresh()``, nor a new searcher from the same Index
        object: in whoosh3 both keep the segment readers they had, with the
        deletions those knew, so a paper updated since (new tags, a newer
        digest) would match twice, old words included.  Opening the index
        afresh reads the segments' current deletions; it costs a few ms, only
        after a write.
        """
        if self._searcher is not None and self._searcher.up_to_date():
            return self._searcher
        if self._searcher is not None:
            self._searcher.close()
        self._ix = index.open_dir(str(self.path))
        self._searcher = self._ix.searcher()
        self._doc_ids = self._docnums = None
        return self._searcher

    def _id_maps(self, searcher: Searcher) -> tuple[list[str], dict[str, int]]:
        """docnum -> id and id -> docnum, read once per searcher from the id column.

        Only a view (an allowed set) needs them.  Each segment's raw column is
        read whole and decoded at once: going through Whoosh's translating
        column one document at a time took ~0.45 s at 100,000 papers.
        """
        if self._doc_ids is None or self._docnums is None:
            doc_ids: list[str] = []
            docnums: dict[str, int] = {}
            for leaf, base in searcher.reader().leaf_readers():
                raw = list(leaf.column_reader("id", translate=False))
                deleted = leaf.deleted_docs_set if leaf.has_deletions() else frozenset()
                for number, value in enumerate(raw):
                    pid = value.decode("ascii")
                    doc_ids.append(pid)
                    if number not in deleted:
                        docnums[pid] = base + number
            self._doc_ids, self._docnums = doc_ids, docnums
        return self._doc_ids, self._docnums

    def _view(self, searcher: Searcher, allowed: Collection[str]) -> tuple[set[int], Any]:
        """A view's docnums, as a set (for Whoosh) and a mask (for the arrays).

        Kept for the last view asked: the library hands the same set again
        until the view changes, and a search in a view of 50,000 papers spent
        most of its time here.
        """
        cached = getattr(self, "_view_cache", None)
        if cached is not None and cached[0] is allowed and cached[1] is searcher:
            return cached[2], cached[3]
        mask = self._engine_for(searcher).mask_of(allowed)  # sorted ids, no dict of every id
        numbers = set(np.flatnonzero(mask).tolist())
        self._view_cache = (allowed, searcher, numbers, mask)
        return numbers, mask

    def _id_of(self, searcher: Searcher) -> Callable[[int], str]:
        """docnum -> paper id for the few hits shown, without reading every id."""
        if self._doc_ids is not None:
            return self._doc_ids.__getitem__
        column = searcher.reader().column_reader("id")
        return lambda docnum: column[docnum]

    def parse(self, text: str) -> Query:
        """The query ``text`` means; :class:`QueryError` for a malformed field value (never an empty list)."""
        check_values(text)
        query = self._parser.parse(id_prefixes(text), normalize=False)
        _check_parsed(query, text)
        return query.normalize()

    def _engine_for(self, searcher: Searcher) -> ArrayEngine:
        """The array engine of this searcher (its decoded postings live as long as the searcher)."""
        engine = getattr(self, "_engine", None)
        if engine is None or engine.searcher is not searcher:
            engine = self._engine = ArrayEngine(searcher, self.path)
        return engine

    def search(
        self,
        text: str,
        *,
        allowed: Collection[str] | None = None,
        limit: int | None = 1000,
        sort: str = "relevance",
        count: bool = False,
        cancel: threading.Event | None = None,
        quick: bool = False,
    ) -> SearchOutcome:
        """Run a query in Whoosh's language over titles and abstracts.

        ``allowed`` restricts the hits to these paper ids (a view such as
        "unread", computed by the store).  A query Whoosh cannot run gives an
        outcome with ``error`` set, never an exception.

        Ranked by relevance, the query runs on the array engine
        (:mod:`paperreader.fastsearch`: Whoosh's BM25F over decoded posting
        lists), which counts every match as it goes; what it does not evaluate
        (ranges, sorting by a field) runs through Whoosh's own search, where
        counting every match costs a second pass, so the total is exact only
        with ``count`` or when fewer than ``limit`` papers match (else an
        estimate, ``exact`` False).

        Setting ``cancel`` (from another thread) abandons the search: it raises
        :class:`SearchCancelled` instead of finishing work nobody will see.

        ``quick`` is for a first screen: the hits are still exactly the top
        ``limit``, but a phrase whose positions are not decoded yet is checked
        only in the papers that may make it, so ``total`` can be an estimate
        (``exact`` False); a search without ``quick`` then gives the count.
        """
        outcome = SearchOutcome(text)
        with self._lock:
            try:
                searcher = self._current_searcher()
                if searcher.doc_count_all() == 0:
                    return outcome  # an empty library: nothing matches (Whoosh would raise)
                query = self.parse(text)
                mask_filter = view_mask = None
                if allowed is not None:
                    mask_filter, view_mask = self._view(searcher, allowed)
                    if not mask_filter:  # Whoosh reads an empty filter as "no filter"
                        outcome.terms = _terms(query, searcher)
                        return outcome
                sort_by = SORTS.get(sort)
                ranked = None
                try:
                    engine = self._engine_for(searcher)
                    ranked = engine.run(query, allowed=view_mask, limit=limit, cancel=cancel, quick=quick, sort=sort_by)
                except Unsupported:
                    ranked = None
                if ranked is not None:
                    id_of = self._id_of(searcher)
                    outcome.hits = [
                        SearchHit(id_of(docnum), score, rank)
                        for rank, (docnum, score) in enumerate(zip(ranked.docnums, ranked.scores))
                    ]
                    outcome.total, outcome.exact = ranked.total, ranked.exact
                    outcome.terms = _terms(query, searcher)
                    if outcome.total == 0:
                        outcome.suggestion = self._suggest(searcher, query, text)
                    return outcome
                kwargs: dict[str, Any] = {"limit": limit, "filter": mask_filter}
                if sort_by is not None:
                    kwargs["sortedby"], kwargs["reverse"] = sort_by
                results = _search_cancellable(searcher, query, cancel, **kwargs)
                if limit is None or results.scored_length() < limit:
                    outcome.total = results.scored_length()  # every match was collected
                elif count:
                    outcome.total = len(results)  # a second pass over every match
                else:
                    about, outcome.exact = _estimate(query, searcher.reader(), mask_filter)
                    outcome.total = max(results.scored_length(), about)
                outcome.hits = _hits(results, self._id_of(searcher), scored=sort_by is None)
                outcome.terms = _terms(query, searcher)
                if outcome.total == 0:
                    outcome.suggestion = self._suggest(searcher, query, text)
            except Cancelled:
                raise SearchCancelled(text) from None
            except Exception as error:  # noqa: BLE001 - a bad query must not crash a reader
                outcome.error = str(error) if isinstance(error, QueryError) else _describe(error)
                outcome.hits, outcome.total = [], 0
        return outcome

    def _suggest(self, searcher: Searcher, query: Query, text: str) -> str | None:
        """A corrected query ("did you mean") that does find something, if any.

        Each word of the user's text whose term is not in the index is
        replaced by the closest term of the abstracts (or the titles).  The
        index holds stems only (no spelling words: they slowed every import
        for this alone), so the stem found is turned back into a word: the
        user's own ending, or a common one, whose stem it is ("backbonez" ->
        stem "backbon" -> "backbone").
        """
        reader = searcher.reader()
        fixes: dict[tuple[int, int], str] = {}
        leaves = [leaf for leaf in query.leaves() if type(leaf) is Term]
        if len({(getattr(l, "startchar", None)) for l in leaves}) > _SUGGEST_WORDS:
            return None  # each word costs a lexicon walk: no suggestions for long queries
        for leaf in query.leaves():
            start, end = getattr(leaf, "startchar", None), getattr(leaf, "endchar", None)
            if type(leaf) is not Term or leaf.field() not in ("title", "abstract") or start is None:
                continue
            if (start, end) in fixes or (leaf.field(), leaf.text) in reader:
                continue
            word = text[start:end].lower()
            if len(word) > 40:
                continue  # no word is that long; a fuzzy walk of it takes seconds
            # Whoosh ranks suggestions by distance, then frequency; keep the
            # closest stem over both fields (the order suggest() gave on ties).
            stems = [
                (stem, name) for name in ("abstract", "title") for stem in searcher.corrector(name).suggest(leaf.text, limit=8)
            ]
            if stems:
                stem, name = min(stems, key=lambda pair: distance(pair[0], leaf.text))
                fix = self._surface(searcher, name, stem) or _word_for_stem(stem, word)
                if fix is not None:
                    fixes[(start, end)] = fix
        if not fixes:
            return None
        corrected = text
        for (start, end), word in sorted(fixes.items(), reverse=True):
            corrected = corrected[:start] + word + corrected[end:]
        try:
            if corrected == text or searcher.search(self.parse(corrected), limit=1).is_empty():
                return None
        except Exception:  # noqa: BLE001 - suggestions are a nicety
            return None
        return corrected

    def _surface(self, searcher: Searcher, fieldname: str, stem: str) -> str | None:
        """The word the papers use for ``stem`` ("diffus" -> "diffusion"), from a few of their texts."""
        store = getattr(self, "_store", None)
        if store is None:
            return None
        matcher = searcher.reader().postings(fieldname, stem)
        id_of, ids = self._id_of(searcher), []
        while matcher.is_active() and len(ids) < 3:
            ids.append(id_of(matcher.id()))
            matcher.next()
        forms: dict[str, int] = {}
        for paper in store.get_many(ids).values():
            text = paper.title if fieldname == "title" else paper.abstract
            for token in _ANALYZER(text, chars=True):
                if token.text == stem:
                    form = text[token.startchar : token.endchar].lower()
                    forms[form] = forms.get(form, 0) + 1
        return max(forms.items(), key=lambda item: (item[1], -len(item[0])))[0] if forms else None

    def more_like(
        self,
        paper: Paper,
        *,
        allowed: Collection[str] | None = None,
        limit: int = 50,
        ratio: float = SIMILAR_RATIO,
    ) -> list[SearchHit]:
        """Papers clearly similar to ``paper`` (Whoosh's key-term expansion of its text), best first.

        Whoosh returns every paper sharing any of the key terms, most of a
        small library; only those scoring at least ``ratio`` times the best
        match are kept, so "similar" means similar.
        """
        with self._lock:
            searcher = self._current_searcher()
            if searcher.doc_count_all() == 0:
                return []
            doc_ids, docnums = self._id_maps(searcher)
            docnum = docnums.get(paper.id)
            if docnum is None:
                return []
            mask_filter = {docnums[p] for p in allowed if p in docnums} if allowed is not None else None
            if mask_filter is not None and not mask_filter:
                return []
            results = searcher.more_like(
                docnum, "abstract", text=f"{paper.title} {paper.abstract}", top=limit, numterms=12, filter=mask_filter
            )
            hits = _hits(results, doc_ids, scored=True)
            return [hit for hit in hits if hit.score >= ratio * hits[0].score] if hits else []

    def key_terms(self, texts: Iterable[str], *, top: int = 8) -> list[str]:
        """The words that set ``texts`` (one digest's papers) apart: its topics.

        Whoosh's key-term expansion (the Bo1 model) weighs each term against
        its frequency in the whole library, so words every abstract uses sink
        and the day's topics rise.  Repeats within one paper count by their
        square root, so one abstract saying a word twenty times does not make
        it the day's topic; words of
        the genre itself ("propose", "results") and of no topic ("these") are dropped.
        Whoosh's terms are stems ("diffus"): each is shown as the word the
        papers use most for it ("diffusion"), which the filter also finds.
        """
        texts = [text for text in texts if text.strip()]
        with self._lock:
            searcher = self._current_searcher()
            if searcher.doc_count_all() == 0 or not texts:
                return []
            expander = classify.Expander(searcher.reader(), "abstract", model=classify.Bo1Model)
            surfaces: dict[str, dict[str, int]] = {}
            for text in texts:
                counts: dict[str, float] = {}
                for token in _ANALYZER(text, chars=True):
                    word = text[token.startchar : token.endchar].lower()
                    forms = surfaces.setdefault(token.text, {})
                    forms[word] = forms.get(word, 0) + 1
                    counts[token.text] = counts.get(token.text, 0.0) + 1.0
                # Within a paper, repeats count less (square root): one abstract
                # saying a word twenty times does not make it the day's topic.
                expander.add(
                    (stem, count**0.5) for stem, count in counts.items() if stem not in _GENRE_STEMS and stem.isalpha()
                )
            ranked = expander.expanded_terms(top * 3)
        words: list[str] = []
        for stem, _weight in ranked:
            if len(stem) < 3 or stem.isdigit():
                continue  # numbers and fragments are not topics
            forms = surfaces[stem]
            word = max(forms.items(), key=lambda item: (item[1], -len(item[0])))[0]
            if word not in words:
                words.append(word)
            if len(words) == top:
                break
        return words

    def document_frequencies(self, stems: Collection[str]) -> tuple[int, dict[str, int]]:
        """How many papers the index holds, and how many have each stem in their title or abstract.

        (The larger of the two fields' counts: a title word is nearly always
        in the abstract too.)  For weighing terms by their rarity (idf).
        """
        with self._lock:
            searcher = self._current_searcher()
            total = searcher.doc_count()
            found = {
                stem: max(searcher.doc_frequency("title", stem), searcher.doc_frequency("abstract", stem))
                for stem in stems
            }
        return total, found

    def term_matrix(self, stems: Sequence[str], ids: Sequence[str], fields: dict[str, float]) -> np.ndarray:
        """Each stem's BM25F score in each paper: a ``len(stems)`` x ``len(ids)`` array.

        A field's score counts ``fields[field]`` times (titles more than
        abstracts); a paper the index does not hold scores 0.  Read from the
        array engine's posting lists (kept decoded between calls), so ranking
        10,000 papers by a profile of a hundred terms is a few array operations
        per term, not a query walked paper by paper.
        """
        matrix = np.zeros((len(stems), len(ids)), dtype=np.float64)
        if not stems or not ids:
            return matrix
        with self._lock:
            searcher = self._current_searcher()
            if searcher.doc_count_all() == 0:
                return matrix
            engine = self._engine_for(searcher)
            docnums = engine.docnums_of(ids)
            slot = np.full(engine.size, -1, dtype=np.int64)  # docnum -> column (-1: not asked)
            held = docnums >= 0
            slot[docnums[held]] = np.flatnonzero(held)
            for row, stem in enumerate(stems):
                for fieldname, weight in fields.items():
                    found = engine.term_scores(fieldname, stem)
                    if found is None:
                        continue
                    columns = slot[found[0]]
                    keep = columns >= 0
                    matrix[row, columns[keep]] += weight * found[1][keep]
        return matrix

    def doc_count(self) -> int:
        with self._lock:
            return self._doc_count()

    def close(self) -> None:
        with self._lock:
            self._close_index()


def _write_sidecars(folder: Path, procs: int = 1) -> None:
    """Write the array engine's side files for the segments of the index in ``folder`` that lack them.

    With ``procs`` > 1 (the CLI, single-threaded: forking is safe) each
    segment's are written by a process of its own: a 100,000-paper build has
    two segments of ~4 s each.

    Side files only save time: if the file system refuses them (a full disk,
    a read-only folder), searches decode the postings from Whoosh's blocks
    instead, and the index itself is as sound as its commit left it.
    """
    try:
        _write_sidecars_now(folder, procs)
    except OSError:
        for partial in folder.glob("*.prside_*.tmp"):
            with contextlib.suppress(OSError):
                partial.unlink()


def _write_sidecars_now(folder: Path, procs: int) -> None:
    ix = index.open_dir(str(folder))
    with ix.searcher() as searcher:
        segments = segment_ids(searcher)
        if procs <= 1 or len(segments) < 2 or not hasattr(os, "fork"):
            write_sidecars(folder, searcher)
            return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(min(procs, len(segments)), initializer=_leave_ctrl_c_to_the_parent, initargs=(os.getpid(),)) as pool:
        pool.starmap(_write_segment_sidecars, [(folder, segment) for segment in segments])


def _leave_ctrl_c_to_the_parent(parent: int) -> None:
    """A terminal's Ctrl+C reaches every process of the group: the workers ignore it, the parent stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)


def _write_segment_sidecars(folder: Path, segment: str) -> None:
    """One segment's side files, in a worker process of :func:`_write_sidecars`."""
    with index.open_dir(str(folder)).searcher() as searcher:
        write_sidecars(folder, searcher, only=segment)


class SearchCancelled(Exception):
    """A search abandoned because its ``cancel`` event was set (a newer keystroke)."""


class _CancellableCollector(collectors.WrappingCollector):
    """Whoosh's collector, stopping between two matches once ``cancel`` is set.

    Whoosh cannot be interrupted from outside; its own time-limited collector
    checks a flag in the same place.
    """

    def __init__(self, child: collectors.Collector, cancel: threading.Event) -> None:
        super().__init__(child)
        self.cancel = cancel

    def collect_matches(self) -> None:
        child, cancel = self.child, self.cancel
        for count, sub_docnum in enumerate(child.matches()):
            if count % 256 == 0 and cancel.is_set():
                raise Cancelled
            child.collect(sub_docnum)


def _search_cancellable(searcher: Searcher, query: Query, cancel: threading.Event | None, **kwargs: Any) -> Any:
    """``searcher.search(query, **kwargs)``, abandoned when ``cancel`` is set."""
    if cancel is None:
        return searcher.search(query, **kwargs)
    collector = _CancellableCollector(searcher.collector(**kwargs), cancel)
    searcher.search_with_collector(query, collector)
    return collector.results()


def _word_for_stem(stem: str, typed: str) -> str | None:
    """A word whose stem is ``stem``, as close as can be to what was typed (None if none is found).

    The typed word's own ending comes first ("difusion" -> stem "diffus" +
    "ion"), then common English endings; each is checked with the analyzer,
    so the word shown finds what the stem finds.
    """
    typed_stem = next((token.text for token in _ANALYZER(typed)), typed)
    own = typed[len(typed_stem) :] if typed.startswith(typed_stem) else ""
    candidates = [stem + ending for ending in (own, *_ENDINGS)]
    fitting = [word for word in candidates if [token.text for token in _ANALYZER(word)] == [stem]]
    return min(fitting, key=lambda word: distance(word, typed)) if fitting else None


def _estimate(query: Query, reader: IndexReader, allowed: Collection[int] | None) -> tuple[int, bool]:
    """How many papers match ``query``, from document frequencies: (count, exact).

    Exact for one word in one field of an index without deleted versions (its
    document frequency).  Otherwise an estimate, with no pass over the
    matches: words are taken as independent, an AND multiplies the shares of
    the papers each part matches, an OR adds what the others miss; parts
    whose share is not simply known (a phrase, a range) use Whoosh's own
    upper estimate, and a view scales the share to its size.
    """
    total = max(1, reader.doc_count())
    if isinstance(query, Term) and allowed is None and not reader.has_deletions():
        with contextlib.suppress(Exception):
            return reader.doc_frequency(query.fieldname, query.text), True

    def share(node: Query) -> float:
        if isinstance(node, Term):
            try:
                return min(1.0, reader.doc_frequency(node.fieldname, node.text) / total)
            except Exception:  # noqa: BLE001 - a field this index does not have
                return 0.0
        children = list(node.children()) if node.is_leaf() is False else []
        if isinstance(node, Or) and children:
            missed = 1.0
            for child in children:
                missed *= 1.0 - share(child)
            return 1.0 - missed
        if isinstance(node, And) and children:
            product = 1.0
            for child in children:
                product *= 1.0 - share(child.query) if isinstance(child, Not) else share(child)
            return product
        if isinstance(node, AndNot):
            return share(node.a) * (1.0 - share(node.b))
        try:
            return min(1.0, node.estimate_size(reader) / total)
        except Exception:  # noqa: BLE001 - an estimate is a nicety
            return 0.0

    return round(share(query) * (len(allowed) if allowed is not None else total)), False


def _hits(results: Any, id_of: Callable[[int], str] | list[str], *, scored: bool) -> list[SearchHit]:
    """Hits in order (``Results.docs()`` is an unordered set).

    ``id_of`` maps a docnum to its paper id (a function, or the list of every
    id).  Sorted by a field, Whoosh's "score" is the sort key, so hits carry 0.0.
    """
    if isinstance(id_of, list):
        id_of = id_of.__getitem__
    return [
        SearchHit(id_of(results.docnum(rank)), float(results.score(rank) or 0.0) if scored else 0.0, rank)
        for rank in range(results.scored_length())
    ]


def _terms(query: Query, searcher: Searcher) -> dict[str, frozenset[str]]:
    """The query's terms per field, prefixes and fuzzy terms expanded."""
    if isinstance(query, Every):
        return {}
    terms: dict[str, frozenset[str]] = {}
    reader = searcher.reader()
    for name in ("title", "abstract", "note"):
        # One field per call: Whoosh's existing_terms() without a field name
        # reuses its loop variable and drops every field after the first.
        found = query.existing_terms(reader, fieldname=name, expand=True)
        terms[name] = frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t) for _, t in found)
    return terms


def _describe(error: Exception) -> str:
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"cannot run this query: {message}"[:200]
