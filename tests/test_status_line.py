"""The status line fits any terminal a session is followed on (60-200 columns) and keeps the times."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.player.segments import PlayerStep
from coach.player.status import StatusState, fit_status, minutes_seconds

KINDS = ("hold", "breathe", "transition", "move", "pause", "instruction", "safety")
words = st.text(alphabet="abcdefghij ,-'", min_size=1, max_size=90).map(lambda t: t.strip() or "x")


@st.composite
def states(draw):
    start = draw(st.integers(0, 7_000_000))
    step = PlayerStep(1, start, start + draw(st.integers(1, 300_000)), draw(st.sampled_from(KINDS)), draw(words),
                      draw(words))
    nxt = draw(st.none() | st.builds(lambda kind, label, same, other: PlayerStep(
        2, step.end_ms, step.end_ms + 20_000, kind, label, step.chapter if same else other),
        st.sampled_from(KINDS), words, st.booleans(), words))
    position = draw(st.integers(step.start_ms, step.end_ms))
    return StatusState(step, nxt, position, step.end_ms + draw(st.integers(0, 7_000_000)),
                       paused=draw(st.booleans()), waiting=draw(st.booleans()), listening=draw(st.booleans()))


@settings(max_examples=300, deadline=None)
@given(states(), st.integers(60, 200))
def test_the_status_line_is_never_cut_and_always_shows_the_times_left(state, width):
    line = fit_status(state, width)
    assert len(line) <= width
    assert not line.endswith("~")
    session_left = minutes_seconds(state.duration_ms - state.position_ms)
    assert re.search(rf"(^| ){re.escape(session_left)} left", line)
    if state.step is not None and state.step.is_span:
        assert minutes_seconds(state.step.end_ms - state.position_ms) in line
    if state.paused:
        assert line.startswith("PAUSED")


def _hold_state(**flags) -> StatusState:
    hold = PlayerStep(3, 10_000, 40_000, "hold", "Hold", "Foam-roller thoracic extension, left side")
    move = PlayerStep(4, 40_000, 45_000, "move", "Move", "Foam-roller thoracic extension, left side")
    return StatusState(hold, move, 12_345, 843_000, **flags)


def test_a_wide_terminal_gets_every_part_in_words():
    assert fit_status(_hold_state(listening=True), 200) == (
        "Foam-roller thoracic extension, left side | Hold: 0:28 left | then 5 s to move | "
        "session 13:51 left of 14:03 | listening")


def test_detail_goes_first_and_the_times_last():
    assert fit_status(_hold_state(paused=True, listening=True), 79) == (
        "PAUSED | Foam-roller thoracic... | Hold: 0:28 left | session 13:51 left | mic")
    assert fit_status(_hold_state(paused=True, listening=True), 59) == (
        "PAUSED | Foam-roller... | hold 0:28 | session 13:51 left")


def test_the_next_exercise_is_named_and_a_next_sentence_is_shortened_on_a_word():
    hold = PlayerStep(3, 10_000, 40_000, "hold", "Hold", "Child's pose")
    nxt = PlayerStep(4, 40_000, 45_000, "instruction", "Slowly come up onto your hands and knees", "Cat-cow")
    assert "next: Cat-cow" in fit_status(StatusState(hold, nxt, 20_000, 600_000), 120)
    same = PlayerStep(4, 40_000, 45_000, "instruction", "Slowly walk your hands back towards your knees, "
                      "then sit back on your heels", "Child's pose")
    line = fit_status(StatusState(hold, same, 20_000, 600_000), 200)
    assert "then: Slowly walk your hands back towards your knees, then sit back on your heels" in line
    line = fit_status(StatusState(hold, same, 20_000, 600_000), 90)
    assert "then: Slowly walk your..." in line   # cut on a word, never mid-word
    assert len(line) <= 90
