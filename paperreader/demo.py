"""The bundled sample library behind ``paperreader --demo`` and the screenshots.

The sample digests in ``paperreader/sample/`` are invented papers (no real
digest text is shipped); each file is named for the day it was saved.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

from .library import FileReport, Library

__all__ = ["sample_files", "build_demo_library"]


def sample_files() -> list[Path]:
    """The bundled sample digests, oldest first."""
    folder = resources.files("paperreader") / "sample"
    return sorted(Path(str(entry)) for entry in folder.iterdir() if entry.name.endswith(".txt"))


def build_demo_library(data_dir: Path) -> list[FileReport]:
    """Import the sample digests into ``data_dir`` (each dated by its file name)."""
    reports: list[FileReport] = []
    with Library(data_dir) as library:
        for path in sample_files():
            reports.append(library.import_file(path, date=dt.date.fromisoformat(path.stem)))
        library.index()
    return reports
