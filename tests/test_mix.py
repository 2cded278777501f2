"""The mixer and the tones: placement to the sample, chunking, loudness, bounded memory."""

from __future__ import annotations

import tracemalloc
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.loudness import DEFAULT_LUFS, SESSION_OFFSET_LU, SPEECH_CEILING_DBTP, integrated_lufs, true_peak_dbtp
from coach.mix import iter_pcm_chunks, mix_to_array, normalise_speech
from coach.timeline.model import TONES, Chapter, Cue, Timeline
from coach.tones import TONE_MS, tone_ms, tone_pcm

FULL_SCALE = 32768.0


def dbfs(amplitude: float) -> float:
    return 20 * np.log10(max(amplitude, 1e-9) / FULL_SCALE)


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if len(pcm) else 0.0


def noise_clip(text: str, ms: int = 400, level: float = 3000.0) -> np.ndarray:
    """A deterministic noise burst per text, with short fades: stands in for a speech clip."""
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    n = ms_to_samples(ms)
    env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 50.0)
    return np.round(rng.standard_normal(n) * level * env).astype(np.int16)


def padded_in_silence(pcm: np.ndarray) -> np.ndarray:
    silence = np.zeros(SAMPLE_RATE, np.int16)
    return np.concatenate([silence, pcm, silence])


def timeline(duration_ms: int, cues: list[Cue]) -> Timeline:
    return Timeline(
        name="t", title="T", duration_ms=duration_ms, cues=tuple(cues),
        chapters=(Chapter("All", 0, duration_ms),),
    )


def naive_mix(tl: Timeline, clip_for) -> np.ndarray:
    """The obvious whole-array mix, to check the streaming one against."""
    out = np.zeros(ms_to_samples(tl.duration_ms), dtype=np.int64)
    for cue in tl.cues:
        if cue.kind == "tone":
            pcm = tone_pcm(cue.tone)
        elif cue.is_speech and cue.text:
            pcm = normalise_speech(clip_for(cue.text))
        else:
            continue
        start = ms_to_samples(cue.start_ms)
        part = pcm[: max(0, len(out) - start)]
        out[start:start + len(part)] += part
    return np.clip(out, -32768, 32767).astype(np.int16)


# --- tones -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TONES))
def test_tone_has_its_fixed_length_and_is_soft(name):
    pcm = tone_pcm(name)
    assert pcm.dtype == np.int16
    assert len(pcm) == ms_to_samples(TONE_MS[name]) == ms_to_samples(tone_ms(name))
    assert dbfs(float(np.max(np.abs(pcm.astype(np.int32))))) <= -19.5   # well below speech peaks
    # Well below speech, under BS.1770's relative gate: tones never count in a session's loudness.
    assert integrated_lufs(pcm) < DEFAULT_LUFS - 10
    # Fades at both ends: no click when the tone starts or stops.
    assert abs(int(pcm[0])) <= 1 and abs(int(pcm[-1])) <= 1
    peak = int(np.max(np.abs(pcm.astype(np.int32))))
    half_ms = ms_to_samples(1) // 2
    assert np.max(np.abs(pcm[:half_ms].astype(np.int32))) < peak / 2
    assert np.max(np.abs(pcm[-half_ms:].astype(np.int32))) < peak / 2


def test_tone_lengths_are_the_documented_constants():
    assert TONE_MS == {"bell": 1200, "tick": 60, "inhale": 250, "exhale": 250, "in-breath": 1200, "out-breath": 1200}
    assert set(TONE_MS) == set(TONES)


def test_tone_inhale_rises_and_exhale_falls():
    def dominant_hz(pcm: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
        return float(np.argmax(spectrum)) * SAMPLE_RATE / len(pcm)

    def halves(name: str) -> tuple[float, float]:
        pcm = tone_pcm(name)
        return dominant_hz(pcm[: len(pcm) // 2]), dominant_hz(pcm[len(pcm) // 2:])

    first, second = halves("inhale")
    assert second > first
    first, second = halves("exhale")
    assert second < first
    first, second = halves("in-breath")
    assert second > first
    first, second = halves("out-breath")
    assert second < first


def test_tone_unknown_name_is_an_error():
    with pytest.raises(ValueError, match="gong"):
        tone_pcm("gong")


def test_tone_arrays_are_read_only_so_the_cache_cannot_be_corrupted():
    with pytest.raises(ValueError):
        tone_pcm("bell")[0] = 1


# --- loudness --------------------------------------------------------------------------------------

def test_normalise_brings_quiet_speech_to_the_default_loudness():
    clip = noise_clip("quiet", ms=1000, level=300.0)
    out = normalise_speech(clip)
    assert out.dtype == np.int16
    assert abs(integrated_lufs(padded_in_silence(out)) - DEFAULT_LUFS - SESSION_OFFSET_LU) < 0.2


def test_normalise_ignores_silence_around_the_voice():
    voice = noise_clip("voice", ms=500, level=1000.0)
    padded = np.concatenate([np.zeros(SAMPLE_RATE, np.int16), voice, np.zeros(SAMPLE_RATE, np.int16)])
    out = normalise_speech(padded)
    voiced = out[SAMPLE_RATE:SAMPLE_RATE + len(voice)]
    # The same gain as the voice alone: how much silence an engine leaves around a clip does not count.
    alone = normalise_speech(voice)
    assert abs(rms(voiced) / rms(alone) - 1) < 0.01
    assert abs(integrated_lufs(padded_in_silence(alone)) - DEFAULT_LUFS - SESSION_OFFSET_LU) < 0.2
    assert not out[:SAMPLE_RATE].any() and not out[-SAMPLE_RATE:].any()


def test_normalise_limits_true_peaks_to_the_speech_ceiling():
    clip = noise_clip("peaky", ms=1000, level=200.0)
    clip[1000] = 30000  # one huge spike: the loudness target alone would clip it
    out = normalise_speech(clip)
    assert true_peak_dbtp(out) <= SPEECH_CEILING_DBTP + 0.05


def test_normalise_remembers_each_clip_and_keeps_it_read_only():
    clip = noise_clip("again", ms=600)
    first = normalise_speech(clip)
    assert normalise_speech(clip.copy()) is first
    assert normalise_speech(clip, -20.0) is not first
    with pytest.raises(ValueError):
        first[0] = 1


def test_normalise_leaves_silence_and_empty_clips_alone():
    assert not normalise_speech(np.zeros(5000, np.int16)).any()
    assert len(normalise_speech(np.zeros(0, np.int16))) == 0


# --- placement and chunking ------------------------------------------------------------------------

def test_mix_places_each_clip_at_its_exact_sample_across_chunk_boundaries():
    cues = [
        Cue(0, 400, "intro", "one"),
        Cue(777, 1177, "instruction", "two"),        # spans the 1 s chunk boundary
        Cue(1999, 2399, "countdown", "three"),
        Cue(2500, 2560, "tone", tone="tick"),
        Cue(2600, 3800, "tone", tone="bell"),        # spans a boundary
    ]
    tl = timeline(4003, cues)
    chunks = list(iter_pcm_chunks(tl, noise_clip, chunk_ms=1000))
    assert [len(c) for c in chunks] == [22050, 22050, 22050, 22050, ms_to_samples(4003) - 4 * 22050]
    mixed = np.concatenate(chunks)
    assert len(mixed) == ms_to_samples(4003)
    for cue in cues[:3]:
        clip = normalise_speech(noise_clip(cue.text))
        start = ms_to_samples(cue.start_ms)
        np.testing.assert_array_equal(mixed[start:start + len(clip)], clip)
    bell_at = ms_to_samples(2600)
    np.testing.assert_array_equal(mixed[bell_at:bell_at + len(tone_pcm("bell"))], tone_pcm("bell"))
    assert not mixed[ms_to_samples(400):ms_to_samples(777)].any()   # silence between cues
    np.testing.assert_array_equal(mixed, naive_mix(tl, noise_clip))


def test_mix_to_array_matches_the_chunks_and_has_exact_length():
    tl = timeline(95_500, [Cue(31_000, 31_400, "instruction", "a"), Cue(60_000, 60_400, "outro", "b")])
    mixed = mix_to_array(tl, noise_clip)
    assert len(mixed) == ms_to_samples(95_500)
    np.testing.assert_array_equal(mixed, np.concatenate(list(iter_pcm_chunks(tl, noise_clip))))


def test_mix_sums_overlaps_and_clips_instead_of_wrapping():
    # Normalised, each spike lands at -1 dBFS; two of them together exceed int16.
    clip = noise_clip("spiky", ms=300, level=100.0)
    clip[1000], clip[2000] = 30000, -30000
    tl = timeline(1000, [Cue(0, 500, "instruction", "a"), Cue(0, 500, "safety", "b")])
    mixed = mix_to_array(tl, lambda _text: clip)
    assert mixed[1000] == 32767 and mixed[2000] == -32768   # not wrapped around
    single = normalise_speech(clip).astype(np.int32)
    np.testing.assert_array_equal(mixed[:3000], np.clip(2 * single[:3000], -32768, 32767))


def test_mix_speech_clip_longer_than_its_cue_is_an_error_naming_the_cue():
    tl = timeline(2000, [Cue(0, 300, "instruction", "too long")])
    with pytest.raises(ValueError, match="too long"):
        mix_to_array(tl, lambda text: noise_clip(text, ms=400))


def test_mix_allows_a_clip_one_ms_longer_from_rounding():
    clip = noise_clip("x", ms=300)
    clip = np.concatenate([clip, clip[:20]])  # 300.9 ms in a 300 ms cue
    mixed = mix_to_array(timeline(1000, [Cue(0, 300, "instruction", "x")]), lambda _t: clip)
    assert len(mixed) == ms_to_samples(1000)


def test_mix_skips_silent_kinds_and_empty_text_and_handles_unsorted_cues():
    calls: list[str] = []

    def clip_for(text: str) -> np.ndarray:
        calls.append(text)
        return noise_clip(text)

    cues = [
        Cue(1500, 1900, "outro", "late"),
        Cue(0, 3000, "hold"),
        Cue(100, 500, "instruction", ""),
        Cue(200, 600, "instruction", "early"),
        Cue(700, 2000, "pause"),
    ]
    tl = timeline(3000, cues)
    mixed = mix_to_array(tl, clip_for)
    assert calls == ["early", "late"]
    np.testing.assert_array_equal(mixed, naive_mix(tl, noise_clip))


def test_mix_of_an_empty_session_yields_nothing():
    tl = timeline(0, [])
    assert list(iter_pcm_chunks(tl, noise_clip)) == []
    assert len(mix_to_array(tl, noise_clip)) == 0


def test_mix_sound_running_past_the_end_is_cut_at_the_end():
    tl = timeline(1000, [Cue(500, 1700, "tone", tone="bell")])
    mixed = mix_to_array(tl, noise_clip)
    assert len(mixed) == ms_to_samples(1000)
    start = ms_to_samples(500)
    np.testing.assert_array_equal(mixed[start:], tone_pcm("bell")[: len(mixed) - start])


@settings(max_examples=40, deadline=None)
@given(
    chunk_ms=st.integers(min_value=1, max_value=1500),
    duration_ms=st.integers(min_value=0, max_value=3000),
    placements=st.lists(
        st.tuples(st.integers(0, 3000), st.sampled_from(["a", "b", "c", "tick", "bell"])), max_size=8
    ),
)
def test_mix_streaming_equals_naive_whole_array_mix(chunk_ms, duration_ms, placements):
    cues = []
    for start_ms, what in placements:
        if what in TONES:
            cues.append(Cue(start_ms, start_ms + TONE_MS[what], "tone", tone=what))
        else:
            cues.append(Cue(start_ms, start_ms + 400, "instruction", what))
    tl = timeline(duration_ms, cues)
    chunks = list(iter_pcm_chunks(tl, noise_clip, chunk_ms=chunk_ms))
    assert all(len(c) <= ms_to_samples(chunk_ms) for c in chunks)
    mixed = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    np.testing.assert_array_equal(mixed, naive_mix(tl, noise_clip))


# --- bounded memory --------------------------------------------------------------------------------

def test_mix_of_a_60_minute_session_streams_in_bounded_chunks():
    duration_ms = 60 * 60 * 1000
    # A cue every 20 s, a bell every minute: "silent-ish".
    cues = [Cue(t, t + 400, "instruction", f"cue {t}") for t in range(5_000, duration_ms, 20_000)]
    cues += [Cue(t, t + TONE_MS["bell"], "tone", tone="bell") for t in range(0, duration_ms, 60_000)]
    tl = timeline(duration_ms, cues)
    requested: list[str] = []

    def clip_for(text: str) -> np.ndarray:
        requested.append(text)
        return noise_clip(text)

    chunk_samples = ms_to_samples(30_000)
    total = 0
    count = 0
    tracemalloc.start()
    try:
        for chunk in iter_pcm_chunks(tl, clip_for):
            if count == 0:
                # Lazy: only the cues of the first chunk have been rendered so far.
                assert requested == ["cue 5000", "cue 25000"]
            assert len(chunk) <= chunk_samples
            total += len(chunk)
            count += 1
            del chunk
        _current, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == ms_to_samples(duration_ms)
    assert count == 120
    # The whole session as int16 would be ~159 MB; a chunk in int32 plus its int16 copy is ~4 MB.
    assert peak_bytes < 12 * 1024 * 1024
