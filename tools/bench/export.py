"""Export with a warm cache, against pure encoding, mixing alone, and the espeak-ng + ffmpeg baseline."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from coach.audio_format import CHANNELS, SAMPLE_RATE
from coach.export.mp3 import DEFAULT_BITRATE_KBPS
from tools.bench.config import COACH, ENGINES
from tools.bench.measure import measure, program, quiet, run_once, run_steps, with_tools
from tools.bench.workspace import Workspace, pcm_seconds, scenario_cache, timeline_json, wav_seconds

# How the baseline encodes: what coach's MP3 export writes (channels, rate, bitrate).
FFMPEG_ENCODE = ["-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE), "-b:a", f"{DEFAULT_BITRATE_KBPS}k"]


def bench_export(ws: Workspace, routines: dict[int, Path], warm: dict[str, Path]) -> list[dict]:
    rows = []
    for engine in ENGINES:
        cache = scenario_cache(ws, warm[engine], f"export-{engine}")
        env = ws.env(cache)
        tools_env = with_tools(env)
        for minutes, path in routines.items():
            out = cache.parent / f"{path.stem}.mp3"
            duration_ms = timeline_json(str(path), engine, cache, ws)["duration_ms"]
            export = measure(lambda: run_once([COACH, "export", str(path), "-o", str(out), "--yes", "--engine",
                                               engine, "--force", "--cache-dir", str(cache)], env))
            raw = cache.parent / f"{path.stem}.raw"
            mix_only = program("mix_only", str(path), engine, str(cache))
            quiet([*mix_only, str(raw)], tools_env)   # the PCM, once
            mix = measure(lambda: run_once(mix_only, tools_env))
            level = measure(lambda: run_once(program("level_only", str(path), engine, str(cache)), tools_env))
            prep = measure(lambda: run_once(program("level_only", str(path), engine, str(cache), "--prepare-only"),
                                            tools_env))
            encode = measure(lambda: run_once(program("encode_only", str(raw), str(out) + ".floor.mp3"), tools_env))
            raw_s = pcm_seconds(raw.stat().st_size)
            raw.unlink()
            rows.append({"minutes": minutes, "engine": engine, "audio_s": duration_ms / 1000, "raw_s": raw_s,
                         "export": export, "mix": mix, "encode": encode,
                         "level": level, "prepare": prep})
    return rows


def baseline_ssml(cues: list[dict], duration_ms: int) -> str:
    """The whole routine as one SSML text for the espeak-ng command: each cue's text, then a break for
    the silence the timeline leaves until the next one (measured in this run: a single long break is
    honoured, several breaks in a row are not added up; see probe_ssml_breaks)."""
    speech = sorted((c for c in cues if c["text"] and c["kind"] != "tone"), key=lambda c: c["start_ms"])
    parts = ["<speak>"]
    at_ms = 0
    for cue in speech:
        if cue["start_ms"] > at_ms:
            parts.append(f'<break time="{cue["start_ms"] - at_ms}ms"/>')
        parts.append(escape(cue["text"]))
        at_ms = max(at_ms, cue["end_ms"])
    if duration_ms > at_ms:
        parts.append(f'<break time="{duration_ms - at_ms}ms"/>')
    parts.append("</speak>")
    return "\n".join(parts)


def probe_ssml_breaks(ws: Workspace) -> dict:
    """How espeak-ng honours SSML breaks: one 30 s break, and three 10 s breaks in a row."""
    folder = ws.folder("ssml-probe")
    lengths = {}
    for label, breaks in (("one 30 s break", ['<break time="30000ms"/>']),
                          ("three 10 s breaks", ['<break time="10000ms"/>'] * 3),
                          ("no break", [])):
        text, wav = folder / "probe.ssml", folder / "probe.wav"
        text.write_text("<speak>Hello." + "".join(breaks) + "World.</speak>")
        quiet(["espeak-ng", "-m", "-w", str(wav), "-f", str(text)], ws.env())
        lengths[label] = wav_seconds(wav)
    return lengths


def bench_baseline(ws: Workspace, routines: dict[int, Path], warm_espeak: Path) -> dict:
    """The export a user would script without coach: espeak-ng reads one SSML text, ffmpeg encodes."""
    results = {}
    for minutes, path in routines.items():
        folder = ws.folder(f"baseline-{minutes}")
        timeline = timeline_json(str(path), "espeak", warm_espeak, ws)
        ssml, wav, mp3 = folder / "routine.ssml", folder / "routine.wav", folder / "routine.mp3"
        ssml.write_text(baseline_ssml(timeline["cues"], timeline["duration_ms"]))
        steps = [["espeak-ng", "-m", "-w", str(wav), "-f", str(ssml)],
                 ["ffmpeg", "-y", "-v", "error", "-i", str(wav), *FFMPEG_ENCODE, str(mp3)]]
        stat = measure(lambda steps=steps: run_steps(steps, ws.env()))
        results[minutes] = {"stat": stat, "intended_s": timeline["duration_ms"] / 1000, "wav_s": wav_seconds(wav)}
    return results
