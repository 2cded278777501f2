"""`coach play` and `coach live` through ALSA's file plugin: when the first sound comes, how late cues are."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tools.bench.config import COACH, ENGINES, LONG_S, PLAY_TIMEOUT_S, POLL_S, RUNS, STOP_ATTEMPTS, STOP_WAIT_S
from tools.bench.workspace import Workspace, timeline_json

# ALSA's default device writes what is played to a raw file (over the null device: no sound card).
CAPTURE_CONFIG = """pcm.!default {{
    type file
    slave.pcm {{ type null }}
    file "{raw}"
    format "raw"
}}
"""

# Cache states for `coach play`: "cold" = empty; "rendered" = after `coach render ROUTINE` (what the
# docs tell users to do); "warm" = after one earlier play in the same cache (which also holds what play
# renders beyond the routine itself).
PLAY_STATES = ("warm", "rendered", "cold")


@dataclass
class SessionRun:
    first_sound_s: float | None
    wall_s: float
    exit_code: int
    stderr: str


def run_session(cmd: list[str], env_for, folder: Path, until_first_sound: bool, timeout_s: float) -> SessionRun:
    """Run play/live with ALSA writing what is played to a raw file; the first sound is when that file
    first holds data, measured from launch (the timing log's times are relative to the session's own
    start, so they cannot show the start-up). With until_first_sound the session is then stopped
    with Ctrl-C; otherwise it runs to the end."""
    raw, config = folder / "capture.raw", folder / "capture.conf"
    raw.unlink(missing_ok=True)
    config.write_text(CAPTURE_CONFIG.format(raw=raw))
    err_path = folder / "stderr.txt"
    # A fresh history per session: many starts of one routine in a day make coach add a warning.
    env = {**env_for(config), "COACH_HISTORY_DB": str(folder / f"history-{time.time_ns()}.sqlite")}
    with open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env)
        first_sound_s = _wait_for_first_sound(proc, raw, start, timeout_s)
        if until_first_sound:
            _stop(proc)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        wall_s = time.perf_counter() - start
    return SessionRun(first_sound_s, wall_s, proc.returncode, err_path.read_text(errors="replace").strip())


def _stop(proc: subprocess.Popen) -> None:
    """Ctrl-C, and again: the first starts coach's spoken guided exit, the second skips it."""
    for _ in range(STOP_ATTEMPTS):
        if proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_WAIT_S)
    if proc.poll() is None:
        proc.kill()


def _wait_for_first_sound(proc: subprocess.Popen, raw: Path, start: float, timeout_s: float) -> float | None:
    while time.perf_counter() - start < timeout_s:
        try:
            if _holds_sound(raw):
                return time.perf_counter() - start
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            return None
        time.sleep(POLL_S)
    return None


def _holds_sound(raw: Path) -> bool:
    """The capture holds a sample that is not silence (a continuous stream, as under --background,
    writes silence from the moment it opens)."""
    with raw.open("rb") as f:
        return any(f.read())


def play_command(ws: Workspace, routine: str, engine: str, cache: Path):
    """`coach play` on a cache of its own, and the environment for it given an ALSA config."""
    cmd = [COACH, "play", routine, "--engine", engine, "--yes", "--cache-dir", str(cache)]

    def env_for(config: Path) -> dict[str, str]:
        return ws.env(cache, config)

    return cmd, env_for


def bench_play(ws: Workspace, routine: str, warm: dict[str, Path]) -> dict:
    results = {}
    for engine in ENGINES:
        for state in PLAY_STATES:
            folder = ws.folder(f"play-{engine}-{state}")
            cache = folder / "cache"
            cmd, env_for = play_command(ws, routine, engine, cache)

            def reset(engine=engine, state=state, cache=cache):
                if state == "warm" and cache.is_dir():
                    return  # stays warm from the previous run
                shutil.rmtree(cache, ignore_errors=True)
                if state == "cold":
                    cache.mkdir()
                    return
                shutil.copytree(warm[engine], cache)

            if state == "warm":  # one untimed play first, so the cache holds everything play needs
                reset()
                run_session(cmd, env_for, folder, until_first_sound=True, timeout_s=PLAY_TIMEOUT_S)
            results[(engine, state)] = first_sounds(cmd, env_for, folder, reset)
    return results


def first_sounds(cmd, env_for, folder: Path, setup) -> dict:
    firsts = []
    for _ in range(RUNS):
        setup()
        run = run_session(cmd, env_for, folder, until_first_sound=True, timeout_s=PLAY_TIMEOUT_S)
        if run.first_sound_s is None:
            return {"error": f"no sound (exit {run.exit_code}): {run.stderr[-300:]}"}
        firsts.append(run.first_sound_s)
        if run.first_sound_s > LONG_S:
            break
    return {"first_sound_s": statistics.median(firsts), "runs": len(firsts), "all_s": firsts}


def bench_live(ws: Workspace, routine: str, engine: str = "espeak") -> dict:
    """A whole live session in real time; lateness of every cue from its --timing-log."""
    folder = ws.folder(f"live-{engine}")
    cache = folder / "cache"
    log = folder / "timing.jsonl"
    # The estimate-based timeline of `show`; live plans on longer estimates, hence the generous timeout.
    estimated_s = timeline_json(routine, engine, cache, ws)["duration_ms"] / 1000
    cmd = [COACH, "live", routine, "--engine", engine, "--yes", "--timing-log", str(log), "--cache-dir", str(cache)]
    run = run_session(cmd, lambda cfg: ws.env(cache, cfg), folder, until_first_sound=False,
                      timeout_s=estimated_s * 1.5 + 120)
    if run.exit_code != 0 or not log.exists():
        return {"error": f"exit {run.exit_code}: {run.stderr[-300:]}"}
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    late = sorted(e["late_ms"] for e in entries)
    if not late:
        return {"error": "the timing log is empty"}
    return {"engine": engine, "routine": routine, "cues": len(late), "median_ms": statistics.median(late),
            "p95_ms": _percentile(late, 95), "max_ms": late[-1], "first_sound_s": run.first_sound_s,
            "wall_s": run.wall_s, "duration_s": max(e["scheduled_ms"] for e in entries) / 1000}


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: a value that really occurred)."""
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]
