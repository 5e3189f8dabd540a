"""Reading lists from the shell: every selection of ``export``, ``--new``, citation keys, auto-exports."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import bibtexparser
import pytest

from paperreader.cli import main
from paperreader.library import Library
from paperreader.models import SavedView

from .digests import MONDAY, TUESDAY, WITH_META, P, abstract, page, write

SPARSE = "Sparse Mixtures of Experts Route Tokens Cheaply"
DIFFUSION = "Diffusion Policies for Robot Grasping"
RETRIEVAL = "Retrieval Helps Small Language Models Reason"
SPEECH = "Quantized Speech Recognition on Phones"
GRAPH = "Graph Networks Learn Molecular Forces"
REWARD = "Reward Models Disagree More Than We Think"


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    status = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return status, out, err


def titles(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> set[str]:
    """The titles ``export --format json`` writes for these options."""
    status, out, err = run(capsys, data_dir, "export", "--format", "json", *args)
    assert status == 0, err
    return {paper["title"] for paper in json.loads(out)}


@pytest.fixture
def lib_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Three digests; SPARSE and REWARD bookmarked; rl on SPARSE and DIFFUSION, survey on DIFFUSION; SPEECH read."""
    data_dir = tmp_path / "data"
    write(tmp_path / "d" / "mon.txt", page("Mar 10", MONDAY))
    write(tmp_path / "d" / "tue.txt", page("Mar 11", TUESDAY))
    write(tmp_path / "d" / "meta.txt", page("Nov 12", WITH_META))
    assert run(capsys, data_dir, "import", str(tmp_path / "d"), "--date", "2025-11-20")[0] == 0
    with Library(data_dir) as library:
        ids = {paper.title: paper.id for paper in library.store.papers()}
        library.store.set_state([ids[SPARSE], ids[REWARD]], bookmarked=True)
        library.store.set_tags([ids[SPARSE], ids[DIFFUSION]], add=["rl"])
        library.store.set_tags([ids[DIFFUSION]], add=["survey"])
        library.store.set_state([ids[SPEECH]], read=True)
        library.store.save_view(SavedView("Robots", query="robot"))
    return data_dir


def ids_of(data_dir: Path) -> dict[str, str]:
    with Library(data_dir) as library:
        return {paper.title: paper.id for paper in library.store.papers()}


# -- selections -----------------------------------------------------------------------


def test_every_selection(capsys: pytest.CaptureFixture[str], lib_dir: Path) -> None:
    everything = titles(capsys, lib_dir, "--all")
    assert len(everything) == 8
    assert titles(capsys, lib_dir) == {SPARSE, REWARD}  # the default: the bookmarks
    assert titles(capsys, lib_dir, "--bookmarked") == {SPARSE, REWARD}
    assert titles(capsys, lib_dir, "--tag", "rl") == {SPARSE, DIFFUSION}
    assert titles(capsys, lib_dir, "--tag", "RL", "--tag", "survey") == {DIFFUSION}  # every tag given
    assert titles(capsys, lib_dir, "--tag", "rl", "--bookmarked") == {SPARSE}
    assert titles(capsys, lib_dir, "--view", "Robots") == {DIFFUSION}  # a saved view (its query)
    assert titles(capsys, lib_dir, "--view", "unread") == everything - {SPEECH}  # a built-in one
    assert titles(capsys, lib_dir, "--query", "speech OR graph") == {SPEECH, GRAPH}
    assert titles(capsys, lib_dir, "--query", "tag:survey") == {DIFFUSION}
    assert titles(capsys, lib_dir, "--digest", "2025-03-11") == {DIFFUSION, SPEECH, GRAPH}
    assert titles(capsys, lib_dir, "--unread") == everything - {SPEECH}
    assert titles(capsys, lib_dir, "--read") == {SPEECH}
    assert titles(capsys, lib_dir, "--read", "--digest", "2025-03-10") == set()
    assert titles(capsys, lib_dir, "--unread", "--tag", "rl", "--digest", "2025-03-10") == {SPARSE, DIFFUSION}


def test_since_is_bookmarked_or_tagged_since(capsys: pytest.CaptureFixture[str], lib_dir: Path) -> None:
    ids = ids_of(lib_dir)
    with Library(lib_dir) as library, library.store.transaction():  # an old bookmark, from before the week
        library.store._db.execute("UPDATE papers SET bookmarked_at = '2025-01-02T09:00:00.000Z' WHERE id = ?", (ids[REWARD],))
    assert titles(capsys, lib_dir, "--since", "2025-01-01") == {SPARSE, REWARD, DIFFUSION}
    assert titles(capsys, lib_dir, "--since", "2025-06-01") == {SPARSE, DIFFUSION}  # tagged or bookmarked lately
    assert titles(capsys, lib_dir, "--since", "2999-01-01") == set()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("--view", "Nope"), 1, "no view named 'Nope'; views: 'All papers'"),
        (("--query", "colour:red"), 1, "colour"),
        (("--digest", "2025-01-01"), 1, "no digest on 2025-01-01; the nearest: "),
        (("--tag", "!!!"), 2, "not a tag: '!!!'"),
        (("--new",), 2, "--new needs -o FILE"),
        (("--format", "notes"), 2, "--format notes needs -o DIR"),
        (("--force",), 2, "--force goes with --auto"),
        (("--auto", "--tag", "rl", "-o", "x.bib"), 2, "--auto rewrites the auto-exports as the config file sets them; it takes no --tag, -o"),
    ],
)
def test_bad_selections_are_one_line_and_change_nothing(
    capsys: pytest.CaptureFixture[str], lib_dir: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    before = (lib_dir / "library.sqlite3").read_bytes()
    code, out, err = run(capsys, lib_dir, "export", *args)
    assert code == status and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    with Library(lib_dir) as library:
        assert library.store.keys(list(ids_of(lib_dir).values())) == {}  # no key chosen


def test_new_exports_only_papers_not_exported_to_that_file(capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path) -> None:
    week = tmp_path / "week.md"
    status, _, err = run(capsys, lib_dir, "export", "--tag", "rl", "--new", "-o", str(week))
    assert status == 0 and "Exported 2 papers" in err
    assert SPARSE in week.read_text() and DIFFUSION in week.read_text()
    ids = ids_of(lib_dir)
    assert run(capsys, lib_dir, "tag", "add", "rl", ids[GRAPH])[0] == 0
    status, _, err = run(capsys, lib_dir, "export", "--tag", "rl", "--new", "-o", str(week))
    assert status == 0 and "Exported 1 paper " in err and "2 exported there before, left out" in err
    text = week.read_text()
    assert GRAPH in text and SPARSE not in text and DIFFUSION not in text
    status, _, err = run(capsys, lib_dir, "export", "--tag", "rl", "--new", "-o", str(week))
    assert status == 0 and "No new papers" in err and week.read_text() == text  # left as it was
    # Another file has its own memory; a plain export to a file counts as exported there too.
    other = tmp_path / "other.md"
    assert run(capsys, lib_dir, "export", "--tag", "rl", "--format", "bibtex", "-o", str(other))[0] == 0
    assert "No new papers" in run(capsys, lib_dir, "export", "--tag", "rl", "--new", "-o", str(other))[2]


def test_a_failed_write_stores_nothing(capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "list.bib"
    status, _, err = run(capsys, lib_dir, "export", "--format", "bibtex", "--new", "-o", str(target))
    assert status == 1 and "No such folder" in err and str(tmp_path / "missing") in err
    target.parent.mkdir()
    with Library(lib_dir) as library:
        assert library.store.keys(list(ids_of(lib_dir).values())) == {}
    status, _, err = run(capsys, lib_dir, "export", "--format", "bibtex", "--new", "-o", str(target))
    assert status == 0 and "Exported 2 papers" in err  # nothing was remembered as exported


# -- citation keys -----------------------------------------------------------------------


def bib_keys(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> dict[str, str]:
    status, out, err = run(capsys, data_dir, "export", "--format", "bibtex", *args)
    assert status == 0, err
    library = bibtexparser.parse_string(out)
    return {entry.fields_dict["title"].value.strip("{}"): entry.key for entry in library.entries}


@pytest.mark.parametrize(
    ("title", "year", "key"),
    [
        ("Attention Is All You Need", 2017, "attentionAllNeed2017"),
        ("Über naïve Façades: a Study", 2024, "uberNaiveFacades2024"),  # accents folded to ASCII
        ("3D Gaussian Splatting for Real-Time Radiance Field Rendering", 2023, "3dGaussianSplatting2023"),
        ("日本語のタイトル", 2025, "paper2025"),  # no ASCII word at all
        ("The Of And", None, "theOfAnd"),  # nothing but stopwords: they are the title
        ("Supercalifragilisticexpialidocious Networks", 2025, "supercalifraNetworks2025"),
    ],
)
def test_key_base(title: str, year: int | None, key: str) -> None:
    from paperreader.text import cite_key_base, cite_key_suffix, valid_cite_key

    assert cite_key_base(title, year) == key and valid_cite_key(key)
    assert [cite_key_suffix(n) for n in (0, 1, 2, 26, 27, 28, 52, 53, 702, 703)] == [
        "", "a", "b", "z", "aa", "ab", "az", "ba", "zz", "aaa",
    ]


def test_keys_are_chosen_once_and_kept(capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path) -> None:
    first = bib_keys(capsys, lib_dir, "--all")
    assert first[SPARSE] == "sparseMixturesExperts2025" and first[REWARD] == "rewardModelsDisagree2024"
    assert all(re.fullmatch(r"[a-z0-9][A-Za-z0-9]*", key) for key in first.values())
    assert len(set(first.values())) == len(first)
    ids = ids_of(lib_dir)
    assert run(capsys, lib_dir, "key", ids[SPARSE][:6])[1] == "sparseMixturesExperts2025\n"
    # Re-imports (the same page saved again, other bytes) and re-exports keep them.
    write(tmp_path / "again.txt", page("Mar 10", MONDAY) + "\n\n")
    assert run(capsys, lib_dir, "import", str(tmp_path / "again.txt"), "--date", "2025-11-20")[0] == 0
    assert bib_keys(capsys, lib_dir, "--all") == first
    # So does a backup restored into a new library, where keys would otherwise be chosen anew.
    backup = tmp_path / "backup.json"
    assert run(capsys, lib_dir, "key", ids[GRAPH], "forces2025")[0] == 0
    assert run(capsys, lib_dir, "backup", "-o", str(backup))[0] == 0
    fresh = tmp_path / "fresh"
    write(tmp_path / "d2" / "tue.txt", page("Mar 11", TUESDAY))  # the new library knows some papers already
    assert run(capsys, fresh, "import", str(tmp_path / "d2"), "--date", "2025-11-20")[0] == 0
    assert run(capsys, fresh, "import", str(backup))[0] == 0
    restored = bib_keys(capsys, fresh, "--all")  # (titles as the fresh library first saw them)
    assert sorted(restored.values()) == sorted({**first, GRAPH: "forces2025"}.values())
    assert restored[GRAPH] == "forces2025" and restored[SPARSE] == first[SPARSE]


def test_namesakes_get_a_b_and_pins_are_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    papers = [P(f"Diffusion Policies for Robot {what}", abstract(what)) for what in ("Grasping", "Walking", "Flying")]
    write(tmp_path / "d.txt", page("Mar 10", papers))
    assert run(capsys, data_dir, "import", str(tmp_path / "d.txt"), "--date", "2025-11-20")[0] == 0
    keys = bib_keys(capsys, data_dir, "--all")
    assert sorted(keys.values()) == ["diffusionPoliciesRobot2025", "diffusionPoliciesRobot2025a", "diffusionPoliciesRobot2025b"]
    ids = ids_of(data_dir)
    walking = ids["Diffusion Policies for Robot Walking"]
    before = (data_dir / "library.sqlite3").read_bytes()
    taken = keys["Diffusion Policies for Robot Grasping"].upper()  # another paper's, in other case
    status, _, err = run(capsys, data_dir, "key", walking, taken)
    assert status == 1 and "belongs to paper" in err and "nothing was changed" in err
    status, _, err = run(capsys, data_dir, "key", walking, "not a key!")
    assert status == 1 and "not a citation key" in err
    assert (data_dir / "library.sqlite3").read_bytes() == before
    status, out, _ = run(capsys, data_dir, "key", walking, "walking2025")
    assert status == 0 and "Pinned the key walking2025" in out
    assert bib_keys(capsys, data_dir, "--all")["Diffusion Policies for Robot Walking"] == "walking2025"


def test_keys_are_unique_ascii_across_the_synthetic_corpus(tmp_path: Path) -> None:
    """100,000 papers of the benchmark corpus (Zipf words: many share their first title words)."""
    import datetime as dt
    import random

    from benchmarks.synth import vocabulary
    from paperreader.models import ParsedPaper
    from paperreader.store import Store
    from paperreader.text import paper_id

    rng = random.Random(1)
    words = vocabulary() + ["Über", "façade", "naïve", "日本語", "Ωmega", "a", "the"]
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(words))]
    day = dt.date(2025, 1, 1)
    papers = []
    for number in range(100_000):
        title = " ".join(rng.choices(words, weights, k=rng.randint(6, 14))).capitalize() + f" ({number})"
        papers.append(ParsedPaper(paper_id(title), title, "", (day + dt.timedelta(days=number // 100),)))
    with Store.open(tmp_path / "library.sqlite3") as store:
        store.add(papers, sha256="synthetic", path="synthetic", warnings=0)
        ids = [paper.id for paper in papers]
        keys = store.ensure_keys(ids)
        assert len(keys) == len({paper.id for paper in papers})
        folded = {key.casefold() for key in keys.values()}
        assert len(folded) == len(keys)  # unique, even ignoring case
        assert all(re.fullmatch(r"[A-Za-z0-9]+", key) and key.isascii() for key in keys.values())
        assert store.ensure_keys(ids[:1000]) == {pid: keys[pid] for pid in ids[:1000]}  # kept, not chosen again


# -- auto-exports -------------------------------------------------------------------------


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *exports: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("".join(f"[[export]]\n{export}\n" for export in exports), encoding="utf-8")
    monkeypatch.setenv("PAPERREADER_CONFIG", str(path))
    return path


def test_a_tag_added_by_the_cli_updates_the_auto_export(
    capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bib = tmp_path / "thesis" / "papers.bib"
    bib.parent.mkdir()
    configure(tmp_path, monkeypatch, f'path = "{bib}"\nformat = "bibtex"\nselect = "tag:thesis"')
    status, out, _ = run(capsys, lib_dir, "config")
    assert status == 0 and f"export          {bib}  bibtex  'tag:thesis'  not written yet" in out
    ids = ids_of(lib_dir)
    started = time.monotonic()
    status, _, err = run(capsys, lib_dir, "tag", "add", "thesis", ids[REWARD])
    assert status == 0 and f"Updated the auto-export {bib}: 1 paper." in err
    assert time.monotonic() - started < 1.0  # (the issue asks for within a second)
    assert [e.key for e in bibtexparser.parse_string(bib.read_text()).entries] == ["rewardModelsDisagree2024"]
    status, out, _ = run(capsys, lib_dir, "config")
    assert re.search(rf"export          {re.escape(str(bib))}  bibtex  'tag:thesis'  last written \d{{4}}-\d\d-\d\d \d\d:\d\d UTC \(1 paper\)", out)
    # A change that does not touch its papers does not rewrite it.
    mtime = bib.stat().st_mtime_ns
    assert run(capsys, lib_dir, "mark", "read", ids[SPARSE])[2] == ""
    assert bib.stat().st_mtime_ns == mtime
    # Removing the tag takes the paper out.
    assert run(capsys, lib_dir, "tag", "remove", "thesis", ids[REWARD])[0] == 0
    assert bibtexparser.parse_string(bib.read_text()).entries == []


def test_a_file_edited_by_hand_is_not_overwritten_without_force(
    capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bib = tmp_path / "papers.bib"
    configure(tmp_path, monkeypatch, f'path = "{bib}"\nselect = "tag:rl"')  # the format from the suffix
    assert run(capsys, lib_dir, "export", "--auto")[:2] == (0, f"wrote      {bib}: 2 papers\n")
    bib.write_text(bib.read_text() + "% my own line\n")
    ids = ids_of(lib_dir)
    status, _, err = run(capsys, lib_dir, "tag", "add", "rl", ids[GRAPH])
    assert status == 0  # the tag is added: the export is a warning
    assert (
        f"{bib}: was changed since this library last wrote it (by hand, or by another library); not overwritten "
        "(paperreader export --auto --force replaces it)"
    ) in err
    assert bib.read_text().endswith("% my own line\n")
    status, _, err = run(capsys, lib_dir, "export", "--auto")
    assert status == 1 and "not overwritten" in err and bib.read_text().endswith("% my own line\n")
    status, out, _ = run(capsys, lib_dir, "export", "--auto", "--force")
    assert status == 0 and out == f"wrote      {bib}: 3 papers\n" and "% my own line" not in bib.read_text()
    # A file that was there before paperreader ever wrote it is the user's too.
    mine = tmp_path / "mine.ris"
    mine.write_text("TY  - JOUR\nER  - \n")
    configure(tmp_path, monkeypatch, f'path = "{mine}"')
    status, _, err = run(capsys, lib_dir, "export", "--auto")
    assert status == 1 and f"{mine}: was not written by this library (written by hand, or by another library); not overwritten" in err
    assert mine.read_text() == "TY  - JOUR\nER  - \n"
    # A second library using the same config file: the file is paperreader's, but not this library's.
    shared = tmp_path / "shared.bib"
    configure(tmp_path, monkeypatch, f'path = "{shared}"')
    assert run(capsys, lib_dir, "export", "--auto")[0] == 0
    other = tmp_path / "other-library"
    assert run(capsys, other, "import", str(tmp_path / "d"))[0] == 0  # its own auto-export is refused: a notice
    written = shared.read_text()
    status, _, err = run(capsys, other, "export", "--auto")
    assert status == 1 and f"{shared}: was not written by this library (written by hand, or by another library)" in err
    assert "not written by paperreader" not in err and shared.read_text() == written


def test_unwritable_auto_exports_are_notices(
    capsys: pytest.CaptureFixture[str], lib_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked.json"
    configure(
        tmp_path, monkeypatch,
        f'path = "{tmp_path / "gone" / "list.md"}"\nformat = "md"',
        f'path = "{locked}"\nformat = "csljson"',
        f'path = "{tmp_path / "notes"}"\nformat = "notes"\nselect = "unread tag:rl"',
        f'path = "{tmp_path / "x.txt"}"\nformat = "docx"',
    )
    assert run(capsys, lib_dir, "export", "--auto")[0] == 1  # the missing folder
    locked.chmod(0o444)
    ids = ids_of(lib_dir)
    status, out, err = run(capsys, lib_dir, "mark", "bookmark", ids[GRAPH])
    assert status == 0 and out == "Marked 1 paper bookmarked.\n"
    assert f"{tmp_path / 'gone' / 'list.md'}: cannot write the auto-export (No such folder: {tmp_path / 'gone'})" in err
    assert f"{locked}: cannot write the auto-export (the file is read-only)" in err
    assert GRAPH not in locked.read_text()
    notes = sorted(path.name for path in (tmp_path / "notes").iterdir())
    assert notes == [f"{DIFFUSION}.md", f"{SPARSE}.md"]
    status, out, _ = run(capsys, lib_dir, "config")
    assert "unknown format 'docx'" in out and "known: md, csv, json, bibtex, ris, csljson, notes" in out


def test_bad_select_in_the_config_is_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperreader.config import load_config

    path = configure(
        tmp_path, monkeypatch,
        'path = "a.bib"\nselect = "tag:thesis fresh"',
        'path = "b.bib"\nselect = "digest:yesterday"',
        'path = "c.json"\nformat = "csljson"\nselect = \'unread view:"RL, unread" query:"language model" AND rl\'',
    )
    config = load_config(path)
    assert [str(export.path.name) for export in config.exports] == ["c.json"]
    (selection,) = [export.selection for export in config.exports]
    assert (selection.state, selection.view, selection.query) == ("unread", "RL, unread", '"language model" AND rl')
    assert config.exports[0].path == tmp_path / "c.json"  # relative to the config file
    assert any("unknown word 'fresh'" in warning for warning in config.warnings)
    assert any("'digest:yesterday': not a date" in warning for warning in config.warnings)


_WRITER = """
import sys
from pathlib import Path
from paperreader.exports import write_atomically
path = Path(sys.argv[1])
texts = [("A" * 4_000_000) + "\\n", ("B" * 6_000_000) + "\\n"]
print("ready", flush=True)
n = 0
while True:
    write_atomically(path, texts[n % 2])
    n += 1
"""


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_kill_9_during_a_write_leaves_the_old_file_or_the_new(tmp_path: Path) -> None:
    import random

    path = tmp_path / "papers.bib"
    old = "the previous export\n"
    path.write_text(old)
    rng = random.Random(15)
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        text = path.read_text()
        assert text in (old, "A" * 4_000_000 + "\n", "B" * 6_000_000 + "\n")
        old = text
