"""The coaching lint (docs/script-format.md, "The coaching lint"): each rule fires on a script a
person could write from the docs and stays quiet on its fixed form; `coach validate` prints warnings
as FILE:LINE: warning: ... and exits 0, `--strict` exits 2; the built-in library passes strict."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.lint.words import bare_directions, breath_marks, tells_to_move
from test_movement import HEAD as MOVEMENT_HEAD

# The probe exercise of the movement tests, in any position.
HEAD = MOVEMENT_HEAD.replace("position: lying-back", "position: {position}")


def write(tmp_path: Path, body: str, position: str = "kneeling") -> Path:
    path = tmp_path / "probe.yaml"
    path.write_text(HEAD.format(position=position) + textwrap.dedent(body), encoding="utf-8")
    return path


def validate(*args: str):
    return CliRunner().invoke(cli, ["validate", *args])


def warnings(tmp_path: Path, body: str, position: str = "kneeling") -> list[str]:
    """The warning lines for this script; a script with warnings still validates (exit 0)."""
    path = write(tmp_path, body, position)
    result = validate(str(path))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[-1].startswith("ok: 1 file valid"), result.output
    found = lines[:-1]
    assert all(line.startswith(f"{path}:") and ": warning: " in line for line in found), result.output
    return found


def only(found: list[str], rule: str, line: int) -> str:
    """The one warning, of this rule, at this line."""
    assert len(found) == 1, found
    assert found[0].endswith(f"({rule})"), found[0]
    assert found[0].split(": warning: ")[0].endswith(f":{line}"), found[0]
    return found[0]


# -- held-breath ---------------------------------------------------------------------------------

def test_an_in_breath_with_no_breath_cue_through_the_hold_is_a_held_breath(tmp_path):
    found = warnings(tmp_path, """\
        steps:
          - move: Breathe in, turn your palms up, and reach your hands towards the ceiling, growing tall.
            seconds: 3
          - hold: {seconds: 10}
          - move: Breathe out and slowly lower your arms.
            breath: out
        """, position="standing")
    message = only(found, "held-breath", 14)
    assert "implied held breath" in message


# The reach led by the in-breath, with a breathing cue at the start of the hold.
REACH = """\
steps:
  - move: Breathe in, palms up, and reach for the ceiling.
    breath: in
    settle_s: 1
  - hold:
      seconds: 10
      cues: [{{at_s: 0, say: Breathe easily and grow tall.{brief}}}]
  - move: Breathe out and slowly lower your arms.
    breath: out
"""


def test_a_breath_cue_inside_the_hold_ends_the_in_breath(tmp_path):
    assert warnings(tmp_path, REACH.format(brief=", brief: Breathe easily."), position="standing") == []


def test_at_brief_the_plain_in_breath_that_replaces_the_words_is_checked_too(tmp_path):
    """The reach has no brief form, so at brief it is "In." alone, and the hold's cue (full only) is
    left out: 10 s of held breath, reported at the reach's line."""
    message = only(warnings(tmp_path, REACH.format(brief=""), position="standing"), "held-breath", 14)
    assert "'In.'" in message


def test_a_hold_cue_that_says_breathe_in_needs_a_breathe_out_too(tmp_path):
    fires = warnings(tmp_path, """\
        steps:
          - move: Turn your chest to the left.
            seconds: 3
          - hold:
              seconds: 30
              cues: [{at_s: 5, say: Grow a little taller as you breathe in.}]
        """)
    only(fires, "held-breath", 18)
    quiet = warnings(tmp_path, """\
        steps:
          - move: Turn your chest to the left.
            seconds: 3
          - hold:
              seconds: 30
              cues: [{at_s: 5, say: Keep breathing easily and grow taller each time you breathe in.}]
        """)
    assert quiet == []


# -- say-moves -----------------------------------------------------------------------------------

def test_a_say_that_moves_the_body_right_before_a_hold_should_be_a_move(tmp_path):
    # Written from wikiHow's exercise ball stretch (reference 004), as an outsider would.
    found = warnings(tmp_path, """\
        steps:
          - move: Rest both hands on top of the ball.
            seconds: 2
          - say: Breathe out, bend at your hips, and slowly roll the ball forward.
          - hold: {seconds: 25}
        """)
    message = only(found, "say-moves", 16)
    assert "hold at line 17" in message and "`move`" in message


def test_a_say_that_moves_is_found_behind_other_words_before_the_hold(tmp_path):
    # Written from 000's child's pose: two instructions, then the 30 s.
    found = warnings(tmp_path, """\
        steps:
          - say: Sit back on your heels and stretch your arms forward along the floor.
          - say: Try to touch your nose to the floor, remembering to breathe in and out deeply.
          - hold: {seconds: 30}
        """)
    only(found, "say-moves", 14)


def test_a_say_that_does_not_move_the_body_or_is_a_move_is_quiet(tmp_path):
    assert warnings(tmp_path, """\
        steps:
          - move: Rest both hands on top of the ball.
            seconds: 2
          - say: Keep your back long and your hands soft.
          - move: Breathe out, bend at your hips, and slowly roll the ball forward.
            seconds: 4
          - hold: {seconds: 25}
        """) == []


# -- short-breath --------------------------------------------------------------------------------

def test_a_whole_breath_said_in_one_cue_gets_too_little_time(tmp_path):
    found = warnings(tmp_path, """\
        steps:
          - move: Breathe in. As you breathe out, gently firm your stomach and tilt your pelvis.
            seconds: 2
          - hold: {seconds: 30, cues: [{at_s: 4, say: Keep breathing softly.}]}
        """, position="lying-back")
    message = only(found, "short-breath", 14)
    assert "in-breath" in message and "4 s in, 6 s out" in message


def test_an_out_breath_cut_short_by_the_holds_breathe_in(tmp_path):
    # "As you breathe out, turn" followed at once by the breath hold's "Breathe in".
    found = warnings(tmp_path, """\
        steps:
          - say: As you breathe out, turn.
          - hold: {breaths: 3}
        """)
    rules = sorted(line.rsplit("(", 1)[-1] for line in found)
    assert rules == ["say-moves)", "short-breath)"], found
    assert any("out-breath" in line and ":14: warning:" in line for line in found), found


def test_each_breath_its_own_move_is_quiet(tmp_path):
    assert warnings(tmp_path, """\
        steps:
          - move: Breathe in and grow tall.
            breath: in
          - move: As you breathe out, turn your chest to the left.
            breath: out
            settle_s: 1
          - hold: {breaths: 3}
        """) == []


def test_the_breath_pace_is_the_exercises(tmp_path):
    """An in-breath said in words gets the time before the next breath cue; a quick pace (2 s in)
    is served by the words and their pause, the default 4 s is not."""
    body = """\
        breath: {{inhale_s: {inhale}, exhale_s: 6}}
        steps:
          - say: Breathe in and grow tall.
          - move: As you breathe out, turn your chest to the left.
            breath: out
            settle_s: 1
          - hold: {{breaths: 2}}
        """
    assert warnings(tmp_path, body.format(inhale=2)) == []
    only(warnings(tmp_path, body.format(inhale=4)), "short-breath", 15)


# -- setup-first ---------------------------------------------------------------------------------

def test_the_movement_described_before_the_starting_position_is_set(tmp_path):
    found = warnings(tmp_path, """\
        steps:
          - say: Move with your breath, rounding and arching your back.
            brief: Move with your breath.
          - move: Place your hands under your shoulders and your knees under your hips.
            seconds: 3
          - breathe: {breaths: 4}
        """, position="all-fours")
    message = only(found, "setup-first", 14)
    assert "line 16" in message and "Place your hands" in message


def test_the_starting_position_first_is_quiet(tmp_path):
    assert warnings(tmp_path, """\
        steps:
          - move: Place your hands under your shoulders and your knees under your hips.
            seconds: 3
          - breathe:
              breaths: 4
              inhale_say: Breathe in, belly drops.
              exhale_say: Breathe out, round up.
        """, position="all-fours") == []


# -- direction -----------------------------------------------------------------------------------

def test_back_and_forward_lying_on_the_back_need_a_body_relative_phrase(tmp_path):
    body = """\
        steps:
          - move: Hug both knees in to your chest.
            seconds: 3
          - breathe:
              breaths: 4
              inhale_s: 3
              exhale_s: 3
              inhale_say: Rock gently {there}.
              exhale_say: Rock gently {back}.
        """
    found = warnings(tmp_path, body.format(there="back", back="forward"), position="lying-back")
    message = only(found, "direction", 17)
    assert "'Rock gently back'" in message and "lying on your back" in message
    assert warnings(tmp_path, body.format(there="towards your shoulders", back="towards your tailbone"),
                    position="lying-back") == []
    # Standing, back and forward are the body's own: quiet.
    assert warnings(tmp_path, body.format(there="back", back="forward"), position="standing") == []


@pytest.mark.parametrize("text, bare", [
    ("Rock back.", ["Rock back"]),
    ("Slowly lower yourself back down.", ["lower yourself back down"]),
    ("Press up slowly.", ["Press up"]),
    ("Slowly lower yourself back down to the mat.", []),
    ("Bring your knees back to the middle.", []),
    ("Lie back so the roller sits across the middle of your back.", []),
    ("Let your lower back rest flat.", []),
    ("Bring one knee up towards your chest.", []),
    ("Keep rolling up and down slowly.", ["rolling up"]),
])
def test_which_directions_are_bare(text, bare):
    assert bare_directions(text) == bare


@pytest.mark.parametrize("text, moves", [
    ("Breathe out, bend at your hips, and slowly roll the ball forward.", True),
    ("Let both knees fall to the left.", True),
    ("Move with your breath.", True),
    ("Keep your knees bent and your feet flat.", False),
    ("Kneel on your mat.", False),
    ("Relax.", False),
])
def test_which_words_move_the_body(text, moves):
    assert tells_to_move(text) is moves


def test_breath_words():
    assert [k for _, k in breath_marks("Breathe in. As you breathe out, tilt.")] == ["in", "out"]
    assert [k for _, k in breath_marks("Feel your back widen each time you breathe in.")] == ["free"]
    assert [k for _, k in breath_marks("Breathe into your ribs.")] == ["free"]
    assert [k for _, k in breath_marks("In, chest lifts.")] == ["in"]
    assert [k for _, k in breath_marks("Remember to breathe in and out deeply.")] == ["free"]
    assert breath_marks("Rest your forehead in your hands.") == []


# -- dropped-cue ---------------------------------------------------------------------------------

def test_a_cue_dropped_on_both_sides_and_every_repetition_is_one_warning_with_its_line(tmp_path):
    found = warnings(tmp_path, """\
        steps:
          - sides:
              first: left
              steps:
                - repeat:
                    times: 3
                    steps:
                      - move: Turn your chest to the {side}.
                        seconds: 3
                      - hold:
                          seconds: 4
                          cues:
                            - at_s: 1
                              say: Let your shoulders soften and your breath flow easily while you turn a little further.
                      - move: Turn back to the middle.
                        seconds: 3
        """)
    message = only(found, "dropped-cue", 25)
    shown = CliRunner().invoke(cli, ["show", str(tmp_path / "probe.yaml")]).output
    assert "6 cue(s) dropped for lack of room" in shown   # what show lists six times over
    assert "dropped for lack of room" in message and "full" in message


def test_a_cue_that_fits_is_not_dropped(tmp_path):
    assert warnings(tmp_path, """\
        steps:
          - move: Turn your chest to the left.
            seconds: 3
          - hold:
              seconds: 20
              cues: [{at_s: 2, say: Let your shoulders soften.}]
        """) == []


# -- the command ---------------------------------------------------------------------------------

def test_strict_makes_warnings_errors(tmp_path):
    path = write(tmp_path, """\
        steps:
          - say: Slowly roll the ball forward.
          - hold: {seconds: 25}
        """)
    relaxed = validate(str(path))
    assert relaxed.exit_code == 0
    assert relaxed.output.splitlines()[-1] == "ok: 1 file valid (1 exercise, 0 routines); 1 warning"
    strict = validate("--strict", str(path))
    assert strict.exit_code == 2, strict.output
    assert strict.output.splitlines()[0].startswith(f"{path}:14: warning: ")
    assert "coach: 1 problem: 1 of 1 file is not valid" in strict.output
    assert "Traceback" not in strict.output


def test_a_routine_reports_its_exercises_warnings_at_the_exercises_lines(tmp_path):
    write(tmp_path, """\
        steps:
          - say: Slowly roll the ball forward.
          - hold: {seconds: 25}
        """)
    routine = tmp_path / "mine.yaml"
    routine.write_text("format: 1\nkind: routine\nname: mine\ntitle: Mine\ndescription: Mine.\n"
                       "sequence:\n  - probe\n  - child-pose\n", encoding="utf-8")
    result = validate("--strict", str(routine))
    assert result.exit_code == 2
    assert result.output.splitlines()[0].startswith(f"{tmp_path / 'probe.yaml'}:14: warning: ")


def test_the_builtin_library_passes_strict():
    from coach.library import builtin_dir

    files = sorted(str(p) for p in builtin_dir().glob("*.yaml"))
    result = validate("--strict", *files)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {len(files)} files valid (") and "warning" not in result.output
