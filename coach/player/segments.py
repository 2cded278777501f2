"""What a player plays and where it can jump: pure functions of a timeline, no audio, no clock.

Sound segments: the sounding cues (speech and tones) grouped so that each group can be handed to the
audio output as one buffer. A segment's PCM is `coach.mix.mix_range` over its range, so what a player
plays is sample for sample what `coach export` writes, and the silence between segments is kept by the
player's clock instead of by zeros in a buffer.

Steps: the top-level events (an instruction, a hold, a paced-breathing span, a rest ...) that the `n`
and `p` keys move between. Together they cover the session without gaps.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from coach.timeline.model import SPAN_KINDS, SPAN_LABELS, Cue, Timeline

# Sounds closer together than this share one buffer: the device is not reopened for a gap too short to
# hear (ALSA's 100 ms buffer would still be draining), and their spacing stays exact to the sample.
# Kept below the compiler's 400 ms pause between instructions, so each sentence can start on its own.
MERGE_GAP_MS = 250
# A speech clip may run about 1 ms past its cue's end (whole-ms timing, see coach.mix); the segment
# reaches a little further so no tail is cut off.
TAIL_MS = 2



@dataclass(frozen=True)
class Segment:
    index: int
    start_ms: int
    end_ms: int
    cues: tuple[Cue, ...]   # the sounding cues in it, by start

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class PlayerStep:
    """One place the n and p keys move between: a top-level event and the time until the next one."""

    index: int
    start_ms: int
    end_ms: int
    kind: str       # the kind of the event that opens the step: "hold", "instruction", ...
    label: str      # what a person would call it: "Hold", "Get ready", or the sentence spoken
    chapter: str

    @property
    def is_span(self) -> bool:
        """A timed span (hold, breathing, get-ready, rest): its time left is worth showing."""
        return self.kind in SPAN_KINDS


def sound_segments(timeline: Timeline, merge_gap_ms: int = MERGE_GAP_MS) -> tuple[Segment, ...]:
    """Maximal groups of sounding cues whose sounds overlap or lie less than merge_gap_ms apart."""
    sounding = sorted((c for c in timeline.cues if c.is_audible), key=lambda c: (c.start_ms, c.end_ms))
    groups: list[list[Cue]] = []
    group_end_ms = 0
    for cue in sounding:
        if groups and cue.start_ms < group_end_ms + merge_gap_ms:
            groups[-1].append(cue)
            group_end_ms = max(group_end_ms, cue.end_ms)
        else:
            groups.append([cue])
            group_end_ms = cue.end_ms
    return tuple(
        Segment(
            index=i,
            start_ms=group[0].start_ms,
            end_ms=min(timeline.duration_ms, max(c.end_ms for c in group) + TAIL_MS),
            cues=tuple(group),
        )
        for i, group in enumerate(groups)
    )


def steps(timeline: Timeline) -> tuple[PlayerStep, ...]:
    """The top-level events: spans, and sounding speech not inside a span. Each step lasts until the
    next one starts; the first starts at 0 (the opening bell belongs to it) and the last ends with the
    session. Cues inside a span (breath cues, countdown, hold cues) belong to the span's step."""
    spans = [c for c in timeline.cues if c.kind in SPAN_KINDS]
    openers: list[Cue] = []
    for cue in sorted(timeline.cues, key=lambda c: (c.start_ms, c.kind not in SPAN_KINDS)):
        if cue.kind in SPAN_KINDS:
            inside = any(s is not cue and s.start_ms <= cue.start_ms < s.end_ms for s in spans)
        elif cue.is_speech and cue.text:
            inside = any(s.start_ms <= cue.start_ms < s.end_ms for s in spans)
        else:
            continue  # tones and empty cues open nothing
        if not inside and not (openers and openers[-1].start_ms == cue.start_ms):
            openers.append(cue)
    if not openers:
        return (PlayerStep(0, 0, timeline.duration_ms, "session", timeline.title, _chapter_at(timeline, 0)),)
    starts = [0] + [c.start_ms for c in openers[1:]] + [timeline.duration_ms]
    return tuple(
        PlayerStep(i, starts[i], starts[i + 1], cue.kind, _label(cue), cue.chapter or _chapter_at(timeline, cue.start_ms))
        for i, cue in enumerate(openers)
    )


def index_at(items: tuple[Segment, ...] | tuple[PlayerStep, ...], position_ms: float) -> int:
    """Index of the last item starting at or before position_ms (-1 if none)."""
    return bisect_right([it.start_ms for it in items], position_ms) - 1


def segment_playing_at(segments: tuple[Segment, ...], position_ms: float) -> Segment | None:
    """The segment sounding at position_ms, if any."""
    i = index_at(segments, position_ms)
    if i >= 0 and position_ms < segments[i].end_ms:
        return segments[i]
    return None


def speech_cue_at(segments: tuple[Segment, ...], position_ms: float) -> Cue | None:
    """The speech cue being spoken at position_ms, if any (the latest to start, should two overlap)."""
    seg = segment_playing_at(segments, position_ms)
    if seg is None:
        return None
    spoken = [c for c in seg.cues if c.is_speech and c.start_ms <= position_ms < c.end_ms]
    return max(spoken, key=lambda c: c.start_ms) if spoken else None


def _label(cue: Cue) -> str:
    return SPAN_LABELS.get(cue.kind) or cue.text


def _chapter_at(timeline: Timeline, position_ms: int) -> str:
    for chapter in timeline.chapters:
        if chapter.start_ms <= position_ms < chapter.end_ms:
            return chapter.title
    return timeline.chapters[-1].title if timeline.chapters else timeline.title
