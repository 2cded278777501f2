"""What coach says when asked "how long": the time left in this step (when it is a timed one) and in
the session, in round numbers a person can take in with their eyes closed."""

from __future__ import annotations

from coach.player.segments import PlayerStep

# The timed step kinds (coach.timeline.model.SPAN_KINDS), as the end of "About 20 seconds left ..."
_LEFT_IN = {"hold": "in this hold", "breathe": "of this breathing", "transition": "to get ready",
            "move": "to move", "pause": "of this rest"}


def time_left_sentence(step: PlayerStep | None, position_ms: float, duration_ms: int) -> str:
    parts = []
    if step is not None and step.is_span:
        parts.append(f"{_amount(step.end_ms - position_ms)} left {_LEFT_IN.get(step.kind, 'in this step')}.")
    parts.append(f"{_amount(duration_ms - position_ms)} left in the session.")
    return " ".join(p[0].upper() + p[1:] for p in parts)


def _amount(ms: float) -> str:
    seconds = max(0.0, ms) / 1000
    if seconds < 10:
        return "a few seconds"
    if seconds < 60:
        return f"about {int(5 * round(seconds / 5))} seconds"
    if seconds < 90:
        return "about a minute"
    return f"about {round(seconds / 60)} minutes"
