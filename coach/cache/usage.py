"""The usage log: every run appends its hits and misses, so `coach cache` can show a hit rate across runs."""

from __future__ import annotations

import contextlib
from pathlib import Path

USAGE_LOG = "usage.log"


def append_usage(root: Path, hits: int, misses: int) -> None:
    """One short line, appended: concurrent runs do not clobber each other. Best effort."""
    if not (hits or misses):
        return
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
        with open(root / USAGE_LOG, "a", encoding="ascii") as log:
            log.write(f"{hits} {misses}\n")


def recorded_usage(root: Path) -> tuple[int, int]:
    """(hits, misses) over every run that recorded its usage; damaged lines are skipped."""
    hits = misses = 0
    with contextlib.suppress(OSError):
        for line in (root / USAGE_LOG).read_text(encoding="ascii").splitlines():
            parts = line.split()
            if len(parts) == 2 and all(p.isdigit() for p in parts):
                hits, misses = hits + int(parts[0]), misses + int(parts[1])
    return hits, misses
