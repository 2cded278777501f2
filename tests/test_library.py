"""The built-in library: what the articles say, carried into every script."""

from __future__ import annotations

import re

import pytest

from coach import model as m
from coach.library import builtin_names, resolve
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.vocab import CONDITIONS

NAMES = builtin_names()
EXERCISES = [n for n in NAMES if resolve(n).kind == "exercise"]
ROUTINES = [n for n in NAMES if resolve(n).kind == "routine"]
FORBIDDEN = re.compile(r"\b(crack|cracking|pop|popping|force|forcing|bounce|bouncing|jerk|push through)\b", re.I)


def all_texts(steps):
    for step in steps:
        if isinstance(step, (m.Say, m.SafetyStep)):
            yield step.text
        elif isinstance(step, m.Hold):
            yield from (c.text for c in step.cues)
        elif isinstance(step, m.Breathe):
            yield from (step.inhale, step.exhale)
        elif isinstance(step, (m.Repeat, m.Sides)):
            yield from all_texts(step.steps)
        elif isinstance(step, m.Rest) and step.text:
            yield step.text


def holds(steps):
    for step in steps:
        if isinstance(step, m.Hold):
            yield step
        elif isinstance(step, (m.Repeat, m.Sides)):
            yield from holds(step.steps)


def test_library_size():
    assert len(EXERCISES) >= 25, EXERCISES
    assert len(ROUTINES) >= 4, ROUTINES
    for required in ("child-pose", "cat-cow", "supine-spinal-twist", "knee-to-chest", "pelvic-tilt",
                     "foam-roller-thoracic-extension", "dead-hang", "worlds-greatest-stretch",
                     "morning-back", "desk-break", "lower-back-relief", "upper-back-release"):
        assert required in NAMES


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_has_safety_and_contraindications(name):
    ex = resolve(name).exercises[0]
    assert ex.contraindications and set(ex.contraindications) <= set(CONDITIONS)
    assert ex.safety.full and ex.safety.brief, "a safety cue with a brief form"
    timeline = compile_timeline(resolve(name), estimate_spoken_ms, m.CompileOptions(verbosity="minimal"))
    assert any(c.kind == "safety" for c in timeline.cues), "safety is spoken even at minimal verbosity"


@pytest.mark.parametrize("name", EXERCISES)
def test_no_cue_tells_anyone_to_force_or_crack(name):
    ex = resolve(name).exercises[0]
    for text in [ex.safety, *all_texts(ex.steps)]:
        for form in filter(None, (text.full, text.brief)):
            match = FORBIDDEN.search(form)
            # "Don't force" is a safety instruction, not an instruction to force.
            if match and not re.search(r"\b(never|not|don't|do not|without|no)\b[^.]*" + match.group(0), form, re.I):
                pytest.fail(f"{name}: {form!r}")


def test_durations_follow_the_articles():
    child = resolve("child-pose").exercises[0]
    assert [h.hold_ms for h in holds(child.steps)] == [30_000]
    cat_cow = resolve("cat-cow").exercises[0]
    breathes = [s for s in cat_cow.steps if isinstance(s, m.Breathe)]
    assert breathes and all(8 <= b.breaths <= 10 for b in breathes)
    twist = resolve("supine-spinal-twist").exercises[0]
    sides = [s for s in twist.steps if isinstance(s, m.Sides)]
    assert sides and [h.hold_ms for h in holds(sides[0].steps)] == [30_000]


def test_desk_break_needs_only_a_chair():
    routine = resolve("desk-break")
    assert {e.position for e in routine.exercises} <= {"seated-chair", "standing"}
    assert set(routine.equipment) <= {"none", "chair"}


def test_foam_roller_scripts_warn_about_the_lower_back():
    for name in ("foam-roller-thoracic-extension", "foam-roller-mid-back-release"):
        ex = resolve(name).exercises[0]
        spoken = " ".join(t.full.lower() for t in [ex.safety, *all_texts(ex.steps)] if t)
        assert "lower back" in spoken, name


@pytest.mark.parametrize("name", ROUTINES)
def test_routines_last_five_to_fifteen_minutes(name):
    timeline = compile_timeline(resolve(name), estimate_spoken_ms)
    assert 5 * 60_000 <= timeline.duration_ms <= 15 * 60_000, timeline.duration_ms


def test_rests_between_exercises_say_what_comes_next_and_the_outro_fits_the_end():
    from coach.model import CompileOptions
    from coach.timeline.compiler import compile_timeline
    from coach.timeline.estimate import estimate_spoken_ms

    routine = resolve("desk-break")   # ends standing (standing-overhead-reach), rests between exercises
    timeline = compile_timeline(routine, estimate_spoken_ms, CompileOptions())
    rests = [c.text for c in timeline.cues if c.kind == "rest"]
    assert rests[0] == "Rest. Up next: Shoulder blade squeeze, sitting on a chair."
    assert len(rests) == len(routine.exercises) - 1
    outro = [c.text for c in timeline.cues if c.kind == "outro"][0]
    assert "get up" not in outro and "breathing settle" in outro
    lying = compile_timeline(resolve("bedtime-unwind"), estimate_spoken_ms, CompileOptions())
    assert [c.text for c in lying.cues if c.kind == "outro"][0].endswith("Take a moment before you get up.")
    minimal = compile_timeline(routine, estimate_spoken_ms, CompileOptions(verbosity="minimal"))
    assert not [c for c in minimal.cues if c.kind == "rest"]


@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_plays_within_the_bounds_at_the_slowest_settings(name):
    """The bounds refuse runaway scripts, never a built-in: not even with every hold four times as
    long, breathing at half the pace and speech at 80 words a minute."""
    from coach.timeline import bounds

    slowest = m.CompileOptions(hold_scale=4.0, breath_scale=2.0)
    routine = resolve(name, slowest, rate_wpm=80)
    assert bounds.routine_cues(routine.exercises) <= bounds.MAX_CUES // 10
    for ex in routine.exercises:
        size = bounds.exercise_size(ex)
        assert size.nesting < bounds.MAX_NESTING and size.repetitions <= bounds.MAX_REPETITIONS // 10
