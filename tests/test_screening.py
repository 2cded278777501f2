"""Screening decisions and remembered answers."""

from __future__ import annotations

import json

import pytest

from coach.config import ConfigError
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


def test_a_damaged_config_is_a_clear_error_and_left_as_it_is(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"config.json:1: not valid JSON \(Expecting property name"):
        Answers(path)
    assert path.read_text() == "{not json"


@pytest.mark.parametrize("written, meant", [
    (True, True), (False, False), ("yes", True), ("no", False), ("YES", True), ("No", False),
    ("true", True), ("False", False), (" no ", False)])
def test_answers_are_yes_or_no_in_any_case(tmp_path, written, meant):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"conditions": {"recent-surgery": written}}))
    assert Answers(path).values == {"recent-surgery": meant}


@pytest.mark.parametrize("written", ["maybe", "", 1, 0, None, [], "nope"])
def test_any_other_answer_is_an_error_naming_the_key(tmp_path, written):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"conditions": {"recent-surgery": written}}, indent=2))
    with pytest.raises(ConfigError, match=r'config.json:3: "conditions.recent-surgery" must be yes or no'):
        Answers(path)


def test_unknown_keys_and_conditions_are_kept_when_answers_are_saved(tmp_path):
    path = tmp_path / "config.json"
    mine = {"theme": {"dark": True}, "daily_limit": 5, "listen": True,
            "conditions": {"future-condition": "yes", "pregnancy": "no"}}
    path.write_text(json.dumps(mine))
    answers = Answers(path)
    answers.record({"osteoporosis": True})
    saved = json.loads(path.read_text())
    assert saved == {"theme": {"dark": True}, "daily_limit": 5, "listen": True,
                     "conditions": {"future-condition": "yes", "osteoporosis": True, "pregnancy": False}}
    Answers(path).reset()
    assert json.loads(path.read_text()) == {"theme": {"dark": True}, "daily_limit": 5, "listen": True,
                                            "conditions": {}}   # every answer forgotten, nothing else


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
