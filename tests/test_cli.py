"""The CLI's contract: exact output shapes, exit codes, help with examples, a fast start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from coach.cli import cli


def run(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and f"coach {command}" in result.output


def test_list_json_has_the_promised_fields():
    result = run("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) >= 29
    for row in rows:
        assert {"name", "title", "duration_ms", "focus", "equipment"} <= set(row)
        assert row["duration_ms"] > 0


def test_list_filters():
    neck = json.loads(run("list", "--focus", "neck", "--json").output)
    assert neck and all("neck" in r["focus"] for r in neck)
    rollers = json.loads(run("list", "--equipment", "foam-roller", "--json").output)
    assert {r["name"] for r in rollers} >= {"foam-roller-thoracic-extension", "foam-roller-mid-back-release"}
    assert all("foam-roller" in r["equipment"] for r in rollers)
    table = run("list", "--equipment", "pull-up-bar").output
    assert "dead-hang" in table and "child-pose " not in table


def test_list_rejects_an_unknown_filter():
    result = run("list", "--focus", "knees")
    assert result.exit_code == 2 and "Invalid value for '--focus'" in result.output


def test_show_json_shape_and_consistency():
    result = run("show", "child-pose", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {"name", "title", "duration_ms", "cues", "chapters"} <= set(data)
    for cue in data["cues"]:
        assert {"start_ms", "end_ms", "kind", "text", "chapter"} <= set(cue)
        assert cue["start_ms"] < cue["end_ms"] <= data["duration_ms"]
        if cue["kind"] in ("hold", "tone", "transition", "pause", "breathe"):
            assert cue["text"] == ""
    assert data["chapters"][0]["start_ms"] == 0 and data["chapters"][-1]["end_ms"] == data["duration_ms"]
    assert data["lengths_from"] == "estimate"
    hold = next(c for c in data["cues"] if c["kind"] == "hold")
    assert hold["end_ms"] - hold["start_ms"] == 30_000


def test_show_overrides_change_the_timeline():
    def hold_ms(*extra):
        data = json.loads(run("show", "child-pose", "--json", *extra).output)
        return next(c["end_ms"] - c["start_ms"] for c in data["cues"] if c["kind"] == "hold")

    assert hold_ms("--hold-scale", "2") == 60_000
    full = json.loads(run("show", "cat-cow", "--json").output)
    minimal = json.loads(run("show", "cat-cow", "--json", "--verbosity", "minimal").output)
    assert len([c for c in minimal["cues"] if c["text"]]) < len([c for c in full["cues"] if c["text"]])
    slow = json.loads(run("show", "cat-cow", "--json", "--breath-scale", "1.5").output)
    assert slow["duration_ms"] > full["duration_ms"]


def test_show_text_says_where_lengths_come_from():
    result = run("show", "child-pose")
    assert result.exit_code == 0
    assert "estimated from the text" in result.output.splitlines()[0]
    assert result.output.splitlines()[-1].startswith("Total ")


def test_help_and_list_do_not_import_audio_or_voices():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom coach.cli import cli\n"
            "CliRunner().invoke(cli, ['--help']); CliRunner().invoke(cli, ['list'])\n"
            "heavy = [m for m in ('numpy', 'pyttsx3', 'piper', 'onnxruntime', 'simpleaudio', 'pydub', 'lameenc', 'mutagen', 'matplotlib') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_bash_completion_completes_commands_and_routine_names(tmp_path):
    """The script `coach completion bash` prints, sourced in a real bash, fills COMPREPLY."""
    from pathlib import Path

    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "coach").symlink_to(Path(sys.executable).parent / "coach")
    script = subprocess.run([str(bindir / "coach"), "completion", "bash"], capture_output=True, text=True, check=True).stdout

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        probe = (f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
                 f'_coach_completion coach; printf "%s\\n" "${{COMPREPLY[@]}}"')
        out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True,
                             env={"PATH": f"{bindir}:/usr/bin:/bin"}).stdout
        return out.split()

    assert complete("coach", "child") == []  # no command starts so
    assert "export" in complete("coach", "ex")
    assert complete("coach", "play", "child") == ["child-pose", "child-pose-side-reach"]
    assert "morning-back" in complete("coach", "export", "mor")
    assert "--dry-run" in complete("coach", "cache", "prune", "--d")


def test_zsh_and_fish_completion_scripts_name_coach():
    runner = CliRunner()
    assert "#compdef coach" in runner.invoke(cli, ["completion", "zsh"]).output
    assert "complete --no-files --command coach" in runner.invoke(cli, ["completion", "fish"]).output
    assert runner.invoke(cli, ["completion", "tcsh"]).exit_code == 2
