"""What is in a cache folder, how big it is, and pruning what nothing uses."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coach.atomic import is_orphaned_temp, is_temp_file
from coach.cache.faults import cache_write_error
from coach.cache.keys import KEY_PATTERN, SHARD_PATTERN
from coach.cache.usage import recorded_usage


@dataclass(frozen=True)
class CacheStats:
    clips: int
    size_bytes: int       # clips plus their index files
    temp_files: int       # being written, or left by renders that were killed; prune() removes those
    hits: int             # lookups that found a clip, over every run that recorded its usage
    misses: int


@dataclass(frozen=True)
class ClipInfo:
    key: str
    text: str             # "" if the index file is missing (a render killed between the two writes)
    identity: str
    wav_size_bytes: int


def keys(root: Path) -> set[str]:
    return {p.stem for p in _files(root) if p.suffix == ".wav" and KEY_PATTERN.fullmatch(p.stem)}


def entries(root: Path) -> Iterator[ClipInfo]:
    """Every clip with its text and voice identity, from the index files."""
    for path in _files(root):
        if path.suffix != ".wav" or not KEY_PATTERN.fullmatch(path.stem):
            continue
        try:
            index = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            size = path.stat().st_size
        except FileNotFoundError:
            index, size = {}, 0
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            index, size = {}, path.stat().st_size
        yield ClipInfo(path.stem, str(index.get("text", "")), str(index.get("identity", "")), size)


def stats(root: Path, hits: int = 0, misses: int = 0) -> CacheStats:
    """Clips and bytes on disk; hit counts from the usage log plus this process's (hits, misses)."""
    clips = total = temps = 0
    for path in _files(root):
        if is_temp_file(path):
            temps += 1
        elif KEY_PATTERN.fullmatch(path.stem) and path.suffix in (".wav", ".json"):
            with contextlib.suppress(FileNotFoundError):  # pruned meanwhile
                total += path.stat().st_size
                if path.suffix == ".wav":
                    clips += 1
    logged_hits, logged_misses = recorded_usage(root)
    return CacheStats(clips, total, temps, logged_hits + hits, logged_misses + misses)


def prune(root: Path, keep_keys: Iterable[str], identity: str | None = None, dry_run: bool = False) -> int:
    """Delete every clip (and index) whose key is not in keep_keys, and the temp files of killed renders.
    With `identity`, only that voice's clips are candidates: other voices' clips stay. With `dry_run`,
    nothing is deleted: the count is of what would be.

    Returns how many clips were (or would be) removed. Files that are not the cache's own are left alone.
    """
    keep = set(keep_keys)
    if identity is not None:
        keep |= {e.key for e in entries(root) if e.identity != identity}
    removed = 0
    for path in _files(root):
        try:
            if is_temp_file(path):
                if is_orphaned_temp(path) and not dry_run:
                    path.unlink()
            elif KEY_PATTERN.fullmatch(path.stem) and path.suffix in (".wav", ".json") and path.stem not in keep:
                if not dry_run:
                    path.unlink()
                if path.suffix == ".wav":
                    removed += 1
        except FileNotFoundError:
            pass   # pruned meanwhile
        except OSError as exc:
            raise cache_write_error(exc, root, path) from exc
    return removed


def remove_orphaned_temps(root: Path) -> int:
    """Remove the temp files of renders that were killed (never those of a render still running)."""
    removed = 0
    for path in _files(root):
        if is_orphaned_temp(path):
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
    return removed


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and SHARD_PATTERN.fullmatch(folder.name):
            yield from sorted(folder.iterdir())

