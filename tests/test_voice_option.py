"""--voice: an unknown voice is bad input (exit 2, one line naming close matches) in every command that
takes it, `show` included; a known one is accepted. Real engines, real CLI processes."""

from __future__ import annotations

import pytest
from support import run_coach

from coach.speech import piper

COMMANDS = {
    "play": ["play", "child-pose", "--yes"],
    "live": ["live", "child-pose", "--yes"],
    "export": ["export", "child-pose", "-o", "{tmp}/out.mp3"],
    "render": ["render", "child-pose"],
    "show": ["show", "child-pose"],
    "cache prune": ["cache", "prune", "--dry-run"],
}


def args_for(name, tmp_path, *extra):
    return [a.format(tmp=tmp_path) for a in COMMANDS[name]] + list(extra)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_an_unknown_espeak_voice_exits_2_naming_close_matches(tmp_path, name):
    result = run_coach(*args_for(name, tmp_path, "--engine", "espeak", "--voice", "en-uss"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "coach: unknown espeak voice 'en-uss': did you mean gmw/en-us, gmw/en-us-nyc?\n"
    assert not (tmp_path / "out.mp3").exists()


@pytest.mark.skipif(not piper.ready(), reason="the Piper voice is not installed")
@pytest.mark.parametrize("name", ["play", "show", "export"])
def test_an_unknown_voice_for_every_engine_exits_2(tmp_path, name):
    nosuch = run_coach(*args_for(name, tmp_path, "--voice", "nosuch"))
    assert nosuch.returncode == 2
    assert nosuch.stderr == ("coach: unknown Piper voice 'nosuch': use en_US-joe-medium or the path to a .onnx "
                             "model (with its .onnx.json beside it)\n")


def test_a_model_file_that_is_not_there_exits_2(tmp_path):
    result = run_coach("show", "child-pose", "--engine", "piper", "--voice", str(tmp_path / "nothere.onnx"))
    assert (result.returncode, result.stderr) == (2, f"coach: Piper model not found: {tmp_path / 'nothere.onnx'}\n")


def test_a_known_voice_is_accepted_by_show(tmp_path):
    result = run_coach("show", "child-pose", "--engine", "espeak", "--voice", "en-us")
    assert result.returncode == 0, result.stderr
    assert "Child" in result.stdout


@pytest.mark.skipif(not piper.ready(), reason="the Piper voice is not installed")
def test_a_voice_only_espeak_has_picks_espeak_without_engine(tmp_path):
    """Piper is the default engine, but gmw/en-gb-x-rp is espeak's: no --engine needed, nothing said."""
    cache = tmp_path / "cache"
    result = run_coach("render", "child-pose", "--voice", "gmw/en-gb-x-rp", "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Rendered 1 routine(s) with espeak: ")
    assert "engine" not in result.stderr
    shown = run_coach("show", "child-pose", "--voice", "gmw/en-gb-x-rp", "--cache-dir", str(cache))
    assert shown.returncode == 0, shown.stderr
    assert "measured" in shown.stdout.splitlines()[0]   # the clips espeak rendered, found for that voice
