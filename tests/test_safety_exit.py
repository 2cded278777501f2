"""The guided exit after a safety stop fits the position the stop found the person in, and always says
the signs that need help at once. Fast: the real session code (coach.session.run) on a fake clock."""

from __future__ import annotations

import io

import numpy as np
import pytest

from coach import model as m
from coach import player as player_module
from coach.player.scheduler import REPLAN_LEAD_MS
from coach.player.splice import splice
from coach.safety import EXIT_BY_POSITION, SPOKEN_DOCTOR, URGENT_SENTENCE, spoken_exit
from coach.session.prepare import Prepared, estimated_timeline
from coach.session.run import SessionHooks, _play
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.vocab import POSITIONS
from test_player import FakeClock, FakeOutput, noise_clip


def exercise(name: str, position: str) -> m.Exercise:
    return m.Exercise(name, name.title(), "", ("lower-back",), ("mat",), position, (), m.Text("Go gently."),
                      (m.Say(m.Text("Settle in.")), m.Hold(20_000, None, 4000, 6000, 0, False)))


def stop_at(stop_ms: int, monkeypatch) -> list:
    """From now on players run on fake clocks; the first (the routine's) gets s pressed at stop_ms.
    Returns the players made, in order."""
    real_player = player_module.Player
    made: list = []

    def fake_player(timeline, clip_for, output, **kwargs):
        clock = FakeClock()
        made.append(real_player(timeline, clip_for, FakeOutput(clock), clock=clock, **kwargs))
        if len(made) == 1:
            clock.at(stop_ms, lambda: made[0].command("safety-stop"))
        return made[-1]

    monkeypatch.setattr(player_module, "Player", fake_player)
    return made


def stop_in(position: str, monkeypatch) -> str:
    """Play a two-exercise routine, press s in the middle of the second exercise's hold (which is in
    `position`); return what was shown (captions of the routine, then of the exit)."""
    first = "lying-side" if position != "lying-side" else "standing"
    routine = m.Routine("r", "R", "", (exercise("warm-up", first), exercise("stretch", position)))
    timeline = estimated_timeline(routine, m.CompileOptions())
    hold = [c for c in timeline.cues if c.kind == "hold"][-1]
    stop_ms = (hold.start_ms + hold.end_ms) // 2

    stop_at(stop_ms, monkeypatch)

    def clip_for(text: str) -> np.ndarray:
        return noise_clip(text, estimate_spoken_ms(text))

    prepared = Prepared(routine, timeline, clip_for, estimate_spoken_ms)
    screen = io.StringIO()
    ended = _play(prepared, FakeOutput(FakeClock()), None, SessionHooks(screen=screen))
    assert ended == "safety-stop"
    return screen.getvalue()


@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_the_exit_fits_the_position_and_says_the_urgent_signs(position, monkeypatch):
    shown = stop_in(position, monkeypatch)
    routine_part, exit_part = shown.split("Safety stop: coming out of the position.")
    exit_lines = [line.split("  ", 1)[1] for line in exit_part.strip().splitlines()]
    assert exit_lines == list(spoken_exit(position))
    for sentence in EXIT_BY_POSITION[position]:
        assert sentence in exit_lines
    assert URGENT_SENTENCE in exit_lines and exit_lines[-1] == SPOKEN_DOCTOR
    assert "bladder or bowels" in URGENT_SENTENCE and "weak or numb" in URGENT_SENTENCE
    other = "lying-side" if position != "lying-side" else "standing"
    only_other = set(EXIT_BY_POSITION[other]) - set(EXIT_BY_POSITION[position])
    assert not only_other & set(exit_lines)   # not the way out of the first exercise's position


def test_every_position_has_its_own_way_out():
    assert set(EXIT_BY_POSITION) == set(POSITIONS)
    assert len({ways for ways in EXIT_BY_POSITION.values()}) == len(POSITIONS)


def test_before_the_first_exercise_the_exit_is_the_general_one():
    assert spoken_exit(None)[:2] == ("Stopping now.", "Slowly come out of the position. There is no hurry.")
    assert URGENT_SENTENCE in spoken_exit(None)


def test_after_a_replan_the_exit_fits_where_the_player_is_not_where_the_first_plan_was(monkeypatch):
    """A cold session is planned on generous slots and re-planned on the clips' real lengths: the
    player's positions then come earlier than the first plan's. A stop early in the second exercise
    must be told the way out of the second exercise's position, not of the first's."""
    routine = m.Routine("r", "R", "", (exercise("warm-up", "lying-side"), exercise("stretch", "standing")))
    measured = estimated_timeline(routine, m.CompileOptions())
    slotted = compile_timeline(routine, lambda text: 3 * estimate_spoken_ms(text), m.CompileOptions())
    replanned = splice(slotted, measured, REPLAN_LEAD_MS)   # what the player takes over at its start
    assert replanned is not None
    stop_ms = replanned[0].positions[-1][0] + 2_000
    assert slotted.position_at(stop_ms) == "lying-side"   # the first plan still had the warm-up there

    made = stop_at(stop_ms, monkeypatch)

    class Replanned:   # what coach.session.replan does once every clip has arrived
        def attach(self, player) -> None:
            assert player.replan(measured)

        def detach(self) -> None:
            pass

    prepared = Prepared(routine, slotted, lambda text: noise_clip(text, estimate_spoken_ms(text)), estimate_spoken_ms,
                        replanner=Replanned())   # type: ignore[arg-type]
    screen = io.StringIO()
    assert _play(prepared, FakeOutput(FakeClock()), None, SessionHooks(screen=screen)) == "safety-stop"
    assert made[0].timeline.position_at(stop_ms) == "standing"   # the re-plan was taken
    exit_lines = [line.split("  ", 1)[1] for line in screen.getvalue().split("coming out of the position.")[1]
                  .strip().splitlines()]
    assert exit_lines == list(spoken_exit("standing"))
