"""Where paperreader keeps its files.

Everything lives in one data dir: ``--data-dir`` wins, then the environment
variable ``PAPERREADER_DATA_DIR``, then the platform's user data dir.  Tests and
the demo always pass their own, so they never touch a user's library.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = [
    "ENV_VAR", "resolve_data_dir", "DB_NAME", "INDEX_NAME",
    "DISK_FULL", "READ_ONLY", "NO_PERMISSION", "write_refusal", "fs_refusal", "describe_refusal",
    "free_bytes", "mount_point", "format_bytes",
]

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


# -- when the file system refuses to write -------------------------------------------
#
# A full disk and a read-only mount are not damage: the library is sound and
# can still be read.  Every module that writes (the store, the index, the
# import) names the cause with these words, so the user is told once and
# plainly what happened and what to do, and reading carries on.

#: Why a write was refused: the words the messages use.
DISK_FULL = "disk full"
READ_ONLY = "read-only file system"
NO_PERMISSION = "no permission to write"

#: Below this much free space a failed write is put down to a full disk:
#: SQLite needs 32 KB for its shared-memory file and a few pages for a commit.
LOW_SPACE = 1 << 20


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (statvfs needs a real path)."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def free_bytes(path: Path) -> int | None:
    """Free space for unprivileged writes on the file system holding ``path`` (None if unknown)."""
    try:
        info = os.statvfs(_existing(path))
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return None
    return info.f_bavail * info.f_frsize


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path``: where space must be freed.

    Linux lists its mounts in ``/proc/self/mounts`` (a bind mount shares its
    device with the folder it shows, so ``os.path.ismount`` misses it); the
    longest one containing ``path`` is it.  Elsewhere: the walk up to a device change.
    """
    path = _existing(path).resolve()
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as handle:
            # Fields are space-separated, with spaces in a path written as \040.
            points = [Path(line.split()[1].replace("\\040", " ")) for line in handle if len(line.split()) > 1]
    except OSError:
        points = []
    found = [point for point in points if path == point or point in path.parents]
    if found:
        return max(found, key=lambda point: len(point.parts))
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def format_bytes(count: int) -> str:
    """``1536`` is "1.5 KB": sizes as a person reads them (decimal units, like df -H)."""
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"  # pragma: no cover - the loop returns


def fs_refusal(path: Path) -> str | None:
    """Why writes under ``path`` would fail now, if the file system is why.

    ``READ_ONLY`` for a read-only mount, ``NO_PERMISSION`` when the folder or
    file may not be written (for root, permissions never stop a write; a
    read-only mount does), ``DISK_FULL`` when less than :data:`LOW_SPACE` is
    free; None when none of these holds (a failure has another cause).
    """
    existing = _existing(path)
    try:
        if os.statvfs(existing).f_flag & os.ST_RDONLY:
            return READ_ONLY
    except (OSError, AttributeError):
        pass
    folder = existing if existing.is_dir() else existing.parent
    if not os.access(folder, os.W_OK) or (existing.is_file() and not os.access(existing, os.W_OK)):
        return NO_PERMISSION
    free = free_bytes(existing)
    if free is not None and free < LOW_SPACE:
        return DISK_FULL
    return None


def write_refusal(error: BaseException, path: Path) -> str | None:
    """Why a failed write failed, if the file system refused it (None: another cause)."""
    if not isinstance(error, OSError):
        return None
    if error.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return DISK_FULL
    if error.errno == errno.EROFS:
        return READ_ONLY
    if error.errno in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    return None


def describe_refusal(reason: str, path: Path) -> str:
    """The refusal in words, with where: "disk full: 0 B free on /mnt"."""
    if reason == DISK_FULL:
        free = free_bytes(path)
        return f"{DISK_FULL}: {format_bytes(free) if free is not None else 'no space'} free on {mount_point(path)}"
    if reason == READ_ONLY:
        return f"{READ_ONLY}: {mount_point(path)}"
    if reason == NO_PERMISSION:
        folder = _existing(path)
        return f"{NO_PERMISSION} in {folder if folder.is_dir() else folder.parent}"
    return reason
