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
