"""What a failed write into the cache means to the person: one line naming the folder, the cause and the fix."""

from __future__ import annotations

import errno
from pathlib import Path

from coach.errors import CacheWriteError

_ELSEWHERE = "choose another cache folder (--cache-dir or COACH_CACHE_DIR)"


def cache_write_error(exc: OSError, root: Path, path: Path) -> CacheWriteError:
    """`exc` raised while writing `path` (a clip, its index or folder) inside the cache at `root`."""
    where = f"cannot write the audio cache {root}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return CacheWriteError(f"{where}: the disk is full; free some space or {_ELSEWHERE}")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        cause = "it is on a read-only file system" if exc.errno == errno.EROFS else "permission denied"
        return CacheWriteError(f"{where}: {cause}; {_ELSEWHERE}")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        blocker = _file_in_the_way(path, root)
        if blocker is not None:
            return CacheWriteError(f"{where}: {blocker} is a file, not a folder; move it away or {_ELSEWHERE}")
    if exc.errno == errno.EISDIR:
        return CacheWriteError(f"{where}: {path} is a folder where a clip belongs; remove it or {_ELSEWHERE}")
    return CacheWriteError(f"{where}: {exc.strerror or exc}; {_ELSEWHERE}")


def _file_in_the_way(path: Path, root: Path) -> Path | None:
    """The nearest existing ancestor of `path` (up to the root's) that is not a folder."""
    for folder in Path(path).parents:
        if folder.exists():
            return None if folder.is_dir() else folder
        if folder == root.parent:
            break
    return None
