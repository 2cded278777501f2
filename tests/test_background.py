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
    # A tone does not duck the bed: only speech does.
    tone = Timeline("t", "T", 10_000, (Cue(4_000, 4_250, "tone", tone="inhale"),), ())
    assert not duck_weight(tone, 0, ms_to_samples(10_000)).any()


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
