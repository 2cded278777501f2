"""--hold-sound: tones in the silent part of a timed hold, the speech and the timing untouched.

The compiler's rule over random routines (every property of tests/test_timeline_properties.py still
holds with a hold sound on), and real exports decoded: a hold that was silent has sound in it, and the
breath tones follow the routine's pace, rising on in-breaths and falling on out-breaths.
"""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import test_timeline_properties as props
from coach import model as m
from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.timeline.compiler import compile_timeline
from coach.timeline.hold_sound import CLEAR_MS, HOLD_SOUNDS, TICK_EVERY_MS, hold_sound_tones
from coach.timeline.model import TONE_MS
from routine_strategies import options, routines, spoken_lengths
from support import decode_audio, private_env, run_coach

HOLD_TONES = {"tick", "in-breath", "out-breath"}


def hold(seconds: int, countdown: int = 0, halfway: bool = False, inhale_ms: int = 4_000,
         exhale_ms: int = 6_000) -> m.Hold:
    return m.Hold(seconds * 1000, None, inhale_ms, exhale_ms, countdown, halfway)


def one_hold_routine(step: m.Hold) -> m.Routine:
    ex = m.Exercise(name="x", title="X", description="", focus=("lower-back",), equipment=("mat",),
                    position="kneeling", setup=None, setup_ms=0, contraindications=(),
                    safety=m.Text("Stop if it hurts."), steps=(m.Say(m.Text("Sit back.")), step))
    return m.Routine("r", "R", "", (ex,))


def words_ms(text: str) -> int:
    return 300 + 60 * len(text)


def compiled(routine: m.Routine, sound: str, **opts) -> list:
    return list(compile_timeline(routine, words_ms, m.CompileOptions(hold_sound=sound, **opts)).cues)


def hold_tones(cues) -> list:
    return [c for c in cues if c.kind == "tone" and c.tone in HOLD_TONES]


# -- the rule -------------------------------------------------------------------------------------

def test_no_hold_sound_adds_nothing():
    routine = one_hold_routine(hold(30))
    assert hold_tones(compiled(routine, "none")) == []


def test_tick_fills_each_second_of_a_silent_hold_and_stops_short_of_the_countdown():
    routine = one_hold_routine(hold(20, countdown=5, halfway=True))
    cues = compiled(routine, "tick")
    span = next(c for c in cues if c.kind == "hold")
    ticks = hold_tones(cues)
    speech = [c for c in cues if c.is_speech and span.start_ms <= c.start_ms < span.end_ms]
    assert {t.tone for t in ticks} == {"tick"}
    offsets = [t.start_ms - span.start_ms for t in ticks]
    assert all(o % TICK_EVERY_MS == 0 for o in offsets)
    # Every second of the hold has its tick, except where speech (halfway, the countdown) is near.
    for second in range(1, 20):
        at = span.start_ms + second * TICK_EVERY_MS
        near_speech = any(at < c.end_ms + CLEAR_MS and c.start_ms < at + TONE_MS["tick"] + CLEAR_MS for c in speech)
        assert (second * TICK_EVERY_MS in offsets) == (not near_speech and second * 1000 + 60 <= 20_000 - CLEAR_MS)
    assert max(offsets) < 15_000   # the countdown's five seconds carry the voice, not ticks


def test_breath_tones_rise_and_fall_at_the_holds_pace_scaled_by_breath_scale():
    routine = one_hold_routine(hold(40, inhale_ms=3_000, exhale_ms=5_000))
    for scale in (1.0, 1.5):
        cues = compiled(routine, "breath", breath_scale=scale)
        span = next(c for c in cues if c.kind == "hold")
        tones = hold_tones(cues)
        inhale_ms, exhale_ms = round(3_000 * scale), round(5_000 * scale)
        assert [t.tone for t in tones] == [("in-breath", "out-breath")[i % 2] for i in range(len(tones))]
        starts = [t.start_ms - span.start_ms for t in tones]
        assert starts[0] == CLEAR_MS
        assert [b - a for a, b in zip(starts, starts[1:])] == [(inhale_ms, exhale_ms)[i % 2] for i in range(len(starts) - 1)]
        assert len(tones) >= 2 * (40_000 // (inhale_ms + exhale_ms)) - 1


def test_holds_counted_in_breaths_keep_only_their_own_breath_tones():
    routine = one_hold_routine(m.Hold(None, 3, 4_000, 6_000, 0, False))
    assert hold_tones(compiled(routine, "breath")) == []
    assert compiled(routine, "breath") == compiled(routine, "none")


def test_an_unknown_hold_sound_is_refused_by_name():
    with pytest.raises(ValueError, match="gong"):
        hold_sound_tones("gong", 10_000, [], 4_000, 6_000)
    assert set(HOLD_SOUNDS) == {"breath", "tick", "none"}


@props.PROPS
@given(routines(), spoken_lengths(), options(), st.sampled_from(["tick", "breath"]))
def test_a_hold_sound_moves_nothing_and_never_meets_speech(routine, spoken_ms, opts, sound):
    quiet = compile_timeline(routine, spoken_ms, opts)
    filled = compile_timeline(routine, spoken_ms, dataclasses.replace(opts, hold_sound=sound))
    added = hold_tones(filled.cues)
    assert [c for c in filled.cues if c not in added] == list(quiet.cues)
    assert filled.duration_ms == quiet.duration_ms and filled.chapters == quiet.chapters
    holds = [c for c in filled.cues if c.kind == "hold"]
    for tone in added:
        assert tone.end_ms - tone.start_ms == TONE_MS[tone.tone]
        assert any(h.start_ms + CLEAR_MS <= tone.start_ms and tone.end_ms <= h.end_ms - CLEAR_MS for h in holds), tone
        for cue in filled.speech:
            assert tone.end_ms + CLEAR_MS <= cue.start_ms or cue.end_ms + CLEAR_MS <= tone.start_ms, (tone, cue)
    for a, b in zip(added, added[1:]):
        assert a.end_ms <= b.start_ms


@props.PROPS
@given(routines(), spoken_lengths(), options(), st.sampled_from(["tick", "breath"]))
def test_every_compiler_property_holds_with_a_hold_sound(routine, spoken_ms, opts, sound):
    opts = dataclasses.replace(opts, hold_sound=sound)
    for name in dir(props):
        test = getattr(props, name)
        inner = getattr(getattr(test, "hypothesis", None), "inner_test", None)
        if name.startswith("test_") and inner is not None and inner.__code__.co_argcount == 3:
            inner(routine, spoken_ms, opts)


# -- real exports -----------------------------------------------------------------------------------

HOLD_SCRIPT = """\
format: 1
kind: exercise
name: long-hold
title: Long hold
description: One long silent hold, for the tests.
focus: [lower-back]
equipment: [mat]
position: kneeling
setup_s: 0
contraindications: []
breath: {inhale_s: 3, exhale_s: 5}
safety:
  say: Stop if it hurts.
steps:
  - say: Sit back towards your heels.
  - hold: {seconds: 20, countdown: 0}
"""


def export_wav(tmp_path: Path, sound: str) -> tuple[np.ndarray, dict]:
    script = tmp_path / "long-hold.yaml"
    script.write_text(HOLD_SCRIPT)
    out = tmp_path / f"hold-{sound}.wav"
    result = run_coach("export", str(script), "-o", str(out), "--yes", "--engine", "espeak", "--verbosity",
                       "minimal", "--hold-sound", sound, "--force", env=private_env(tmp_path))
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    show = run_coach("show", str(script), "--json", "--verbosity", "minimal", "--engine", "espeak",
                     env=private_env(tmp_path))
    assert show.returncode == 0, show.stderr
    import json

    return pcm, json.loads(show.stdout)


def hold_span(timeline: dict, pcm: np.ndarray) -> tuple[int, int]:
    """Where the hold lies in the export: after the last word before it, to its end (in samples)."""
    span = next(c for c in timeline["cues"] if c["kind"] == "hold")
    return ms_to_samples(span["start_ms"]), ms_to_samples(span["end_ms"])


def onsets(pcm: np.ndarray, threshold: int = 40) -> list[int]:
    """Samples where sound starts after at least 100 ms of digital near-silence."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > threshold)
    if not loud.size:
        return []
    starts = [int(loud[0])] + [int(b) for a, b in zip(loud, loud[1:]) if b - a > ms_to_samples(100)]
    return starts


def dominant_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum)) * SAMPLE_RATE / len(pcm)


@pytest.mark.slow
def test_a_silent_hold_has_sound_in_it_with_tick_and_none_with_none(tmp_path):
    silent, timeline = export_wav(tmp_path, "none")
    ticked, _ = export_wav(tmp_path, "tick")
    lo, hi = hold_span(timeline, silent)
    # The words before the hold end by its start (the clip's last ms of rounding aside).
    inner = slice(lo + ms_to_samples(CLEAR_MS), hi - ms_to_samples(CLEAR_MS))
    assert not silent[inner].any()                       # today: 20 s of digital silence
    ticks = onsets(ticked[inner])
    assert len(ticks) >= 18                              # a tick each second of it
    gaps = np.diff(ticks)
    assert np.all(np.abs(gaps - SAMPLE_RATE) <= 2)
    # Everything outside the hold is the same audio: the hold sound moves no word.
    assert len(silent) == len(ticked)
    outside = np.ones(len(silent), bool)
    outside[lo:hi] = False
    assert np.array_equal(silent[outside], ticked[outside])


@pytest.mark.slow
def test_breath_tones_in_a_real_export_follow_the_breath_pace(tmp_path):
    pcm, timeline = export_wav(tmp_path, "breath")
    lo, hi = hold_span(timeline, pcm)
    inner = pcm[lo + ms_to_samples(CLEAR_MS) // 2:hi]
    starts = [lo + ms_to_samples(CLEAR_MS) // 2 + s for s in onsets(inner)]
    # 20 s at 3 s in, 5 s out: in at 0.3 s, out at 3.3, in at 8.3, out at 11.3, in at 16.3 (out at 19.3
    # would run past the hold's end). A swell crosses the onset threshold a little after it starts:
    # the same for every tone, so the spacing is exact.
    assert len(starts) == 5
    assert ms_to_samples(300) <= starts[0] - lo <= ms_to_samples(300 + 150)
    spacing = np.diff(starts)
    assert np.all(np.abs(spacing - np.array([ms_to_samples(ms) for ms in (3_000, 5_000, 3_000, 5_000)]))
                  <= ms_to_samples(10)), spacing
    starts = [s - (starts[0] - lo - ms_to_samples(300)) for s in starts]   # back to each tone's first sample
    tone_n = ms_to_samples(TONE_MS["in-breath"])
    for k, at in enumerate(starts):
        tone = pcm[at:at + tone_n]
        first, second = dominant_hz(tone[: tone_n // 2]), dominant_hz(tone[tone_n // 2:])
        assert (second > first) if k % 2 == 0 else (second < first), (k, first, second)
