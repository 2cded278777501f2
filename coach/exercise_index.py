"""The built-in exercises as objects a builder can choose from: position, focus, equipment,
contraindications, their place in a session (role), and the ranges the articles give for what may be
scaled (docs/exercise-library.md, "the article gives"). Pure: read from the scripts, no audio.

Where an article gives one value (child's pose: 30 s), that value is the upper bound and half of it the
lower: shorter is always allowed, longer than the articles never. Where no article gives a time or a
count, the exercise is played as written. A lower bound is raised to the shortest value the coaching
lint accepts (a hold too short for its cues would drop them), so a plan passes `validate --strict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from coach import model as m
from coach.library import builtin_names, load_ref

ROLES = ("mobility", "main", "rest")   # the order of a session: gentle mobility, the strongest work, a rest
KNOBS = ("hold_s", "breaths", "reps")  # what a routine entry may override (coach.model.Entry)


@dataclass(frozen=True)
class Range:
    knob: str        # one of KNOBS
    low: int
    high: int

    def at(self, fraction: float) -> int:
        """The value a fraction of the way from low to high, 0 <= fraction <= 1."""
        fraction = min(max(fraction, 0.0), 1.0)
        return round(self.low + fraction * (self.high - self.low))

    def clamp(self, value: float) -> int:
        return int(min(max(round(value), self.low), self.high))


@dataclass(frozen=True)
class Rule:
    role: str
    strong: bool = False                 # left out by --gentle
    ranges: tuple[Range, ...] = ()


def _r(knob: str, low: int, high: int) -> Range:
    return Range(knob, low, high)


# name -> its role and ranges; the sources are in docs/exercise-library.md's table of exercises.
RULES: dict[str, Rule] = {
    "bed-edge-stretch": Rule("main"),                                   # 004: no time or count
    "cat-cow": Rule("mobility", ranges=(_r("breaths", 8, 10),)),        # 002: 8-10 breaths
    "chair-back-extension": Rule("main"),                               # no time or count
    "chest-stretch": Rule("mobility", ranges=(_r("reps", 5, 10),)),     # 003: 5 s, 10 times
    "child-pose": Rule("rest", ranges=(_r("hold_s", 15, 30),)),         # 000: 30 s
    "child-pose-side-reach": Rule("mobility", ranges=(_r("hold_s", 15, 30),)),   # 002: 30 s a side
    "cushion-thoracic-extension": Rule("main", ranges=(_r("hold_s", 15, 30),)),  # 002: 30 s
    "dead-hang": Rule("main", strong=True),                             # 001: no time
    "double-knee-to-chest": Rule("rest", ranges=(_r("hold_s", 15, 30),)),        # 000, 003: 30 s
    "exercise-ball-stretch": Rule("main", ranges=(_r("hold_s", 15, 30), _r("reps", 2, 4))),   # 004: 15-30 s, 2-4 times
    "fist-on-spine-extension": Rule("main", strong=True),               # 000: no time or count
    "foam-roller-mid-back-release": Rule("mobility", ranges=(_r("hold_s", 60, 120),)),        # 002: 1-2 min
    "foam-roller-thoracic-extension": Rule("main", strong=True, ranges=(_r("reps", 5, 10),)),  # 002: 10 reps
    "knee-to-chest": Rule("mobility", ranges=(_r("hold_s", 15, 30),)),  # 002: 30 s a leg
    "kneeling-lat-stretch": Rule("mobility"),                           # 001: named only
    "lower-back-rotational-stretch": Rule("main", ranges=(_r("hold_s", 5, 10), _r("reps", 2, 3))),  # 004: 5-10 s, 2-3 a side
    "pelvic-tilt": Rule("mobility", ranges=(_r("reps", 2, 3),)),        # 003: no count; the library's 2-3
    "prone-press-up": Rule("main", strong=True, ranges=(_r("reps", 5, 10),)),     # 002: 10 repetitions
    "rocking-stretch": Rule("mobility"),                                # 004: no time or count
    "seated-chair-twist": Rule("main", ranges=(_r("hold_s", 10, 20),)), # 002: 20 s a side
    "seated-row": Rule("mobility", ranges=(_r("reps", 5, 10),)),        # 003: 5 s, 10 times
    "seated-spinal-twist": Rule("main", strong=True, ranges=(_r("reps", 1, 3),)),  # 000: 3 times a side
    "shoulder-blade-squeeze": Rule("mobility", ranges=(_r("reps", 5, 10),)),      # 003: 5 s, 10 times
    "standing-lumbar-extension": Rule("main", ranges=(_r("reps", 2, 5),)),        # 002: no count; the library's 2-5
    "standing-overhead-reach": Rule("mobility", ranges=(_r("reps", 2, 3),)),      # 001: no hold; the library's 2-3
    "superman": Rule("main", strong=True, ranges=(_r("reps", 5, 10),)),  # 003: 5 s, 10 times
    "supine-spinal-twist": Rule("main", ranges=(_r("hold_s", 15, 30),)),  # 002: 30 s a side
    "upper-back-rounding-stretch": Rule("mobility", ranges=(_r("hold_s", 15, 30), _r("reps", 2, 4))),  # 004
    "worlds-greatest-stretch": Rule("main", strong=True),               # 001: no time or count
}

PLAN_MINUTES = (3, 60)   # the shortest and longest session `coach plan` makes
# Where you are -> the starting positions an exercise may have there (coach.vocab.POSITIONS).
PLACES: dict[str, tuple[str, ...]] = {
    "floor": ("standing", "seated-floor", "kneeling", "all-fours", "lying-back", "lying-front", "lying-side",
              "on-roller", "on-ball"),
    "desk": ("seated-chair", "standing"),
    "bed": ("bed-edge", "lying-back", "lying-front", "lying-side", "kneeling", "all-fours"),
    "standing": ("standing", "hanging"),
}
# Equipment everyone has, and what a place brings with it. A mat stands for any soft surface.
ALWAYS_AT_HAND = ("none", "mat")
PLACE_BRINGS: dict[str, tuple[str, ...]] = {"desk": ("chair",), "bed": ("bed",)}


@dataclass(frozen=True)
class IndexedExercise:
    name: str
    title: str
    position: str
    focus: tuple[str, ...]
    equipment: tuple[str, ...]
    contraindications: tuple[str, ...]
    role: str
    strong: bool
    ranges: tuple[Range, ...]
    defaults: tuple[tuple[str, int], ...]   # knob -> the script's own value, for the knobs in `ranges`

    def range_of(self, knob: str) -> Range | None:
        return next((r for r in self.ranges if r.knob == knob), None)


@lru_cache(maxsize=1)
def index() -> tuple[IndexedExercise, ...]:
    """Every built-in exercise (not routine) that has a rule, in name order."""
    out = []
    for name in builtin_names():
        script, _ = load_ref(name)
        if not isinstance(script, m.Exercise) or name not in RULES:
            continue
        rule = RULES[name]
        ranges = tuple(_lint_clean(script, r) for r in rule.ranges)
        out.append(IndexedExercise(name, script.title, script.position, script.focus, script.equipment,
                                   script.contraindications, rule.role, rule.strong, ranges,
                                   tuple((r.knob, default_value(script, r.knob)) for r in ranges)))
    return tuple(out)


def _lint_clean(exercise: m.Exercise, bounds: Range) -> Range:
    """The range from the lowest value whose exercise the lint passes (the high end always does: the
    scripts pass it as written, and longer holds only make room)."""
    from coach.library import apply_overrides
    from coach.lint import lint_exercise

    for value in range(bounds.low, bounds.high):
        if not lint_exercise(apply_overrides(exercise, m.Entry(exercise.name, **{bounds.knob: value}))):
            return Range(bounds.knob, value, bounds.high)
    return Range(bounds.knob, bounds.high, bounds.high)


def by_name() -> dict[str, IndexedExercise]:
    return {e.name: e for e in index()}


def default_value(exercise: m.Exercise, knob: str) -> int:
    """The script's own hold (s), breaths or repetitions: the first step that has one."""
    for step in m.iter_steps(exercise.steps):
        if knob == "hold_s" and isinstance(step, m.Hold) and step.hold_ms is not None:
            return step.hold_ms // 1000
        if knob == "breaths" and isinstance(step, m.Hold) and step.breaths is not None:
            return step.breaths
        if knob == "breaths" and isinstance(step, m.Breathe):
            return step.breaths
        if knob == "reps" and isinstance(step, m.Repeat):
            return step.times
    raise ValueError(f"{exercise.name} has no {knob}")
