"""Links in abstracts: only plain http(s) links are kept, whatever an abstract holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperreader.cli import main
from paperreader.library import Library
from paperreader.links import MAX_LENGTH, MAX_LINKS, extract_links, safe_url, search_links

from .digests import P, page, write


@pytest.mark.parametrize(
    ("text", "links"),
    [
        ("Code is available at https://github.com/org/repo.", ["https://github.com/org/repo"]),
        ("See (https://example.org/page), and http://a.b/c?x=1&y=2;", ["https://example.org/page", "http://a.b/c?x=1&y=2"]),
        ("Wiki https://en.wikipedia.org/wiki/Foo_(bar) is cited.", ["https://en.wikipedia.org/wiki/Foo_(bar)"]),
        ("Twice: https://x.org/a and https://x.org/a!", ["https://x.org/a"]),
        ("HTTPS://GITHUB.COM/A/B", ["HTTPS://GITHUB.COM/A/B"]),
        ("javascript:alert(1) data:text/html;base64,PHNjcmlwdD4= file:///etc/passwd ftp://x.org/f", []),
        ("javascript:https://evil.example/x", ["https://evil.example/x"]),  # only the real link inside
        ("no host: https:// or http:///path", []),
        # Control characters, escape sequences and markup end a link: they never ride along.
        ("https://a.org/x\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", ["https://a.org/x", "https://evil.example"]),
        ("https://a.org/\x1b[2Jcleared", ["https://a.org/"]),
        ("https://a.org/p\x00q\x7fr\u202es", ["https://a.org/p"]),
        ("[link](https://a.org/x) <https://b.org/y>", ["https://a.org/x", "https://b.org/y"]),
        ("https://a.org/" + "x" * MAX_LENGTH, []),  # too long to be honest: dropped, not cut
        ("https://[::1/x", []),
    ],
)
def test_extract_links(text: str, links: list[str]) -> None:
    assert extract_links(text) == links


def test_links_are_capped_and_searches_are_encoded() -> None:
    assert len(extract_links(" ".join(f"https://x.org/{n}" for n in range(100)))) == MAX_LINKS
    assert safe_url("javascript:alert(1)") is None and safe_url("https://x.org/\x1b") is None
    (arxiv, arxiv_url), (hf, hf_url) = search_links('A "Quoted" Title & \x1b[31mmore')
    assert arxiv_url.startswith("https://arxiv.org/search/?query=") and arxiv_url.endswith("&searchtype=title")
    assert hf_url.startswith("https://huggingface.co/papers?q=")
    assert all(safe_url(url) == url for url in (arxiv_url, hf_url))  # only URL characters: no ESC, no space


def test_links_are_stored_at_import_and_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    abstract = (
        "We release code at https://github.com/org/repo. A hostile javascript:alert(1) and "
        "https://evil.example/\x1b]8;;x\x07 and data:text/html,x follow. " * 2
    )
    write(tmp_path / "d" / "a.txt", page("Nov 12", [P("A Paper With Links", abstract)]))
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "import", "-q", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(data), "list", "--json"]) == 0
    (paper,) = json.loads(capsys.readouterr().out)
    assert paper["links"] == ["https://github.com/org/repo", "https://evil.example/"]
    with Library(data) as library:
        assert library.store.papers()[0].links == ("https://github.com/org/repo", "https://evil.example/")


def test_links_edited_into_the_library_are_checked_again(tmp_path: Path) -> None:
    """A library edited by hand (or by another program) cannot slip a link past the checks."""
    write(tmp_path / "d" / "a.txt", page("Nov 12", [P("A Paper", "An abstract long enough to be one. " * 3)]))
    with Library(tmp_path / "data") as library:
        library.import_paths([tmp_path / "d"])
        library.store._db.execute(
            "UPDATE papers SET links = ?", ("javascript:alert(1)\nhttps://ok.org/\x1b]8;;x\x07\nhttps://fine.org/a",)
        )
        assert library.store.papers()[0].links == ("https://fine.org/a",)
