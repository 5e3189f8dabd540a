"""Cleaning and identity of untrusted text.

Every title and abstract comes from a web page someone pasted into a file.  It is
cleaned exactly once, here, when it enters paperreader: after :func:`clean_text`
a string holds no terminal escape sequences, no C0/C1 control characters and no
bidirectional overrides, so nothing downstream (the terminal, Rich, a spreadsheet)
can be steered by it.  Rendering code still treats it as plain text, never markup.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["clean_text", "normalize_title", "paper_id", "is_clean", "printable", "normalize_tag", "parse_tags", "MAX_TAG", "clean_note", "cite_key_base", "cite_key_suffix", "valid_cite_key", "CITE_KEY"]

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings
# (ESC ] ... terminated by BEL or ST), and two-character escapes (ESC + one byte).
# The 8-bit forms (U+009B CSI, U+009D OSC, ...) are handled the same way.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?: \x1b\[ | \x9b ) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?          # CSI
  | (?: \x1b[\]PX^_] | [\x90\x98\x9d\x9e\x9f] )                           # OSC, DCS, ...
    [^\x07\x1b\x9c]{0,4096} (?: \x07 | \x1b\\ | \x9c )                    # ... terminated
  | \x1b [\x20-\x2f]* [\x30-\x7e]?                                         # other ESC sequences
    """,
    re.VERBOSE,
)
# Once every ESC and C1 character is gone no terminal can interpret what is left,
# so an unterminated string sequence only loses its introducer (not the rest of
# the abstract); removing whole sequences is about not leaving litter behind.

# Characters removed outright: C0 controls except tab/newline, DEL, C1 controls,
# bidirectional embeddings/overrides/isolates (they reorder what the terminal
# shows: "Trojan Source"), and stray byte-order marks.
_STRIP = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]"
)

# Whitespace of any kind (tabs, newlines, NBSP, Unicode line/paragraph
# separators) collapses to one space: titles and abstracts are single lines.
_SPACE = re.compile(r"[\s\u2028\u2029]+")


# Every character any of the three patterns above acts on, in one class: C0 and
# C1 controls (ESC and the 8-bit introducers among them), the bidi and BOM
# characters of _STRIP, and whitespace other than the plain space, written out
# (what Python's \s matches for str).  A text with none of them and no double
# space is left as it is by the three substitutions, and one scan of a
# character class tells so ~20x faster than running them: almost every title
# and abstract is already clean (a 100,000-paper import spent ~9 s here).
_NEEDS_CLEANING = re.compile(
    "[\x00-\x1f\x7f-\x9f\xa0\u061c\u1680\u2000-\u200a\u200e\u200f\u2028-\u202f\u205f"
    "\u2066-\u2069\u3000\ufeff\ufff9-\ufffb]"
)


def clean_text(text: str) -> str:
    """Return ``text`` safe to store and show: one line, no escapes or controls.

    Escape sequences are removed whole (not just their ESC byte, which would leave
    ``[31m`` litter behind); remaining control characters are dropped; runs of
    whitespace become one space; the result is NFC-normalised and stripped.
    """
    if _NEEDS_CLEANING.search(text) is None and "  " not in text:
        return unicodedata.normalize("NFC", text).strip()
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _STRIP.sub("", text)
    # Whitespace controls (tab, newlines, VT, FF, \x1c-\x1f, NEL) become spaces.
    text = _SPACE.sub(" ", text)
    return unicodedata.normalize("NFC", text).strip()


def is_clean(text: str) -> bool:
    """True if ``text`` holds no control character of any kind (C0, DEL, C1) nor bidi control."""
    return _STRIP.search(text) is None and not any(c < " " or "\x7f" <= c <= "\x9f" for c in text)


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text from outside that is shown, not stored (a file name): controls become ``?``.

    Like ``ls``, so the user still sees that something odd is in the name.
    """
    return _UNPRINTABLE.sub("?", text)


_NOT_WORD = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """Fold a title to the key that identifies its paper.

    Case, Unicode compatibility forms, accents' composition, whitespace and
    punctuation are folded, so ``"TrAct: Making  First-layer ..."`` and
    ``"tract making first layer ..."`` are the same paper.  If a title is nothing
    but punctuation, its cleaned text itself is the key (so it is not lost).
    """
    folded = unicodedata.normalize("NFKC", clean_text(title)).casefold()
    words = _NOT_WORD.sub(" ", folded).split()
    return " ".join(words) if words else folded


def paper_id(title: str) -> str:
    """The stable 10-hex-character id of the paper with this title.

    Derived only from :func:`normalize_title`, so it is the same on every machine
    and for every digest the paper appears in; short enough to type in the CLI and
    valid as a BibTeX citation key.
    """
    return hashlib.sha256(normalize_title(title).encode("utf-8")).hexdigest()[:10]


#: Tags are short labels, not sentences.
MAX_TAG = 40
# Letters, digits and a few joiners: a tag is one word of the query language
# (``tag:rl``), so nothing the parser reads as syntax (quotes, colons,
# parentheses, wildcards) may be part of it.
_TAG_DROP = re.compile(r"[^\w\-.+]+")


def normalize_tag(text: str) -> str | None:
    """The canonical form of a tag the user typed: ``"#Reinforcement Learning"`` -> ``"reinforcement-learning"``.

    Lower case, a leading ``#`` dropped, spaces joined with ``-``, other
    punctuation removed; ``None`` if nothing is left.
    """
    folded = unicodedata.normalize("NFKC", clean_text(text)).casefold().lstrip("#")
    tag = _TAG_DROP.sub("", "-".join(folded.split())).strip("-.")
    return tag[:MAX_TAG] or None


def parse_tags(text: str) -> list[str]:
    """Tags from a line the user typed: separated by commas or spaces, each normalised once."""
    tags: list[str] = []
    for word in re.split(r"[,\s]+", text):
        tag = normalize_tag(word)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clean_note(text: str) -> str:
    """A note as stored: the user's lines kept, each cleaned like any other text.

    Notes are typed or pasted by the user, but a paste can carry escape
    sequences as well as any digest can.
    """
    lines = [clean_text(line) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- citation keys ------------------------------------------------------------------

#: Words that say nothing about a paper, skipped when a citation key is made of its title.
_KEY_STOPWORDS = frozenset(
    """
    a an the of for and or in on at to by with without via from into onto as is are be can do does
    not no vs versus towards toward using use beyond through under over about its it this that
    we our your you how what why when which who where any than very
    """.split()
)
#: How many significant title words a key holds, and how long each may be.
_KEY_WORDS = 3
_KEY_WORD_CHARS = 12
#: A key the user pins: ASCII, what BibTeX, biblatex, pandoc and file names all accept.
CITE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.+-]{0,63}")


def cite_key_base(title: str, year: int | None) -> str:
    """A citation key before de-duplication: ``"Attention Is All You Need"``, 2017 -> ``attentionAllNeed2017``.

    The first significant words of the title (camel-cased, as Better BibTeX's
    short titles) and the year.  Accents are folded to ASCII by Unicode
    decomposition; a title with no ASCII word at all gives ``paper``.
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_title)
    significant = [word for word in words if word not in _KEY_STOPWORDS] or words
    picked = [word[:_KEY_WORD_CHARS] for word in significant[:_KEY_WORDS]]
    base = (picked[0] + "".join(word.capitalize() for word in picked[1:])) if picked else "paper"
    return base + (str(year) if year is not None else "")


def cite_key_suffix(number: int) -> str:
    """The de-duplicating suffix: 0 -> "", 1 -> "a", ..., 26 -> "z", 27 -> "aa", ... (bijective base 26)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def valid_cite_key(text: str) -> bool:
    """True if ``text`` can be a citation key (see :data:`CITE_KEY`)."""
    return CITE_KEY.fullmatch(text) is not None
