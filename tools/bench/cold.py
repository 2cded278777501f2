"""Sound within a second, cold or warm (issue 10): first sound through the real CLI and ALSA capture
with an empty and with a warm cache, and whole cold sessions counting every wait for the voice."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tools.bench.config import ENGINES, PLAY_TIMEOUT_S, PYTHON, ROOT
from tools.bench.sessions import first_sounds, play_command
from tools.bench.workspace import Workspace


def bench_first_sound(ws: Workspace, routines: tuple[str, ...]) -> dict:
    """(routine, engine, "cold" | "warm") -> median first sound over fresh processes."""
    results: dict = {}
    for routine in routines:
        for engine in ENGINES:
            folder = ws.folder(f"first-{routine}-{engine}")
            cache = folder / "cache"
            cmd, env_for = play_command(ws, routine, engine, cache)

            def empty(cache=cache):
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir()

            results[(routine, engine, "cold")] = first_sounds(cmd, env_for, folder, empty)
            # Warm: the cache one whole (fast-clock) session leaves behind, as after a first play.
            empty()
            cold_session(routine, engine, cache, speed=8.0)
            results[(routine, engine, "warm")] = first_sounds(cmd, env_for, folder, lambda: None)
    return results


def bench_cold_sessions(ws: Workspace, runs: list[tuple[str, float]]) -> list[dict]:
    """Whole sessions on an empty cache, for each (routine, clock speed) and engine."""
    rows = []
    for routine, speed in runs:
        for engine in ENGINES:
            cache = ws.folder(f"cold-{routine}-{engine}-{speed:g}x") / "cache"
            rows.append(cold_session(routine, engine, cache, speed))
    return rows


def cold_session(routine: str, engine: str, cache: Path, speed: float) -> dict:
    out = subprocess.run([PYTHON, "-m", "tools.bench.cold_session", routine, engine, str(cache), str(speed)],
                         capture_output=True, text=True, cwd=ROOT, timeout=PLAY_TIMEOUT_S * 4)
    if out.returncode != 0:
        return {"routine": routine, "engine": engine, "speed": speed, "error": out.stderr.strip()[-300:]}
    return json.loads(out.stdout.strip().splitlines()[-1])
