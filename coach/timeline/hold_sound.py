"""What sounds in a timed hold while coach is not speaking, so a long hold never sounds like the end.

breath: a quiet tone rising at each in-breath and falling at each out-breath, at the hold's breathing
pace (the routine's inhale and exhale, times --breath-scale); tick: a soft tick each second; none:
silence. The tones go where the hold has no speech: the speech is placed first and never moves, each
tone keeps CLEAR_MS from any speech and from the hold's ends, and a tone that would not fit is left
out. Holds counted in breaths already sound their breaths (inhale/exhale tones) and get nothing more.
"""

from __future__ import annotations

from coach.timeline.model import TONE_MS

HOLD_SOUNDS = ("breath", "tick", "none")
CLEAR_MS = 300          # between a hold sound and any speech, and the hold's start and end
TICK_EVERY_MS = 1_000
TONE_GAP_MS = 100       # between two hold-sound tones, at a fast pace


def hold_sound_tones(sound: str, span_ms: int, speech: list[tuple[int, int]], inhale_ms: int,
                     exhale_ms: int) -> list[tuple[int, str]]:
    """(offset from the hold's start, tone name) for each tone; offsets and speech are span-relative."""
    if sound == "none":
        return []
    if sound == "tick":
        wanted = [(at, "tick") for at in range(TICK_EVERY_MS, span_ms, TICK_EVERY_MS)]
    elif sound == "breath":
        # The breathing starts with the hold (after the clearance from the words that led into it).
        wanted, at = [], CLEAR_MS
        while at < span_ms:
            wanted.append((at, "in-breath"))
            wanted.append((at + inhale_ms, "out-breath"))
            at += inhale_ms + exhale_ms
    else:
        raise ValueError(f"unknown hold sound {sound!r}: use one of {', '.join(HOLD_SOUNDS)}")
    kept: list[tuple[int, str]] = []
    free_from = CLEAR_MS
    for at, tone in wanted:
        end = at + TONE_MS[tone]
        if at < free_from or end > span_ms - CLEAR_MS:
            continue
        if any(at < s_end + CLEAR_MS and s_start < end + CLEAR_MS for s_start, s_end in speech):
            continue
        kept.append((at, tone))
        free_from = end + TONE_GAP_MS
    return kept
