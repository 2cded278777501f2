"""Rules over the breath as the compiled timeline paces it: no implied held breath (rule
"held-breath") and a breath instruction gets a breath's time (rule "short-breath")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from coach import model as m
from coach.lint.words import breath_marks, quote as _short
from coach.timeline.model import Timeline

# An in-breath held longer than this, with no word about breathing, is a held breath (issue 21:
# "never an implied held breath over ~6 s"); paced phases set out longer are the script's choice.
HELD_BREATH_MS = 6_000
# A phase told in words needs this share of the routine's pace before the next breath word: a
# listener can shorten a breath a little, not halve it.
PHASE_SHARE = 0.75


@dataclass(frozen=True)
class Mark:
    at_ms: int
    kind: str            # "in", "out" or "free"
    text: str            # the cue's words ("" for a pacing tone)
    paced: bool          # the compiler times this phase (breathe steps, breath holds, breath-led moves)
    phase_ms: int = 0    # a breath-led move's phase
    cue_ms: int = 0      # where the cue that says it starts


def marks(timeline: Timeline) -> list[Mark]:
    """Every breath instruction and pacing tone, in time order."""
    cues = timeline.cues
    paced_spans = [(c.start_ms, c.end_ms) for c in cues if c.kind in ("hold", "breathe")
                   and any(t.kind == "tone" and t.tone in ("inhale", "exhale") and c.start_ms <= t.start_ms < c.end_ms
                           for t in cues)]
    tones = {(c.start_ms, "in" if c.tone == "inhale" else "out") for c in cues
             if c.kind == "tone" and c.tone in ("inhale", "exhale")}
    moves = {c.start_ms: c.duration_ms for c in cues if c.kind == "move"}
    found: list[Mark] = []
    for cue in cues:
        if cue.kind == "tone" and cue.tone in ("inhale", "exhale"):
            found.append(Mark(cue.start_ms, "in" if cue.tone == "inhale" else "out", "", True))
        elif cue.is_speech and cue.text:
            inside_paced = any(s <= cue.start_ms < e for s, e in paced_spans)
            for share, kind in breath_marks(cue.text):
                at_ms = cue.start_ms + int(share * cue.duration_ms)
                led = (cue.start_ms, kind) in tones   # a breath-led move's words: the phase is timed
                found.append(Mark(at_ms, kind, cue.text, inside_paced or cue.kind == "breath" or led,
                                  moves.get(cue.start_ms, 0) if led else 0, cue.start_ms))
    found.sort(key=lambda mk: (mk.at_ms, mk.text == ""))
    return found


def exercise_pace(ex: m.Exercise) -> tuple[int, int]:
    """The exercise's breath pace (its `breath:`), as every hold carries it."""
    for step in m.iter_steps(ex.steps):
        if isinstance(step, m.Hold):
            return step.inhale_ms, step.exhale_ms
    return m.DEFAULT_INHALE_MS, m.DEFAULT_EXHALE_MS


def held_breaths(timeline: Timeline, end_ms: int) -> Iterator[tuple[str, int, str]]:
    """(cue text, its start, message) for each in-breath told in words that no breath word follows in time."""
    found = marks(timeline)
    for i, mk in enumerate(found):
        if mk.kind != "in" or not mk.text or (mk.paced and not mk.phase_ms):
            continue   # paced breathing: the compiler's exhale always follows
        later = [n for n in found[i + 1:] if n.at_ms > mk.at_ms]
        until = min(later[0].at_ms, end_ms) if later else end_ms
        window = max(HELD_BREATH_MS, mk.phase_ms)
        if until - mk.at_ms > window:
            yield mk.text, mk.cue_ms, (f"'{_short(mk.text)}' starts an in-breath and nothing about breathing follows for "
                            f"{(until - mk.at_ms) / 1000:.0f} s: an implied held breath (at most {HELD_BREATH_MS // 1000} s); "
                            f"say when to breathe out (e.g. a hold cue 'Breathe out ...') or make the movement "
                            f"a `move` led by the breath (held-breath)")


def short_breaths(timeline: Timeline, ex: m.Exercise) -> Iterator[tuple[str, int, str]]:
    """(cue text, its start, message) for each breath phase told in words that gets less than its share of the pace."""
    inhale_ms, exhale_ms = exercise_pace(ex)
    found = marks(timeline)
    for i, mk in enumerate(found):
        if mk.kind == "free" or mk.paced or not mk.text:
            continue
        later = [n for n in found[i + 1:] if n.at_ms > mk.at_ms]
        if not later:
            continue
        pace_ms = inhale_ms if mk.kind == "in" else exhale_ms
        got_ms = later[0].at_ms - mk.at_ms
        if got_ms < PHASE_SHARE * pace_ms:
            breath = "in-breath" if mk.kind == "in" else "out-breath"
            yield mk.text, mk.cue_ms, (f"'{_short(mk.text)}' gives the {breath} {got_ms / 1000:.1f} s before the next breath cue; "
                            f"at this routine's pace ({inhale_ms / 1000:g} s in, {exhale_ms / 1000:g} s out) it needs "
                            f"about {pace_ms / 1000:g} s: give each breath its own `move` led by the breath "
                            f"(breath: in / breath: out) (short-breath)")
