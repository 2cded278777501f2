"""What the compiler produces: frozen, plain data that a test can read without any audio."""

from __future__ import annotations

from dataclasses import dataclass

# Cue kinds. Speech kinds carry text; the others have text == "".
SPEECH_KINDS = frozenset(
    {
        "intro",        # routine title and length
        "announce",     # exercise name
        "setup",        # get-ready instruction when the position changes
        "instruction",  # a `say` or `move` step's words
        "tempo",        # a movement's seconds counted aloud
        "safety",       # a safety cue, never dropped
        "breath",       # "Breathe in" / "Breathe out" / a breathe step's phase text
        "hold-cue",     # a script cue inside a hold
        "halfway",
        "countdown",    # one number, starting exactly on its second
        "count",        # repetition number
        "switch-sides",
        "rest",         # a rest's spoken text
        "outro",
    }
)
SILENT_KINDS = frozenset(
    {
        "hold",        # the span of a hold (speech inside it is separate cues)
        "breathe",     # the span of a paced-breathing step
        "transition",  # get-ready time / switch-sides transition
        "move",        # time to move after a `move` step's words (and to settle)
        "pause",       # silent rest time
        "tone",        # a non-speech sound; `tone` says which
    }
)
# The silent kinds that are a stretch of the session's time (not a sound), with how the player shows them.
SPAN_LABELS: dict[str, str] = {"hold": "Hold", "breathe": "Paced breathing", "transition": "Get ready",
                               "move": "Move", "pause": "Rest"}
SPAN_KINDS = frozenset(SPAN_LABELS)
# Tone name -> length in ms. The compiler times tone cues with these; coach.tones gives each its
# sound, exactly this long. Here, so the compiler needs no audio code.
# in-breath / out-breath: the soft breath pacing inside a timed hold (--hold-sound breath).
TONE_MS: dict[str, int] = {"bell": 1_200, "tick": 60, "inhale": 250, "exhale": 250,
                           "in-breath": 1_200, "out-breath": 1_200}
TONES = frozenset(TONE_MS)


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    kind: str
    text: str = ""        # what is spoken; "" for silent kinds
    chapter: str = ""     # title of the chapter the cue falls in
    tone: str = ""        # for kind == "tone": one of TONES

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def is_speech(self) -> bool:
        return self.kind in SPEECH_KINDS

    @property
    def is_audible(self) -> bool:
        """Makes a sound: speech with text, or a named tone. What the mixer mixes and the player plays."""
        return (self.is_speech and bool(self.text)) or (self.kind == "tone" and bool(self.tone))


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class DroppedCue:
    """A low-priority cue that did not fit where it belonged (see docs/script-format.md)."""

    text: str
    at_ms: int
    reason: str


@dataclass(frozen=True)
class Timeline:
    name: str
    title: str
    duration_ms: int
    cues: tuple[Cue, ...]
    chapters: tuple[Chapter, ...]
    dropped: tuple[DroppedCue, ...] = ()
    lengths_from: str = "estimate"   # "estimate" or "audio": where the spoken lengths came from
    verbosity: str = "full"
    positions: tuple[tuple[int, str], ...] = ()   # (start_ms, position) as each exercise begins

    def position_at(self, position_ms: float) -> str | None:
        """The body position the routine has reached at this moment (None before the first exercise)."""
        current = None
        for start_ms, position in self.positions:
            if start_ms > position_ms:
                break
            current = position
        return current

    @property
    def speech(self) -> tuple[Cue, ...]:
        return tuple(c for c in self.cues if c.is_speech)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "duration_ms": self.duration_ms,
            "lengths_from": self.lengths_from,
            "verbosity": self.verbosity,
            "cues": [
                {"start_ms": c.start_ms, "end_ms": c.end_ms, "kind": c.kind, "text": c.text,
                 "chapter": c.chapter, **({"tone": c.tone} if c.tone else {})}
                for c in self.cues
            ],
            "chapters": [
                {"title": ch.title, "start_ms": ch.start_ms, "end_ms": ch.end_ms} for ch in self.chapters
            ],
            "dropped": [{"text": d.text, "at_ms": d.at_ms, "reason": d.reason} for d in self.dropped],
        }
