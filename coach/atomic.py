"""Write files atomically: into a temp file beside the target, then os.replace.

A reader never sees a half-written file, and a failure (an exception, a full disk, Ctrl-C) leaves the
target as it was and no temp file behind. `atomic_files` commits several files together: all are
written first, and only then replaced, one after the other.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

TEMP_SUFFIX = ".tmp"   # temp files are hidden ".NAME.XXXXXXXX.tmp": never taken for a real file

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
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
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
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


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
