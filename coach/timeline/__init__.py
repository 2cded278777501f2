"""The pure timeline compiler: routine + spoken lengths -> timed cues and chapters. No I/O, no clock."""

from coach.timeline.model import Chapter, Cue, Timeline

__all__ = ["Chapter", "Cue", "Timeline"]
