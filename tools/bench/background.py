"""A background under a real-time session (section `background`): how soon the first sound comes with
`--background` (the bed is synthesised, and the stream opened, before the session starts), and what the
continuous stream costs: the writer's mixing per minute of session, with and without a bed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from tools.bench.sessions import first_sounds, play_command
from tools.bench.workspace import Workspace

BED = "rain"
MIX_MINUTES = 10


def bench_background(ws: Workspace, routine: str, warm: dict[str, Path]) -> dict:
    first: dict[str, dict] = {}
    for name, extra in (("without", []), ("with", ["--background", BED])):
        folder = ws.folder(f"background-{name}")
        cache = folder / "cache"
        shutil.copytree(warm["piper"], cache)
        cmd, env_for = play_command(ws, routine, "piper", cache)
        first[name] = first_sounds(cmd + extra, env_for, folder, lambda: None)
    return {"routine": routine, "bed": BED, "first_sound": first, "mixing": _mixing_cost()}


def _mixing_cost() -> dict:
    """Seconds of CPU the stream's writer spends per minute of session: a spoken cue every 5 s, mixed
    20 ms at a time, with the bed under it and without (the baseline)."""
    from coach.audio_format import SAMPLE_RATE, ms_to_samples
    from coach.background.bed import load_background
    from coach.background.follow import SessionBed
    from coach.player.stream import PERIOD_SAMPLES, StreamOutput
    from coach.timeline.model import Chapter, Cue, Timeline

    duration_ms = MIX_MINUTES * 60_000
    cues = tuple(Cue(ms, ms + 2_000, "instruction", f"Cue {i}.") for i, ms in enumerate(range(1_000, duration_ms - 3_000, 5_000)))
    timeline = Timeline("bench", "Bench", duration_ms, cues, (Chapter("All", 0, duration_ms),))
    speech = np.round(np.sin(np.arange(ms_to_samples(2_000)) * 0.05) * 6000).astype(np.int16)
    out = {}
    for name in ("without", "with"):
        stream = StreamOutput(open_pcm=lambda _device: None)
        played = [0]
        if name == "with":
            stream.set_bed(SessionBed(load_background(BED), timeline, lambda: played[0] * 1000 / SAMPLE_RATE))
        starts = iter(ms_to_samples(c.start_ms) for c in cues)
        next_start = next(starts, None)
        started = time.process_time()
        while played[0] < ms_to_samples(duration_ms):
            if next_start is not None and played[0] >= next_start:
                stream.play(speech)
                next_start = next(starts, None)
            stream.mix_period()
            played[0] += PERIOD_SAMPLES
        out[name] = (time.process_time() - started) / MIX_MINUTES
    return {"minutes": MIX_MINUTES, "cpu_s_per_min": out}
