"""A session re-planned as its clips arrive (coach.player.splice, Player.replan): the compiler's
guarantees hold across the cut, nothing that started moves, and the rest takes the new lengths."""

from __future__ import annotations

import io
import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from coach.library import resolve
from coach.player import Player
from coach.player.splice import splice
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from routine_strategies import options, routines, spoken_lengths
from test_player import FakeClock, FakeOutput, noise_clip
from test_timeline_properties import check_tiling, enclosing_span, expected_spans

PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def slotted(spoken_ms):
    """What a cold session plans before the clips exist: the length, stretched."""
    return lambda text: int(spoken_ms(text) * 1.3) + 300


@PROPS
@given(routines(), spoken_lengths(), options(), st.floats(0, 1))
def test_a_spliced_timeline_keeps_the_compilers_guarantees(routine, spoken_ms, opts, where):
    old = compile_timeline(routine, slotted(spoken_ms), opts)
    new = compile_timeline(routine, spoken_ms, opts)
    spliced = splice(old, new, where * old.duration_ms)
    assume(spliced is not None)
    timeline, cut = spliced
    # Before the cut: the old plan, untouched. After it: the new plan, moved as a whole.
    before = [c for c in old.cues if c.start_ms < cut]
    assert list(timeline.cues[:len(before)]) == before
    shift = timeline.duration_ms - new.duration_ms
    assert [(c.start_ms - shift, c.end_ms - shift, c.kind, c.text, c.chapter) for c in timeline.cues[len(before):]] == \
        [(c.start_ms, c.end_ms, c.kind, c.text, c.chapter) for c in new.cues if c.start_ms >= cut - shift]
    assert all(c.end_ms <= cut for c in before)
    # The guarantees of tests/test_timeline_properties.py, on the joined timeline.
    speech = sorted(timeline.speech, key=lambda c: c.start_ms)
    for cue in speech:
        assert cue.duration_ms == (slotted(spoken_ms) if cue.start_ms < cut else spoken_ms)(cue.text), cue
    for a, b in zip(speech, speech[1:]):
        assert a.end_ms <= b.start_ms, (a, b)
    for cue in timeline.cues:
        if cue.kind in ("countdown", "halfway", "hold-cue", "breath"):
            span = enclosing_span(timeline, cue)
            assert span is not None and span.start_ms <= cue.start_ms and cue.end_ms <= span.end_ms, (cue, span)
    assert [c.duration_ms for c in timeline.cues if c.kind in ("hold", "breathe")] == expected_spans(routine, opts)
    check_tiling(timeline)


def test_the_library_can_be_spliced_almost_anywhere():
    """Over every built-in routine, a re-plan finds a step to take over at from nearly every moment."""
    found = tried = 0
    for name in ("desk-break", "bedtime-unwind", "child-pose"):
        routine = resolve(name)
        old = compile_timeline(routine, slotted(estimate_spoken_ms))
        new = compile_timeline(routine, estimate_spoken_ms)
        for after_ms in range(0, old.duration_ms - 60_000, 5_000):
            tried += 1
            found += splice(old, new, after_ms) is not None
    assert found == tried


def test_a_player_takes_a_re_plan_over_after_what_has_started_and_plays_the_rest_on_it():
    routine = resolve("child-pose")
    old = compile_timeline(routine, slotted(estimate_spoken_ms))
    new = compile_timeline(routine, estimate_spoken_ms)
    clock = FakeClock()
    output = FakeOutput(clock)
    log = io.StringIO()

    def clip_for(text: str) -> np.ndarray:
        return noise_clip(text, estimate_spoken_ms(text))   # the real length: shorter than its slot

    player = Player(old, clip_for, output, clock=clock, timing_log=log)
    taken: list[bool] = []
    clock.at(20_000, lambda: taken.append(player.replan(new)))
    result = player.run()
    assert taken == [True] and result.ended == "completed"
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    before = [e for e in entries if e["scheduled_ms"] < 21_000]
    later = [e for e in entries if e["scheduled_ms"] >= 21_000 and e["text"]]
    planned = {(c.start_ms, c.text) for c in old.cues}
    assert all((e["scheduled_ms"], e["text"]) in planned for e in before)   # nothing that started moved
    assert later and all(e["planned_ms"] == estimate_spoken_ms(e["text"]) for e in later)
    assert all(abs(e["late_ms"]) < 1 for e in entries)
    assert result.duration_ms < old.duration_ms
    assert player.timeline.duration_ms == result.duration_ms
