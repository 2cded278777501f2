"""Write files atomically: into a temp file beside the target, then os.replace.

A reader never sees a half-written file, and a failure (an exception, a full disk, Ctrl-C) leaves the
target as it was and no temp file behind. `atomic_files` commits several files together: all are
written first, and only then replaced, one after the other.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"   # temp files are hidden ".NAME.coach-PID-XXXXXXXX.tmp": never taken for a real file
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.coach-(?P<pid>[0-9]+)-[a-z0-9_]{8}\.tmp")
# Before temp names carried a pid: ".NAME.XXXXXXXX.tmp". Whose they were is unknown, so only old ones go.
_LEGACY_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp")
LEGACY_STALE_S = 3600  # no export or render takes an hour to write one file

# Seam for tests: how a temp file's descriptor becomes a file object (e.g. to simulate a full disk).
_fdopen = os.fdopen


class AtomicFiles:
    """Temp files opened with `open`, replaced onto their targets by `atomic_files` on success."""

    def __init__(self) -> None:
        self._entries: list[tuple[Path, Path, IO[Any]]] = []   # (target, temp, file)

    def open(self, path: Path, mode: str = "wb") -> IO[Any]:
        """A new temp file in path's folder that will become `path`. mode: "wb" or "w" (UTF-8)."""
        if mode not in ("wb", "w"):
            raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
        path = Path(path)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.coach-{os.getpid()}-",
                                         suffix=TEMP_SUFFIX)
        temp = Path(temp_name)
        try:
            os.fchmod(fd, _final_mode(path))
            file = _fdopen(fd, mode, encoding="utf-8", newline="") if mode == "w" else _fdopen(fd, mode)
        except BaseException:
            os.close(fd)
            temp.unlink(missing_ok=True)
            raise
        self._entries.append((path, temp, file))
        return file

    def _commit(self) -> None:
        for _target, _temp, file in self._entries:
            file.flush()
            os.fsync(file.fileno())  # data on disk before the rename makes it visible
            file.close()
        # Replace in opening order: open the main file last so it appears once the rest are in place.
        for target, temp, _file in self._entries:
            os.replace(temp, target)
        _fsync_dirs({target.parent for target, _temp, _file in self._entries})

    def _discard(self) -> None:
        for _target, temp, file in self._entries:
            try:
                file.close()
            except OSError:
                pass  # e.g. a full disk again while flushing: the file is being thrown away anyway
            temp.unlink(missing_ok=True)


@contextmanager
def atomic_files() -> Iterator[AtomicFiles]:
    """Open several temp files with `.open(path)`; on success all are replaced onto their targets.

    On any exception (KeyboardInterrupt included) every temp file is removed and the targets are left
    untouched. If a replace itself fails halfway, the files replaced before it stay replaced.
    """
    files = AtomicFiles()
    try:
        yield files
        files._commit()
    except BaseException:
        files._discard()
        raise


@contextmanager
def atomic_write(path: Path, mode: str = "wb") -> Iterator[IO[Any]]:
    """Write one file atomically: `with atomic_write(p) as f: f.write(...)`."""
    with atomic_files() as files:
        yield files.open(path, mode)


def is_temp_file(path: Path) -> bool:
    """Whether `path` is named like one of coach's temp files (this version's or an older one's)."""
    return bool(_TEMP_NAME.fullmatch(path.name) or _LEGACY_TEMP_NAME.fullmatch(path.name))


def is_orphaned_temp(path: Path, now: float | None = None) -> bool:
    """A coach temp file whose writer is gone: its pid is not alive (or, for an old name without a
    pid, it is over an hour old). A temp file of a live process is never orphaned."""
    match = _TEMP_NAME.fullmatch(path.name)
    if match:
        return not _pid_alive(int(match["pid"]))
    if _LEGACY_TEMP_NAME.fullmatch(path.name):
        try:
            age_s = (time.time() if now is None else now) - path.lstat().st_mtime
        except OSError:
            return False
        return age_s > LEGACY_STALE_S
    return False


def remove_orphaned_temps(folder: Path, legacy_suffixes: tuple[str, ...] = ()) -> int:
    """Remove the orphaned coach temp files in `folder`: every one named with a dead pid, and those with
    an old name (no pid) only for targets ending in `legacy_suffixes` (such names are not unique to
    coach). Best effort: what cannot be listed or removed stays. Returns how many were removed."""
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        legacy = _LEGACY_TEMP_NAME.fullmatch(name) if not _TEMP_NAME.fullmatch(name) else None
        if legacy is not None and not (legacy_suffixes and legacy["target"].lower().endswith(legacy_suffixes)):
            continue
        path = Path(folder) / name
        if path.is_symlink() or not path.is_file() or not is_orphaned_temp(path):
            continue
        try:
            path.unlink()
            removed += 1
        except OSError:
            pass
    return removed


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True   # it exists, as another user's process (EPERM)
    return True


def _final_mode(path: Path) -> int:
    # mkstemp makes 0600 files; give the result the mode a plain open() would (or keep the old one).
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dirs(dirs: set[Path]) -> None:
    for folder in dirs:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue  # not supported everywhere; the data itself is already synced
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
