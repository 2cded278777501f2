"""A timeline as the page follows it: steps (where next/previous jump, what to do now), the spoken
captions and the chapters, all with their times. The page works out what to show from the audio's
position against these, so the view cannot drift from the sound."""

from __future__ import annotations

from coach.audio_format import SAMPLE_RATE
from coach.export.mp3 import DECODER_DELAY_SAMPLES, ENCODER_DELAY_SAMPLES
from coach.player.segments import steps
from coach.timeline.model import Timeline

# A streamed MP3 has no Info tag to trim the encoder's delay, so its sound reaches the page this late.
STREAM_DELAY_MS = (ENCODER_DELAY_SAMPLES + DECODER_DELAY_SAMPLES) * 1000 / SAMPLE_RATE


def timeline_view(timeline: Timeline) -> dict:
    return {
        "title": timeline.title,
        "duration_ms": timeline.duration_ms,
        "delay_ms": round(STREAM_DELAY_MS, 1),
        "steps": [{"start_ms": s.start_ms, "end_ms": s.end_ms, "kind": s.kind, "label": s.label,
                   "chapter": s.chapter, "span": s.is_span} for s in steps(timeline)],
        "captions": [{"start_ms": c.start_ms, "end_ms": c.end_ms, "kind": c.kind, "text": c.text}
                     for c in timeline.cues if c.is_speech and c.text],
        "chapters": [{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in timeline.chapters],
    }
