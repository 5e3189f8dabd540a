"""The links an abstract gives ("Code is available at https://github.com/…").

Abstracts are untrusted text: a link found here goes to a terminal (as an OSC 8
hyperlink), to a browser and into exports, so only what is plainly a web
address is kept — ``http``/``https`` with a host, made only of the characters
a URL may hold (RFC 3986), so no control character, escape sequence, space or
markup can ride along; never ``javascript:``, ``data:``, ``file:`` or any
other scheme.  A link longer than :data:`MAX_LENGTH` is dropped rather than
cut (a cut link leads somewhere else).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

__all__ = ["MAX_LENGTH", "MAX_LINKS", "extract_links", "safe_url", "join_links", "split_links", "search_links"]

#: Longer links are dropped: no honest code or project link is this long.
MAX_LENGTH = 500
#: At most this many links are kept per abstract (a pasted link farm stays small).
MAX_LINKS = 20

# The characters RFC 3986 allows in a URL; anything else (space, control
# characters, ESC, quotes, angle brackets, non-ASCII) ends the link.
_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"
_PAIRS = {")": "(", "]": "["}


def _trim(url: str) -> str:
    """Strip the sentence's punctuation from a link's end, keeping balanced brackets (wiki links)."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last in _PAIRS and url.count(last) > url.count(_PAIRS[last]):
            url = url[:-1]
        else:
            break
    return url


def safe_url(url: str) -> str | None:
    """``url`` if it is a plain http(s) link with a host that may be shown and opened, else None."""
    if not url or len(url) > MAX_LENGTH or not _URL.fullmatch(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def extract_links(text: str) -> list[str]:
    """The http(s) links in ``text``, in order, each once, trailing punctuation stripped."""
    found: list[str] = []
    for match in _URL.finditer(text or ""):
        url = safe_url(_trim(match.group()))
        if url is not None and url not in found:
            found.append(url)
            if len(found) == MAX_LINKS:
                break
    return found


def join_links(links: Iterable[str]) -> str:
    """The store's form of a paper's links: one a line."""
    return "\n".join(links)


def split_links(stored: str | None) -> tuple[str, ...]:
    """Links as the store keeps them, checked again (a library may have been edited by hand)."""
    return tuple(url for url in (stored or "").split("\n") if safe_url(url) is not None)


def search_links(title: str) -> list[tuple[str, str]]:
    """Searches for a paper by its title: ``(label, url)`` on arXiv and on Hugging Face papers.

    The digests carry no identifiers, so a title search is the way to the
    paper's page; the title is quoted as one phrase and URL-encoded.
    """
    phrase = quote(f'"{" ".join(title.split())}"', safe="")
    return [
        ("arXiv search by title", f"https://arxiv.org/search/?query={phrase}&searchtype=title"),
        ("Hugging Face papers search by title", f"https://huggingface.co/papers?q={phrase}"),
    ]
