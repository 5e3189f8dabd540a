"""Where paperreader keeps its files.

Everything lives in one data dir: ``--data-dir`` wins, then the environment
variable ``PAPERREADER_DATA_DIR``, then the platform's user data dir.  Tests and
the demo always pass their own, so they never touch a user's library.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "resolve_data_dir", "DB_NAME", "INDEX_NAME"]

ENV_VAR = "PAPERREADER_DATA_DIR"
DB_NAME = "library.sqlite3"
INDEX_NAME = "index"


def resolve_data_dir(option: str | os.PathLike[str] | None = None) -> Path:
    """The data dir to use, from the option, the environment or the platform."""
    if option:
        return Path(option).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    from platformdirs import user_data_dir  # imported only when needed: start-up time

    return Path(user_data_dir("paperreader", appauthor=False))
