"""scripts/check-audio: an offline recognizer hears every cue of a real export, and notices a missing one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tools import asr

ROOT = Path(__file__).resolve().parent.parent
CHECK_AUDIO = ROOT / "scripts" / "check-audio"
# How much audio around the silenced cue is transcribed again: enough context for the recognizer and
# for the neighbouring cues, a fraction of the routine (transcription runs at about 5x real time).
CONTEXT_MS = 8000


def run_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK_AUDIO), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_recognizer_hears_every_cue_and_notices_a_silenced_one(tmp_path):
    cache, wav = tmp_path / "cache", tmp_path / "child-pose.wav"
    run = run_check("child-pose", "--engine", "piper", "--json", "--cache-dir", str(cache), "--keep-wav", str(wav))

    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    unheard = [c for c in report["cues"] if not c["heard"]]
    assert not unheard, f"the recognizer heard nothing where these cues should be: {unheard}"
    assert report["summary"]["cues"] >= 10

    # The same audio with one instruction replaced by silence: the check must name that cue.
    timeline = asr.show_timeline("child-pose", "piper", cache)
    pcm, rate = asr.read_wav(wav)
    target = _instruction_between_others(timeline["cues"])
    silenced = pcm.copy()
    silenced[target["start_ms"] * rate // 1000:target["end_ms"] * rate // 1000 + 1] = 0

    result = asr.check_audio(silenced, rate, timeline["cues"], start_ms=max(0, target["start_ms"] - CONTEXT_MS),
                             end_ms=min(len(pcm) * 1000 // rate, target["end_ms"] + CONTEXT_MS))

    by_start = {c.start_ms: c for c in result.cues}
    assert not by_start[target["start_ms"]].heard, "a silenced cue was reported as heard"
    assert [c.start_ms for c in result.unheard] == [target["start_ms"]], "only the silenced cue is unheard"


def test_normalised_words_spell_numbers_and_drop_punctuation():
    assert asr.normalise_words("Child's pose. About 12 minutes!") == ["child's", "pose", "about", "twelve", "minutes"]
    assert asr.normalise_words("Hold for 1.5 s, knee-to-chest") == ["hold", "for", "one", "point", "five", "s",
                                                                     "knee", "to", "chest"]
    assert asr.recognized_word("and(2)") == "and"
    assert asr.recognized_word("<sil>") is None


def test_word_error_rate_counts_edits_per_reference_word():
    assert asr.word_error_rate("a b c d".split(), "a x c".split()) == pytest.approx(0.5)
    assert asr.word_error_rate("a b".split(), "a b".split()) == 0.0


def test_words_go_to_the_nearest_sound_not_the_next_cue():
    """The tail of one sentence, a few hundred ms before the next cue, must not count as hearing it."""
    cues = [{"start_ms": 0, "end_ms": 2000, "kind": "instruction", "text": "Lie down slowly."},
            {"start_ms": 2400, "end_ms": 3400, "kind": "instruction", "text": "Relax."}]
    words = [asr.Word("lie", 10, 300), asr.Word("slowly", 1500, 1950)]
    checks = [asr._check_cue(c, asr._attribute(words, cues).get(id(c), [])) for c in cues]
    assert [c.heard for c in checks] == [True, False]
    assert checks[0].offset_ms == 10 and checks[0].matched_by == "first-word"


def _instruction_between_others(cues: list[dict]) -> dict:
    """A spoken instruction with other speech before and after it and no tone under it."""
    speech = [c for c in cues if c["text"] and c["kind"] != "tone"]
    tones = [c for c in cues if c.get("tone")]
    for cue in speech[1:-1]:
        overlaps_tone = any(t["start_ms"] < cue["end_ms"] and t["end_ms"] > cue["start_ms"] for t in tones)
        if cue["kind"] == "instruction" and not overlaps_tone and cue["start_ms"] > CONTEXT_MS:
            return cue
    raise AssertionError("child-pose has no instruction between two other cues")


def test_audio_resampled_for_the_recognizer_is_the_same_every_time():
    """sox dithers at random unless told not to, so the tests and the bench decoded different audio in
    each run: the same en-us-nyc "pause" at 10 dB scored from -0.98 to -1.09 in different processes,
    either side of Whisper's LOGPROB_MIN. A result must not depend on the run."""
    tone = (np.sin(np.arange(22050) * 2 * np.pi * 440 / 22050) * 3000).astype(np.int16)
    first, second = asr.resample_for_recognizer(tone, 22050), asr.resample_for_recognizer(tone, 22050)
    assert len(first) == 16000
    assert np.array_equal(first, second)
