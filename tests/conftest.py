from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperreader.library import Library


@pytest.fixture(autouse=True)
def _no_real_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may touch the user's real library: point the default elsewhere."""
    monkeypatch.setenv("PAPERREADER_DATA_DIR", str(tmp_path_factory.mktemp("default-data-dir")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg")))
    # Nor the user's config file: its auto-exports would write the user's files.
    monkeypatch.delenv("PAPERREADER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def library(data_dir: Path) -> Iterator[Library]:
    with Library(data_dir) as lib:
        yield lib


@pytest.fixture(scope="session")
def _sample_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from paperreader.demo import build_demo_library

    path = tmp_path_factory.mktemp("sample") / "data"
    build_demo_library(path)
    return path


@pytest.fixture
def sample_dir(_sample_template: Path, tmp_path: Path) -> Path:
    """A data dir holding the bundled sample library (a fresh copy per test)."""
    import shutil

    target = tmp_path / "sample-data"
    shutil.copytree(_sample_template, target)
    return target
