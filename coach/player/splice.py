"""A timeline re-planned during its session: the past as it was planned, the rest as planned now.

A cold `play` plans texts not yet synthesized with generous slots; as clips arrive the session is
compiled again with their real lengths, and the new plan takes over at the first step that has not
started. Pure: no clock, no audio. The result keeps every guarantee the compiler gives, because it is
made of two of the compiler's own timelines cut where both are at the same step: what comes before
the cut is the old plan's, untouched (nothing that started moves); what comes after is the new plan's,
shifted in time as a whole; and nothing sounds across the cut.
"""

from __future__ import annotations

import dataclasses

from coach.player.segments import MERGE_GAP_MS, PlayerStep, steps
from coach.timeline.model import Timeline


def _signature(step: PlayerStep) -> tuple[str, str, str]:
    return step.kind, step.label, step.chapter


def splice(old: Timeline, new: Timeline, after_ms: float) -> tuple[Timeline, int] | None:
    """`old` up to its first step starting after `after_ms` that `new` has too (same steps from there
    on), then `new` from that step on, moved to start where the old one did. Returns the timeline and
    the cut (ms), or None when no step can be cut at (the plans differ in what they say from there, or
    the session is nearly over)."""
    old_steps, new_steps = steps(old), steps(new)
    old_sig, new_sig = [_signature(s) for s in old_steps], [_signature(s) for s in new_steps]
    common = 0   # how many steps at the end the two plans share
    while common < min(len(old_sig), len(new_sig)) - 1 and old_sig[-1 - common] == new_sig[-1 - common]:
        common += 1
    offset = len(new_steps) - len(old_steps)
    for k in range(max(1, len(old_steps) - common), len(old_steps)):
        cut_old, cut_new = old_steps[k].start_ms, new_steps[k + offset].start_ms
        if cut_old <= after_ms or _sounds_across(old, cut_old) or _sounds_across(new, cut_new):
            continue
        return _joined(old, new, cut_old, cut_new), cut_old
    return None


def _sounds_across(timeline: Timeline, cut_ms: int) -> bool:
    """Whether a cue before the cut reaches it (or comes so close that its sound would share a buffer
    with the first sound after it)."""
    return any(c.start_ms < cut_ms and (c.end_ms > cut_ms or (c.is_audible and c.end_ms > cut_ms - MERGE_GAP_MS))
               for c in timeline.cues)


def _joined(old: Timeline, new: Timeline, cut_old: int, cut_new: int) -> Timeline:
    shift = cut_old - cut_new

    def moved(ms: int) -> int:
        return ms + shift

    cues = [c for c in old.cues if c.start_ms < cut_old]
    cues += [dataclasses.replace(c, start_ms=moved(c.start_ms), end_ms=moved(c.end_ms))
             for c in new.cues if c.start_ms >= cut_new]
    chapters = [ch for ch in old.chapters if ch.start_ms < cut_old]
    if chapters and chapters[-1].end_ms > cut_old:   # the chapter the cut falls in ends where the new plan ends it
        inside = [ch for ch in new.chapters if ch.start_ms < cut_new < ch.end_ms]
        chapters[-1] = dataclasses.replace(chapters[-1], end_ms=moved(inside[0].end_ms) if inside else cut_old)
    chapters += [dataclasses.replace(ch, start_ms=moved(ch.start_ms), end_ms=moved(ch.end_ms))
                 for ch in new.chapters if ch.start_ms >= cut_new]
    return dataclasses.replace(
        new,
        duration_ms=moved(new.duration_ms),
        cues=tuple(cues),
        chapters=tuple(chapters),
        dropped=tuple([d for d in old.dropped if d.at_ms < cut_old]
                      + [dataclasses.replace(d, at_ms=moved(d.at_ms)) for d in new.dropped if d.at_ms >= cut_new]),
        positions=tuple([p for p in old.positions if p[0] < cut_old]
                        + [(moved(ms), where) for ms, where in new.positions if ms >= cut_new]),
    )
