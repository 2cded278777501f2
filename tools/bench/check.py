"""The independent audio check (scripts/check-audio) per voice, and the recognizer on raw clips as a control."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tools.bench.config import ENGINES, PYTHON, ROOT, BenchError
from tools.bench.workspace import Workspace, scenario_cache, timeline_json


def bench_check(ws: Workspace, routine: str, warm: dict[str, Path]) -> dict:
    """scripts/check-audio per voice, and a control: the recognizer on the engine's raw clips alone."""
    results: dict[str, dict] = {}
    for engine in ENGINES:
        cache = scenario_cache(ws, warm[engine], f"check-{engine}")
        run = subprocess.run([PYTHON, str(ROOT / "scripts" / "check-audio"), routine, "--engine", engine, "--json",
                              "--cache-dir", str(cache)], capture_output=True, text=True, env=ws.env(cache))
        if run.returncode not in (0, 1):   # 1 = a cue unheard: still a result to report
            results[engine] = {"error": run.stderr.strip()[-300:]}
            continue
        report = json.loads(run.stdout)
        results[engine] = {"summary": report["summary"], "raw_clip_wer": raw_clip_wer(routine, engine, cache, ws)}
    return results


def raw_clip_wer(routine: str, engine: str, cache: Path, ws: Workspace) -> float:
    """WER of the recognizer on each cue's clip as the engine made it (no mixing, one clip per
    utterance): how much of the export's WER is the voice and the recognizer, not coach."""
    import numpy as np

    from coach.audio_format import SAMPLE_RATE
    from coach.cache import ClipCache
    from coach.speech import get_voice
    from tools import asr

    voice, clips = get_voice(engine), ClipCache(cache)
    reference, heard = [], []
    cues = [c for c in timeline_json(routine, engine, cache, ws)["cues"] if c["text"] and c["kind"] != "tone"]
    for cue in cues:
        clip = clips.get(voice, cue["text"])
        if clip is None:
            raise BenchError(f"clip missing from the warm cache: {cue['text']!r}")
        pcm = asr.resample_for_recognizer(np.asarray(clip, dtype=np.int16), SAMPLE_RATE)
        reference += asr.normalise_words(cue["text"])
        heard += [part for w in asr.transcribe(pcm) for part in w.text.split()]
    return asr.word_error_rate(reference, heard)
