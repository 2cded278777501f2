"""The compiler's guarantees, checked over random routines (docs/script-format.md)."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings

from coach import model as m
from coach.timeline.compiler import GAP_MS, compile_timeline
from routine_strategies import options, routines, spoken_lengths

SPANS = ("hold", "breathe")
# Stretches of time that cues can fall inside: holds, breathing and movements.
ENCLOSING = SPANS + ("move",)
PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compile_random(routine, spoken_ms, opts):
    return compile_timeline(routine, spoken_ms, opts)


def spans(timeline):
    return [c for c in timeline.cues if c.kind in SPANS]


def enclosing_span(timeline, cue, kinds=ENCLOSING):
    for span in (c for c in timeline.cues if c.kind in kinds):
        if span is not cue and span.start_ms <= cue.start_ms < span.end_ms:
            return span
    return None


@PROPS
@given(routines(), spoken_lengths(), options())
def test_speech_never_overlaps_and_is_never_cut(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    speech = sorted(timeline.speech, key=lambda c: c.start_ms)
    for cue in speech:
        assert cue.end_ms - cue.start_ms == spoken_ms(cue.text), cue
    for a, b in zip(speech, speech[1:]):
        assert a.end_ms <= b.start_ms, (a, b)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_cues_inside_a_span_stay_inside_it(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    for cue in timeline.cues:
        if cue.kind in ("countdown", "halfway", "hold-cue", "breath"):
            span = enclosing_span(timeline, cue)
            assert span is not None, cue
            assert span.start_ms <= cue.start_ms and cue.end_ms <= span.end_ms, (cue, span)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_countdown_says_one_number_per_second_exactly_on_it(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    words = {"One.": 1, "Two.": 2, "Three.": 3, "Four.": 4, "Five.": 5, "Six.": 6, "Seven.": 7,
             "Eight.": 8, "Nine.": 9, "Ten.": 10}
    for cue in timeline.cues:
        if cue.kind == "countdown":
            span = enclosing_span(timeline, cue)
            assert cue.start_ms == span.end_ms - words[cue.text] * 1000, (cue, span)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_halfway_lands_on_the_midpoint(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    for cue in timeline.cues:
        if cue.kind == "halfway":
            span = enclosing_span(timeline, cue)
            assert cue.start_ms == span.start_ms + (span.end_ms - span.start_ms) // 2


def expected_spans(routine: m.Routine, opts: m.CompileOptions) -> list[int]:
    """Every hold and breathing span's length, in order, computed independently of the compiler."""
    def pace(ms):
        return max(500, round(ms * opts.breath_scale / 100) * 100)

    def hold_ms(ms):
        return ms if opts.hold_scale == 1 else max(1000, round(ms * opts.hold_scale / 1000) * 1000)

    out = []
    for s in unrolled(routine):
        if isinstance(s, m.Hold):
            out.append(hold_ms(s.hold_ms) if s.hold_ms is not None else s.breaths * (pace(s.inhale_ms) + pace(s.exhale_ms)))
        elif isinstance(s, m.Breathe):
            cycle = pace(s.inhale_ms) + pace(s.exhale_ms)
            out.append(cycle * (s.breaths if s.for_ms is None else max(1, round(s.for_ms / cycle))))
    return out


def unrolled(routine: m.Routine) -> list[m.Step]:
    """The leaf steps in the order a session runs them: repetitions, both sides, every set."""
    def walk(steps):
        out = []
        for s in steps:
            if isinstance(s, m.Repeat):
                out += walk(s.steps) * s.times * (2 if s.alternate else 1)
            elif isinstance(s, m.Sides):
                out += walk(s.steps) * 2
            else:
                out.append(s)
        return out

    return [step for ex in routine.exercises for step in walk(ex.steps) * ex.sets]


@PROPS
@given(routines(), spoken_lengths(), options())
def test_holds_last_what_the_script_says(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    assert [s.end_ms - s.start_ms for s in spans(timeline)] == expected_spans(routine, opts)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_a_hold_starts_when_the_instruction_before_it_ends(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    inside = {id(c) for c in timeline.cues if c.kind not in SPANS and enclosing_span(timeline, c)}
    top = [c for c in timeline.cues if id(c) not in inside and c.kind != "tone"]
    for before, span in zip(top, top[1:]):
        if span.kind == "hold" and not any(t.kind == "tone" and t.start_ms == span.start_ms for t in timeline.cues):
            assert span.start_ms == before.end_ms, (before, span)
        elif span.kind in SPANS:
            assert span.start_ms - before.end_ms in (0, GAP_MS), (before, span)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_breath_spans_end_on_a_complete_exhale(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    for span in spans(timeline):
        tones = [c for c in timeline.cues if c.kind == "tone" and span.start_ms <= c.start_ms < span.end_ms
                 and c.tone in ("inhale", "exhale")]
        if not tones:
            continue
        assert [t.tone for t in tones] == ["inhale", "exhale"] * (len(tones) // 2)
        assert tones[0].start_ms == span.start_ms
        exhale_ms = tones[2].start_ms - tones[1].start_ms if len(tones) > 2 else None
        if exhale_ms is not None:
            assert span.end_ms - tones[-1].start_ms == exhale_ms


def _count_sides(steps) -> int:
    return sum(isinstance(s, m.Sides) + _count_sides(s.steps) if isinstance(s, (m.Repeat, m.Sides)) else 0
               for s in steps)


@PROPS
@given(routines(), spoken_lengths(), options())
def test_both_sides_get_equal_holds(routine, spoken_ms, opts):
    """For an exercise with one top-level `sides` step: the holds after "Switch sides" begin with
    exactly the holds that end the first side, with a transition between them."""
    timeline = compile_random(routine, spoken_ms, opts)
    for ex in routine.exercises:
        sides = [s for s in ex.steps if isinstance(s, m.Sides)]
        if len(sides) != 1 or _count_sides(ex.steps) != 1:
            continue
        # The first set's sides (later sets' side chapters are named for their set).
        one_side = expected_spans(m.Routine("x", "x", "x", (dataclasses.replace(ex, steps=sides[0].steps, sets=1),)), opts)
        first = f"{ex.title}: {sides[0].first} side"
        second = f"{ex.title}: {'right' if sides[0].first == 'left' else 'left'} side"
        left = [s.end_ms - s.start_ms for s in spans(timeline) if s.chapter == first]
        right = [s.end_ms - s.start_ms for s in spans(timeline) if s.chapter == second]
        assert left[len(left) - len(one_side):] == one_side
        assert right[: len(one_side)] == one_side
        switch = [c for c in timeline.cues if c.kind == "switch-sides" and c.chapter == second]
        assert len(switch) == 1
        after = [c for c in timeline.cues if c.start_ms >= switch[0].end_ms and c.chapter == second]
        assert after[0].kind == "transition" and after[0].end_ms - after[0].start_ms == 3000


@PROPS
@given(routines(), spoken_lengths(), options())
def test_duration_and_chapters_tile_the_routine(routine, spoken_ms, opts):
    check_tiling(compile_random(routine, spoken_ms, opts))


def check_tiling(timeline):
    assert timeline.duration_ms == max(c.end_ms for c in timeline.cues)
    chapters = timeline.chapters
    assert chapters[0].start_ms == 0 and chapters[-1].end_ms == timeline.duration_ms
    for a, b in zip(chapters, chapters[1:]):
        assert a.end_ms == b.start_ms and a.start_ms < a.end_ms
    for cue in timeline.cues:
        owner = next(ch for ch in chapters if ch.start_ms <= cue.start_ms < ch.end_ms)
        assert cue.chapter == owner.title, cue


@PROPS
@given(routines(), spoken_lengths())
def test_safety_cues_survive_every_verbosity(routine, spoken_ms):
    counts = {v: sum(c.kind == "safety" for c in compile_timeline(routine, spoken_ms, m.CompileOptions(verbosity=v)).cues)
              for v in ("minimal", "brief", "full")}
    assert counts["minimal"] == counts["brief"] == counts["full"] > 0


@PROPS
@given(routines(), spoken_lengths(), options())
def test_compiling_is_deterministic(routine, spoken_ms, opts):
    assert compile_random(routine, spoken_ms, opts) == compile_random(routine, spoken_ms, opts)


def test_a_rest_closing_a_repetition_is_skipped_after_the_last_one():
    from coach.timeline.estimate import estimate_spoken_ms

    rep = m.Repeat(3, True, (m.Say(m.Text("Lift.")), m.Hold(5000, None, 4000, 6000, 0, False), m.Rest(5000)))
    ex = m.Exercise("x", "X", "d", ("lower-back",), ("mat",), "kneeling", ("pregnancy",), m.Text("Gently.", "Gently.", "minimal"), (rep,))
    timeline = compile_timeline(m.Routine("x", "X", "d", (ex,)), estimate_spoken_ms)
    assert sum(c.kind == "pause" for c in timeline.cues) == 2


def _breath_cues_by_span(timeline):
    """For each breath span, its breath cues as (offset from the span's start, text)."""
    out = []
    for span in spans(timeline):
        inside = [c for c in timeline.cues if c.kind == "breath" and span.start_ms <= c.start_ms < span.end_ms]
        out.append([(c.start_ms - span.start_ms, c.text) for c in inside])
    return out


@PROPS
@given(routines(), spoken_lengths(), options())
def test_cues_inside_a_hold_never_take_a_breath_cues_place(routine, spoken_ms, opts):
    import dataclasses

    def without_hold_cues(step):
        return dataclasses.replace(step, cues=()) if isinstance(step, m.Hold) else step

    bare = dataclasses.replace(routine, exercises=tuple(
        dataclasses.replace(ex, steps=m.map_steps(ex.steps, without_hold_cues)) for ex in routine.exercises))
    assert _breath_cues_by_span(compile_random(routine, spoken_ms, opts)) == \
        _breath_cues_by_span(compile_random(bare, spoken_ms, opts))


def expected_moves(routine: m.Routine) -> list[m.Move]:
    """Every movement the session makes, in order, read from the script independently of the compiler."""
    return [s for s in unrolled(routine) if isinstance(s, m.Move)]


@PROPS
@given(routines(), spoken_lengths(), options())
def test_movement_never_overlaps_a_hold_and_lasts_what_the_script_says(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    moves = [c for c in timeline.cues if c.kind == "move"]
    script = expected_moves(routine)
    assert len(moves) == len(script)
    for cue, step in zip(moves, script):
        if step.breath is None:
            assert cue.duration_ms == step.move_ms + step.settle_ms, (cue, step)
        else:
            phase = max(500, round(step.move_ms * opts.breath_scale / 100) * 100)
            assert cue.duration_ms >= phase + step.settle_ms, (cue, step)
        for span in spans(timeline):
            assert cue.end_ms <= span.start_ms or span.end_ms <= cue.start_ms, (cue, span)
        # Inside a movement only its own counted tempo is spoken (a breath-led one opens with its words).
        inside = [c for c in timeline.speech if cue.start_ms < c.start_ms < cue.end_ms]
        assert all(c.kind == "tempo" for c in inside), inside


@PROPS
@given(routines(), spoken_lengths(), options())
def test_a_breath_led_movement_starts_on_its_breath_cue(routine, spoken_ms, opts):
    timeline = compile_random(routine, spoken_ms, opts)
    moves = [c for c in timeline.cues if c.kind == "move"]
    for cue, step in zip(moves, expected_moves(routine)):
        tones = [c.tone for c in timeline.cues if c.kind == "tone" and c.start_ms == cue.start_ms]
        if step.breath is None:
            assert tones == []
            continue
        assert tones == ["inhale" if step.breath == "in" else "exhale"]
        opening = [c for c in timeline.speech if c.start_ms == cue.start_ms]
        if opts.verbosity != "minimal":   # the words, or at least "Breathe out." / "Out."
            assert len(opening) == 1 and opening[0].kind in ("instruction", "breath"), opening
        # What follows waits for the phase to end: no speech from the step before runs into it.
        assert not [c for c in timeline.speech if c.start_ms < cue.start_ms < c.end_ms]


@PROPS
@given(routines(), spoken_lengths(), options())
def test_alternating_repetitions_are_equal_per_side(routine, spoken_ms, opts):
    """An exercise that is one alternating repeat: the spans of each side's repetitions are the same
    list, and each repetition's words name its own side."""
    timeline = compile_random(routine, spoken_ms, opts)
    for ex in routine.exercises:
        if len(ex.steps) != 1 or not isinstance(ex.steps[0], m.Repeat) or not ex.steps[0].alternate or ex.sets != 1:
            continue
        # Every repetition of each side had its {side} and {other} filled in.
        said = [c for c in timeline.speech if c.chapter == ex.title and c.kind in ("instruction", "hold-cue", "breath")]
        assert not [c for c in said if "{" in c.text]
        rep = ex.steps[0]
        per_round = expected_spans(m.Routine("x", "x", "x", (dataclasses.replace(ex, steps=rep.steps),)), opts)
        mine = [s.end_ms - s.start_ms for s in spans(timeline) if s.chapter.startswith(ex.title)]
        assert mine == per_round * rep.times * 2
