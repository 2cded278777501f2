"""One duration everywhere: `list`, `show`, `export`, a warm `play` and the minutes `live` says agree
for every built-in routine and both engines; measured where the cache has the clips, the estimate
calibrated for the engine where not (within 2% of the measured length: docs/benchmarks.md)."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach import model as m
from coach.catalog import catalog
from coach.cli import cli
from coach.library import builtin_names, resolve
from coach.session import VoiceChoice
from coach.session.prepare import prepare
from support import run_coach

ENGINES = ("espeak", "piper")
ROUTINES = tuple(r.name for r in catalog() if r.kind == "routine")


def listed(engine: str, cache: Path) -> dict[str, int]:
    result = CliRunner().invoke(cli, ["list", "--json", "--engine", engine, "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    return {row["name"]: row["duration_ms"] for row in json.loads(result.output)}


def shown(name: str, engine: str, cache: Path) -> dict:
    result = CliRunner().invoke(cli, ["show", name, "--json", "--engine", engine, "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def said_minutes(timeline) -> int:
    intro = next(c for c in timeline.cues if c.kind == "intro")
    return int(intro.text.split("About ")[1].split()[0])


@pytest.mark.parametrize("engine", ENGINES)
def test_cold_list_show_and_the_minutes_live_says_agree_for_every_routine_and_exercise(tmp_path, engine):
    cache = tmp_path / "cache"
    rows = listed(engine, cache)
    assert set(rows) == set(builtin_names())
    for name in builtin_names():
        timeline = shown(name, engine, cache)
        assert timeline["lengths_from"] == "estimate"
        assert rows[name] == timeline["duration_ms"], name
        live = prepare(resolve(name), m.CompileOptions(), VoiceChoice(engine), cache, "live")
        try:
            assert said_minutes(live.timeline) == max(1, round(timeline["duration_ms"] / 60_000)), name
        finally:
            live.finish()


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory) -> Path:
    """Every built-in routine rendered with both engines (a few minutes: the only such render in the suite)."""
    cache = tmp_path_factory.mktemp("warm-durations") / "cache"
    for engine in ENGINES:
        result = run_coach("render", *ROUTINES, "--engine", engine, "--cache-dir", str(cache), timeout=900)
        assert result.returncode == 0, result.stderr
    return cache


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_warm_list_show_export_and_play_agree_for_every_routine(warm_cache, tmp_path, engine):
    rows = listed(engine, warm_cache)
    cold = listed(engine, tmp_path / "empty")
    for name in ROUTINES:
        timeline = shown(name, engine, warm_cache)
        assert timeline["lengths_from"] == "audio", name
        exported = prepare(resolve(name), m.CompileOptions(), VoiceChoice(engine), warm_cache, "export").timeline
        played = prepare(resolve(name), m.CompileOptions(), VoiceChoice(engine), warm_cache, "play")
        try:
            assert rows[name] == timeline["duration_ms"] == exported.duration_ms == played.timeline.duration_ms, name
            assert said_minutes(played.timeline) == said_minutes(exported) == round(exported.duration_ms / 60_000)
        finally:
            played.finish()
        # Before anything was rendered, list (and show) gave the calibrated estimate: within 2%.
        assert cold[name] == pytest.approx(rows[name], rel=0.02), name


@pytest.mark.slow
def test_an_exported_file_lasts_what_list_says(warm_cache, tmp_path):
    name = "bedtime-unwind"
    out = tmp_path / f"{name}.wav"
    result = run_coach("export", name, "-o", str(out), "--engine", "piper", "--cache-dir", str(warm_cache), "--yes")
    assert result.returncode == 0, result.stderr
    with wave.open(str(out)) as wav:
        file_ms = wav.getnframes() * 1000 / wav.getframerate()
    assert file_ms == pytest.approx(listed("piper", warm_cache)[name], abs=50)
