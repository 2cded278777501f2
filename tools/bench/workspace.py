"""The bench's temp folders and environment, routines built to a length, and facts read from files."""

from __future__ import annotations

import json
import os
import shutil
import wave
from pathlib import Path

from coach.audio_format import SAMPLE_RATE, SAMPLE_WIDTH
from coach.wav import HEADER_BYTES
from tools.bench.coachapi import compile_ref
from tools.bench.config import COACH, CYCLE, Profile
from tools.bench.measure import quiet


class Workspace:
    """Temp folders, and an environment that never touches the user's cache, answers or history."""

    def __init__(self, root: Path):
        self.root = root
        self._count = 0

    def folder(self, name: str) -> Path:
        self._count += 1
        path = self.root / f"{self._count:02d}-{name}"
        path.mkdir(parents=True)
        return path

    def env(self, cache_dir: Path | None = None, alsa_config: Path | None = None) -> dict[str, str]:
        env = {**os.environ, "COACH_CONFIG": str(self.root / "screening.json"),
               "COACH_HISTORY_DB": str(self.root / "history.sqlite"), "PYTHONDONTWRITEBYTECODE": "1"}
        env["COACH_CACHE_DIR"] = str(cache_dir or self.root / "no-cache")
        if alsa_config is not None:
            env["ALSA_CONFIG_PATH"] = str(alsa_config)
        return env


def timeline_json(ref: str, engine: str, cache_dir: Path, ws: Workspace) -> dict:
    return json.loads(quiet([COACH, "show", ref, "--json", "--engine", engine, "--cache-dir", str(cache_dir)],
                            ws.env(cache_dir)))


def scenario_cache(ws: Workspace, warm: Path, name: str) -> Path:
    """A private copy of a warm cache, so no scenario sees another's writes (usage log, new clips)."""
    cache = ws.folder(name) / "cache"
    shutil.copytree(warm, cache)
    return cache


def pcm_seconds(size_bytes: int) -> float:
    """Seconds of coach's PCM (SAMPLE_WIDTH bytes a sample, mono, SAMPLE_RATE) in size_bytes."""
    return size_bytes / SAMPLE_WIDTH / SAMPLE_RATE


def speech_seconds(cache_dir: Path) -> float:
    """Seconds of audio in the cache's clips (coach's WAVs: mono PCM behind a HEADER_BYTES header)."""
    return pcm_seconds(sum(p.stat().st_size - HEADER_BYTES for p in cache_dir.glob("*/*.wav")))


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


# -- routines -----------------------------------------------------------------------------------------------

def routine_yaml(name: str, minutes: int, exercises: list[str]) -> str:
    lines = ["format: 1", "kind: routine", f"name: {name}", f"title: Benchmark {minutes} minutes",
             f"description: Built-in exercises repeated to about {minutes} minutes, for scripts/bench.",
             "sequence:"]
    return "\n".join(lines + [f"  - {e}" for e in exercises]) + "\n"


def build_routine(folder: Path, minutes: int) -> Path:
    """A routine of CYCLE's exercises, repeated until its (estimated) timeline reaches `minutes`."""
    name = f"bench-{minutes}min"
    path = folder / f"{name}.yaml"
    exercises: list[str] = []
    duration_ms = 0
    while duration_ms < minutes * 60_000:
        exercises.append(CYCLE[len(exercises) % len(CYCLE)])
        path.write_text(routine_yaml(name, minutes, exercises))
        duration_ms = compile_ref(str(path)).duration_ms
    return path


def build_routines(ws: Workspace, profile: Profile) -> dict[int, Path]:
    folder = ws.folder("routines")
    routines = {minutes: build_routine(folder, minutes) for minutes in profile.lengths_min}
    quiet([COACH, "validate", *map(str, routines.values())], ws.env())
    return routines
