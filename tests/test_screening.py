"""Screening decisions and remembered answers."""

from __future__ import annotations

import json

import pytest

from coach.errors import CoachError
from coach.library import resolve
from coach.screening import Answers, evaluate, refusal_message


def test_unanswered_conditions_are_asked_and_answers_decide():
    routine = resolve("child-pose")
    named = routine.contraindications
    assert named
    verdict = evaluate(routine, {}, cleared=False)
    assert verdict.unanswered == named and not verdict.allowed
    none_apply = {c: False for c in named}
    assert evaluate(routine, none_apply, cleared=False).allowed
    one = {**none_apply, named[0]: True}
    verdict = evaluate(routine, one, cleared=False)
    assert verdict.blocking == (named[0],) and not verdict.allowed
    assert evaluate(routine, one, cleared=True).allowed
    assert "--cleared" in refusal_message(routine, verdict.blocking)


def test_answers_are_remembered_and_reset(tmp_path):
    path = tmp_path / "cfg" / "config.json"
    Answers(path).record({"pregnancy": True, "osteoporosis": False})
    assert Answers(path).values == {"pregnancy": True, "osteoporosis": False}
    assert json.loads(path.read_text())["conditions"]["pregnancy"] is True
    Answers(path).reset()
    assert Answers(path).values == {}


def test_a_damaged_config_is_a_clear_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(CoachError, match="coach screening --reset"):
        Answers(path)


def test_a_refused_routine_names_the_exercises_behind_the_refusal():
    routine = resolve("morning-back")
    message = refusal_message(routine, ("nerve-symptoms",))
    assert message.startswith("'morning-back' (Supine spinal twist) is not advised with nerve pain")
    bones = refusal_message(routine, ("osteoporosis",))
    assert bones.startswith("'morning-back' (Single knee to chest and Supine spinal twist) is not advised with osteo")
    assert "--cleared" in message
    alone = refusal_message(resolve("child-pose"), ("knee-injury",))
    assert alone.startswith("'child-pose' is not advised with a knee injury")


def test_the_screening_follows_the_articles_on_bones_and_nerves():
    """Loaded forward bending and twists are not advised with thin bones; twists and press-ups are not
    advised with nerve symptoms (shared/reference, docs/exercise-library.md)."""
    for name in ("knee-to-chest", "double-knee-to-chest", "upper-back-rounding-stretch", "supine-spinal-twist",
                 "seated-spinal-twist", "seated-chair-twist", "lower-back-rotational-stretch"):
        assert "osteoporosis" in resolve(name).contraindications, name
    for name in ("supine-spinal-twist", "seated-spinal-twist", "seated-chair-twist", "lower-back-rotational-stretch",
                 "worlds-greatest-stretch", "prone-press-up"):
        assert "nerve-symptoms" in resolve(name).contraindications, name
