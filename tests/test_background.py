"""A background sound under the voice (coach.background): measured on real exports with real speech.

The proof the issue asks for: export the same session with and without a background; their difference
is the background alone, exactly (the mix is a sum). Its level between cues and under speech gives the
ducking depth, which must be the documented DUCK_DB within 1 dB; and the speech, measured in the
export with the background, stays at the level it has without one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.background import ATTACK_MS, BUILTIN_BEDS, DEFAULT_LEVEL_DB, DUCK_DB, FADE_IN_MS, FADE_OUT_MS, RELEASE_MS
from coach.background.bed import Background, bed_pcm, duck_weight, load_background
from coach.errors import UsageError
from coach.library import resolve
from coach.model import CompileOptions
from coach.session.export import export_routine
from coach.session.voice import VoiceChoice
from coach.timeline.model import Cue, Timeline
from support import decode_audio, run_coach, tiny_script

pytestmark = pytest.mark.slow


def dbfs(samples: np.ndarray) -> float:
    samples = np.asarray(samples, dtype=np.float64)
    return 20 * np.log10(np.sqrt(np.mean(samples * samples)) / 32768.0)


def masks(timeline: Timeline, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples inside spoken cues (fully ducked), and samples clear of every cue's ramps and of the fades."""
    speech = np.zeros(total, dtype=bool)
    near = np.zeros(total, dtype=bool)
    for cue in timeline.cues:
        if cue.is_speech and cue.text:
            speech[ms_to_samples(cue.start_ms):ms_to_samples(cue.end_ms)] = True
            near[max(0, ms_to_samples(cue.start_ms - ATTACK_MS)):ms_to_samples(cue.end_ms + RELEASE_MS)] = True
        elif cue.kind == "tone":
            near[ms_to_samples(cue.start_ms):ms_to_samples(cue.start_ms) + ms_to_samples(1_500)] = True
    clear = ~near
    clear[:ms_to_samples(FADE_IN_MS)] = False
    clear[total - ms_to_samples(FADE_OUT_MS):] = False
    return speech, clear


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bg")
    routine = resolve(str(tiny_script(folder)))
    out = {}
    for name, background in (("plain", None), ("bed", "brown-noise")):
        result, prepared = export_routine(
            routine, folder / f"{name}.wav", options=CompileOptions(verbosity="full"), voice=VoiceChoice("espeak"),
            cache_dir=folder / "cache", config_path=folder / "config.json", assume_none=True, background=background)
        out[name] = decode_audio(result.path).astype(np.int32)
        out["timeline"] = prepared.timeline
    return out


def test_the_background_is_ducked_by_the_documented_depth_and_speech_is_unchanged(exports):
    plain, with_bed, timeline = exports["plain"], exports["bed"], exports["timeline"]
    assert len(plain) == len(with_bed) == ms_to_samples(timeline.duration_ms)
    bed = with_bed - plain                     # the background alone
    speech, clear = masks(timeline, len(bed))
    assert speech.sum() > SAMPLE_RATE and clear.sum() > SAMPLE_RATE   # enough of both to measure
    between, under = dbfs(bed[clear]), dbfs(bed[speech])
    print(f"background between cues {between:.2f} dBFS, under speech {under:.2f} dBFS, depth {between - under:.2f} dB; "
          f"speech {dbfs(plain[speech]):.2f} dBFS alone, {dbfs(with_bed[speech]):.2f} dBFS with the background")
    assert abs(between - DEFAULT_LEVEL_DB) <= 1.0, between
    assert abs((between - under) - DUCK_DB) <= 1.0, (between, under)
    # The voice is as loud as without a background (the bed under it is DUCK_DB + 12 dB below it).
    assert abs(dbfs(with_bed[speech]) - dbfs(plain[speech])) <= 0.2
    # Between cues the export is no longer silent; the session still fades out to nothing at its end.
    assert not plain[clear].any()
    assert np.abs(with_bed[-ms_to_samples(20):]).max() < 200


def test_ducking_ramps_down_before_a_cue_and_up_after_it():
    timeline = Timeline("t", "T", 10_000, (Cue(4_000, 5_000, "instruction", "Relax."),), ())
    at = {ms: duck_weight(timeline, ms_to_samples(ms), 1)[0] for ms in
          (3_000, 4_000 - ATTACK_MS, 4_000 - ATTACK_MS // 2, 4_000, 4_500, 5_000, 5_000 + RELEASE_MS // 2, 5_000 + RELEASE_MS, 7_000)}
    assert at[3_000] == 0 and at[4_000 - ATTACK_MS] == 0
    assert at[4_000 - ATTACK_MS // 2] == pytest.approx(0.5, abs=0.01)
    assert at[4_000] == at[4_500] == at[5_000] == 1
    assert at[5_000 + RELEASE_MS // 2] == pytest.approx(0.5, abs=0.01)
    assert at[5_000 + RELEASE_MS] == 0 and at[7_000] == 0
    # A tone does not duck the bed, nor does a hold sound's: only speech does.
    for name in ("inhale", "in-breath", "out-breath", "tick"):
        tone = Timeline("t", "T", 10_000, (Cue(4_000, 4_250, "tone", tone=name),), ())
        assert not duck_weight(tone, 0, ms_to_samples(10_000)).any(), name


@pytest.mark.parametrize("name", BUILTIN_BEDS)
def test_builtin_beds_loop_without_a_seam_and_are_the_same_every_time(name):
    bed = load_background(name)
    assert bed.loop.dtype == np.float32 and abs(float(np.sqrt(np.mean(bed.loop.astype(float) ** 2))) - 1) < 1e-3
    assert np.array_equal(bed.loop, load_background(name).loop)
    # Across the loop point the step between samples is no bigger than anywhere else in the loop.
    steps = np.abs(np.diff(bed.loop.astype(np.float64)))
    seam = abs(float(bed.loop[0]) - float(bed.loop[-1]))
    assert seam <= np.percentile(steps, 99.9)
    timeline = Timeline("t", "T", 60_000, (), ())
    long = bed_pcm(bed, timeline, 0, ms_to_samples(60_000))   # longer than the loop: it repeats
    assert len(long) == ms_to_samples(60_000) and np.isfinite(long).all()


def test_a_file_background_is_decoded_and_looped(tmp_path):
    source = tmp_path / "hum.mp3"
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=3", "-ac", "2",
                    "-ar", "44100", str(source)], check=True)
    bed = load_background(str(source), -35)
    assert isinstance(bed, Background) and bed.level_db == -35
    assert abs(len(bed.loop) - 2.7 * SAMPLE_RATE) < SAMPLE_RATE * 0.1   # 3 s less the 0.3 s seam crossfade
    pcm = bed_pcm(bed, Timeline("t", "T", 20_000, (), ()), ms_to_samples(5_000), ms_to_samples(5_000))
    assert abs(dbfs(pcm) - (-35)) < 0.5


def test_bad_backgrounds_are_one_clear_line(tmp_path):
    with pytest.raises(UsageError, match="no background called 'thunder'.*rain"):
        load_background("thunder")
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    with pytest.raises(UsageError, match="notes.txt: not an audio file ffmpeg can read"):
        load_background(str(text))
    env = {"COACH_CACHE_DIR": str(tmp_path / "cache"), "COACH_CONFIG": str(tmp_path / "c.json")}
    result = run_coach("export", "child-pose", "-o", str(tmp_path / "x.mp3"), "--background", str(text), "-y", env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "not an audio file" in result.stderr
    assert not (tmp_path / "x.mp3").exists()
    loud = run_coach("export", "child-pose", "-o", str(tmp_path / "x.mp3"), "--background", "rain",
                     "--background-level", "-6", "-y", env=env)
    assert loud.returncode == 2 and "-60.0<=x<=-20.0" in loud.stderr


# -- under a real-time session: coach play|live --background, through real ALSA --------------------------

HUM_HZ = 50      # the test's background: a pure 50 Hz hum, measured apart from the speech by its frequency
SESSION_FLAGS = ["--yes", "--engine", "espeak", "--verbosity", "minimal"]


def hum_file(folder: Path) -> Path:
    """2 s of a 50 Hz sine: a whole number of cycles, as is the 300 ms seam crossfade, so it loops in phase."""
    import wave

    t = np.arange(2 * SAMPLE_RATE) / SAMPLE_RATE
    path = folder / "hum.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(np.round(8000 * np.sin(2 * np.pi * HUM_HZ * t)).astype("<i2").tobytes())
    return path


def hum_dbfs(samples: np.ndarray) -> float:
    """The RMS level of the 50 Hz component alone (a Hann-windowed lock-in), in dBFS."""
    x = np.asarray(samples, dtype=np.float64)
    window = np.hanning(len(x))
    phase = np.exp(-2j * np.pi * HUM_HZ * np.arange(len(x)) / SAMPLE_RATE)
    amplitude = 2 * abs(np.sum(x * window * phase)) / np.sum(window)
    return 20 * np.log10(max(amplitude / np.sqrt(2), 1e-3) / 32768.0)


def voiced_dbfs(samples: np.ndarray, gate_dbfs: float = -35.0) -> float:
    """RMS over the 20 ms blocks louder than the gate: the speech, not the bed between its words."""
    block = ms_to_samples(20)
    x = np.asarray(samples[: len(samples) // block * block], dtype=np.float64).reshape(-1, block)
    power = np.mean(x * x, axis=1)
    loud = power[power > (32768 * 10 ** (gate_dbfs / 20)) ** 2]
    return 10 * np.log10(np.mean(loud) / 32768 ** 2)


def capture_index(onset: int, waits: list[tuple[int, float]], sample: int) -> int:
    """Where session sample `sample` is in the capture: position 0 at `onset`, and every wait before it
    in between (the session holds still while it waits for a clip, and the bed plays on meanwhile)."""
    waited_ms = sum(ms for at_ms, ms in waits if ms_to_samples(at_ms) <= sample)
    return onset + sample + ms_to_samples(round(waited_ms))


def windows(timeline: Timeline, onset: int, waits: list[tuple[int, float]], total: int, margin_ms: int = 80):
    """(under speech, clear of every cue): capture sample ranges (see capture_index), trimmed by
    margin_ms for the stream's period and the reading of the position."""
    speech, clear = masks(timeline, ms_to_samples(timeline.duration_ms))
    margin = ms_to_samples(margin_ms)

    def runs(mask: np.ndarray) -> list[tuple[int, int]]:
        edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
        return [(capture_index(onset, waits, a) + margin, min(total, capture_index(onset, waits, b) - margin))
                for a, b in zip(edges[::2], edges[1::2]) if b - a > 2 * margin + ms_to_samples(200)]

    return runs(speech), runs(clear)


@pytest.fixture(scope="module")
def hum_session(tmp_path_factory):
    """One `coach play` of the tiny script over the hum, captured; the same session's plain export; the
    plan it played; and its waits for clips, (cue's position, ms waited), from its timing log."""
    import json

    from alsa_capture import read_capture, write_capture_config
    from coach.session.prepare import preview_timeline

    folder = tmp_path_factory.mktemp("bg-play")
    script = tiny_script(folder)
    config, raw = write_capture_config(folder)
    env = {"ALSA_CONFIG_PATH": str(config), "COACH_CACHE_DIR": str(folder / "cache"),
           "COACH_CONFIG": str(folder / "c.json"), "COACH_HISTORY_DB": str(folder / "h.sqlite")}
    plain = folder / "plain.wav"
    assert run_coach("export", str(script), "-o", str(plain), *SESSION_FLAGS, env=env).returncode == 0
    played = run_coach("play", str(script), *SESSION_FLAGS, "--background", str(hum_file(folder)),
                       "--timing-log", str(folder / "timing.jsonl"), env=env)
    assert played.returncode == 0, played.stderr
    timeline = preview_timeline(resolve(str(script)), played_options("minimal"), VoiceChoice("espeak"), folder / "cache")
    logged = [json.loads(line) for line in (folder / "timing.jsonl").read_text().splitlines()]
    waits = [(entry["scheduled_ms"], entry["waited_ms"]) for entry in logged if "waited_ms" in entry]
    return read_capture(raw), decode_audio(plain), timeline, waits


def played_options(verbosity: str) -> CompileOptions:
    """What `coach play` compiles SESSION_FLAGS into: its own defaults, the hold sound (breath) among
    them. CompileOptions() has no hold sound: the windows it gives put a "clear" one over the tones."""
    from coach.cli import cli
    from coach.cli.options import compile_options

    default = {p.name: p.default for p in cli.commands["play"].params}
    return compile_options(verbosity, default["hold_scale"], default["breath_scale"], hold_sound=default["hold_sound"])


def test_play_streams_the_bed_without_a_break_ducked_by_the_documented_depth(hum_session):
    captured, plain, timeline, waits = hum_session
    onset = int(np.flatnonzero(captured)[0])          # position 0: the opening bell, and the bed fading in
    session = captured[onset:onset + ms_to_samples(timeline.duration_ms)]
    # The sound joins the stream at a period boundary, so the onset may be up to a period late.
    assert len(session) >= ms_to_samples(timeline.duration_ms - 20)
    block = ms_to_samples(20)
    ending = len(session) - ms_to_samples(500)       # the last bell dies away as the bed fades out
    quiet_blocks = [i for i in range(0, ending, block) if not session[i:i + block].any()]
    assert quiet_blocks == []                          # no silence between cues any more: the stream never stops
    assert any(c.tone == "in-breath" for c in timeline.cues)   # the reference is the plan played: with its hold sound
    under, clear = windows(timeline, onset, waits, len(captured))
    assert under and clear
    between = float(np.median([hum_dbfs(captured[a:b]) for a, b in clear]))
    ducked = float(np.median([hum_dbfs(captured[a:b]) for a, b in under]))
    print(f"play: hum between cues {between:.2f} dBFS, under speech {ducked:.2f} dBFS, depth {between - ducked:.2f} dB; "
          f"waited for clips {waits}")
    assert abs(between - DEFAULT_LEVEL_DB) <= 1.0, between
    assert abs((between - ducked) - DUCK_DB) <= 1.0, (between, ducked)
    # Under the hold sound's tones the bed stays at its level: they are quiet, and they are not speech.
    margin = ms_to_samples(80)
    released = [ms_to_samples(c.end_ms + RELEASE_MS) for c in timeline.cues if c.is_speech and c.text]
    under_tones = [hum_dbfs(captured[capture_index(onset, waits, a) + margin:capture_index(onset, waits, b) - margin])
                   for c in timeline.cues if c.tone in ("in-breath", "out-breath")
                   for a, b in [(max([ms_to_samples(c.start_ms)] + [r for r in released if r <= ms_to_samples(c.end_ms)]),
                                 ms_to_samples(c.end_ms))] if b - a > ms_to_samples(500)]
    print(f"play: hum under the hold sound's tones {[round(float(level), 2) for level in under_tones]} dBFS")
    assert under_tones and all(abs(level - between) <= 1.0 for level in under_tones), (under_tones, between)
    # The voice is as loud as in the plain export: each spoken cue, measured in both.
    for cue in (c for c in timeline.cues if c.is_speech and c.text):
        a, b = ms_to_samples(cue.start_ms), ms_to_samples(cue.end_ms)
        heard = captured[capture_index(onset, waits, a):capture_index(onset, waits, b)]
        assert abs(voiced_dbfs(heard) - voiced_dbfs(plain[a:b])) <= 1.0, cue.text


def test_a_stopped_live_session_silences_the_bed_at_once_and_guides_out_with_the_voice_alone(tmp_path):
    """Stopped mid-session, the sound stops and the guided exit follows: without the bed."""
    import os
    import signal
    import subprocess

    from alsa_capture import read_capture, write_capture_config
    from support import COACH

    script = tiny_script(tmp_path)
    config, raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "c.json"), COACH_HISTORY_DB=str(tmp_path / "h.sqlite"))
    # Ctrl-C is a person asking to stop (SIGTERM ends without the guided exit). A child of a background
    # job inherits SIGINT ignored, as the clean-clone run showed: give it back its default.
    proc = subprocess.Popen(COACH + ["live", str(script), *SESSION_FLAGS, "--background", str(hum_file(tmp_path))],
                            stdout=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    shown = []
    try:
        for line in proc.stdout:
            shown.append(line)
            if "Get ready" in line:
                break
        proc.send_signal(signal.SIGINT)
        for line in proc.stdout:
            shown.append(line)
            if "With your hands on the floor" in line:    # two sentences into the guided exit: enough heard
                break
        proc.send_signal(signal.SIGINT)                   # a second Ctrl-C skips the rest
        rest, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, "".join(shown) + rest
    captured = read_capture(raw)
    onset = int(np.flatnonzero(captured)[0])
    block = ms_to_samples(20)
    # The stop: the first digital silence after the start (until then the bed never let the stream rest).
    stop = next(i for i in range(onset, len(captured) - block, block) if not captured[i:i + block].any())
    exit_part = captured[stop:]
    assert hum_dbfs(captured[stop - ms_to_samples(2_000):stop]) > DEFAULT_LEVEL_DB - DUCK_DB - 2   # the bed played...
    assert hum_dbfs(exit_part) < DEFAULT_LEVEL_DB - 30                                  # ...and not under the exit
    assert voiced_dbfs(exit_part) > -30 and len(exit_part) > ms_to_samples(4_000)      # which is spoken
    assert any("Slowly come out of the position" in line for line in shown)


def test_no_audio_device_with_a_background_is_one_clear_line(tmp_path):
    from alsa_capture import write_no_device_config

    env = {"ALSA_CONFIG_PATH": str(write_no_device_config(tmp_path)), "COACH_CACHE_DIR": str(tmp_path / "cache"),
           "COACH_CONFIG": str(tmp_path / "c.json"), "COACH_HISTORY_DB": str(tmp_path / "h.sqlite")}
    result = run_coach("play", str(tiny_script(tmp_path)), *SESSION_FLAGS, "--background", "rain", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "no audio output device" in result.stderr and "coach export" in result.stderr
