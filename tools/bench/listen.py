"""Voice commands (section `listen`): detection per command in noise, false triggers per hour on
coach's own voice (with and without the gate) and on other speech, and the latency of a decision."""

from __future__ import annotations

import re
import statistics
import subprocess
from pathlib import Path

import numpy as np

from tools.bench.config import COACH, ROOT, ROUTINES
from tools.bench.workspace import Workspace, timeline_json

# (engine, voice, rate): both engines, several voices and speaking rates
FULL_VOICES = (("piper", None, 150), ("piper", None, 175), ("piper", None, 220),
               ("espeak", "gmw/en-us", 150), ("espeak", "gmw/en-us", 200), ("espeak", "gmw/en-gb-x-rp", 175),
               ("espeak", "gmw/en-us-nyc", 175))
QUICK_VOICES = (("piper", None, 175), ("espeak", "gmw/en-us", 175))
SNRS = (40.0, 10.0, 0.0)   # 40 dB: a quiet room (a microphone is never digitally silent)


def bench_listen(ws: Workspace, quick: bool, warm: dict[str, Path]) -> dict:
    from coach.listen.gate import TAIL_MS
    from coach.listen.recognizer import CONFIDENCE_MIN, CommandRecognizer
    from tools import listen_eval as ev

    recognizer = CommandRecognizer()
    voices = QUICK_VOICES if quick else FULL_VOICES
    clips = _command_clips(voices)
    trials = ev.detection_trials(clips, SNRS, recognizer)
    by_command: dict[str, dict[str, list[bool]]] = {}
    for t in trials:
        by_command.setdefault(t.expected, {}).setdefault(_snr_name(t.snr_db), []).append(t.correct)
    detection = {cmd: {snr: sum(v) / len(v) for snr, v in per.items()} for cmd, per in by_command.items()}
    wrong = sum(1 for t in trials if t.heard is not None and not t.correct)
    latencies = [t.latency_ms for t in trials if t.correct and t.latency_ms is not None]
    stop_latencies = [t.latency_ms for t in trials if t.correct and t.expected == "safety-stop" and t.latency_ms is not None]

    routines = ROUTINES[:1] if quick else ROUTINES
    own = _own_voice(ws, routines, warm["piper"], recognizer, TAIL_MS / 1000)
    other = _other_speech(voices, recognizer)
    wake = _with_wake_word(voices)
    beds = _beds(recognizer, 2 if quick else 10)
    return {"voices": [f"{e} {v or 'default'} {r}" for e, v, r in voices], "trials": len(trials),
            "confidence_min": CONFIDENCE_MIN, "detection": detection, "wrong_command": wrong,
            "latency_median_ms": statistics.median(latencies) if latencies else None,
            "latency_p95_ms": _p95(latencies), "stop_latency_median_ms": statistics.median(stop_latencies) if stop_latencies else None,
            "own_voice": own, "other_speech": other, "wake_word": wake,
            "beds": beds}


def _beds(recognizer, minutes: int) -> dict:
    """Each built-in background alone, as the microphone hears it between cues under --background."""
    from coach.audio_format import SAMPLE_RATE, ms_to_samples
    from coach.background import BUILTIN_BEDS
    from coach.background.bed import bed_pcm, load_background
    from coach.timeline.model import Timeline
    from tools import asr
    from tools import listen_eval as ev

    timeline = Timeline("bed", "Bed", minutes * 60_000, (), ())
    triggers = {}
    for name in BUILTIN_BEDS:
        bed = bed_pcm(load_background(name), timeline, 0, ms_to_samples(minutes * 60_000))
        pcm = np.clip(np.round(bed), -32768, 32767).astype(np.int16)
        found = ev.listen_through(asr.resample_for_recognizer(pcm, SAMPLE_RATE), recognizer)
        triggers[name] = [f"{at:.0f} s: {phrase}" for at, phrase, _c, _s in found]
    return {"minutes": minutes, "triggers": triggers}


def _with_wake_word(voices) -> dict:
    """The same measures with --wake-word: "Coach, pause." in two voices, and the same other speech."""
    from coach.listen.recognizer import CommandRecognizer
    from tools import listen_eval as ev

    recognizer = CommandRecognizer(wake_word=True)
    trials = ev.detection_trials(_command_clips(QUICK_VOICES, wake_word=True), SNRS[:2], recognizer)
    detected: dict[str, list[bool]] = {}
    for t in trials:
        detected.setdefault(_snr_name(t.snr_db), []).append(t.correct)
    return {"voices": [f"{e} {v or 'default'} {r}" for e, v, r in QUICK_VOICES], "trials": len(trials),
            "detected": {snr: sum(v) / len(v) for snr, v in detected.items()},
            "other_speech": _other_speech(voices, recognizer)}


def _snr_name(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB SNR"


def _p95(values: list[float]) -> float | None:
    return float(np.percentile(values, 95)) if values else None


def _command_clips(voices, wake_word: bool = False) -> dict[tuple[str, str], np.ndarray]:
    from coach.listen.commands import PHRASE_COMMANDS, WAKE_WORD
    from tools.listen_eval import render_16k

    clips = {}
    texts = [f"{WAKE_WORD.capitalize()}, {p}." if wake_word else p.capitalize() + "." for p in PHRASE_COMMANDS]
    for engine, voice, rate in voices:
        name = f"{engine} {voice or 'default'} {rate}"
        rendered = render_16k(engine, texts, voice, rate)
        clips.update({(name, phrase): pcm for phrase, pcm in zip(PHRASE_COMMANDS, rendered)})
    return clips


def _own_voice(ws: Workspace, routines, cache: Path, recognizer, tail_s: float) -> dict:
    """Each routine exported (Piper, the default voice), heard as a microphone would hear the speaker:
    with the session's gate, and as if the gate failed."""
    from tools import asr
    from tools import listen_eval as ev

    hours, gated, ungated, heard_ungated = 0.0, 0, 0, []
    for routine in routines:
        wav = ws.folder(f"listen-{routine}") / f"{routine}.wav"
        subprocess.run([COACH, "export", routine, "-o", str(wav), "--engine", "piper", "--cache-dir", str(cache), "--yes"],
                       check=True, capture_output=True, env=ws.env(cache))
        pcm, rate = asr.read_wav(wav)
        audio = asr.resample_for_recognizer(pcm, rate)
        cues = timeline_json(routine, "piper", cache, ws)["cues"]
        sounds = [(c["start_ms"] / 1000, c["end_ms"] / 1000) for c in cues if c["kind"] == "tone" or c["text"]]
        hours += len(audio) / 16000 / 3600
        gated += len(ev.listen_through(audio, recognizer, ev.IntervalGate(sounds, tail_s)))
        found = ev.listen_through(audio, recognizer)
        ungated += len(found)
        heard_ungated += [f"{routine} {at:.0f} s: {phrase}" for at, phrase, _cmd, _s in found]
    return {"routines": list(routines), "hours": hours, "gated": gated, "ungated": ungated,
            "gated_per_hour": gated / hours, "ungated_per_hour": ungated / hours, "ungated_heard": heard_ungated[:12]}


def _other_speech(voices, recognizer) -> dict:
    """Speech that holds no command: the prose of coach's docs, sentence by sentence, and short remarks
    a person might make on the mat, each followed by a pause."""
    from tools import listen_eval as ev

    sentences = _doc_sentences()
    remarks = [r.capitalize() + "." for r in ev.NOT_COMMANDS]
    hours, triggers, examples = 0.0, 0, []
    for engine, voice, rate in voices[:2]:
        audio = ev.with_gaps(ev.render_16k(engine, sentences + remarks, voice, rate), 0.8)
        hours += len(audio) / 16000 / 3600
        found = ev.listen_through(audio, recognizer)
        triggers += len(found)
        examples += [f"{engine} {at:.0f} s: {phrase}" for at, phrase, _c, _s in found]
    return {"hours": hours, "triggers": triggers, "per_hour": triggers / hours, "sentences": len(sentences),
            "remarks": len(remarks), "examples": examples[:12]}


def _doc_sentences(limit: int = 150) -> list[str]:
    text = "\n".join((ROOT / "docs" / name).read_text(encoding="utf-8")
                     for name in ("exercise-library.md", "background.md", "script-format.md"))
    prose = " ".join(line for line in text.splitlines()
                     if line and not line.startswith(("#", "|", "`", " ", "-", ">", "```")))
    prose = re.sub(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|\*", " ", prose)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", prose) if 20 <= len(s.strip()) <= 200]
    return sentences[:limit]
