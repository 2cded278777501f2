"""Mix a compiled timeline into one int16 mono PCM stream, chunk by chunk.

Speech clips and tones are placed sample-accurately at ms_to_samples(cue.start_ms); silence fills the
rest. Only the sounds overlapping the current chunk are held in memory, so memory does not grow with
the length of the routine.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import numpy as np

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.loudness import DEFAULT_LUFS
from coach.timeline.model import Cue, Timeline
from coach.tones import tone_pcm

if TYPE_CHECKING:
    from coach.background.bed import Background

ClipProvider = Callable[[str], np.ndarray]

DEFAULT_CHUNK_MS = 30_000

# Speech loudness: every clip is levelled to one integrated loudness (coach.loudness: BS.1770 LUFS,
# true peak limited), so a whole session measures that loudness, whether exported, played or live.
# Levelling costs tens of ms per clip and a session repeats its phrases, so the result is kept.
_LEVELLED_BUDGET_BYTES = 64 << 20   # about 25 minutes of levelled speech
_levelled: OrderedDict[tuple[bytes, float], np.ndarray] = OrderedDict()
_levelled_bytes = 0
_levelled_lock = threading.Lock()
_CLIP_SLACK_SAMPLES = SAMPLE_RATE // 1000 + 1   # how far a speech clip may run past its cue's end


def iter_pcm_chunks(
    timeline: Timeline, clip_for: ClipProvider, chunk_ms: int = DEFAULT_CHUNK_MS,
    background: Background | None = None, speech_lufs: float = DEFAULT_LUFS,
) -> Iterator[np.ndarray]:
    """Yield the whole session as int16 mono chunks of ms_to_samples(chunk_ms) samples (last one shorter).

    The chunks add up to exactly ms_to_samples(timeline.duration_ms) samples. Speech cues (non-empty
    text) get clip_for(cue.text) levelled to speech_lufs (see normalise_speech); tone cues get
    coach.tones.tone_pcm(cue.tone); a background plays under everything, ducked under speech
    (coach.background). Overlapping sounds are summed and clipped to int16.

    Raises ValueError if a speech clip is longer than its cue (a bug in whoever timed the cue).
    """
    if chunk_ms <= 0:
        raise ValueError(f"chunk_ms must be positive, got {chunk_ms}")
    total_samples = ms_to_samples(timeline.duration_ms)
    chunk_samples = max(1, ms_to_samples(chunk_ms))
    pending = sorted((c for c in timeline.cues if c.is_audible), key=lambda c: c.start_ms)
    next_cue = 0
    # Sounds started but not finished: (end_sample, seq, start_sample, pcm); a heap on end_sample.
    active: list[tuple[int, int, int, np.ndarray]] = []
    seq = 0

    for chunk_start in range(0, total_samples, chunk_samples):
        chunk_end = min(chunk_start + chunk_samples, total_samples)
        while next_cue < len(pending) and ms_to_samples(pending[next_cue].start_ms) < chunk_end:
            cue = pending[next_cue]
            next_cue += 1
            start = ms_to_samples(cue.start_ms)
            pcm = _sound_for(cue, clip_for, speech_lufs)
            if len(pcm) and start + len(pcm) > chunk_start:
                heapq.heappush(active, (start + len(pcm), seq, start, pcm))
                seq += 1

        mixed = np.zeros(chunk_end - chunk_start, dtype=np.int32)
        for _end, _seq, start, pcm in active:
            lo = max(start, chunk_start)
            hi = min(start + len(pcm), chunk_end)
            if lo < hi:
                mixed[lo - chunk_start:hi - chunk_start] += pcm[lo - start:hi - start]
        while active and active[0][0] <= chunk_end:
            heapq.heappop(active)  # finished: let its memory go
        if background is not None:
            from coach.background.bed import bed_pcm

            bed = np.round(bed_pcm(background, timeline, chunk_start, chunk_end - chunk_start))
            yield np.clip(mixed + bed, -32768, 32767).astype(np.int16)
            continue
        yield np.clip(mixed, -32768, 32767).astype(np.int16)


def mix_to_array(timeline: Timeline, clip_for: ClipProvider, speech_lufs: float = DEFAULT_LUFS) -> np.ndarray:
    """The whole session as one int16 array: for short routines and tests."""
    chunks = list(iter_pcm_chunks(timeline, clip_for, speech_lufs=speech_lufs))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)


def mix_range(timeline: Timeline, clip_for: ClipProvider, start_ms: int, end_ms: int,
              speech_lufs: float = DEFAULT_LUFS, background: Background | None = None) -> np.ndarray:
    """Exactly mix_to_array(timeline, clip_for)[ms_to_samples(start_ms):ms_to_samples(end_ms)] (with
    the background bed as iter_pcm_chunks lays it).

    Only the sounds that reach into the range are fetched (clip_for is not called for the others), so
    a player can mix one stretch of a session at a time, sample-identical to the export. The range is
    clamped to the session.
    """
    total_samples = ms_to_samples(timeline.duration_ms)
    lo = min(max(ms_to_samples(start_ms), 0), total_samples)
    hi = min(max(ms_to_samples(end_ms), lo), total_samples)
    mixed = np.zeros(hi - lo, dtype=np.int32)
    for cue in timeline.cues:
        if not cue.is_audible:
            continue
        start = ms_to_samples(cue.start_ms)
        if start >= hi or _latest_end_sample(cue) <= lo:
            continue
        pcm = _sound_for(cue, clip_for, speech_lufs)
        a, b = max(start, lo), min(start + len(pcm), hi)
        if a < b:
            mixed[a - lo:b - lo] += pcm[a - start:b - start]
    if background is not None:
        from coach.background.bed import bed_pcm

        mixed = mixed + np.round(bed_pcm(background, timeline, lo, hi - lo))
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def normalise_speech(clip: np.ndarray, target_lufs: float = DEFAULT_LUFS) -> np.ndarray:
    """Raw engine output levelled to target_lufs, its true peak at most SPEECH_CEILING_DBTP, as int16.

    See coach.loudness.level_speech (silence is not counted, the gain is capped at +30 dB, a silent
    clip is returned as is). The same clip and target give the same, remembered, read-only array.
    """
    global _levelled_bytes
    samples = np.ascontiguousarray(clip, dtype=np.int16)
    key = (hashlib.blake2b(samples.tobytes(), digest_size=16).digest(), float(target_lufs))
    with _levelled_lock:
        found = _levelled.get(key)
        if found is not None:
            _levelled.move_to_end(key)
            return found
    from coach.loudness import level_speech

    levelled = level_speech(samples, target_lufs)
    levelled.flags.writeable = False
    with _levelled_lock:
        if key not in _levelled:
            _levelled[key] = levelled
            _levelled_bytes += levelled.nbytes
            while _levelled_bytes > _LEVELLED_BUDGET_BYTES and len(_levelled) > 1:
                _levelled_bytes -= _levelled.popitem(last=False)[1].nbytes
    return levelled


def _latest_end_sample(cue: Cue) -> int:
    """Where the cue's sound ends at the latest, known without fetching its clip (see _sound_for)."""
    if cue.kind == "tone":
        return ms_to_samples(cue.start_ms) + len(tone_pcm(cue.tone))
    return ms_to_samples(cue.end_ms) + _CLIP_SLACK_SAMPLES


def _sound_for(cue: Cue, clip_for: ClipProvider, speech_lufs: float) -> np.ndarray:
    if cue.kind == "tone":
        return tone_pcm(cue.tone)
    clip = np.asarray(clip_for(cue.text))
    if clip.ndim != 1:
        raise ValueError(f"clip for {cue.text!r} must be mono (1-D), got shape {clip.shape}")
    # The compiler works in whole ms, so allow one ms of rounding before calling the clip too long.
    allowed = ms_to_samples(cue.end_ms) - ms_to_samples(cue.start_ms) + _CLIP_SLACK_SAMPLES
    if len(clip) > allowed:
        raise ValueError(
            f"speech clip is {len(clip) * 1000 // SAMPLE_RATE} ms but its cue lasts"
            f" {cue.duration_ms} ms: {cue!r}"
        )
    return normalise_speech(clip, speech_lufs)
