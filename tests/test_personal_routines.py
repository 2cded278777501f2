"""Your routines folder: `coach new`, names that play like built-ins, yours winning over a built-in,
`coach list` marks, `cache prune` keeping what yours use, and the one settings home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach import settings
from coach.cli import cli
from support import private_env, run_coach


def run(*args):
    return CliRunner().invoke(cli, list(args))


def folder(private_state: Path) -> Path:
    return private_state / "routines"   # beside COACH_CONFIG (conftest.py)


def test_the_routines_folder_follows_the_config_file_unless_named(private_state, monkeypatch, tmp_path):
    assert settings.routines_dir() == folder(private_state)
    monkeypatch.setenv("COACH_ROUTINES_DIR", str(tmp_path / "mine"))
    assert settings.resolve().routines_dir == tmp_path / "mine"
    assert settings.resolve(config=tmp_path / "c.json", history=tmp_path / "h.sqlite") == settings.Settings(
        tmp_path / "c.json", tmp_path / "h.sqlite", Path(str(private_state / "cache")), tmp_path / "mine")


def test_new_writes_a_template_that_validates_strictly_and_plays_by_name(private_state):
    made = run("new", "my-evening")
    assert made.exit_code == 0, made.output
    path = folder(private_state) / "my-evening.yaml"
    assert made.output.startswith(f"Wrote {path}")
    assert path.read_text().count("#") >= 3               # commented, to be edited
    checked = run("validate", "--strict", str(path))
    assert checked.exit_code == 0, checked.output
    shown = run("show", "my-evening", "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["name"] == "my-evening"
    again = run("new", "my-evening")
    assert again.exit_code == 2 and "already exists" in again.output


def test_new_refuses_a_bad_name_and_an_unknown_builtin(private_state):
    bad = run("new", "My Evening")
    assert bad.exit_code == 2 and "is not a name" in bad.output
    unknown = run("new", "mine", "--from", "child-pse")
    assert unknown.exit_code == 2 and "did you mean 'child-pose'" in unknown.output
    assert not folder(private_state).exists() or not list(folder(private_state).iterdir())


def test_yours_wins_over_the_builtin_of_the_same_name_and_list_says_so(private_state):
    assert run("new", "child-pose", "--from", "child-pose").exit_code == 0
    path = folder(private_state) / "child-pose.yaml"
    path.write_text(path.read_text().replace("title: Child's pose", "title: My child's pose"))
    assert json.loads(run("show", "child-pose", "--json").output)["title"] == "My child's pose"
    rows = {r["name"]: r for r in json.loads(run("list", "--json").output)}
    assert rows["child-pose"]["origin"] == "yours, replacing the built-in"
    assert rows["cat-cow"]["origin"] == "built-in"
    table = run("list").output
    line = next(x for x in table.splitlines() if x.startswith("child-pose "))
    assert line.endswith("yours, replacing the built-in")
    assert "1 of them yours" in table and f"Your routines folder: {folder(private_state)}" in table
    # A built-in routine that names child-pose keeps the built-in: yours changes what you play by name.
    assert "My child's pose" not in run("show", "lower-back-relief").output


def test_a_broken_script_of_yours_is_listed_with_its_problem_not_a_crash(private_state):
    folder(private_state).mkdir(parents=True)
    (folder(private_state) / "oops.yaml").write_text("format: 1\nkind: routine\nname: oops\n")
    result = run("list")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("oops "))
    assert "broken" in line and "does not load" in line and "oops.yaml" in line


def test_list_marks_and_hides_what_your_answers_rule_out(private_state):
    assert run("screening", "--set", "knee-injury=yes", "--set", "pregnancy=no").exit_code == 0
    rows = {r["name"]: r for r in json.loads(run("list", "--json").output)}
    assert rows["child-pose"]["ruled_out_by"] == ["knee-injury"]
    assert rows["cat-cow"]["ruled_out_by"] == ["knee-injury"]
    assert rows["standing-lumbar-extension"]["ruled_out_by"] == []
    suitable = run("list", "--suitable")
    names = {line.split()[0] for line in suitable.output.splitlines()[1:-2]}
    assert "child-pose" not in names and "standing-lumbar-extension" in names
    assert "hidden that your screening answers rule out" in suitable.output


def test_screening_set_changes_one_answer_and_keeps_the_others(private_state):
    config = private_state / "config.json"
    config.write_text(json.dumps({"conditions": {"pregnancy": "no", "dizziness": "yes"}, "daily_limit": 4, "x": 1}))
    result = run("screening", "--set", "dizziness=no")
    assert result.exit_code == 0, result.output
    data = json.loads(config.read_text())
    assert data["conditions"] == {"dizziness": False, "pregnancy": False} and data["daily_limit"] == 4 and data["x"] == 1
    bad = run("screening", "--set", "dizzy=no")
    assert bad.exit_code == 2 and "is not CONDITION=yes or CONDITION=no" in bad.output
    assert json.loads(config.read_text()) == data


@pytest.mark.slow
def test_cache_prune_keeps_the_clips_your_routines_use(tmp_path):
    home = private_env(tmp_path)
    mine = tmp_path / "routines"
    mine.mkdir()
    (mine / "my-reach.yaml").write_text(
        (Path(settings.__file__).parent / "routines" / "standing-overhead-reach.yaml").read_text()
        .replace("name: standing-overhead-reach", "name: my-reach")
        .replace("title: Standing overhead reach", "title: My very own overhead reach"))
    rendered = run_coach("render", "my-reach", "--engine", "espeak", env=home)
    assert rendered.returncode == 0, rendered.stderr
    clips = int(run_coach("cache", env=home).stdout.split(": ")[1].split()[0])
    pruned = run_coach("cache", "prune", "--engine", "espeak", env=home)
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.startswith("Removed 0 clip(s)"), pruned.stdout
    assert f"{clips} clips" in run_coach("cache", env=home).stdout
    # Without the routine, its own title is no longer used by anything, and goes.
    (mine / "my-reach.yaml").unlink()
    assert not run_coach("cache", "prune", "--engine", "espeak", env=home).stdout.startswith("Removed 0 clip(s)")


def test_a_refusal_names_the_exercises_and_offers_an_alternative_that_fits(private_state):
    from coach.library import resolve
    from coach.screening import alternative

    (private_state / "config.json").write_text(json.dumps({"conditions": {"knee-injury": "yes"}}))
    result = run("export", "lower-back-relief", "-o", str(private_state / "x.mp3"), "--yes")
    assert result.exit_code == 2
    assert "'lower-back-relief' (Cat and cow and Child's pose) is not advised with a knee injury" in result.output
    assert "'coach screening --set knee-injury=yes'" not in result.output
    assert "'coach screening --set knee-injury=no' changes the answer" in result.output
    other = alternative(resolve("lower-back-relief"), {"knee-injury": True})
    assert other is not None and f"Instead: 'coach play {other}' fits your answers" in result.output
    assert "knee-injury" not in resolve(other).contraindications
    assert set(resolve(other).focus) & set(resolve("lower-back-relief").focus)
    assert "'coach plan --minutes 10 --for lower-back' makes one without it" in result.output
