"""Voice commands (section `listen`): detection per command in noise over ten voices, false accepts on
coach's own voice, the beds and an hour of other speech (synthetic and human), latency, the
recognizer's cost, and a live session's cue lateness while it listens. Synthesised corpora are cached
on disk (~/.cache/coach-bench/listen) so a second run spends its time on recognition only."""

from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np

from tools.bench.config import COACH, ROOT, ROUTINES
from tools.bench.workspace import Workspace, timeline_json

# (engine, voice, rate, pitch shift in cents, tempo): Piper at three rates, four espeak-ng accents, and
# three pitch/tempo-shifted copies (sox), new speakers to the recognizer
FULL_VOICES = (("piper", None, 150, 0, 1.0), ("piper", None, 175, 0, 1.0), ("piper", None, 220, 0, 1.0),
               ("espeak", "gmw/en-us", 150, 0, 1.0), ("espeak", "gmw/en-us", 200, 0, 1.0),
               ("espeak", "gmw/en-gb-x-rp", 175, 0, 1.0), ("espeak", "gmw/en-us-nyc", 175, 0, 1.0),
               ("piper", None, 175, 350, 0.92), ("piper", None, 175, -300, 1.1), ("espeak", "gmw/en-us", 175, 400, 1.1))
QUICK_VOICES = (FULL_VOICES[1], FULL_VOICES[3])
SNRS = (10.0, 0.0)
REMARK_NOISE_SNR = 10.0        # the remarks said in noise, as loud as the command trials at 10 dB
# Other speech in these voices: espeak-ng's are quick to render; the endpointer cuts Piper's commas
# into more short pieces, each a decode, so it reads the remarks only
SENTENCE_VOICES = (FULL_VOICES[3], FULL_VOICES[4], FULL_VOICES[5], FULL_VOICES[6], FULL_VOICES[9],
                   ("espeak", "gmw/en-gb-scotland", 175, 0, 1.0), ("espeak", "gmw/en-us", 175, -300, 0.9),
                   ("espeak", "gmw/en-gb-x-rp", 175, 300, 1.0), ("espeak", "gmw/en-us-nyc", 150, 0, 1.0))
REMARK_VOICES = (FULL_VOICES[0], FULL_VOICES[2], FULL_VOICES[3], FULL_VOICES[7])
MORE_REMARK_VOICES = (("espeak", "gmw/en", 170, 0, 1.0), ("piper", None, 190, 0, 1.0),
                      ("espeak", "gmw/en-gb-x-gbclan", 160, -200, 1.0))
ARTICLE_VOICE = ("espeak", "gmw/en", 170, 0, 1.0)
FRESH_VOICES = (("espeak", "gmw/en-029", 165, 0, 1.0), ("espeak", "gmw/en-gb-x-gbcwmd", 170, 0, 1.0),
                ("piper", None, 165, -150, 1.0))
CORPUS_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coach-bench" / "listen"
# Part of each cached render's key: a change to how the corpus is made must not reuse old renders
# (2: sox without its random dither, so every machine renders the same audio)
RENDERING = 2


def bench_listen(ws: Workspace, quick: bool, warm: dict[str, Path]) -> dict:
    from coach.listen.gate import TAIL_MS
    from coach.listen import vad
    from coach.listen.whisper import LOGPROB_MIN, THREADS
    from tools import listen_eval as ev

    loaded = time.perf_counter()
    pair = ev.recognizers("whisper")
    load_s = time.perf_counter() - loaded
    voices = QUICK_VOICES if quick else FULL_VOICES
    cpu0, decodes0, denoised0 = time.process_time(), _decodes(pair), ev.listened_again(pair)
    trials = ev.detection_trials(_command_clips(voices), SNRS, pair)
    decoded = _decodes(pair) - decodes0
    cpu_per_utterance = (time.process_time() - cpu0) / max(1, decoded)
    listened_again = ev.listened_again(pair) - denoised0
    by_command: dict[str, dict[str, list[bool]]] = {}
    for t in trials:
        by_command.setdefault(t.expected, {}).setdefault(_snr_name(t.snr_db), []).append(t.correct)
    detection = {cmd: {snr: sum(v) / len(v) for snr, v in per.items()} for cmd, per in by_command.items()}
    wrong = sum(1 for t in trials if t.heard is not None and not t.correct)
    confirmed = [t.latency_ms for t in trials if t.correct and t.latency_ms is not None]
    rescued = [t.latency_ms for t in trials if t.correct and t.latency_ms is not None and t.listened_again]
    silenced = [t.provisional_ms for t in trials if t.expected == "safety-stop" and t.provisional_ms is not None]
    stops = [t for t in trials if t.expected == "safety-stop"]

    routines = ROUTINES[:1] if quick else ROUTINES[:2]
    return {"recognizer": "whisper", "logprob_min": LOGPROB_MIN,
            "endpointer": "silero" if vad.wanted() else "energy", "threads": THREADS, "load_s": load_s,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "cpu_s_per_utterance": cpu_per_utterance, "trial_utterances": decoded, "listened_again": listened_again,
            "voices": [_voice_name(v) for v in voices], "trials": len(trials), "detection": detection,
            "wrong_command": wrong, "confirmed_median_ms": _median(confirmed), "confirmed_p95_ms": _p95(confirmed),
            "rescued": len(rescued), "rescued_median_ms": _median(rescued), "rescued_max_ms": max(rescued, default=None),
            "silenced_median_ms": _median(silenced), "stops": len(stops),
            "stops_provisional": sum(t.provisional_ms is not None for t in stops),
            "own_voice": _own_voice(ws, routines, warm["piper"], pair, TAIL_MS / 1000),
            "other_speech": _other_speech(pair, quick), "remarks_in_noise": _remarks_in_noise(pair, quick),
            "beds": _beds(pair, 1 if quick else 5),
            "wake_word": _with_wake_word(),
            "session": [] if quick else [_session_listening(ws, threads) for threads in (2, 1)]
            + [_session_listening(ws, THREADS, talk_snr_db=REMARK_NOISE_SNR)]}


def _decodes(pair) -> int:
    return getattr(pair[1].confirm, "decodes", 0)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _p95(values: list[float]) -> float | None:
    return float(np.percentile(values, 95)) if values else None


def _snr_name(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB SNR"


def _voice_name(voice) -> str:
    engine, name, rate, cents, tempo = voice
    shifted = f" pitch {cents:+d} c tempo {tempo:g}" if cents or tempo != 1.0 else ""
    return f"{engine} {name or 'default'} {rate}{shifted}"


def _render(voice, texts: list[str]) -> list[np.ndarray]:
    """Each text in the voice at 16 kHz, cached on disk by voice and text."""
    from tools.listen_eval import render_16k

    key = hashlib.sha256(json.dumps([RENDERING, _voice_name(voice), texts]).encode()).hexdigest()[:20]
    path = CORPUS_CACHE / f"{key}.npz"
    if path.exists():
        with np.load(path) as saved:
            return [saved[f"c{i}"] for i in range(len(texts))]
    engine, name, rate, cents, tempo = voice
    clips = [_shift(c, cents, tempo) for c in render_16k(engine, texts, name, rate)]
    CORPUS_CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **{f"c{i}": c for i, c in enumerate(clips)})
    os.replace(tmp, path)
    return clips


def _shift(pcm: np.ndarray, cents: int, tempo: float) -> np.ndarray:
    from tools import asr

    if not cents and tempo == 1.0:
        return pcm
    return asr.sox(pcm, 16000, 16000, "pitch", str(cents), "tempo", str(tempo))


def _command_clips(voices, wake_word: bool = False) -> dict[tuple[str, str], np.ndarray]:
    from coach.listen.commands import PHRASE_COMMANDS, WAKE_WORD

    texts = [f"{WAKE_WORD.capitalize()}, {p}." if wake_word else p.capitalize() + ("?" if p == "how long" else ".")
             for p in PHRASE_COMMANDS]
    clips = {}
    for voice in voices:
        clips.update({(_voice_name(voice), phrase): pcm for phrase, pcm in zip(PHRASE_COMMANDS, _render(voice, texts))})
    return clips


def _with_wake_word() -> dict:
    """--wake-word: "Coach, pause." in two voices at 10 dB."""
    from tools import listen_eval as ev

    pair = ev.recognizers("whisper", wake_word=True)
    trials = ev.detection_trials(_command_clips(QUICK_VOICES, wake_word=True), SNRS[:1], pair)
    plain = ev.detection_trials(_command_clips(QUICK_VOICES[:1]), SNRS[:1], pair)   # without "coach": refused
    return {"voices": [_voice_name(v) for v in QUICK_VOICES], "trials": len(trials),
            "detected": sum(t.correct for t in trials) / len(trials),
            "missed": [f"{t.voice}: {t.phrase}" for t in trials if not t.correct],
            "without_wake_word_obeyed": sum(t.heard is not None for t in plain), "without_trials": len(plain)}


def _own_voice(ws: Workspace, routines, cache: Path, pair, tail_s: float) -> dict:
    """Each routine exported (Piper, the default voice), heard as a microphone would hear the speaker
    with the session's gate (closed while coach sounds, plus its tail)."""
    from tools import asr
    from tools import listen_eval as ev

    hours, gated, found_any = 0.0, 0, []
    for routine in routines:
        wav = ws.folder(f"listen-{routine}") / f"{routine}.wav"
        subprocess.run([COACH, "export", routine, "-o", str(wav), "--engine", "piper", "--cache-dir", str(cache), "--yes"],
                       check=True, capture_output=True, env=ws.env(cache))
        pcm, rate = asr.read_wav(wav)
        audio = asr.resample_for_recognizer(pcm, rate)
        cues = timeline_json(routine, "piper", cache, ws)["cues"]
        sounds = [(c["start_ms"] / 1000, c["end_ms"] / 1000) for c in cues if c["kind"] == "tone" or c["text"]]
        hours += len(audio) / 16000 / 3600
        found = ev.listen_through(audio, pair, ev.IntervalGate(sounds, tail_s), stages=("heard", "provisional"))
        gated += len(found)
        found_any += [f"{routine} {f.at_s:.0f} s: {f.stage} {f.phrase}" for f in found]
    return {"routines": list(routines), "hours": hours, "gated": gated, "heard": found_any[:12]}


def _other_speech(pair, quick: bool) -> dict:
    """Speech that holds no command: sentences of coach's docs (some with command words inside) and of
    the reference articles, short remarks a person might make on the mat, each followed by a pause, and
    people reading aloud. Words that sound like a command are counted apart (sound_alikes)."""
    from tools import listen_eval as ev

    sentences = _doc_sentences()
    articles = [] if quick else _article_sentences()
    more_voices = MORE_REMARK_VOICES[:1] if quick else MORE_REMARK_VOICES
    fresh_voices = FRESH_VOICES[:1] if quick else FRESH_VOICES
    said: list[tuple[str, object, list[str], float]] = []     # (part, voice, texts, gap_s)
    said += [("sentences", v, sentences, 0.8) for v in (SENTENCE_VOICES[:1] if quick else SENTENCE_VOICES)]
    said += [("remarks", v, list(ev.NOT_COMMANDS), 1.0) for v in (REMARK_VOICES[:1] if quick else REMARK_VOICES)]
    said += [("more remarks", v, list(ev.MORE_REMARKS), 1.0) for v in more_voices]
    said += [("fresh remarks", v, list(ev.FRESH_REMARKS), 1.0) for v in fresh_voices]
    if articles:
        said.append(("reference articles", ARTICLE_VOICE, articles, 0.8))
    hours, accepted, examples, decodes0, per_part = 0.0, 0, [], _decodes(pair), {}
    for part, voice, texts, gap_s in said:
        name = f"{part}, {_voice_name(voice)}"
        audio, heard = _heard_in(pair, voice, texts, gap_s)
        hours += len(audio) / 16000 / 3600
        accepted += len(heard)
        per_part[name] = len(heard)
        examples += [f"{name}: {h}" for h in heard]
    people = ev.human_speech()
    hours += len(people) / 16000 / 3600
    found = ev.listen_through(people, pair)
    accepted += len(found)
    per_part["people reading (moonshine-voice recordings)"] = len(found)
    examples += [f"people reading {f.at_s:.0f} s: {f.phrase}" for f in found]
    alike_found, alike_words = [], 0
    for words, voices in ((ev.SOUND_ALIKES, more_voices), (ev.FRESH_SOUND_ALIKES, fresh_voices)):
        for voice in voices:
            alike_words += len(words)
            alike_found += [f"{_voice_name(voice)}: {h}" for h in _heard_in(pair, voice, list(words), 1.0)[1]]
    remark_utterances = sum(len(texts) for part, _v, texts, _g in said if "remarks" in part)
    return {"hours": hours, "accepted": accepted, "sentences": len(sentences), "remarks": len(ev.NOT_COMMANDS),
            "article_sentences": len(articles), "remark_utterances": remark_utterances,
            "sound_alikes": {"words": alike_words, "accepted": len(alike_found), "examples": alike_found},
            "decoded": _decodes(pair) - decodes0, "parts": per_part, "examples": examples,
            "bound_per_hour": 3 / hours if hours else None}


def _as_said(text: str) -> str:
    """A remark as it is synthesised ("feet" -> "Feet."); a sentence as written."""
    return text if text[-1:] in ".?!" else text.capitalize() + "."


def _heard_in(pair, voice, texts: list[str], gap_s: float) -> tuple[np.ndarray, list[str]]:
    """The texts said one after another in the voice, gap_s apart, and what the listening loop obeyed in
    them: "feet -> repeat" (the text whose words ended there, and the phrase heard)."""
    from tools import listen_eval as ev

    clips = _render(voice, [_as_said(t) for t in texts])
    audio = ev.with_gaps(clips, gap_s)
    ends = np.cumsum([len(c) / 16000 + gap_s for c in clips]) - gap_s
    heard = []
    for f in ev.listen_through(audio, pair):
        i = min(int(np.searchsorted(ends, f.at_s - 0.3)), len(texts) - 1)   # the endpointer ends a little early
        said = texts[i].rstrip(".?!").lower() if len(texts[i]) < 30 else f"{f.at_s:.0f} s"   # a sentence: where
        heard.append(f"{said} -> {f.phrase}")
    return audio, heard


def _remarks_in_noise(pair, quick: bool) -> dict:
    """The short remarks of MORE_REMARKS, each said once under pink noise at 10 dB SNR, as the command
    trials are: where the quiet-room check is off and Whisper listens again to the denoised utterance."""
    from tools import listen_eval as ev

    remarks = list(ev.MORE_REMARKS[:30] if quick else ev.MORE_REMARKS)
    speaker = MORE_REMARK_VOICES[0]
    accepted, denoised0 = [], ev.listened_again(pair)
    for seed, (remark, clip) in enumerate(zip(remarks, _render(speaker, [_as_said(r) for r in remarks]))):
        audio = ev.trial_audio(clip, REMARK_NOISE_SNR, 1000 + seed)
        accepted += [f"{remark}: {f.phrase}" for f in ev.listen_through(audio, pair)]
    return {"voice": _voice_name(speaker), "snr_db": REMARK_NOISE_SNR, "remarks": len(remarks),
            "accepted": len(accepted), "examples": accepted, "listened_again": ev.listened_again(pair) - denoised0}


def _beds(pair, minutes: int) -> dict:
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
        found = ev.listen_through(asr.resample_for_recognizer(pcm, SAMPLE_RATE), pair, stages=("heard", "provisional"))
        triggers[name] = [f"{f.at_s:.0f} s: {f.stage} {f.phrase}" for f in found]
    return {"minutes": minutes, "triggers": triggers}


def _session_listening(ws: Workspace, threads: int, routine: str = "child-pose", talk_snr_db: float = 30.0) -> dict:
    """`coach live ROUTINE --listen` in real time while the microphone hears talk (a short remark every
    3 s, each a Whisper decode beside the player): the cues' lateness from the timing log. At 30 dB the
    room is quiet; at 10 dB each remark that is not a command is listened to twice (denoised)."""
    from coach.session.rating import RATING_TEXTS
    from coach.vocab import RATINGS
    from tools import listen_eval as ev

    folder = ws.folder(f"listen-live-{threads}-{talk_snr_db:g}")
    remarks = _render(REMARK_VOICES[0], [_as_said(r) for r in ev.NOT_COMMANDS])
    mic = folder / "mic.raw"
    talk = ev.with_noise(ev.with_gaps(remarks * 4, 3.0), remarks[0], talk_snr_db, 7)   # longer than the session
    talk.astype("<i2").tofile(mic)
    config = folder / "asound.conf"
    config.write_text(f'pcm.!default {{\n type file\n slave.pcm {{ type null }}\n file "/dev/null"\n'
                      f' infile "{mic}"\n format "raw"\n}}\n')
    log = folder / "timing.jsonl"
    cache = folder / "cache"
    env = {**ws.env(cache, config), "COACH_WHISPER_THREADS": str(threads)}
    started = time.perf_counter()
    run = subprocess.run([COACH, "live", routine, "--listen", "--engine", "espeak", "--yes", "--timing-log", str(log),
                          "--cache-dir", str(cache)], capture_output=True, text=True, env=env, timeout=900)
    wall_s = time.perf_counter() - started
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    # The routine's cues: the question after it (synthesised when asked, in live) is not timed against it
    late = sorted(e["late_ms"] for e in entries if "late_ms" in e and e.get("text") not in RATING_TEXTS)
    if run.returncode != 0 or not late:
        return {"threads": threads, "talk_snr_db": talk_snr_db, "error": f"exit {run.returncode}: {run.stderr[-300:]}"}
    # After the routine coach asks "How was that?" and the talk goes on: a remark such as "Easy." is then
    # an answer (coach.session.rating), not a command obeyed during the session.
    heard = [e["command"] for e in entries if "heard" in e]
    return {"threads": threads, "talk_snr_db": talk_snr_db, "routine": routine, "cues": len(late), "median_ms": _median(late),
            "p95_ms": _p95(late), "max_ms": late[-1], "wall_s": wall_s,
            "provisional": sum("provisional" in e for e in entries),
            "heard": sum(c not in RATINGS for c in heard), "answers": [c for c in heard if c in RATINGS]}


def _article_sentences() -> list[str]:
    """The sentences of the reference articles coach's content came from, when they are beside the
    project (../shared/reference): prose about backs and stretching that no one tuned the recognizer on."""
    folder = ROOT.parent / "shared" / "reference"
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))) if folder.is_dir() else ""
    cleaned = (re.sub(r"[^A-Za-z0-9,.?!' -]+", " ", s).strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text))
    return [s for s in cleaned if 3 <= len(s) <= 200 and len(re.findall(r"[A-Za-z]{2,}", s)) >= 2]


def _doc_sentences(limit: int = 400) -> list[str]:
    text = "\n".join((ROOT / "docs" / name).read_text(encoding="utf-8")
                     for name in ("exercise-library.md", "background.md", "script-format.md"))
    prose = " ".join(line for line in text.splitlines()
                     if line and not line.startswith(("#", "|", "`", " ", "-", ">", "```")))
    prose = re.sub(r"`[^`]*`|\[[^\]]*\]\([^)]*\)|\*", " ", prose)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", prose) if 20 <= len(s.strip()) <= 200]
    return sentences[:limit]
