"""`coach play --plan SPEC`: what `coach plan` asks for, in a few words, so a planned routine plays at
once: "10 lower-back floor", "15,mid-back,foam-roller,gentle", "5 desk seed=7". Pure."""

from __future__ import annotations

import re

from coach.errors import UsageError
from coach.exercise_index import PLACES, PLAN_MINUTES
from coach.plan.build import PlanRequest
from coach.vocab import EQUIPMENT, FOCUS_AREAS

EXAMPLE = '--plan "10 lower-back floor"'


def parse_spec(spec: str, seed: int) -> PlanRequest:
    """The request the words make (seed: used unless they give seed=N). Minutes are required; a
    place word wins over the same equipment word ("bed")."""
    minutes: int | None = None
    focus = place = None
    equipment: list[str] = []
    gentle = False
    for word in (w for w in re.split(r"[\s,]+", spec.strip().lower()) if w):
        number = re.fullmatch(r"(\d+)(?:m|min|mins|minutes?)?", word)
        seeded = re.fullmatch(r"seed=(-?\d+)", word)
        if number:
            minutes = _once(minutes, int(number.group(1)), "minutes")
        elif seeded:
            seed = int(seeded.group(1))
        elif word in FOCUS_AREAS:
            focus = _once(focus, word, "area")
        elif word in PLACES:
            place = _once(place, word, "place")
        elif word in EQUIPMENT:
            equipment.append(word)
        elif word == "gentle":
            gentle = True
        else:
            raise UsageError(f"--plan: {word!r} is not a number of minutes, an area ({', '.join(FOCUS_AREAS)}), "
                             f"a place ({', '.join(PLACES)}), equipment ({', '.join(EQUIPMENT)}), 'gentle' "
                             f"or seed=N; for example {EXAMPLE}")
    if minutes is None:
        raise UsageError(f"--plan: say how many minutes, for example {EXAMPLE}")
    low, high = PLAN_MINUTES
    if not low <= minutes <= high:
        raise UsageError(f"--plan: {minutes} minutes is outside {low}-{high}; for example {EXAMPLE}")
    return PlanRequest(minutes, focus, place, tuple(dict.fromkeys(equipment)), gentle, seed)


def _once(old, new, what: str):
    if old is not None and old != new:
        raise UsageError(f"--plan: two {what}s ({old} and {new}); give one, for example {EXAMPLE}")
    return new
