"""Cold render of the library into an empty cache, and the warm caches the later sections start from."""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.bench.config import COACH, ENGINES, Profile
from tools.bench.measure import measure, quiet, run_once
from tools.bench.workspace import Workspace, speech_seconds


def bench_cold_render(ws: Workspace, profile: Profile) -> tuple[dict, dict[str, Path]]:
    """Render the library (or a subset) into an empty cache per run, with 1 and 2 processes.
    Returns the results and, per engine, the last cache (reused to warm the later sections)."""
    names = ["--all"] if profile.library is None else list(profile.library)
    results, caches = {}, {}
    for engine in ENGINES:
        for jobs in (1, 2):
            cache = ws.root / f"cold-{engine}-{jobs}"

            def empty(cache=cache):
                shutil.rmtree(cache, ignore_errors=True)

            cmd = [COACH, "render", *names, "--engine", engine, "--jobs", str(jobs), "--cache-dir", str(cache)]
            stat = measure(lambda cmd=cmd, cache=cache: run_once(cmd, ws.env(cache)), setup=empty)
            results[(engine, jobs)] = {"stat": stat, "speech_s": speech_seconds(cache)}
            caches[engine] = cache
    return results, caches


def warm_cache(ws: Workspace, engine: str, seed: Path | None, refs: list[str]) -> Path:
    """A cache holding every clip of `refs` for `engine`: a copy of `seed` topped up by `coach render`."""
    cache = ws.root / f"warm-{engine}"
    if seed is not None and seed.is_dir():
        shutil.copytree(seed, cache)
    quiet([COACH, "render", *refs, "--engine", engine, "--cache-dir", str(cache)], ws.env(cache))
    return cache
