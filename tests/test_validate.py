"""`coach validate`: every bad input is one clear FILE:LINE line, exit 2, no traceback, nothing run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli

GOOD = textwrap.dedent("""\
    format: 1
    kind: exercise
    name: {name}
    title: Gentle test stretch
    description: A small stretch used by the tests.
    focus: [lower-back]
    equipment: [mat]
    position: kneeling
    contraindications: [pregnancy]
    safety: Move slowly and stop if anything hurts.
    steps:
      - say: Kneel on your mat.
        brief: Kneel.
      - hold: {{seconds: 20}}
    """)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def check_error(result, path: Path, line: int, *phrases: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:{line}: ") if line else first.startswith(f"{path}: "), first
    for phrase in phrases:
        assert phrase in first, first
    return first


def test_a_valid_file_gets_a_one_line_summary(tmp_path):
    path = write(tmp_path, "good", GOOD.format(name="good"))
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 file valid (1 exercise, 0 routines)\n"


def test_unknown_key_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "typo", GOOD.format(name="typo").replace("title:", "titel:"))
    result = run("validate", str(path))
    check_error(result, path, 4, "unknown key 'titel'", "did you mean 'title'")
    assert "needs 'title'" in result.output  # and the missing field is reported in the same run


def test_every_problem_is_reported_in_one_run(tmp_path):
    text = GOOD.format(name="many").replace("focus: [lower-back]", "focus: [lower-bak]").replace(
        "{seconds: 20}", "{seconds: -5}").replace("Kneel on your mat.", "''")
    path = write(tmp_path, "many", text)
    result = run("validate", str(path))
    assert result.exit_code == 2
    lines = [l for l in result.output.splitlines() if l.startswith(str(path))]
    assert len(lines) == 3, result.output
    assert any(":6: 'lower-bak' is not a known focus value (did you mean 'lower-back'?)" in l for l in lines)
    assert any(":12: 'say' is empty" in l for l in lines)
    assert any(":14: 'seconds' is -5; it must be between 1 and 300 seconds" in l for l in lines)
    assert result.output.endswith("coach: 3 problems: 1 of 1 file is not valid\n")


@pytest.mark.parametrize("hold, phrase", [
    ("{seconds: 0}", "'seconds' is 0; it must be between 1 and 300 seconds"),
    ("{seconds: 900}", "'seconds' is 900; it must be between 1 and 300 seconds"),
    ("{seconds: 30s}", "'seconds' must be a number of seconds (write the number alone, without a unit)"),
    ("{seconds: true}", "'seconds' must be a number of seconds"),
    ("{breaths: 500}", "'breaths' is 500; it must be between 1 and 60 breaths"),
    ("{seconds: 10, breaths: 3}", "exactly one of 'seconds' or 'breaths'"),
])
def test_bad_durations(tmp_path, hold, phrase):
    path = write(tmp_path, "dur", GOOD.format(name="dur").replace("{seconds: 20}", hold))
    check_error(run("validate", str(path)), path, 14, phrase)


def test_wrong_type_for_a_list(tmp_path):
    path = write(tmp_path, "types", GOOD.format(name="types").replace("equipment: [mat]", "equipment: {mat: 1}"))
    check_error(run("validate", str(path)), path, 7, "'equipment' must be a list")


def test_unknown_step_kind(tmp_path):
    path = write(tmp_path, "step", GOOD.format(name="step").replace("  - hold: {seconds: 20}", "  - hodl: {seconds: 20}"))
    check_error(run("validate", str(path)), path, 14, "unknown step 'hodl'", "did you mean 'hold'")


def test_empty_file(tmp_path):
    path = write(tmp_path, "empty", "  \n# nothing here\n")
    check_error(run("validate", str(path)), path, 0, "the file is empty", "format: 1")


def test_binary_garbage(tmp_path):
    path = tmp_path / "junk.yaml"
    path.write_bytes(b"format: 1\n\x00\x01\x02\xff\xfe binary")
    check_error(run("validate", str(path)), path, 2, "binary data, not a text file")


def test_invalid_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(GOOD.format(name="latin").replace("Gentle", "Gentle caf\xe9").encode("latin-1"))
    check_error(run("validate", str(path)), path, 4, "invalid UTF-8", "save the file as UTF-8")


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = write(tmp_path, "syntax", GOOD.format(name="syntax").replace("  - hold: {seconds: 20}", "  - hold: {seconds: 20"))
    first = check_error(run("validate", str(path)), path, 15, "YAML syntax error")
    assert "indentation" in first


def test_deep_nesting_is_refused_before_building(tmp_path):
    path = write(tmp_path, "deep", "format: 1\nsteps: " + "[" * 5000 + "]" * 5000 + "\n")
    check_error(run("validate", str(path)), path, 2, "nested more than 20 levels deep")


def test_alias_bomb_is_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    path = write(tmp_path, "bomb", bomb)
    check_error(run("validate", str(path)), path, 1, "anchors (&a) are not supported")


def test_object_constructing_tags_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = f"format: 1\nkind: !!python/object/apply:os.system ['touch {marker}']\n"
    path = write(tmp_path, "tag", text)
    check_error(run("validate", str(path)), path, 2, "YAML tag tag:yaml.org,2002:python/object/apply:os.system is not allowed")
    assert not marker.exists()


def test_name_must_match_file(tmp_path):
    path = write(tmp_path, "other", GOOD.format(name="something-else"))
    check_error(run("validate", str(path)), path, 3, "differs from the file name")


def test_unsupported_format_version(tmp_path):
    path = write(tmp_path, "v2", GOOD.format(name="v2").replace("format: 1", "format: 2"))
    check_error(run("validate", str(path)), path, 1, "format 2 is not supported")


def test_routine_with_unknown_exercise_suggests_a_name(tmp_path):
    path = write(tmp_path, "mine", textwrap.dedent("""\
        format: 1
        kind: routine
        name: mine
        title: Mine
        description: Two stretches.
        sequence:
          - child-pose
          - exercise: cat-cwo
            breaths: 8
        """))
    check_error(run("validate", str(path)), path, 8, "unknown exercise 'cat-cwo'", "did you mean 'cat-cow'")


def test_circular_composition(tmp_path):
    for name, other in (("loop-a", "loop-b"), ("loop-b", "loop-a")):
        write(tmp_path, name, f"format: 1\nkind: routine\nname: {name}\ntitle: {name}\ndescription: Loops.\nsequence:\n  - child-pose\n  - {other}\n")
    # Reported where the cycle closes: loop-b's line naming loop-a.
    result = run("validate", str(tmp_path / "loop-a.yaml"))
    check_error(result, tmp_path / "loop-b.yaml", 8, "circular composition: loop-a -> loop-b -> loop-a", "remove 'loop-a'")


def test_a_session_over_two_hours_is_refused(tmp_path):
    exercise = GOOD.format(name="long").replace("{seconds: 20}", "{seconds: 300}")
    exercise = exercise.replace("  - hold: {seconds: 300}", "  - repeat:\n      times: 30\n      steps:\n        - hold: {seconds: 300}")
    write(tmp_path, "long", exercise)
    path = write(tmp_path, "marathon", "format: 1\nkind: routine\nname: marathon\ntitle: Marathon\n"
                                       "description: Too long.\nsequence: [long]\n")
    check_error(run("validate", str(path)), path, 6, "the session lasts at least 15", "the limit is 120")


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    check_error(run("validate", str(path)), path, 0, "no such file")


def test_a_bad_routine_name_on_the_command_line(tmp_path):
    result = run("show", "child-pse")
    assert result.exit_code == 2
    assert result.output.strip() == ("coach: no routine or exercise called 'child-pse' (did you mean 'child-pose'?); "
                                     "'coach list' shows them all, or give a path to a .yaml script")


def test_the_whole_builtin_library_validates():
    from coach.library import builtin_dir

    files = sorted(str(p) for p in builtin_dir().glob("*.yaml"))
    result = run("validate", *files)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {len(files)} files valid")


def test_side_placeholders_outside_sides_or_misspelled_are_errors(tmp_path):
    text = GOOD.format(name="sided").replace("safety: Move slowly", "safety: Keep your {side} knee soft. Move slowly")
    text = text.replace("  - say: Kneel on your mat.\n", "  - say: Kneel on your {side} knee.\n")
    text += "  - sides:\n      steps:\n        - say: Turn to the {sied}.\n        - say: Look to the {other}.\n"
    path = write(tmp_path, "sided", text)
    result = run("validate", str(path))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith(str(path))]
    assert lines[0].startswith(f"{path}:10: {{side}} only works inside a 'sides' block")
    assert lines[1].startswith(f"{path}:12: {{side}} only works inside a 'sides' block")
    assert lines[2].startswith(f"{path}:17: '{{sied}}' is not a placeholder")
    assert len(lines) == 3   # {other} inside 'sides' is fine


def test_a_routine_and_its_broken_exercise_report_each_problem_once(tmp_path):
    bad = write(tmp_path, "broken", GOOD.format(name="broken").replace("{seconds: 20}", "{seconds: 999}"))
    routine = write(tmp_path, "both", "format: 1\nkind: routine\nname: both\ntitle: Both\n"
                                      "description: A routine naming a broken exercise.\nsequence: [broken]\n")
    result = run("validate", str(bad), str(routine))
    problems = [line for line in result.output.splitlines() if line.startswith(str(tmp_path))]
    assert len(problems) == len(set(problems)) == 1
    assert result.output.endswith("coach: 1 problem: 2 of 2 files are not valid\n")


def test_an_override_does_not_hide_a_circular_include_and_unused_overrides_are_reported(tmp_path):
    write(tmp_path, "loop-b", "format: 1\nkind: routine\nname: loop-b\ntitle: B\ndescription: Back to A.\n"
                              "sequence: [loop-a]\n")
    a = write(tmp_path, "loop-a", "format: 1\nkind: routine\nname: loop-a\ntitle: A\ndescription: To B.\n"
                                  "sequence:\n  - {exercise: loop-b, reps: 3}\n  - {exercise: child-pose, reps: 4}\n")
    result = run("validate", str(a))
    assert result.exit_code == 2
    assert "apply to exercises only" in result.output
    assert "circular composition" in result.output
    assert f"{a}:8: 'reps' has nothing to apply to: 'child-pose' has no 'repeat' step" in result.output


@pytest.mark.parametrize("text, line", [
    ("format: 1\nsteps: " + "[" * 30 + "]" * 30 + "\n", 2),
    ("format: 1\nkind: exercise\nsteps: " + "{a: " * 30 + "1" + "}" * 30 + "\n", 3),
    ("format: 1\nsteps:\n" + "".join("  " * i + "- a:\n" for i in range(1, 30)), 12),
])
def test_deep_nesting_in_any_style_is_coachs_own_refusal(tmp_path, text, line):
    # Coach's own scan comes first whatever PyYAML refuses itself (6.0.4 stops at 1000 flow levels).
    path = write(tmp_path, "deep", text)
    check_error(run("validate", str(path)), path, line, "nested more than 20 levels deep", "flatten the script")


def test_brackets_in_text_quotes_and_comments_are_not_nesting(tmp_path):
    many = "[" * 30
    text = GOOD.format(name="brackets").replace("Kneel on your mat.", f"Kneel {many} on your mat.")
    text = text.replace("brief: Kneel.", f"brief: '{many} {{{{ '' '")
    text = text.replace("title: Gentle test stretch", f"title: \"Child's {many} \\\" stretch\"  # {many}")
    path = write(tmp_path, "brackets", text)
    result = run("validate", str(path))
    assert result.exit_code == 0, result.output


def test_an_empty_sequence_is_called_empty(tmp_path):
    path = write(tmp_path, "nothing", "format: 1\nkind: routine\nname: nothing\ntitle: Nothing\n"
                                      "description: No exercises.\nsequence: []\n")
    check_error(run("validate", str(path)), path, 6, "'sequence' is empty; list at least one exercise")


def test_problems_in_a_composed_exercise_count_toward_the_file_named(tmp_path):
    write(tmp_path, "broken", GOOD.format(name="broken").replace("{seconds: 20}", "{seconds: 999}")
          .replace("focus: [lower-back]", "focus: [lower-bak]"))
    one = write(tmp_path, "one", "format: 1\nkind: routine\nname: one\ntitle: One\n"
                                 "description: Names a broken exercise.\nsequence: [broken, child-pse]\n")
    result = run("validate", str(one))
    assert result.exit_code == 2
    assert result.output.endswith("coach: 3 problems: 1 of 1 file is not valid (2 of them in scripts it composes)\n")
